/*
 * Hardware layouts.  Bochs's built-in one against the offsets observed in a
 * real dump (vmcs02 of KVM 6.1 in Bochs 2.7, where each field's value was
 * matched with KVM's own software copies); layout files round trip and
 * hostile ones are refused.
 */
#include "nestscope/hwlayout.h"
#include "nestscope/session.h"
#include "testutil.h"

static void bochs_offsets_match_the_dump(void **state)
{
	/* encoding -> offset, as read in a real vmcs02 (samples/README.md, "The dump") */
	static const unsigned seen[][2] = {
		{ 0x4000, 0x810 }, { 0x4002, 0x818 }, { 0x401e, 0x888 }, { 0x400c, 0x840 }, { 0x4012, 0x858 },
		{ 0x681c, 0xe80 }, { 0x681e, 0xe88 }, { 0x6802, 0xe18 }, { 0x2800, 0x610 }, { 0x0000, 0x010 },
		{ 0x4402, 0x918 }, { 0x6c16, 0xf68 },
	};
	struct ns_hwlayout l;
	struct ns_slot s;

	(void)state;
	ns_hwlayout_bochs(&l);
	assert_int_equal(l.layout.revision, 0x2b);
	for (size_t i = 0; i < sizeof(seen) / sizeof(seen[0]); i++) {
		assert_true(ns_layout_find(&l.layout, seen[i][0], &s));
		if (s.offset != seen[i][1])
			fail_msg("0x%04x at 0x%x, the dump has it at 0x%x", seen[i][0], s.offset, seen[i][1]);
	}
	/* no two fields share bytes */
	for (size_t i = 0; i < l.layout.nslots; i++)
		for (size_t j = 0; j < i; j++) {
			const struct ns_slot *a = &l.slots[i], *b = &l.slots[j];
			if (a->offset < b->offset + b->size && b->offset < a->offset + a->size)
				fail_msg("%s and %s overlap", a->member, b->member);
		}
}

static void access_rights_are_rotated(void **state)
{
	/* Bochs keeps AR rotated left by 8: a stored 0x00a09b00 is 0xa09b */
	uint8_t region[4096] = { 0 };
	struct ns_hwlayout l;
	struct ns_slot s;
	uint64_t v;

	(void)state;
	ns_hwlayout_bochs(&l);
	assert_true(ns_layout_find(&l.layout, 0x4816, &s));
	region[s.offset + 1] = 0x9b;
	region[s.offset + 2] = 0xa0;
	struct ns_vmcs vm = { &l.layout, region, sizeof(region), "test" };
	assert_int_equal(ns_vmcs_read(&vm, 0x4816, &v, NULL), 0);
	assert_int_equal(v, 0xa09b);
}

static void write_out(void *ctx, const char *s, size_t n)
{
	char *buf = ctx;
	size_t have = strlen(buf);

	if (have + n < 65536) {
		memcpy(buf + have, s, n);
		buf[have + n] = '\0';
	}
}

static void layout_files_round_trip(void **state)
{
	static char text[65536];
	struct ns_hwlayout a, b;
	struct ns_error err;
	struct ns_out o = { write_out, text };

	(void)state;
	text[0] = '\0';
	ns_hwlayout_bochs(&a);
	ns_hwlayout_write(&o, &a);
	assert_int_equal(ns_hwlayout_parse(text, strlen(text), "roundtrip", &b, &err), 0);
	assert_int_equal(b.layout.revision, a.layout.revision);
	assert_int_equal(b.layout.nslots, a.layout.nslots);
	for (size_t i = 0; i < a.layout.nslots; i++) {
		assert_int_equal(a.slots[i].encoding, b.slots[i].encoding);
		assert_int_equal(a.slots[i].offset, b.slots[i].offset);
		assert_int_equal(a.slots[i].size, b.slots[i].size);
		assert_int_equal(a.slots[i].xform, b.slots[i].xform);
	}
}

static void hostile_layout_files_are_refused(void **state)
{
	static const char *const bad[] = {
		"revision 0x2b\nfield 0x681e 0xffc 8\n",         /* past the end of the region */
		"revision 0x2b\nfield 0x681f 0x10 8\n",          /* a HIGH encoding */
		"revision 0x2b\nfield 0x1234567 0x10 8\n",       /* not an encoding */
		"revision 0x2b\nfield 0x681e 0x10 3\n",          /* odd size */
		"revision 0x2b\nfield 0x681e 0x10 8 upside\n",   /* unknown storage */
		"field 0x681e 0x10 8\n",                         /* no revision */
		"revision 0x2b\nsize 99999\n",                   /* absurd size */
		"revision 0x2b\nnonsense\n",
	};
	struct ns_hwlayout l;
	struct ns_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ns_hwlayout_parse(bad[i], strlen(bad[i]), "bad", &l, &err) == NS_OK)
			fail_msg("accepted: %s", bad[i]);
	assert_int_equal(ns_hwlayout_for_revision(0x2b, NULL, 0, &l, &err), 0);
	assert_string_equal(l.name, "bochs-2.7-skylake-x");
	assert_int_not_equal(ns_hwlayout_for_revision(0x4, NULL, 0, &l, &err), 0);
}


/*
 * The enlightened VMCS: every field of the table resolves in the catalog, and
 * values put at the offsets the Hyper-V TLFS gives (as gathered in the
 * project's kernel-spec reference, independent of the table) read back
 * under their fields.
 */
