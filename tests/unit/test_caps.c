/*
 * Capability files.  Every value is an unsigned 64-bit MSR: the allowed-1
 * half of a control MSR sets bit 63 (KVM 6.1 offered L1 primary controls
 * 0xf7f9fffe0401e172, as L1's RDMSR read them in the samples), so the
 * parser must not clamp at INT64_MAX.  Hostile files are refused.
 */
#include "nestscope/checks.h"
#include "nestscope/svm_checks.h"
#include "nestscope/decode.h"
#include "testutil.h"

static void values_keep_their_top_bit(void **state)
{
	static const char text[] = "# what L1 read with RDMSR\n"
				   "IA32_VMX_BASIC 0x00d8100011e57ed0\n"
				   "0x482 0xf7f9fffe0401e172\n"
				   "maxphyaddr 40\n"
				   "perf_global_ctrl_reserved 0xfffffff8fffffff0\n";
	struct ns_vmx_caps caps;
	struct ns_error err;

	(void)state;
	assert_int_equal(ns_caps_parse(text, strlen(text), "t", &caps, &err), NS_OK);
	assert_true(caps.have[0] && caps.have[2] && !caps.have[1]);
	assert_true(caps.msr[0] == 0x00d8100011e57ed0ull);
	assert_true(caps.msr[2] == 0xf7f9fffe0401e172ull);
	assert_int_equal(caps.maxphyaddr, 40);
	assert_true(caps.have_perf_global_ctrl_reserved);
	assert_true(caps.perf_global_ctrl_reserved == 0xfffffff8fffffff0ull);
}

static void hostile_caps_files_are_refused(void **state)
{
	static const char *const bad[] = {
		"0x482 0xf7f9fffe0401e172\n",            /* no IA32_VMX_BASIC */
		"IA32_VMX_BASIC\n",                      /* no value */
		"IA32_VMX_BASIC 0x11e57ed0 trailing\n",  /* junk after the value */
		"IA32_VMX_BASIC -1\n",                   /* negative */
		"IA32_VMX_BASIC zz\n",
		"IA32_VMX_BASIC 0x1\nIA32_VMX_NOPE 0x1\n",
		"IA32_VMX_BASIC 0x1\nmaxphyaddr 99\n",
	};
	struct ns_vmx_caps caps;
	struct ns_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ns_caps_parse(bad[i], strlen(bad[i]), "bad", &caps, &err) == NS_OK)
			fail_msg("accepted: %s", bad[i]);
}

/* The verdict of one rule. */
static enum ns_verdict verdict_of(const struct ns_check_report *rep, const char *id)
{
	for (unsigned i = 0; i < rep->n; i++)
		if (!strcmp(rep->r[i].rule->id, id))
			return rep->r[i].verdict;
	fail_msg("no rule %s", id);
	return NS_NA;
}

/*
 * IA32_PERF_GLOBAL_CTRL's reserved bits belong to L1's PMU (CPUID leaf 0AH),
 * not to the VMX capabilities: the rule is not applicable until a caps file
 * gives the mask, then judges by it.  Real vmcs12 (L1's rich configuration),
 * host value 0x10 loaded on exit: real KVM in Bochs refused that entry with
 * VMfailValid 8, its PMU having 4 general-purpose counters.
 */
static void perf_global_ctrl_needs_the_pmu(void **state)
{
	static const char text[] = "IA32_VMX_BASIC 0x00d8100011e57ed0\nperf_global_ctrl_reserved 0xfffffff8fffffff0\n";
	static struct ns_check_report rep;
	struct ns_vmx_caps profile, file;
	struct ns_nested_state ns;
	struct ns_report r;
	struct ns_error err;
	struct ns_slot exitc, pgc;
	size_t len;
	uint8_t *blob = test_slurp("samples/6.1.0-56-amd64/rich/nested_03_after_vmwrites.bin", &len);

	(void)state;
	assert_int_equal(ns_decode_buffer(blob, len, NS_INPUT_AUTO, false, "t", &ns, &r, &err), NS_OK);
	assert_true(ns_layout_find(r.vmcs[0].vmcs.layout, 0x400c, &exitc));
	assert_true(ns_layout_find(r.vmcs[0].vmcs.layout, 0x2c04, &pgc));
	blob[128 + exitc.offset + 1] |= 0x10;   /* VM-exit control 12: load IA32_PERF_GLOBAL_CTRL */
	blob[128 + pgc.offset] = 0x10;          /* counter 4 */
	assert_int_equal(ns_decode_buffer(blob, len, NS_INPUT_AUTO, false, "t", &ns, &r, &err), NS_OK);

	assert_true(ns_caps_profile("kvm-6.1-bochs-skylake-x", &profile));
	ns_check_vmcs12(&r.vmcs[0].vmcs, &profile, NULL, &rep);
	/* the rule applies (the control is set) but the profile has no PMU mask: not judged, not "n/a" */
	assert_int_equal(verdict_of(&rep, "host.perf_global_ctrl"), NS_NOT_JUDGED);

	assert_int_equal(ns_caps_parse(text, strlen(text), "t", &file, &err), NS_OK);
	ns_check_vmcs12(&r.vmcs[0].vmcs, &file, NULL, &rep);
	assert_int_equal(verdict_of(&rep, "host.perf_global_ctrl"), NS_FAIL);
	free(blob);
}

/*
 * The capability files people have: SDM names, Linux's MSR_ names, indices
 * (0x480, 480H), rdmsr-style lines ("0x480: d8100011e57ed0", hex without
 * 0x as rdmsr prints), CPUID leaves and L1's state.  Values from the SDM's
 * IA32_VMX_BASIC layout and KVM 6.1's offer (samples' manifests).
 */
