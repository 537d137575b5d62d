/*
 * A vCPU's VMCBs on an AMD host (struct vcpu_svm, locate.h's ns_svm_vcpu):
 * vmcb02 and vmcb01 as KVM holds them, vmcb12 in L1's memory, and what KVM
 * cached of vmcb12 at VMRUN (svm->nested.ctl and .save).
 */
#ifndef NESTSCOPE_SVM_VCPU_H
#define NESTSCOPE_SVM_VCPU_H

#include <stddef.h>

#include "error.h"
#include "locate.h"
#include "vmcb.h"

/*
 * Reads one copy into out, with a one-line label of where it came from:
 *   NS_VMCB_COPY_VMCB02, _VMCB01     the page at kvm_vmcb_info.ptr
 *   NS_VMCB_COPY_VMCB12_MEMORY       L1's page at nested.vmcb12_gpa, through the memslots and the VMM's page tables
 *   NS_VMCB_COPY_VMCB12_CACHED       nested.ctl and nested.save, member by member (out->partial)
 * Every failure names the copy and the address.
 */
int ns_svm_read_vmcb(const struct ns_target *t, const struct ns_kvm_offsets *o, const struct ns_vcpu *v,
		     enum ns_vmcb_copy which, struct ns_vmcb *out, char *label, size_t n, struct ns_error *err);

/*
 * What is stale in a copy of vmcb12 while the vCPU is in L2: KVM writes
 * L2's state and the exit information back to vmcb12 only at the #VMEXIT
 * to L1 (nested_svm_vmexit).  NULL when nothing is.
 */
const char *ns_svm_vmcb12_stale_note(const struct ns_vcpu *v, enum ns_vmcb_copy which);

#endif
