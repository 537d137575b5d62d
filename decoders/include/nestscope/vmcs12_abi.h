/*
 * The vmcs12 ABI check: a kernel's struct vmcs12, as its debuginfo has it,
 * against nestscope's built-in table (vmcs12_layout.def).  struct vmcs12 is
 * ABI (KVM_GET/SET_NESTED_STATE carry it across live migration): offsets
 * never move, new fields take former padding or the unused tail of the 4 KiB
 * region.  The comparison gives data (findings, each of a kind); rendering
 * is separate (render/abi.c).  docs/vmcs12-abi.md has the kernels' history.
 */
#ifndef NESTSCOPE_VMCS12_ABI_H
#define NESTSCOPE_VMCS12_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "locate.h"
#include "render.h"

/* One member of the kernel's struct vmcs12, as a type provider lists it. */
struct ns_abi_member {
	const char *name;   /* "guest_rip"; an array may be named "paddingl[8]" */
	uint64_t offset;
	int64_t size;       /* bytes; negative: unknown (an error) */
};

/*
 * NS_ABI_KIND(ID, NAME, BREAKS, WHAT): the kinds of finding.  NAME is the
 * JSON name; BREAKS: a kernel with this finding breaks the table's ABI.
 */
#define NS_ABI_KINDS(X) \
	X(ADDED, "added", false, "a kernel member in bytes the table has as padding or NEWER (former padding)") \
	X(ABSENT, "absent", false, "a table member this kernel lacks; its bytes are padding or past the end here") \
	X(PADDING, "padding", false, "a padding member whose bytes differ from the table's") \
	X(DEAD, "dead_space", false, "a kernel member inside the table's dead_space (never decoded)") \
	X(SIZE, "size", false, "sizeof(struct vmcs12) differs from the table's, inside the 4 KiB region") \
	X(UNLISTED, "unlisted", false, "the type provider answers lookups by name only: added members cannot be listed") \
	X(MOVED, "moved", true, "a member at another offset than the table's") \
	X(RESIZED, "resized", true, "a member of another size than the table's") \
	X(OVERLAP, "overlap", true, "a member the table does not know over a table member") \
	X(MISSING, "missing", true, "a table member the kernel lacks, its bytes not padding") \
	X(TOO_BIG, "too_big", true, "sizeof(struct vmcs12) exceeds the 4 KiB vmcs12 region")

enum ns_abi_kind {
#define NS_ABI_ENUM(id, name, breaks, what) NS_ABI_##id,
	NS_ABI_KINDS(NS_ABI_ENUM)
#undef NS_ABI_ENUM
	NS_ABI_KIND_COUNT
};

const char *ns_abi_kind_name(enum ns_abi_kind k);
bool ns_abi_kind_breaks(enum ns_abi_kind k);

#define NS_ABI_NAME 48

struct ns_abi_finding {
	enum ns_abi_kind kind;
	char member[NS_ABI_NAME];  /* the kernel's member ("" for ABSENT, MISSING, SIZE, UNLISTED) */
	uint64_t offset, size;     /* the kernel's member (SIZE, TOO_BIG: the struct's size) */
	const char *table_member;  /* the table's member concerned, or NULL */
	uint64_t table_offset, table_size;
	bool table_newer;          /* the table member is NEWER (the nested CET block) */
	uint32_t encoding;         /* the VMCS field the table member holds, or NS_NOENC */
	char padding[NS_ABI_NAME]; /* ABSENT: the kernel's padding member over those bytes ("": past its end) */
	uint64_t padding_offset, padding_size;
};

#define NS_ABI_MAX_FINDINGS 256

struct ns_abi_report {
	bool lookup_only;          /* members looked up by name (crash): added ones cannot be listed */
	uint64_t kernel_size;      /* sizeof(struct vmcs12) in the kernel; 0 when unknown */
	uint64_t table_size;       /* NS_VMCS12_STRUCT_SIZE */
	unsigned kernel_members;   /* members the provider listed (lookup-only: found by name) */
	unsigned table_members;
	unsigned same;             /* table members the kernel has at the same offset and size */
	unsigned added, absent, breaks;
	unsigned nfindings, dropped;  /* dropped: findings past NS_ABI_MAX_FINDINGS (counted, not kept) */
	struct ns_abi_finding findings[NS_ABI_MAX_FINDINGS];
};

/*
 * Compares the kernel's members (n of them, in any order) and its struct
 * size with the table.  Fails (NS_ERR_ARG) only when the list cannot be a
 * struct vmcs12 at all: empty, or a member without a size.
 */
int ns_vmcs12_abi_compare(const struct ns_abi_member *m, size_t n, uint64_t struct_size, struct ns_abi_report *r,
			  struct ns_error *err);

/*
 * The same with a provider that looks members up by name only (crash's
 * MEMBER_OFFSET): each table member's offset and size by name, padding
 * members included; t->type_size gives the struct's size.  Members the
 * kernel added under names the table does not know cannot be listed: the
 * report says so (NS_ABI_UNLISTED).  NS_ERR_TYPES when struct vmcs12 is
 * unknown to the provider (kvm_intel's debuginfo not loaded).
 */
int ns_vmcs12_abi_lookup(const struct ns_target *t, struct ns_abi_report *r, struct ns_error *err);

/* Rendering: release and origin (where the types came from) may be NULL. */
#define NS_ABI_SCHEMA "nestscope/abi/2"
void ns_render_abi_text(struct ns_out *o, const struct ns_abi_report *r, const char *release, const char *origin);
void ns_render_abi_json(struct ns_out *o, const struct ns_abi_report *r, const char *release, const char *origin);

/*
 * For the debugger front ends: compare (a member list, or lookups when m is
 * NULL) and render.  *breaks (may be NULL) gets the number of findings that
 * break the ABI.
 */
int ns_cmd_vmcs12_abi(const struct ns_abi_member *m, size_t n, uint64_t struct_size, const char *release,
		      const char *origin, bool json, unsigned *breaks, struct ns_out *o, struct ns_error *err);
int ns_cmd_vmcs12_abi_lookup(const struct ns_target *t, const char *release, const char *origin, bool json,
			     unsigned *breaks, struct ns_out *o, struct ns_error *err);

#endif