static void caps_file_formats(void **state)
{
	static const char text[] =
		"# a mix of spellings\n"
		"IA32_VMX_BASIC 0x00d8100011e57ed0\n"
		"MSR_IA32_VMX_PINBASED_CTLS 0x0000007f00000016\n"
		"0x482 0xf7f9fffe0401e172\n"
		"483H 007fffff00036dff\n"
		"0x484: 0000f3ff000011ff\n"
		"0x485 = 20000165\n"
		"cpuid 0x7 0 0 0x800 0 0   # RTM\n"
		"maxphyaddr 39\n"
		"l1_efer 0x500\n"
		"debugctl_supported 0x3\n";
	static const char unknown[] = "IA32_VMX_BASIC 0x1\nIA32_VMX_BOGUS 0x2\n";
	static const char shortcpuid[] = "IA32_VMX_BASIC 0x1\ncpuid 0x7 0 0\n";
	struct ns_vmx_caps caps;
	struct ns_error err;

	(void)state;
	assert_int_equal(ns_caps_parse(text, strlen(text), "t", &caps, &err), NS_OK);
	assert_true(caps.have[0] && caps.msr[0] == 0x00d8100011e57ed0ull);
	assert_true(caps.have[1] && caps.msr[1] == 0x0000007f00000016ull);
	assert_true(caps.have[2] && caps.msr[2] == 0xf7f9fffe0401e172ull);
	assert_true(caps.have[3] && caps.msr[3] == 0x007fffff00036dffull);
	assert_true(caps.have[4] && caps.msr[4] == 0x0000f3ff000011ffull);
	assert_true(caps.have[5] && caps.msr[5] == 0x20000165ull);  /* rdmsr's hex, no 0x */
	assert_false(caps.have[6]);
	assert_int_equal(caps.maxphyaddr, 39);
	assert_true(caps.have_cpuid);
	assert_int_equal(caps.ncpuid, 1);
	assert_int_equal(caps.cpuid[0].function, 7);
	assert_int_equal(caps.cpuid[0].ebx, 0x800);
	assert_true(caps.have_l1_efer && caps.l1_efer == 0x500);
	assert_true(caps.have_debugctl_supported && caps.debugctl_supported == 3);
	assert_string_equal(ns_caps_msr_name(0x12), "IA32_VMX_PROCBASED_CTLS3");

	assert_int_equal(ns_caps_parse(unknown, strlen(unknown), "u", &caps, &err), NS_ERR_FORMAT);
	assert_non_null(strstr(err.msg, "u:2: unknown name IA32_VMX_BOGUS"));
	assert_non_null(strstr(err.msg, "check --help"));
	assert_int_equal(ns_caps_parse(shortcpuid, strlen(shortcpuid), "s", &caps, &err), NS_ERR_FORMAT);
	assert_non_null(strstr(err.msg, "cpuid FUNCTION INDEX EAX EBX ECX EDX"));
}

/*
 * An SVM caps file: L1's CPUID lines as the samples' cpuid.txt has them (the
 * EPYC L1 of samples/svm: CPUID 80000008h EAX 0x3028, so MAXPHYADDR 40), no
 * VMX MSR needed; a maxphyaddr line wins over the leaf; nothing known is no
 * MAXPHYADDR at all (0), never a default.
 */
static void svm_caps_files(void **state)
{
	static const char epyc[] = "cpuid 0x80000008 0 0x3028 0x2000000 0x0 0x0\n"
				   "cpuid 0x8000000a 0 0x1 0x8 0x0 0x10010021\n";
	static const char given[] = "cpuid 0x80000008 0 0x3028 0x2000000 0x0 0x0\nmaxphyaddr 48\n";
	static const char width_only[] = "maxphyaddr 36\n";
	static const char nothing[] = "# no line\n";
	static const char no_leaf[] = "cpuid 0x1 0 0x800f12 0x800 0x76f83203 0x78bfbfd\n";
	struct ns_vmx_caps caps;
	struct ns_error err;

	(void)state;
	assert_int_equal(ns_caps_parse_svm(epyc, strlen(epyc), "e", &caps, &err), NS_OK);
	assert_int_equal(caps.maxphyaddr, 40);
	assert_true(caps.have_cpuid && caps.ncpuid == 2 && caps.cpuid[1].edx == 0x10010021);
	assert_int_equal(ns_caps_parse_svm(given, strlen(given), "g", &caps, &err), NS_OK);
	assert_int_equal(caps.maxphyaddr, 48);
	assert_int_equal(ns_caps_parse_svm(width_only, strlen(width_only), "w", &caps, &err), NS_OK);
	assert_true(caps.maxphyaddr == 36 && !caps.have_cpuid);
	assert_int_equal(ns_caps_parse_svm(no_leaf, strlen(no_leaf), "n", &caps, &err), NS_OK);
	assert_int_equal(caps.maxphyaddr, 0);
	assert_int_equal(ns_caps_parse_svm(nothing, strlen(nothing), "x", &caps, &err), NS_ERR_FORMAT);
	/* the VMX parser still wants IA32_VMX_BASIC for the same file */
	assert_int_equal(ns_caps_parse(epyc, strlen(epyc), "e", &caps, &err), NS_ERR_FORMAT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(values_keep_their_top_bit),
		cmocka_unit_test(hostile_caps_files_are_refused),
		cmocka_unit_test(perf_global_ctrl_needs_the_pmu),
		cmocka_unit_test(caps_file_formats),
		cmocka_unit_test(svm_caps_files),
	};
	return cmocka_run_group_tests_name("caps", tests, NULL, NULL);
}
