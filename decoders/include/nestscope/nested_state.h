/* struct kvm_nested_state, as KVM_GET_NESTED_STATE returns it. */
#ifndef NESTSCOPE_NESTED_STATE_H
#define NESTSCOPE_NESTED_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define NS_NESTED_FORMAT_VMX 0
#define NS_NESTED_FORMAT_SVM 1
#define NS_NESTED_HDR_SIZE 128u                 /* offsetof(data) */
#define NS_NESTED_MAX_SIZE (128u + 2 * 0x1000u) /* KVM_CAP_NESTED_STATE on VMX */

/* kvm_nested_state.flags */
#define NS_NESTED_GUEST_MODE 0x1
#define NS_NESTED_RUN_PENDING 0x2
#define NS_NESTED_EVMCS 0x4
#define NS_NESTED_MTF_PENDING 0x8
#define NS_NESTED_GIF_SET 0x100
/* hdr.vmx.smm.flags */
#define NS_NESTED_SMM_GUEST_MODE 0x1
#define NS_NESTED_SMM_VMXON 0x2
/* hdr.vmx.flags */
#define NS_NESTED_VMX_PREEMPTION_TIMER_DEADLINE 0x1

struct ns_nested_state {
	uint16_t flags;
	uint16_t format;
	uint32_t size;
	/* format VMX */
	uint64_t vmxon_pa, vmcs12_pa;
	uint16_t smm_flags;
	uint32_t vmx_flags;
	uint64_t preemption_timer_deadline;
	/* format SVM */
	uint64_t vmcb_pa;
	/* payload, pointing into the caller's buffer; NULL when absent */
	const uint8_t *vmcs12;          /* or vmcb12 for SVM */
	const uint8_t *shadow_vmcs12;
	size_t vmcs12_len, shadow_len;
	/* bytes of the input beyond `size` (should be zero) */
	size_t trailing;
};

/*
 * Parses a blob.  Checks what can be checked without trusting it: the size
 * field against the bytes present, the format, the sizes KVM can produce.
 */
int ns_nested_state_parse(const uint8_t *buf, size_t len, struct ns_nested_state *out,
			  struct ns_error *err);

/* Tells whether buf looks like a nested-state header (for format detection). */
bool ns_nested_state_sniff(const uint8_t *buf, size_t len);

#endif
