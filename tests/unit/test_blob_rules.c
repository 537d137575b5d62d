/*
 * The blob header rules (blob_rules.def): every real blob KVM wrote (5.10,
 * 6.1 and 7.2, basic and rich configurations) breaks none of them; each case
 * of tests/data/blob-rule-cases.txt, a real blob with exactly the header field
 * a rule is about changed, breaks exactly the rule the case names, on each
 * kernel's blob; and every rule of the table has such a case.
 */
#include <ctype.h>
#include <glob.h>

#include "nestscope/decode.h"
#include "testutil.h"

static const char *ids(const struct ns_blob_verdict *v, char *buf, size_t n)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < v->n && pos < n; i++)
		pos += (size_t)snprintf(buf + pos, n - pos, "%s%s (%s)", i ? ", " : "", v->v[i].rule->id, v->v[i].detail);
	return v->n ? buf : "none";
}

static void real_blobs_break_no_rule(void **state)
{
	static const char *const patterns[] = { "samples/*/basic/*.bin", "samples/*/rich/*.bin" };
	size_t total = 0;
	char buf[2048];

	(void)state;
	for (size_t p = 0; p < 2; p++) {
		glob_t g;

		assert_int_equal(glob(test_path(patterns[p]), 0, NULL, &g), 0);
		for (size_t i = 0; i < g.gl_pathc; i++) {
			const char *rel = g.gl_pathv[i] + strlen(SRCDIR) + 1;
			struct ns_nested_state ns;
			struct ns_report r;
			struct ns_error err;
			size_t len;
			uint8_t *b = test_slurp(rel, &len);

			if (ns_decode_buffer(b, len, NS_INPUT_AUTO, false, rel, &ns, &r, &err))
				fail_msg("%s: %s", rel, err.msg);
			assert_non_null(r.ns);
			assert_true(r.blob.judged);
			assert_int_equal(r.blob.maxphyaddr, NS_MAXPHYADDR_ARCH);
			if (r.blob.n)
				fail_msg("%s, written by KVM, breaks %s", rel, ids(&r.blob, buf, sizeof(buf)));
			free(b);
			total++;
		}
		globfree(&g);
	}
	/* 5.10, 6.1 and 7.2: 11 basic and 12 rich blobs each */
	assert_true(total >= 3 * 23);
}

/* ---- the cases ---- */

static void put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Header fields at their UAPI offsets (struct kvm_nested_state). */
static const struct {
	const char *name;
	unsigned off, width;
} hdr_fields[] = {
	{ "flags", 0, 2 },      { "format", 2, 2 },     { "size", 4, 4 },      { "vmxon_pa", 8, 8 },
	{ "vmcb_pa", 8, 8 },    { "vmcs12_pa", 16, 8 }, { "smm.flags", 24, 2 }, { "vmx.pad", 26, 2 },
	{ "vmx.flags", 28, 4 }, { "preemption_timer_deadline", 32, 8 },
};

/* Applies "FIELD=VALUE ..." to a copy of the blob; returns it, its length and the MAXPHYADDR. */
static uint8_t *apply(const uint8_t *base, size_t blen, const char *edits, size_t *len, unsigned *maxphy, int line)
{
	size_t cap = blen > 16384 ? blen : 16384;
	uint8_t *b = calloc(1, cap);
	char copy[512], *save = NULL;

	assert_non_null(b);
	memcpy(b, base, blen);
	*len = blen;
	*maxphy = 0;
	snprintf(copy, sizeof(copy), "%s", edits);
	for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');
		uint64_t v;
		bool done = false;

		if (!eq)
			fail_msg("line %d: '%s' is not FIELD=VALUE", line, tok);
		*eq = '\0';
		v = !strcmp(eq + 1, "-1") ? ~0ull : strtoull(eq + 1, NULL, 0);
		if (!strcmp(tok, "file")) {
			assert_true(v <= cap);
			*len = (size_t)v;  /* cut, or extended by the zeros of calloc */
			continue;
		}
		if (!strcmp(tok, "maxphyaddr")) {
			*maxphy = (unsigned)v;
			continue;
		}
		if (!strncmp(tok, "byte@", 5)) {
			b[strtoul(tok + 5, NULL, 0)] = (uint8_t)v;
			continue;
		}
		for (size_t i = 0; i < sizeof(hdr_fields) / sizeof(hdr_fields[0]); i++)
			if (!strcmp(tok, hdr_fields[i].name)) {
				put(b + hdr_fields[i].off, v, hdr_fields[i].width);
				done = true;
			}
		if (!done)
			fail_msg("line %d: no header field '%s'", line, tok);
	}
	return b;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void each_case_breaks_exactly_its_rule(void **state)
{
	FILE *f = fopen(test_path("tests/data/blob-rule-cases.txt"), "r");
	bool covered[NS_BLOB_RULES] = { false };
	unsigned cases = 0, runs = 0;
	char line[1024], buf[2048];
	int lineno = 0;
	glob_t kernels;

	(void)state;
	assert_non_null(f);
	/* each kernel's samples: samples/<release>/ has basic/nested_00_before_vmxon.bin */
	assert_int_equal(glob(test_path("samples/*/basic/nested_00_before_vmxon.bin"), 0, NULL, &kernels), 0);
	assert_true(kernels.gl_pathc >= 3);
	while (fgets(line, sizeof(line), f)) {
		char *rule, *base, *edits, *bar;

		lineno++;
		if (line[0] == '#' || !*trim(line))
			continue;
		rule = trim(line);
		bar = strchr(rule, '|');
		assert_non_null(bar);
		*bar = '\0';
		base = bar + 1;
		bar = strchr(base, '|');
		assert_non_null(bar);
		*bar = '\0';
		edits = bar + 1;
		bar = strchr(edits, '|');
		assert_non_null(bar);
		*bar = '\0';
		rule = trim(rule);
		base = trim(base);
		edits = trim(edits);
		cases++;

		for (size_t k = 0; k < kernels.gl_pathc; k++) {
			char rel[512];
			const char *kdir = kernels.gl_pathv[k] + strlen(SRCDIR) + 1;
			struct ns_nested_state ns;
			struct ns_report r;
			struct ns_error err;
			size_t blen, len;
			unsigned maxphy;
			uint8_t *orig, *b;

			/* samples/<release>/basic/nested_00_before_vmxon.bin -> samples/<release>/<base> */
			snprintf(rel, sizeof(rel), "%.*s/%s", (int)(strstr(kdir, "/basic/") - kdir), kdir, base);
			orig = test_slurp(rel, &blen);
			b = apply(orig, blen, edits, &len, &maxphy, lineno);
			if (ns_decode_buffer(b, len, NS_INPUT_NESTED_STATE, false, rel, &ns, &r, &err))
				fail_msg("line %d, %s: %s", lineno, rel, err.msg);
			if (maxphy)
				ns_nested_state_judge(&ns, maxphy, &r.blob);
			if (!strcmp(rule, "-")) {
				if (r.blob.n)
					fail_msg("line %d, %s [%s]: want no rule, got %s", lineno, rel, edits,
						 ids(&r.blob, buf, sizeof(buf)));
			} else if (r.blob.n != 1 || strcmp(r.blob.v[0].rule->id, rule)) {
				fail_msg("line %d, %s [%s]: want exactly %s, got %s", lineno, rel, edits, rule,
					 ids(&r.blob, buf, sizeof(buf)));
			} else {
				covered[r.blob.v[0].rule - ns_blob_rule_at(0)] = true;
				/* the detail says the value that breaks the rule, and the limit a range used */
				assert_true(strlen(r.blob.v[0].detail) > 10);
				if (strstr(rule, ".range"))
					assert_non_null(strstr(r.blob.v[0].detail, maxphy ? "as given" : "architectural"));
			}
			runs++;
			free(b);
			free(orig);
		}
	}
	fclose(f);
	globfree(&kernels);
	for (size_t i = 0; i < ns_blob_rule_count(); i++)
		if (!covered[i])
			fail_msg("rule %s has no case in tests/data/blob-rule-cases.txt", ns_blob_rule_at(i)->id);
	assert_true(cases >= ns_blob_rule_count());
	print_message("%u cases, %u blobs judged\n", cases, runs);
}

