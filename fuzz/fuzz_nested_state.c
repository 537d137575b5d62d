/*
 * A KVM_GET_NESTED_STATE blob (from a migration stream, a file): decoded and
 * rendered as text and JSON, as `decode FILE` detects it and as
 * `decode --format nested-state --maxphyaddr N` forces it (any format, any
 * size field the bytes hold), its header judged by every rule.
 */
#include "fuzz.h"

/* What every verdict must be, whatever the bytes: each rule at most once, in table order. */
static void check_verdict(const struct ns_blob_verdict *v)
{
	if (!v->judged || v->n > NS_BLOB_RULES || v->maxphyaddr < 1 || v->maxphyaddr > 63)
		__builtin_trap();
	for (unsigned i = 0; i < v->n; i++) {
		if (!v->v[i].rule || !memchr(v->v[i].detail, 0, sizeof(v->v[i].detail)) || !v->v[i].detail[0])
			__builtin_trap();
		if (i && v->v[i].rule <= v->v[i - 1].rule)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ns_error err;
	struct ns_render_opts opt = { NS_SECT_ALL, false }, hdr_only = { 0, false };
	struct ns_nested_state ns;
	struct ns_report rep;
	struct ns_out o = fuzz_out();

	if (ns_decode_buffer(data, size, NS_INPUT_AUTO, false, "fuzz", &ns, &rep, &err) == NS_OK) {
		if (rep.ns)
			check_verdict(&rep.blob);
		ns_render_text(&o, &rep, &opt);
		fuzz_render_json(&o, &rep, &opt);
	}
	if (ns_decode_buffer(data, size, NS_INPUT_NESTED_STATE, true, "fuzz", &ns, &rep, &err) != NS_OK)
		return 0;
	check_verdict(&rep.blob);
	/* L1's MAXPHYADDR from the last byte: 0 (the architectural limit) to 63 */
	ns_nested_state_judge(&ns, data[size - 1] & 63, &rep.blob);
	check_verdict(&rep.blob);
	/* the header and its verdict; the fields of a forced vmcs12 are fuzz_vmcs12's */
	ns_render_text(&o, &rep, &hdr_only);
	fuzz_render_json(&o, &rep, &hdr_only);
	return 0;
}
