/*
 * x86-64 page walks through libaddrxlat (pagewalk.h).  libaddrxlat does the
 * walk (ADDRXLAT_PGT with the x86-64 PTE format: canonical check, present
 * bits, 1 GiB and 2 MiB pages); what it leaves out is the check of reserved
 * bits, done here on each entry it read (step.raw.pte), one step at a time.
 */
#include <stdio.h>
#include <stdlib.h>

#include <libkdumpfile/addrxlat.h>

#include "pagewalk.h"

#define PTE_PS 0x80ull                          /* bit 7: a page, not a table (PDPTE, PDE) */
#define PTE_ADDR 0x000ffffffffff000ull          /* bits 51:12 */
#define PHYS_BITS 52                            /* the architecture's MAXPHYADDR limit */
/* reserved (must be 0) on every CPU, SDM Vol. 3A "Paging", 4-level paging's entry formats */
#define PML4E_RSVD PTE_PS                       /* PS in a PML4E */
#define PDPTE_1G_RSVD 0x000000003fffe000ull     /* bits 29:13 of a PDPTE that maps a 1 GiB page */
#define PDE_2M_RSVD 0x00000000001fe000ull       /* bits 20:13 of a PDE that maps a 2 MiB page */
/* the paging form: a 12-bit page offset, then four 9-bit table indexes (PT, PD, PDPT, PML4) */
#define PAGE_SHIFT 12
#define INDEX_BITS 9
#define LEVELS 4
/*
 * The entries libaddrxlat holds at once in its read cache (4 in 0.5.1);
 * more would be an error, not a crash.
 */
#define HELD_MAX 16

struct pgwalk {
	struct ns_phys mem;
	addrxlat_ctx_t *ctx;
	addrxlat_meth_t meth;
	struct held {
		uint64_t entry; /* as memory has it: little-endian */
		bool used;
	} held[HELD_MAX];
	bool own_error;  /* the last failure's text is error[], else libaddrxlat's own (not copied unless asked for) */
	char error[160];
};

static void put_entry(const addrxlat_buffer_t *buf)
{
	((struct held *)buf->priv)->used = false;
}

/*
 * libaddrxlat's get-page callback, one entry at a time: a read through
 * ns_phys costs what it did before libaddrxlat (the raw image's block
 * cache, a dump's page cache lie behind it), and libaddrxlat's own cache
 * keeps the entries read last (upper levels repeat from walk to walk).
 */
static addrxlat_status get_entry(const addrxlat_cb_t *cb, addrxlat_buffer_t *buf)
{
	struct pgwalk *w = cb->priv;
	struct held *h = NULL;
	uint64_t at = buf->addr.addr & ~7ull; /* libaddrxlat reads entries aligned */

	if (buf->addr.as != ADDRXLAT_MACHPHYSADDR)
		return addrxlat_ctx_err(w->ctx, ADDRXLAT_ERR_NOTIMPL, "only physical memory is read");
	for (size_t i = 0; i < HELD_MAX && !h; i++)
		if (!w->held[i].used)
			h = &w->held[i];
	if (!h)
		return addrxlat_ctx_err(w->ctx, ADDRXLAT_ERR_NOMEM, "more than %d entries held", HELD_MAX);
	if (!w->mem.read(w->mem.ctx, at, &h->entry, sizeof(h->entry)))
		return addrxlat_ctx_err(w->ctx, ADDRXLAT_ERR_NODATA, "not in memory");
	h->used = true;
	buf->addr.addr = at;
	buf->ptr = &h->entry;
	buf->size = sizeof(h->entry);
	buf->byte_order = ADDRXLAT_LITTLE_ENDIAN;
	buf->put_page = put_entry;
	buf->priv = h;
	return ADDRXLAT_OK;
}

static unsigned long read_caps(const addrxlat_cb_t *cb)
{
	(void)cb;
	return ADDRXLAT_CAPS(ADDRXLAT_MACHPHYSADDR);
}

struct pgwalk *pgwalk_new(const struct ns_phys *mem)
{
	struct pgwalk *w = calloc(1, sizeof(*w));
	addrxlat_cb_t *cb;

