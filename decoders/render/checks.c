/* The SDM checks' report (checks/1 and its text): the verdicts checks.c reached. */
#include <stdio.h>

#include "render/json.h"
#include "sdm/vmx_names.h"
#include "nestscope/checks.h"

static const char *verdict_name(enum ns_verdict v)
{
	return v == NS_PASS ? "pass" : v == NS_FAIL ? "FAIL" : "n/a";
}

void ns_render_checks_text(struct ns_out *o, const char *what, const struct ns_check_report *r, bool all)
{
	ns_printf(o, "SDM VM-entry checks on %s\ncapabilities: %s\n", what, r->caps_source);
	ns_printf(o, "%u rules: %u pass, %u fail, %u not applicable\n", r->n, r->pass, r->fail, r->na);
	for (unsigned i = 0; i < r->n; i++) {
		const struct ns_check_result *x = &r->r[i];

		if (x->verdict != NS_FAIL && !all)
			continue;
		ns_printf(o, "%-4s %-36s %s\n", verdict_name(x->verdict), x->rule->id,
			  x->verdict == NS_FAIL ? x->detail : x->rule->text);
		if (x->verdict == NS_FAIL)
			ns_printf(o, "     %-36s SDM: \"%s\" (%s)\n", "", x->rule->text, x->rule->section);
	}
}

void ns_render_checks_json(struct ns_out *o, const char *what, const struct ns_check_report *r)
{
	struct json j;

	json_init(&j, o);
	json_obj_begin(&j);
	json_kv_str(&j, "schema", "nestscope/checks/1");
	json_kv_str(&j, "vmcs", what);
	json_kv_str(&j, "capabilities", r->caps_source);
	json_key(&j, "capability_msrs");
	json_arr_begin(&j);
	for (int i = 0; r->caps && i < NS_CAP_MSRS; i++) {
		char msr[8];

		if (!r->caps->have[i])
			continue;
		snprintf(msr, sizeof(msr), "0x%x", MSR_IA32_VMX_BASIC + i);
		json_obj_begin(&j);
		json_kv_str(&j, "msr", msr);
		json_kv_hex(&j, "value", r->caps->msr[i]);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "maxphyaddr");
	if (r->caps)
		json_uint(&j, r->caps->maxphyaddr);
	else
		json_null(&j);
	json_kv_uint(&j, "pass", r->pass);
	json_kv_uint(&j, "fail", r->fail);
	json_kv_uint(&j, "not_applicable", r->na);
	json_key(&j, "results");
	json_arr_begin(&j);
	for (unsigned i = 0; i < r->n; i++) {
		const struct ns_check_result *x = &r->r[i];

		json_obj_begin(&j);
		json_kv_str(&j, "id", x->rule->id);
		json_kv_str(&j, "verdict", x->verdict == NS_PASS ? "pass" : x->verdict == NS_FAIL ? "fail" : "n/a");
		json_kv_str(&j, "section", x->rule->section);
		json_kv_str(&j, "rule", x->rule->text);
		json_kv_str(&j, "fields", x->rule->fields);
		json_key(&j, "detail");
		if (x->verdict == NS_FAIL)
			json_str(&j, x->detail);
		else
			json_null(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
}
