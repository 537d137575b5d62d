/*
 * The AMD SVM VMCB (AMD64 APM vol. 2, appendix B), decoded from one table
 * (decoders/svm/vmcb_fields.def) and named bits (decoders/svm/svm_bits.def).
 * The layout is architectural: the same table reads vmcb12 (what L1 wrote),
 * KVM's vmcb02 and vmcb01, and the save area a nested-state blob carries.
 */
#ifndef NESTSCOPE_VMCB_H
#define NESTSCOPE_VMCB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A VMCB is one 4 KiB page; the control area is at 000h, the save area at 400h. */
#define NS_VMCB_SIZE 4096u
#define NS_VMCB_CONTROL_SIZE 0x400u
#define NS_VMCB_SAVE_OFFSET 0x400u

enum ns_vmcb_area { NS_VMCB_CTRL, NS_VMCB_SAVE };

/* The layout a VMCB's copy_ref names (JSON copy.layout): the APM's, compiled in. */
#define NS_VMCB_LAYOUT_NAME "vmcb"

/* How a field's value is explained (decoders/svm/explain.c). */
enum ns_vmcb_decoder {
	NS_VDEC_NONE, NS_VDEC_ADDRESS, NS_VDEC_BYTES,
	NS_VDEC_INTERCEPT_CR, NS_VDEC_INTERCEPT_DR, NS_VDEC_INTERCEPT_EXCEPTION,
	NS_VDEC_INTERCEPT_WORD3, NS_VDEC_INTERCEPT_WORD4, NS_VDEC_INTERCEPT_WORD5,
	NS_VDEC_TLB_CTL, NS_VDEC_INT_CTL, NS_VDEC_INT_STATE,
	NS_VDEC_EXIT_CODE, NS_VDEC_EXIT_INFO_1, NS_VDEC_EXIT_INFO_2, NS_VDEC_EVENT,
	NS_VDEC_MISC_CTL, NS_VDEC_MISC_CTL2, NS_VDEC_CLEAN,
	NS_VDEC_SELECTOR, NS_VDEC_SEG_ATTRIB, NS_VDEC_EFER, NS_VDEC_CR0, NS_VDEC_CR4,
	NS_VDEC_RFLAGS, NS_VDEC_PAT,
	NS_VDEC__COUNT
};

/* NS_VMCB_INT_CTL, NS_VMCB_CS_BASE, ...: one id per field of the table. */
enum ns_vmcb_field_id {
#define VMCB_FIELD(NAME, AREA, off, size, kvm, apm, DEC) NS_VMCB_##NAME,
#include "vmcb_fields.def"
#undef VMCB_FIELD
	NS_VMCB__COUNT
};

struct ns_vmcb_field {
	enum ns_vmcb_field_id id;
	const char *name;       /* "INT_CTL", "CS_BASE" */
	enum ns_vmcb_area area;
	uint16_t offset;        /* from the area's start: CTRL from 000h, SAVE from 400h */
	uint8_t size;           /* bytes: 1, 2, 4, 8, or 15 */
	const char *kvm;        /* KVM's member: "int_ctl", "cs.base" */
	const char *apm;        /* the APM's description */
	enum ns_vmcb_decoder decoder;
};

size_t ns_vmcb_field_count(void);
const struct ns_vmcb_field *ns_vmcb_field(enum ns_vmcb_field_id id);
/* By name (case-insensitive), as the table ("INT_CTL") or KVM ("int_ctl", "cs.base") names it. */
const struct ns_vmcb_field *ns_vmcb_field_by_name(const char *name);
/* The field's offset from the VMCB's start. */
static inline unsigned ns_vmcb_field_offset(const struct ns_vmcb_field *f)
{
	return f->offset + (f->area == NS_VMCB_SAVE ? NS_VMCB_SAVE_OFFSET : 0);
}
const char *ns_vmcb_area_name(enum ns_vmcb_area a);  /* "control", "save" */

/*
 * Which VMCB, and what of it is present.  A nested-state blob of format 1
 * carries vmcb12's control area as KVM cached it and L1's save area;
 * a vCPU's vmcb02 and vmcb01 are whole pages.
 */
enum ns_vmcb_copy {
	NS_VMCB_COPY_VMCB12_MEMORY,   /* vmcb12 in L1's memory at nested.vmcb12_gpa */
	NS_VMCB_COPY_VMCB12_CACHED,   /* nested.ctl/nested.save: what KVM cached of vmcb12 at VMRUN */
	NS_VMCB_COPY_VMCB02,
	NS_VMCB_COPY_VMCB01,
	NS_VMCB_COPY_BLOB,            /* KVM_GET_NESTED_STATE's struct kvm_svm_nested_state_data */
	NS_VMCB_COPY_REGION,          /* a file or a page read by address */
};
const char *ns_vmcb_copy_name(enum ns_vmcb_copy c);  /* "vmcb12", "vmcb02", ... (JSON copy names) */

struct ns_vmcb {
	enum ns_vmcb_copy copy;
	bool has_control, has_save;   /* which areas the bytes hold */
	/*
	 * partial: only the fields whose bit is set in known are present (KVM's
	 * cache of vmcb12 holds some fields, not the areas whole).
	 */
	bool partial;
	uint64_t known[(NS_VMCB__COUNT + 63) / 64];
	uint8_t bytes[NS_VMCB_SIZE];  /* little-endian, as the page is in memory; absent areas are zero */
};

