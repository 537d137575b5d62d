/*
 * The real KVM_GET_NESTED_STATE blobs in samples/blobs, decoded and checked
 * against what the harness that made them wrote and saw: its printed log
 * (harness-output.txt: each blob's header, vmcs12 revision/abort/launch
 * state, control words, L2's registers, exit reasons L1 saw) and its VMWRITE
 * table (vmwrites.txt).  No expected value here comes from the decoder.
 */
#include "nestscope/decode.h"
#include "nestscope/nested_state.h"
#include "nestscope/vmcs12.h"
#include "testutil.h"

struct expect_vmcs12 {
	bool have;
	unsigned rev, abort_, launch;
};

static uint64_t field(const struct ns_report *r, uint32_t enc)
{
	uint64_t v = 0;
	struct ns_error err;

	assert_true(r->nvmcs >= 1);
	if (ns_vmcs_read(&r->vmcs[0].vmcs, enc, &v, &err))
		fail_msg("reading 0x%04x: %s", enc, err.msg);
	return v;
}

static uint8_t *load_blob(const char *cfg, const char *tag, size_t *len)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "samples/blobs/%s/nested_%s.bin", cfg, tag);
	return test_slurp(rel, len);
}

static void check_vmwrites(const char *cfg, const char *tag, const struct ns_report *r)
{
	char rel[128];
	size_t len;
	char *text;
	unsigned n = 0;

	snprintf(rel, sizeof(rel), "samples/blobs/%s/vmwrites.txt", cfg);
	text = (char *)test_slurp(rel, &len);
	char *save;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned enc;
		unsigned long long want;

		if (line[0] == '#' || sscanf(line, "%x %llx", &enc, &want) != 2)
			continue;
		if (field(r, enc) != want)
			fail_msg("%s/%s: field 0x%04x is 0x%llx, L1 wrote 0x%llx", cfg, tag, enc,
				 (unsigned long long)field(r, enc), want);
		n++;
	}
	assert_true(n > 80);
	free(text);
}

