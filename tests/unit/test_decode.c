/*
 * Decoding hostile or unusual input: what KVM would never write must be
 * reported (wrong revision, shadow bit, padding, dead space, CET block,
 * bytes past the struct, a header KVM would refuse) and what cannot be
 * decoded must fail cleanly.
 * Each case starts from a real blob and changes exactly the bytes named.
 */
#include "nestscope/decode.h"
#include "testutil.h"

#define VMCS12_AT 128  /* offsetof(struct kvm_nested_state, data) */

/* Each test gets its own copy of the real blob taken in L2, to change. */
struct fx {
	struct ns_nested_state ns;
	struct ns_report r;
	struct ns_error err;
	size_t len;
	uint8_t *b;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->b = test_slurp("samples/blobs/basic/nested_l2_guestmode_1.bin", &f->len);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->b);
	free(f);
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static bool has_finding(const struct ns_vmcs12_info *in, enum ns_finding_kind k)
{
	for (unsigned i = 0; i < in->nfindings; i++)
		if (in->findings[i].kind == k)
			return true;
	return false;
}

static int decode(struct fx *f, const uint8_t *b, size_t len, enum ns_input_format fmt, bool force)
{
	return ns_decode_buffer(b, len, fmt, force, "test", &f->ns, &f->r, &f->err);
}

static void raw_vmcs12_region_is_detected(void **state)
{
	struct fx *f = *state;
	uint8_t *b = f->b;

	assert_int_equal(decode(f, b + VMCS12_AT, 4096, NS_INPUT_AUTO, false), 0);
	assert_string_equal(f->r.format, "vmcs12");
	assert_null(f->r.ns);
	assert_int_equal(f->r.nvmcs, 1);
	assert_int_equal(f->r.vmcs[0].info.nfindings, 0);
}

static void wrong_revision_is_an_error_unless_forced(void **state)
{
	struct fx *f = *state;
	uint8_t *b = f->b;
	size_t len = f->len;

	put32(b + VMCS12_AT, 0x2b); /* Bochs's hardware VMCS revision, not a vmcs12 */
	assert_int_equal(decode(f, b, len, NS_INPUT_AUTO, false), NS_ERR_REVISION);
	assert_non_null(strstr(f->err.msg, "0x0000002b"));
	assert_int_equal(decode(f, b, len, NS_INPUT_AUTO, true), 0);
	assert_true(has_finding(&f->r.vmcs[0].info, NS_FIND_REVISION));
}

static void shadow_padding_dead_space_tail_and_cet_are_reported(void **state)
{
	struct fx *f = *state;
	uint8_t *b = f->b;
	size_t len = f->len;
	const struct ns_vmcs12_info *in;

	b[VMCS12_AT + 3] |= 0x80;      /* shadow-VMCS indicator, bit 31 of the revision dword */
	b[VMCS12_AT + 20] = 1;         /* padding[7] at 12..39 */
	b[VMCS12_AT + 380] = 1;        /* dead_space at 376..407 */
	b[VMCS12_AT + 704] = 1;        /* guest_s_cet in the CET block at 680..727 */
	b[VMCS12_AT + 2000] = 1;       /* past sizeof(struct vmcs12) = 998 */
	b[VMCS12_AT + 940] = 1;        /* padding32[7] at 932..959 */
	assert_int_equal(decode(f, b, len, NS_INPUT_AUTO, false), 0);
	in = &f->r.vmcs[0].info;
	assert_true(in->shadow);
	assert_int_equal(in->revision, 0x11e57ed0);
	assert_true(has_finding(in, NS_FIND_SHADOW_BIT));
	assert_true(has_finding(in, NS_FIND_PADDING));
	assert_true(has_finding(in, NS_FIND_DEAD_SPACE));
	assert_true(has_finding(in, NS_FIND_NEWER_FIELDS));
	assert_true(has_finding(in, NS_FIND_TAIL));
	for (unsigned i = 0; i < in->nfindings; i++) {
		if (in->findings[i].kind == NS_FIND_DEAD_SPACE)
			assert_int_equal(in->findings[i].offset, 380);
		/* a bare vmcs12 cannot say CET fields from padding: the note says both, and why */
		if (in->findings[i].kind == NS_FIND_NEWER_FIELDS) {
			assert_non_null(strstr(in->findings[i].text, "680..727"));
			assert_non_null(strstr(in->findings[i].text, "paddingl[] before"));
			assert_non_null(strstr(in->findings[i].text, "same revision id"));
		}
	}
}

