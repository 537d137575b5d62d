/* The diff's report (diff/1 and its text): the classes diff.c gave each difference. */
#include <stdio.h>

#include "render/json.h"
#include "nestscope/diff.h"

void ns_render_diff_text(struct ns_out *o, const struct ns_vmcs *a, const struct ns_vmcs *b, const struct ns_diff *d,
			 bool all)
{
	ns_printf(o, "A: %s\nB: %s\n", a->copy, b->copy);
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

void ns_render_diff_json(struct ns_out *o, const struct ns_vmcs *a, const struct ns_vmcs *b, const struct ns_diff *d)
{
	struct json j;
	char enc[8];

	json_init(&j, o);
	json_obj_begin(&j);
	json_kv_str(&j, "schema", "nestscope/diff/1");
	json_kv_str(&j, "a", a->copy);
	json_kv_str(&j, "b", b->copy);
	json_kv_uint(&j, "compared", d->compared);
	json_kv_uint(&j, "equal", d->equal);
	json_key(&j, "counts");
	json_obj_begin(&j);
	for (int c = 0; c < 4; c++)
		json_kv_uint(&j, ns_diff_class_name((enum ns_diff_class)c), d->count[c]);
	json_obj_end(&j);
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
		json_kv_str(&j, "reason", e->reason);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
}
