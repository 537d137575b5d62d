/*
 * Symbolic decoding of VMCB values.  The names live in svm_bits.def (and, for
 * what x86 shares with VMX -- control registers, EFER, RFLAGS, the PAT,
 * selectors, exception vectors, #PF error codes, segment types -- in the SDM
 * tables, through ns_explain()); this file only knows how each value is put
 * together (AMD64 APM vol. 2, chapter 15 and appendices B and C).
 */
#include <stdio.h>
#include <string.h>

#include "nestscope/svm_explain.h"
#include "sdm/vmx_names.h"

/* Exception vectors' and registers' names, from the SDM tables (values.def), by table name. */
static const struct { const char *table; unsigned n; const char *text; } x86_names[] = {
#define VALUE(t, n, name, text) { #t, n, text },
#include "sdm/values.def"
#undef VALUE
};

static const char *x86_name(const char *table, uint64_t n)
{
	for (size_t i = 0; i < sizeof(x86_names) / sizeof(x86_names[0]); i++)
		if (x86_names[i].n == n && !strcmp(x86_names[i].table, table))
			return x86_names[i].text;
	return NULL;
}

static const char *trap_name(uint64_t vec) { return x86_name("X86_TRAP", vec); }
static const char *gpr_name(uint64_t n) { return x86_name("GPR", n); }

/* ---- building a decoding (explain.h's items) ---- */

static void add(struct ns_decoding *d, enum ns_item_kind k, const char *name, uint64_t v, const char *sym, bool dec)
{
	if (d->n >= NS_MAX_ITEMS) {
		d->truncated = true;
		return;
	}
	d->item[d->n++] = (struct ns_item){ k, name, v, sym, dec };
}

static void add_value(struct ns_decoding *d, const char *key, uint64_t v, const char *sym)
{
	add(d, NS_ITEM_VALUE, key, v, sym, false);
}

/* Vectors, counts, register numbers: read in decimal. */
static void add_number(struct ns_decoding *d, const char *key, uint64_t v, const char *sym)
{
	add(d, NS_ITEM_VALUE, key, v, sym, true);
}

static void add_note(struct ns_decoding *d, const char *text)
{
	add(d, NS_ITEM_NOTE, text, 0, NULL, false);
}

static void add_reserved(struct ns_decoding *d, const char *what, uint64_t bits)
{
	if (bits)
		add(d, NS_ITEM_RESERVED, what, bits, NULL, false);
}

/* A string kept in the decoding's scratch space (items point at it), or fallback when it is full. */
static const char *keep(struct ns_decoding *d, const char *s, const char *fallback)
{
	size_t len = strlen(s) + 1;

	if (d->scratch_used + len > sizeof(d->scratch))
		return fallback;
	memcpy(d->scratch + d->scratch_used, s, len);
	d->scratch_used += len;
	return d->scratch + d->scratch_used - len;
}

/* A flag per named set bit of table t within `within`; returns the mask of t's named bits. */
static uint64_t add_flags(struct ns_decoding *d, enum ns_svm_bit_table t, uint64_t v, uint64_t within)
{
	uint64_t named = 0;

	for (unsigned b = 0; b < 64; b++) {
		const char *name = ns_svm_bit_name(t, b);

		if (!name)
			continue;
		named |= 1ull << b;
		if (v & within & (1ull << b))
			add(d, NS_ITEM_FLAG, name, b, NULL, false);
	}
	return named;
}

/* A word of named bits: the flags, then whatever no row names as reserved. */
static void decode_word(struct ns_decoding *d, enum ns_svm_bit_table t, uint64_t v)
{
	add_reserved(d, "reserved", v & ~add_flags(d, t, v, ~0ull));
}

