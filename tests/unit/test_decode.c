/*
 * Decoding hostile or unusual input: what KVM would never write must be
 * reported (wrong revision, shadow bit, padding, dead space, CET block,
 * bytes past the struct) and what cannot be decoded must fail cleanly.
 * Each case starts from a real blob and changes exactly the bytes named.
 */
#include "nestscope/decode.h"
#include "testutil.h"

#define VMCS12_AT 128  /* offsetof(struct kvm_nested_state, data) */

static uint8_t *real_blob(size_t *len)
{
	return test_slurp("samples/blobs/basic/nested_l2_guestmode_1.bin", len);
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

static int decode(uint8_t *b, size_t len, enum ns_input_format fmt, bool force, struct ns_report *r,
		  struct ns_nested_state *ns, struct ns_error *err)
{
	return ns_decode_buffer(b, len, fmt, force, "test", ns, r, err);
}

static void raw_vmcs12_region_is_detected(void **state)
{
	struct ns_nested_state ns;
	struct ns_report r;
	struct ns_error err;
	size_t len;
	uint8_t *b = real_blob(&len);

	(void)state;
	assert_int_equal(decode(b + VMCS12_AT, 4096, NS_INPUT_AUTO, false, &r, &ns, &err), 0);
	assert_string_equal(r.format, "vmcs12");
	assert_null(r.ns);
	assert_int_equal(r.nvmcs, 1);
	assert_int_equal(r.vmcs[0].info.nfindings, 0);
	free(b);
}

static void wrong_revision_is_an_error_unless_forced(void **state)
{
	struct ns_nested_state ns;
	struct ns_report r;
	struct ns_error err;
	size_t len;
	uint8_t *b = real_blob(&len);

	(void)state;
	put32(b + VMCS12_AT, 0x2b); /* Bochs's hardware VMCS revision, not a vmcs12 */
	assert_int_equal(decode(b, len, NS_INPUT_AUTO, false, &r, &ns, &err), NS_ERR_REVISION);
	assert_non_null(strstr(err.msg, "0x0000002b"));
	assert_int_equal(decode(b, len, NS_INPUT_AUTO, true, &r, &ns, &err), 0);
	assert_true(has_finding(&r.vmcs[0].info, NS_FIND_REVISION));
	free(b);
}

static void shadow_padding_dead_space_tail_and_cet_are_reported(void **state)
{
	struct ns_nested_state ns;
	struct ns_report r;
	struct ns_error err;
	size_t len;
	uint8_t *b = real_blob(&len);
	const struct ns_vmcs12_info *in;

	(void)state;
	b[VMCS12_AT + 3] |= 0x80;      /* shadow-VMCS indicator, bit 31 of the revision dword */
	b[VMCS12_AT + 20] = 1;         /* padding[7] at 12..39 */
	b[VMCS12_AT + 380] = 1;        /* dead_space at 376..407 */
	b[VMCS12_AT + 704] = 1;        /* guest_s_cet in the CET block at 680..727 */
	b[VMCS12_AT + 2000] = 1;       /* past sizeof(struct vmcs12) = 998 */
	b[VMCS12_AT + 940] = 1;        /* padding32[7] at 932..959 */
	assert_int_equal(decode(b, len, NS_INPUT_AUTO, false, &r, &ns, &err), 0);
	in = &r.vmcs[0].info;
	assert_true(in->shadow);
	assert_int_equal(in->revision, 0x11e57ed0);
	assert_true(has_finding(in, NS_FIND_SHADOW_BIT));
	assert_true(has_finding(in, NS_FIND_PADDING));
	assert_true(has_finding(in, NS_FIND_DEAD_SPACE));
	assert_true(has_finding(in, NS_FIND_NEWER_FIELDS));
	assert_true(has_finding(in, NS_FIND_TAIL));
	for (unsigned i = 0; i < in->nfindings; i++)
		if (in->findings[i].kind == NS_FIND_DEAD_SPACE)
			assert_int_equal(in->findings[i].offset, 380);
	free(b);
}

static void header_lies_fail_cleanly(void **state)
{
	struct ns_nested_state ns;
	struct ns_report r;
	struct ns_error err;
	size_t len;
	uint8_t *b = real_blob(&len);

	(void)state;
	/* truncated: the size field says 4224, fewer bytes are there */
	assert_int_equal(decode(b, 1000, NS_INPUT_NESTED_STATE, false, &r, &ns, &err), NS_ERR_TRUNCATED);
	assert_int_equal(decode(b, 64, NS_INPUT_NESTED_STATE, false, &r, &ns, &err), NS_ERR_TRUNCATED);
	/* size field larger than anything KVM returns */
	put32(b + 4, 0x10000);
	assert_int_equal(decode(b, len, NS_INPUT_NESTED_STATE, false, &r, &ns, &err), NS_ERR_FORMAT);
	/* size field that is not header + whole 4 KiB regions */
	put32(b + 4, 1000);
	assert_int_equal(decode(b, len, NS_INPUT_NESTED_STATE, false, &r, &ns, &err), NS_ERR_FORMAT);
	/* size field below the header */
	put32(b + 4, 100);
	assert_int_equal(decode(b, len, NS_INPUT_NESTED_STATE, false, &r, &ns, &err), NS_ERR_FORMAT);
	/* a format that is neither VMX nor SVM */
	put32(b + 4, 4224);
	b[2] = 7;
	assert_int_equal(decode(b, len, NS_INPUT_NESTED_STATE, false, &r, &ns, &err), NS_ERR_FORMAT);
	/* empty */
	assert_int_equal(decode(b, 0, NS_INPUT_AUTO, false, &r, &ns, &err), NS_ERR_TRUNCATED);
	free(b);
}

static void svm_blob_is_recognised(void **state)
{
	struct ns_nested_state ns;
	struct ns_report r;
	struct ns_error err;
	size_t len;
	uint8_t *b = real_blob(&len);

	(void)state;
	b[2] = 1; /* KVM_STATE_NESTED_FORMAT_SVM */
	assert_int_equal(decode(b, len, NS_INPUT_AUTO, false, &r, &ns, &err), 0);
	assert_int_equal(ns.format, 1);
	assert_int_equal(r.nvmcs, 0);  /* a vmcb12 is not a vmcs12 */
	assert_int_equal(ns.vmcb_pa, 0x6000);
	free(b);
}

static void random_bytes_are_refused(void **state)
{
	struct ns_nested_state ns;
	struct ns_report r;
	struct ns_error err;
	uint8_t b[4096];
	uint32_t x = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(b); i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (uint8_t)(x >> 16);
	}
	assert_int_equal(decode(b, sizeof(b), NS_INPUT_AUTO, false, &r, &ns, &err), NS_ERR_FORMAT);
	assert_int_equal(decode(b, sizeof(b), NS_INPUT_VMCS12, false, &r, &ns, &err), NS_ERR_REVISION);
	/* forced, garbage decodes without reading past the buffer (ASan watches) */
	assert_int_equal(decode(b, sizeof(b), NS_INPUT_VMCS12, true, &r, &ns, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(raw_vmcs12_region_is_detected),
		cmocka_unit_test(wrong_revision_is_an_error_unless_forced),
		cmocka_unit_test(shadow_padding_dead_space_tail_and_cet_are_reported),
		cmocka_unit_test(header_lies_fail_cleanly),
		cmocka_unit_test(svm_blob_is_recognised),
		cmocka_unit_test(random_bytes_are_refused),
	};
	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
