/* A vmcs12 region written by L1: decoded (wrong revision ids forced), rendered as text and JSON, checked. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ns_error err;
	struct ns_render_opts all = { NS_SECT_ALL, true };
	struct ns_nested_state ns;
	struct ns_report rep;
	struct ns_check_report checks;
	struct ns_out o = fuzz_out();

	if (ns_decode_buffer(data, size, NS_INPUT_VMCS12, true, "fuzz", &ns, &rep, &err) != NS_OK)
		return 0;
	ns_render_text(&o, &rep, &all);
	fuzz_render_json(&o, &rep, &all);
	ns_check_vmcs12(&rep.vmcs[0].vmcs, NULL, NULL, &checks);
	ns_render_checks_json(&o, &(struct ns_copy_ref){ .name = NS_CP_REGION, .label = "fuzz" }, NULL, &checks);
	return 0;
}
