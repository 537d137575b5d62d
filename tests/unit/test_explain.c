/*
 * Symbolic decoding, checked against the SDM's definitions of each format
 * (segment access rights, exit reason, exit qualifications, interruption
 * information, control registers, capability MSRs).
 */
#include "decoding.h"

static void access_rights(void **state)
{
	struct ns_decoding d;
	const char *sym;

	(void)state;
	/* 64-bit code segment: type 1011b (execute/read, accessed), S, DPL 0, P, L, G */
	assert_true(ns_explain(NS_DEC_AR, 0xa09b, NULL, &d));
	assert_int_equal(value_of(&d, "type", &sym), 0xb);
	assert_string_equal(sym, "code XR accessed");
	assert_int_equal(value_of(&d, "dpl", NULL), 0);
	assert_true(has_flag(&d, "S") && has_flag(&d, "P") && has_flag(&d, "L") && has_flag(&d, "G"));
	assert_false(has_flag(&d, "DB") || has_flag(&d, "UNUSABLE") || has_reserved(&d));
	/* busy 64-bit TSS: system descriptor type 1011b */
	assert_true(ns_explain(NS_DEC_AR, 0x8b, NULL, &d));
	assert_string_equal((value_of(&d, "type", &sym), sym), "32/64-bit TSS busy");
	assert_false(has_flag(&d, "S"));
	/* the unusable bit (16) */
	assert_true(ns_explain(NS_DEC_AR, 0x10000, NULL, &d));
	assert_true(has_flag(&d, "UNUSABLE"));
	/* bits 11:8 are reserved */
	assert_true(ns_explain(NS_DEC_AR, 0xa19b, NULL, &d));
	assert_true(has_reserved(&d));
}

static void exit_reasons(void **state)
{
	struct ns_decoding d;
	const char *sym;

	(void)state;
	/* 33 = VM-entry failure due to invalid guest state, bit 31 = VM-entry failure */
	assert_true(ns_explain(NS_DEC_EXIT_REASON, 0x80000021, NULL, &d));
	assert_int_equal(value_of(&d, "basic", &sym), 33);
	assert_string_equal(sym, "INVALID_STATE");
	assert_true(has_flag(&d, "FAILED_VMENTRY"));
	assert_true(ns_explain(NS_DEC_EXIT_REASON, 18, NULL, &d));
	assert_string_equal((value_of(&d, "basic", &sym), sym), "VMCALL");
	assert_string_equal(ns_exit_reason_name(48), "EPT_VIOLATION");
	assert_string_equal(ns_exit_reason_name(12), "HLT");
	assert_null(ns_exit_reason_name(35)); /* not defined by the SDM */
	/* bit 27: exit from enclave mode */
	assert_true(ns_explain(NS_DEC_EXIT_REASON, (1u << 27) | 10, NULL, &d));
	assert_true(has_flag(&d, "ENCLAVE_MODE"));
}