/* Copies an SDM decoding's items into d (the SDM decoders share x86's meaning with the VMCB). */
static void add_sdm(struct ns_decoding *d, enum ns_decoder dec, uint64_t v)
{
	struct ns_decoding s;

	if (!ns_explain(dec, v, NULL, &s))
		return;
	for (unsigned i = 0; i < s.n; i++) {
		const struct ns_item *it = &s.item[i];
		/* names and symbols in s's scratch space must move with the item */
		bool name_in_scratch = it->name >= s.scratch && it->name < s.scratch + sizeof(s.scratch);
		bool sym_in_scratch = it->sym && it->sym >= s.scratch && it->sym < s.scratch + sizeof(s.scratch);

		add(d, it->kind, name_in_scratch ? keep(d, it->name, "?") : it->name, it->value,
		    sym_in_scratch ? keep(d, it->sym, NULL) : it->sym, it->decimal);
	}
	d->truncated |= s.truncated;
}

/* ---- the control area ---- */

static void decode_int_ctl(struct ns_decoding *d, uint64_t v)
{
	uint64_t named = NS_SVM_INT_CTL_V_TPR | NS_SVM_INT_CTL_V_INTR_PRIO;

	add_number(d, "v_tpr", ns_svm_field_get(v, NS_SVM_INT_CTL_V_TPR), NULL);
	named |= add_flags(d, NS_SVMT_INT_CTL, v, ~0ull);
	add_number(d, "v_intr_prio", ns_svm_field_get(v, NS_SVM_INT_CTL_V_INTR_PRIO), NULL);
	add_reserved(d, "reserved", v & ~named);
}

static void decode_tlb_ctl(struct ns_decoding *d, uint64_t v)
{
	add_value(d, "tlb_control", v, ns_svm_value_name(NS_SVMT_TLB_CTL, v));
}

/* EVENTINJ, EXITINTINFO: vector 7:0, type 10:8, EV (error code valid) 11, V (valid) 31 (APM 15.20). */
static void decode_event(struct ns_decoding *d, uint64_t v)
{
	uint64_t vec = ns_svm_field_get(v, NS_SVM_EVENT_VECTOR), type = ns_svm_field_get(v, NS_SVM_EVENT_TYPE);
	uint64_t known = NS_SVM_EVENT_VECTOR | NS_SVM_EVENT_TYPE | NS_SVM_EVENT_VALID_ERR | NS_SVM_EVENT_VALID;
	bool exception = type == NS_SVM_EVENT_TYPE_EXCEPTION || type == NS_SVM_EVENT_TYPE_NMI;

	/* only the low 32 bits are the event: EXITINTINFO's and EVENTINJ's error codes are separate fields */
	if (!(v & NS_SVM_EVENT_VALID)) {
		add_note(d, "not valid");
		add_reserved(d, "bits set while invalid", v & ~NS_SVM_EVENT_VALID);
		return;
	}
	add_number(d, "vector", vec, exception ? trap_name(vec) : NULL);
	add_value(d, "type", type, ns_svm_value_name(NS_SVMT_EVENT_TYPE, type));
	add_flags(d, NS_SVMT_EVENT, v, ~0ull);
	add_reserved(d, "reserved", v & ~known);
}

/* ---- the save area ---- */

/*
 * The VMCB packs a descriptor's attribute bits 47:40 into 7:0 and 55:52 into
 * 11:8; VMX's access rights hold the same bits at 7:0 and 15:12 (from AVL,
 * its lowest), so the SDM's decoder names the type, S, DPL, P, AVL, L, D/B, G.
 */
static void decode_seg_attrib(struct ns_decoding *d, uint64_t v)
{
	uint64_t ar = ns_svm_field_get(v, NS_SVM_SEG_ATTRIB_DESC_47_40) |
		      ns_svm_field_get(v, NS_SVM_SEG_ATTRIB_DESC_55_52) << __builtin_ctzll(VMX_AR_AVL);

	add_sdm(d, NS_DEC_AR, ar);
	add_reserved(d, "reserved", v & NS_SVM_SEG_ATTRIB_RESERVED);
}

/* ---- the exit information ---- */

static bool in(uint64_t code, uint64_t first, uint64_t last)
{
	return code >= first && code <= last;
}

