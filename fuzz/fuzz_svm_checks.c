/* The APM's VMRUN checks: an SVM caps file (cpuid and maxphyaddr lines), a NUL, then the VMCB page they judge. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	static struct ns_svm_check_report r;
	static struct ns_vmcb v;
	struct ns_vmx_caps caps;
	struct ns_error err;
	bool have_caps;
	size_t rest;

	if (!nul)
		return 0;
	have_caps = ns_caps_parse_svm((const char *)data, (size_t)(nul - data), "fuzz", &caps, &err) == NS_OK;
	rest = size - (size_t)(nul + 1 - data);
	/* a prefix holds the control area alone, or nothing: both are judged, the missing area's rules not */
	ns_vmcb_from_page(&v, NS_VMCB_COPY_REGION, nul + 1, rest);
	ns_check_vmcb12(&v, have_caps ? &caps : NULL, NULL, &r);
	ns_check_vmcb12(&v, have_caps ? &caps : NULL, "a blob's save area is vmcb01's", &r);
	return 0;
}
