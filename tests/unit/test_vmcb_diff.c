/*
 * The vmcb12/vmcb02 diff's rules on made-up pages: every field of the VMCB
 * table has a rule (decoders/svm/diff_rules.def), and the computed ones
 * follow KVM's nested_vmcb02_prepare_control/_save: vmcb02's TSC offset is
 * vmcb01's + vmcb12's, its intercepts vmcb01's OR vmcb12's, its CR0 vmcb12's
 * but for CD/NW (KVM's quirk), and L2's RIP is stale only in L2.  Offsets
 * are the APM's (vol. 2 tables B-1, B-2), not the table's.
 */
#include "nestscope/vmcb_diff.h"
#include "testutil.h"

#define SAVE 0x400
static uint8_t p12[NS_VMCB_SIZE], p02[NS_VMCB_SIZE], p01[NS_VMCB_SIZE];

static void put(uint8_t *p, unsigned off, unsigned size, uint64_t v)
{
	for (unsigned i = 0; i < size; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

static void diff(bool l2, bool with01, struct ns_vmcb_diff *d)
{
	static struct ns_vmcb v12, v02, v01;

	ns_vmcb_from_page(&v12, NS_VMCB_COPY_VMCB12_MEMORY, p12, sizeof(p12));
	ns_vmcb_from_page(&v02, NS_VMCB_COPY_VMCB02, p02, sizeof(p02));
	ns_vmcb_from_page(&v01, NS_VMCB_COPY_VMCB01, p01, sizeof(p01));
	ns_diff_vmcb(&v12, &v02, with01 ? &v01 : NULL, l2, d);
}

static const struct ns_vmcb_diff_entry *entry(const struct ns_vmcb_diff *d, const char *name)
{
	for (unsigned i = 0; i < d->n; i++)
		if (!strcmp(d->e[i].field->name, name))
			return &d->e[i];
	fail_msg("%s does not differ", name);
	return NULL;
}

/* vmcb02 differs from vmcb12 in every byte: each field is judged by a rule of its own */
static void every_field_has_a_rule(void **state)
{
	static struct ns_vmcb_diff d;

	(void)state;
	memset(p12, 0, sizeof(p12));
	memset(p02, 0xa5, sizeof(p02));
	memset(p01, 0x5a, sizeof(p01));
	diff(true, true, &d);
	assert_int_equal(d.compared, ns_vmcb_field_count());
	assert_int_equal(d.n, ns_vmcb_field_count());
	for (unsigned i = 0; i < d.n; i++)
		if (strstr(d.e[i].reason, "no rule"))
			fail_msg("%s has no rule", d.e[i].field->name);
}

/* a vmcb02 as KVM builds it from these vmcb12 and vmcb01 */
static void build(void)
{
	memset(p12, 0, sizeof(p12));
	memset(p02, 0, sizeof(p02));
	memset(p01, 0, sizeof(p01));
	put(p12, 0x010, 4, 0x3);                  /* WORD4: VMRUN, VMMCALL */
	put(p01, 0x010, 4, 0x2 | 0xc);            /* L0: VMMCALL (dropped for L2), VMLOAD, VMSAVE */
	put(p02, 0x010, 4, 0x3 | 0xc);
	put(p12, 0x050, 8, 0x1000000);            /* TSC offsets */
	put(p01, 0x050, 8, 0xfffffff84129bc5cull);
	put(p02, 0x050, 8, 0xfffffff84229bc5cull);
	put(p12, SAVE + 0x158, 8, 0xe0000011);    /* CR0 with CD, NW ... */
	put(p02, SAVE + 0x158, 8, 0x80000011);    /* ... cleared by svm_set_cr0 */
	put(p12, SAVE + 0x178, 8, 0x102f0);       /* RIP: L1's, then L2's */
	put(p02, SAVE + 0x178, 8, 0x10323);
}

static void kvm_construction_is_expected(void **state)
{
	static struct ns_vmcb_diff d;

	(void)state;
	build();
	diff(true, true, &d);
	assert_int_equal(d.count[NS_DIFF_UNEXPLAINED], 0);
	assert_int_equal(entry(&d, "TSC_OFFSET")->cls, NS_DIFF_EXPECTED);
	assert_int_equal(entry(&d, "TSC_OFFSET")->check, NS_VCHK_VERIFIED);
	assert_int_equal(entry(&d, "INTERCEPT_WORD4")->check, NS_VCHK_VERIFIED);
	assert_int_equal(entry(&d, "CR0")->cls, NS_DIFF_EXPECTED);
	assert_int_equal(entry(&d, "RIP")->cls, NS_DIFF_STALE);
	assert_int_equal(d.needs_vmcb01, 0);
	/* without vmcb01 the same holds, but the TSC offset and intercepts could not be checked */
	diff(true, false, &d);
	assert_int_equal(d.count[NS_DIFF_UNEXPLAINED], 0);
	assert_int_equal(entry(&d, "TSC_OFFSET")->check, NS_VCHK_NEEDS_VMCB01);
	assert_int_equal(d.needs_vmcb01, 2);
	/* not known to be in L2: L2's RIP explains nothing */
	diff(false, true, &d);
	assert_int_equal(entry(&d, "RIP")->cls, NS_DIFF_UNEXPLAINED);
}

static void what_kvm_never_builds_is_unexplained(void **state)
{
	static struct ns_vmcb_diff d;

	(void)state;
	build();
	put(p02, 0x050, 8, 0xfffffff84229bc5dull);   /* not the sum */
	put(p02, 0x010, 4, 0x1 | 0xc);               /* vmcb12's VMMCALL intercept lost */
	put(p12, 0x000, 4, 1u << 16);                /* vmcb12 intercepts CR0 writes ... */
	put(p02, 0x000, 4, 1u << 16);
	put(p02, SAVE + 0x158, 8, 0x80040011);       /* ... yet vmcb02's CR0.AM differs */
	diff(true, true, &d);
	assert_int_equal(entry(&d, "TSC_OFFSET")->cls, NS_DIFF_UNEXPLAINED);
	assert_int_equal(entry(&d, "INTERCEPT_WORD4")->cls, NS_DIFF_UNEXPLAINED);
	assert_int_equal(entry(&d, "CR0")->cls, NS_DIFF_UNEXPLAINED);
	assert_int_equal(d.count[NS_DIFF_UNEXPLAINED], 3);
}

/* G_PAT: vmcb01's (nested_vmcb02_compute_g_pat); another only under nested NPT (the nested-gPAT patches) */
static void g_pat_is_vmcb01s_unless_nested_npt(void **state)
{
	static struct ns_vmcb_diff d;

	(void)state;
	build();
	put(p12, SAVE + 0x268, 8, 0x0007040600070406ull);
	put(p01, SAVE + 0x268, 8, 0x0007040600070406ull);
	put(p02, SAVE + 0x268, 8, 0x0000000000070406ull);
	diff(true, true, &d);
	assert_int_equal(entry(&d, "G_PAT")->cls, NS_DIFF_UNEXPLAINED);
	put(p12, 0x090, 8, 1);                       /* NP_ENABLE in vmcb12: nested NPT */
	put(p02, 0x090, 8, 1);
	diff(true, true, &d);
	assert_int_equal(entry(&d, "G_PAT")->cls, NS_DIFF_STALE);
	put(p02, SAVE + 0x268, 8, 0x0007040600070406ull);
	put(p12, SAVE + 0x268, 8, 0x0000000000070406ull);
	diff(true, true, &d);
	assert_int_equal(entry(&d, "G_PAT")->cls, NS_DIFF_EXPECTED);
}

/* ASID 0 in vmcb02: the host's once L2 ran; before the entry KVM has not given one yet (pre_svm_run) */
static void asid_zero_only_while_the_run_is_pending(void **state)
{
	static struct ns_vmcb_diff d;
	const struct ns_vmcb_diff_context pending = { .run_pending = true };
	static struct ns_vmcb v12, v02, v01;

	(void)state;
	build();
	put(p12, 0x058, 4, 1);                    /* ASID: L1's 1, vmcb02's still 0 */
	diff(true, true, &d);
	assert_int_equal(entry(&d, "ASID")->cls, NS_DIFF_UNEXPLAINED);
	ns_vmcb_from_page(&v12, NS_VMCB_COPY_VMCB12_MEMORY, p12, sizeof(p12));
	ns_vmcb_from_page(&v02, NS_VMCB_COPY_VMCB02, p02, sizeof(p02));
	ns_vmcb_from_page(&v01, NS_VMCB_COPY_VMCB01, p01, sizeof(p01));
	ns_diff_vmcb_ctx(&v12, &v02, &v01, &pending, &d);
	assert_int_equal(entry(&d, "ASID")->cls, NS_DIFF_EXPECTED);
	assert_true(d.ctx.guest_mode && d.ctx.run_pending);  /* a pending run is in guest mode */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_field_has_a_rule),
		cmocka_unit_test(kvm_construction_is_expected),
		cmocka_unit_test(what_kvm_never_builds_is_unexplained),
		cmocka_unit_test(g_pat_is_vmcb01s_unless_nested_npt),
		cmocka_unit_test(asid_zero_only_while_the_run_is_pending),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