static void evmcs_layout_matches_the_tlfs(void **state)
{
	static const struct {
		uint32_t enc;
		unsigned off, size;
	} tlfs[] = {
		{ 0x6c16, 80, 8 },   /* host_rip */
		{ 0x4000, 92, 4 },   /* pin_based_vm_exec_control */
		{ 0x2000, 104, 8 },  /* io_bitmap_a */
		{ 0x0800, 128, 2 },  /* guest_es_selector */
		{ 0x6806, 216, 8 },  /* guest_es_base */
		{ 0x2800, 416, 8 },  /* vmcs_link_pointer */
		{ 0x6800, 544, 8 },  /* guest_cr0 */
		{ 0x201a, 624, 8 },  /* ept_pointer */
		{ 0x0000, 632, 2 },  /* virtual_processor_id */
		{ 0x4402, 692, 4 },  /* vm_exit_reason */
		{ 0x6400, 720, 8 },  /* exit_qualification */
		{ 0x681c, 768, 8 },  /* guest_rsp */
		{ 0x6820, 776, 8 },  /* guest_rflags */
		{ 0x4002, 788, 4 },  /* cpu_based_vm_exec_control */
		{ 0x4012, 796, 4 },  /* vm_entry_controls */
		{ 0x681e, 816, 8 },  /* guest_rip */
		{ 0x2812, 896, 8 },  /* guest_bndcfgs */
		{ 0x202c, 960, 8 },  /* xss_exit_bitmap */
		{ 0x2032, 984, 8 },  /* tsc_multiplier */
	};
	static struct ns_hwlayout l;
	uint8_t page[4096] = { 1 };
	size_t lines = 0
#define EVMCS(name, offset, size) +1
#include "formats/evmcs_layout.def"
#undef EVMCS
		;

	(void)state;
	ns_hwlayout_evmcs(&l);
	assert_int_equal(l.layout.revision, 1);
	assert_int_equal(l.layout.nslots, 2 + lines); /* the header's two, and every line of the table */
	for (size_t i = 0; i < sizeof(tlfs) / sizeof(tlfs[0]); i++) {
		uint64_t want = 0x1122334455667788ull >> (8 * (8 - tlfs[i].size)), got = 0;
		struct ns_vmcs v = { &l.layout, page, sizeof(page), "test" };

		memcpy(page + tlfs[i].off, &want, tlfs[i].size);
		assert_int_equal(ns_vmcs_read(&v, tlfs[i].enc, &got, NULL), NS_OK);
		assert_true(got == want);
	}
}


/*
 * Revision 1 is also how a kvm_nested_state in guest mode begins (flags 1,
 * format VMX): a real blob must still decode as a blob, and a page with the
 * eVMCS layout's header (abort 0 where a blob has its size) as an eVMCS.
 */
static void revision_one_is_a_blob_or_an_evmcs(void **state)
{
	static char out[65536];
	struct ns_out o = { write_out, out };
	struct ns_cmd_opts opt = { 0 };
	size_t len;
	uint8_t *blob = test_slurp("samples/blobs/basic/nested_l2_guestmode_1.bin", &len);
	static uint8_t page[4096];

	(void)state;
	assert_int_equal(blob[0], 1);
	assert_int_equal(ns_cmd_region(blob, len, "blob", "/nonexistent", &opt, &o, NULL), NS_OK);
	assert_non_null(strstr(out, "KVM_GET_NESTED_STATE blob"));
	assert_null(strstr(out, "hyperv-evmcs"));
	out[0] = '\0';
	page[0] = 1;
	memcpy(page + 816, "\x42\x10\x00\x00\x00\x00\x00\x00", 8); /* guest_rip 0x1042 */
	assert_int_equal(ns_cmd_region(page, sizeof(page), "evmcs", "/nonexistent", &opt, &o, NULL), NS_OK);
	assert_non_null(strstr(out, "hyperv-evmcs-1"));
	assert_non_null(strstr(out, "0x0000000000001042"));
	free(blob);
}

/*
 * The JSON of a region read by address names its kind as scan does: an
 * eVMCS page (revision 1, TLFS) is "evmcs", a page with Bochs's revision
 * (0x2b, the built-in hardware layout) is "hardware-vmcs".
 */
static void region_json_names_its_kind(void **state)
{
	static char out[65536];
	static uint8_t page[4096];
	struct ns_out o = { write_out, out };
	struct ns_cmd_opts opt = { .json = true };

	(void)state;
	page[0] = 1;
	memcpy(page + 816, "\x42\x10\x00\x00\x00\x00\x00\x00", 8); /* guest_rip 0x1042 */
	assert_int_equal(ns_cmd_region(page, sizeof(page), "evmcs", "/nonexistent", &opt, &o, NULL), NS_OK);
	assert_non_null(strstr(out, "\"format\":\"evmcs\""));
	assert_non_null(strstr(out, "\"kind\":\"evmcs\""));
	assert_non_null(strstr(out, "\"layout\":\"hyperv-evmcs-1\""));
	memset(page, 0, sizeof(page));
	out[0] = '\0';
	page[0] = 0x2b;
	assert_int_equal(ns_cmd_region(page, sizeof(page), "vmcs", "/nonexistent", &opt, &o, NULL), NS_OK);
	assert_non_null(strstr(out, "\"format\":\"hardware-vmcs\""));
	assert_non_null(strstr(out, "\"kind\":\"hardware-vmcs\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(evmcs_layout_matches_the_tlfs),
		cmocka_unit_test(revision_one_is_a_blob_or_an_evmcs),
		cmocka_unit_test(region_json_names_its_kind),
		cmocka_unit_test(bochs_offsets_match_the_dump),
		cmocka_unit_test(access_rights_are_rotated),
		cmocka_unit_test(layout_files_round_trip),
		cmocka_unit_test(hostile_layout_files_are_refused),
	};
	return cmocka_run_group_tests_name("hwlayout", tests, NULL, NULL);
}
