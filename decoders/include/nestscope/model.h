/*
 * What every document says about where its bytes came from, in one form:
 * the vCPU (JSON $defs/vcpu_ref of docs/json-schema/common-v1.json) and the
 * copy of the VMCS (copy_ref).  The analyses fill these; render/common.c
 * writes them, so checks, diff and the documents that follow name a vCPU
 * and a copy the same way.
 */
#ifndef NESTSCOPE_MODEL_H
#define NESTSCOPE_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "locate.h"

/* Which vCPU the bytes came from; known false for a file or a region read by address. */
struct ns_vcpu_ref {
	bool known;
	uint64_t kvm, kvm_vcpu, vcpu_vmx;
	int32_t pid;             /* -1: unknown (JSON null) */
	uint32_t index;
	bool on_vm_list;         /* false: an address read as a struct kvm_vcpu although no VM lists it */
	bool svm;                /* an AMD host's vCPU: vcpu_vmx holds its struct vcpu_svm (JSON vcpu_svm) */
};

static inline struct ns_vcpu_ref ns_vcpu_ref_of(const struct ns_vcpu *v, bool on_vm_list)
{
	return (struct ns_vcpu_ref){ true, v->kvm, v->vcpu, v->svm ? v->s.vcpu_svm : v->vmx, v->pid, v->idx, on_vm_list,
				     v->svm };
}

/* One vocabulary of VMCS copies for every document (JSON copy_ref.name: ns_copy_name_str). */
enum ns_copy_name {
	NS_CP_CACHED_VMCS12, NS_CP_CACHED_SHADOW_VMCS12, NS_CP_L1_MEMORY, /* a vCPU's vmcs12 copies */
	NS_CP_VMCS02, NS_CP_VMCS01,                                       /* a vCPU's hardware VMCSs */
	NS_CP_BLOB_VMCS12, NS_CP_BLOB_SHADOW_VMCS12,                      /* KVM_GET_NESTED_STATE */
	NS_CP_REGION,                                                     /* a file, FILE@OFFSET, a region by address */
	NS_CP_BLOB_VMCB12,                                                /* KVM_GET_NESTED_STATE's SVM data */
	NS_CP_CACHED_VMCB12, NS_CP_VMCB02, NS_CP_VMCB01,                  /* an AMD host vCPU's (L1's page: L1_MEMORY) */
};

/* Where address points (JSON copy_ref.address_space; NONE: address is null). */
enum ns_addr_space { NS_AS_NONE, NS_AS_KERNEL, NS_AS_L1_PHYS, NS_AS_PHYS, NS_AS_FILE_OFFSET };

struct ns_copy_ref {
	enum ns_copy_name name;
	enum ns_addr_space space;
	uint64_t address;
	const char *layout;         /* "vmcs12", or the hardware layout's name */
	const char *layout_origin;  /* "built in", or the layout file */
	const char *label;          /* the one-line label the text output prints */
};

/* The vmcs12 layout's copy_ref fields (KVM's struct vmcs12, compiled in). */
#define NS_VMCS12_LAYOUT_NAME "vmcs12"
#define NS_LAYOUT_BUILT_IN "built in"

#endif
