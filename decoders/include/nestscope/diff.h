/*
 * Field-by-field comparison of two VMCS images, with each difference
 * classified: expected by construction (what KVM builds vmcs02 from), a
 * stale copy (one side is older), or unexplained (worth a bug report).
 */
#ifndef NESTSCOPE_DIFF_H
#define NESTSCOPE_DIFF_H

#include "layout.h"
#include "model.h"
#include "render.h"

/* The last, NS_DIFF_CHANGED, is for two copies of one VMCS (snapshots), where no
 * construction rules apply: a difference there is simply a change. */
enum ns_diff_class { NS_DIFF_EXPECTED, NS_DIFF_STALE, NS_DIFF_UNEXPLAINED, NS_DIFF_CHANGED };

struct ns_diff_entry {
	const struct ns_field *field;
	uint64_t a, b;
	enum ns_diff_class cls;
	const char *reason;
};

/* What is known about the moment the two images were taken. */
struct ns_diff_context {
	bool vmcs12_vs_vmcs02;  /* A is a vCPU's vmcs12, B its vmcs02: KVM's construction rules apply */
	bool guest_mode;        /* the vCPU is in L2 */
	bool in_l1;             /* the vCPU is known to be in L1: vmcs02 is what L2's last run left */
	bool rip_dirty;         /* KVM's register cache has a RIP vmcs02 does not have yet */
	bool rsp_dirty;
};

#define NS_DIFF_MAX 256

struct ns_diff {
	struct ns_diff_context ctx;  /* what the classes were judged by (diff/2 shows it) */
	unsigned n, compared, equal;
	unsigned count[4];      /* per class */
	struct ns_diff_entry e[NS_DIFF_MAX];
};

/* Compares every field both layouts hold. */
void ns_diff_vmcs(const struct ns_vmcs *a, const struct ns_vmcs *b, const struct ns_diff_context *ctx,
		  struct ns_diff *d);

const char *ns_diff_class_name(enum ns_diff_class c); /* "expected", "stale", "unexplained", "changed" */

/* The table (field, A, B, class, reason; text: the copies' labels) and its JSON form, nestscope/diff/2
 * (vcpu: NULL when the images are files). */
void ns_render_diff_text(struct ns_out *o, const struct ns_copy_ref *a, const struct ns_copy_ref *b,
			 const struct ns_diff *d, bool all);
void ns_render_diff_json(struct ns_out *o, const struct ns_copy_ref *a, const struct ns_copy_ref *b,
			 const struct ns_vcpu_ref *vcpu, const struct ns_diff *d);

#endif
