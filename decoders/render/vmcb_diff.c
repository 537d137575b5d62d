/* The vmcb12/vmcb02 diff's report (vmcb-diff/1 and its text): the classes svm/diff.c gave each difference. */
#include <stdio.h>

#include "render/common.h"
#include "nestscope/vmcb_diff.h"

void ns_render_vmcb_diff_text(struct ns_out *o, const struct ns_copy_ref *a, const struct ns_copy_ref *b,
			      const struct ns_copy_ref *c, const struct ns_vmcb_diff *d, bool all)
{
	/* the ones that point at a bug first, as the VMCS diff lists them */
	static const enum ns_diff_class order[] = { NS_DIFF_UNEXPLAINED, NS_DIFF_STALE, NS_DIFF_EXPECTED };
	unsigned listed = 0;

	ns_printf(o, "A: %s (vmcb12)\nB: %s (vmcb02)\n", a->label, b->label);
	if (c)
		ns_printf(o, "vmcb01: %s\n", c->label);
	ns_printf(o, "mode: %s\n", d->ctx.run_pending ? "L2, run pending (vmcb02 is built for L1's VMRUN, not entered yet)"
		  : d->ctx.guest_mode ? "L2 (vmcb02 holds L2's live state)" : "not known to be in L2");
	ns_printf(o, "%u fields in both, %u equal, %u differ: %u expected, %u stale, %u unexplained\n", d->compared,
		  d->equal, d->n, d->count[NS_DIFF_EXPECTED], d->count[NS_DIFF_STALE], d->count[NS_DIFF_UNEXPLAINED]);
	if (d->n) {
		ns_printf(o, "%-22s %-18s %-18s %-11s %s\n", "FIELD", "A", "B", "CLASS", "REASON");
		for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
			if (order[k] == NS_DIFF_EXPECTED && !all && d->count[NS_DIFF_EXPECTED]) {
				ns_printf(o, "(%u expected differences: show them with the 'all' option)\n",
					  d->count[NS_DIFF_EXPECTED]);
				break;
			}
			for (unsigned i = 0; i < d->n; i++) {
				const struct ns_vmcb_diff_entry *e = &d->e[i];

				if (e->cls != order[k])
					continue;
				ns_printf(o, "%-22s %-18s %-18s %-11s %s%s\n", e->field->name, e->a_hex, e->b_hex,
					  ns_diff_class_name(e->cls), e->reason,
					  e->check == NS_VCHK_NEEDS_VMCB01 ? " [not verified: needs vmcb01]" : "");
			}
		}
	}
	if (!d->needs_vmcb01)
		return;
	/* the explanations that rest on vmcb01's values, named even when the table above hides them */
	ns_printf(o, "not verified without vmcb01 (--vmcb01 FILE):");
	for (unsigned i = 0; i < d->n; i++)
		if (d->e[i].check == NS_VCHK_NEEDS_VMCB01)
			ns_printf(o, "%s %s", listed++ ? "," : "", d->e[i].field->name);
	ns_printf(o, "\n");
}

void ns_render_vmcb_diff_json(struct ns_out *o, const struct ns_copy_ref *a, const struct ns_copy_ref *b,
			      const struct ns_copy_ref *c, const struct ns_vmcb_diff *d)
{
	struct json j;

	json_init(&j, o);
	json_obj_begin(&j);
	json_kv_str(&j, "schema", "nestscope/vmcb-diff/1");
	ns_emit_copy_ref(&j, "copy_a", a);
	ns_emit_copy_ref(&j, "copy_b", b);
	if (c) {
		ns_emit_copy_ref(&j, "copy_vmcb01", c);
	} else {
		json_key(&j, "copy_vmcb01");
		json_null(&j);
	}
	json_key(&j, "context");
	json_obj_begin(&j);
	json_kv_bool(&j, "vmcb12_vs_vmcb02", true);
	json_kv_str(&j, "mode", d->ctx.guest_mode ? "L2" : "L1");
	json_kv_bool(&j, "run_pending", d->ctx.run_pending);
	json_kv_bool(&j, "have_vmcb01", d->ctx.have_vmcb01);
	json_obj_end(&j);
	ns_emit_diff_count_members(&j, d->compared, d->equal, d->n, d->count);
	json_kv_uint(&j, "needs_vmcb01", d->needs_vmcb01);
	json_key(&j, "differences");
	json_arr_begin(&j);
	for (unsigned i = 0; i < d->n; i++) {
		const struct ns_vmcb_diff_entry *e = &d->e[i];

		json_obj_begin(&j);
		json_kv_uint(&j, "offset", ns_vmcb_field_offset(e->field));
		json_kv_str(&j, "area", ns_vmcb_area_name(e->field->area));
		json_kv_str(&j, "name", e->field->name);
		json_kv_str(&j, "member", e->field->kvm);
		json_kv_str(&j, "a", e->a_hex);
		json_kv_str(&j, "b", e->b_hex);
		if (d->ctx.have_vmcb01) {
			json_kv_str(&j, "vmcb01", e->c_hex);
		} else {
			json_key(&j, "vmcb01");
			json_null(&j);
		}
		json_kv_str(&j, "class", ns_diff_class_name(e->cls));
		json_kv_str(&j, "check", ns_vmcb_check_name(e->check));
		json_kv_str(&j, "explanation", e->reason);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
}
