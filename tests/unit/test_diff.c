/*
 * The vmcs12/vmcs02 diff's classes by where the vCPU is.  In L2, a guest
 * field vmcs12 lacks is stale (KVM copies it at the next exit to L1).  In L1
 * (the many-VMs sample holds such vCPUs), vmcs02 is what L2's last run left
 * and L1 may have written vmcs12 since: no difference is unexplained there.
 * When the vCPU's level is unknown (raw regions without --l2), a difference
 * no rule explains stays unexplained.
 */
#include "nestscope/diff.h"
#include "nestscope/vmcs12.h"
#include "testutil.h"

static uint8_t a[4096], b[4096];

static void put(uint8_t *buf, uint32_t enc, uint64_t v)
{
	struct ns_slot s;

	assert_true(ns_layout_find(ns_vmcs12_layout(), enc, &s));
	memcpy(buf + s.offset, &v, s.size);
}

/* The class of each field that differs, A against B, in one context. */
static void diff(const struct ns_diff_context *ctx, struct ns_diff *d)
{
	struct ns_vmcs va = { ns_vmcs12_layout(), a, sizeof(a), "vmcs12" };
	struct ns_vmcs vb = { ns_vmcs12_layout(), b, sizeof(b), "vmcs02" };

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	put(a, 0x681e, 0x1021f); /* GUEST_RIP: L1's VMWRITE */
	put(b, 0x681e, 0x10224); /* L2's RIP at its OUT */
	put(b, 0x2400, 0x3000);  /* GUEST_PHYSICAL_ADDRESS: an exit's, never copied back */
	ns_diff_vmcs(&va, &vb, ctx, d);
}

static const struct ns_diff_entry *entry(const struct ns_diff *d, uint32_t enc)
{
	for (unsigned i = 0; i < d->n; i++)
		if (d->e[i].field->encoding == enc)
			return &d->e[i];
	fail_msg("field 0x%x does not differ", enc);
	return NULL;
}

static void in_l2_guest_fields_are_stale(void **state)
{
	struct ns_diff_context ctx = { .vmcs12_vs_vmcs02 = true, .guest_mode = true };
	static struct ns_diff d;

	(void)state;
	diff(&ctx, &d);
	assert_int_equal(d.count[NS_DIFF_UNEXPLAINED], 0);
	assert_int_equal(entry(&d, 0x681e)->cls, NS_DIFF_STALE);
	assert_non_null(strstr(entry(&d, 0x681e)->reason, "L2 runs"));
}

static void in_l1_nothing_is_unexplained(void **state)
{
	struct ns_diff_context ctx = { .vmcs12_vs_vmcs02 = true, .in_l1 = true };
	static struct ns_diff d;

	(void)state;
	diff(&ctx, &d);
	assert_int_equal(d.count[NS_DIFF_UNEXPLAINED], 0);
	assert_int_equal(d.count[NS_DIFF_STALE], 2);
	assert_int_equal(entry(&d, 0x2400)->cls, NS_DIFF_STALE);
	assert_non_null(strstr(entry(&d, 0x2400)->reason, "L1 runs"));
}

static void level_unknown_stays_unexplained(void **state)
{
	struct ns_diff_context ctx = { .vmcs12_vs_vmcs02 = true };
	static struct ns_diff d;

	(void)state;
	diff(&ctx, &d);
	assert_int_equal(d.count[NS_DIFF_UNEXPLAINED], 2);
}

struct buf {
	char s[16384];
	size_t n;
};

static void buf_write(void *ctx, const char *s, size_t n)
{
	struct buf *out = ctx;

	assert_true(out->n + n < sizeof(out->s));
	memcpy(out->s + out->n, s, n);
	out->n += n;
	out->s[out->n] = '\0';
}

/* diff/2 shows what the classes were judged by and how many fields differ (the two diff() writes) */
static void json_shows_the_context_and_differ(void **state)
{
	struct ns_diff_context ctx = { .vmcs12_vs_vmcs02 = true, .guest_mode = true, .rip_dirty = true };
	const struct ns_copy_ref ra = { .name = NS_CP_REGION, .space = NS_AS_FILE_OFFSET, .label = "A" };
	const struct ns_copy_ref rb = { .name = NS_CP_REGION, .space = NS_AS_FILE_OFFSET, .address = 0x1000, .label = "B" };
	static struct ns_diff d;
	static struct buf json;
	struct ns_out o = { buf_write, &json };

	(void)state;
	diff(&ctx, &d);
	assert_int_equal(d.n, 2);
	ns_render_diff_json(&o, &ra, &rb, NULL, &d);
	assert_non_null(strstr(json.s, "\"schema\":\"nestscope/diff/2\""));
	assert_non_null(strstr(json.s, "\"context\":{\"vmcs12_vs_vmcs02\":true,\"mode\":\"L2\",\"in_l1\":false,"
				    "\"rip_dirty\":true,\"rsp_dirty\":false}"));
	assert_non_null(strstr(json.s, "\"differ\":2,"));
	assert_non_null(strstr(json.s, "\"vcpu\":null"));
	assert_non_null(strstr(json.s, "\"copy_b\":{\"name\":\"region\",\"address\":\"0x1000\",\"address_space\":\"file_offset\""));
	assert_non_null(strstr(json.s, "\"explanation\":"));
	assert_null(strstr(json.s, "\"reason\":"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(in_l2_guest_fields_are_stale),
		cmocka_unit_test(in_l1_nothing_is_unexplained),
		cmocka_unit_test(level_unknown_stays_unexplained),
		cmocka_unit_test(json_shows_the_context_and_differ),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
