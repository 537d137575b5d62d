/* A KVM_GET_NESTED_STATE blob (from a migration stream, a file): decoded and rendered as text and JSON. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ns_error err;
	struct ns_render_opts opt = { NS_SECT_ALL, false };
	struct ns_nested_state ns;
	struct ns_report rep;
	struct ns_out o = fuzz_out();

	if (ns_decode_buffer(data, size, NS_INPUT_AUTO, false, "fuzz", &ns, &rep, &err) != NS_OK)
		return 0;
	ns_render_text(&o, &rep, &opt);
	ns_render_json(&o, &rep, &opt);
	return 0;
}
