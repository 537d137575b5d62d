/*
 * The VMCS and VMCB scanner (scan.h): classify and validate pages, relate the hits,
 * and pair hardware VMCSs with vmcs12s through KVM's own pointers.
 */
#include <stdlib.h>
#include <string.h>

#include "nestscope/nestscope.h"
#include "nestscope/scan.h"
#include "nestscope/svm_explain.h"
#include "nestscope/vmcb.h"
#include "pagewalk.h"
#include "sdm/vmx_names.h"

#define PAGE 4096u
#define PTE_P 0x1ull
#define PTE_ADDR 0x000ffffffffff000ull
#define GIB (1ull << 30)
/* 4-level paging: a table's 512 entries; a PML4E maps 512 GiB, a PDPTE 1 GiB; the upper half from PML4E 256 */
#define TABLE_ENTRIES 512u
#define PML4_SHIFT 39
#define PDPT_SHIFT 30
#define UPPER_HALF_FIRST 256u

/* KVM's struct nested_vmx keeps vmcs02's pointer a few hundred bytes after
 * cached_vmcs12's (+32 and +144 in 6.1, +32 and +64 in 5.10); struct
 * vcpu_vmx keeps vmcs01's about 1 KiB before nested (6.1: -1160). */
#define VMCS02_AFTER_MAX 512
#define VMCS01_BEFORE_MAX 2048

static uint64_t rd(const struct ns_vmcs *v, uint32_t enc)
{
	uint64_t x = 0;

	ns_vmcs_read(v, enc, &x, NULL);
	return x;
}

static uint64_t canonical(uint64_t va)
{
	return va & (1ull << 47) ? va | 0xffff000000000000ull : va;
}

/*
 * The kernel address at which the page tables at cr3 map pa, looked for in
 * each present 1 GiB window of the upper half at pa's offset in it (Linux's
 * direct map is 1 GiB aligned, KASLR or not); 0 if none.  Each candidate is
 * walked by libaddrxlat (w).  Which windows are present is read here:
 * libaddrxlat has no public way to list a table's present entries (its
 * lowest_mapped is internal), and asking it window by window (a walk of
 * two levels each, most ending at an absent entry it formats an error
 * for) made a search of the 6.1 sample's tables 300 times slower than
 * reading the PML4 and each present PDPT once, whole.
 */
