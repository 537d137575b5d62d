/* A hardware layout file (docs/layout-format.md): parsed; a layout it accepts decodes a region. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ns_error err;
	static struct ns_hwlayout l;
	static uint8_t region[4096];
	struct ns_vmcs12_info info;
	struct ns_out o = fuzz_out();

	if (ns_hwlayout_parse((const char *)data, size, "fuzz", &l, &err) != NS_OK)
		return 0;
	memset(region, 0x5a, sizeof(region));
	memcpy(region, &l.layout.revision, 4);
	ns_hwvmcs_inspect(region, sizeof(region), &l.layout, true, &info, &err);
	ns_hwlayout_write(&o, &l);
	for (size_t i = 0; i < l.layout.nslots; i++) {
		uint64_t v;
		struct ns_vmcs vm = { &l.layout, region, sizeof(region), "fuzz" };

		ns_vmcs_read_slot(&vm, &l.layout.slots[i], &v);
	}
	return 0;
}
