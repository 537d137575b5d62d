/* The catalog of every VMCS field in the Intel SDM (decoders/fields.def). */
#ifndef NESTSCOPE_CATALOG_H
#define NESTSCOPE_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Encoding bits 14:13: the field's width. */
enum ns_width { NS_W16 = 0, NS_W64 = 1, NS_W32 = 2, NS_WNAT = 3 };

/* Encoding bits 11:10: the field's type, which is also its section in a dump. */
enum ns_ftype { NS_CTRL = 0, NS_EXIT = 1, NS_GUEST = 2, NS_HOST = 3 };

/* How a field's value is explained symbolically (see explain.h). */
enum ns_decoder {
	NS_DEC_NONE,
	NS_DEC_PIN, NS_DEC_PROC, NS_DEC_PROC2, NS_DEC_PROC3,
	NS_DEC_EXIT_CTLS, NS_DEC_EXIT2, NS_DEC_ENTRY_CTLS,
	NS_DEC_EXCEPTION_BITMAP, NS_DEC_PFEC, NS_DEC_INTR_INFO,
	NS_DEC_EXIT_REASON, NS_DEC_EXIT_QUAL, NS_DEC_VM_INSN_ERROR,
	NS_DEC_SELECTOR, NS_DEC_AR, NS_DEC_CR0, NS_DEC_CR4, NS_DEC_EFER,
	NS_DEC_RFLAGS, NS_DEC_DR7, NS_DEC_PAT, NS_DEC_DEBUGCTL,
	NS_DEC_ACTIVITY, NS_DEC_INTERRUPTIBILITY, NS_DEC_PENDING_DBG,
	NS_DEC_EPTP, NS_DEC_VMFUNC, NS_DEC_LINK_POINTER, NS_DEC_GUEST_INTR_STATUS,
	NS_DEC__COUNT
};

struct ns_field {
	uint16_t encoding;      /* the full (or low) half; HIGH halves are derived */
	const char *name;       /* Linux enum vmcs_field name, or one in its style */
	bool in_linux;          /* Linux's enum vmcs_field has this name */
	const char *sdm_name;   /* as the SDM's field-encoding appendix names it */
	enum ns_width width;
	enum ns_ftype type;
	enum ns_decoder decoder;
};

/* A lookup result: a field, or the HIGH half of a 64-bit field. */
struct ns_field_ref {
	const struct ns_field *field;
	bool high;
};

size_t ns_field_count(void);
const struct ns_field *ns_field_at(size_t i);
/* Finds a field by encoding, HIGH halves (64-bit encoding | 1) included. */
bool ns_field_lookup(uint32_t encoding, struct ns_field_ref *ref);
/* Finds a field by name (case-insensitive; "FOO_HIGH" finds a HIGH half). */
bool ns_field_by_name(const char *name, struct ns_field_ref *ref);

/* The parts of an encoding, as the SDM defines them. */
static inline unsigned ns_enc_access_high(uint32_t e) { return e & 1; }
static inline unsigned ns_enc_index(uint32_t e) { return (e >> 1) & 0x1ff; }
static inline unsigned ns_enc_type(uint32_t e) { return (e >> 10) & 3; }
static inline unsigned ns_enc_width(uint32_t e) { return (e >> 13) & 3; }
/* Bits 12 and 15..31 are reserved and must be zero. */
static inline bool ns_enc_reserved_clear(uint32_t e) { return (e & 0xffff9000u) == 0; }

const char *ns_width_name(enum ns_width w);  /* "16", "64", "32", "natural" */
const char *ns_ftype_name(enum ns_ftype t);  /* "control", "exit-info", "guest", "host" */
unsigned ns_width_bytes(enum ns_width w);    /* 2, 8, 4, 8 */

#endif