static void exit_qualifications(void **state)
{
	struct ns_context ctx = { .have_exit_reason = true };
	struct ns_decoding d;
	const char *sym;

	(void)state;
	/* I/O: OUT DX? no: port 0x10 in bits 31:16, 4-byte (size-1 = 3), IN (bit 3), imm (bit 6) */
	ctx.exit_reason = 30;
	assert_true(ns_explain(NS_DEC_EXIT_QUAL, (0x10u << 16) | (1u << 6) | (1u << 3) | 3, &ctx, &d));
	assert_int_equal(value_of(&d, "port", NULL), 0x10);
	assert_int_equal(value_of(&d, "size", NULL), 4);
	assert_string_equal((value_of(&d, "direction", &sym), sym), "IN");
	assert_string_equal((value_of(&d, "operand", &sym), sym), "immediate");
	/* CR access: MOV to CR3 from RBX = cr 3, access 0, gpr 3 in bits 11:8 */
	ctx.exit_reason = 28;
	assert_true(ns_explain(NS_DEC_EXIT_QUAL, 0x303, &ctx, &d));
	assert_int_equal(value_of(&d, "cr", NULL), 3);
	assert_string_equal((value_of(&d, "access", &sym), sym), "MOV_TO_CR");
	assert_string_equal((value_of(&d, "gpr", &sym), sym), "RBX");
	/* EPT violation: write (bit 1), readable (3), GLA valid (7), translated (8) */
	ctx.exit_reason = 48;
	assert_true(ns_explain(NS_DEC_EXIT_QUAL, 0x18a, &ctx, &d));
	assert_true(has_flag(&d, "WRITE") && has_flag(&d, "READABLE") && has_flag(&d, "GLA_VALID") &&
		    has_flag(&d, "GVA_TRANSLATED"));
	assert_false(has_flag(&d, "READ"));
	/* MOV DR: MOV from DR7 to RAX: dr 7, direction 1 */
	ctx.exit_reason = 29;
	assert_true(ns_explain(NS_DEC_EXIT_QUAL, 0x17, &ctx, &d));
	assert_int_equal(value_of(&d, "dr", NULL), 7);
	assert_string_equal((value_of(&d, "direction", &sym), sym), "MOV_FROM_DR");
	/* task switch via IRET (source 1 in bits 31:30) to selector 0x28 */
	ctx.exit_reason = 9;
	assert_true(ns_explain(NS_DEC_EXIT_QUAL, (1u << 30) | 0x28, &ctx, &d));
	assert_string_equal((value_of(&d, "source", &sym), sym), "IRET");
	/* APIC access: linear write (type 1) at offset 0xb0 (EOI) */
	ctx.exit_reason = 44;
	assert_true(ns_explain(NS_DEC_EXIT_QUAL, 0x10b0, &ctx, &d));
	assert_int_equal(value_of(&d, "offset", NULL), 0xb0);
	assert_string_equal((value_of(&d, "access", &sym), sym), "LINEAR_WRITE");
	/* failed entry, invalid VMCS link pointer: qualification 4 */
	ctx.exit_reason = 0x80000021;
	assert_true(ns_explain(NS_DEC_EXIT_QUAL, 4, &ctx, &d));
	assert_int_equal(value_of(&d, "entry_failure", &sym), 4);
	assert_non_null(strstr(sym, "VMCS_LINK_PTR"));
	/* #DB exit: B1 and BS in the qualification */
	ctx.exit_reason = 0;
	ctx.have_exit_intr_info = true;
	ctx.exit_intr_info = 0x80000301; /* valid, hardware exception, vector 1 */
	assert_true(ns_explain(NS_DEC_EXIT_QUAL, (1u << 14) | 2, &ctx, &d));
	assert_true(has_flag(&d, "B1") && has_flag(&d, "BS"));
}

static void interruption_info(void **state)
{
	struct ns_decoding d;
	const char *sym;

	(void)state;
	/* #PF injection: vector 14, type 3, deliver error code (11), valid (31) */
	assert_true(ns_explain(NS_DEC_INTR_INFO, 0x80000b0e, NULL, &d));
	assert_int_equal(value_of(&d, "vector", &sym), 14);
	assert_string_equal(sym, "#PF");
	assert_string_equal((value_of(&d, "type", &sym), sym), "HW_EXCEPTION");
	assert_true(has_flag(&d, "DELIVER_ERROR_CODE") && has_flag(&d, "VALID"));
	assert_true(ns_explain(NS_DEC_INTR_INFO, 0, NULL, &d));
	assert_non_null(item(&d, "not valid"));
	/* bits 30:12 are reserved on entry */
	assert_true(ns_explain(NS_DEC_INTR_INFO, 0x80100202, NULL, &d));
	assert_true(has_reserved(&d));
}

