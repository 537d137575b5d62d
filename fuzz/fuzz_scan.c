/*
 * Physical memory with VMCS pages in it: every page classified, validated
 * (page-table walks into the same memory), related, paired and rendered.
 */
#include "fuzz.h"

struct mem {
	const uint8_t *data;
	size_t len;
};

static bool rd(void *ctx, uint64_t pa, void *buf, size_t len)
{
	const struct mem *m = ctx;

	if (pa > m->len || len > m->len - pa)
		return false;
	memcpy(buf, m->data + pa, len);
	return true;
}

int fuzz_scan_memory(const uint8_t *data, size_t size);

int fuzz_scan_memory(const uint8_t *data, size_t size)
{
	static struct ns_scan s;
	static struct ns_hwlayout bochs;
	const struct ns_hwlayout *hw[1] = { &bochs };
	struct mem m = { data, size };
	struct ns_phys phys = { &m, rd };
	struct ns_out o = fuzz_out();

	if (!bochs.layout.nslots)
		ns_hwlayout_bochs(&bochs);
	memset(&s, 0, sizeof(s));
	for (size_t pa = 0; pa + 4096 <= size; pa += 4096)
		ns_scan_page(&s, data + pa, pa, &phys, hw, 1);
	ns_scan_relate(&s, &phys);
	for (size_t pa = 0; pa + 4096 <= size; pa += 4096)
		if (ns_scan_may_point(data + pa))
			ns_scan_pair_page(&s, data + pa, pa);
	ns_scan_pair_finish(&s);
	ns_render_scan_text(&o, "fuzz", &s);
	ns_render_scan_json(&o, "fuzz", &s);
	return 0;
}

#ifndef FUZZ_SCAN_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_scan_memory(data, size);
}
#endif