/* The rules a verdict broke, as "id id ..." */
static const char *broken(const struct ns_blob_verdict *v)
{
	static char buf[512];
	size_t pos = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < v->n; i++)
		pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "%s%s", i ? " " : "", v->v[i].rule->id);
	return buf;
}

static void header_lies_fail_cleanly_or_are_judged(void **state)
{
	struct fx *f = *state;
	uint8_t *b = f->b;
	size_t len = f->len;

	/* truncated: the size field says 4224, fewer bytes are there */
	assert_int_equal(decode(f, b, 1000, NS_INPUT_NESTED_STATE, false), NS_ERR_TRUNCATED);
	assert_int_equal(decode(f, b, 64, NS_INPUT_NESTED_STATE, false), NS_ERR_TRUNCATED);
	/* a size field larger than the bytes present, and than anything KVM returns */
	put32(b + 4, 0x10000);
	assert_int_equal(decode(f, b, len, NS_INPUT_NESTED_STATE, false), NS_ERR_TRUNCATED);
	/* what the bytes still hold is decoded and judged as KVM would judge it */
	put32(b + 4, 1000);  /* GUEST_MODE with no room for the vmcs12, 3224 bytes past size */
	assert_int_equal(decode(f, b, len, NS_INPUT_NESTED_STATE, false), 0);
	assert_string_equal(broken(&f->r.blob), "blob.size.vmcs12 blob.size.file");
	assert_int_equal(f->r.nvmcs, 0);
	put32(b + 4, 100);   /* below the header */
	assert_int_equal(decode(f, b, len, NS_INPUT_NESTED_STATE, false), 0);
	assert_string_equal(broken(&f->r.blob), "blob.size.header blob.size.file");
	put32(b + 4, 4224);
	b[2] = 7;            /* a format that is neither VMX nor SVM */
	assert_int_equal(decode(f, b, len, NS_INPUT_NESTED_STATE, false), 0);
	assert_string_equal(broken(&f->r.blob), "blob.format");
	assert_int_equal(f->r.nvmcs, 0);
	/* ... which auto-detection does not take for a blob */
	assert_int_equal(decode(f, b, len, NS_INPUT_AUTO, false), NS_ERR_FORMAT);
	/* empty */
	assert_int_equal(decode(f, b, 0, NS_INPUT_AUTO, false), NS_ERR_TRUNCATED);
}

static void svm_blob_is_recognised(void **state)
{
	struct fx *f = *state;
	uint8_t *b = f->b;
	size_t len = f->len;

	b[2] = 1; /* KVM_STATE_NESTED_FORMAT_SVM */
	assert_int_equal(decode(f, b, len, NS_INPUT_AUTO, false), 0);
	assert_int_equal(f->ns.format, 1);
	assert_int_equal(f->r.nvmcs, 0);  /* a vmcb12 is not a vmcs12 */
	assert_int_equal(f->ns.vmcb_pa, 0x6000);
}

static void random_bytes_are_refused(void **state)
{
	struct fx *f = *state;
	uint8_t b[4096];
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(b); i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (uint8_t)(x >> 16);
	}
	assert_int_equal(decode(f, b, sizeof(b), NS_INPUT_AUTO, false), NS_ERR_FORMAT);
	assert_int_equal(decode(f, b, sizeof(b), NS_INPUT_VMCS12, false), NS_ERR_REVISION);
	/* forced, garbage decodes without reading past the buffer (ASan watches) */
	assert_int_equal(decode(f, b, sizeof(b), NS_INPUT_VMCS12, true), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(raw_vmcs12_region_is_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_revision_is_an_error_unless_forced, setup, teardown),
		cmocka_unit_test_setup_teardown(shadow_padding_dead_space_tail_and_cet_are_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(header_lies_fail_cleanly_or_are_judged, setup, teardown),
		cmocka_unit_test_setup_teardown(svm_blob_is_recognised, setup, teardown),
		cmocka_unit_test_setup_teardown(random_bytes_are_refused, setup, teardown),
	};
	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
