/* A hardware VMCS region (vmcs01/vmcs02 in a dump): the revision picks the layout, then decode and render. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ns_error err;
	struct ns_cmd_opts text = { 0 }, json = { .json = true, .force = true };
	struct ns_out o = fuzz_out();

	ns_cmd_region(data, size, "fuzz", "/nonexistent", &text, &o, &err);
	ns_cmd_region(data, size, "fuzz", "/nonexistent", &json, &o, &err);
	return 0;
}