static uint64_t mapped_at(struct ns_scan *s, const struct ns_phys *mem, struct pgwalk *w, uint64_t cr3, uint64_t pa)
{
	uint64_t *pml4 = malloc(PAGE), *pdpt = malloc(PAGE), va = 0;

	if (!pml4 || !pdpt || !mem->read(mem->ctx, cr3 & PTE_ADDR, pml4, PAGE))
		goto out;
	for (uint64_t i = UPPER_HALF_FIRST; i < TABLE_ENTRIES && !va; i++) {
		if (!(pml4[i] & PTE_P) || !mem->read(mem->ctx, pml4[i] & PTE_ADDR, pdpt, PAGE))
			continue;
		for (uint64_t j = 0; j < TABLE_ENTRIES && !va; j++) {
			uint64_t cand = canonical(i << PML4_SHIFT | j << PDPT_SHIFT) + (pa & (GIB - 1)), got;

			if (!(pdpt[j] & PTE_P))
				continue;
			if ((s->walk_pool ? __atomic_add_fetch(s->walk_pool, 1, __ATOMIC_RELAXED) : ++s->walks) >
			    NS_SCAN_MAX_WALKS) {
				s->walks_exhausted = true;
				goto out;
			}
			if (pgwalk_translate(w, cr3, cand, &got) == PGWALK_OK && got == pa)
				va = cand;
		}
	}
out:
	free(pml4);
	free(pdpt);
	return va;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static struct ns_scan_hit *add(struct ns_scan *s, uint64_t pa, enum ns_scan_kind kind, uint32_t rev)
{
	struct ns_scan_hit *h;

	if (s->n >= NS_SCAN_MAX_HITS) {
		s->truncated = true;
		return NULL;
	}
	h = &s->hit[s->n++];
	memset(h, 0, sizeof(*h));
	h->pa = pa;
	h->kind = kind;
	h->revision = rev;
	h->shadow_of = h->pair = NS_SCAN_NO_PAIR;
	return h;
}

static void scan_vmcs12(struct ns_scan *s, const uint8_t *page, uint64_t pa, uint32_t rev)
{
	struct ns_vmcs12_info info;
	struct ns_vmcs v = { ns_vmcs12_layout(), page, PAGE, NULL };
	struct ns_scan_hit *h;
	uint64_t link;

	if (all_zero(page + 4, PAGE - 4)) {
		add(s, pa, NS_SCAN_REVISION_ONLY, rev);
		return;
	}
	if (ns_vmcs12_inspect(page, PAGE, true, (rev >> 31) != 0, &info, NULL) != NS_OK)
		return;
	link = rd(&v, VMCS_LINK_POINTER);
	/* plausibility: what KVM itself writes there (VMX-abort codes are 1..5) */
	if (info.abort > 5 || info.launch_state > 1 || (link != ~0ull && ((link & 0xfff) || link >> 52)))
		return;
	if (!(h = add(s, pa, rev >> 31 ? NS_SCAN_SHADOW_VMCS12 : NS_SCAN_VMCS12, rev)))
		return;
	h->launch_state = info.launch_state;
	h->link = link;
	h->guest_rip = rd(&v, GUEST_RIP);
	h->host_rip = rd(&v, HOST_RIP);
	h->host_cr3 = rd(&v, HOST_CR3);
}

/* Host state of a hypervisor in VMX operation: protected mode with paging, CR4.VMXE. */
static bool host_in_vmx_operation(uint64_t cr0, uint64_t cr4)
{
	return (cr0 & (X86_CR0_PG | X86_CR0_PE)) == (X86_CR0_PG | X86_CR0_PE) && (cr4 & X86_CR4_VMXE);
}

static void scan_hw(struct ns_scan *s, const uint8_t *page, uint64_t pa, const struct ns_phys *mem,
		    const struct ns_hwlayout *hw)
{
	struct ns_vmcs12_info info;
	struct ns_vmcs v = { &hw->layout, page, PAGE, NULL };
	struct ns_scan_hit *h;
	struct pgwalk *w;
	uint64_t cr0, cr3, cr4, rip, rip_pa, va = 0;

	uint64_t link = rd(&v, VMCS_LINK_POINTER);
	uint32_t linked = 0;

	if (ns_hwvmcs_inspect(page, PAGE, &hw->layout, false, &info, NULL) != NS_OK || info.abort ||
	    info.launch_state > 1)
		return;
	if (link != ~0ull && ((link & 0xfff) || !mem->read(mem->ctx, link, &linked, 4) ||
			      linked != (hw->layout.revision | 0x80000000u)))
		return;
	cr0 = rd(&v, HOST_CR0);
	cr3 = rd(&v, HOST_CR3);
	cr4 = rd(&v, HOST_CR4);
	rip = rd(&v, HOST_RIP);
	if (!host_in_vmx_operation(cr0, cr4) || (cr3 & PTE_ADDR) == 0 || cr3 >> 52)
		return;
	/* the hypervisor must have mapped its VM-exit entry point and this region */
	if (!(w = pgwalk_new(mem)))
		return;
	if (pgwalk_translate(w, cr3, rip, &rip_pa) == PGWALK_OK)
		va = mapped_at(s, mem, w, cr3, pa);
	pgwalk_free(w);
	if (!va)
		return;
	if (!(h = add(s, pa, NS_SCAN_HW_VMCS, info.revision)))
		return;
	h->hw = hw;
	h->launch_state = info.launch_state;
	h->link = link;
	h->guest_rip = rd(&v, GUEST_RIP);
	h->host_rip = rip;
	h->host_cr3 = cr3;
	h->va = va;
}

/* struct hv_enlightened_vmcs (Hyper-V TLFS, packed): each field's offset, EVMCS_GUEST_RIP ... (evmcs_layout.def) */
#define EVMCS_VERSION 1u
enum {
#define EVMCS(name, offset, size) EVMCS_##name = offset,
#include "formats/evmcs_layout.def"
#undef EVMCS
};

static uint64_t at64(const uint8_t *page, size_t off)
{
	uint64_t v;

	memcpy(&v, page + off, 8);
	return v;
}

static void scan_evmcs(struct ns_scan *s, const uint8_t *page, uint64_t pa, const struct ns_phys *mem)
{
	uint64_t cr0 = at64(page, EVMCS_HOST_CR0), cr3 = at64(page, EVMCS_HOST_CR3), cr4 = at64(page, EVMCS_HOST_CR4);
	uint64_t rip = at64(page, EVMCS_HOST_RIP), rip_pa;
	uint32_t abort;
	struct ns_scan_hit *h;

	memcpy(&abort, page + 4, 4);
	/* revision 1 starts many pages: only a VMCS a hypervisor set up to run passes */
	if (abort || at64(page, EVMCS_VMCS_LINK_POINTER) != ~0ull || !host_in_vmx_operation(cr0, cr4) ||
	    !(cr3 & PTE_ADDR) || cr3 >> 52 || !ns_phys_translate(mem, cr3, rip, &rip_pa))
		return;
	if (!(h = add(s, pa, NS_SCAN_EVMCS, EVMCS_VERSION)))
		return;
	h->link = ~0ull;
	h->guest_rip = at64(page, EVMCS_GUEST_RIP);
	h->host_rip = rip;
	h->host_cr3 = cr3;
}

/* ---- the VMCB (svm/scan_rules.def) ---- */

/*
 * APM table B-1: the control area's last 32 bytes (3E0h-3FFh) are reserved
 * for the host's use, not zero (KVM keeps Hyper-V's enlightenments there).
 */
#define VMCB_CTRL_HOST_USE 0x3e0u
/* A VMCB meets every required rule and at least this many in all: two scored rules may fail (ASID 0 before a first run) */
#define VMCB_SCAN_MIN_MET (NS_VMCB_SCAN__COUNT - 2)

enum {
#define VMCB_SCAN_RULE(fn, id, kind, text, fields) NS_VMCB_SCAN_##fn,
#include "svm/scan_rules.def"
#undef VMCB_SCAN_RULE
	NS_VMCB_SCAN__COUNT
};
_Static_assert(NS_VMCB_SCAN__COUNT <= 32, "a hit keeps the rules met in 32 bits");

/* A field of the page, little-endian, by the VMCB table: the cheap first look at every page. */
static uint64_t vmcb_at(const uint8_t *page, enum ns_vmcb_field_id id)
{
	const struct ns_vmcb_field *f = ns_vmcb_field(id);
	uint64_t x = 0;

	for (unsigned i = 0; i < f->size && i < 8; i++)
		x |= (uint64_t)page[ns_vmcb_field_offset(f) + i] << (8 * i);
	return x;
}

/* Where the area's last field ends (from its start). */
static unsigned area_end(enum ns_vmcb_area area)
{
	unsigned end = 0;

	for (size_t i = 0; i < ns_vmcb_field_count(); i++) {
		const struct ns_vmcb_field *f = ns_vmcb_field((enum ns_vmcb_field_id)i);

		if (f->area == area && f->offset + f->size > end)
			end = f->offset + f->size;
	}
	return end;
}

/* Whether the bytes of the area below end that no field of the table covers are zero. */
static bool gaps_zero(const struct ns_vmcb *v, enum ns_vmcb_area area, unsigned end)
{
	uint8_t covered[NS_VMCB_SIZE] = { 0 };
	unsigned base = area == NS_VMCB_SAVE ? NS_VMCB_SAVE_OFFSET : 0;

	for (size_t i = 0; i < ns_vmcb_field_count(); i++) {
		const struct ns_vmcb_field *f = ns_vmcb_field((enum ns_vmcb_field_id)i);

		if (f->area == area && f->offset < end)
			memset(covered + f->offset, 1, f->offset + f->size <= end ? f->size : end - f->offset);
	}
	for (unsigned i = 0; i < end; i++)
		if (!covered[i] && v->bytes[base + i])
			return false;
	return true;
}

/* Whether the field's decoding (svm/explain.c, with the SDM's register tables) finds reserved bits set. */
static bool no_reserved(const struct ns_vmcb *v, enum ns_vmcb_field_id id)
{
	struct ns_decoding d;

	if (!ns_vmcb_decode_field(v, id, &d))
		return true;
	for (unsigned i = 0; i < d.n; i++)
		if (d.item[i].kind == NS_ITEM_RESERVED)
			return false;
	return true;
}

#define RULE(name) static bool vmcb_rule_##name(const struct ns_vmcb *v)

RULE(intercept_vmrun) { return ns_vmcb_get(v, NS_VMCB_INTERCEPT_WORD4) & NS_SVM_WORD4_VMRUN; }
RULE(efer_svme) { return ns_vmcb_get(v, NS_VMCB_EFER) & EFER_SVME; }
RULE(ctrl_reserved) { return gaps_zero(v, NS_VMCB_CTRL, VMCB_CTRL_HOST_USE); }
RULE(save_reserved) { return gaps_zero(v, NS_VMCB_SAVE, area_end(NS_VMCB_SAVE)); }
RULE(asid) { return ns_vmcb_get(v, NS_VMCB_ASID) != 0; }
RULE(tlb_ctl) { return ns_svm_value_name(NS_SVMT_TLB_CTL, ns_vmcb_get(v, NS_VMCB_TLB_CTL)) != NULL; }
RULE(efer_bits) { return no_reserved(v, NS_VMCB_EFER); }
RULE(cr0_bits) { return no_reserved(v, NS_VMCB_CR0); }
RULE(cr4_bits) { return no_reserved(v, NS_VMCB_CR4); }
RULE(rflags_bits) { return no_reserved(v, NS_VMCB_RFLAGS); }
RULE(seg_attrib)
{
	static const enum ns_vmcb_field_id attrib[] = {
		NS_VMCB_ES_ATTRIB,   NS_VMCB_CS_ATTRIB,   NS_VMCB_SS_ATTRIB,   NS_VMCB_DS_ATTRIB,   NS_VMCB_FS_ATTRIB,
		NS_VMCB_GS_ATTRIB,   NS_VMCB_GDTR_ATTRIB, NS_VMCB_LDTR_ATTRIB, NS_VMCB_IDTR_ATTRIB, NS_VMCB_TR_ATTRIB,
	};

	for (size_t i = 0; i < sizeof(attrib) / sizeof(attrib[0]); i++)
		if (ns_vmcb_get(v, attrib[i]) & NS_SVM_SEG_ATTRIB_RESERVED)
			return false;
	return true;
}
RULE(tail_zero) { return all_zero(v->bytes + NS_VMCB_SAVE_OFFSET + area_end(NS_VMCB_SAVE),
				  NS_VMCB_SIZE - NS_VMCB_SAVE_OFFSET - area_end(NS_VMCB_SAVE)); }
#undef RULE

static const struct vmcb_scan_rule {
	const char *id, *text, *fields;
	bool required;
	bool (*met)(const struct ns_vmcb *v);
} vmcb_rules[] = {
#define REQUIRED true
#define SCORED false
#define VMCB_SCAN_RULE(fn, id, kind, text, fields) { id, text, fields, kind, vmcb_rule_##fn },
#include "svm/scan_rules.def"
#undef VMCB_SCAN_RULE
#undef REQUIRED
#undef SCORED
};

size_t ns_vmcb_scan_rule_count(void) { return NS_VMCB_SCAN__COUNT; }
const char *ns_vmcb_scan_rule_id(size_t i) { return i < NS_VMCB_SCAN__COUNT ? vmcb_rules[i].id : NULL; }
const char *ns_vmcb_scan_rule_text(size_t i) { return i < NS_VMCB_SCAN__COUNT ? vmcb_rules[i].text : NULL; }
bool ns_vmcb_scan_rule_required(size_t i) { return i < NS_VMCB_SCAN__COUNT && vmcb_rules[i].required; }

uint32_t ns_vmcb_scan_rules_met(const uint8_t *page)
{
	struct ns_vmcb *v = malloc(sizeof(*v));
	uint32_t met = 0;

	if (!v)
		return 0;
	ns_vmcb_from_page(v, NS_VMCB_COPY_REGION, page, NS_VMCB_SIZE);
	for (size_t i = 0; i < NS_VMCB_SCAN__COUNT; i++)
		if (vmcb_rules[i].met(v))
			met |= 1u << i;
	free(v);
	return met;
}

bool ns_vmcb_scan_is_vmcb(uint32_t met)
{
	for (size_t i = 0; i < NS_VMCB_SCAN__COUNT; i++)
		if (vmcb_rules[i].required && !(met >> i & 1))
			return false;
	return (unsigned)__builtin_popcount(met) >= VMCB_SCAN_MIN_MET;
}

/* Whether the page is a VMCB: a hit added. */
static bool scan_vmcb(struct ns_scan *s, const uint8_t *page, uint64_t pa)
{
	struct ns_scan_hit *h;
	uint32_t met;

	/* the two bits VMRUN wants, read straight off the page: most pages go no further */
	if (!(vmcb_at(page, NS_VMCB_INTERCEPT_WORD4) & NS_SVM_WORD4_VMRUN) || !(vmcb_at(page, NS_VMCB_EFER) & EFER_SVME))
		return false;
	if (!ns_vmcb_scan_is_vmcb(met = ns_vmcb_scan_rules_met(page)))
		return false;
	if ((h = add(s, pa, NS_SCAN_VMCB, 0))) {
		h->vmcb_rules = met;
		h->asid = (uint32_t)vmcb_at(page, NS_VMCB_ASID);
		h->exit_code = vmcb_at(page, NS_VMCB_EXIT_CODE);
		h->guest_rip = vmcb_at(page, NS_VMCB_RIP);
		h->link = ~0ull;
	}
	return true;
}

void ns_scan_page(struct ns_scan *s, const uint8_t *page, uint64_t pa, const struct ns_phys *mem,
		  const struct ns_hwlayout *const *hw, size_t nhw)
{
	uint32_t rev;

	s->pages++;
	/* first: a VMCB's first dword (CR intercepts) may equal a VMCS revision id */
	if (scan_vmcb(s, page, pa))
		return;
	memcpy(&rev, page, 4);
	if ((rev & 0x7fffffffu) == NS_VMCS12_REVISION) {
		scan_vmcs12(s, page, pa, rev);
		return;
	}
	if (rev == EVMCS_VERSION) {
		scan_evmcs(s, page, pa, mem);
		return;
	}
	for (size_t i = 0; i < nhw; i++)
		if ((rev & 0x7fffffffu) == hw[i]->layout.revision) {
			struct ns_scan_hit *h;

			if (all_zero(page + 4, PAGE - 4))
				add(s, pa, NS_SCAN_REVISION_ONLY, rev);
			else if (!(rev >> 31))
				scan_hw(s, page, pa, mem, hw[i]);
			else if ((h = add(s, pa, NS_SCAN_HW_SHADOW, rev))) /* kept if a VMCS links to it */
				h->hw = hw[i];
			return;
		}
}

void ns_scan_relate(struct ns_scan *s, const struct ns_phys *mem)
{
	const struct ns_scan_hit *host = NULL;
	struct pgwalk *w;
	size_t kept = 0;

	/* a hardware shadow VMCS is one only if a validated VMCS links to it */
	for (size_t i = 0; i < s->n; i++) {
		bool linked = s->hit[i].kind != NS_SCAN_HW_SHADOW;

		for (size_t k = 0; k < s->n && !linked; k++)
			linked = s->hit[k].kind == NS_SCAN_HW_VMCS && s->hit[k].link == s->hit[i].pa;
		if (linked)
			s->hit[kept++] = s->hit[i];
	}
	s->n = kept;
	for (size_t i = 0; i < s->n; i++) {
		struct ns_scan_hit *h = &s->hit[i];

		if (h->kind == NS_SCAN_HW_VMCS && !host)
			host = h;
		if (h->kind == NS_SCAN_HW_VMCS && h->link != ~0ull)
			for (size_t k = 0; k < s->n; k++)
				if (s->hit[k].kind == NS_SCAN_HW_SHADOW && s->hit[k].pa == h->link)
					s->hit[k].shadow_of = (int)i;
		if (h->kind != NS_SCAN_VMCS12 || h->link == ~0ull)
			continue;
		/* the shadow VMCS the link pointer names, written to or not */
		for (size_t k = 0; k < s->n; k++)
			if (s->hit[k].pa == h->link && s->hit[k].revision >> 31 &&
			    (s->hit[k].kind == NS_SCAN_SHADOW_VMCS12 || s->hit[k].kind == NS_SCAN_REVISION_ONLY))
				s->hit[k].shadow_of = (int)i;
	}
	/* a vmcs12 in L0's memory: its kernel address, through L0's own page tables (one context: its cache) */
	if (!host || !(w = pgwalk_new(mem)))
		return;
	for (size_t i = 0; i < s->n; i++)
		if (s->hit[i].kind == NS_SCAN_VMCS12 || s->hit[i].kind == NS_SCAN_SHADOW_VMCS12)
			s->hit[i].va = mapped_at(s, mem, w, host->host_cr3, s->hit[i].pa);
	pgwalk_free(w);
}

bool ns_scan_want_pairs(const struct ns_scan *s)
{
	bool hw = false, v12 = false;

	for (size_t i = 0; i < s->n; i++) {
		hw |= s->hit[i].kind == NS_SCAN_HW_VMCS && s->hit[i].va;
		v12 |= s->hit[i].kind == NS_SCAN_VMCS12 && s->hit[i].va;
	}
	return hw && v12;
}

bool ns_scan_may_point(const uint8_t *page)
{
	for (size_t off = 0; off < PAGE; off += 8) {
		uint64_t w;

		memcpy(&w, page + off, 8);
		if (w >= 0xffff800000000000ull && !(w & 0xfff))
			return true;
	}
	return false;
}

static int by_va(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void ns_scan_pair_page(struct ns_scan *s, const uint8_t *page, uint64_t pa)
{
	if (!s->nva) {
		/* once: the addresses to look for, sorted (a word costs a binary search, not a pass over the hits) */
		for (size_t i = 0; i < s->n; i++)
			if (s->hit[i].va && (s->hit[i].kind == NS_SCAN_VMCS12 || s->hit[i].kind == NS_SCAN_HW_VMCS)) {
				s->va[s->nva].va = s->hit[i].va;
				s->va[s->nva++].hit = (uint32_t)i;
			}
		qsort(s->va, s->nva, sizeof(s->va[0]), by_va);
		if (!s->nva)
			return;
	}
	for (size_t off = 0; off < PAGE; off += 8) {
		uint64_t w;
		size_t lo = 0, hi = s->nva;

		memcpy(&w, page + off, 8);
		if (w < 0xffff800000000000ull || (w & 0xfff))
			continue;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (s->va[mid].va < w)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < s->nva && s->va[lo].va == w && s->nptr < NS_SCAN_MAX_POINTERS; lo++) {
			s->ptr[s->nptr].pa = pa + off;
			s->ptr[s->nptr++].hit = s->va[lo].hit;
		}
	}
}

void ns_scan_pair_finish(struct ns_scan *s)
{
	/* each hardware VMCS pointer against each vmcs12 pointer: at most a few dozen of each */
	for (size_t a = 0; a < s->nptr; a++) {
		struct ns_scan_hit *h = &s->hit[s->ptr[a].hit];
		uint64_t at = s->ptr[a].pa;

		if (h->kind != NS_SCAN_HW_VMCS || h->role)
			continue;
		for (size_t b = 0; b < s->nptr && !h->role; b++) {
			uint32_t k = s->ptr[b].hit;
			uint64_t p12 = s->ptr[b].pa;

			if (s->hit[k].kind != NS_SCAN_VMCS12)
				continue;
			if (at > p12 && at - p12 <= VMCS02_AFTER_MAX) {
				h->role = "vmcs02";
				s->hit[k].pair = (int)s->ptr[a].hit;
			} else if (at < p12 && p12 - at <= VMCS01_BEFORE_MAX) {
				h->role = "vmcs01";
			}
			if (h->role) {
				h->pair = (int)k;
				h->pointer_pa = at;
				s->hit[k].pointer_pa = p12;
			}
		}
	}
}

void ns_scan_merge(struct ns_scan *into, struct ns_scan *const *parts, size_t n)
{
	size_t at[NS_SCAN_MAX_PARTS] = { 0 }, total = 0;

	memset(into, 0, sizeof(*into));
	if (n > NS_SCAN_MAX_PARTS)
		n = NS_SCAN_MAX_PARTS;
	for (size_t p = 0; p < n; p++) {
		into->truncated |= parts[p]->truncated;
		into->walks_exhausted |= parts[p]->walks_exhausted;
		into->pages += parts[p]->pages;
		if (parts[p]->walk_pool)
			into->walks = *parts[p]->walk_pool;
		total += parts[p]->n;
	}
	/*
	 * Each part is in address order: merged, the lowest addresses first.  A
	 * part that ran out of room had more hits than the limit below the ones
	 * it missed, so those lie past the first NS_SCAN_MAX_HITS of all.
	 */
	into->truncated |= total > NS_SCAN_MAX_HITS;
	while (into->n < NS_SCAN_MAX_HITS) {
		size_t best = n;

		for (size_t p = 0; p < n; p++)
			if (at[p] < parts[p]->n &&
			    (best == n || parts[p]->hit[at[p]].pa < parts[best]->hit[at[best]].pa))
				best = p;
		if (best == n)
			break;
		into->hit[into->n++] = parts[best]->hit[at[best]++];
	}
}

void ns_scan_pair_part(struct ns_scan *part, const struct ns_scan *related)
{
	memcpy(part, related, sizeof(*part));
	part->nva = part->nptr = 0;
}

void ns_scan_pair_merge(struct ns_scan *into, struct ns_scan *const *parts, size_t n)
{
	size_t at[NS_SCAN_MAX_PARTS] = { 0 };

	/* as for hits: a part that filled up missed only pointers past the first NS_SCAN_MAX_POINTERS */
	if (n > NS_SCAN_MAX_PARTS)
		n = NS_SCAN_MAX_PARTS;
	into->nptr = 0;
	while (into->nptr < NS_SCAN_MAX_POINTERS) {
		size_t best = n;

		for (size_t p = 0; p < n; p++)
			if (at[p] < parts[p]->nptr &&
			    (best == n || parts[p]->ptr[at[p]].pa < parts[best]->ptr[at[best]].pa))
				best = p;
		if (best == n)
			break;
		into->ptr[into->nptr++] = parts[best]->ptr[at[best]++];
	}
}

const char *ns_scan_kind_name(enum ns_scan_kind k)
{
	static const char *const names[NS_SCAN__KINDS] = {
		"vmcs12", "shadow-vmcs12", "revision-only", "hardware-vmcs", "hardware-shadow", "evmcs", "vmcb",
	};

	return (unsigned)k < NS_SCAN__KINDS ? names[k] : "?";
}
