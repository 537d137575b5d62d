/*
 * Finding VMCS regions in physical memory without debuginfo: every 4 KiB
 * page is classified by its first dword and then validated, so that a page
 * that merely starts with the right number is not taken for a VMCS.
 *
 *  - vmcs12 (KVM's software VMCS, revision 0x11e57ed0; bit 31: a shadow
 *    VMCS): abort indicator a VMX-abort code, launch state 0 or 1, link
 *    pointer ~0 or a page address, some field written;
 *  - a page with only that revision id: a VMXON region, or a VMCS never
 *    written (reported as such, not as a vmcs12);
 *  - hardware VMCS of a known revision id (a layout): abort indicator 0,
 *    link pointer ~0 or a shadow VMCS of that revision (KVM links vmcs01 to
 *    L1's shadow VMCS while it has one), host CR0.PE/PG and CR4.VMXE set, and (as Rekall and
 *    Actaeon validate) the host page tables at HOST_CR3 map HOST_RIP and the
 *    region itself (at an address congruent to it modulo 1 GiB: where
 *    Linux's direct map puts it).
 *
 *  - Hyper-V enlightened VMCS (revision 1, KVM_EVMCS_VERSION; the TLFS
 *    layout): abort indicator 0, link pointer ~0, host CR0.PE/PG and
 *    CR4.VMXE, and HOST_RIP mapped by the page tables at HOST_CR3.
 *
 *  - AMD SVM VMCB (no signature, no revision id: APM vol. 2 appendix B):
 *    judged by its structure, the rules of decoders/svm/scan_rules.def
 *    (the VMRUN intercept, EFER.SVME, the reserved bytes zero, then values
 *    such as a non-zero ASID, counted); each hit keeps which rules it met.
 *    Whether it is a vmcb12, vmcb02 or vmcb01 its bytes do not say: scan
 *    reports a "vmcb".
 *
 * Then relations: a vmcs12's link pointer naming a shadow vmcs12 found, and
 * each hardware VMCS paired with the vmcs12 whose kernel address KVM keeps
 * next to its own (nested.cached_vmcs12 and nested.vmcs02.vmcs in one
 * struct vcpu_vmx), found by a second pass over memory.
 */
#ifndef NESTSCOPE_SCAN_H
#define NESTSCOPE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hwlayout.h"
#include "render.h"

/* Physical memory: reads len bytes at pa, false when absent. */
struct ns_phys {
	void *ctx;
	bool (*read)(void *ctx, uint64_t pa, void *buf, size_t len);
};

/*
 * A 4-level page walk from cr3 (by libaddrxlat); false when va is not mapped
 * (not canonical, an entry not present or with reserved bits set, cr3 with
 * bits above 51) or a table is not in memory.
 */
bool ns_phys_translate(const struct ns_phys *mem, uint64_t cr3, uint64_t va, uint64_t *pa);

enum ns_scan_kind {
	NS_SCAN_VMCS12, NS_SCAN_SHADOW_VMCS12, NS_SCAN_REVISION_ONLY, NS_SCAN_HW_VMCS,
	NS_SCAN_HW_SHADOW, /* a hardware shadow VMCS: a validated VMCS's link pointer names it */
	NS_SCAN_EVMCS,     /* a Hyper-V enlightened VMCS (TLFS layout) */
	NS_SCAN_VMCB,      /* an AMD SVM VMCB (scan_rules.def) */
	NS_SCAN__KINDS
};

#define NS_SCAN_NO_PAIR (-1)

struct ns_scan_hit {
	uint64_t pa;
	enum ns_scan_kind kind;
	uint32_t revision;
	const struct ns_hwlayout *hw;      /* NS_SCAN_HW_VMCS: its layout */
	uint32_t launch_state;
	uint64_t link, guest_rip, host_rip, host_cr3;
	uint64_t va;                       /* the kernel's address for it (direct map), 0 if unknown */
	int shadow_of;                     /* a shadow vmcs12: the hit whose link pointer names it */
	int pair;                          /* hardware VMCS <-> vmcs12 of one vCPU, or NS_SCAN_NO_PAIR */
	const char *role;                  /* a paired hardware VMCS: "vmcs02" or "vmcs01" */
	uint64_t pointer_pa;               /* where the kernel's pointer to it was found (pairing), or 0 */
	/* NS_SCAN_VMCB: the rules it met (bit i: ns_vmcb_scan_rule_id(i)), its ASID and EXITCODE; guest_rip is RIP */
	uint32_t vmcb_rules;
	uint32_t asid;
	uint64_t exit_code;
};

#define NS_SCAN_MAX_HITS 4096
#define NS_SCAN_MAX_POINTERS 4096
#define NS_SCAN_MAX_WALKS (1ull << 24)
#define NS_SCAN_MAX_PARTS 64           /* threads scanning one image */