/* IOIO: EXITINFO1 (APM 15.10.2 "IN and OUT Behavior"); EXITINFO2 is the next RIP. */
static void decode_ioio(struct ns_decoding *d, uint64_t q)
{
	static const uint64_t sizes = NS_SVM_IOIO_SZ8 | NS_SVM_IOIO_SZ16 | NS_SVM_IOIO_SZ32;
	static const uint64_t widths = NS_SVM_IOIO_A16 | NS_SVM_IOIO_A32 | NS_SVM_IOIO_A64;
	uint64_t known = NS_SVM_IOIO_PORT | NS_SVM_IOIO_SEG;

	add_value(d, "port", ns_svm_field_get(q, NS_SVM_IOIO_PORT), NULL);
	add_value(d, "direction", !!(q & NS_SVM_IOIO_TYPE_IN), q & NS_SVM_IOIO_TYPE_IN ? "IN" : "OUT");
	known |= add_flags(d, NS_SVMT_IOIO, q, ~NS_SVM_IOIO_TYPE_IN & ~sizes & ~widths);  /* STR, REP */
	add_flags(d, NS_SVMT_IOIO, q, sizes | widths);
	if (q & (NS_SVM_IOIO_STR))
		add_value(d, "segment", ns_svm_field_get(q, NS_SVM_IOIO_SEG),
			  ns_svm_value_name(NS_SVMT_IOIO_SEG, ns_svm_field_get(q, NS_SVM_IOIO_SEG)));
	add_reserved(d, "reserved", q & ~known);
}

/* CRn/DRn accesses with decode assists (APM 15.33.1): MOV or not, and the GPR. */
static void decode_crdr(struct ns_decoding *d, uint64_t q, bool dr)
{
	uint64_t gpr = ns_svm_field_get(q, NS_SVM_CR_ACCESS_GPR);

	if (!dr && !(q & NS_SVM_CR_ACCESS_MOV)) {
		add_note(d, q ? "not a MOV (CLTS, LMSW or SMSW)"
			      : "CLTS, LMSW or SMSW, or a CPU without decode assists");
		add_reserved(d, "reserved", q & ~NS_SVM_CR_ACCESS_GPR);
		return;
	}
	if (!dr)
		add_flags(d, NS_SVMT_CR_ACCESS, q, ~0ull);
	add_number(d, "gpr", gpr, gpr_name(gpr));
	add_reserved(d, "reserved", q & ~(NS_SVM_CR_ACCESS_GPR | NS_SVM_CR_ACCESS_MOV));
}

/* An intercepted exception (APM 15.12): EXITINFO1 its error code, EXITINFO2 CR2 for #PF. */
static void decode_exception(struct ns_decoding *d, unsigned which, uint64_t vec, uint64_t q)
{
	if (which == 1 && vec == X86_TRAP_PF) {
		add_sdm(d, NS_DEC_PFEC, q);
	} else if (which == 1) {
		add_value(d, "error_code", q, "the error code the exception pushes (0 for one that pushes none)");
	} else if (vec == X86_TRAP_PF) {
		add_value(d, "cr2", q, "faulting linear address");
	} else if (q) {
		add_note(d, "not defined for this exception");
	}
}

static void decode_task_switch(struct ns_decoding *d, unsigned which, uint64_t q)
{
	if (which == 1) {
		add_value(d, "tss_selector", ns_svm_field_get(q, NS_SVM_TASK_SWITCH_SELECTOR), NULL);
		return;
	}
	if (!(q & (NS_SVM_TASK_SWITCH_IRET | NS_SVM_TASK_SWITCH_JMP)))
		add_note(d, "CALL or task gate");
	add_flags(d, NS_SVMT_TASK_SWITCH, q, ~0ull);
	if (q & NS_SVM_TASK_SWITCH_HAS_ERROR_CODE)
		add_value(d, "error_code", ns_svm_field_get(q, NS_SVM_TASK_SWITCH_ERROR_CODE), NULL);
}

