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
	char *kvm_amd;  /* optional: an AMD host's vCPUs are kvm_amd's struct vcpu_svm */
};
int ns_debuginfo_find(const char *dir, const char *release, struct ns_debuginfo *d, struct ns_error *err);
void ns_debuginfo_free(struct ns_debuginfo *d);

/* Types and symbols from debuginfo files: the set a profile holds. */
int ns_types_from_debuginfo(struct ns_types *t, const struct ns_debuginfo *d, struct ns_error *err);

/* ---- modinfo.c ---- */

/* The release a module was built for (its vermagic); false when it does not say. */
bool ns_module_release(const char *path, char *release, size_t n);

/* ---- inputs: input.c ---- */

/*
 * An input opened once, as a regular file to seek in: a file as it is;
 * standard input ("-"), a pipe, FIFO or socket read once into an unlinked
 * temporary file (sparse, at most ns_spool_max() bytes).  Devices and
 * directories are refused.
 */
struct ns_input {
	int fd;
	uint64_t size;
	const char *name;    /* as the user gave it, or "standard input" */
	bool spooled;        /* read from a stream into a temporary file */
	bool inflated;       /* gunzip'ed into a temporary file (ns_input_gunzip) */
};
int ns_input_open(const char *path, struct ns_input *in, struct ns_error *err);
void ns_input_close(struct ns_input *in);
/*
 * Inflates a gzip input, a window at a time, into a sparse temporary file
 * that replaces in's file; a stream cut short or corrupt is an error, and so
 * is one that inflates past ns_spool_max().
 */
int ns_input_gunzip(struct ns_input *in, struct ns_error *err);
bool ns_is_gzip(const uint8_t *head, size_t n);
/* NESTSCOPE_SPOOL_MAX (bytes, K/M/G suffixes) or 64 GiB: the bound on a temporary file */
uint64_t ns_spool_max(void);
/* pread(2) of exactly len bytes; false on a short read or an error */
bool ns_pread_full(int fd, void *buf, size_t len, uint64_t off);

/* ---- dumps: dump.c (libkdumpfile), dumpcheck.c (their headers, checked first) ---- */

struct ns_dump;

/*
 * Opens a kdump or an x86-64 ELF core (/proc/kcore too) read-only through
 * libkdumpfile, a gzip'ed one after inflating it, or else a raw memory
 * image (read with pread, holes skipped).  The headers are checked against
 * the file's size before libkdumpfile sees it: a cut, corrupt or foreign
 * file is refused with its cause.  kernel: set up Linux kernel address
 * translation and find a raw image's kernel release (triage); without it
 * only physical reads (scan).
 */
int ns_dump_open(const char *path, bool kernel, struct ns_dump **out, struct ns_error *err);
/* The same on an input already open; the dump takes it over (closed with the dump, even on failure). */
int ns_dump_open_input(struct ns_input *in, bool kernel, struct ns_dump **out, struct ns_error *err);

/* What a dump file is, from its first bytes and its headers (dumpcheck.c). */
enum ns_dump_kind { NS_DUMP_RAW, NS_DUMP_KDUMP, NS_DUMP_ELF };
/*
 * Identifies a dump and checks its headers against the file's size: every
 * structure they point to must lie in the file.  Errors name the cause: cut
 * at byte N of M, a corrupt header field, another architecture, not a core.
 */
int ns_dump_check(int fd, uint64_t size, const char *name, enum ns_dump_kind *kind, struct ns_error *err);
void ns_dump_close(struct ns_dump *d);
/*
 * A second handle on an open dump, for another thread: the same file (not
 * reopened by name: a spooled or inflated input has none), read through
 * caches of its own.  Closed with ns_dump_close, before the original.
 */
int ns_dump_clone(struct ns_dump *d, struct ns_dump **out, struct ns_error *err);
/*
 * A second handle on an open dump, for another thread: it shares the file,
 * the page map and libkdumpfile's page cache (kdump_clone, whose shared
 * state libkdumpfile locks) and has its own raw-block cache and errors.
 * Closed with ns_dump_close before the original.
 */
int ns_dump_clone(struct ns_dump *d, struct ns_dump **out, struct ns_error *err);
/* A raw image: finds its address translation from the types (a no-op for the others). */
int ns_dump_use_types(struct ns_dump *d, const struct ns_types *t, struct ns_error *err);
const char *ns_dump_release(const struct ns_dump *d);   /* from VMCOREINFO, or "" */
const char *ns_dump_format(const struct ns_dump *d);
bool ns_dump_read(struct ns_dump *d, uint64_t kvaddr, void *buf, size_t len);
bool ns_dump_read_phys(struct ns_dump *d, uint64_t paddr, void *buf, size_t len);
/* The first page frame at or after *pfn that the dump holds (a raw image: not in a hole); false at the end. */
bool ns_dump_next_page(struct ns_dump *d, uint64_t *pfn);

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

/* struct disk_dump_header (makedumpfile's kdump): signature[8], header_version, then struct new_utsname,
 * six fields of UTS_FIELD bytes (sysname, nodename, release, version, machine, domainname) */
#define UTS_FIELD 65
#define DISKDUMP_UTS_MACHINE (8 + 4 + 4 * UTS_FIELD)

#endif
