/*
 * The AMD host's vCPU commands (vmcb12, vmcb02, vmcb01): pick the vCPU,
 * read the copy (svm_vcpu.c), and hand it with where it came from to the
 * renderers: the VMCB as a decode/2 report, vmcb12 -C's APM VMRUN checks
 * (nestscope/svm-checks/1), vmcb12 -D's diff against vmcb02
 * (nestscope/vmcb-diff/1).
 */
#include <stdio.h>
#include <stdlib.h>

#include "kvm/session_priv.h"
#include "render/common.h"
#include "render/report_doc.h"
#include "nestscope/svm_checks.h"
#include "nestscope/svm_vcpu.h"
#include "nestscope/vmcb_diff.h"

/* Which copy a VMCB read from a vCPU is, for every document's copy_ref. */
static struct ns_copy_ref vmcb_ref(const struct ns_vcpu *v, enum ns_vmcb_copy which, const char *label)
{
	switch (which) {
	case NS_VMCB_COPY_VMCB12_MEMORY:
		return (struct ns_copy_ref){ NS_CP_L1_MEMORY, NS_AS_L1_PHYS, v->s.vmcb12_gpa, NS_VMCB_LAYOUT_NAME,
					     NS_LAYOUT_BUILT_IN, label };
	case NS_VMCB_COPY_VMCB12_CACHED:
		return (struct ns_copy_ref){ NS_CP_CACHED_VMCB12, NS_AS_KERNEL, v->s.ctl_cached, NS_VMCB_LAYOUT_NAME,
					     NS_LAYOUT_BUILT_IN, label };
	case NS_VMCB_COPY_VMCB02:
		return (struct ns_copy_ref){ NS_CP_VMCB02, NS_AS_KERNEL, v->s.vmcb02, NS_VMCB_LAYOUT_NAME,
					     NS_LAYOUT_BUILT_IN, label };
	case NS_VMCB_COPY_VMCB01:
	default:
		return (struct ns_copy_ref){ NS_CP_VMCB01, NS_AS_KERNEL, v->s.vmcb01, NS_VMCB_LAYOUT_NAME,
					     NS_LAYOUT_BUILT_IN, label };
	}
}

/* What the command reads: the vCPU and up to three VMCBs with their labels (large: on the heap). */
struct vmcb_work {
	struct ns_vmcb v[3];
	char label[3][256];
	struct ns_svm_check_report checks;
	struct ns_vmx_caps caps;
	struct ns_vmcb_diff diff;
};

static int show(const struct ns_vcpu *v, const struct ns_vcpu_ref *vref, enum ns_vmcb_copy which,
		struct vmcb_work *w, const struct ns_cmd_opts *opt, struct ns_out *o)
{
	struct ns_render_opts ro = { opt->sections ? opt->sections : NS_SECT_ALL, opt->all };
	struct ns_copy_ref ref = vmcb_ref(v, which, w->label[0]);
	struct ns_report r = { 0 };
	struct ns_report_doc doc;
	const char *stale = ns_svm_vmcb12_stale_note(v, which);

	r.source = w->label[0];
	r.vcpu = *vref;
	r.format = which == NS_VMCB_COPY_VMCB02 ? "vmcb02" : which == NS_VMCB_COPY_VMCB01 ? "vmcb01" : "vmcb12";
	if (stale)
		ns_render_note(o, opt->json, stale);
	ns_render_doc_begin(&doc, o, opt->json, &ro);
	ns_render_doc_add_vmcb(&doc, &r, &w->v[0], &ref);
	ns_render_doc_end(&doc);
	return NS_OK;
}

/* vmcb12 -C: the APM's VMRUN checks on vmcb12, against the CPUID and MAXPHYADDR KVM gave this L1. */
static int checks(struct ns_session *s, const struct ns_vcpu *v, enum ns_vmcb_copy which, struct vmcb_work *w,
		  const struct ns_cmd_opts *opt, struct ns_out *o, struct ns_error *err)
{
	struct ns_error cerr;
	bool have_caps = ns_kvm_svm_caps(s->t, &s->off, v, &w->caps, &cerr) == NS_OK;
	char label[600];

	(void)err;
	if (!have_caps)
		ns_render_note(o, opt->json, cerr.msg);
	snprintf(label, sizeof(label), "%s (against %s)", w->label[0], have_caps ? w->caps.source : "no capabilities");
	/* KVM's cache holds the save fields KVM checks: a rule reading another is not judged (checks.c) */
	ns_check_vmcb12(&w->v[0], have_caps ? &w->caps : NULL, NULL, &w->checks);
	if (opt->json)
		ns_render_svm_checks_json(o, ns_copy_name_str(vmcb_ref(v, which, label).name), label, &w->checks);
	else
		ns_render_svm_checks_text(o, label, &w->checks, opt->all);
	return NS_OK;
}

/* vmcb12 -D: vmcb12 against vmcb02, with vmcb01 for what vmcb02 takes from it. */
static int diff(struct ns_session *s, const struct ns_vcpu *v, enum ns_vmcb_copy which, struct vmcb_work *w,
		const struct ns_cmd_opts *opt, struct ns_out *o, struct ns_error *err)
{
	struct ns_copy_ref a, b, c;
	int rc;

	if ((rc = ns_svm_read_vmcb(s->t, &s->off, v, NS_VMCB_COPY_VMCB02, &w->v[1], w->label[1], sizeof(w->label[1]), err)) ||
	    (rc = ns_svm_read_vmcb(s->t, &s->off, v, NS_VMCB_COPY_VMCB01, &w->v[2], w->label[2], sizeof(w->label[2]), err)))
		return rc;
	a = vmcb_ref(v, which, w->label[0]);
	b = vmcb_ref(v, NS_VMCB_COPY_VMCB02, w->label[1]);
	c = vmcb_ref(v, NS_VMCB_COPY_VMCB01, w->label[2]);
	/* a VMRUN in flight (nested_run_pending): vmcb02 is built, L2 not entered, what KVM sets at the entry not there */
	ns_diff_vmcb_ctx(&w->v[0], &w->v[1], &w->v[2],
			 &(struct ns_vmcb_diff_context){ .guest_mode = v->guest_mode, .run_pending = v->nested_run_pending },
			 &w->diff);
	if (opt->json)
		ns_render_vmcb_diff_json(o, &a, &b, &c, &w->diff);
	else
		ns_render_vmcb_diff_text(o, &a, &b, &c, &w->diff, opt->all);
	return NS_OK;
}

int ns_cmd_vmcb(struct ns_session *s, const struct ns_vcpu_sel *vcpu, int which, int job,
		const struct ns_cmd_opts *opt, struct ns_out *o, struct ns_error *err)
{
	struct ns_vcpu v;
	struct ns_vcpu_ref ref;
	struct vmcb_work *w = malloc(sizeof(*w));
	int rc;

	if (!w)
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	if (!(rc = ns_session_pick_svm_vcpu(s, vcpu, opt->json, &v, &ref, o, err)) &&
	    !(rc = ns_svm_read_vmcb(s->t, &s->off, &v, (enum ns_vmcb_copy)which, &w->v[0], w->label[0],
				    sizeof(w->label[0]), err)))
		rc = job == NS_VMCB_JOB_CHECKS ? checks(s, &v, (enum ns_vmcb_copy)which, w, opt, o, err)
		     : job == NS_VMCB_JOB_DIFF ? diff(s, &v, (enum ns_vmcb_copy)which, w, opt, o, err)
					       : show(&v, &ref, (enum ns_vmcb_copy)which, w, opt, o);
	free(w);
	return rc;
}