bool ns_svm_exit_info_decode(uint64_t code, unsigned which, uint64_t q, struct ns_decoding *d)
{
	memset(d, 0, sizeof(*d));
	if (in(code, NS_SVM_EXITS_CR_READ_FIRST, NS_SVM_EXITS_CR_WRITE_LAST) || code == NS_SVM_EXIT_CR0_SEL_WRITE) {
		if (which == 1)
			decode_crdr(d, q, false);
	} else if (in(code, NS_SVM_EXITS_DR_READ_FIRST, NS_SVM_EXITS_DR_WRITE_LAST)) {
		if (which == 1)
			decode_crdr(d, q, true);
	} else if (in(code, NS_SVM_EXITS_EXCP_FIRST, NS_SVM_EXITS_EXCP_LAST)) {
		decode_exception(d, which, code - NS_SVM_EXITS_EXCP_FIRST, q);
	} else if (in(code, NS_SVM_EXITS_CR_WRITE_TRAP_FIRST, NS_SVM_EXITS_CR_WRITE_TRAP_LAST) ||
		   code == NS_SVM_EXIT_EFER_WRITE_TRAP) {
		if (which == 1)
			add_value(d, "new_value", q, "the register's value after the write");
	} else if (code == NS_SVM_EXIT_IOIO) {
		if (which == 1)
			decode_ioio(d, q);
		else
			add_value(d, "next_rip", q, "RIP of the instruction after the IN/OUT");
	} else if (code == NS_SVM_EXIT_MSR) {
		if (which == 1) {
			add_value(d, "access", q, ns_svm_value_name(NS_SVMT_MSR_ACCESS, q));
			add_note(d, "the MSR's number is in the guest's RCX, not in the VMCB");
		}
	} else if (code == NS_SVM_EXIT_NPF) {
		if (which == 1)
			decode_word(d, NS_SVMT_NPF, q);
		else
			add_value(d, "gpa", q, "faulting guest-physical address");
	} else if (code == NS_SVM_EXIT_INVLPG) {
		if (which == 1)
			add_value(d, "linear_address", q, "INVLPG operand (decode assists)");
	} else if (code == NS_SVM_EXIT_SWINT) {
		if (which == 1)
			add_number(d, "vector", ns_svm_field_get(q, NS_SVM_SWINT_VECTOR), "INTn operand (decode assists)");
	} else if (code == NS_SVM_EXIT_TASK_SWITCH) {
		decode_task_switch(d, which, q);
	} else if (code == NS_SVM_EXIT_AVIC_UNACCELERATED_ACCESS) {
		if (which == 1) {
			add_value(d, "offset", q & NS_SVM_AVIC_NOACCEL_OFFSET, "APIC register offset");
			add_flags(d, NS_SVMT_AVIC_NOACCEL, q, ~0ull);
		}
	} else if (code == NS_SVM_EXIT_VMRUN || code == NS_SVM_EXIT_VMLOAD || code == NS_SVM_EXIT_VMSAVE ||
		   code == NS_SVM_EXIT_INVLPGA || code == NS_SVM_EXIT_SKINIT) {
		if (q)
			add_note(d, "not defined for this exit (the instruction's operands are in RAX, ECX)");
	} else if (q) {
		add_note(d, "not defined for this exit code");
	}
	if (!d->n && q)
		add_note(d, "not defined for this exit code");
	return d->n > 0;
}

size_t ns_svm_exit_info_explain(uint64_t code, uint64_t info1, uint64_t info2, char *out, size_t n)
{
	struct ns_decoding d;
	char one[512] = "", two[512] = "";

	if (ns_svm_exit_info_decode(code, 1, info1, &d))
		ns_decoding_format(&d, one, sizeof(one));
	if (ns_svm_exit_info_decode(code, 2, info2, &d))
		ns_decoding_format(&d, two, sizeof(two));
	if (!n)
		return 0;
	int w = snprintf(out, n, "%s%s%s%s%s", *one ? "EXITINFO1: " : "", one, *one && *two ? "; " : "",
			 *two ? "EXITINFO2: " : "", two);
	return w < 0 ? 0 : (size_t)w >= n ? n - 1 : (size_t)w;
}

