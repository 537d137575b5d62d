/* The SDM checks' report (checks/3 and its text) and the APM's VMRUN checks' (svm-checks/1): the verdicts reached. */
#include <stdio.h>
#include <string.h>

#include "render/common.h"
#include "nestscope/svm_checks.h"

static const char *verdict_name(enum ns_verdict v)
{
	return v == NS_PASS ? "pass" : v == NS_FAIL ? "FAIL" : v == NS_NOT_JUDGED ? "open" : "n/a";
}

void ns_render_checks_text(struct ns_out *o, const struct ns_copy_ref *copy, const struct ns_check_report *r, bool all)
{
	ns_printf(o, "SDM VM-entry checks on %s\ncapabilities: %s\n", copy->label, r->caps_source);
	ns_printf(o, "%u rules: %u pass, %u fail, %u not judged, %u not applicable\n", r->n, r->pass, r->fail,
		  r->not_judged, r->na);
	/* a rule that applies but was not judged is listed with what it needs, always: "0 fail" alone would hide it */
	for (unsigned i = 0; i < r->n; i++) {
		const struct ns_check_result *x = &r->r[i];
		bool detail = x->verdict == NS_FAIL || x->verdict == NS_NOT_JUDGED;

		if (!detail && !all)
			continue;
		ns_printf(o, "%-4s %-36s %s\n", verdict_name(x->verdict), x->rule->id, detail ? x->detail : x->rule->text);
		if (x->verdict == NS_FAIL)
			ns_printf(o, "     %-36s SDM: \"%s\" (%s)\n", "", x->rule->text, x->rule->section);
	}
}

/* checks.def's "fields read": exact catalog names joined by ", " (test_catalog.c), as an array */
static void emit_reads(struct json *j, const char *fields)
{
	json_key(j, "reads");
	json_arr_begin(j);
	while (*fields) {
		size_t len = strcspn(fields, ",");
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)len, fields);
		json_str(j, name);
		fields += len;
		fields += strspn(fields, ", ");
	}
	json_arr_end(j);
}

/*
 * One result of either checker (checks/3, svm-checks/1): the rule's words,
 * then (SVM only: apm, kvm NULL for VMX) the manual's words and KVM's check,
 * the fields it reads, and the message a failing or unjudged rule gives.
 */
static void emit_result(struct json *j, const char *id, enum ns_verdict verdict, const char *section, const char *text,
			const char *apm, const char *kvm, const char *fields, const char *detail)
{
	json_obj_begin(j);
	json_kv_str(j, "id", id);
	json_kv_str(j, "verdict", ns_verdict_str(verdict));
	json_kv_str(j, "section", section);
	json_kv_str(j, "rule", text);
	if (apm)
		json_kv_str(j, "apm", apm);
	if (kvm)
		json_kv_str(j, "kvm_check", kvm);
	emit_reads(j, fields);
	json_key(j, "message");
	if (verdict == NS_FAIL || verdict == NS_NOT_JUDGED)
		json_str(j, detail);
	else
		json_null(j);
	json_obj_end(j);
}

void ns_render_checks_json(struct ns_out *o, const struct ns_copy_ref *copy, const struct ns_vcpu_ref *vcpu,
			   const struct ns_check_report *r)
{
	struct json j;

	json_init(&j, o);
	json_obj_begin(&j);
	json_kv_str(&j, "schema", "nestscope/checks/3");
	ns_emit_copy_ref(&j, "copy", copy);
	ns_emit_vcpu_ref(&j, "vcpu", vcpu);
	ns_emit_capabilities(&j, "capabilities", r->caps_source, r->caps);
	ns_emit_check_counts(&j, "check_counts", r);
	json_key(&j, "results");
	json_arr_begin(&j);
	for (unsigned i = 0; i < r->n; i++) {
		const struct ns_check_result *x = &r->r[i];

		emit_result(&j, x->rule->id, x->verdict, x->rule->section, x->rule->text, NULL, NULL, x->rule->fields,
			    x->detail);
	}
	json_arr_end(&j);
	json_obj_end(&j);
}

/* ---- SVM: VMRUN's checks on a vmcb12 ---- */

