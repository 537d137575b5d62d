/* The diff's report (diff/2 and its text): the classes diff.c gave each difference. */
#include <stdio.h>

#include "render/common.h"

void ns_render_diff_text(struct ns_out *o, const struct ns_copy_ref *a, const struct ns_copy_ref *b,
			 const struct ns_diff *d, bool all)
{
	ns_printf(o, "A: %s\nB: %s\n", a->label, b->label);
	if (d->count[NS_DIFF_CHANGED])
		ns_printf(o, "%u fields in both, %u equal, %u changed\n", d->compared, d->equal, d->n);
	else
		ns_printf(o, "%u fields in both, %u equal, %u differ: %u expected, %u stale, %u unexplained\n",
			  d->compared, d->equal, d->n, d->count[NS_DIFF_EXPECTED], d->count[NS_DIFF_STALE],
			  d->count[NS_DIFF_UNEXPLAINED]);
	if (!d->n)
		return;
	ns_printf(o, "%-29s %-18s %-18s %-11s %s\n", "FIELD", "A", "B", "CLASS", "REASON");
	/* the ones that point at a bug first */
	static const enum ns_diff_class order[] = { NS_DIFF_UNEXPLAINED, NS_DIFF_CHANGED, NS_DIFF_STALE, NS_DIFF_EXPECTED };
	for (size_t k = 0; k < 4; k++) {
		enum ns_diff_class c = order[k];

		if (c == NS_DIFF_EXPECTED && !all && d->count[NS_DIFF_EXPECTED] > 0) {
			ns_printf(o, "(%u expected differences: show them with the 'all' option)\n",
				  d->count[NS_DIFF_EXPECTED]);
			break;
		}
		for (unsigned i = 0; i < d->n; i++) {
			const struct ns_diff_entry *e = &d->e[i];
			char va[24], vb[24];

			if (e->cls != c)
				continue;
			snprintf(va, sizeof(va), "0x%llx", (unsigned long long)e->a);
			snprintf(vb, sizeof(vb), "0x%llx", (unsigned long long)e->b);
			ns_printf(o, "%-29s %-18s %-18s %-11s %s\n", e->field->name, va, vb, ns_diff_class_name(e->cls),
				  e->reason);
		}
	}
}

/* What the classes were judged by: the vCPU's level and KVM's register cache */
static void emit_context(struct json *j, const struct ns_diff_context *c)
{
	json_key(j, "context");
	json_obj_begin(j);
	json_kv_bool(j, "vmcs12_vs_vmcs02", c->vmcs12_vs_vmcs02);
	json_kv_str(j, "mode", c->guest_mode ? "L2" : "L1");
	json_kv_bool(j, "in_l1", c->in_l1);
	json_kv_bool(j, "rip_dirty", c->rip_dirty);
	json_kv_bool(j, "rsp_dirty", c->rsp_dirty);
	json_obj_end(j);
}

void ns_render_diff_json(struct ns_out *o, const struct ns_copy_ref *a, const struct ns_copy_ref *b,
			 const struct ns_vcpu_ref *vcpu, const struct ns_diff *d)
{
	struct json j;
	char enc[8];

	json_init(&j, o);
	json_obj_begin(&j);
	json_kv_str(&j, "schema", "nestscope/diff/2");
	ns_emit_copy_ref(&j, "copy_a", a);
	ns_emit_copy_ref(&j, "copy_b", b);
	ns_emit_vcpu_ref(&j, "vcpu", vcpu);
	emit_context(&j, &d->ctx);
	ns_emit_diff_counts(&j, d);
	json_key(&j, "differences");
	json_arr_begin(&j);
	for (unsigned i = 0; i < d->n; i++) {
		const struct ns_diff_entry *e = &d->e[i];

		snprintf(enc, sizeof(enc), "0x%04x", e->field->encoding);
		json_obj_begin(&j);
		json_kv_str(&j, "encoding", enc);
		json_kv_str(&j, "name", e->field->name);
		json_kv_hex(&j, "a", e->a);
		json_kv_hex(&j, "b", e->b);
		json_kv_str(&j, "class", ns_diff_class_name(e->cls));
		json_kv_str(&j, "explanation", e->reason);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
}
