/*
 * Symbolic decoding of VMX values.  The names live in controls.def,
 * exit_reasons.def and values.def; this file only knows how each value is
 * put together.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "nestscope/explain.h"
#include "nestscope/vmcs12.h"
#include "sdm/vmx_names.h"

/* ---- the bit-name tables (controls.def) ---- */

enum bit_table {
	T_PIN, T_PROC, T_PROC2, T_PROC3, T_EXIT, T_EXIT2, T_ENTRY, T_VMFUNC,
	T_CR0, T_CR4, T_EFER, T_RFLAGS, T_DR7, T_DEBUGCTL, T_INTERRUPTIBILITY,
	T_PENDING_DBG, T_DBG_QUAL, T_PFEC, T_AR, T_INTR_INFO, T_EPTP, T_IO_QUAL, T_APIC_ACCESS_QUAL,
	T_EPT_VIOLATION, T_EXIT_REASON_FLAGS, T_VMX_BASIC, T_VMX_MISC, T_EPT_VPID_CAP,
};

struct bitname {
	enum bit_table table;
	unsigned bit;
	const char *name;
};

static const struct bitname bitnames[] = {
#define BIT(t, b, n) { T_##t, b, #n },
#include "sdm/controls.def"
#undef BIT
};

/*
 * Reserved bits of the control words that the SDM puts in the "default1"
 * class: a CPU without the TRUE capability MSRs requires them set.  They are
 * reported by class, not as errors.
 */
static uint64_t default1_mask(enum bit_table t)
{
	switch (t) {
	case T_PIN: return 0x16;
	case T_PROC: return 0x04006172;
	case T_EXIT: return 0x00036dfb;
	case T_ENTRY: return 0x000011fb;
	default: return 0;
	}
}

static void add(struct ns_decoding *d, enum ns_item_kind k, const char *name, uint64_t v,
		const char *sym)
{
	if (d->n >= NS_MAX_ITEMS) {
		d->truncated = true;
		return;
	}
	d->item[d->n++] = (struct ns_item){ k, name, v, sym, false };
}

static void add_value(struct ns_decoding *d, const char *key, uint64_t v, const char *sym)
{
	add(d, NS_ITEM_VALUE, key, v, sym);
}

/* A sub-field people read in decimal: vectors, exit reasons, counts, indexes. */
static void add_number(struct ns_decoding *d, const char *key, uint64_t v, const char *sym)
{
	add_value(d, key, v, sym);
	if (d->n && !d->truncated && d->item[d->n - 1].name == key)
		d->item[d->n - 1].decimal = true;
}

static void add_note(struct ns_decoding *d, const char *text)
{
	add(d, NS_ITEM_NOTE, text, 0, NULL);
}

/* Lists the set bits of v as "b1 b2 b4" + suffix in the decoding's scratch space. */
static const char *bit_list(struct ns_decoding *d, uint64_t v, const char *suffix)
{
	char *start = d->scratch + d->scratch_used;
	size_t room = sizeof(d->scratch) - d->scratch_used, pos = 0;
	int w;

	if (room < 8)
		return suffix;
	for (unsigned b = 0; b < 64; b++) {
		if (!(v & (1ull << b)))
			continue;
		w = snprintf(start + pos, room - pos, "%sb%u", pos ? " " : "", b);
		if (w < 0 || (size_t)w >= room - pos)
			return suffix;
		pos += (size_t)w;
	}
	w = snprintf(start + pos, room - pos, "%s", suffix);
	if (w < 0 || (size_t)w >= room - pos)
		return suffix;
	d->scratch_used += pos + (size_t)w + 1;
	return start;
}

/* Adds a flag per named set bit of value within `within`; returns the named mask. */
static uint64_t add_flags(struct ns_decoding *d, enum bit_table t, uint64_t value, uint64_t within)
{
	uint64_t named = 0;

	for (size_t i = 0; i < sizeof(bitnames) / sizeof(bitnames[0]); i++) {
		const struct bitname *b = &bitnames[i];
		uint64_t m;

		if (b->table != t)
			continue;
		m = 1ull << b->bit;
		named |= m;
		if ((value & m) && (within & m))
			add(d, NS_ITEM_FLAG, b->name, b->bit, NULL);
	}
	return named;
}

/* A control word: named bits, then the default1 class, then anything unknown. */
static void decode_controls(struct ns_decoding *d, enum bit_table t, uint64_t v)
{
	uint64_t named = add_flags(d, t, v, ~0ull);
	uint64_t d1 = v & default1_mask(t) & ~named;
	uint64_t rest = v & ~named & ~default1_mask(t);

	if (d1)
		add_value(d, "default1", d1, bit_list(d, d1, ": reserved, always 1"));
	if (rest)
		add(d, NS_ITEM_RESERVED, "reserved", rest, NULL);
}

