/* The SDM checks' report (checks/3 and its text): the verdicts checks.c reached. */
#include <stdio.h>
#include <string.h>

#include "render/common.h"

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

		json_obj_begin(&j);
		json_kv_str(&j, "id", x->rule->id);
		json_kv_str(&j, "verdict", ns_verdict_str(x->verdict));
		json_kv_str(&j, "section", x->rule->section);
		json_kv_str(&j, "rule", x->rule->text);
		emit_reads(&j, x->rule->fields);
		json_key(&j, "message");
		if (x->verdict == NS_FAIL || x->verdict == NS_NOT_JUDGED)
			json_str(&j, x->detail);
		else
			json_null(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
}