static void registers(void **state)
{
	struct ns_decoding d;
	const char *sym;

	(void)state;
	assert_true(ns_explain(NS_DEC_CR0, 0x80000033, NULL, &d));
	assert_true(has_flag(&d, "PE") && has_flag(&d, "MP") && has_flag(&d, "ET") && has_flag(&d, "NE") &&
		    has_flag(&d, "PG"));
	assert_int_equal(d.n, 5);
	assert_true(ns_explain(NS_DEC_CR4, 0x2020, NULL, &d));
	assert_true(has_flag(&d, "PAE") && has_flag(&d, "VMXE"));
	assert_true(ns_explain(NS_DEC_EFER, 0x500, NULL, &d));
	assert_true(has_flag(&d, "LME") && has_flag(&d, "LMA"));
	assert_true(ns_explain(NS_DEC_EFER, 1u << 1, NULL, &d)); /* EFER bit 1 is reserved */
	assert_true(has_reserved(&d));
	assert_true(ns_explain(NS_DEC_RFLAGS, 0x3202, NULL, &d));
	assert_true(has_flag(&d, "IF"));
	assert_int_equal(value_of(&d, "iopl", NULL), 3);
	assert_false(has_reserved(&d));
	assert_true(ns_explain(NS_DEC_RFLAGS, 0x0, NULL, &d)); /* bit 1 must be 1 */
	assert_true(has_reserved(&d));
	assert_true(ns_explain(NS_DEC_DR7, 0x400, NULL, &d));
	assert_false(has_reserved(&d));
	assert_true(ns_explain(NS_DEC_DR7, 0x100000400ull, NULL, &d)); /* bits 63:32 must be 0 */
	assert_true(has_reserved(&d));
	assert_true(ns_explain(NS_DEC_ACTIVITY, 1, NULL, &d));
	assert_string_equal((value_of(&d, "state", &sym), sym), "HLT");
	assert_true(ns_explain(NS_DEC_INTERRUPTIBILITY, 3, NULL, &d));
	assert_true(has_flag(&d, "STI") && has_flag(&d, "MOV_SS"));
	assert_true(ns_explain(NS_DEC_VM_INSN_ERROR, 7, NULL, &d));
	assert_string_equal((value_of(&d, "error", &sym), sym), "VM entry with invalid control field(s)");
	/* EPTP: WB (6), 4-level (walk length - 1 = 3 in bits 5:3), root 0xa000 */
	assert_true(ns_explain(NS_DEC_EPTP, 0xa01e, NULL, &d));
	assert_string_equal((value_of(&d, "memtype", &sym), sym), "WB");
	assert_int_equal(value_of(&d, "walk_length", NULL), 4);
	assert_int_equal(value_of(&d, "root", NULL), 0xa000);
	assert_true(ns_explain(NS_DEC_EXCEPTION_BITMAP, 0x4040, NULL, &d));
	assert_true(has_flag(&d, "#UD") && has_flag(&d, "#PF"));
	assert_true(ns_explain(NS_DEC_LINK_POINTER, ~0ull, NULL, &d));
	assert_non_null(item(&d, "none (-1)"));
}

static void control_words(void **state)
{
	struct ns_decoding d;

	(void)state;
	/* pin-based 0x16: bits 1, 2 and 4 are reserved default1 bits, nothing named */
	assert_true(ns_explain(NS_DEC_PIN, 0x16, NULL, &d));
	assert_int_equal(value_of(&d, "default1", NULL), 0x16);
	assert_false(has_reserved(&d));
	assert_true(ns_explain(NS_DEC_PIN, 0x16 | 0x8 | 0x20, NULL, &d));
	assert_true(has_flag(&d, "NMI_EXITING") && has_flag(&d, "VIRTUAL_NMIS"));
	/* primary 0x80000000 = activate secondary controls; bit 0 is reserved */
	assert_true(ns_explain(NS_DEC_PROC, 0x80000001, NULL, &d));
	assert_true(has_flag(&d, "ACTIVATE_SECONDARY_CONTROLS"));
	assert_true(has_reserved(&d));
	assert_true(ns_explain(NS_DEC_PROC2, 0x22, NULL, &d));
	assert_true(has_flag(&d, "ENABLE_EPT") && has_flag(&d, "ENABLE_VPID"));
	assert_true(ns_explain(NS_DEC_EXIT_CTLS, 0x200 | 0x8000, NULL, &d));
	assert_true(has_flag(&d, "HOST_ADDR_SPACE_SIZE") && has_flag(&d, "ACK_INTR_ON_EXIT"));
	assert_true(ns_explain(NS_DEC_ENTRY_CTLS, 0x200, NULL, &d));
	assert_true(has_flag(&d, "IA32E_MODE"));
	assert_true(ns_explain(NS_DEC_PROC3, 1u << 4, NULL, &d));
	assert_true(has_flag(&d, "IPI_VIRT"));
}

