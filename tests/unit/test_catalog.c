/*
 * The field catalog against two independent sources: the SDM's encoding
 * rules (width, type, index and access type are bits of the encoding) and
 * Linux's enum vmcs_field (tests/data/linux-vmcs-fields.txt).
 */
#include <string.h>
#include <strings.h>

#include "nestscope/catalog.h"
#include "nestscope/checks.h"
#include "nestscope/vmcs12.h"
#include "testutil.h"

static void encodings_follow_the_sdm_rules(void **state)
{
	(void)state;
	assert_true(ns_field_count() > 150);
	for (size_t i = 0; i < ns_field_count(); i++) {
		const struct ns_field *f = ns_field_at(i);

		/* SDM "Field Encoding in VMCS": bit 0 access type (0 = full), bits 9:1
		 * index, 11:10 type, 12 reserved, 14:13 width, 31:15 reserved. */
		assert_int_equal(f->encoding & 1, 0);
		assert_true(ns_enc_reserved_clear(f->encoding));
		if (ns_enc_width(f->encoding) != (unsigned)f->width ||
		    ns_enc_type(f->encoding) != (unsigned)f->type)
			fail_msg("%s 0x%04x: catalog says width %s type %s, encoding bits say %s %s", f->name,
				 f->encoding, ns_width_name(f->width), ns_ftype_name(f->type),
				 ns_width_name((enum ns_width)ns_enc_width(f->encoding)),
				 ns_ftype_name((enum ns_ftype)ns_enc_type(f->encoding)));
		assert_int_equal(ns_enc_index(f->encoding), (f->encoding >> 1) & 0x1ff);
		/* the SDM checks key field values by width, type and index bits 5:0 */
		if (ns_enc_index(f->encoding) >= 64)
			fail_msg("%s has index %u: checks.c's KEY() needs widening", f->name, ns_enc_index(f->encoding));
		for (size_t j = 0; j < i; j++) {
			const struct ns_field *g = ns_field_at(j);
			if (g->encoding == f->encoding || !strcasecmp(g->name, f->name))
				fail_msg("%s and %s collide", f->name, g->name);
			/* the same (width, type, index) would be the same field */
			if (ns_enc_width(g->encoding) == ns_enc_width(f->encoding) &&
			    ns_enc_type(g->encoding) == ns_enc_type(f->encoding) &&
			    ns_enc_index(g->encoding) == ns_enc_index(f->encoding))
				fail_msg("%s and %s share an index", f->name, g->name);
		}
		assert_true(f->sdm_name && *f->sdm_name);
	}
}

static void high_halves_exist_only_for_64bit_fields(void **state)
{
	struct ns_field_ref ref;
	unsigned highs = 0;

	(void)state;
	for (size_t i = 0; i < ns_field_count(); i++) {
		const struct ns_field *f = ns_field_at(i);
		bool ok = ns_field_lookup(f->encoding | 1, &ref);

		assert_int_equal(ok, f->width == NS_W64);
		if (ok) {
			assert_ptr_equal(ref.field, f);
			assert_true(ref.high);
			highs++;
		}
	}
	assert_true(highs > 50);
	assert_true(ns_field_by_name("EPT_POINTER_HIGH", &ref));
	assert_int_equal(ref.field->encoding, 0x201a);
	assert_true(ref.high);
	assert_false(ns_field_by_name("GUEST_RIP_HIGH", &ref)); /* natural width: no HIGH */
}

static void matches_the_linux_enum(void **state)
{
	size_t len, n = 0;
	char *text = (char *)test_slurp("tests/data/linux-vmcs-fields.txt", &len);
	char *whole = strdup(text);  /* strtok cuts text; keep an uncut copy */
	char name[64];
	unsigned enc;
	struct ns_field_ref ref;

	(void)state;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '#')
			continue;
		assert_int_equal(sscanf(line, "%63s %x", name, &enc), 2);
		if (!ns_field_lookup(enc, &ref))
			fail_msg("Linux's %s 0x%04x is missing from the catalog", name, enc);
		if (strcmp(ref.field->name, name) || !ref.field->in_linux)
			fail_msg("0x%04x: Linux calls it %s, the catalog %s (in_linux=%d)", enc, name,
				 ref.field->name, ref.field->in_linux);
		n++;
	}
	/* and the other way round: every field marked in_linux is in Linux's list */
	for (size_t i = 0; i < ns_field_count(); i++) {
		const struct ns_field *f = ns_field_at(i);
		char needle[80];

		if (!f->in_linux)
			continue;
		snprintf(needle, sizeof(needle), "\n%s 0x%04x\n", f->name, f->encoding);
		if (!strstr(whole, needle))
			fail_msg("%s is marked in_linux but Linux's list lacks it", f->name);
	}
	assert_true(n >= 150);
	free(text);
	free(whole);
}