static void decode_exit_code(struct ns_decoding *d, uint64_t code)
{
	char name[40];
	const char *apm = NULL;

	if (ns_svm_exit_name(code, name, sizeof(name), &apm)) {
		add_value(d, "exit", code, keep(d, name, apm));
	} else {
		add_value(d, "exit", code, NULL);
		add_note(d, "an exit code the APM does not define");
	}
}

bool ns_svm_explain(enum ns_vmcb_decoder dec, uint64_t v, bool have_exit_code, uint64_t exit_code,
		    struct ns_decoding *d)
{
	memset(d, 0, sizeof(*d));
	switch (dec) {
	case NS_VDEC_NONE: case NS_VDEC_ADDRESS: case NS_VDEC_BYTES: case NS_VDEC__COUNT: return false;
	case NS_VDEC_INTERCEPT_CR: decode_word(d, NS_SVMT_INTERCEPT_CR, v); break;
	case NS_VDEC_INTERCEPT_DR: decode_word(d, NS_SVMT_INTERCEPT_DR, v); break;
	case NS_VDEC_INTERCEPT_EXCEPTION: add_sdm(d, NS_DEC_EXCEPTION_BITMAP, v); break;
	case NS_VDEC_INTERCEPT_WORD3: decode_word(d, NS_SVMT_WORD3, v); break;
	case NS_VDEC_INTERCEPT_WORD4: decode_word(d, NS_SVMT_WORD4, v); break;
	case NS_VDEC_INTERCEPT_WORD5: decode_word(d, NS_SVMT_WORD5, v); break;
	case NS_VDEC_TLB_CTL: decode_tlb_ctl(d, v); break;
	case NS_VDEC_INT_CTL: decode_int_ctl(d, v); break;
	case NS_VDEC_INT_STATE: decode_word(d, NS_SVMT_INT_STATE, v); break;
	case NS_VDEC_EXIT_CODE: decode_exit_code(d, v); break;
	case NS_VDEC_EXIT_INFO_1:
	case NS_VDEC_EXIT_INFO_2:
		if (!have_exit_code) {
			add_note(d, "meaning depends on the exit code");
			return true;
		}
		return ns_svm_exit_info_decode(exit_code, dec == NS_VDEC_EXIT_INFO_1 ? 1 : 2, v, d);
	case NS_VDEC_EVENT: decode_event(d, v); break;
	case NS_VDEC_MISC_CTL: decode_word(d, NS_SVMT_MISC_CTL, v); break;
	case NS_VDEC_MISC_CTL2: decode_word(d, NS_SVMT_MISC_CTL2, v); break;
	case NS_VDEC_CLEAN: decode_word(d, NS_SVMT_CLEAN, v); break;
	case NS_VDEC_SELECTOR: add_sdm(d, NS_DEC_SELECTOR, v); break;
	case NS_VDEC_SEG_ATTRIB: decode_seg_attrib(d, v); break;
	case NS_VDEC_EFER: add_sdm(d, NS_DEC_EFER, v); break;
	case NS_VDEC_CR0: add_sdm(d, NS_DEC_CR0, v); break;
	case NS_VDEC_CR4: add_sdm(d, NS_DEC_CR4, v); break;
	case NS_VDEC_RFLAGS: add_sdm(d, NS_DEC_RFLAGS, v); break;
	case NS_VDEC_PAT: add_sdm(d, NS_DEC_PAT, v); break;
	}
	return d->n > 0;
}

#define REAL_MODE_SELECTOR_SHIFT 4

/*
 * A data or code segment's selector in a save area whose CR0.PE is clear: L2 in real mode (VMRUN takes
 * it: the APM's VMRUN checks and KVM's nested_vmcb_check_save ask for PE only with EFER.LME and CR0.PG).  Only ES, CS, SS, DS, FS
 * and GS: real mode loads no LDTR or TR, and GDTR's and IDTR's selector fields are reserved.
 */