void ns_render_svm_checks_text(struct ns_out *o, const char *label, const struct ns_svm_check_report *r, bool all)
{
	ns_printf(o, "APM VMRUN checks on %s\ncapabilities: %s", label, r->caps_source);
	if (r->caps && r->caps->maxphyaddr)
		ns_printf(o, " (MAXPHYADDR %u)", r->caps->maxphyaddr);
	ns_printf(o, "\n");
	if (r->save_not_judged[0])
		ns_printf(o, "save area not judged: %s\n", r->save_not_judged);
	ns_printf(o, "%u rules: %u pass, %u fail, %u not judged, %u not applicable\n", r->n, r->pass, r->fail,
		  r->not_judged, r->na);
	for (unsigned i = 0; i < r->n; i++) {
		const struct ns_svm_check_result *x = &r->r[i];
		bool detail = x->verdict == NS_FAIL || x->verdict == NS_NOT_JUDGED;

		if (!detail && !all)
			continue;
		/* the save-area rules of a blob all say the same: the header line said it once */
		if (x->verdict == NS_NOT_JUDGED && r->save_not_judged[0] && !strcmp(x->detail, r->save_not_judged) && !all)
			continue;
		ns_printf(o, "%-4s %-28s %s\n", verdict_name(x->verdict), x->rule->id, detail ? x->detail : x->rule->text);
		if (x->verdict == NS_FAIL) {
			ns_printf(o, "     %-28s APM: \"%s\" (%s)\n", "", x->rule->apm, x->rule->section);
			ns_printf(o, "     %-28s KVM: %s\n", "", x->rule->kvm);
		}
	}
}

/* L1's SVM leaf, CPUID 8000000Ah, as the capabilities' svm_leaf, or null */
static void emit_svm_leaf(struct json *j, const struct ns_vmx_caps *caps)
{
	json_key(j, "svm_leaf");
	for (unsigned i = 0; caps && i < caps->ncpuid; i++) {
		const struct ns_cpuid_leaf *l = &caps->cpuid[i];

		if (l->function != 0x8000000au || l->index)
			continue;
		json_obj_begin(j);
		json_kv_hex(j, "revision", l->eax & 0xff);   /* EAX[7:0]: SVM revision (hex, as other documents' revisions) */
		json_kv_uint(j, "nasid", l->ebx);            /* EBX: number of ASIDs */
		json_kv_hex(j, "features", l->edx);          /* EDX: NP (0), LBRV (1), SVML (2), NRIPS (3) ... */
		json_obj_end(j);
		return;
	}
	json_null(j);
}

void ns_render_svm_checks_json(struct ns_out *o, const char *copy, const char *label,
			       const struct ns_svm_check_report *r)
{
	struct json j;

	json_init(&j, o);
	json_obj_begin(&j);
	json_kv_str(&j, "schema", "nestscope/svm-checks/1");
	json_key(&j, "copy");
	json_obj_begin(&j);
	json_kv_str(&j, "name", copy);
	json_kv_str(&j, "label", label);
	json_obj_end(&j);
	json_key(&j, "vcpu");
	json_null(&j);
	json_key(&j, "capabilities");
	json_obj_begin(&j);
	json_kv_str(&j, "source", r->caps_source ? r->caps_source : "none");
	json_key(&j, "maxphyaddr");
	if (r->caps && r->caps->maxphyaddr)
		json_uint(&j, r->caps->maxphyaddr);
	else
		json_null(&j);
	json_kv_uint(&j, "cpuid_leaves", r->caps ? r->caps->ncpuid : 0);
	emit_svm_leaf(&j, r->caps);
	json_obj_end(&j);
	json_key(&j, "save_area_not_judged");
	if (r->save_not_judged[0])
		json_str(&j, r->save_not_judged);
	else
		json_null(&j);
	ns_emit_check_count_values(&j, "check_counts", r->n, r->pass, r->fail, r->not_judged, r->na);
	json_key(&j, "results");
	json_arr_begin(&j);
	for (unsigned i = 0; i < r->n; i++) {
		const struct ns_svm_check_result *x = &r->r[i];

		emit_result(&j, x->rule->id, x->verdict, x->rule->section, x->rule->text, x->rule->apm, x->rule->kvm,
			    x->rule->fields, x->detail);
	}
	json_arr_end(&j);
	json_obj_end(&j);
}