/* Fills v from a whole page (len >= NS_VMCB_SIZE) or a prefix (the control area only when len < 0x400+save). */
void ns_vmcb_from_page(struct ns_vmcb *v, enum ns_vmcb_copy copy, const uint8_t *buf, size_t len);

/*
 * Fills v from a format-1 KVM_GET_NESTED_STATE blob's data (struct
 * kvm_svm_nested_state_data): copy NS_VMCB_COPY_BLOB, vmcb12's control area
 * as KVM cached it and L1's save area.  False when the blob carries no data
 * (KVM writes it only in guest mode) or is not format 1.
 */
struct ns_nested_state;
bool ns_vmcb_from_nested_state(struct ns_vmcb *v, const struct ns_nested_state *ns);

/* A field's value (zero-extended); false when its area is absent.  INSN_BYTES: use ns_vmcb_bytes. */
bool ns_vmcb_read(const struct ns_vmcb *v, enum ns_vmcb_field_id id, uint64_t *val);
/* A field's value, 0 when absent: for code that already knows the area is present. */
uint64_t ns_vmcb_get(const struct ns_vmcb *v, enum ns_vmcb_field_id id);
const uint8_t *ns_vmcb_bytes(const struct ns_vmcb *v, enum ns_vmcb_field_id id);
bool ns_vmcb_field_present(const struct ns_vmcb *v, const struct ns_vmcb_field *f);

/*
 * Named bits and values (svm_bits.def).  Tables: "WORD3", "WORD4", "WORD5",
 * "INT_CTL", "INT_STATE", "MISC_CTL", "MISC_CTL2", "CLEAN", "EVENT", "IOIO", "NPF",
 * "INTERCEPT_CR", "INTERCEPT_DR", "CR_ACCESS", "TASK_SWITCH", "AVIC_NOACCEL", "SEG_ATTRIB";
 * value tables "TLB_CTL", "EVENT_TYPE", "IOIO_SEG", "MSR_ACCESS"; "SWINT" has a field only.
 */
enum ns_svm_bit_table {
#define T(NAME) NS_SVMT_##NAME,
	T(WORD3) T(WORD4) T(WORD5) T(INT_CTL) T(INT_STATE) T(MISC_CTL) T(MISC_CTL2) T(CLEAN) T(EVENT)
	T(IOIO) T(NPF) T(TLB_CTL) T(EVENT_TYPE)
	T(INTERCEPT_CR) T(INTERCEPT_DR) T(CR_ACCESS) T(TASK_SWITCH) T(AVIC_NOACCEL) T(SEG_ATTRIB)
	T(IOIO_SEG) T(MSR_ACCESS) T(SWINT)
#undef T
	NS_SVMT__COUNT
};

/* Bit NAME of table T, as a mask: NS_SVM_INT_CTL_V_IRQ, NS_SVM_WORD4_VMRUN, NS_SVM_MISC_CTL_NP_ENABLE. */
#define SVM_BIT(T, bit, NAME) static const uint64_t NS_SVM_##T##_##NAME = 1ull << (bit);
#include "svm_bits.def"
#undef SVM_BIT
/* Value NAME of table T: NS_SVM_TLB_CTL_FLUSH_ASID, NS_SVM_EVENT_TYPE_NMI. */
enum ns_svm_value {
#define SVM_VALUE(T, v, NAME) NS_SVM_##T##_##NAME = (v),
#include "svm_bits.def"
#undef SVM_VALUE
};
/* Multi-bit field NAME (bits hi:lo) of table T, as a mask: NS_SVM_INT_CTL_V_TPR, NS_SVM_IOIO_PORT. */
#define SVM_FIELD(T, hi, lo, NAME) \
	static const uint64_t NS_SVM_##T##_##NAME = (~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1);
#include "svm_bits.def"
#undef SVM_FIELD
/* The value of the field `mask` (an NS_SVM_* mask) in v, shifted down. */
static inline uint64_t ns_svm_field_get(uint64_t v, uint64_t mask)
{
	return mask ? (v & mask) >> __builtin_ctzll(mask) : 0;
}
/* The exit codes appendix C gives as ranges: NS_SVM_EXITS_EXCP_FIRST (040h) .. NS_SVM_EXITS_EXCP_LAST. */
#define SVM_EXIT_RANGE(first, last, NAME, fmt, apm) \
	static const uint64_t NS_SVM_EXITS_##NAME##_FIRST = (first), NS_SVM_EXITS_##NAME##_LAST = (last);
#include "svm_bits.def"
#undef SVM_EXIT_RANGE
/* Exit codes: NS_SVM_EXIT_IOIO, NS_SVM_EXIT_NPF, NS_SVM_EXIT_ERR (-1 as the 64-bit EXITCODE). */
#define SVM_EXIT(code, NAME, apm) static const uint64_t NS_SVM_EXIT_##NAME = (uint64_t)(code);
#include "svm_bits.def"
#undef SVM_EXIT

/* The name of bit `bit` of table t, or NULL. */
const char *ns_svm_bit_name(enum ns_svm_bit_table t, unsigned bit);
/* The name of value v of a value table, or NULL. */
const char *ns_svm_value_name(enum ns_svm_bit_table t, uint64_t v);
/*
 * An exit code's name (KVM's SVM_EXIT_* minus the prefix, "EXCP_14" and
 * "READ_DR3" for the ranges) and the APM's; false for a code no table knows.
 */
bool ns_svm_exit_name(uint64_t code, char *name, size_t nlen, const char **apm);

#endif
