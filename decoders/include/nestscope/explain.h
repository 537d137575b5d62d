/*
 * Symbolic decoding of VMX values: control words, exit reasons and
 * qualifications, interruption information, access rights, control
 * registers, capability MSRs.  A decoding is a short list of items that
 * both the text and the JSON renderers print.
 */
#ifndef NESTSCOPE_EXPLAIN_H
#define NESTSCOPE_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "error.h"

enum ns_item_kind {
	NS_ITEM_FLAG,      /* a set bit with a name: "NMI_EXITING" */
	NS_ITEM_VALUE,     /* a sub-field: "type" = 3, sym "HW_EXCEPTION" */
	NS_ITEM_RESERVED,  /* bits set that the SDM reserves: value = the mask */
	NS_ITEM_NOTE,      /* a remark: "none (-1)", "not valid" */
};

struct ns_item {
	enum ns_item_kind kind;
	const char *name;  /* flag name, sub-field key, or note text */
	uint64_t value;
	const char *sym;   /* symbolic value of a sub-field, or NULL */
	bool decimal;      /* a count or small number: text shows it in decimal */
};

#define NS_MAX_ITEMS 72

struct ns_decoding {
	unsigned n;
	bool truncated;    /* more items than fit */
	struct ns_item item[NS_MAX_ITEMS];
	/* Room for symbols built at decode time ("b1 b2 b4: ..."); items point here. */
	char scratch[256];
	size_t scratch_used;
};

/*
 * What a decoder may need beyond the value itself: exit qualifications
 * depend on the exit reason (and, for exceptions, the interruption info).
 */
struct ns_context {
	bool have_exit_reason;
	uint32_t exit_reason;
	bool have_exit_intr_info;
	uint32_t exit_intr_info;
};

/* Decodes value with decoder d.  Returns false when d explains nothing. */
bool ns_explain(enum ns_decoder d, uint64_t value, const struct ns_context *ctx,
		struct ns_decoding *out);

/* Names the basic exit reason (bits 15:0), or NULL. */
const char *ns_exit_reason_name(unsigned basic);
/* Names a VM-instruction error number, or NULL. */
const char *ns_vm_insn_error_name(unsigned n);

/*
 * Capability MSRs (IA32_VMX_*), which are not VMCS fields and so have their
 * own decoders.  The allowed-0/allowed-1 pairs use the control bit names.
 */
enum ns_capability {
	NS_CAP_BASIC, NS_CAP_MISC, NS_CAP_EPT_VPID, NS_CAP_VMFUNC,
	NS_CAP_PINBASED, NS_CAP_PROCBASED, NS_CAP_PROCBASED2, NS_CAP_PROCBASED3,
	NS_CAP_EXIT, NS_CAP_EXIT2, NS_CAP_ENTRY,
	NS_CAP_CR0_FIXED, NS_CAP_CR4_FIXED,
};
bool ns_explain_capability(enum ns_capability c, uint64_t value, struct ns_decoding *out);

/*
 * The kinds `nestscope explain KIND VALUE` knows, defined once here so the
 * CLI, the docs and the tests list the same set.
 */
struct ns_explain_kind {
	const char *name;         /* "exit-reason", "ar", "cr0", "pinbased-msr" ... */
	const char *what;         /* one line of help */
	bool is_capability;
	int decoder;              /* enum ns_decoder or enum ns_capability */
};
size_t ns_explain_kind_count(void);
const struct ns_explain_kind *ns_explain_kind_at(size_t i);
const struct ns_explain_kind *ns_explain_kind_find(const char *name);

/* "STI MOV_SS" / "type=3 (HW_EXCEPTION) vector=14 (#PF)" ... into buf. */
size_t ns_decoding_format(const struct ns_decoding *d, char *buf, size_t size);

#endif
