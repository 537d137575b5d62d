/* vmcs12 against vmcs02: the input's first 4 KiB as a vmcs12, the next as a Bochs-layout hardware VMCS. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ns_hwlayout bochs;
	static struct ns_diff d;
	struct ns_diff_context ctx = { .vmcs12_vs_vmcs02 = true };
	struct ns_out o = fuzz_out();
	struct ns_vmcs a, b;
	const struct ns_copy_ref ra = { .name = NS_CP_REGION, .label = "fuzz A" };
	const struct ns_copy_ref rb = { .name = NS_CP_REGION, .label = "fuzz B" };

	if (size < 8192)
		return 0;
	if (!bochs.layout.nslots)
		ns_hwlayout_bochs(&bochs);
	ctx.guest_mode = data[4] & 1;
	ctx.rip_dirty = data[5] & 1;
	a = (struct ns_vmcs){ ns_vmcs12_layout(), data, 4096, "fuzz A" };
	b = (struct ns_vmcs){ &bochs.layout, data + 4096, 4096, "fuzz B" };
	ns_diff_vmcs(&a, &b, &ctx, &d);
	ns_render_diff_text(&o, &ra, &rb, &d, true);
	ns_render_diff_json(&o, &ra, &rb, NULL, &d);
	ctx.vmcs12_vs_vmcs02 = false;
	b = (struct ns_vmcs){ ns_vmcs12_layout(), data + 4096, 4096, "fuzz B" };
	ns_diff_vmcs(&a, &b, &ctx, &d);
	return 0;
}
