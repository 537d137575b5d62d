/*
 * Field-by-field comparison of a vmcb12 (what L1 wrote) with the vmcb02 KVM
 * built from it, optionally with vmcb01 (L1's own VMCB, which vmcb02 takes
 * several fields from), each difference classified as the VMX diff does
 * (diff.h): expected by construction (the KVM function and mechanism),
 * stale (vmcb12 gets L2's state only at the next #VMEXIT to L1), or
 * unexplained.  The rules are decoders/svm/diff_rules.def.
 */
#ifndef NESTSCOPE_VMCB_DIFF_H
#define NESTSCOPE_VMCB_DIFF_H

#include "diff.h"
#include "vmcb.h"

/* How far an explanation was checked against the values. */
enum ns_vmcb_check {
	NS_VCHK_VERIFIED,      /* the values are what the rule computes (or fall in what it allows) */
	NS_VCHK_NEEDS_VMCB01,  /* the rule takes vmcb01's value, and no vmcb01 was given */
	NS_VCHK_UNCHECKABLE,   /* KVM's own value (an ASID, a host address): nothing in the pages to check it by */
};

#define NS_VMCB_DIFF_REASON 400

struct ns_vmcb_diff_entry {
	const struct ns_vmcb_field *field;
	uint64_t a, b, c;        /* vmcb12, vmcb02, vmcb01 (c: 0 without vmcb01); INSN_BYTES: its first 8 bytes */
	char a_hex[34], b_hex[34], c_hex[34];  /* the values as printed ("0x..."; INSN_BYTES: its 15 bytes in order) */
	enum ns_diff_class cls;
	enum ns_vmcb_check check;
	char reason[NS_VMCB_DIFF_REASON];
};

struct ns_vmcb_diff_context {
	bool guest_mode;          /* the vCPU runs L2: vmcb02 holds L2's live state */
	bool run_pending;         /* KVM_STATE_NESTED_RUN_PENDING: KVM emulated L1's VMRUN (vmcb02 is built) but
				   * has not entered L2 yet, so what KVM sets at the entry is not there */
	bool have_vmcb01;
};

struct ns_vmcb_diff {
	struct ns_vmcb_diff_context ctx;
	unsigned n, compared, equal;
	unsigned count[4];        /* per enum ns_diff_class */
	unsigned needs_vmcb01;    /* differences whose explanation could not be verified without vmcb01 */
	struct ns_vmcb_diff_entry e[NS_VMCB__COUNT];
};

/* Compares every field of v12 and v02 (both need both areas); v01 may be NULL. */
void ns_diff_vmcb(const struct ns_vmcb *v12, const struct ns_vmcb *v02, const struct ns_vmcb *v01, bool guest_mode,
		  struct ns_vmcb_diff *d);
/* The same with the whole context: guest_mode and run_pending (have_vmcb01 follows v01). */
void ns_diff_vmcb_ctx(const struct ns_vmcb *v12, const struct ns_vmcb *v02, const struct ns_vmcb *v01,
		      const struct ns_vmcb_diff_context *ctx, struct ns_vmcb_diff *d);

const char *ns_vmcb_check_name(enum ns_vmcb_check c); /* "verified", "needs_vmcb01", "uncheckable" */

/* Text: the table (field, vmcb12, vmcb02, class, reason) and which explanations need vmcb01.
 * JSON: nestscope/vmcb-diff/1 (c: vmcb01's copy_ref, or NULL). */
void ns_render_vmcb_diff_text(struct ns_out *o, const struct ns_copy_ref *a, const struct ns_copy_ref *b,
			      const struct ns_copy_ref *c, const struct ns_vmcb_diff *d, bool all);
void ns_render_vmcb_diff_json(struct ns_out *o, const struct ns_copy_ref *a, const struct ns_copy_ref *b,
			      const struct ns_copy_ref *c, const struct ns_vmcb_diff *d);

/* The copy_ref layout name of a VMCB page (APM vol. 2 appendix B, compiled in). */
#define NS_VMCB_LAYOUT_NAME "vmcb"

#endif
