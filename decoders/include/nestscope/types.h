/*
 * A set of kernel types and symbols: what a type provider gives the walker
 * when no debugger does.  Filled from DWARF (nestscope profile, triage
 * --debuginfo) or from a profile file (Volatility 3's ISF JSON, see
 * docs/profile-format.md), and answering the ns_target type questions.
 */
#ifndef NESTSCOPE_TYPES_H
#define NESTSCOPE_TYPES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

enum ns_tkind {
	NS_TK_BASE, NS_TK_POINTER, NS_TK_ARRAY, NS_TK_STRUCT, NS_TK_UNION, NS_TK_ENUM, NS_TK_FUNCTION,
	NS_TK_BITFIELD, NS_TK_VOID,
};

/* How a member names its type (an ISF type descriptor). */
struct ns_tref {
	enum ns_tkind kind;
	const char *name;             /* base, struct, union, enum */
	uint64_t count;               /* array */
	uint32_t bit_pos, bit_len;    /* bitfield */
	const struct ns_tref *sub;    /* pointer, array, bitfield */
};

struct ns_tmember {
	const char *name;
	uint64_t offset;
	int64_t size;                 /* bytes; -1 when unknown (a pointer to an incomplete type is 8) */
	const struct ns_tref *type;
};

/* A struct, union or enum; fields only for the ones extracted whole. */
struct ns_tstruct {
	const char *name;
	enum ns_tkind kind;           /* NS_TK_STRUCT, NS_TK_UNION or NS_TK_ENUM */
	uint64_t size;
	bool complete;                /* size known */
	bool have_fields;
	struct ns_tmember *m;
	size_t n, cap;
};

struct ns_tbase {
	const char *name;
	uint32_t size;
	bool is_signed;
	const char *kind;             /* ISF: "int", "char", "bool", "float", "void" */
};

struct ns_tsym {
	const char *name;
	uint64_t address;
};

struct ns_types {
	struct ns_tstruct *st;
	size_t nst, stcap;
	struct ns_tbase *base;
	size_t nbase, basecap;
	struct ns_tsym *sym;
	size_t nsym, symcap;
	char release[65];             /* the kernel's `uname -r`, from linux_banner */
	char banner[320];             /* linux_banner */
	char origin[512];             /* where the types came from, for reports */
	void *arena;                  /* every string and member list lives here */
};

void ns_types_init(struct ns_types *t);
void ns_types_free(struct ns_types *t);

/* Building (readers): strings are copied into the set. */
const char *ns_types_str(struct ns_types *t, const char *s);
struct ns_tref *ns_types_ref(struct ns_types *t, enum ns_tkind kind, const char *name, const struct ns_tref *sub);
/* The struct/union/enum of that name, added (incomplete) when new; NULL when out of memory. */
struct ns_tstruct *ns_types_struct_get(struct ns_types *t, const char *name, enum ns_tkind kind);
bool ns_types_member_add(struct ns_types *t, struct ns_tstruct *s, const char *name, uint64_t offset, int64_t size,
			 const struct ns_tref *type);
bool ns_types_base_add(struct ns_types *t, const char *name, uint32_t size, bool is_signed, const char *kind);
bool ns_types_symbol_add(struct ns_types *t, const char *name, uint64_t address);
/* Sets release from banner ("Linux version RELEASE ..."). */
void ns_types_set_banner(struct ns_types *t, const char *banner);

/* Queries (the ns_target type callbacks). */
const struct ns_tstruct *ns_types_find(const struct ns_types *t, const char *name);
long ns_types_member_offset(const struct ns_types *t, const char *type, const char *member);
long ns_types_member_size(const struct ns_types *t, const char *type, const char *member);
long ns_types_size(const struct ns_types *t, const char *type);
/* A symbol's address as the profile or vmlinux has it (before any KASLR slide), or 0. */
uint64_t ns_types_symbol(const struct ns_types *t, const char *name);

/* Profiles: ISF JSON.  Reading checks the shape and bounds every number. */
int ns_profile_read(const char *path, struct ns_types *t, struct ns_error *err);
int ns_profile_parse(const char *text, size_t len, const char *origin, struct ns_types *t, struct ns_error *err);
/* Writes t as ISF JSON (structs with fields, the others with their sizes). */
int ns_profile_write(const struct ns_types *t, FILE *f, struct ns_error *err);

#endif
