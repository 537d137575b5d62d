/*
 * Sources and type providers for the CLI, where no debugger gives memory or
 * types: dumps through libkdumpfile, types through libdwarf, symbols from
 * vmlinux's ELF symbol table.  Kept out of libnestscope so the crash and gdb
 * front ends do not pull these libraries in.
 */
#ifndef NESTSCOPE_SOURCES_H
#define NESTSCOPE_SOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nestscope/error.h"
#include "nestscope/locate.h"
#include "nestscope/types.h"

/* ---- types: dwarf.c (the one file that speaks libdwarf's API) ---- */

/*
 * Adds to t the structs named in wanted (NULL-terminated) that path's DWARF
 * defines and t does not have yet, with every direct member (members of
 * anonymous structs and unions brought up, as C reaches them); the types
 * their members name get a size.  A module (ET_REL) has its relocations
 * applied by libdwarf.  cus: only the compilation units of these names
 * (NULL: all), so that a struct no module defines is taken from its one
 * file in vmlinux without reading the rest.
 */
int ns_dwarf_load(struct ns_types *t, const char *path, const char *const *wanted, const char *const *cus,
		  struct ns_error *err);

/* ---- symbols: elfsyms.c ---- */

/*
 * Adds the named vmlinux symbols (NULL-terminated) from its ELF symbol table
 * and linux_banner's text.  A missing one is not an error: the walker says
 * what it lacked.
 */
int ns_elf_symbols(struct ns_types *t, const char *vmlinux, const char *const *names, struct ns_error *err);

/*
 * The debuginfo files of a kernel under dir (a -dbg package's root or its
 * usr/lib/debug): vmlinux and the kvm and kvm-intel modules.  release may
 * be NULL (the only kernel there).  Paths are malloc'ed.
 */
struct ns_debuginfo {
	char *vmlinux, *kvm, *kvm_intel;
};
int ns_debuginfo_find(const char *dir, const char *release, struct ns_debuginfo *d, struct ns_error *err);
void ns_debuginfo_free(struct ns_debuginfo *d);

/* Types and symbols from debuginfo files: the set a profile holds. */
int ns_types_from_debuginfo(struct ns_types *t, const struct ns_debuginfo *d, struct ns_error *err);

/* ---- modinfo.c ---- */

/* The release a module was built for (its vermagic); false when it does not say. */
bool ns_module_release(const char *path, char *release, size_t n);

/* ---- dumps: dump.c (libkdumpfile) ---- */

struct ns_dump;

/*
 * Opens a kdump, ELF or /proc/kcore read-only, or else a raw memory image
 * (mapped).  kernel: set up Linux kernel address translation and find a raw
 * image's kernel release (triage); without it only physical reads (scan).
 */
int ns_dump_open(const char *path, bool kernel, struct ns_dump **out, struct ns_error *err);
void ns_dump_close(struct ns_dump *d);
/* A raw image: finds its address translation from the types (a no-op for the others). */
int ns_dump_use_types(struct ns_dump *d, const struct ns_types *t, struct ns_error *err);
const char *ns_dump_release(const struct ns_dump *d);   /* from VMCOREINFO, or "" */
const char *ns_dump_format(const struct ns_dump *d);
bool ns_dump_read(struct ns_dump *d, uint64_t kvaddr, void *buf, size_t len);
bool ns_dump_read_phys(struct ns_dump *d, uint64_t paddr, void *buf, size_t len);
/* The first page frame at or after *pfn that the dump holds; false at the end. */
bool ns_dump_next_page(struct ns_dump *d, uint64_t *pfn);
/* A raw image's bytes, for scanning in place; NULL for the other formats. */
const uint8_t *ns_dump_raw_map(const struct ns_dump *d, size_t *len);

/*
 * A target over a dump and a type set: vmlinux symbols slid by KASLR,
 * module symbols (vm_list) from the modules' own symbol tables in the dump.
 */
struct ns_dump_target {
	struct ns_target t;
	struct ns_dump *dump;
	const struct ns_types *types;
	bool in_module_lookup;
	char why[320];            /* why the last module symbol was not found */
};
void ns_dump_target_init(struct ns_dump_target *dt, struct ns_dump *d, const struct ns_types *types);

#endif
