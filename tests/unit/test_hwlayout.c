/*
 * Hardware layouts.  Bochs's built-in one against the offsets observed in a
 * real dump (vmcs02 of KVM 6.1 in Bochs 2.7, where each field's value was
 * matched with KVM's own software copies); layout files round trip and
 * hostile ones are refused.
 */
#include "nestscope/hwlayout.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bochs_offsets_match_the_dump),
		cmocka_unit_test(access_rights_are_rotated),
		cmocka_unit_test(layout_files_round_trip),
		cmocka_unit_test(hostile_layout_files_are_refused),
	};
	return cmocka_run_group_tests_name("hwlayout", tests, NULL, NULL);
}
