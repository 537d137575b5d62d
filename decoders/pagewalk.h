/*
 * x86-64 4-level page walks (private to the core), done by libaddrxlat,
 * libkdumpfile's address translation library: scan's check of a
 * hypervisor's host page tables, a raw image's kernel addresses
 * (sources/dump.c), a VMM's user addresses (kvm/locate.c).  The public
 * one-shot form is ns_phys_translate (scan.h).
 *
 * What the CPU would not translate is not mapped: a non-canonical address,
 * a root (CR3) with bits above 51, an entry not present or with bits set
 * that the SDM reserves on every CPU (PS in a PML4E, bits 29:13 of a 1 GiB
 * PDPTE, 20:13 of a 2 MiB PDE).  Page tables are hostile data: a walk reads
 * at most four entries, so a cycle or garbage costs no more than a real
 * table.
 */
#ifndef NS_PAGEWALK_H
#define NS_PAGEWALK_H

#include <stdbool.h>
#include <stdint.h>

#include "nestscope/scan.h"

/* One libaddrxlat context over one physical memory (its read cache is valid while that memory does not change). */
struct pgwalk;

enum pgwalk_result {
	PGWALK_OK,
	PGWALK_NOT_MAPPED,  /* an entry not present, or with reserved bits set */
	PGWALK_NO_DATA,     /* an entry cannot be read (its table is not in memory) */
	PGWALK_BAD_ADDRESS, /* a non-canonical address, or a root with bits above 51 */
	PGWALK_NO_MEMORY,
};

/* NULL when out of memory; mem is copied. */
struct pgwalk *pgwalk_new(const struct ns_phys *mem);
void pgwalk_free(struct pgwalk *w);
/* va's physical address through the 4-level tables at cr3 (its bits 11:0, PCID or flags, ignored). */
enum pgwalk_result pgwalk_translate(struct pgwalk *w, uint64_t cr3, uint64_t va, uint64_t *pa);
/* The last failure, in a line: which entry, what it held, or why it could not be read. */
const char *pgwalk_error(const struct pgwalk *w);

#endif
