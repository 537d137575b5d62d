/*
 * The VMCB table and its decoders, checked against the AMD64 APM vol. 2:
 * appendix B's offsets (table B-1, the control area; table B-2, the save
 * area at 400h), chapter 15's formats of EVENTINJ, int_ctl, the IOIO and NPF
 * EXITINFO1 and the segment attributes, and appendix C's exit codes.  The
 * IOIO value 0x800010 is the in-L2 exit of the SVM samples (an OUT to port
 * 0x80 with an 8-bit operand; samples/svm-harness/l1svm.S).  field_text
 * checks the entry points the gdb package's printers call (svm_explain.h).
 */
#include "nestscope/scan.h"
#include "nestscope/svm_explain.h"
#include "nestscope/vmcb.h"
#include "decoding.h"

static bool has_note(const struct ns_decoding *d, const char *part)
{
	for (unsigned i = 0; i < d->n; i++)
		if (d->item[i].kind == NS_ITEM_NOTE && strstr(d->item[i].name, part))
			return true;
	return false;
}

/* Appendix B's offsets, from the VMCB's start (the save area's at 400h + table B-2's). */
static void apm_offsets(void **state)
{
	static const struct { const char *name; unsigned offset, size; } apm[] = {
		{ "INTERCEPT_CR", 0x000, 4 }, { "INTERCEPT_EXCEPTION", 0x008, 4 }, { "INTERCEPT_WORD3", 0x00c, 4 },
		{ "IOPM_BASE_PA", 0x040, 8 }, { "MSRPM_BASE_PA", 0x048, 8 },  { "TSC_OFFSET", 0x050, 8 },
		{ "ASID", 0x058, 4 },         { "TLB_CTL", 0x05c, 1 },        { "INT_CTL", 0x060, 4 },
		{ "EXIT_CODE", 0x070, 8 },    { "EXIT_INFO_1", 0x078, 8 },    { "EXIT_INFO_2", 0x080, 8 },
		{ "EXIT_INT_INFO", 0x088, 4 }, { "EVENT_INJ", 0x0a8, 4 },     { "NESTED_CR3", 0x0b0, 8 },
		{ "CLEAN", 0x0c0, 4 },        { "NEXT_RIP", 0x0c8, 8 },       { "INSN_BYTES", 0x0d1, 15 },
		{ "ES_SELECTOR", 0x400, 2 },  { "CS_ATTRIB", 0x412, 2 },      { "CS_LIMIT", 0x414, 4 },
		{ "CS_BASE", 0x418, 8 },      { "TR_BASE", 0x498, 8 },        { "CPL", 0x4cb, 1 },
		{ "EFER", 0x4d0, 8 },         { "CR4", 0x548, 8 },            { "CR3", 0x550, 8 },
		{ "CR0", 0x558, 8 },          { "RFLAGS", 0x570, 8 },         { "RIP", 0x578, 8 },
		{ "RSP", 0x5d8, 8 },          { "RAX", 0x5f8, 8 },            { "CR2", 0x640, 8 },
		{ "G_PAT", 0x668, 8 },        { "DBGCTL", 0x670, 8 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(apm) / sizeof(apm[0]); i++) {
		const struct ns_vmcb_field *f = ns_vmcb_field_by_name(apm[i].name);

		if (!f)
			fail_msg("no field %s", apm[i].name);
		if (ns_vmcb_field_offset(f) != apm[i].offset || f->size != apm[i].size)
			fail_msg("%s at 0x%x (%u bytes), the APM says 0x%x (%u)", apm[i].name, ns_vmcb_field_offset(f),
				 f->size, apm[i].offset, apm[i].size);
	}
	/* KVM's member names find the same rows */
	assert_ptr_equal(ns_vmcb_field_by_name("int_ctl"), ns_vmcb_field(NS_VMCB_INT_CTL));
	assert_ptr_equal(ns_vmcb_field_by_name("cs.base"), ns_vmcb_field(NS_VMCB_CS_BASE));
}

/* Every field lies inside its area, and no two fields share a byte. */
static void no_overlaps(void **state)
{
	uint8_t owner[NS_VMCB_SIZE];

	(void)state;
	memset(owner, 0xff, sizeof(owner));
	for (size_t i = 0; i < ns_vmcb_field_count(); i++) {
		const struct ns_vmcb_field *f = ns_vmcb_field((enum ns_vmcb_field_id)i);
		unsigned start = ns_vmcb_field_offset(f);
		unsigned area_end = f->area == NS_VMCB_CTRL ? NS_VMCB_CONTROL_SIZE : NS_VMCB_SIZE;

		assert_int_equal(f->id, i);
		assert_true(f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8 || f->size == 15);
		if (start + f->size > area_end || (f->area == NS_VMCB_SAVE && start < NS_VMCB_SAVE_OFFSET))
			fail_msg("%s (0x%x, %u bytes) is outside the %s area", f->name, start, f->size,
				 ns_vmcb_area_name(f->area));
		/* natural alignment, as every field of both tables has */
		if (f->size <= 8 && start % f->size)
			fail_msg("%s at 0x%x is not aligned to its size %u", f->name, start, f->size);
		for (unsigned b = start; b < start + f->size; b++) {
			if (owner[b] != 0xff)
				fail_msg("%s and %s share byte 0x%x", f->name, ns_vmcb_field(owner[b])->name, b);
			owner[b] = (uint8_t)i;
		}
	}
}

/* Reads are little-endian at the table's offsets, and an absent area reads as absent. */
static void reads(void **state)
{
	static uint8_t page[NS_VMCB_SIZE];
	struct ns_vmcb v;
	uint64_t x;

	(void)state;
	page[0x060] = 0x00, page[0x061] = 0x03, page[0x062] = 0x0f, page[0x063] = 0x03;  /* int_ctl 0x030f0300 */
	page[0x578] = 0x23, page[0x579] = 0x03, page[0x57a] = 0x01;                       /* RIP 0x10323 */
	ns_vmcb_from_page(&v, NS_VMCB_COPY_VMCB02, page, sizeof(page));
	assert_true(ns_vmcb_read(&v, NS_VMCB_INT_CTL, &x));
	assert_int_equal(x, 0x30f0300);
	assert_int_equal(ns_vmcb_get(&v, NS_VMCB_RIP), 0x10323);
	/* the control area alone: the save area is absent, not zero */
	ns_vmcb_from_page(&v, NS_VMCB_COPY_VMCB12_CACHED, page, NS_VMCB_CONTROL_SIZE);
	assert_true(v.has_control);
	assert_false(v.has_save);
	assert_false(ns_vmcb_read(&v, NS_VMCB_RIP, &x));
}

/* APM 15.10.2: port 31:16, TYPE (1 = IN) 0, STR 2, REP 3, SZ8/16/32 6:4, A16/32/64 9:7, SEG 12:10. */
static void ioio(void **state)
{
	struct ns_decoding d;
	const char *sym;
	char text[256];

	(void)state;
	/* the samples' in-L2 exit: OUT to port 0x80, 8-bit */
	assert_true(ns_svm_exit_info_decode(NS_SVM_EXIT_IOIO, 1, 0x800010, &d));
	assert_int_equal(value_of(&d, "port", NULL), 0x80);
	assert_int_equal(value_of(&d, "direction", &sym), 0);
	assert_string_equal(sym, "OUT");
	assert_true(has_flag(&d, "SZ8"));
	assert_false(has_flag(&d, "SZ16") || has_flag(&d, "STR") || has_flag(&d, "REP") || has_reserved(&d));
	/* REP INSW with a 32-bit address: port 0x60, IN, STR, REP, SZ16, A32, segment ES */
	assert_true(ns_svm_exit_info_decode(NS_SVM_EXIT_IOIO, 1, 0x60012d, &d));
	assert_int_equal(value_of(&d, "port", NULL), 0x60);
	assert_string_equal((value_of(&d, "direction", &sym), sym), "IN");
	assert_true(has_flag(&d, "STR") && has_flag(&d, "REP") && has_flag(&d, "SZ16") && has_flag(&d, "A32"));
	assert_string_equal((value_of(&d, "segment", &sym), sym), "ES");
	/* EXITINFO2 of an IOIO exit is the next RIP */
	assert_true(ns_svm_exit_info_decode(NS_SVM_EXIT_IOIO, 2, 0x10325, &d));
	assert_int_equal(value_of(&d, "next_rip", NULL), 0x10325);
	assert_true(ns_svm_exit_info_explain(NS_SVM_EXIT_IOIO, 0x800010, 0x10325, text, sizeof(text)) > 0);
	assert_non_null(strstr(text, "port=0x80"));
}

/* #PF as an event (APM 15.20: vector 7:0, type 10:8 with 3 = exception, EV 11, V 31) and as an exit. */
static void page_fault(void **state)
{
	struct ns_decoding d;
	const char *sym;
	char name[32];

	(void)state;
	assert_true(ns_svm_explain(NS_VDEC_EVENT, 0x80000b0e, false, 0, &d));
	assert_int_equal(value_of(&d, "vector", &sym), 14);
	assert_string_equal(sym, "#PF");
	assert_string_equal((value_of(&d, "type", &sym), sym), "EXCEPTION");
	assert_true(has_flag(&d, "VALID_ERR") && has_flag(&d, "VALID"));
	assert_false(has_reserved(&d));
	/* an event that is not valid says so */
	assert_true(ns_svm_explain(NS_VDEC_EVENT, 0, false, 0, &d));
	assert_true(has_note(&d, "not valid"));
	/* exit code 040h + 14: EXITINFO1 the error code (a write to a present page), EXITINFO2 CR2 */
	assert_true(ns_svm_exit_name(0x4e, name, sizeof(name), NULL));
	assert_string_equal(name, "EXCP_14");
	assert_true(ns_svm_exit_info_decode(0x4e, 1, 0x3, &d));
	assert_true(has_flag(&d, "P") && has_flag(&d, "WR"));
	assert_true(ns_svm_exit_info_decode(0x4e, 2, 0xdead000, &d));
	assert_int_equal(value_of(&d, "cr2", NULL), 0xdead000);
	/* a nested page fault: a user write to a present page, on the final translation */
	assert_true(ns_svm_exit_info_decode(NS_SVM_EXIT_NPF, 1, 0x100000007ull, &d));
	assert_true(has_flag(&d, "PRESENT") && has_flag(&d, "WRITE") && has_flag(&d, "USER") &&
		    has_flag(&d, "GUEST_FINAL"));
	assert_false(has_flag(&d, "GUEST_PAGE_TABLES") || has_reserved(&d));
	assert_true(ns_svm_exit_info_decode(NS_SVM_EXIT_NPF, 2, 0x30000, &d));
	assert_int_equal(value_of(&d, "gpa", NULL), 0x30000);
}

/* int_ctl (APM table B-1 at 060h): V_TPR 3:0, V_IRQ 8, V_GIF 9, V_INTR_PRIO 19:16, V_INTR_MASKING 24, V_GIF_ENABLE 25. */
static void int_ctl(void **state)
{
	struct ns_decoding d;

	(void)state;
	assert_true(ns_svm_explain(NS_VDEC_INT_CTL, 0x30f0300, false, 0, &d));
	assert_int_equal(value_of(&d, "v_tpr", NULL), 0);
	assert_int_equal(value_of(&d, "v_intr_prio", NULL), 15);
	assert_true(has_flag(&d, "V_IRQ") && has_flag(&d, "V_GIF") && has_flag(&d, "V_INTR_MASKING") &&
		    has_flag(&d, "V_GIF_ENABLE"));
	assert_false(has_flag(&d, "V_IGN_TPR") || has_flag(&d, "AVIC_ENABLE") || has_reserved(&d));
	assert_true(ns_svm_explain(NS_VDEC_INT_CTL, 0x10000a, false, 0, &d));
	assert_int_equal(value_of(&d, "v_tpr", NULL), 10);
	assert_true(has_flag(&d, "V_IGN_TPR"));
}

/* The other exits: MSR (0 RDMSR, 1 WRMSR), CR access with decode assists (63 MOV, 3:0 GPR), none for VMMCALL. */
static void other_exits(void **state)
{
	struct ns_decoding d;
	const char *sym;
	char name[32];

	(void)state;
	assert_true(ns_svm_exit_info_decode(NS_SVM_EXIT_MSR, 1, 1, &d));
	assert_string_equal((value_of(&d, "access", &sym), sym), "WRMSR");
	assert_true(has_note(&d, "RCX"));
	assert_true(ns_svm_exit_info_decode(NS_SVM_EXIT_WRITE_CR0, 1, 0x8000000000000003ull, &d));
	assert_true(has_flag(&d, "MOV"));
	assert_int_equal(value_of(&d, "gpr", &sym), 3);
	assert_string_equal(sym, "RBX");
	assert_false(ns_svm_exit_info_decode(NS_SVM_EXIT_VMMCALL, 1, 0, &d));
	assert_true(ns_svm_exit_info_decode(NS_SVM_EXIT_VMMCALL, 1, 5, &d));
	assert_true(has_note(&d, "not defined"));
	/* appendix C's ranges and KVM's names */
	assert_true(ns_svm_exit_name(0x025, name, sizeof(name), NULL));
	assert_string_equal(name, "READ_DR5");
	assert_true(ns_svm_exit_name(0x093, name, sizeof(name), NULL));
	assert_string_equal(name, "CR3_WRITE_TRAP");
	assert_true(ns_svm_exit_name(0x7b, name, sizeof(name), NULL));
	assert_string_equal(name, "IOIO");
	assert_false(ns_svm_exit_name(0x3ff, name, sizeof(name), NULL));
	assert_true(ns_svm_explain(NS_VDEC_EXIT_CODE, 0x400, false, 0, &d));
	assert_string_equal((value_of(&d, "exit", &sym), sym), "NPF");
	/* EXITINFO1 without the exit code says it cannot be read */
	assert_true(ns_svm_explain(NS_VDEC_EXIT_INFO_1, 0x800010, false, 0, &d));
	assert_true(has_note(&d, "exit code"));
}

/* APM "Segment State in the VMCB": type 3:0, S 4, DPL 6:5, P 7, AVL 8, L 9, D/B 10, G 11. */
static void segment_attributes(void **state)
{
	struct ns_decoding d;
	const char *sym;

	(void)state;
	/* a 64-bit code segment: type 1011b, S, DPL 0, P, L, G */
	assert_true(ns_svm_explain(NS_VDEC_SEG_ATTRIB, 0xa9b, false, 0, &d));
	assert_string_equal((value_of(&d, "type", &sym), sym), "code XR accessed");
	assert_int_equal(value_of(&d, "dpl", NULL), 0);
	assert_true(has_flag(&d, "S") && has_flag(&d, "P") && has_flag(&d, "L") && has_flag(&d, "G"));
	assert_false(has_flag(&d, "DB") || has_flag(&d, "AVL") || has_reserved(&d));
	/* a DPL-3 32-bit data segment: type 0011b, S, DPL 3, P, D/B, G */
	assert_true(ns_svm_explain(NS_VDEC_SEG_ATTRIB, 0xcf3, false, 0, &d));
	assert_int_equal(value_of(&d, "dpl", NULL), 3);
	assert_true(has_flag(&d, "DB") && has_flag(&d, "G"));
	assert_false(has_flag(&d, "L"));
	/* bits 15:12 are not attributes */
	assert_true(ns_svm_explain(NS_VDEC_SEG_ATTRIB, 0x1000, false, 0, &d));
	assert_true(has_reserved(&d));
}

/* The VMCB-level entry points: EXITINFO1 decoded by the page's own EXIT_CODE. */
static void field_by_vmcb(void **state)
{
	static uint8_t page[NS_VMCB_SIZE];
	struct ns_vmcb v;
	char text[256];

	(void)state;
	page[0x070] = 0x7b;                                         /* EXITCODE: IOIO */
	page[0x078] = 0x10, page[0x079] = 0x00, page[0x07a] = 0x80; /* EXITINFO1 0x800010 */
	ns_vmcb_from_page(&v, NS_VMCB_COPY_VMCB02, page, sizeof(page));
	assert_true(ns_vmcb_explain(&v, NS_VMCB_EXIT_INFO_1, text, sizeof(text)) > 0);
	assert_string_equal(text, "port=0x80 direction=0x0(OUT) SZ8");
	/* a field with no decoder explains nothing */
	assert_int_equal(ns_vmcb_explain(&v, NS_VMCB_ASID, text, sizeof(text)), 0);
	assert_string_equal(text, "");
}

/* The id's bit in a set of rules met (scan_rules.def's order, by id so that the test reads as the table). */
static uint32_t rule(const char *id)
{
	for (size_t i = 0; i < ns_vmcb_scan_rule_count(); i++)
		if (!strcmp(ns_vmcb_scan_rule_id(i), id))
			return 1u << i;
	fail_msg("no VMCB rule %s", id);
	return 0;
}

/*
 * scan's VMCB rules on a page built by the APM's offsets: the fields VMRUN
 * wants (VMRUN intercept at 010h bit 0, ASID at 058h, EFER.SVME at 400h+0D0h
 * bit 12, RFLAGS at 400h+170h with bit 1) make a VMCB; a byte of table B-1's
 * reserved 018h-03Bh does not, one of the host's 3E0h-3FFh does not matter.
 */
static void scan_rules(void **state)
{
	static uint8_t page[NS_VMCB_SIZE];
	uint32_t all = (uint32_t)((1ull << ns_vmcb_scan_rule_count()) - 1), met;

	(void)state;
	assert_false(ns_vmcb_scan_is_vmcb(ns_vmcb_scan_rules_met(page)));
	page[0x010] = 0x01;
	page[0x058] = 0x01;
	page[0x400 + 0x0d1] = 0x10;
	page[0x400 + 0x170] = 0x02;
	assert_int_equal(ns_vmcb_scan_rules_met(page), all);
	assert_true(ns_vmcb_scan_is_vmcb(all));
	page[0x3e0] = 0xff;
	assert_int_equal(ns_vmcb_scan_rules_met(page), all);
	page[0x020] = 0x01;
	met = ns_vmcb_scan_rules_met(page);
	assert_int_equal(met, all & ~rule("vmcb.ctrl.reserved"));
	assert_false(ns_vmcb_scan_is_vmcb(met));
	page[0x020] = 0;
	/* two scored rules may fail (ASID 0: a VMCB not yet run; RFLAGS bit 1 clear), not three (CR4 bit 63) */
	page[0x058] = 0;
	page[0x400 + 0x170] = 0;
	assert_true(ns_vmcb_scan_is_vmcb(ns_vmcb_scan_rules_met(page)));
	page[0x400 + 0x148 + 7] = 0x80;
	met = ns_vmcb_scan_rules_met(page);
	assert_int_equal(met, all & ~rule("vmcb.ctrl.asid") & ~rule("vmcb.save.rflags.bits") & ~rule("vmcb.save.cr4.bits"));
	assert_false(ns_vmcb_scan_is_vmcb(met));
	/* a page with the VMRUN intercept but EFER.SVME clear is none, whatever else it holds */
	page[0x400 + 0x148 + 7] = 0;
	page[0x400 + 0x0d1] = 0;
	assert_false(ns_vmcb_scan_is_vmcb(ns_vmcb_scan_rules_met(page)));
}

/* A real-mode save area (CR0.PE clear): a selector is a paragraph, base = selector << 4 (APM vol. 1, real
 * addressing); with PE set the same selector is a descriptor index again */
static void real_mode_selectors(void **state)
{
	static uint8_t page[NS_VMCB_SIZE];
	struct ns_vmcb v;
	struct ns_decoding d;

	(void)state;
	page[0x400 + 0x010] = 0x00, page[0x400 + 0x011] = 0x10;   /* CS selector 1000h */
	page[0x400 + 0x090] = 0x18;                                 /* TR selector 18h: no real-mode base */
	page[0x400 + 0x158] = 0x30;                                 /* CR0: ET, NE; PE clear */
	ns_vmcb_from_page(&v, NS_VMCB_COPY_VMCB12_MEMORY, page, sizeof(page));
	assert_true(ns_vmcb_decode_field(&v, NS_VMCB_CS_SELECTOR, &d));
	assert_int_equal(value_of(&d, "base", NULL), 0x10000);
	assert_true(ns_vmcb_decode_field(&v, NS_VMCB_TR_SELECTOR, &d));
	assert_int_equal(value_of(&d, "index", NULL), 3);
	page[0x400 + 0x158] = 0x31;                                 /* PE set */
	ns_vmcb_from_page(&v, NS_VMCB_COPY_VMCB12_MEMORY, page, sizeof(page));
	assert_true(ns_vmcb_decode_field(&v, NS_VMCB_CS_SELECTOR, &d));
	assert_int_equal(value_of(&d, "index", NULL), 0x200);
}

/*
 * The pretty-printers' entry points: a field by name in a struct vmcb's bytes (the kernel's is shorter than a
 * page), and a value outside a VMCB.  Offsets from table B-1: EXITCODE 070h, EXITINFO1 078h, intercept word 4
 * at 010h (bit 0 VMRUN, bit 1 VMMCALL); RIP is at 400h + 178h.
 */
static void field_text(void **state)
{
	static uint8_t page[0x6e4];  /* sizeof(struct vmcb) of Debian's 6.1 kernel */
	struct ns_error err;
	uint64_t x;
	char text[256];

	(void)state;
	page[0x010] = 0x03;                                         /* VMRUN VMMCALL */
	page[0x070] = 0x7b;                                         /* EXITCODE: IOIO */
	page[0x078] = 0x10, page[0x079] = 0x00, page[0x07a] = 0x80; /* EXITINFO1 0x800010 */
	page[0x578] = 0xf2, page[0x579] = 0x02, page[0x57a] = 0x01; /* RIP 0x102f2 */
	assert_int_equal(ns_vmcb_field_text(page, sizeof(page), "exit_info_1", &x, text, sizeof(text), &err), NS_OK);
	assert_int_equal(x, 0x800010);
	assert_string_equal(text, "port=0x80 direction=0x0(OUT) SZ8");
	assert_int_equal(ns_vmcb_field_text(page, sizeof(page), "INTERCEPT_WORD4", &x, text, sizeof(text), &err), NS_OK);
	assert_string_equal(text, "VMRUN VMMCALL");
	/* a save-area field of a struct shorter than the APM's save area is read all the same */
	assert_int_equal(ns_vmcb_field_text(page, sizeof(page), "RIP", &x, text, sizeof(text), &err), NS_OK);
	assert_int_equal(x, 0x102f2);
	/* past the bytes given, no such field, not a number: one error naming it */
	assert_int_equal(ns_vmcb_field_text(page, 0x400, "RIP", &x, text, sizeof(text), &err), NS_ERR_TRUNCATED);
	assert_non_null(strstr(err.msg, "RIP"));
	assert_int_equal(ns_vmcb_field_text(page, sizeof(page), "NO_SUCH", &x, text, sizeof(text), &err), NS_ERR_ARG);
	assert_non_null(strstr(err.msg, "NO_SUCH"));
	assert_int_equal(ns_vmcb_field_text(page, sizeof(page), "INSN_BYTES", &x, text, sizeof(text), &err), NS_ERR_ARG);
	/* a value outside a VMCB: EXITINFO1 by the exit code given, nothing for an unknown name */
	assert_true(ns_svm_value_text("INTERCEPT_WORD4", 0x1, false, 0, text, sizeof(text)) > 0);
	assert_string_equal(text, "VMRUN");
	assert_true(ns_svm_value_text("EXIT_INFO_1", 0x800010, true, NS_SVM_EXIT_IOIO, text, sizeof(text)) > 0);
	assert_non_null(strstr(text, "port=0x80"));
	assert_int_equal(ns_svm_value_text("NO_SUCH", 1, false, 0, text, sizeof(text)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(apm_offsets),   cmocka_unit_test(no_overlaps),   cmocka_unit_test(reads),
		cmocka_unit_test(ioio),          cmocka_unit_test(page_fault),    cmocka_unit_test(int_ctl),
		cmocka_unit_test(other_exits),   cmocka_unit_test(segment_attributes), cmocka_unit_test(field_by_vmcb),
		cmocka_unit_test(scan_rules),
		cmocka_unit_test(real_mode_selectors),
		cmocka_unit_test(field_text),
	};

	return cmocka_run_group_tests_name("vmcb", tests, NULL, NULL);
}