static void check_config(const char *cfg)
{
	char rel[128], tag[64], last_l2[64] = "";
	size_t len;
	char *log;
	unsigned pin = 0, proc = 0, proc2 = 0, exitc = 0, entry = 0, pending_reason = 0, blobs = 0;
	bool have_controls = false, have_reason = false;

	snprintf(rel, sizeof(rel), "samples/blobs/%s/harness-output.txt", cfg);
	log = (char *)test_slurp(rel, &len);
	char *save;

	for (char *line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned flags, format, size, hflags, smm, rev, ab, ls, reason;
		unsigned long long vmxon, vmcs12, rip, rsp, rax, rflags, cr0, cr3, cr4, efer;

		if (sscanf(line, "controls: pin=0x%x proc=0x%x proc2=0x%x exit=0x%x entry=0x%x", &pin, &proc,
			   &proc2, &exitc, &entry) == 5 ||
		    sscanf(line, "controls: pin=0x%x proc=0x%x exit=0x%x entry=0x%x", &pin, &proc, &exitc,
			   &entry) == 4) {
			have_controls = true;
			continue;
		}
		if (sscanf(line, "  L1 saw VM exit reason %u", &reason) == 1) {
			have_reason = true;
			pending_reason = reason;
			continue;
		}
		if (sscanf(line, "  rip=0x%llx rsp=0x%llx rax=0x%llx rflags=0x%llx cr0=0x%llx cr3=0x%llx "
			   "cr4=0x%llx efer=0x%llx", &rip, &rsp, &rax, &rflags, &cr0, &cr3, &cr4, &efer) == 8) {
			/* printed right after a blob taken in L2: L2's registers = vmcs12 guest state */
			struct ns_nested_state ns;
			struct ns_report r;
			struct ns_error err;
			uint8_t *b;

			if (!*last_l2)
				continue;
			b = load_blob(cfg, last_l2, &len);
			assert_int_equal(ns_decode_buffer(b, len, NS_INPUT_AUTO, false, last_l2, &ns, &r, &err), 0);
			assert_int_equal(field(&r, 0x681e), rip);
			assert_int_equal(field(&r, 0x681c), rsp);
			assert_int_equal(field(&r, 0x6820), rflags);
			assert_int_equal(field(&r, 0x6800), cr0);
			assert_int_equal(field(&r, 0x6802), cr3);
			assert_int_equal(field(&r, 0x6804), cr4);
			if (field(&r, 0x4012) & (1u << 15)) /* VM-entry loads EFER: vmcs12 holds it */
				assert_int_equal(field(&r, 0x2806), efer);
			free(b);
			last_l2[0] = '\0';
			continue;
		}
		if (sscanf(line, "[%63[^]]] nested_state: flags=0x%x format=%u size=%u vmxon_pa=0x%llx "
			   "vmcs12_pa=0x%llx hdr.flags=0x%x smm.flags=0x%x",
			   tag, &flags, &format, &size, &vmxon, &vmcs12, &hflags, &smm) == 8) {
			struct ns_nested_state ns;
			struct ns_report r;
			struct ns_error err;
			uint8_t *b = load_blob(cfg, tag, &len);
			struct expect_vmcs12 ev = { false, 0, 0, 0 };
			char *next = line + strlen(line) + 1 < log + len ? line + strlen(line) + 1 : line + strlen(line);

			if (sscanf(next, "[%*[^]]] vmcs12: revision_id=0x%x abort=%u launch_state=%u", &rev, &ab,
				   &ls) == 3)
				ev = (struct expect_vmcs12){ true, rev, ab, ls };

			if (ns_decode_buffer(b, len, NS_INPUT_AUTO, false, tag, &ns, &r, &err))
				fail_msg("%s/%s: %s", cfg, tag, err.msg);
			assert_string_equal(r.format, "nested-state");
			assert_int_equal(ns.flags, flags);
			assert_int_equal(ns.format, format);
			assert_int_equal(ns.size, size);
			assert_int_equal(len, size);
			assert_int_equal(ns.vmxon_pa, vmxon);
			assert_int_equal(ns.vmcs12_pa, vmcs12);
			assert_int_equal(ns.vmx_flags, hflags);
			assert_int_equal(ns.smm_flags, smm);
			assert_int_equal(r.nvmcs, size > 128 ? 1 : 0);
			if (ev.have) {
				assert_int_equal(r.vmcs[0].info.revision, ev.rev);
				assert_int_equal(r.vmcs[0].info.abort, ev.abort_);
				assert_int_equal(r.vmcs[0].info.launch_state, ev.launch);
				assert_false(r.vmcs[0].info.shadow);
				/* KVM leaves padding and dead space zero */
				assert_int_equal(r.vmcs[0].info.nfindings, 0);
			}
			if (r.nvmcs && strcmp(tag, "after_vmptrld")) {
				/* the VMWRITEs are done: the control words and the whole table hold */
				assert_true(have_controls);
				assert_int_equal(field(&r, 0x4000), pin);
				assert_int_equal(field(&r, 0x4002), proc);
				assert_int_equal(field(&r, 0x401e), proc2);
				assert_int_equal(field(&r, 0x400c), exitc);
				assert_int_equal(field(&r, 0x4012), entry);
				check_vmwrites(cfg, tag, &r);
			}
			if (!strncmp(tag, "l2_guestmode", 12)) {
				assert_true(ns.flags & NS_NESTED_GUEST_MODE);
				snprintf(last_l2, sizeof(last_l2), "%s", tag);
			}
			if (have_reason && r.nvmcs) {
				/* the blob taken after L1 saw an exit holds that exit's reason */
				assert_int_equal(field(&r, 0x4402), pending_reason);
				have_reason = false;
			}
			free(b);
			blobs++;
		}
	}
	assert_int_equal(blobs, 8);
	free(log);
}

static void basic_blobs_match_the_harness(void **state)
{
	(void)state;
	check_config("basic");
}

static void rich_blobs_match_the_harness(void **state)
{
	(void)state;
	check_config("rich");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(basic_blobs_match_the_harness),
		cmocka_unit_test(rich_blobs_match_the_harness),
	};
	return cmocka_run_group_tests_name("samples", tests, NULL, NULL);
}