	if (!w || !(w->ctx = addrxlat_ctx_new()))
		goto fail;
	if (!(cb = addrxlat_ctx_add_cb(w->ctx)))
		goto fail;
	cb->priv = w;
	cb->get_page = get_entry;
	cb->read_caps = read_caps;
	w->mem = *mem;
	w->meth.kind = ADDRXLAT_PGT;
	w->meth.target_as = ADDRXLAT_MACHPHYSADDR;
	w->meth.param.pgt.root.as = ADDRXLAT_MACHPHYSADDR;
	w->meth.param.pgt.pte_mask = 0;
	w->meth.param.pgt.pf.pte_format = ADDRXLAT_PTE_X86_64;
	w->meth.param.pgt.pf.nfields = LEVELS + 1;
	w->meth.param.pgt.pf.fieldsz[0] = PAGE_SHIFT;
	for (unsigned i = 1; i <= LEVELS; i++)
		w->meth.param.pgt.pf.fieldsz[i] = INDEX_BITS;
	return w;
fail:
	pgwalk_free(w);
	return NULL;
}

void pgwalk_free(struct pgwalk *w)
{
	if (!w)
		return;
	/* first: the context puts the entries its cache holds */
	if (w->ctx)
		addrxlat_ctx_decref(w->ctx);
	free(w);
}

const char *pgwalk_error(const struct pgwalk *w)
{
	return w->own_error ? w->error : addrxlat_ctx_get_err(w->ctx);
}

/* Bits an entry of this level (4: PML4E ... 1: PTE) must not have set. */
static uint64_t reserved(unsigned level, uint64_t entry)
{
	if (level == 4)
		return entry & PML4E_RSVD;
	if (level == 3 && (entry & PTE_PS))
		return entry & PDPTE_1G_RSVD;
	if (level == 2 && (entry & PTE_PS))
		return entry & PDE_2M_RSVD;
	return 0;
}

static enum pgwalk_result failed(struct pgwalk *w, addrxlat_status st)
{
	w->own_error = false;
	switch (st) {
	case ADDRXLAT_ERR_NOTPRESENT:
		return PGWALK_NOT_MAPPED;
	case ADDRXLAT_ERR_INVALID:
		return PGWALK_BAD_ADDRESS;
	case ADDRXLAT_ERR_NOMEM:
		return PGWALK_NO_MEMORY;
	default:
		return PGWALK_NO_DATA;
	}
}

enum pgwalk_result pgwalk_translate(struct pgwalk *w, uint64_t cr3, uint64_t va, uint64_t *pa)
{
	addrxlat_step_t step = { .ctx = w->ctx, .sys = NULL, .meth = &w->meth };
	addrxlat_status st;

	w->own_error = true;
	if (cr3 >> PHYS_BITS) {
		snprintf(w->error, sizeof(w->error), "CR3 0x%llx has bits above %d set", (unsigned long long)cr3,
			 PHYS_BITS - 1);
		return PGWALK_BAD_ADDRESS;
	}
	w->meth.param.pgt.root.addr = cr3 & PTE_ADDR;
	if ((st = addrxlat_launch(&step, va)) == ADDRXLAT_ERR_INVALID) {
		snprintf(w->error, sizeof(w->error), "0x%llx is not a canonical address", (unsigned long long)va);
		return PGWALK_BAD_ADDRESS;
	}
	if (st != ADDRXLAT_OK)
		return failed(w, st);
	/* step.remain - 1 is the level of the entry the next step reads; 1 is the last (the page offset) */
	while (step.remain > 1) {
		unsigned level = step.remain - 1u;
		uint64_t bad;

		if ((st = addrxlat_step(&step)) != ADDRXLAT_OK)
			return failed(w, st);
		if ((bad = reserved(level, step.raw.pte))) {
			snprintf(w->error, sizeof(w->error), "level-%u entry 0x%llx has reserved bits 0x%llx set", level,
				 (unsigned long long)step.raw.pte, (unsigned long long)bad);
			return PGWALK_NOT_MAPPED;
		}
	}
	if ((st = addrxlat_step(&step)) != ADDRXLAT_OK)
		return failed(w, st);
	*pa = step.base.addr;
	return PGWALK_OK;
}

bool ns_phys_translate(const struct ns_phys *mem, uint64_t cr3, uint64_t va, uint64_t *pa)
{
	struct pgwalk *w = pgwalk_new(mem);
	bool ok = w && pgwalk_translate(w, cr3, va, pa) == PGWALK_OK;

	pgwalk_free(w);
	return ok;
}
