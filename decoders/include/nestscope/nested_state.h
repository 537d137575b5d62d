/* struct kvm_nested_state, as KVM_GET_NESTED_STATE returns it. */
#ifndef NESTSCOPE_NESTED_STATE_H
#define NESTSCOPE_NESTED_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define NS_NESTED_FORMAT_VMX 0
#define NS_NESTED_FORMAT_SVM 1
#define NS_NESTED_HDR_SIZE 128u                 /* offsetof(data) */
#define NS_NESTED_MAX_SIZE (128u + 2 * 0x1000u) /* KVM_CAP_NESTED_STATE on VMX */
#define NS_NESTED_SVM_VMCB_SIZE 0x1000u         /* KVM_STATE_NESTED_SVM_VMCB_SIZE: data.svm[0].vmcb12 */

/* The words of the header that hold flags (nested_flags.def). */
enum ns_nested_word { NS_NESTED_WORD_FLAGS, NS_NESTED_WORD_SMM, NS_NESTED_WORD_VMX };

/* NS_NESTED_GUEST_MODE, NS_NESTED_SMM_VMXON, NS_NESTED_VMX_PREEMPTION_TIMER_DEADLINE ... */
enum {
#define NESTED_FLAG(word, bit, cname, shown, kernel) NS_NESTED_##cname = 1u << (bit),
#include "nested_flags.def"
#undef NESTED_FLAG
};

/* The bits of a word that have a name (what KVM knows of). */
uint32_t ns_nested_known_flags(enum ns_nested_word w);
/* The name a bit is shown by ("GUEST_MODE", "VMXON"), or NULL for an unknown bit. */
const char *ns_nested_flag_name(enum ns_nested_word w, unsigned bit);
/* The kernel's macro for a bit ("KVM_STATE_NESTED_SMM_VMXON"), or NULL. */
const char *ns_nested_flag_macro(enum ns_nested_word w, unsigned bit);
/* How ns_nested_flags_join() spells the set bits of a word. */
enum ns_nested_flags_style {
	NS_FLAGS_WORDS,   /* "GUEST_MODE RUN_PENDING bit4": the header's words, as decode shows them */
	NS_FLAGS_LIST,    /* "GUEST_MODE, bit 4": names in a sentence, unknown bits by number */
	NS_FLAGS_NUMBERS, /* "bit 4, bit 9": every bit by number, named or not */
};
/* The set bits of mask, joined into out (n bytes; cut short when it is full). */
void ns_nested_flags_join(enum ns_nested_word w, uint32_t mask, enum ns_nested_flags_style style, char *out, size_t n);

struct ns_nested_state {
	uint16_t flags;
	uint16_t format;
	uint32_t size;
	/* format VMX */
	uint64_t vmxon_pa, vmcs12_pa;
	uint16_t smm_flags;
	uint32_t vmx_flags;
	uint64_t preemption_timer_deadline;
	/* format SVM */
	uint64_t vmcb_pa;
	/* payload, pointing into the caller's buffer; NULL when absent */
	const uint8_t *vmcs12;          /* or vmcb12 for SVM */
	const uint8_t *shadow_vmcs12;
	size_t vmcs12_len, shadow_len;
	/* the 128-byte header itself, in the caller's buffer (for its padding) */
	const uint8_t *header;
	uint16_t vmx_pad;               /* hdr.vmx.pad */
	/* bytes of the input, and those beyond `size` (and beyond the header) */
	size_t len, trailing;
};

/*
 * Parses a blob.  Fails only when the bytes cannot be read as one: fewer than
 * the header, or fewer than its size field says (a truncated blob).  A header
 * KVM would refuse still parses; ns_nested_state_judge() says what is wrong.
 * The vmcs12 (and shadow vmcs12) regions are the bytes `size` covers after
 * the header, up to 4 KiB each, when they hold at least a struct vmcs12.
 */
int ns_nested_state_parse(const uint8_t *buf, size_t len, struct ns_nested_state *out,
			  struct ns_error *err);

/* Tells whether buf looks like a nested-state header (for format detection). */
bool ns_nested_state_sniff(const uint8_t *buf, size_t len);

/* ---- judging the header as KVM does (blob_rules.def) ---- */

enum ns_blob_kind {
	NS_BLOB_REFUSED,  /* KVM_SET_NESTED_STATE fails with -EINVAL */
	NS_BLOB_IGNORED,  /* KVM_GET_NESTED_STATE never writes it; KVM_SET_NESTED_STATE ignores it */
};

enum ns_blob_rule_id {
#define BLOB_RULE(fn, id, kind, kernel, text) NS_BLOB_RULE_##fn,
#include "blob_rules.def"
#undef BLOB_RULE
	NS_BLOB_RULES
};

struct ns_blob_rule {
	const char *id;          /* stable: blob.vmxon_pa.aligned, blob.size.vmcs12 ... */
	enum ns_blob_kind kind;
	const char *kernel;      /* the kernel function and the condition it tests */
	const char *text;        /* the rule, in one sentence */
};

size_t ns_blob_rule_count(void);
const struct ns_blob_rule *ns_blob_rule_at(size_t i);
const char *ns_blob_kind_name(enum ns_blob_kind k);  /* "refused", "ignored" */

/* Without L1's MAXPHYADDR (CPUID.80000008H:EAX[7:0]), addresses are judged
 * against the architectural limit. */
#define NS_MAXPHYADDR_ARCH 52

struct ns_blob_violation {
	const struct ns_blob_rule *rule;
	char detail[200];        /* the values found, in one line */
};

struct ns_blob_verdict {
	bool judged;             /* false for a raw vmcs12: there is no header */
	unsigned maxphyaddr;     /* the limit addresses were judged against */
	bool maxphyaddr_given;   /* L1's, from the user; else NS_MAXPHYADDR_ARCH */
	unsigned n;              /* violations, in table order; each rule at most once */
	struct ns_blob_violation v[NS_BLOB_RULES];
};

/*
 * Judges a parsed header by every rule.  maxphyaddr: L1's (1..63), or 0 for
 * the architectural limit.
 */
void ns_nested_state_judge(const struct ns_nested_state *ns, unsigned maxphyaddr, struct ns_blob_verdict *out);

#endif