/* A register: named bits; unnamed bits within `defined` are reported as reserved. */
static void decode_register(struct ns_decoding *d, enum bit_table t, uint64_t v)
{
	uint64_t named = add_flags(d, t, v, ~0ull);

	if (v & ~named)
		add(d, NS_ITEM_RESERVED, "reserved", v & ~named, NULL);
}

/* ---- enumerations ---- */

/* The names of enumerated values (values.def). */
enum value_table { V_INTR_TYPE, V_GUEST_ACTIVITY, V_X86_MEMTYPE, V_X86_TRAP, V_GPR };

static const struct {
	enum value_table table;
	unsigned n;
	const char *text;
} valnames[] = {
#define VALUE(t, n, name, text) { V_##t, n, text },
#include "sdm/values.def"
#undef VALUE
};

static const char *value_name(enum value_table t, uint64_t n)
{
	for (size_t i = 0; i < sizeof(valnames) / sizeof(valnames[0]); i++)
		if (valnames[i].table == t && valnames[i].n == n)
			return valnames[i].text;
	return NULL;
}

struct reason {
	unsigned nr;
	const char *name;
	const char *what;
};

static const struct reason reasons[] = {
#define REASON(n, name, what) { n, #name, what },
#include "sdm/exit_reasons.def"
#undef REASON
};

static const struct reason *find_reason(unsigned nr)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].nr == nr)
			return &reasons[i];
	return NULL;
}

const char *ns_exit_reason_name(unsigned basic)
{
	const struct reason *r = find_reason(basic);
	return r ? r->name : NULL;
}