/* Fields the SDM defines and KVM's vmcs12 lacks: they must be in the catalog. */
static void has_the_fields_vmcs12_lacks(void **state)
{
	static const char *const names[] = {
		"PLE_GAP", "PLE_WINDOW", "TERTIARY_VM_EXEC_CONTROL", "IO_RCX", "IO_RSI", "IO_RDI",
		"IO_RIP", "GUEST_S_CET", "HOST_SSP", "GUEST_IA32_PKRS", "HOST_IA32_PKRS",
		"HLAT_PREFIX_SIZE", "PCONFIG_EXITING_BITMAP", "ENCLV_EXITING_BITMAP",
		"GUEST_IA32_FRED_CONFIG", "HOST_IA32_FRED_SSP3", "SHARED_EPT_POINTER", "NOTIFY_WINDOW",
		"EXECUTIVE_VMCS_POINTER", "GUEST_SMBASE", "SECONDARY_VM_EXIT_CONTROLS",
		"CR3_TARGET_VALUE0", "VE_INFORMATION_ADDRESS", "PID_POINTER_TABLE", "GUEST_UINV",
	};
	struct ns_field_ref ref;
	struct ns_slot slot;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!ns_field_by_name(names[i], &ref))
			fail_msg("%s is missing", names[i]);
		/* none of these has a slot every kernel fills */
		if (ns_layout_find(ns_vmcs12_layout(), ref.field->encoding, &slot))
			assert_int_equal(slot.kind, NS_SLOT_NEWER);
	}
}

/*
 * checks/3 lists what each SDM rule reads as an array of names a reader
 * looks up in the catalog: every name in checks.def's last column must be a
 * catalog field, spelled exactly (no globs, ranges or prose), or one of the
 * two header words that stand for the region's revision id and launch state.
 */
static void check_rules_read_catalog_fields(void **state)
{
	static const char *const header[] = { "REVISION_ID", "LAUNCH_STATE" };

	(void)state;
	assert_true(ns_rule_count() > 100);
	for (size_t i = 0; i < ns_rule_count(); i++) {
		const struct ns_rule *r = ns_rule_at(i);
		const char *p = r->fields;

		assert_true(*p != '\0');
		while (*p) {
			size_t len = strcspn(p, ",");
			char name[64];
			struct ns_field_ref ref;
			bool ok = false;

			if (len == 0 || len >= sizeof(name))
				fail_msg("%s: an empty or overlong name in \"%s\"", r->id, r->fields);
			memcpy(name, p, len);
			name[len] = '\0';
			for (size_t h = 0; h < sizeof(header) / sizeof(header[0]); h++)
				ok |= !strcmp(name, header[h]);
			if (!ok && ns_field_by_name(name, &ref) && !ref.high && !strcmp(ref.field->name, name))
				ok = true;
			if (!ok)
				fail_msg("%s reads \"%s\", which is no catalog field", r->id, name);
			p += len;
			if (*p) {
				/* joined by ", " exactly: the text output and the JSON split agree */
				if (strncmp(p, ", ", 2))
					fail_msg("%s: names not joined by \", \" in \"%s\"", r->id, r->fields);
				p += 2;
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encodings_follow_the_sdm_rules),
		cmocka_unit_test(high_halves_exist_only_for_64bit_fields),
		cmocka_unit_test(matches_the_linux_enum),
		cmocka_unit_test(has_the_fields_vmcs12_lacks),
		cmocka_unit_test(check_rules_read_catalog_fields),
	};
	return cmocka_run_group_tests_name("catalog", tests, NULL, NULL);
}