static void capability_msrs(void **state)
{
	struct ns_decoding d;
	const struct ns_item *it;
	const char *sym;

	(void)state;
	/* IA32_VMX_BASIC as KVM 6.1 gives it to L1 (the harness log): revision, 4 KiB, WB,
	 * INS/OUTS information, TRUE controls */
	assert_true(ns_explain_capability(NS_CAP_BASIC, 0x00d8100011e57ed0ull, &d));
	assert_int_equal(value_of(&d, "revision", NULL), 0x11e57ed0);
	assert_int_equal(value_of(&d, "vmcs_size", NULL), 4096);
	assert_string_equal((value_of(&d, "memtype", &sym), sym), "WB");
	assert_true(has_flag(&d, "TRUE_CONTROLS") && has_flag(&d, "INS_OUTS_INFO"));
	/* IA32_VMX_TRUE_PINBASED 0x0000007f00000016: must-be-1 0x16, may-be-1 0x7f */
	assert_true(ns_explain_capability(NS_CAP_PINBASED, 0x0000007f00000016ull, &d));
	assert_int_equal(value_of(&d, "allowed0", NULL), 0x16);
	assert_int_equal(value_of(&d, "allowed1", NULL), 0x7f);
	assert_true(has_flag(&d, "NMI_EXITING") && has_flag(&d, "VMX_PREEMPTION_TIMER"));
	assert_null(item(&d, "POSTED_INTR")); /* bit 7 is outside 0x7f */
	/* IA32_VMX_MISC 0x20000165: rate 5, HLT+SHUTDOWN... (bits 6,8), VMWRITE any (29) */
	assert_true(ns_explain_capability(NS_CAP_MISC, 0x20000165, &d));
	assert_int_equal(value_of(&d, "preemption_timer_rate", NULL), 5);
	assert_true(has_flag(&d, "SAVE_EFER_LMA") && has_flag(&d, "ACTIVITY_HLT") &&
		    has_flag(&d, "ACTIVITY_WAIT_SIPI") && has_flag(&d, "VMWRITE_ANY_FIELD"));
	assert_int_equal(value_of(&d, "max_msr_list", NULL), 512);
	/* IA32_VMX_EPT_VPID_CAP 0xf0106334041: execute-only (0), 4-level (6), WB (14), ... */
	assert_true(ns_explain_capability(NS_CAP_EPT_VPID, 0x00000f0106334041ull, &d));
	assert_true(has_flag(&d, "EPT_EXECUTE_ONLY") && has_flag(&d, "PAGE_WALK_4") &&
		    has_flag(&d, "MEMTYPE_WB") && has_flag(&d, "INVVPID"));
	it = item(&d, "PAGE_WALK_5");
	assert_null(it);
}

static void explain_kinds_are_unique(void **state)
{
	(void)state;
	for (size_t i = 0; i < ns_explain_kind_count(); i++)
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(ns_explain_kind_at(i)->name, ns_explain_kind_at(j)->name);
	assert_non_null(ns_explain_kind_find("exit-reason"));
	assert_non_null(ns_explain_kind_find("AR"));
	assert_null(ns_explain_kind_find("nonsense"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(access_rights),       cmocka_unit_test(exit_reasons),
		cmocka_unit_test(exit_qualifications), cmocka_unit_test(interruption_info),
		cmocka_unit_test(registers),           cmocka_unit_test(control_words),
		cmocka_unit_test(capability_msrs),     cmocka_unit_test(explain_kinds_are_unique),
	};
	return cmocka_run_group_tests_name("explain", tests, NULL, NULL);
}