static bool real_mode_selector(const struct ns_vmcb *vmcb, enum ns_vmcb_field_id id)
{
	uint64_t cr0;

	switch (id) {
	case NS_VMCB_ES_SELECTOR: case NS_VMCB_CS_SELECTOR: case NS_VMCB_SS_SELECTOR:
	case NS_VMCB_DS_SELECTOR: case NS_VMCB_FS_SELECTOR: case NS_VMCB_GS_SELECTOR:
		return ns_vmcb_read(vmcb, NS_VMCB_CR0, &cr0) && !(cr0 & X86_CR0_PE);
	default:
		return false;
	}
}

bool ns_vmcb_decode_field(const struct ns_vmcb *vmcb, enum ns_vmcb_field_id id, struct ns_decoding *d)
{
	const struct ns_vmcb_field *f = ns_vmcb_field(id);
	uint64_t v, code;
	bool have_code;

	memset(d, 0, sizeof(*d));
	if (!f || !ns_vmcb_read(vmcb, id, &v))
		return false;
	if (real_mode_selector(vmcb, id)) {
		/* in real mode a selector is no descriptor index (the index, TI and RPL a protected-mode reading gives
		 * mean nothing): the CPU's base is the selector times 16 (APM vol. 1, real addressing) */
		add_value(d, "base", v << REAL_MODE_SELECTOR_SHIFT, NULL);
		add_note(d, "real mode (the save area's CR0.PE is 0): base = selector << 4, no descriptor table");
		return true;
	}
	have_code = ns_vmcb_read(vmcb, NS_VMCB_EXIT_CODE, &code);
	return ns_svm_explain(f->decoder, v, have_code, code, d);
}

size_t ns_vmcb_explain(const struct ns_vmcb *vmcb, enum ns_vmcb_field_id id, char *out, size_t n)
{
	struct ns_decoding d;

	if (n)
		out[0] = '\0';
	if (!ns_vmcb_decode_field(vmcb, id, &d))
		return 0;
	return ns_decoding_format(&d, out, n);
}

int ns_vmcb_field_text(const uint8_t *buf, size_t len, const char *name, uint64_t *value, char *text, size_t n,
		       struct ns_error *err)
{
	const struct ns_vmcb_field *f = ns_vmcb_field_by_name(name);
	struct ns_vmcb v;
	size_t end;

	*value = 0;
	if (n)
		text[0] = '\0';
	if (!f)
		return ns_fail(err, NS_ERR_ARG, "%s: no such VMCB field (the names 'nestscope decode --format vmcb' prints)",
			       name ? name : "(null)");
	end = ns_vmcb_field_offset(f) + f->size;
	if (f->size > 8)
		return ns_fail(err, NS_ERR_ARG, "%s: %u bytes, not a number", f->name, f->size);
	if (end > len)
		return ns_fail(err, NS_ERR_TRUNCATED, "%s ends at 0x%zx, past the %zu bytes given", f->name, end, len);
	/* the page with what was given; the areas marked present since the field lies in what was given */
	ns_vmcb_from_page(&v, NS_VMCB_COPY_REGION, buf, len);
	v.has_control = v.has_control || f->area == NS_VMCB_CTRL;
	v.has_save = v.has_save || f->area == NS_VMCB_SAVE;
	ns_vmcb_read(&v, f->id, value);
	ns_vmcb_explain(&v, f->id, text, n);
	return NS_OK;
}

size_t ns_svm_value_text(const char *name, uint64_t value, bool have_exit_code, uint64_t exit_code, char *out,
			 size_t n)
{
	const struct ns_vmcb_field *f = ns_vmcb_field_by_name(name);
	struct ns_decoding d;

	if (n)
		out[0] = '\0';
	if (!f || !ns_svm_explain(f->decoder, value, have_exit_code, exit_code, &d))
		return 0;
	return ns_decoding_format(&d, out, n);
}
