/* Turning bytes into a report: format detection, blob and vmcs12 decoding. */
#ifndef NESTSCOPE_DECODE_H
#define NESTSCOPE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "layout.h"
#include "model.h"
#include "nested_state.h"
#include "vmcs12.h"

/* A decoded VMCS image (vmcs12 or shadow vmcs12) with its findings. */
struct ns_decoded_vmcs {
	const char *title;                   /* "vmcs12", "shadow vmcs12" */
	struct ns_vmcs vmcs;
	struct ns_vmcs12_info info;
	/* Sections (NS_SECT_*) whose values are stale in this copy, and why. */
	unsigned stale_sections;
	const char *stale_note;
	struct ns_copy_ref ref;              /* which copy (label: vmcs.copy); zero: a region known by its label */
};

struct ns_loaded_vmcs_view;

/* What `decode` produced from one input. */
struct ns_report {
	const char *source;                  /* file name or address */
	struct ns_vcpu_ref vcpu;             /* the vCPU the bytes came from; known false for a file */
	/* "nested-state", "vmcs12"; a hardware region: "vmcs02", "vmcs01", "hardware-vmcs", "evmcs" */
	const char *format;
	const struct ns_nested_state *ns;    /* NULL for a raw vmcs12 */
	/* the header judged as KVM judges it (blob_rules.def); judged is false for a raw vmcs12 */
	struct ns_blob_verdict blob;
	unsigned nvmcs;
	struct ns_decoded_vmcs vmcs[2];
	/* vmcs02 / vmcs01: what KVM keeps about the region besides its bytes (session.h); else NULL */
	const struct ns_loaded_vmcs_view *kvm_copies;
};

enum ns_input_format {
	NS_INPUT_AUTO,          /* a nested-state blob or a raw vmcs12 region */
	NS_INPUT_NESTED_STATE,  /* struct kvm_nested_state */
	NS_INPUT_VMCS12,        /* a raw vmcs12 region (4 KiB, or at least 998 bytes) */
	NS_INPUT_VMCB,          /* a raw VMCB page (AMD SVM: vmcb12, vmcb02, vmcb01): named, never detected */
};

/*
 * Decodes buf into r.  r points into buf and into *ns, which must outlive it.
 * force: decode a vmcs12 whose revision id is wrong (it becomes a finding).
 * A blob's header is judged against the architectural MAXPHYADDR; with L1's,
 * judge it again: ns_nested_state_judge(r->ns, maxphyaddr, &r->blob).
 */
int ns_decode_buffer(const uint8_t *buf, size_t len, enum ns_input_format fmt, bool force,
		     const char *source, struct ns_nested_state *ns, struct ns_report *r,
		     struct ns_error *err);

/* Which copy of a vCPU's vmcs12 (DESIGN.md: every value says where it came from). */
enum ns_vmcs12_copy {
	NS_COPY_CACHED,  /* nested.cached_vmcs12: KVM's working copy */
	NS_COPY_SHADOW,  /* nested.cached_shadow_vmcs12: L1's shadow VMCS */
	NS_COPY_MEMORY,  /* L1's own region at current_vmptr, in guest memory */
};

struct ns_vcpu;

/* A report on one vCPU's vmcs12, with its labels kept alongside. */
struct ns_vcpu_report {
	struct ns_report r;
	char source[160];
	char copy[160];
	struct ns_copy_ref ref;  /* which copy, for checks/3 and diff/2 (label: copy) */
	char note[512];
};

/*
 * Decodes a vmcs12 copy read from a vCPU (buf: the 4 KiB region at addr) and
 * says, from the vCPU's state, which sections of that copy may be stale.
 */
int ns_decode_vcpu_vmcs12(const uint8_t *buf, size_t len, uint64_t addr, const struct ns_vcpu *v,
			  enum ns_vmcs12_copy which, bool force, struct ns_vcpu_report *vr, struct ns_error *err);

#endif
