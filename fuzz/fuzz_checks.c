/* The SDM checks: a capabilities file, a NUL, then the vmcs12 they judge (and L1's memory after it). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ns_error err;
	const uint8_t *nul = memchr(data, 0, size);
	struct ns_vmx_caps caps;
	struct ns_check_report r;
	struct ns_guest_memory mem;
	struct ns_vmcs v;
	size_t rest;

	if (!nul || ns_caps_parse((const char *)data, (size_t)(nul - data), "fuzz", &caps, &err) != NS_OK)
		return 0;
	rest = size - (size_t)(nul + 1 - data);
	if (rest < NS_VMCS12_STRUCT_SIZE)
		return 0;
	v = (struct ns_vmcs){ ns_vmcs12_layout(), nul + 1, rest < 4096 ? rest : 4096, "fuzz" };
	mem = (struct ns_guest_memory){ .data = nul + 1, .len = rest };
	ns_check_vmcs12_entry(&v, &caps, &mem, NS_ENTRY_VMLAUNCH, &r);
	ns_check_vmcs12_entry(&v, &caps, &mem, NS_ENTRY_VMRESUME, &r);
	return 0;
}
