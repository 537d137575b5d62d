/*
 * The built-in struct vmcs12 layout against the kernel's own DWARF, as
 * pahole printed it from Debian's 6.1.0-56 kvm-intel.ko debuginfo
 * (tests/data/pahole-vmcs12-6.1.0-56.txt).
 */
#include "nestscope/catalog.h"
#include "nestscope/vmcs12.h"
#include "testutil.h"

struct member {
	char name[64];
	unsigned off, size;
};

/* Parses pahole lines: a type, the member name, then a comment with offset and size. */
static size_t parse_pahole(struct member *m, size_t max, unsigned *total)
{
	size_t len, n = 0;
	char *text = (char *)test_slurp("tests/data/pahole-vmcs12-6.1.0-56.txt", &len);

	*total = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char name[64];
		unsigned off, size;
		char *semi = strchr(line, ';'), *cmt = strstr(line, "/*"), *br, *start;

		if (sscanf(line, " /* size: %u,", total) == 1)
			continue;
		if (!semi || !cmt || cmt < semi || sscanf(cmt, "/* %u %u */", &off, &size) != 2)
			continue;
		/* the member name is the last word before ';' */
		*semi = '\0';
		start = strrchr(line, ' ');
		start = start ? start + 1 : line;
		if (strchr(start, '\t'))
			start = strrchr(start, '\t') + 1;
		snprintf(name, sizeof(name), "%s", start);
		if ((br = strchr(name, '[')))
			*br = '\0';
		assert_true(n < max);
		snprintf(m[n].name, sizeof(m[n].name), "%s", name);
		m[n].off = off;
		m[n].size = size;
		n++;
	}
	free(text);
	return n;
}

static void matches_the_kernel_dwarf(void **state)
{
	const struct ns_layout *l = ns_vmcs12_layout();
	struct member m[200];
	unsigned total;
	size_t n = parse_pahole(m, 200, &total);

	(void)state;
	assert_int_equal(n, 149);               /* pahole: "members: 149" */
	assert_int_equal(total, NS_VMCS12_STRUCT_SIZE);
	assert_int_equal(l->struct_size, total);
	for (size_t i = 0; i < n; i++) {
		const struct ns_slot *s = NULL;
		unsigned covered = 0;

		for (size_t j = 0; j < l->nslots; j++)
			if (!strcmp(l->slots[j].member, m[i].name))
				s = &l->slots[j];
		if (!strcmp(m[i].name, "paddingl")) {
			/* 6.1 has paddingl[8] where newer kernels put the CET block: our slots
			 * must tile exactly that range, as CET (newer) fields and padding */
			for (size_t j = 0; j < l->nslots; j++) {
				const struct ns_slot *t = &l->slots[j];
				if (t->offset >= m[i].off && t->offset < m[i].off + m[i].size) {
					assert_true(t->kind == NS_SLOT_NEWER || t->kind == NS_SLOT_PAD);
					covered += t->size;
				}
			}
			assert_int_equal(covered, m[i].size);
			continue;
		}
		if (!s)
			fail_msg("kernel member %s (offset %u) is not in the layout", m[i].name, m[i].off);
		if (s->offset != m[i].off || s->size != m[i].size)
			fail_msg("%s: layout says %u+%u, the kernel %u+%u", m[i].name, s->offset, s->size,
				 m[i].off, m[i].size);
	}
}

static void slots_tile_the_struct(void **state)
{
	const struct ns_layout *l = ns_vmcs12_layout();
	unsigned next = 0;

	(void)state;
	for (size_t j = 0; j < l->nslots; j++) {
		assert_int_equal(l->slots[j].offset, next);
		next += l->slots[j].size;
	}
	assert_int_equal(next, NS_VMCS12_STRUCT_SIZE);
}

static void slot_sizes_match_field_widths(void **state)
{
	const struct ns_layout *l = ns_vmcs12_layout();
	struct ns_field_ref ref;

	(void)state;
	for (size_t j = 0; j < l->nslots; j++) {
		const struct ns_slot *s = &l->slots[j];
		if (s->encoding == NS_NOENC)
			continue;
		if (!ns_field_lookup(s->encoding, &ref))
			fail_msg("%s holds 0x%04x, which the catalog lacks", s->member, s->encoding);
		/* natural-width fields are 8 bytes in vmcs12 (natural_width is u64) */
		assert_int_equal(s->size, ns_width_bytes(ref.field->width));
	}
}

static void high_half_reads_the_upper_dword(void **state)
{
	struct ns_slot s;

	(void)state;
	assert_true(ns_layout_find(ns_vmcs12_layout(), 0x2011, &s)); /* TSC_OFFSET_HIGH */
	assert_int_equal(s.offset, 88 + 4);
	assert_int_equal(s.size, 4);
	assert_false(ns_layout_find(ns_vmcs12_layout(), 0x4021, &s)); /* PLE_GAP: no slot */
}

/* What a debugger's pretty-printer groups by: each member's field and its section, by the SDM's encoding. */
static void slots_name_their_field_and_section(void **state)
{
	const char *member, *field, *section;
	bool seen_rip = false, seen_hdr = false;
	size_t i = 0;

	(void)state;
	for (; ns_vmcs12_slot(i, &member, &field, &section); i++) {
		if (!strcmp(member, "guest_rip")) {
			/* GUEST_RIP is 0x681e: bits 11:10 (type) are 2, guest state (SDM Vol. 3D, Appendix B) */
			assert_string_equal(field, "GUEST_RIP");
			assert_string_equal(section, "guest");
			seen_rip = true;
		}
		if (!strcmp(member, "host_rip"))
			assert_string_equal(section, "host");
		if (!strcmp(member, "vm_exit_reason"))
			assert_string_equal(section, "exit-info");
		if (!strcmp(member, "pin_based_vm_exec_control"))
			assert_string_equal(section, "control");
		if (!strcmp(member, "launch_state")) {
			assert_null(field);
			assert_string_equal(section, "header");
			seen_hdr = true;
		}
		if (!strcmp(member, "padding"))
			assert_null(section);
	}
	assert_int_equal(i, ns_vmcs12_layout()->nslots);
	assert_true(seen_rip && seen_hdr);
	assert_string_equal(ns_launch_state_str(0), "clear");
	assert_string_equal(ns_launch_state_str(1), "launched");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(matches_the_kernel_dwarf),
		cmocka_unit_test(slots_tile_the_struct),
		cmocka_unit_test(slot_sizes_match_field_widths),
		cmocka_unit_test(high_half_reads_the_upper_dword),
		cmocka_unit_test(slots_name_their_field_and_section),
	};
	return cmocka_run_group_tests_name("vmcs12_layout", tests, NULL, NULL);
}