/* The table: ids unique and in the blob.* namespace, every rule cites the kernel. */
static void rule_table_is_sound(void **state)
{
	(void)state;
	assert_int_equal(ns_blob_rule_count(), NS_BLOB_RULES);
	for (size_t i = 0; i < ns_blob_rule_count(); i++) {
		const struct ns_blob_rule *r = ns_blob_rule_at(i);

		assert_int_equal(strncmp(r->id, "blob.", 5), 0);
		assert_non_null(strstr(r->kernel, "_nested_state") ? r->kernel : strstr(r->kernel, "KVM_SET_NESTED_STATE"));
		assert_true(strlen(r->text) > 20);
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(r->id, ns_blob_rule_at(k)->id);
	}
	assert_null(ns_blob_rule_at(ns_blob_rule_count()));
}

/* Flags by name where known, unknown bits kept (the table is the only source of names). */
static void flag_names_come_from_the_table(void **state)
{
	(void)state;
	assert_int_equal(ns_nested_known_flags(NS_NESTED_WORD_FLAGS), 0x10f);
	assert_int_equal(ns_nested_known_flags(NS_NESTED_WORD_SMM), 0x3);
	assert_int_equal(ns_nested_known_flags(NS_NESTED_WORD_VMX), 0x1);
	assert_string_equal(ns_nested_flag_name(NS_NESTED_WORD_FLAGS, 8), "GIF_SET");
	assert_string_equal(ns_nested_flag_name(NS_NESTED_WORD_SMM, 1), "VMXON");
	assert_string_equal(ns_nested_flag_macro(NS_NESTED_WORD_SMM, 1), "KVM_STATE_NESTED_SMM_VMXON");
	assert_null(ns_nested_flag_name(NS_NESTED_WORD_FLAGS, 4));
	assert_int_equal(NS_NESTED_MTF_PENDING, 0x8);
	assert_int_equal(NS_NESTED_VMX_PREEMPTION_TIMER_DEADLINE, 0x1);
}

/* What cannot be judged does not decode: a header cut short, a size past the bytes. */
static void truncated_blobs_are_errors_not_rules(void **state)
{
	struct ns_nested_state ns;
	struct ns_report r;
	struct ns_error err;
	size_t len;
	uint8_t *b = test_slurp("samples/6.1.0-56-amd64/basic/nested_02_after_vmptrld.bin", &len);

	(void)state;
	assert_int_equal(ns_decode_buffer(b, 100, NS_INPUT_NESTED_STATE, false, "t", &ns, &r, &err), NS_ERR_TRUNCATED);
	assert_int_equal(ns_decode_buffer(b, 4000, NS_INPUT_NESTED_STATE, false, "t", &ns, &r, &err), NS_ERR_TRUNCATED);
	assert_non_null(strstr(err.msg, "4224"));
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rule_table_is_sound),
		cmocka_unit_test(flag_names_come_from_the_table),
		cmocka_unit_test(real_blobs_break_no_rule),
		cmocka_unit_test(each_case_breaks_exactly_its_rule),
		cmocka_unit_test(truncated_blobs_are_errors_not_rules),
	};
	return cmocka_run_group_tests_name("blob_rules", tests, NULL, NULL);
}
