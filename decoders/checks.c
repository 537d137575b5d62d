/*
 * The SDM's VM-entry checks (rules in checks.def).  Each check reads the
 * pre-loaded field values and returns pass, fail (saying what it found and
 * what the SDM wants) or not applicable.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "textline.h"
#include "nestscope/checks.h"

/* ---- the values, read once ---- */

/*
 * Field values by a direct key built from the encoding's bits: width (2),
 * type (2), index (6; every catalog index is below 64).  The checks read
 * fields hundreds of times per vmcs12: no search on that path.
 */
#define KEY(enc) ((((enc) >> 13) & 3u) << 8 | (((enc) >> 10) & 3u) << 6 | (((enc) >> 1) & 63u))

struct chk {
	const struct ns_vmx_caps *caps;
	const struct ns_guest_memory *mem;
	uint64_t val[1024];
	bool have[1024];
	enum ns_entry_insn insn;     /* which instruction the launch-state rule judges */
	const struct ns_vmcs *vmcs;  /* the region itself, for its header */
};

/* The catalog is in encoding order: binary search. */
static int cat_index(uint32_t enc)
{
	size_t lo = 0, hi = ns_field_count();

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		uint32_t e = ns_field_at(mid)->encoding;
		if (e == enc)
			return (int)mid;
		if (e < enc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static inline uint64_t V(const struct chk *c, uint32_t enc)
{
	return c->val[KEY(enc)];
}

static uint64_t cap(const struct chk *c, unsigned msr)
{
	return c->caps->msr[msr - 0x480];
}

static bool true_ctls(const struct chk *c)
{
	return (cap(c, 0x480) >> 55) & 1;
}

#define PIN V(c, 0x4000)
#define PROC V(c, 0x4002)
#define PROC2 (PROC & (1u << 31) ? V(c, 0x401e) : 0)
#define EXITC V(c, 0x400c)
#define ENTRYC V(c, 0x4012)
#define IA32E (ENTRYC & (1u << 9))
#define UNRESTRICTED (PROC2 & (1u << 7))

static bool fits(const struct chk *c, uint64_t addr)
{
	return c->caps->maxphyaddr >= 64 || !(addr >> c->caps->maxphyaddr);
}

static bool canonical(uint64_t v)
{
	/* 48-bit linear addresses (4-level paging) */
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

static enum ns_verdict fail(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum ns_verdict fail(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return NS_FAIL;
}

/* allowed-0/allowed-1 pair: low half must be 1, high half may be 1 */
static enum ns_verdict allowed(uint64_t value, uint64_t cap_msr, const char *what, char *why, size_t n)
{
	uint32_t must = (uint32_t)cap_msr, may = (uint32_t)(cap_msr >> 32);

	if ((value & must) != must)
		return fail(why, n, "%s 0x%llx lacks required bits 0x%x (allowed-0 settings 0x%x)", what,
			    (unsigned long long)value, must & ~(uint32_t)value, must);
	if (value & ~(uint64_t)may)
		return fail(why, n, "%s 0x%llx sets bits 0x%llx the capability does not allow (allowed-1 0x%x)", what,
			    (unsigned long long)value, (unsigned long long)(value & ~(uint64_t)may), may);
	return NS_PASS;
}

static enum ns_verdict page_addr(const struct chk *c, uint64_t a, const char *what, char *why, size_t n)
{
	if (a & 0xfff)
		return fail(why, n, "%s 0x%llx is not 4-KByte aligned", what, (unsigned long long)a);
	if (!fits(c, a))
		return fail(why, n, "%s 0x%llx is beyond the %u-bit physical-address width", what, (unsigned long long)a,
			    c->caps->maxphyaddr);
	return NS_PASS;
}

#define WHY char *why, size_t n
#define CK(name) static enum ns_verdict chk_##name(const struct chk *c, WHY)

/* ---- VMLAUNCH/VMRESUME prerequisites ---- */

/* The region's first 4 bytes: revision identifier and shadow-VMCS indicator. */
static bool header_u32(const struct chk *c, const char *member, uint32_t *out)
{
	const struct ns_layout *l = c->vmcs->layout;

	for (size_t k = 0; k < l->nslots; k++) {
		const struct ns_slot *s = &l->slots[k];
		uint64_t v;

		if (s->encoding == NS_NOENC && s->member && !strcmp(s->member, member) && ns_vmcs_read_slot(c->vmcs, s, &v)) {
			*out = (uint32_t)v;
			return true;
		}
	}
	return false;
}

CK(launch_revision)
{
	uint32_t rev, want = (uint32_t)(cap(c, 0x480) & 0x7fffffff);

	if (c->vmcs->len < 4)
		return NS_NA;
	rev = (uint32_t)c->vmcs->data[0] | (uint32_t)c->vmcs->data[1] << 8 | (uint32_t)c->vmcs->data[2] << 16 |
	      (uint32_t)c->vmcs->data[3] << 24;
	if (!c->caps->have[0])
		want = c->vmcs->layout->revision & 0x7fffffff;
	if (rev >> 31)
		return fail(why, n, "the region's shadow-VMCS indicator is set: a shadow VMCS cannot be launched or resumed");
	if (rev != want)
		return fail(why, n, "revision identifier 0x%x, IA32_VMX_BASIC[30:0] is 0x%x", rev, want);
	return NS_PASS;
}

CK(launch_state)
{
	uint32_t st;

	if (!header_u32(c, "launch_state", &st)) {
		snprintf(why, n, "this layout keeps no launch state");
		return NS_NA;
	}
	if (c->insn == NS_ENTRY_UNKNOWN) {
		snprintf(why, n, "needs the entry instruction (VMLAUNCH or VMRESUME)");
		return NS_NA;
	}
	if (c->insn == NS_ENTRY_VMLAUNCH && st)
		return fail(why, n, "VMLAUNCH with launch state launched (VMfailValid 4)");
	if (c->insn == NS_ENTRY_VMRESUME && !st)
		return fail(why, n, "VMRESUME with launch state clear (VMfailValid 5)");
	return NS_PASS;
}

/* ---- controls ---- */

CK(pin_reserved) { return allowed(PIN, true_ctls(c) ? cap(c, 0x48d) : cap(c, 0x481), "pin-based controls", why, n); }
CK(proc_reserved) { return allowed(PROC, true_ctls(c) ? cap(c, 0x48e) : cap(c, 0x482), "primary controls", why, n); }

CK(proc2_reserved)
{
	if (!(PROC & (1u << 31)))
		return NS_NA;
	return allowed(V(c, 0x401e), cap(c, 0x48b), "secondary controls", why, n);
}

CK(cr3_target_count)
{
	uint64_t max = (cap(c, 0x485) >> 16) & 0x1ff;

	if (V(c, 0x400a) > max)
		return fail(why, n, "CR3-target count %llu exceeds the %llu IA32_VMX_MISC allows",
			    (unsigned long long)V(c, 0x400a), (unsigned long long)max);
	return NS_PASS;
}

CK(io_bitmaps)
{
	if (!(PROC & (1u << 25)))
		return NS_NA;
	if (page_addr(c, V(c, 0x2000), "I/O bitmap A", why, n) == NS_FAIL)
		return NS_FAIL;
	return page_addr(c, V(c, 0x2002), "I/O bitmap B", why, n);
}

CK(msr_bitmap) { return PROC & (1u << 28) ? page_addr(c, V(c, 0x2004), "MSR bitmap", why, n) : NS_NA; }
CK(tpr_shadow_addr) { return PROC & (1u << 21) ? page_addr(c, V(c, 0x2012), "virtual-APIC address", why, n) : NS_NA; }

CK(tpr_threshold)
{
	if (!(PROC & (1u << 21)) || (PROC2 & (1u << 9)))
		return NS_NA;
	if (V(c, 0x401c) & ~0xfull)
		return fail(why, n, "TPR threshold 0x%llx has bits 31:4 set", (unsigned long long)V(c, 0x401c));
	return NS_PASS;
}

CK(no_tpr_shadow)
{
	if (PROC & (1u << 21))
		return NS_NA;
	if (PROC2 & ((1u << 4) | (1u << 8) | (1u << 9)))
		return fail(why, n, "secondary controls 0x%llx use x2APIC/APIC-register/interrupt-delivery virtualization "
			    "without use TPR shadow", (unsigned long long)PROC2);
	return NS_PASS;
}

/* A byte of L1's memory, or -1 when it is not available. */
static int mem_byte(const struct chk *c, uint64_t gpa)
{
	if (!c->mem || !c->mem->data || gpa >= c->mem->len)
		return -1;
	return c->mem->data[gpa];
}

CK(tpr_vtpr)
{
	int vtpr;

	if (!(PROC & (1u << 21)) || (PROC2 & 1) || (PROC2 & (1u << 9)))
		return NS_NA;
	vtpr = mem_byte(c, V(c, 0x2012) + 0x80);
	if (vtpr < 0) {
		snprintf(why, n, "needs L1's virtual-APIC page (give L1's memory)");
		return NS_NA;
	}
	if ((V(c, 0x401c) & 0xf) > ((unsigned)vtpr >> 4))
		return fail(why, n, "TPR threshold 0x%llx exceeds VTPR[7:4] = %u (virtual-APIC page 0x%llx, byte 80H = 0x%02x)",
			    (unsigned long long)V(c, 0x401c), (unsigned)vtpr >> 4, (unsigned long long)V(c, 0x2012), vtpr);
	return NS_PASS;
}

CK(nmi_virtual)
{
	if ((PIN & (1u << 5)) && !(PIN & (1u << 3)))
		return fail(why, n, "virtual NMIs (pin 0x%llx) without NMI exiting", (unsigned long long)PIN);
	return PIN & (1u << 5) ? NS_PASS : NS_NA;
}

CK(nmi_window)
{
	if ((PROC & (1u << 22)) && !(PIN & (1u << 5)))
		return fail(why, n, "NMI-window exiting without virtual NMIs");
	return PROC & (1u << 22) ? NS_PASS : NS_NA;
}

CK(apic_access_addr) { return PROC2 & 1 ? page_addr(c, V(c, 0x2014), "APIC-access address", why, n) : NS_NA; }

CK(x2apic_vs_apic)
{
	if ((PROC2 & 1) && (PROC2 & (1u << 4)))
		return fail(why, n, "both virtualize x2APIC mode and virtualize APIC accesses are set");
	return NS_PASS;
}

CK(vid_ext_intr)
{
	if (!(PROC2 & (1u << 9)))
		return NS_NA;
	return PIN & 1 ? NS_PASS : fail(why, n, "virtual-interrupt delivery without external-interrupt exiting");
}

CK(posted_intr)
{
	uint64_t desc = V(c, 0x2016);

	if (!(PIN & (1u << 7)))
		return NS_NA;
	if (!(PROC2 & (1u << 9)))
		return fail(why, n, "process posted interrupts without virtual-interrupt delivery");
	if (!(EXITC & (1u << 15)))
		return fail(why, n, "process posted interrupts without acknowledge interrupt on exit");
	if (V(c, 0x0002) > 0xff)
		return fail(why, n, "posted-interrupt notification vector 0x%llx has bits 15:8 set", (unsigned long long)V(c, 0x0002));
	if ((desc & 0x3f) || !fits(c, desc))
		return fail(why, n, "posted-interrupt descriptor 0x%llx is not 64-byte aligned within the physical-address width",
			    (unsigned long long)desc);
	return NS_PASS;
}

CK(vpid_nonzero)
{
	if (!(PROC2 & (1u << 5)))
		return NS_NA;
	return V(c, 0x0000) ? NS_PASS : fail(why, n, "enable VPID with VPID 0");
}

CK(eptp)
{
	uint64_t e = V(c, 0x201a), epc = cap(c, 0x48c);
	unsigned mt = e & 7, walk = ((e >> 3) & 7) + 1;

	if (!(PROC2 & (1u << 1)))
		return NS_NA;
	if (!((mt == 0 && (epc & (1u << 8))) || (mt == 6 && (epc & (1u << 14)))))
		return fail(why, n, "EPTP 0x%llx: memory type %u is not one IA32_VMX_EPT_VPID_CAP supports", (unsigned long long)e, mt);
	if (!((walk == 4 && (epc & (1u << 6))) || (walk == 5 && (epc & (1u << 7)))))
		return fail(why, n, "EPTP 0x%llx: page-walk length %u is not supported", (unsigned long long)e, walk);
	if ((e & (1u << 6)) && !(epc & (1u << 21)))
		return fail(why, n, "EPTP 0x%llx enables accessed/dirty flags, which are not supported", (unsigned long long)e);
	if (e & 0xf80)
		return fail(why, n, "EPTP 0x%llx has reserved bits 11:7 set", (unsigned long long)e);
	if (!fits(c, e))
		return fail(why, n, "EPTP 0x%llx has bits beyond the physical-address width", (unsigned long long)e);
	return NS_PASS;
}

CK(pml)
{
	if (!(PROC2 & (1u << 17)))
		return NS_NA;
	if (!(PROC2 & (1u << 1)))
		return fail(why, n, "enable PML without enable EPT");
	return page_addr(c, V(c, 0x200e), "PML address", why, n);
}

CK(unrestricted_ept)
{
	if (!UNRESTRICTED)
		return NS_NA;
	return PROC2 & (1u << 1) ? NS_PASS : fail(why, n, "unrestricted guest without enable EPT");
}

CK(mbec_ept)
{
	if (!(PROC2 & (1u << 22)))
		return NS_NA;
	return PROC2 & (1u << 1) ? NS_PASS : fail(why, n, "mode-based execute control without enable EPT");
}

CK(vmfunc)
{
	uint64_t f = V(c, 0x2018);

	if (!(PROC2 & (1u << 13)))
		return NS_NA;
	if (f & ~cap(c, 0x491))
		return fail(why, n, "VM-function controls 0x%llx enable functions IA32_VMX_VMFUNC (0x%llx) does not offer",
			    (unsigned long long)f, (unsigned long long)cap(c, 0x491));
	if (f & 1) {
		if (!(PROC2 & (1u << 1)))
			return fail(why, n, "EPTP switching without enable EPT");
		return page_addr(c, V(c, 0x2024), "EPTP-list address", why, n);
	}
	return NS_PASS;
}

CK(shadow_vmcs)
{
	if (!(PROC2 & (1u << 14)))
		return NS_NA;
	if (page_addr(c, V(c, 0x2026), "VMREAD-bitmap address", why, n) == NS_FAIL)
		return NS_FAIL;
	return page_addr(c, V(c, 0x2028), "VMWRITE-bitmap address", why, n);
}

CK(ve_info)
{
	/* KVM's vmcs12 has no slot for it: judged only on VMCS images that do */
	if (!(PROC2 & (1u << 18)) || !c->have[KEY(0x202a)])
		return NS_NA;
	return page_addr(c, V(c, 0x202a), "#VE information address", why, n);
}

CK(exit_reserved) { return allowed(EXITC, true_ctls(c) ? cap(c, 0x48f) : cap(c, 0x483), "VM-exit controls", why, n); }

CK(preemption_save)
{
	if ((EXITC & (1u << 22)) && !(PIN & (1u << 6)))
		return fail(why, n, "save VMX-preemption timer value without activate VMX-preemption timer");
	return EXITC & (1u << 22) ? NS_PASS : NS_NA;
}

static enum ns_verdict msr_area(const struct chk *c, uint32_t count_enc, uint32_t addr_enc, const char *what, WHY)
{
	uint64_t count = V(c, count_enc), a = V(c, addr_enc);

	if (!count)
		return NS_NA;
	if (a & 0xf)
		return fail(why, n, "%s address 0x%llx is not 16-byte aligned", what, (unsigned long long)a);
	if (!fits(c, a) || !fits(c, a + count * 16 - 1))
		return fail(why, n, "%s of %llu entries at 0x%llx ends beyond the physical-address width", what,
			    (unsigned long long)count, (unsigned long long)a);
	return NS_PASS;
}

CK(exit_msr_store) { return msr_area(c, 0x400e, 0x2006, "VM-exit MSR-store area", why, n); }
CK(exit_msr_load) { return msr_area(c, 0x4010, 0x2008, "VM-exit MSR-load area", why, n); }
CK(entry_msr_load) { return msr_area(c, 0x4014, 0x200a, "VM-entry MSR-load area", why, n); }
CK(entry_reserved) { return allowed(ENTRYC, true_ctls(c) ? cap(c, 0x490) : cap(c, 0x484), "VM-entry controls", why, n); }

#define EVENT V(c, 0x4016)
#define EVENT_VALID (EVENT & (1u << 31))
#define EVENT_TYPE ((EVENT >> 8) & 7)
#define EVENT_VECTOR (EVENT & 0xff)

CK(event_type)
{
	if (!EVENT_VALID)
		return NS_NA;
	if (EVENT_TYPE == 1)
		return fail(why, n, "injected event 0x%llx uses the reserved type 1", (unsigned long long)EVENT);
	if (EVENT_TYPE == 7 && !((cap(c, true_ctls(c) ? 0x48e : 0x482) >> 32) & (1u << 27)))
		return fail(why, n, "injected event type 7 (other event) without monitor-trap-flag support");
	return NS_PASS;
}

CK(event_vector)
{
	if (!EVENT_VALID)
		return NS_NA;
	if (EVENT_TYPE == 2 && EVENT_VECTOR != 2)
		return fail(why, n, "an injected NMI has vector %llu, not 2", (unsigned long long)EVENT_VECTOR);
	if (EVENT_TYPE == 3 && EVENT_VECTOR > 31)
		return fail(why, n, "an injected hardware exception has vector %llu, above 31", (unsigned long long)EVENT_VECTOR);
	if (EVENT_TYPE == 7 && EVENT_VECTOR != 0)
		return fail(why, n, "an injected other event has vector %llu, not 0", (unsigned long long)EVENT_VECTOR);
	return NS_PASS;
}

CK(event_error_code)
{
	unsigned v = (unsigned)EVENT_VECTOR;
	bool pushes = v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21;
	bool prot = UNRESTRICTED ? (V(c, 0x6800) & 1) : true;
	bool want, has = EVENT & (1u << 11);

	if (!EVENT_VALID)
		return NS_NA;
	want = EVENT_TYPE == 3 && pushes && prot;
	if (has != want)
		return fail(why, n, "deliver error code is %d for event 0x%llx; the SDM wants %d", has, (unsigned long long)EVENT,
			    want);
	return NS_PASS;
}

CK(event_reserved)
{
	if (!EVENT_VALID)
		return NS_NA;
	return EVENT & 0x7ffff000ull ? fail(why, n, "bits 30:12 of event 0x%llx are set", (unsigned long long)EVENT) : NS_PASS;
}

CK(event_error_value)
{
	if (!EVENT_VALID || !(EVENT & (1u << 11)))
		return NS_NA;
	if (V(c, 0x4018) & 0xffff0000ull)
		return fail(why, n, "error code 0x%llx has bits 31:16 set", (unsigned long long)V(c, 0x4018));
	return NS_PASS;
}

CK(event_insn_len)
{
	uint64_t len = V(c, 0x401a);
	bool zero_ok = (cap(c, 0x485) >> 30) & 1;

	if (!EVENT_VALID || !(EVENT_TYPE == 4 || EVENT_TYPE == 5 || EVENT_TYPE == 6))
		return NS_NA;
	if (len > 15 || (len == 0 && !zero_ok))
		return fail(why, n, "instruction length %llu for a software event (1..15%s)", (unsigned long long)len,
			    zero_ok ? ", or 0" : "");
	return NS_PASS;
}

CK(entry_smm)
{
	if (ENTRYC & ((1u << 10) | (1u << 11)))
		return fail(why, n, "VM-entry controls 0x%llx set entry to SMM or deactivate dual-monitor treatment outside SMM",
			    (unsigned long long)ENTRYC);
	return NS_PASS;
}

/* ---- host state ---- */

static enum ns_verdict fixed(uint64_t v, uint64_t f0, uint64_t f1, const char *what, WHY)
{
	if ((v & f0) != f0)
		return fail(why, n, "%s 0x%llx lacks bits 0x%llx FIXED0 requires", what, (unsigned long long)v,
			    (unsigned long long)(f0 & ~v));
	if (v & ~f1)
		return fail(why, n, "%s 0x%llx sets bits 0x%llx FIXED1 forbids", what, (unsigned long long)v,
			    (unsigned long long)(v & ~f1));
	return NS_PASS;
}

CK(host_cr0) { return fixed(V(c, 0x6c00), cap(c, 0x486), cap(c, 0x487), "host CR0", why, n); }
CK(host_cr4) { return fixed(V(c, 0x6c04), cap(c, 0x488), cap(c, 0x489), "host CR4", why, n); }
CK(host_cr3) { return fits(c, V(c, 0x6c02)) ? NS_PASS : fail(why, n, "host CR3 0x%llx exceeds the physical-address width", (unsigned long long)V(c, 0x6c02)); }

CK(host_sysenter)
{
	if (!canonical(V(c, 0x6c10)) || !canonical(V(c, 0x6c12)))
		return fail(why, n, "host SYSENTER ESP 0x%llx / EIP 0x%llx not canonical", (unsigned long long)V(c, 0x6c10),
			    (unsigned long long)V(c, 0x6c12));
	return NS_PASS;
}

static enum ns_verdict pat(uint64_t p, const char *what, WHY)
{
	for (int i = 0; i < 8; i++) {
		unsigned t = (p >> (8 * i)) & 0xff;
		if (!(t == 0 || t == 1 || t == 4 || t == 5 || t == 6 || t == 7))
			return fail(why, n, "%s 0x%llx: entry %d is memory type %u, not 0, 1, 4, 5, 6 or 7", what,
				    (unsigned long long)p, i, t);
	}
	return NS_PASS;
}

CK(host_pat) { return EXITC & (1u << 19) ? pat(V(c, 0x2c00), "host IA32_PAT", why, n) : NS_NA; }

#define EFER_RESERVED (~0xd01ull) /* SCE, LME, LMA, NXE */

/* The bits of IA32_S_CET that are reserved (9:6), and SUPPRESS (10) with TRACKER (11). */
static bool s_cet_ok(uint64_t v)
{
	return !(v & 0x3c0) && (v & 0xc00) != 0xc00 && canonical(v & ~0xfffull);
}

/* CET state loaded on entry or exit: S_CET, the interrupt SSP table address, SSP. */
static enum ns_verdict cet_state(const struct chk *c, uint32_t s_cet, uint32_t ssp, uint32_t tbl, bool mode64,
				 const char *who, WHY)
{
	uint64_t sc = V(c, s_cet), sp = V(c, ssp), t = V(c, tbl);

	if (!c->have[KEY(s_cet)]) {
		snprintf(why, n, "this layout has no CET state fields");
		return NS_NA;
	}
	if (!s_cet_ok(sc))
		return fail(why, n, "%s IA32_S_CET 0x%llx: reserved bits 9:6, SUPPRESS with TRACKER, or a non-canonical base", who,
			    (unsigned long long)sc);
	if (!canonical(t))
		return fail(why, n, "%s IA32_INTERRUPT_SSP_TABLE_ADDR 0x%llx is not canonical", who, (unsigned long long)t);
	if (sp & 3)
		return fail(why, n, "%s SSP 0x%llx has bits 1:0 set", who, (unsigned long long)sp);
	if (mode64 ? !canonical(sp) : (sp >> 32) != 0)
		return fail(why, n, "%s SSP 0x%llx is %s", who, (unsigned long long)sp,
			    mode64 ? "not canonical" : "wider than 32 bits outside 64-bit mode");
	return NS_PASS;
}

/* IA32_PKRS loaded on entry or exit: bits 63:32 are reserved. */
static enum ns_verdict pkrs(const struct chk *c, uint32_t enc, const char *who, WHY)
{
	if (!c->have[KEY(enc)]) {
		snprintf(why, n, "this layout has no IA32_PKRS field");
		return NS_NA;
	}
	return V(c, enc) >> 32 ? fail(why, n, "%s IA32_PKRS 0x%llx sets bits 63:32", who, (unsigned long long)V(c, enc)) : NS_PASS;
}

/* IA32_PERF_GLOBAL_CTRL loaded on entry or exit: its reserved bits depend on
 * L1's PMU (CPUID leaf 0AH), so the mask comes with the capabilities. */
static enum ns_verdict perf_global_ctrl(const struct chk *c, uint32_t enc, const char *who, WHY)
{
	if (!c->caps->have_perf_global_ctrl_reserved) {
		snprintf(why, n, "needs L1's IA32_PERF_GLOBAL_CTRL reserved mask (caps line perf_global_ctrl_reserved)");
		return NS_NA;
	}
	if (V(c, enc) & c->caps->perf_global_ctrl_reserved)
		return fail(why, n, "%s IA32_PERF_GLOBAL_CTRL 0x%llx sets reserved bits 0x%llx", who, (unsigned long long)V(c, enc),
			    (unsigned long long)(V(c, enc) & c->caps->perf_global_ctrl_reserved));
	return NS_PASS;
}

CK(host_perf_global_ctrl) { return EXITC & (1u << 12) ? perf_global_ctrl(c, 0x2c04, "host", why, n) : NS_NA; }
CK(host_pkrs) { return EXITC & (1u << 29) ? pkrs(c, 0x2c06, "host", why, n) : NS_NA; }
CK(host_cet) { return EXITC & (1u << 28) ? cet_state(c, 0x6c18, 0x6c1a, 0x6c1c, EXITC & (1u << 9), "host", why, n) : NS_NA; }

CK(host_efer)
{
	uint64_t e = V(c, 0x2c02);
	bool as = EXITC & (1u << 9);

	if (!(EXITC & (1u << 21)))
		return NS_NA;
	if (e & EFER_RESERVED & ~0xf000ull) /* SVME, LMSLE, FFXSR, TCE exist on other CPUs: leave them */
		return fail(why, n, "host EFER 0x%llx sets reserved bits", (unsigned long long)e);
	if (!!(e & (1u << 10)) != as || !!(e & (1u << 8)) != as)
		return fail(why, n, "host EFER 0x%llx: LMA and LME must both be %d (host address-space size)",
			    (unsigned long long)e, as);
	return NS_PASS;
}

CK(host_sel_rpl_ti)
{
	static const uint16_t sel[] = { 0x0c00, 0x0c02, 0x0c04, 0x0c06, 0x0c08, 0x0c0a, 0x0c0c };

	for (size_t i = 0; i < sizeof(sel) / sizeof(sel[0]); i++)
		if (V(c, sel[i]) & 7)
			return fail(why, n, "%s 0x%llx has RPL or TI set", ns_field_at((size_t)cat_index(sel[i]))->name,
				    (unsigned long long)V(c, sel[i]));
	return NS_PASS;
}

CK(host_cs_tr)
{
	if (!V(c, 0x0c02) || !V(c, 0x0c0c))
		return fail(why, n, "host CS 0x%llx or TR 0x%llx selector is 0", (unsigned long long)V(c, 0x0c02),
			    (unsigned long long)V(c, 0x0c0c));
	return NS_PASS;
}

CK(host_ss)
{
	if (EXITC & (1u << 9))
		return NS_NA;
	return V(c, 0x0c04) ? NS_PASS : fail(why, n, "host SS selector 0 with host address-space size 0");
}

CK(host_bases)
{
	static const uint16_t b[] = { 0x6c06, 0x6c08, 0x6c0c, 0x6c0e, 0x6c0a };

	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++)
		if (!canonical(V(c, b[i])))
			return fail(why, n, "%s 0x%llx is not canonical", ns_field_at((size_t)cat_index(b[i]))->name,
				    (unsigned long long)V(c, b[i]));
	return NS_PASS;
}

CK(host_as_64)
{
	if (!(EXITC & (1u << 9)))
		return NS_NA;
	if (!(V(c, 0x6c04) & (1u << 5)))
		return fail(why, n, "host address-space size 1 with host CR4.PAE 0");
	if (!canonical(V(c, 0x6c16)))
		return fail(why, n, "host RIP 0x%llx is not canonical", (unsigned long long)V(c, 0x6c16));
	return NS_PASS;
}

CK(host_as_32)
{
	if (EXITC & (1u << 9))
		return NS_NA;
	if (IA32E)
		return fail(why, n, "IA-32e mode guest with host address-space size 0");
	if (V(c, 0x6c04) & (1u << 17))
		return fail(why, n, "host CR4.PCIDE with host address-space size 0");
	if (V(c, 0x6c16) >> 32)
		return fail(why, n, "host RIP 0x%llx has bits 63:32 set", (unsigned long long)V(c, 0x6c16));
	return NS_PASS;
}

/* ---- guest control registers and MSRs ---- */

CK(guest_cr0)
{
	uint64_t f0 = cap(c, 0x486);

	if (UNRESTRICTED)
		f0 &= ~((1ull << 31) | 1ull); /* unrestricted guest: PG and PE are L1's choice */
	return fixed(V(c, 0x6800), f0, cap(c, 0x487), "guest CR0", why, n);
}

CK(guest_cr0_pg_pe)
{
	uint64_t cr0 = V(c, 0x6800);
	return (cr0 >> 31) & 1 && !(cr0 & 1) ? fail(why, n, "guest CR0 0x%llx: PG without PE", (unsigned long long)cr0) : NS_PASS;
}

CK(guest_cr4) { return fixed(V(c, 0x6804), cap(c, 0x488), cap(c, 0x489), "guest CR4", why, n); }

CK(guest_ia32e)
{
	uint64_t cr0 = V(c, 0x6800), cr4 = V(c, 0x6804);

	if (IA32E && (!(cr0 >> 31 & 1) || !(cr4 & (1u << 5))))
		return fail(why, n, "IA-32e mode guest with CR0 0x%llx / CR4 0x%llx: PG and PAE must be 1",
			    (unsigned long long)cr0, (unsigned long long)cr4);
	if (!IA32E && (cr4 & (1u << 17)))
		return fail(why, n, "CR4.PCIDE 1 without IA-32e mode guest");
	return NS_PASS;
}

CK(guest_cr3) { return fits(c, V(c, 0x6802)) ? NS_PASS : fail(why, n, "guest CR3 0x%llx exceeds the physical-address width", (unsigned long long)V(c, 0x6802)); }

CK(guest_dr7)
{
	if (!(ENTRYC & (1u << 2)))
		return NS_NA;
	return V(c, 0x681a) >> 32 ? fail(why, n, "guest DR7 0x%llx has bits 63:32 set", (unsigned long long)V(c, 0x681a)) : NS_PASS;
}

CK(guest_sysenter)
{
	if (!canonical(V(c, 0x6824)) || !canonical(V(c, 0x6826)))
		return fail(why, n, "guest SYSENTER ESP 0x%llx / EIP 0x%llx not canonical", (unsigned long long)V(c, 0x6824),
			    (unsigned long long)V(c, 0x6826));
	return NS_PASS;
}

CK(guest_pat) { return ENTRYC & (1u << 14) ? pat(V(c, 0x2804), "guest IA32_PAT", why, n) : NS_NA; }

CK(guest_efer)
{
	uint64_t e = V(c, 0x2806);
	bool lma = e & (1u << 10);

	if (!(ENTRYC & (1u << 15)))
		return NS_NA;
	if (e & EFER_RESERVED & ~0xf000ull)
		return fail(why, n, "guest EFER 0x%llx sets reserved bits", (unsigned long long)e);
	if (lma != !!IA32E)
		return fail(why, n, "guest EFER.LMA %d differs from IA-32e mode guest %d", lma, !!IA32E);
	if ((V(c, 0x6800) >> 31 & 1) && lma != !!(e & (1u << 8)))
		return fail(why, n, "guest EFER 0x%llx: with CR0.PG, LME must equal LMA", (unsigned long long)e);
	return NS_PASS;
}

CK(guest_perf_global_ctrl) { return ENTRYC & (1u << 13) ? perf_global_ctrl(c, 0x2808, "guest", why, n) : NS_NA; }
CK(guest_pkrs) { return ENTRYC & (1u << 22) ? pkrs(c, 0x2818, "guest", why, n) : NS_NA; }

CK(guest_bndcfgs)
{
	uint64_t b = V(c, 0x2812);

	if (!(ENTRYC & (1u << 16)))
		return NS_NA;
	if ((b & 0xffcull) || !canonical(b & ~0xfffull))
		return fail(why, n, "guest IA32_BNDCFGS 0x%llx: reserved bits or a non-canonical base", (unsigned long long)b);
	return NS_PASS;
}

/* ---- guest segments ---- */

enum { ES, CS, SS, DS, FS, GS, LDTR, TR };
static const char *const seg_name[] = { "ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR" };
#define AR(s) V(c, 0x4814 + 2 * (s))
#define SEL(s) V(c, 0x0800 + 2 * (s))
#define LIMIT(s) V(c, 0x4800 + 2 * (s))
#define BASE(s) V(c, 0x6806 + 2 * (s))
#define USABLE(s) (!(AR(s) & (1u << 16)))
#define TYPE(s) (AR(s) & 0xf)
#define DPL(s) ((AR(s) >> 5) & 3)
#define V86 (V(c, 0x6820) & (1u << 17))

CK(seg_tr_ti) { return SEL(TR) & 4 ? fail(why, n, "TR selector 0x%llx has TI set", (unsigned long long)SEL(TR)) : NS_PASS; }

CK(seg_ldtr_ti)
{
	if (!USABLE(LDTR))
		return NS_NA;
	return SEL(LDTR) & 4 ? fail(why, n, "LDTR selector 0x%llx has TI set", (unsigned long long)SEL(LDTR)) : NS_PASS;
}

CK(seg_ss_rpl)
{
	if (UNRESTRICTED || V86)
		return NS_NA;
	if ((SEL(SS) & 3) != (SEL(CS) & 3))
		return fail(why, n, "SS RPL %llu differs from CS RPL %llu", (unsigned long long)(SEL(SS) & 3),
			    (unsigned long long)(SEL(CS) & 3));
	return NS_PASS;
}

CK(seg_cs_type)
{
	unsigned t = (unsigned)TYPE(CS);

	if (V86)
		return NS_NA;
	if (t == 9 || t == 11 || t == 13 || t == 15 || (UNRESTRICTED && t == 3))
		return NS_PASS;
	return fail(why, n, "CS access rights 0x%llx: type %u is not accessed code", (unsigned long long)AR(CS), t);
}

CK(seg_ss_type)
{
	if (V86 || !USABLE(SS))
		return NS_NA;
	return TYPE(SS) == 3 || TYPE(SS) == 7 ? NS_PASS
	       : fail(why, n, "SS access rights 0x%llx: type %llu is not read/write accessed data",
		      (unsigned long long)AR(SS), (unsigned long long)TYPE(SS));
}

CK(seg_data_type)
{
	static const int segs[] = { DS, ES, FS, GS };

	if (V86)
		return NS_NA;
	for (size_t i = 0; i < 4; i++) {
		int s = segs[i];
		if (!USABLE(s))
			continue;
		if (!(TYPE(s) & 1) || ((TYPE(s) & 8) && !(TYPE(s) & 2)))
			return fail(why, n, "%s access rights 0x%llx: type %llu is not accessed, or is unreadable code",
				    seg_name[s], (unsigned long long)AR(s), (unsigned long long)TYPE(s));
	}
	return NS_PASS;
}

static enum ns_verdict each_code_data(const struct chk *c, uint64_t bit, const char *what, WHY)
{
	static const int segs[] = { CS, SS, DS, ES, FS, GS };

	if (V86)
		return NS_NA;
	for (size_t i = 0; i < 6; i++) {
		int s = segs[i];
		if (s != CS && !USABLE(s))
			continue;
		if (!(AR(s) & bit))
			return fail(why, n, "%s access rights 0x%llx: %s is 0", seg_name[s], (unsigned long long)AR(s), what);
	}
	return NS_PASS;
}

CK(seg_s) { return each_code_data(c, 1u << 4, "S", why, n); }
CK(seg_present) { return each_code_data(c, 1u << 7, "P", why, n); }

/* Virtual-8086 mode: each of CS, SS, DS, ES, FS, GS is a real-mode style
 * segment whose base is selector * 16, limit FFFFH, access rights F3H. */
static enum ns_verdict v86_each(const struct chk *c, int what, WHY)
{
	if (!V86)
		return NS_NA;
	for (int s = ES; s <= GS; s++) {
		if (what == 0 && BASE(s) != SEL(s) << 4)
			return fail(why, n, "%s base 0x%llx is not selector 0x%llx * 16 in virtual-8086 mode", seg_name[s],
				    (unsigned long long)BASE(s), (unsigned long long)SEL(s));
		if (what == 1 && LIMIT(s) != 0xffff)
			return fail(why, n, "%s limit 0x%llx is not FFFFH in virtual-8086 mode", seg_name[s], (unsigned long long)LIMIT(s));
		if (what == 2 && AR(s) != 0xf3)
			return fail(why, n, "%s access rights 0x%llx are not F3H in virtual-8086 mode", seg_name[s], (unsigned long long)AR(s));
	}
	return NS_PASS;
}

CK(seg_v86_base) { return v86_each(c, 0, why, n); }
CK(seg_v86_limit) { return v86_each(c, 1, why, n); }
CK(seg_v86_ar) { return v86_each(c, 2, why, n); }

CK(seg_ss_dpl)
{
	if (V86)
		return NS_NA;
	if (!UNRESTRICTED && DPL(SS) != (SEL(SS) & 3))
		return fail(why, n, "SS DPL %llu differs from its RPL %llu", (unsigned long long)DPL(SS), (unsigned long long)(SEL(SS) & 3));
	if (DPL(SS) && (TYPE(CS) == 3 || !(V(c, 0x6800) & 1)))
		return fail(why, n, "SS DPL %llu with %s", (unsigned long long)DPL(SS), TYPE(CS) == 3 ? "CS type 3" : "CR0.PE 0");
	return NS_PASS;
}

CK(seg_data_dpl)
{
	static const int segs[] = { DS, ES, FS, GS };

	if (V86 || UNRESTRICTED)
		return NS_NA;
	for (size_t i = 0; i < 4; i++) {
		int s = segs[i];
		if (USABLE(s) && TYPE(s) <= 11 && DPL(s) < (SEL(s) & 3))
			return fail(why, n, "%s DPL %llu is below its RPL %llu", seg_name[s], (unsigned long long)DPL(s),
				    (unsigned long long)(SEL(s) & 3));
	}
	return NS_PASS;
}

CK(seg_reserved)
{
	for (int s = ES; s <= TR; s++) {
		if (s != CS && s != TR && !USABLE(s))
			continue;
		if (AR(s) & 0xfffe0f00ull)
			return fail(why, n, "%s access rights 0x%llx set reserved bits 0x%llx", seg_name[s],
				    (unsigned long long)AR(s), (unsigned long long)(AR(s) & 0xfffe0f00ull));
	}
	return NS_PASS;
}

CK(seg_granularity)
{
	for (int s = ES; s <= TR; s++) {
		uint64_t lim = LIMIT(s);
		bool g = AR(s) & (1u << 15);

		if (s != CS && s != TR && !USABLE(s))
			continue;
		if ((lim & 0xfff) != 0xfff && g)
			return fail(why, n, "%s limit 0x%llx has bits 11:0 not all 1, yet G = 1", seg_name[s], (unsigned long long)lim);
		if ((lim & 0xfff00000) && !g)
			return fail(why, n, "%s limit 0x%llx has bits 31:20 set, yet G = 0", seg_name[s], (unsigned long long)lim);
	}
	return NS_PASS;
}

CK(seg_cs_l_db)
{
	if (!IA32E || !(AR(CS) & (1u << 13)))
		return NS_NA;
	return AR(CS) & (1u << 14) ? fail(why, n, "CS access rights 0x%llx: L and D/B both set", (unsigned long long)AR(CS))
				   : NS_PASS;
}

CK(seg_cs_dpl)
{
	if (V86)
		return NS_NA;
	if (TYPE(CS) == 3 && DPL(CS))
		return fail(why, n, "CS (data, type 3) DPL %llu is not 0", (unsigned long long)DPL(CS));
	if ((TYPE(CS) == 9 || TYPE(CS) == 11) && DPL(CS) != DPL(SS))
		return fail(why, n, "CS (non-conforming) DPL %llu differs from SS DPL %llu", (unsigned long long)DPL(CS),
			    (unsigned long long)DPL(SS));
	if ((TYPE(CS) == 13 || TYPE(CS) == 15) && DPL(CS) > DPL(SS))
		return fail(why, n, "CS (conforming) DPL %llu exceeds SS DPL %llu", (unsigned long long)DPL(CS),
			    (unsigned long long)DPL(SS));
	return NS_PASS;
}

CK(seg_tr_type)
{
	uint64_t ar = AR(TR);
	unsigned t = (unsigned)(ar & 0xf);

	if (!USABLE(TR) || (ar & (1u << 4)) || !(ar & (1u << 7)))
		return fail(why, n, "TR access rights 0x%llx: TR must be usable, a system segment, present", (unsigned long long)ar);
	if (IA32E ? t != 11 : !(t == 3 || t == 11))
		return fail(why, n, "TR access rights 0x%llx: type %u is not a busy TSS%s", (unsigned long long)ar, t,
			    IA32E ? " (64-bit: 11)" : "");
	return NS_PASS;
}

CK(seg_ldtr_type)
{
	uint64_t ar = AR(LDTR);

	if (!USABLE(LDTR))
		return NS_NA;
	if ((ar & 0xf) != 2 || (ar & (1u << 4)) || !(ar & (1u << 7)))
		return fail(why, n, "LDTR access rights 0x%llx: not a present system segment of type 2", (unsigned long long)ar);
	return NS_PASS;
}

CK(seg_bases)
{
	if (!canonical(BASE(TR)) || !canonical(BASE(FS)) || !canonical(BASE(GS)))
		return fail(why, n, "TR, FS or GS base not canonical (0x%llx, 0x%llx, 0x%llx)", (unsigned long long)BASE(TR),
			    (unsigned long long)BASE(FS), (unsigned long long)BASE(GS));
	if (USABLE(LDTR) && !canonical(BASE(LDTR)))
		return fail(why, n, "LDTR base 0x%llx not canonical", (unsigned long long)BASE(LDTR));
	if (BASE(CS) >> 32)
		return fail(why, n, "CS base 0x%llx has bits 63:32 set", (unsigned long long)BASE(CS));
	for (int s = ES; s <= DS; s++)
		if (s != CS && USABLE(s) && BASE(s) >> 32)
			return fail(why, n, "%s base 0x%llx has bits 63:32 set", seg_name[s], (unsigned long long)BASE(s));
	return NS_PASS;
}

CK(dt_bases)
{
	if (!canonical(V(c, 0x6816)) || !canonical(V(c, 0x6818)))
		return fail(why, n, "GDTR base 0x%llx / IDTR base 0x%llx not canonical", (unsigned long long)V(c, 0x6816),
			    (unsigned long long)V(c, 0x6818));
	return NS_PASS;
}

CK(dt_limits)
{
	if ((V(c, 0x4810) | V(c, 0x4812)) & 0xffff0000ull)
		return fail(why, n, "GDTR limit 0x%llx / IDTR limit 0x%llx have bits 31:16 set", (unsigned long long)V(c, 0x4810),
			    (unsigned long long)V(c, 0x4812));
	return NS_PASS;
}

/* ---- RIP, RFLAGS ---- */

CK(guest_rip)
{
	uint64_t rip = V(c, 0x681e);
	bool mode64 = IA32E && (AR(CS) & (1u << 13));

	if (!mode64 && rip >> 32)
		return fail(why, n, "RIP 0x%llx has bits 63:32 set outside 64-bit mode", (unsigned long long)rip);
	if (mode64 && !canonical(rip))
		return fail(why, n, "RIP 0x%llx is not canonical", (unsigned long long)rip);
	return NS_PASS;
}

CK(guest_cet)
{
	if (!(ENTRYC & (1u << 20)))
		return NS_NA;
	return cet_state(c, 0x6828, 0x682a, 0x682c, IA32E && (AR(CS) & (1u << 13)), "guest", why, n);
}

CK(rflags_reserved)
{
	uint64_t f = V(c, 0x6820);

	if ((f & (~0x3fffffull | (1u << 15) | (1u << 5) | (1u << 3))) || !(f & 2))
		return fail(why, n, "RFLAGS 0x%llx: reserved bits set or bit 1 clear", (unsigned long long)f);
	return NS_PASS;
}

CK(rflags_vm)
{
	if (!(IA32E || !(V(c, 0x6800) & 1)))
		return NS_NA;
	return V86 ? fail(why, n, "RFLAGS.VM with IA-32e mode guest or CR0.PE 0") : NS_PASS;
}

CK(rflags_if)
{
	if (!EVENT_VALID || EVENT_TYPE != 0)
		return NS_NA;
	return V(c, 0x6820) & (1u << 9) ? NS_PASS : fail(why, n, "injecting an external interrupt with RFLAGS.IF 0");
}

/* ---- non-register state ---- */

CK(activity)
{
	uint64_t a = V(c, 0x4826);

	if (a == 0)
		return NS_PASS;
	if (a > 3 || !((cap(c, 0x485) >> (5 + a)) & 1))
		return fail(why, n, "activity state %llu is not one IA32_VMX_MISC (0x%llx) supports", (unsigned long long)a,
			    (unsigned long long)cap(c, 0x485));
	return NS_PASS;
}

CK(activity_hlt)
{
	if (V(c, 0x4826) != 1)
		return NS_NA;
	return DPL(SS) ? fail(why, n, "HLT state with SS DPL %llu", (unsigned long long)DPL(SS)) : NS_PASS;
}

#define INTR V(c, 0x4824)

CK(activity_blocking)
{
	if (!(INTR & 3))
		return NS_NA;
	return V(c, 0x4826) ? fail(why, n, "activity state %llu with blocking by STI or MOV SS (0x%llx)",
				   (unsigned long long)V(c, 0x4826), (unsigned long long)INTR)
			    : NS_PASS;
}

CK(activity_injection)
{
	uint64_t a = V(c, 0x4826);

	if (!EVENT_VALID || (a != 2 && a != 3))
		return NS_NA;
	if (a == 3)
		return fail(why, n, "injecting event 0x%llx in the wait-for-SIPI state", (unsigned long long)EVENT);
	if (!(EVENT_TYPE == 2 || (EVENT_TYPE == 3 && EVENT_VECTOR == 18)))
		return fail(why, n, "injecting event 0x%llx in the shutdown state (only NMI or #MC)", (unsigned long long)EVENT);
	return NS_PASS;
}

CK(int_smi) { return INTR & 4 ? fail(why, n, "blocking by SMI outside SMM") : NS_PASS; }

CK(int_reserved) { return INTR & ~0x1full ? fail(why, n, "interruptibility state 0x%llx sets bits 31:5", (unsigned long long)INTR) : NS_PASS; }
CK(int_sti_movss) { return (INTR & 3) == 3 ? fail(why, n, "blocking by STI and by MOV SS both set") : NS_PASS; }

CK(int_sti_if)
{
	if (!(INTR & 1))
		return NS_NA;
	return V(c, 0x6820) & (1u << 9) ? NS_PASS : fail(why, n, "blocking by STI with RFLAGS.IF 0");
}

CK(int_injection)
{
	if (!EVENT_VALID || !(EVENT_TYPE == 0 || EVENT_TYPE == 2))
		return NS_NA;
	if (EVENT_TYPE == 0 && (INTR & 3))
		return fail(why, n, "injecting an external interrupt under blocking by STI or MOV SS (0x%llx)", (unsigned long long)INTR);
	if (EVENT_TYPE == 2 && (INTR & 2))
		return fail(why, n, "injecting an NMI under blocking by MOV SS");
	return NS_PASS;
}

#define PDBG V(c, 0x6822)

CK(pending_dbg)
{
	if (PDBG & ~0x1500full)
		return fail(why, n, "pending debug exceptions 0x%llx set reserved bits", (unsigned long long)PDBG);
	return NS_PASS;
}

CK(pending_bs)
{
	bool tf = V(c, 0x6820) & (1u << 8), btf = V(c, 0x2802) & 2, bs = PDBG & (1u << 14);

	if (!((INTR & 3) || V(c, 0x4826) == 1))
		return NS_NA;
	if (tf && !btf && !bs)
		return fail(why, n, "RFLAGS.TF 1 and DEBUGCTL.BTF 0 under blocking or HLT, yet BS is 0");
	if ((!tf || btf) && bs)
		return fail(why, n, "BS is 1 without single-stepping (TF 0 or BTF 1) under blocking or HLT");
	return NS_PASS;
}

/* ---- PDPTEs ---- */

/* PAE paging: CR0.PG, CR4.PAE, not IA-32e mode guest. */
#define PAE_PAGING ((V(c, 0x6800) & (1ull << 31)) && (V(c, 0x6804) & (1u << 5)) && !IA32E)

/* A present PDPTE has bits 2:1 and 8:5 clear and no bit beyond the physical-address width. */
static enum ns_verdict pdptes(const struct chk *c, const uint64_t e[4], const char *where, WHY)
{
	for (int i = 0; i < 4; i++)
		if ((e[i] & 1) && ((e[i] & 0x1e6) || !fits(c, e[i] & ~0xfffull)))
			return fail(why, n, "PDPTE%d 0x%llx (%s) sets reserved bits", i, (unsigned long long)e[i], where);
	return NS_PASS;
}

CK(pdpte_fields)
{
	uint64_t e[4];

	if (!PAE_PAGING || !(PROC2 & (1u << 1)))
		return NS_NA;
	for (int i = 0; i < 4; i++)
		e[i] = V(c, 0x280a + 2 * (uint32_t)i);
	return pdptes(c, e, "the VMCS's PDPTE field", why, n);
}

CK(pdpte_memory)
{
	uint64_t e[4], table = V(c, 0x6802) & 0xffffffe0ull;

	if (!PAE_PAGING || (PROC2 & (1u << 1)))
		return NS_NA;
	for (int i = 0; i < 4; i++) {
		e[i] = 0;
		for (int b = 7; b >= 0; b--) {
			int x = mem_byte(c, table + 8 * (uint64_t)i + (uint64_t)b);
			if (x < 0) {
				snprintf(why, n, "needs the PDPT at guest CR3 (give L1's memory)");
				return NS_NA;
			}
			e[i] = e[i] << 8 | (uint64_t)x;
		}
	}
	return pdptes(c, e, "in L1's memory at CR3", why, n);
}

CK(link_region)
{
	uint64_t l = V(c, 0x2800);
	int b[4];
	uint32_t rev;
	bool shadow_ctl = PROC2 & (1u << 14);

	if (l == ~0ull || (l & 0xfff))
		return NS_NA;
	for (int i = 0; i < 4; i++)
		b[i] = mem_byte(c, l + (uint64_t)i);
	if (b[0] < 0 || b[3] < 0) {
		snprintf(why, n, "needs the region at the link pointer (give L1's memory)");
		return NS_NA;
	}
	rev = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	if ((rev & 0x7fffffff) != (uint32_t)(cap(c, 0x480) & 0x7fffffff))
		return fail(why, n, "the region at link pointer 0x%llx has revision 0x%x, not 0x%x", (unsigned long long)l,
			    rev & 0x7fffffff, (uint32_t)(cap(c, 0x480) & 0x7fffffff));
	if ((rev >> 31) != shadow_ctl)
		return fail(why, n, "the region at link pointer 0x%llx has shadow-VMCS indicator %u; VMCS shadowing is %d",
			    (unsigned long long)l, rev >> 31, shadow_ctl);
	return NS_PASS;
}

CK(link_pointer)
{
	uint64_t l = V(c, 0x2800);

	if (l == ~0ull)
		return NS_NA;
	return page_addr(c, l, "VMCS link pointer", why, n);
}

/* ---- the table ---- */

#define BASIC "Basic VM-Entry Checks"
#define EXEC "Checks on VMX Controls: VM-Execution Control Fields"
#define EXIT "Checks on VMX Controls: VM-Exit Control Fields"
#define ENTRY "Checks on VMX Controls: VM-Entry Control Fields"
#define HOST_CR "Checks on Host Control Registers, MSRs, and SSP"
#define HOST_SEG "Checks on Host Segment and Descriptor-Table Registers"
#define HOST_AS "Checks Related to Address-Space Size"
#define GUEST_CR "Checks on Guest Control Registers, Debug Registers, and MSRs"
#define GUEST_SEG "Checks on Guest Segment Registers"
#define GUEST_DT "Checks on Guest Descriptor-Table Registers"
#define GUEST_RIP "Checks on Guest RIP, RFLAGS, and SSP"
#define GUEST_NR "Checks on Guest Non-Register State"
#define GUEST_PDPTE "Checks on Guest Page-Directory-Pointer-Table Entries"

static const struct ns_rule rules[] = {
#define CHECK(fn, id, sec, text, fields) { id, sec, text, fields },
#include "checks.def"
#undef CHECK
};

typedef enum ns_verdict (*check_fn)(const struct chk *, char *, size_t);

static const check_fn fns[] = {
#define CHECK(fn, id, sec, text, fields) chk_##fn,
#include "checks.def"
#undef CHECK
};

size_t ns_rule_count(void) { return sizeof(rules) / sizeof(rules[0]); }
const struct ns_rule *ns_rule_at(size_t i) { return i < ns_rule_count() ? &rules[i] : NULL; }

void ns_check_vmcs12(const struct ns_vmcs *v, const struct ns_vmx_caps *caps, const struct ns_guest_memory *mem,
		     struct ns_check_report *out)
{
	ns_check_vmcs12_entry(v, caps, mem, NS_ENTRY_UNKNOWN, out);
}

void ns_check_vmcs12_entry(const struct ns_vmcs *v, const struct ns_vmx_caps *caps, const struct ns_guest_memory *mem,
			   enum ns_entry_insn insn, struct ns_check_report *out)
{
	static const struct ns_vmx_caps none = { .maxphyaddr = 64 };
	struct chk c;

	memset(&c, 0, sizeof(c));
	c.mem = mem;
	c.insn = insn;
	c.vmcs = v;
	out->n = out->pass = out->fail = out->na = 0;
	c.caps = caps ? caps : &none;
	out->caps_source = caps ? caps->source : "none";
	out->caps = caps;
	/* one pass over the layout's slots: each field's value, by key */
	for (size_t k = 0; k < v->layout->nslots; k++) {
		const struct ns_slot *s = &v->layout->slots[k];

		if (s->encoding == NS_NOENC || (s->encoding & 1) || ((s->encoding >> 1) & 0x1ff) >= 64)
			continue;
		c.have[KEY(s->encoding)] = ns_vmcs_read_slot(v, s, &c.val[KEY(s->encoding)]);
	}
	for (size_t i = 0; i < ns_rule_count() && i < NS_MAX_RULES; i++) {
		struct ns_check_result *r = &out->r[out->n++];

		r->rule = &rules[i];
		r->detail[0] = '\0';
		r->verdict = fns[i](&c, r->detail, sizeof(r->detail));
		out->pass += r->verdict == NS_PASS;
		out->fail += r->verdict == NS_FAIL;
		out->na += r->verdict == NS_NA;
	}
}

/* ---- capabilities ---- */

/* What KVM 6.1 (Debian 6.1.0-56) offered L1 inside Bochs 2.7's corei7_skylake_x, as
 * the sample harness read them (samples/<kernel>/manifest.json, capability_msrs). */
static const uint64_t kvm61_bochs[NS_CAP_MSRS] = {
	0x00d8100011e57ed0ull, 0x0000007f00000016ull, 0xf7f9fffe0401e172ull, 0x007fffff00036dffull,
	0x0000f3ff000011ffull, 0x0000000020000165ull, 0x0000000080000021ull, 0x00000000ffffffffull,
	0x0000000000002000ull, 0x0000000000332fffull, 0x0000000000000032ull, 0x02037bff00000000ull,
	0x00000f0106334041ull, 0x0000007f00000016ull, 0xf7f9fffe04006172ull, 0x007fffff00036dfbull,
	0x0000f3ff000011fbull, 0x0000000000000001ull, 0,
};

bool ns_caps_profile(const char *name, struct ns_vmx_caps *caps)
{
	if (strcmp(name, "kvm-6.1-bochs-skylake-x"))
		return false;
	memset(caps, 0, sizeof(*caps));
	for (int i = 0; i < NS_CAP_MSRS; i++) {
		caps->msr[i] = kvm61_bochs[i];
		caps->have[i] = i != 18;
	}
	caps->maxphyaddr = 40; /* Bochs's default physical-address width */
	snprintf(caps->source, sizeof(caps->source), "built-in profile kvm-6.1-bochs-skylake-x");
	return true;
}

const char *ns_caps_profile_names(void) { return "kvm-6.1-bochs-skylake-x"; }

int ns_caps_parse(const char *text, size_t len, const char *origin, struct ns_vmx_caps *caps, struct ns_error *err)
{
	static const char *const names[NS_CAP_MSRS] = {
		"IA32_VMX_BASIC", "IA32_VMX_PINBASED_CTLS", "IA32_VMX_PROCBASED_CTLS", "IA32_VMX_EXIT_CTLS",
		"IA32_VMX_ENTRY_CTLS", "IA32_VMX_MISC", "IA32_VMX_CR0_FIXED0", "IA32_VMX_CR0_FIXED1",
		"IA32_VMX_CR4_FIXED0", "IA32_VMX_CR4_FIXED1", "IA32_VMX_VMCS_ENUM", "IA32_VMX_PROCBASED_CTLS2",
		"IA32_VMX_EPT_VPID_CAP", "IA32_VMX_TRUE_PINBASED_CTLS", "IA32_VMX_TRUE_PROCBASED_CTLS",
		"IA32_VMX_TRUE_EXIT_CTLS", "IA32_VMX_TRUE_ENTRY_CTLS", "IA32_VMX_VMFUNC", "IA32_VMX_PROCBASED_CTLS3",
	};
	char line[256], key[64];
	size_t pos = 0;
	unsigned lineno = 0, got = 0;

	memset(caps, 0, sizeof(*caps));
	caps->maxphyaddr = 46;
	while (ns_text_next_line(text, len, &pos, line, sizeof(line))) {
		unsigned long long v;
		char *end;
		int at;

		lineno++;
		if (!line[0] || line[0] == '#')
			continue;
		/* values are unsigned 64-bit: strtoll-based %lli would clamp the top half */
		if (sscanf(line, "%63s %n", key, &at) != 1 || !line[at])
			return ns_fail(err, NS_ERR_FORMAT, "%s:%u: want NAME VALUE", origin, lineno);
		v = strtoull(line + at, &end, 0);
		while (*end == ' ' || *end == '\t')
			end++;
		if (end == line + at || (*end && *end != '#') || line[at] == '-')
			return ns_fail(err, NS_ERR_FORMAT, "%s:%u: want NAME VALUE", origin, lineno);
		if (!strcmp(key, "perf_global_ctrl_reserved")) {
			caps->perf_global_ctrl_reserved = v;
			caps->have_perf_global_ctrl_reserved = true;
			continue;
		}
		if (!strcmp(key, "maxphyaddr")) {
			if (v < 32 || v > 52)
				return ns_fail(err, NS_ERR_FORMAT, "%s:%u: maxphyaddr %llu is not 32..52", origin, lineno, v);
			caps->maxphyaddr = (unsigned)v;
			continue;
		}
		int idx = -1;
		unsigned long msr = strtoul(key, NULL, 0);
		for (int i = 0; i < NS_CAP_MSRS; i++)
			if (!strcmp(key, names[i]) || msr == 0x480u + (unsigned)i)
				idx = i;
		if (idx < 0)
			return ns_fail(err, NS_ERR_FORMAT, "%s:%u: unknown capability MSR %s", origin, lineno, key);
		caps->msr[idx] = v;
		caps->have[idx] = true;
		got++;
	}
	if (!caps->have[0])
		return ns_fail(err, NS_ERR_FORMAT, "%s: no IA32_VMX_BASIC", origin);
	snprintf(caps->source, sizeof(caps->source), "file %s (%u MSRs)", origin, got);
	return NS_OK;
}

/* ---- rendering ---- */

static const char *verdict_name(enum ns_verdict v)
{
	return v == NS_PASS ? "pass" : v == NS_FAIL ? "FAIL" : "n/a";
}

void ns_render_checks_text(struct ns_out *o, const char *what, const struct ns_check_report *r, bool all)
{
	ns_printf(o, "SDM VM-entry checks on %s\ncapabilities: %s\n", what, r->caps_source);
	ns_printf(o, "%u rules: %u pass, %u fail, %u not applicable\n", r->n, r->pass, r->fail, r->na);
	for (unsigned i = 0; i < r->n; i++) {
		const struct ns_check_result *x = &r->r[i];

		if (x->verdict != NS_FAIL && !all)
			continue;
		ns_printf(o, "%-4s %-36s %s\n", verdict_name(x->verdict), x->rule->id,
			  x->verdict == NS_FAIL ? x->detail : x->rule->text);
		if (x->verdict == NS_FAIL)
			ns_printf(o, "     %-36s SDM: \"%s\" (%s)\n", "", x->rule->text, x->rule->section);
	}
}

void ns_render_checks_json(struct ns_out *o, const char *what, const struct ns_check_report *r)
{
	struct json j;

	json_init(&j, o);
	json_obj_begin(&j);
	json_kv_str(&j, "schema", "nestscope/checks/1");
	json_kv_str(&j, "vmcs", what);
	json_kv_str(&j, "capabilities", r->caps_source);
	json_key(&j, "capability_msrs");
	json_arr_begin(&j);
	for (int i = 0; r->caps && i < NS_CAP_MSRS; i++) {
		char msr[8];

		if (!r->caps->have[i])
			continue;
		snprintf(msr, sizeof(msr), "0x%x", 0x480 + i);
		json_obj_begin(&j);
		json_kv_str(&j, "msr", msr);
		json_kv_hex(&j, "value", r->caps->msr[i]);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "maxphyaddr");
	if (r->caps)
		json_uint(&j, r->caps->maxphyaddr);
	else
		json_null(&j);
	json_kv_uint(&j, "pass", r->pass);
	json_kv_uint(&j, "fail", r->fail);
	json_kv_uint(&j, "not_applicable", r->na);
	json_key(&j, "results");
	json_arr_begin(&j);
	for (unsigned i = 0; i < r->n; i++) {
		const struct ns_check_result *x = &r->r[i];

		json_obj_begin(&j);
		json_kv_str(&j, "id", x->rule->id);
		json_kv_str(&j, "verdict", x->verdict == NS_PASS ? "pass" : x->verdict == NS_FAIL ? "fail" : "n/a");
		json_kv_str(&j, "section", x->rule->section);
		json_kv_str(&j, "rule", x->rule->text);
		json_kv_str(&j, "fields", x->rule->fields);
		json_key(&j, "detail");
		if (x->verdict == NS_FAIL)
			json_str(&j, x->detail);
		else
			json_null(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
}