struct ns_scan {
	size_t n;
	bool truncated;                    /* more than NS_SCAN_MAX_HITS */
	/* page walks done validating: a hostile image could ask for billions */
	uint64_t walks;
	uint64_t *walk_pool;               /* a part (ns_scan_merge): the count its parts share, or NULL */
	bool walks_exhausted;              /* then hardware VMCS candidates went unvalidated */
	uint64_t pages;                    /* pages looked at */
	struct ns_scan_hit hit[NS_SCAN_MAX_HITS];
	/* the pairing pass: the hits' kernel addresses, sorted; where memory holds them */
	size_t nva;
	struct {
		uint64_t va;
		uint32_t hit;
	} va[NS_SCAN_MAX_HITS];
	size_t nptr;
	struct {
		uint64_t pa;
		uint32_t hit;
	} ptr[NS_SCAN_MAX_POINTERS];
};

/* Looks at one page (at physical address pa); adds a hit when it is one.  mem: for the page-table walks. */
void ns_scan_page(struct ns_scan *s, const uint8_t *page, uint64_t pa, const struct ns_phys *mem,
		  const struct ns_hwlayout *const *hw, size_t nhw);

/*
 * After every page: shadow links, and the kernel addresses of the hits
 * (through a hardware VMCS's host page tables) that a second pass looks for.
 */
void ns_scan_relate(struct ns_scan *s, const struct ns_phys *mem);
/* True when the pairing pass has addresses to look for. */
bool ns_scan_want_pairs(const struct ns_scan *s);
/*
 * Whether a page holds a page-aligned kernel address, as every pointer to a
 * VMCS page is: where reading a page costs (a compressed dump), the pairing
 * pass reads only those.
 */
bool ns_scan_may_point(const uint8_t *page);
/* The pairing pass, page by page: where the kernel keeps pointers to the hits. */
void ns_scan_pair_page(struct ns_scan *s, const uint8_t *page, uint64_t pa);
/* Then: the hardware VMCS pointers that sit next to a vmcs12's (one vcpu_vmx). */
void ns_scan_pair_finish(struct ns_scan *s);

/*
 * One image scanned in parts, by threads: each part an ns_scan of its own
 * (zeroed, walk_pool pointing at one counter the parts share, so that they
 * have one budget between them) that is given its pages in ascending order.
 * Merged (at most NS_SCAN_MAX_PARTS), they are what one scan of every page
 * in address order gives: hits by address, the first NS_SCAN_MAX_HITS kept,
 * pages added.  into is then related as a scan of its own.
 */
void ns_scan_merge(struct ns_scan *into, struct ns_scan *const *parts, size_t n);
/*
 * The pairing pass in parts: each part a copy of the related scan (its
 * pointers cleared) given its pages in ascending order; their pointers,
 * merged by address, are what one pass finds.  Then ns_scan_pair_finish.
 */
void ns_scan_pair_part(struct ns_scan *part, const struct ns_scan *related);
void ns_scan_pair_merge(struct ns_scan *into, struct ns_scan *const *parts, size_t n);

const char *ns_scan_kind_name(enum ns_scan_kind k);

/*
 * The VMCB rules (decoders/svm/scan_rules.def), by index: the stable id,
 * the sentence, and whether every VMCB must meet it.
 */
size_t ns_vmcb_scan_rule_count(void);
const char *ns_vmcb_scan_rule_id(size_t i);
const char *ns_vmcb_scan_rule_text(size_t i);
bool ns_vmcb_scan_rule_required(size_t i);
/* The rules a 4 KiB page meets (bit i: rule i); a VMCB when ns_vmcb_scan_is_vmcb says so. */
uint32_t ns_vmcb_scan_rules_met(const uint8_t *page);
bool ns_vmcb_scan_is_vmcb(uint32_t met);
void ns_render_scan_text(struct ns_out *o, const char *image, const struct ns_scan *s);
void ns_render_scan_json(struct ns_out *o, const char *image, const struct ns_scan *s);
#define NS_SCAN_SCHEMA "nestscope/scan/2"

/*
 * capture: what was dumped.  With --json one nestscope/capture/2 document (the
 * dump, the scan and a report per region decoded: render/report_doc.h's
 * ns_capture_doc), else a line before the scan's text and the reports.
 */
#define NS_CAPTURE_SCHEMA "nestscope/capture/2"
enum ns_capture_kind {
	NS_CAPTURE_LIVE,   /* a live dump: QEMU's migration stream (its RAM) */
	NS_CAPTURE_KDUMP,  /* a memory-only dump, kdump-compressed */
	NS_CAPTURE_ELF,    /* a memory-only dump, ELF */
};
struct ns_capture_info {
	const char *domain;
	enum ns_capture_kind kind;
	double seconds;    /* the dump's duration */
	uint64_t bytes;    /* its size (0: not known) */
	const char *kept;  /* where it was kept, or NULL: deleted */
};

#endif