/* VM-instruction error numbers (SDM "VM-Instruction Error Numbers"). */
static const char *const insn_errors[] = {
	[1] = "VMCALL executed in VMX root operation",
	[2] = "VMCLEAR with invalid physical address",
	[3] = "VMCLEAR with VMXON pointer",
	[4] = "VMLAUNCH with non-clear VMCS",
	[5] = "VMRESUME with non-launched VMCS",
	[6] = "VMRESUME after VMXOFF",
	[7] = "VM entry with invalid control field(s)",
	[8] = "VM entry with invalid host-state field(s)",
	[9] = "VMPTRLD with invalid physical address",
	[10] = "VMPTRLD with VMXON pointer",
	[11] = "VMPTRLD with incorrect VMCS revision identifier",
	[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[13] = "VMWRITE to read-only VMCS component",
	[15] = "VMXON executed in VMX root operation",
	[16] = "VM entry with invalid executive-VMCS pointer",
	[17] = "VM entry with non-launched executive VMCS",
	[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
	[19] = "VMCALL with non-clear VMCS",
	[20] = "VMCALL with invalid VM-exit control fields",
	[22] = "VMCALL with incorrect MSEG revision identifier",
	[23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
	[24] = "VMCALL with invalid SMM-monitor features",
	[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
	[26] = "VM entry with events blocked by MOV SS",
	[28] = "Invalid operand to INVEPT/INVVPID",
};

const char *ns_vm_insn_error_name(unsigned n)
{
	if (n < sizeof(insn_errors) / sizeof(insn_errors[0]))
		return insn_errors[n];
	return NULL;
}

static const char *memtype_name(uint64_t t)
{
	return value_name(V_X86_MEMTYPE, t);
}

/* ---- composite decoders ---- */

static void decode_intr_info(struct ns_decoding *d, uint64_t v)
{
	unsigned vec = v & 0xff, type = (v >> 8) & 7;  /* vector 7:0, type 10:8 */
	bool exception = type == INTR_TYPE_NMI || type == INTR_TYPE_HW_EXCEPTION || type == INTR_TYPE_PRIV_SW_EXCEPTION ||
			 type == INTR_TYPE_SW_EXCEPTION;

	if (!(v & INTR_INFO_VALID)) {
		add_note(d, "not valid");
		if (v & 0x7fffffff)
			add(d, NS_ITEM_RESERVED, "bits set while invalid", v & 0x7fffffff, NULL);
		return;
	}
	add_number(d, "vector", vec, exception ? value_name(V_X86_TRAP, vec) : NULL);
	add_value(d, "type", type, value_name(V_INTR_TYPE, type));
	add_flags(d, T_INTR_INFO, v, ~0ull);  /* DELIVER_ERROR_CODE, NMI_UNBLOCKING, VALID */
	if (v & 0x7fffe000)
		add(d, NS_ITEM_RESERVED, "reserved", v & 0x7fffe000, NULL);
}

static void decode_exit_reason(struct ns_decoding *d, uint64_t v)
{
	const struct reason *r = find_reason(v & 0xffff);
	uint64_t named;

	add_number(d, "basic", v & 0xffff, r ? r->name : "unknown");
	named = add_flags(d, T_EXIT_REASON_FLAGS, v, ~0ull);
	if (v & 0xffff0000u & ~named)
		add(d, NS_ITEM_RESERVED, "reserved", v & 0xffff0000u & ~named, NULL);
}

static void decode_cr_access(struct ns_decoding *d, uint64_t q)
{
	static const char *const access[4] = { "MOV_TO_CR", "MOV_FROM_CR", "CLTS", "LMSW" };
	unsigned type = (q >> 4) & 3;

	add_number(d, "cr", q & 0xf, NULL);
	add_value(d, "access", type, access[type]);
	if (type <= 1)
		add_number(d, "gpr", (q >> 8) & 0xf, value_name(V_GPR, (q >> 8) & 0xf));
	if (type == 3) {
		add_number(d, "lmsw_operand", (q >> 6) & 1, (q >> 6) & 1 ? "memory" : "register");
		add_value(d, "lmsw_source", (q >> 16) & 0xffff, NULL);
	}
}

static void decode_dr_access(struct ns_decoding *d, uint64_t q)
{
	add_number(d, "dr", q & 7, NULL);
	add_value(d, "direction", (q >> 4) & 1, (q >> 4) & 1 ? "MOV_FROM_DR" : "MOV_TO_DR");
	add_number(d, "gpr", (q >> 8) & 0xf, value_name(V_GPR, (q >> 8) & 0xf));
}

static void decode_io(struct ns_decoding *d, uint64_t q)
{
	static const char *const sizes[8] = { "1 byte", "2 bytes", NULL, "4 bytes" };

	add_value(d, "port", (q >> 16) & 0xffff, NULL);
	add_number(d, "size", (q & 7) + 1, sizes[q & 7]);
	add_value(d, "direction", (q >> 3) & 1, (q >> 3) & 1 ? "IN" : "OUT");
	add_flags(d, T_IO_QUAL, q, ~0ull);  /* STRING, REP */
	add_value(d, "operand", (q >> 6) & 1, (q >> 6) & 1 ? "immediate" : "DX");
}

static void decode_task_switch(struct ns_decoding *d, uint64_t q)
{
	static const char *const src[4] = { "CALL", "IRET", "JMP", "TASK_GATE" };

	add_value(d, "selector", q & 0xffff, NULL);
	add_value(d, "source", (q >> 30) & 3, src[(q >> 30) & 3]);
}

static void decode_apic_access(struct ns_decoding *d, uint64_t q)
{
	const char *t;

	switch ((q >> 12) & 0xf) {
	case 0: t = "LINEAR_READ"; break;
	case 1: t = "LINEAR_WRITE"; break;
	case 2: t = "LINEAR_FETCH"; break;
	case 3: t = "LINEAR_EVENT_DELIVERY"; break;
	case 10: t = "PHYSICAL_EVENT_DELIVERY"; break;
	case 15: t = "PHYSICAL_FETCH_OR_EXECUTE"; break;
	default: t = NULL;
	}
	add_value(d, "offset", q & 0xfff, NULL);
	add_value(d, "access", (q >> 12) & 0xf, t);
	add_flags(d, T_APIC_ACCESS_QUAL, q, ~0ull);
}

static void decode_failed_entry(struct ns_decoding *d, unsigned basic, uint64_t q)
{
	if (basic == EXIT_REASON_MSR_LOAD_FAIL) {
		add_number(d, "msr_entry", q, "1-based index of the failing VM-entry MSR-load entry");
		return;
	}
	switch (q) {
	case 0: add_number(d, "entry_failure", q, "DEFAULT"); break;
	case 2: add_number(d, "entry_failure", q, "PDPTE (loading PDPTEs)"); break;
	case 3: add_number(d, "entry_failure", q, "NMI (injecting an NMI)"); break;
	case 4: add_number(d, "entry_failure", q, "VMCS_LINK_PTR (invalid VMCS link pointer)"); break;
	default: add_number(d, "entry_failure", q, NULL);
	}
}

/* The exit qualification's meaning depends on the exit reason. */
static bool decode_exit_qual(struct ns_decoding *d, uint64_t q, const struct ns_context *ctx)
{
	unsigned basic;

	if (!ctx || !ctx->have_exit_reason) {
		add_note(d, "meaning depends on the exit reason");
		return true;
	}
	basic = ctx->exit_reason & 0xffff;
	if (ctx->exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
		decode_failed_entry(d, basic, q);
		return true;
	}
	switch (basic) {
	case EXIT_REASON_EXCEPTION_NMI: {
		unsigned vec = ctx->have_exit_intr_info ? ctx->exit_intr_info & 0xff : 0xffff;
		if (vec == X86_TRAP_DB) {
			decode_register(d, T_DBG_QUAL, q);
		} else if (vec == X86_TRAP_PF) {
			add_value(d, "linear_address", q, "faulting linear address (#PF)");
		} else {
			add_note(d, "no qualification for this exception");
		}
		return true;
	}
	case EXIT_REASON_SIPI_SIGNAL: add_number(d, "sipi_vector", q & 0xff, NULL); return true;
	case EXIT_REASON_TASK_SWITCH: decode_task_switch(d, q); return true;
	case EXIT_REASON_INVLPG: add_value(d, "linear_address", q, "INVLPG operand"); return true;
	case EXIT_REASON_CR_ACCESS: decode_cr_access(d, q); return true;
	case EXIT_REASON_DR_ACCESS: decode_dr_access(d, q); return true;
	case EXIT_REASON_IO_INSTRUCTION: decode_io(d, q); return true;
	case EXIT_REASON_APIC_ACCESS: decode_apic_access(d, q); return true;
	case EXIT_REASON_EOI_INDUCED: add_number(d, "vector", q & 0xff, "virtualized EOI"); return true;
	case EXIT_REASON_EPT_VIOLATION: decode_register(d, T_EPT_VIOLATION, q); return true;
	case EXIT_REASON_APIC_WRITE: add_value(d, "offset", q & 0xfff, "APIC-page offset written"); return true;
	/* the instructions with a memory operand (SDM Table 28-1's list); VMLAUNCH, VMRESUME and
	 * VMXOFF have none, and their exits clear the qualification (SDM 28.2.1) */
	case EXIT_REASON_VMCLEAR: case EXIT_REASON_VMPTRLD: case EXIT_REASON_VMPTRST:
	case EXIT_REASON_VMREAD: case EXIT_REASON_VMWRITE:
	case EXIT_REASON_VMON: case EXIT_REASON_GDTR_IDTR: case EXIT_REASON_LDTR_TR: case EXIT_REASON_INVEPT:
	case EXIT_REASON_INVVPID: case EXIT_REASON_INVPCID: case EXIT_REASON_XSAVES: case EXIT_REASON_XRSTORS:
		add_value(d, "displacement", q, "instruction's memory-operand displacement");
		return true;
	default:
		if (q)
			add_note(d, "no qualification defined for this exit reason");
		return q != 0;
	}
}

static const char *ar_type_name(unsigned s, unsigned type)
{
	static const char *const data_code[16] = {
		"data RO", "data RO accessed", "data RW", "data RW accessed",
		"data RO expand-down", "data RO expand-down accessed", "data RW expand-down",
		"data RW expand-down accessed", "code XO", "code XO accessed", "code XR",
		"code XR accessed", "code XO conforming", "code XO conforming accessed",
		"code XR conforming", "code XR conforming accessed",
	};
	static const char *const system[16] = {
		NULL, "16-bit TSS available", "LDT", "16-bit TSS busy", "16-bit call gate",
		"task gate", "16-bit interrupt gate", "16-bit trap gate", NULL,
		"32/64-bit TSS available", NULL, "32/64-bit TSS busy", "32/64-bit call gate",
		NULL, "32/64-bit interrupt gate", "32/64-bit trap gate",
	};
	return s ? data_code[type & 15] : system[type & 15];
}

static void decode_ar(struct ns_decoding *d, uint64_t v)
{
	unsigned type = v & 0xf, s = !!(v & VMX_AR_S);  /* type 3:0, then S: code/data or system */

	if (v & VMX_AR_UNUSABLE) {
		add_flags(d, T_AR, v, VMX_AR_UNUSABLE);
		if (v & 0xfffe0f00u)
			add(d, NS_ITEM_RESERVED, "reserved", v & 0xfffe0f00u, NULL);
		if (!(v & 0xffff))
			return;
	}
	add_value(d, "type", type, ar_type_name(s, type));
	add_flags(d, T_AR, v, VMX_AR_S);
	add_number(d, "dpl", (v >> 5) & 3, NULL);
	add_flags(d, T_AR, v, VMX_AR_P | VMX_AR_AVL | VMX_AR_L | VMX_AR_DB | VMX_AR_G);
	if (v & 0xfffe0f00u)
		add(d, NS_ITEM_RESERVED, "reserved", v & 0xfffe0f00u, NULL);
}

static void decode_selector(struct ns_decoding *d, uint64_t v)
{
	add_number(d, "index", (v >> 3) & 0x1fff, NULL);
	add_value(d, "ti", (v >> 2) & 1, (v >> 2) & 1 ? "LDT" : "GDT");
	add_number(d, "rpl", v & 3, NULL);
}

static void decode_rflags(struct ns_decoding *d, uint64_t v)
{
	uint64_t named = add_flags(d, T_RFLAGS, v, ~0ull);
	uint64_t known = named | 2 | (3u << 12);

	if ((v >> 12) & 3)
		add_number(d, "iopl", (v >> 12) & 3, NULL);
	if (!(v & 2))
		add(d, NS_ITEM_RESERVED, "bit 1 clear (must be 1)", 2, NULL);
	if (v & ~known)
		add(d, NS_ITEM_RESERVED, "reserved", v & ~known, NULL);
}

/* DR7 bit 10 is always 1 (Linux's DR7_FIXED_1); R/W and LEN are decoded here, the named bits in controls.def */
#define DR7_FIXED_1 0x400ull

static void decode_dr7(struct ns_decoding *d, uint64_t v)
{
	static const char *const rw[4] = { "exec", "write", "io", "rw" };
	static const char *const len[4] = { "1", "2", "8", "4" };
	static const char *const rwk[4] = { "rw0", "rw1", "rw2", "rw3" };
	static const char *const lenk[4] = { "len0", "len1", "len2", "len3" };
	uint64_t named = add_flags(d, T_DR7, v, ~0ull);

	for (unsigned i = 0; i < 4; i++) {
		if (!(v & (3ull << (2 * i))))
			continue;  /* breakpoint disabled: its R/W and LEN mean nothing */
		add_value(d, rwk[i], (v >> (16 + 4 * i)) & 3, rw[(v >> (16 + 4 * i)) & 3]);
		add_value(d, lenk[i], (v >> (18 + 4 * i)) & 3, len[(v >> (18 + 4 * i)) & 3]);
	}
	if (!(v & DR7_FIXED_1))
		add(d, NS_ITEM_RESERVED, "bit 10 clear (must be 1)", DR7_FIXED_1, NULL);
	if (v & ~(named | 0xffff0000ull | DR7_FIXED_1))
		add(d, NS_ITEM_RESERVED, "reserved", v & ~(named | 0xffff0000ull | DR7_FIXED_1), NULL);
	if (v >> 32)
		add(d, NS_ITEM_RESERVED, "bits 63:32 (must be 0)", v & 0xffffffff00000000ull, NULL);
}

static void decode_pat(struct ns_decoding *d, uint64_t v)
{
	static const char *const keys[8] = { "pa0", "pa1", "pa2", "pa3", "pa4", "pa5", "pa6", "pa7" };

	for (unsigned i = 0; i < 8; i++) {
		unsigned t = (v >> (8 * i)) & 0xff;
		add_value(d, keys[i], t, t < 8 ? memtype_name(t) : NULL);
	}
}

static void decode_exception_bitmap(struct ns_decoding *d, uint64_t v)
{
	for (unsigned i = 0; i < 32; i++) {
		const char *name = value_name(V_X86_TRAP, i);

		if (v & (1u << i))
			add(d, NS_ITEM_FLAG, name ? name : "vector", i, NULL);
	}
}

static void decode_eptp(struct ns_decoding *d, uint64_t v)
{
	add_value(d, "memtype", v & 7, memtype_name(v & 7));
	add_number(d, "walk_length", ((v >> 3) & 7) + 1, NULL);
	add_flags(d, T_EPTP, v, ~0ull);  /* AD, SUPERVISOR_SHADOW_STACK */
	add_value(d, "root", v & ~0xfffull, NULL);
	if (v & 0xf00)
		add(d, NS_ITEM_RESERVED, "reserved", v & 0xf00, NULL);
}

static void decode_activity(struct ns_decoding *d, uint64_t v)
{
	add_number(d, "state", v, value_name(V_GUEST_ACTIVITY, v));
}

static void decode_insn_error(struct ns_decoding *d, uint64_t v)
{
	add_number(d, "error", v, ns_vm_insn_error_name((unsigned)(v & 0xffffffff)));
}

static void decode_link_pointer(struct ns_decoding *d, uint64_t v)
{
	if (v == ~0ull)
		add_note(d, "none (-1)");
	else
		add_value(d, "address", v, NULL);
}

static void decode_guest_intr_status(struct ns_decoding *d, uint64_t v)
{
	add_number(d, "rvi", v & 0xff, NULL);
	add_number(d, "svi", (v >> 8) & 0xff, NULL);
}

bool ns_explain(enum ns_decoder dec, uint64_t v, const struct ns_context *ctx, struct ns_decoding *d)
{
	d->n = 0;
	d->truncated = false;
	d->scratch_used = 0;
	switch (dec) {
	case NS_DEC_NONE: return false;
	case NS_DEC_PIN: decode_controls(d, T_PIN, v); break;
	case NS_DEC_PROC: decode_controls(d, T_PROC, v); break;
	case NS_DEC_PROC2: decode_controls(d, T_PROC2, v); break;
	case NS_DEC_PROC3: decode_controls(d, T_PROC3, v); break;
	case NS_DEC_EXIT_CTLS: decode_controls(d, T_EXIT, v); break;
	case NS_DEC_EXIT2: decode_controls(d, T_EXIT2, v); break;
	case NS_DEC_ENTRY_CTLS: decode_controls(d, T_ENTRY, v); break;
	case NS_DEC_VMFUNC: decode_controls(d, T_VMFUNC, v); break;
	case NS_DEC_EXCEPTION_BITMAP: decode_exception_bitmap(d, v); break;
	case NS_DEC_PFEC: decode_register(d, T_PFEC, v); break;
	case NS_DEC_INTR_INFO: decode_intr_info(d, v); break;
	case NS_DEC_EXIT_REASON: decode_exit_reason(d, v); break;
	case NS_DEC_EXIT_QUAL: return decode_exit_qual(d, v, ctx);
	case NS_DEC_VM_INSN_ERROR: decode_insn_error(d, v); break;
	case NS_DEC_SELECTOR: decode_selector(d, v); break;
	case NS_DEC_AR: decode_ar(d, v); break;
	case NS_DEC_CR0: decode_register(d, T_CR0, v); break;
	case NS_DEC_CR4: decode_register(d, T_CR4, v); break;
	case NS_DEC_EFER: decode_register(d, T_EFER, v); break;
	case NS_DEC_RFLAGS: decode_rflags(d, v); break;
	case NS_DEC_DR7: decode_dr7(d, v); break;
	case NS_DEC_PAT: decode_pat(d, v); break;
	case NS_DEC_DEBUGCTL: decode_register(d, T_DEBUGCTL, v); break;
	case NS_DEC_ACTIVITY: decode_activity(d, v); break;
	case NS_DEC_INTERRUPTIBILITY: decode_register(d, T_INTERRUPTIBILITY, v); break;
	case NS_DEC_PENDING_DBG: decode_register(d, T_PENDING_DBG, v); break;
	case NS_DEC_EPTP: decode_eptp(d, v); break;
	case NS_DEC_LINK_POINTER: decode_link_pointer(d, v); break;
	case NS_DEC_GUEST_INTR_STATUS: decode_guest_intr_status(d, v); break;
	case NS_DEC__COUNT: return false;
	}
	return true;
}

/* ---- capability MSRs ---- */

/* An allowed-0/allowed-1 pair: low half = bits that must be 1, high = bits that may be 1. */
static void decode_allowed(struct ns_decoding *d, enum bit_table t, uint64_t v)
{
	uint32_t must = (uint32_t)v, may = (uint32_t)(v >> 32);

	add_value(d, "allowed0", must, "bits that must be 1");
	add_value(d, "allowed1", may, "bits that may be 1");
	if (must & ~may)
		add(d, NS_ITEM_RESERVED, "must-be-1 bits that may not be 1", must & ~may, NULL);
	for (size_t i = 0; i < sizeof(bitnames) / sizeof(bitnames[0]); i++) {
		const struct bitname *b = &bitnames[i];
		if (b->table != t || b->bit > 31)
			continue;
		if (must & (1u << b->bit))
			add(d, NS_ITEM_VALUE, b->name, 1, "required");
		else if (may & (1u << b->bit))
			add(d, NS_ITEM_FLAG, b->name, b->bit, NULL);
	}
}

static void decode_vmx_basic(struct ns_decoding *d, uint64_t v)
{
	add_value(d, "revision", v & 0x7fffffff, (v & 0x7fffffff) == NS_VMCS12_REVISION ? "KVM VMCS12_REVISION" : NULL);
	add_number(d, "vmcs_size", (v >> 32) & 0x1fff, NULL);
	add_value(d, "memtype", (v >> 50) & 0xf, memtype_name((v >> 50) & 0xf));
	add_flags(d, T_VMX_BASIC, v, ~0ull);
}

static void decode_vmx_misc(struct ns_decoding *d, uint64_t v)
{
	add_number(d, "preemption_timer_rate", v & 0x1f, "timer ticks every 2^rate TSC cycles");
	add_flags(d, T_VMX_MISC, v, ~0ull);
	add_number(d, "cr3_targets", (v >> 16) & 0x1ff, NULL);
	add_number(d, "max_msr_list", (((v >> 25) & 7) + 1) * 512, "entries per MSR list");
	add_value(d, "mseg_revision", v >> 32, NULL);
}

static void decode_fixed(struct ns_decoding *d, enum bit_table t, uint64_t fixed0)
{
	/* The pair's FIXED1 half cannot travel in one value: show FIXED0's must-be-1 bits. */
	add_flags(d, t, fixed0, ~0ull);
}

bool ns_explain_capability(enum ns_capability c, uint64_t v, struct ns_decoding *d)
{
	d->n = 0;
	d->truncated = false;
	d->scratch_used = 0;
	switch (c) {
	case NS_CAP_BASIC: decode_vmx_basic(d, v); break;
	case NS_CAP_MISC: decode_vmx_misc(d, v); break;
	case NS_CAP_EPT_VPID: decode_register(d, T_EPT_VPID_CAP, v); break;
	case NS_CAP_VMFUNC: decode_register(d, T_VMFUNC, v); break;
	case NS_CAP_PINBASED: decode_allowed(d, T_PIN, v); break;
	case NS_CAP_PROCBASED: decode_allowed(d, T_PROC, v); break;
	case NS_CAP_PROCBASED2: decode_allowed(d, T_PROC2, v); break;
	case NS_CAP_PROCBASED3: decode_register(d, T_PROC3, v); break; /* allowed-1 only, 64 bits */
	case NS_CAP_EXIT: decode_allowed(d, T_EXIT, v); break;
	case NS_CAP_EXIT2: decode_register(d, T_EXIT2, v); break;    /* allowed-1 only, 64 bits */
	case NS_CAP_ENTRY: decode_allowed(d, T_ENTRY, v); break;
	case NS_CAP_CR0_FIXED: decode_fixed(d, T_CR0, v); break;
	case NS_CAP_CR4_FIXED: decode_fixed(d, T_CR4, v); break;
	}
	return true;
}

/* ---- the kinds `explain` knows ---- */

static const struct ns_explain_kind kinds[] = {
	{ "exit-reason", "exit reason (basic reason and flag bits)", false, NS_DEC_EXIT_REASON },
	{ "exit-qual", "exit qualification (give the exit reason with --reason)", false, NS_DEC_EXIT_QUAL },
	{ "intr-info", "VM-entry/VM-exit interruption or IDT-vectoring information", false, NS_DEC_INTR_INFO },
	{ "insn-error", "VM-instruction error number", false, NS_DEC_VM_INSN_ERROR },
	{ "pin", "pin-based VM-execution controls", false, NS_DEC_PIN },
	{ "proc", "primary processor-based VM-execution controls", false, NS_DEC_PROC },
	{ "proc2", "secondary processor-based VM-execution controls", false, NS_DEC_PROC2 },
	{ "proc3", "tertiary processor-based VM-execution controls", false, NS_DEC_PROC3 },
	{ "exit-ctls", "primary VM-exit controls", false, NS_DEC_EXIT_CTLS },
	{ "exit2-ctls", "secondary VM-exit controls", false, NS_DEC_EXIT2 },
	{ "entry-ctls", "VM-entry controls", false, NS_DEC_ENTRY_CTLS },
	{ "vmfunc", "VM-function controls", false, NS_DEC_VMFUNC },
	{ "exception-bitmap", "exception bitmap", false, NS_DEC_EXCEPTION_BITMAP },
	{ "pfec", "page-fault error code (mask/match)", false, NS_DEC_PFEC },
	{ "ar", "segment access rights (VMCS format)", false, NS_DEC_AR },
	{ "selector", "segment selector", false, NS_DEC_SELECTOR },
	{ "cr0", "CR0", false, NS_DEC_CR0 },
	{ "cr4", "CR4", false, NS_DEC_CR4 },
	{ "efer", "IA32_EFER", false, NS_DEC_EFER },
	{ "rflags", "RFLAGS", false, NS_DEC_RFLAGS },
	{ "dr7", "DR7", false, NS_DEC_DR7 },
	{ "pat", "IA32_PAT", false, NS_DEC_PAT },
	{ "debugctl", "IA32_DEBUGCTL", false, NS_DEC_DEBUGCTL },
	{ "activity", "guest activity state", false, NS_DEC_ACTIVITY },
	{ "interruptibility", "guest interruptibility state", false, NS_DEC_INTERRUPTIBILITY },
	{ "pending-dbg", "guest pending debug exceptions", false, NS_DEC_PENDING_DBG },
	{ "eptp", "EPT pointer", false, NS_DEC_EPTP },
	{ "intr-status", "guest interrupt status (RVI/SVI)", false, NS_DEC_GUEST_INTR_STATUS },
	{ "vmx-basic", "IA32_VMX_BASIC (0x480)", true, NS_CAP_BASIC },
	{ "vmx-misc", "IA32_VMX_MISC (0x485)", true, NS_CAP_MISC },
	{ "ept-vpid-cap", "IA32_VMX_EPT_VPID_CAP (0x48c)", true, NS_CAP_EPT_VPID },
	{ "vmx-vmfunc", "IA32_VMX_VMFUNC (0x491)", true, NS_CAP_VMFUNC },
	{ "pinbased-msr", "IA32_VMX_(TRUE_)PINBASED_CTLS (0x481/0x48d)", true, NS_CAP_PINBASED },
	{ "procbased-msr", "IA32_VMX_(TRUE_)PROCBASED_CTLS (0x482/0x48e)", true, NS_CAP_PROCBASED },
	{ "procbased2-msr", "IA32_VMX_PROCBASED_CTLS2 (0x48b)", true, NS_CAP_PROCBASED2 },
	{ "procbased3-msr", "IA32_VMX_PROCBASED_CTLS3 (0x492)", true, NS_CAP_PROCBASED3 },
	{ "exit-msr", "IA32_VMX_(TRUE_)EXIT_CTLS (0x483/0x48f)", true, NS_CAP_EXIT },
	{ "exit2-msr", "IA32_VMX_EXIT_CTLS2 (0x493)", true, NS_CAP_EXIT2 },
	{ "entry-msr", "IA32_VMX_(TRUE_)ENTRY_CTLS (0x484/0x490)", true, NS_CAP_ENTRY },
	{ "cr0-fixed0", "IA32_VMX_CR0_FIXED0 (0x486): CR0 bits that must be 1", true, NS_CAP_CR0_FIXED },
	{ "cr4-fixed0", "IA32_VMX_CR4_FIXED0 (0x488): CR4 bits that must be 1", true, NS_CAP_CR4_FIXED },
};

size_t ns_explain_kind_count(void) { return sizeof(kinds) / sizeof(kinds[0]); }

const struct ns_explain_kind *ns_explain_kind_at(size_t i)
{
	return i < ns_explain_kind_count() ? &kinds[i] : NULL;
}

const struct ns_explain_kind *ns_explain_kind_find(const char *name)
{
	for (size_t i = 0; i < ns_explain_kind_count(); i++)
		if (!strcasecmp(kinds[i].name, name))
			return &kinds[i];
	return NULL;
}

/* ---- one-line text form ---- */

size_t ns_decoding_format(const struct ns_decoding *d, char *buf, size_t size)
{
	size_t pos = 0;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < d->n; i++) {
		const struct ns_item *it = &d->item[i];
		int w = 0;
		const char *sep = pos ? " " : "";

		switch (it->kind) {
		case NS_ITEM_FLAG:
			w = snprintf(buf + pos, size - pos, "%s%s", sep, it->name);
			break;
		case NS_ITEM_VALUE:
			w = snprintf(buf + pos, size - pos, it->decimal ? "%s%s=%llu" : "%s%s=0x%llx", sep,
				     it->name, (unsigned long long)it->value);
			if (w >= 0 && (size_t)w < size - pos && it->sym) {
				pos += (size_t)w;
				w = snprintf(buf + pos, size - pos, "(%s)", it->sym);
			}
			break;
		case NS_ITEM_RESERVED:
			w = snprintf(buf + pos, size - pos, "%s!%s=0x%llx", sep, it->name,
				     (unsigned long long)it->value);
			break;
		case NS_ITEM_NOTE:
			w = snprintf(buf + pos, size - pos, "%s%s", sep, it->name);
			break;
		}
		if (w < 0 || (size_t)w >= size - pos) {
			pos = size - 1;
			break;
		}
		pos += (size_t)w;
	}
	if (d->truncated && pos + 5 < size)
		pos += (size_t)snprintf(buf + pos, size - pos, " ...");
	return pos;
}
