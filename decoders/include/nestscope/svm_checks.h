/*
 * The checks VMRUN makes on a vmcb12 (AMD64 APM vol. 2, "Canonicalization
 * and Consistency Checks": VMEXIT_INVALID) and those KVM's nested VMRUN
 * adds, judged against what L1 was offered: its CPUID (leaves 80000001h,
 * 8000000Ah, 7 ...) and its MAXPHYADDR.  The rules are data
 * (decoders/svm/checks.def): a stable id svm.<area>.<what>, the APM section
 * title, one sentence, the APM's words, the KVM function that checks it in
 * the samples' kernels (Debian's 6.1.0-56 and 7.2.13).
 */
#ifndef NESTSCOPE_SVM_CHECKS_H
#define NESTSCOPE_SVM_CHECKS_H

#include "checks.h"
#include "vmcb.h"

struct ns_svm_rule {
	const char *id;       /* stable: svm.save.efer.svme, svm.ctrl.asid ... */
	const char *section;  /* the APM section title */
	const char *text;     /* the rule, in one sentence */
	const char *apm;      /* the APM's words (its list item, or its description of the field) */
	const char *kvm;      /* the KVM function that checks it, and where KVM differs from the APM */
	const char *fields;   /* the VMCB fields it reads: vmcb_fields.def names joined by ", " */
};

size_t ns_svm_rule_count(void);
const struct ns_svm_rule *ns_svm_rule_at(size_t i);

struct ns_svm_check_result {
	const struct ns_svm_rule *rule;
	enum ns_verdict verdict;
	char detail[320];     /* a failure: the offending values; not judged: what it needs */
};

#define NS_SVM_MAX_RULES 48

struct ns_svm_check_report {
	unsigned n, pass, fail, na, not_judged;
	struct ns_svm_check_result r[NS_SVM_MAX_RULES];
	const struct ns_vmx_caps *caps;  /* what L1 was offered (its CPUID, MAXPHYADDR), or NULL */
	const char *caps_source;
	/*
	 * Why the save-area rules were not judged, or "" when they were: a
	 * nested-state blob carries L1's own save area (vmcb01's), not vmcb12's.
	 */
	char save_not_judged[200];
};

/*
 * Runs every rule on v.  caps may be NULL (rules that need L1's CPUID or
 * MAXPHYADDR are then not judged); caps->maxphyaddr 0 means unknown.
 * save_not_judged: NULL to judge the save area (when v has it), or why not.
 */
void ns_check_vmcb12(const struct ns_vmcb *v, const struct ns_vmx_caps *caps, const char *save_not_judged,
		     struct ns_svm_check_report *out);

/*
 * A caps file for SVM: the VMX caps file's syntax (ns_caps_parse), where
 * 'cpuid FN IDX EAX EBX ECX EDX' and 'maxphyaddr N' lines count and no VMX
 * MSR is required (a sample's cpuid.txt is one).  MAXPHYADDR is the
 * 'maxphyaddr' line's, else CPUID 80000008h EAX[7:0], else unknown (0).
 */
int ns_caps_parse_svm(const char *text, size_t len, const char *origin, struct ns_vmx_caps *caps, struct ns_error *err);

/* The report (text: on label) and its JSON form, nestscope/svm-checks/1. */
void ns_render_svm_checks_text(struct ns_out *o, const char *label, const struct ns_svm_check_report *r, bool all);
void ns_render_svm_checks_json(struct ns_out *o, const char *copy, const char *label,
			       const struct ns_svm_check_report *r);

#endif
