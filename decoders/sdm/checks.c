/*
 * The SDM's VM-entry checks (rules in checks.def).  Each check reads the
 * pre-loaded field values and returns pass, fail (saying what it found and
 * what the SDM wants) or not applicable.
 *
 * The rules read as KVM's nested.c reads: fields and bits by the names the
 * tables give them (vmx_names.h), controls through nested_cpu_has() and
 * friends, so that a rule can be held against nested_vmx_check_*() and
 * the SDM section its id cites.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/textline.h"
#include "sdm/vmx_names.h"
#include "sdm/cpu_features.h"
#include "sdm/verdict.h"
#include "nestscope/checks.h"
#include "nestscope/svm_checks.h"

/* The caps arrays run from IA32_VMX_BASIC to IA32_VMX_PROCBASED_CTLS3 (checks.h). */
#define CAP_INDEX(msr) ((msr) - MSR_IA32_VMX_BASIC)
_Static_assert(NS_CAP_MSRS == CAP_INDEX(MSR_IA32_VMX_PROCBASED_CTLS3) + 1,
	       "NS_CAP_MSRS is IA32_VMX_BASIC .. IA32_VMX_PROCBASED_CTLS3 of vmx_msrs.def");

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

/* A field of the vmcs12 under judgement: KVM's vmcs12->guest_rip is vmcs12_read(c, GUEST_RIP). */
static inline uint64_t vmcs12_read(const struct chk *c, enum vmcs_field f)
{
	return c->val[KEY(f)];
}

/* Whether the layout has the field at all: KVM's struct vmcs12 lacks some. */
static inline bool vmcs12_has(const struct chk *c, enum vmcs_field f)
{
	return c->have[KEY(f)];
}

/* A capability MSR L1 was offered (vmx_msrs.def). */
static uint64_t cap(const struct chk *c, enum vmx_msr msr)
{
	return c->caps->msr[CAP_INDEX(msr)];
}

static bool have_cap(const struct chk *c, enum vmx_msr msr)
{
	return c->caps->have[CAP_INDEX(msr)];
}

static bool true_ctls(const struct chk *c)
{
	return cap(c, MSR_IA32_VMX_BASIC) & VMX_BASIC_TRUE_CONTROLS;
}

/* The allowed settings of a control word: the TRUE_ MSR where IA32_VMX_BASIC says there is one. */
static uint64_t ctls_cap(const struct chk *c, enum vmx_msr true_msr, enum vmx_msr msr)
{
	return cap(c, true_ctls(c) ? true_msr : msr);
}

/* An allowed-0/allowed-1 capability's high half: the bits that may be 1. */
static uint64_t allowed1(uint64_t cap_msr)
{
	return cap_msr >> 32;
}

/* IA32_VMX_MISC[24:16]: how many CR3-target values the CPU supports. */
static uint64_t misc_cr3_targets(uint64_t misc)
{
	return (misc >> 16) & 0x1ff;
}

/* IA32_VMX_MISC bits 8:6: which activity states other than active the CPU supports. */
static bool misc_activity_supported(uint64_t misc, uint64_t state)
{
	switch (state) {
	case GUEST_ACTIVITY_ACTIVE: return true;
	case GUEST_ACTIVITY_HLT: return misc & VMX_MISC_ACTIVITY_HLT;
	case GUEST_ACTIVITY_SHUTDOWN: return misc & VMX_MISC_ACTIVITY_SHUTDOWN;
	case GUEST_ACTIVITY_WAIT_SIPI: return misc & VMX_MISC_ACTIVITY_WAIT_SIPI;
	default: return false;
	}
}

/* The first dword of a VMCS region, and IA32_VMX_BASIC[31:0]: revision identifier 30:0, shadow-VMCS indicator 31. */
static uint32_t revision_id(uint64_t v)
{
	return (uint32_t)(v & 0x7fffffff);
}

static unsigned shadow_indicator(uint32_t v)
{
	return v >> 31;
}

/* ---- the controls, as KVM's nested.c tests them ---- */

static bool nested_pin_has(const struct chk *c, uint64_t bits)
{
	return vmcs12_read(c, PIN_BASED_VM_EXEC_CONTROL) & bits;
}

static bool nested_cpu_has(const struct chk *c, uint64_t bits)
{
	return vmcs12_read(c, CPU_BASED_VM_EXEC_CONTROL) & bits;
}

/* The secondary controls in force: none unless the primary controls activate them. */
static uint64_t nested_secondary(const struct chk *c)
{
	return nested_cpu_has(c, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) ? vmcs12_read(c, SECONDARY_VM_EXEC_CONTROL) : 0;
}

static bool nested_cpu_has2(const struct chk *c, uint64_t bits)
{
	return nested_secondary(c) & bits;
}

static bool nested_exit_has(const struct chk *c, uint64_t bits)
{
	return vmcs12_read(c, VM_EXIT_CONTROLS) & bits;
}

static bool nested_entry_has(const struct chk *c, uint64_t bits)
{
	return vmcs12_read(c, VM_ENTRY_CONTROLS) & bits;
}

static bool ia32e_guest(const struct chk *c)
{
	return nested_entry_has(c, VM_ENTRY_IA32E_MODE);
}

static bool unrestricted_guest(const struct chk *c)
{
	return nested_cpu_has2(c, SECONDARY_EXEC_UNRESTRICTED_GUEST);
}

static bool fits(const struct chk *c, uint64_t addr)
{
	return c->caps->maxphyaddr >= 64 || !(addr >> c->caps->maxphyaddr);
}

static bool canonical(uint64_t v)
{
	/* 48-bit linear addresses (4-level paging) */
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

/* allowed-0/allowed-1 pair: low half must be 1, high half may be 1 */
static enum ns_verdict allowed(uint64_t value, uint64_t cap_msr, const char *what, char *why, size_t n)
{
	uint32_t must = (uint32_t)cap_msr, may = (uint32_t)allowed1(cap_msr);

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

/* CK(name) defines the check checks.def calls `name`: c holds the vmcs12's values, the caps and L1's memory. */
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
	uint32_t rev, want = revision_id(cap(c, MSR_IA32_VMX_BASIC));

	if (c->vmcs->len < 4)
		return NS_NA;
	rev = (uint32_t)c->vmcs->data[0] | (uint32_t)c->vmcs->data[1] << 8 | (uint32_t)c->vmcs->data[2] << 16 |
	      (uint32_t)c->vmcs->data[3] << 24;
	if (!have_cap(c, MSR_IA32_VMX_BASIC))
		want = revision_id(c->vmcs->layout->revision);
	if (shadow_indicator(rev))
		return fail(why, n, "the region's shadow-VMCS indicator is set: a shadow VMCS cannot be launched or resumed");
	if (rev != want)
		return fail(why, n, "revision identifier 0x%x, IA32_VMX_BASIC[30:0] is 0x%x", rev, want);
	return NS_PASS;
}

CK(launch_state)
{
	uint32_t st;

	if (!header_u32(c, "launch_state", &st)) {
		snprintf(why, n, "needs the launch state, which this layout does not keep");
		return NS_NOT_JUDGED;
	}
	if (c->insn == NS_ENTRY_UNKNOWN) {
		snprintf(why, n, "needs the entry instruction: VMLAUNCH or VMRESUME (check -e)");
		return NS_NOT_JUDGED;
	}
	if (c->insn == NS_ENTRY_VMLAUNCH && st)
		return fail(why, n, "VMLAUNCH with launch state launched (VMfailValid 4)");
	if (c->insn == NS_ENTRY_VMRESUME && !st)
		return fail(why, n, "VMRESUME with launch state clear (VMfailValid 5)");
	return NS_PASS;
}

/* ---- controls ---- */

CK(pin_reserved)
{
	return allowed(vmcs12_read(c, PIN_BASED_VM_EXEC_CONTROL),
		       ctls_cap(c, MSR_IA32_VMX_TRUE_PINBASED_CTLS, MSR_IA32_VMX_PINBASED_CTLS), "pin-based controls", why, n);
}

CK(proc_reserved)
{
	return allowed(vmcs12_read(c, CPU_BASED_VM_EXEC_CONTROL),
		       ctls_cap(c, MSR_IA32_VMX_TRUE_PROCBASED_CTLS, MSR_IA32_VMX_PROCBASED_CTLS), "primary controls", why, n);
}

CK(proc2_reserved)
{
	if (!nested_cpu_has(c, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))
		return NS_NA;
	return allowed(vmcs12_read(c, SECONDARY_VM_EXEC_CONTROL), cap(c, MSR_IA32_VMX_PROCBASED_CTLS2), "secondary controls",
		       why, n);
}

CK(cr3_target_count)
{
	uint64_t max = misc_cr3_targets(cap(c, MSR_IA32_VMX_MISC));

	if (vmcs12_read(c, CR3_TARGET_COUNT) > max)
		return fail(why, n, "CR3-target count %llu exceeds the %llu IA32_VMX_MISC allows",
			    (unsigned long long)vmcs12_read(c, CR3_TARGET_COUNT), (unsigned long long)max);
	return NS_PASS;
}

CK(io_bitmaps)
{
	if (!nested_cpu_has(c, CPU_BASED_USE_IO_BITMAPS))
		return NS_NA;
	if (page_addr(c, vmcs12_read(c, IO_BITMAP_A), "I/O bitmap A", why, n) == NS_FAIL)
		return NS_FAIL;
	return page_addr(c, vmcs12_read(c, IO_BITMAP_B), "I/O bitmap B", why, n);
}

CK(msr_bitmap)
{
	if (!nested_cpu_has(c, CPU_BASED_USE_MSR_BITMAPS))
		return NS_NA;
	return page_addr(c, vmcs12_read(c, MSR_BITMAP), "MSR bitmap", why, n);
}

CK(tpr_shadow_addr)
{
	if (!nested_cpu_has(c, CPU_BASED_TPR_SHADOW))
		return NS_NA;
	return page_addr(c, vmcs12_read(c, VIRTUAL_APIC_PAGE_ADDR), "virtual-APIC address", why, n);
}

CK(tpr_threshold)
{
	if (!nested_cpu_has(c, CPU_BASED_TPR_SHADOW) || nested_cpu_has2(c, SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY))
		return NS_NA;
	if (vmcs12_read(c, TPR_THRESHOLD) & ~0xfull)
		return fail(why, n, "TPR threshold 0x%llx has bits 31:4 set", (unsigned long long)vmcs12_read(c, TPR_THRESHOLD));
	return NS_PASS;
}

CK(no_tpr_shadow)
{
	if (nested_cpu_has(c, CPU_BASED_TPR_SHADOW))
		return NS_NA;
	if (nested_cpu_has2(c, SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE | SECONDARY_EXEC_APIC_REGISTER_VIRT |
				       SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY))
		return fail(why, n, "secondary controls 0x%llx use x2APIC/APIC-register/interrupt-delivery virtualization "
			    "without use TPR shadow", (unsigned long long)nested_secondary(c));
	return NS_PASS;
}

/*
 * Reads len bytes of L1's memory at gpa for a rule; false with what is
 * missing in why ("needs the virtual-APIC page at L1 GPA 0x...: give -m
 * IMAGE"), so that the rule is not judged rather than judged on nothing.
 */
static bool mem_read(const struct chk *c, uint64_t gpa, void *buf, size_t len, const char *what, WHY)
{
	const struct ns_guest_memory *m = c->mem;
	char reason[240];

	if (m && m->read) {
		if (m->read(m->ctx, gpa, buf, len, reason, sizeof(reason)) == 0)
			return true;
		snprintf(why, n, "needs %s at L1 GPA 0x%llx: %s", what, (unsigned long long)gpa, reason);
		return false;
	}
	if (m && m->data) {
		if (gpa < m->len && len <= m->len - gpa) {
			memcpy(buf, m->data + gpa, len);
			return true;
		}
		snprintf(why, n, "needs %s at L1 GPA 0x%llx, outside the given image of %zu bytes", what,
			 (unsigned long long)gpa, m->len);
		return false;
	}
	snprintf(why, n, "needs %s at L1 GPA 0x%llx: %s", what, (unsigned long long)gpa,
		 m && m->how ? m->how : "give L1's memory");
	return false;
}

/* n bytes of L1's memory as a little-endian number */
static uint64_t le(const uint8_t *b, size_t len)
{
	uint64_t v = 0;

	while (len--)
		v = v << 8 | b[len];
	return v;
}

/* VTPR's offset in the virtual-APIC page (the TPR's in the APIC page: Linux's APIC_TASKPRI). */
#define APIC_TASKPRI 0x80

CK(tpr_vtpr)
{
	uint8_t byte;
	unsigned vtpr;

	if (!nested_cpu_has(c, CPU_BASED_TPR_SHADOW) ||
	    nested_cpu_has2(c, SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES | SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY))
		return NS_NA;
	if (!mem_read(c, vmcs12_read(c, VIRTUAL_APIC_PAGE_ADDR) + APIC_TASKPRI, &byte, 1, "the virtual-APIC page's VTPR",
		      why, n))
		return NS_NOT_JUDGED;
	vtpr = byte;
	if ((vmcs12_read(c, TPR_THRESHOLD) & 0xf) > (vtpr >> 4))
		return fail(why, n, "TPR threshold 0x%llx exceeds VTPR[7:4] = %u (virtual-APIC page 0x%llx, byte 80H = 0x%02x)",
			    (unsigned long long)vmcs12_read(c, TPR_THRESHOLD), vtpr >> 4,
			    (unsigned long long)vmcs12_read(c, VIRTUAL_APIC_PAGE_ADDR), vtpr);
	return NS_PASS;
}

CK(nmi_virtual)
{
	if (nested_pin_has(c, PIN_BASED_VIRTUAL_NMIS) && !nested_pin_has(c, PIN_BASED_NMI_EXITING))
		return fail(why, n, "virtual NMIs (pin 0x%llx) without NMI exiting",
			    (unsigned long long)vmcs12_read(c, PIN_BASED_VM_EXEC_CONTROL));
	return nested_pin_has(c, PIN_BASED_VIRTUAL_NMIS) ? NS_PASS : NS_NA;
}

CK(nmi_window)
{
	if (nested_cpu_has(c, CPU_BASED_NMI_WINDOW_EXITING) && !nested_pin_has(c, PIN_BASED_VIRTUAL_NMIS))
		return fail(why, n, "NMI-window exiting without virtual NMIs");
	return nested_cpu_has(c, CPU_BASED_NMI_WINDOW_EXITING) ? NS_PASS : NS_NA;
}

CK(apic_access_addr)
{
	if (!nested_cpu_has2(c, SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES))
		return NS_NA;
	return page_addr(c, vmcs12_read(c, APIC_ACCESS_ADDR), "APIC-access address", why, n);
}

CK(x2apic_vs_apic)
{
	if (nested_cpu_has2(c, SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES) &&
	    nested_cpu_has2(c, SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE))
		return fail(why, n, "both virtualize x2APIC mode and virtualize APIC accesses are set");
	return NS_PASS;
}

CK(vid_ext_intr)
{
	if (!nested_cpu_has2(c, SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY))
		return NS_NA;
	if (!nested_pin_has(c, PIN_BASED_EXT_INTR_MASK))
		return fail(why, n, "virtual-interrupt delivery without external-interrupt exiting");
	return NS_PASS;
}

CK(posted_intr)
{
	uint64_t desc = vmcs12_read(c, POSTED_INTR_DESC_ADDR);

	if (!nested_pin_has(c, PIN_BASED_POSTED_INTR))
		return NS_NA;
	if (!nested_cpu_has2(c, SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY))
		return fail(why, n, "process posted interrupts without virtual-interrupt delivery");
	if (!nested_exit_has(c, VM_EXIT_ACK_INTR_ON_EXIT))
		return fail(why, n, "process posted interrupts without acknowledge interrupt on exit");
	if (vmcs12_read(c, POSTED_INTR_NV) > 0xff)
		return fail(why, n, "posted-interrupt notification vector 0x%llx has bits 15:8 set",
			    (unsigned long long)vmcs12_read(c, POSTED_INTR_NV));
	if ((desc & 0x3f) || !fits(c, desc))
		return fail(why, n, "posted-interrupt descriptor 0x%llx is not 64-byte aligned within the physical-address width",
			    (unsigned long long)desc);
	return NS_PASS;
}

CK(vpid_nonzero)
{
	if (!nested_cpu_has2(c, SECONDARY_EXEC_ENABLE_VPID))
		return NS_NA;
	return vmcs12_read(c, VIRTUAL_PROCESSOR_ID) ? NS_PASS : fail(why, n, "enable VPID with VPID 0");
}

/* The EPTP's sub-fields: memory type 2:0, page-walk length minus 1 in 5:3. */
static unsigned eptp_memtype(uint64_t eptp)
{
	return eptp & 7;
}

static unsigned eptp_walk_length(uint64_t eptp)
{
	return ((eptp >> 3) & 7) + 1;
}

CK(eptp)
{
	uint64_t e = vmcs12_read(c, EPT_POINTER), epc = cap(c, MSR_IA32_VMX_EPT_VPID_CAP);
	unsigned mt = eptp_memtype(e), walk = eptp_walk_length(e);

	if (!nested_cpu_has2(c, SECONDARY_EXEC_ENABLE_EPT))
		return NS_NA;
	if (!((mt == X86_MEMTYPE_UC && (epc & VMX_EPT_VPID_CAP_MEMTYPE_UC)) ||
	      (mt == X86_MEMTYPE_WB && (epc & VMX_EPT_VPID_CAP_MEMTYPE_WB))))
		return fail(why, n, "EPTP 0x%llx: memory type %u is not one IA32_VMX_EPT_VPID_CAP supports", (unsigned long long)e, mt);
	if (!((walk == 4 && (epc & VMX_EPT_VPID_CAP_PAGE_WALK_4)) || (walk == 5 && (epc & VMX_EPT_VPID_CAP_PAGE_WALK_5))))
		return fail(why, n, "EPTP 0x%llx: page-walk length %u is not supported", (unsigned long long)e, walk);
	if ((e & VMX_EPTP_AD) && !(epc & VMX_EPT_VPID_CAP_AD_BITS))
		return fail(why, n, "EPTP 0x%llx enables accessed/dirty flags, which are not supported", (unsigned long long)e);
	if (e & 0xf80)
		return fail(why, n, "EPTP 0x%llx has reserved bits 11:7 set", (unsigned long long)e);
	if (!fits(c, e))
		return fail(why, n, "EPTP 0x%llx has bits beyond the physical-address width", (unsigned long long)e);
	return NS_PASS;
}

CK(pml)
{
	if (!nested_cpu_has2(c, SECONDARY_EXEC_ENABLE_PML))
		return NS_NA;
	if (!nested_cpu_has2(c, SECONDARY_EXEC_ENABLE_EPT))
		return fail(why, n, "enable PML without enable EPT");
	return page_addr(c, vmcs12_read(c, PML_ADDRESS), "PML address", why, n);
}

CK(unrestricted_ept)
{
	if (!unrestricted_guest(c))
		return NS_NA;
	return nested_cpu_has2(c, SECONDARY_EXEC_ENABLE_EPT) ? NS_PASS : fail(why, n, "unrestricted guest without enable EPT");
}

CK(mbec_ept)
{
	if (!nested_cpu_has2(c, SECONDARY_EXEC_MODE_BASED_EPT_EXEC))
		return NS_NA;
	return nested_cpu_has2(c, SECONDARY_EXEC_ENABLE_EPT) ? NS_PASS
							     : fail(why, n, "mode-based execute control without enable EPT");
}

CK(vmfunc)
{
	uint64_t f = vmcs12_read(c, VM_FUNCTION_CONTROL);

	if (!nested_cpu_has2(c, SECONDARY_EXEC_ENABLE_VMFUNC))
		return NS_NA;
	if (f & ~cap(c, MSR_IA32_VMX_VMFUNC))
		return fail(why, n, "VM-function controls 0x%llx enable functions IA32_VMX_VMFUNC (0x%llx) does not offer",
			    (unsigned long long)f, (unsigned long long)cap(c, MSR_IA32_VMX_VMFUNC));
	if (f & VMX_VMFUNC_EPTP_SWITCHING) {
		if (!nested_cpu_has2(c, SECONDARY_EXEC_ENABLE_EPT))
			return fail(why, n, "EPTP switching without enable EPT");
		return page_addr(c, vmcs12_read(c, EPTP_LIST_ADDRESS), "EPTP-list address", why, n);
	}
	return NS_PASS;
}

CK(shadow_vmcs)
{
	if (!nested_cpu_has2(c, SECONDARY_EXEC_SHADOW_VMCS))
		return NS_NA;
	if (page_addr(c, vmcs12_read(c, VMREAD_BITMAP), "VMREAD-bitmap address", why, n) == NS_FAIL)
		return NS_FAIL;
	return page_addr(c, vmcs12_read(c, VMWRITE_BITMAP), "VMWRITE-bitmap address", why, n);
}

CK(ve_info)
{
	/* KVM's vmcs12 has no slot for it: judged only on VMCS images that do */
	if (!nested_cpu_has2(c, SECONDARY_EXEC_EPT_VIOLATION_VE) || !vmcs12_has(c, VE_INFORMATION_ADDRESS))
		return NS_NA;
	return page_addr(c, vmcs12_read(c, VE_INFORMATION_ADDRESS), "#VE information address", why, n);
}

CK(exit_reserved)
{
	return allowed(vmcs12_read(c, VM_EXIT_CONTROLS), ctls_cap(c, MSR_IA32_VMX_TRUE_EXIT_CTLS, MSR_IA32_VMX_EXIT_CTLS),
		       "VM-exit controls", why, n);
}

CK(preemption_save)
{
	if (nested_exit_has(c, VM_EXIT_SAVE_VMX_PREEMPTION_TIMER) && !nested_pin_has(c, PIN_BASED_VMX_PREEMPTION_TIMER))
		return fail(why, n, "save VMX-preemption timer value without activate VMX-preemption timer");
	return nested_exit_has(c, VM_EXIT_SAVE_VMX_PREEMPTION_TIMER) ? NS_PASS : NS_NA;
}

static enum ns_verdict msr_area(const struct chk *c, enum vmcs_field count_field, enum vmcs_field addr_field,
				const char *what, WHY)
{
	uint64_t count = vmcs12_read(c, count_field), a = vmcs12_read(c, addr_field);

	if (!count)
		return NS_NA;
	if (a & 0xf)
		return fail(why, n, "%s address 0x%llx is not 16-byte aligned", what, (unsigned long long)a);
	if (!fits(c, a) || !fits(c, a + count * 16 - 1))
		return fail(why, n, "%s of %llu entries at 0x%llx ends beyond the physical-address width", what,
			    (unsigned long long)count, (unsigned long long)a);
	return NS_PASS;
}

CK(exit_msr_store)
{
	return msr_area(c, VM_EXIT_MSR_STORE_COUNT, VM_EXIT_MSR_STORE_ADDR, "VM-exit MSR-store area", why, n);
}

CK(exit_msr_load)
{
	return msr_area(c, VM_EXIT_MSR_LOAD_COUNT, VM_EXIT_MSR_LOAD_ADDR, "VM-exit MSR-load area", why, n);
}

CK(entry_msr_load)
{
	return msr_area(c, VM_ENTRY_MSR_LOAD_COUNT, VM_ENTRY_MSR_LOAD_ADDR, "VM-entry MSR-load area", why, n);
}

CK(entry_reserved)
{
	return allowed(vmcs12_read(c, VM_ENTRY_CONTROLS), ctls_cap(c, MSR_IA32_VMX_TRUE_ENTRY_CTLS, MSR_IA32_VMX_ENTRY_CTLS),
		       "VM-entry controls", why, n);
}

/* The event VM entry injects: VM-entry interruption information, valid (bit 31), type 10:8, vector 7:0. */
static uint64_t event(const struct chk *c)
{
	return vmcs12_read(c, VM_ENTRY_INTR_INFO_FIELD);
}

static bool event_valid(const struct chk *c)
{
	return event(c) & INTR_INFO_VALID;
}

static uint64_t event_type(const struct chk *c)
{
	return (event(c) >> 8) & 7;
}

static uint64_t event_vector(const struct chk *c)
{
	return event(c) & 0xff;
}

CK(event_type)
{
	if (!event_valid(c))
		return NS_NA;
	if (event_type(c) == INTR_TYPE_RESERVED)
		return fail(why, n, "injected event 0x%llx uses the reserved type 1", (unsigned long long)event(c));
	if (event_type(c) == INTR_TYPE_OTHER_EVENT &&
	    !(allowed1(ctls_cap(c, MSR_IA32_VMX_TRUE_PROCBASED_CTLS, MSR_IA32_VMX_PROCBASED_CTLS)) &
	      CPU_BASED_MONITOR_TRAP_FLAG))
		return fail(why, n, "injected event type 7 (other event) without monitor-trap-flag support");
	return NS_PASS;
}

CK(event_vector)
{
	if (!event_valid(c))
		return NS_NA;
	if (event_type(c) == INTR_TYPE_NMI && event_vector(c) != X86_TRAP_NMI)
		return fail(why, n, "an injected NMI has vector %llu, not 2", (unsigned long long)event_vector(c));
	if (event_type(c) == INTR_TYPE_HW_EXCEPTION && event_vector(c) > 31)
		return fail(why, n, "an injected hardware exception has vector %llu, above 31",
			    (unsigned long long)event_vector(c));
	if (event_type(c) == INTR_TYPE_OTHER_EVENT && event_vector(c) != 0)
		return fail(why, n, "an injected other event has vector %llu, not 0", (unsigned long long)event_vector(c));
	return NS_PASS;
}

/* The exceptions that push an error code: #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP. */
static bool exception_has_error_code(uint64_t vector)
{
	return vector == X86_TRAP_DF || vector == X86_TRAP_TS || vector == X86_TRAP_NP || vector == X86_TRAP_SS ||
	       vector == X86_TRAP_GP || vector == X86_TRAP_PF || vector == X86_TRAP_AC || vector == X86_TRAP_CP;
}

CK(event_error_code)
{
	bool prot = unrestricted_guest(c) ? (vmcs12_read(c, GUEST_CR0) & X86_CR0_PE) : true;
	bool want, has = event(c) & INTR_INFO_DELIVER_ERROR_CODE;

	if (!event_valid(c))
		return NS_NA;
	want = event_type(c) == INTR_TYPE_HW_EXCEPTION && exception_has_error_code(event_vector(c)) && prot;
	if (has != want)
		return fail(why, n, "deliver error code is %d for event 0x%llx; the SDM wants %d", has,
			    (unsigned long long)event(c), want);
	return NS_PASS;
}

CK(event_reserved)
{
	if (!event_valid(c))
		return NS_NA;
	if (event(c) & 0x7ffff000ull)
		return fail(why, n, "bits 30:12 of event 0x%llx are set", (unsigned long long)event(c));
	return NS_PASS;
}

CK(event_error_value)
{
	if (!event_valid(c) || !(event(c) & INTR_INFO_DELIVER_ERROR_CODE))
		return NS_NA;
	if (vmcs12_read(c, VM_ENTRY_EXCEPTION_ERROR_CODE) & 0xffff0000ull)
		return fail(why, n, "error code 0x%llx has bits 31:16 set",
			    (unsigned long long)vmcs12_read(c, VM_ENTRY_EXCEPTION_ERROR_CODE));
	return NS_PASS;
}

CK(event_insn_len)
{
	uint64_t len = vmcs12_read(c, VM_ENTRY_INSTRUCTION_LEN);
	bool zero_ok = cap(c, MSR_IA32_VMX_MISC) & VMX_MISC_ZERO_LEN_INJECTION;

	if (!event_valid(c) || !(event_type(c) == INTR_TYPE_SW_INTR || event_type(c) == INTR_TYPE_PRIV_SW_EXCEPTION ||
				 event_type(c) == INTR_TYPE_SW_EXCEPTION))
		return NS_NA;
	if (len > 15 || (len == 0 && !zero_ok))
		return fail(why, n, "instruction length %llu for a software event (1..15%s)", (unsigned long long)len,
			    zero_ok ? ", or 0" : "");
	return NS_PASS;
}

CK(entry_smm)
{
	if (nested_entry_has(c, VM_ENTRY_SMM | VM_ENTRY_DEACT_DUAL_MONITOR))
		return fail(why, n, "VM-entry controls 0x%llx set entry to SMM or deactivate dual-monitor treatment outside SMM",
			    (unsigned long long)vmcs12_read(c, VM_ENTRY_CONTROLS));
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

CK(host_cr0)
{
	return fixed(vmcs12_read(c, HOST_CR0), cap(c, MSR_IA32_VMX_CR0_FIXED0), cap(c, MSR_IA32_VMX_CR0_FIXED1), "host CR0",
		     why, n);
}

CK(host_cr4)
{
	return fixed(vmcs12_read(c, HOST_CR4), cap(c, MSR_IA32_VMX_CR4_FIXED0), cap(c, MSR_IA32_VMX_CR4_FIXED1), "host CR4",
		     why, n);
}

CK(host_cr3)
{
	if (!fits(c, vmcs12_read(c, HOST_CR3)))
		return fail(why, n, "host CR3 0x%llx exceeds the physical-address width",
			    (unsigned long long)vmcs12_read(c, HOST_CR3));
	return NS_PASS;
}

CK(host_sysenter)
{
	if (!canonical(vmcs12_read(c, HOST_IA32_SYSENTER_ESP)) || !canonical(vmcs12_read(c, HOST_IA32_SYSENTER_EIP)))
		return fail(why, n, "host SYSENTER ESP 0x%llx / EIP 0x%llx not canonical",
			    (unsigned long long)vmcs12_read(c, HOST_IA32_SYSENTER_ESP),
			    (unsigned long long)vmcs12_read(c, HOST_IA32_SYSENTER_EIP));
	return NS_PASS;
}

/* The memory types an IA32_PAT entry may hold (values.def): 2, 3 and above 7 are reserved. */
static bool pat_memtype_valid(unsigned t)
{
	return t == X86_MEMTYPE_UC || t == X86_MEMTYPE_WC || t == X86_MEMTYPE_WT || t == X86_MEMTYPE_WP ||
	       t == X86_MEMTYPE_WB || t == X86_MEMTYPE_UC_MINUS;
}

static enum ns_verdict pat(uint64_t p, const char *what, WHY)
{
	for (int i = 0; i < 8; i++) {
		unsigned t = (p >> (8 * i)) & 0xff;
		if (!pat_memtype_valid(t))
			return fail(why, n, "%s 0x%llx: entry %d is memory type %u, not 0, 1, 4, 5, 6 or 7", what,
				    (unsigned long long)p, i, t);
	}
	return NS_PASS;
}

CK(host_pat)
{
	if (!nested_exit_has(c, VM_EXIT_LOAD_IA32_PAT))
		return NS_NA;
	return pat(vmcs12_read(c, HOST_IA32_PAT), "host IA32_PAT", why, n);
}

/* IA32_EFER's reserved bits: all but SCE, LME, LMA, NXE ... */
#define EFER_RESERVED (~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE))
/* ... and but SVME, LMSLE, FFXSR, TCE, which exist on other CPUs: leave them */
#define EFER_OTHER_CPUS (EFER_SVME | EFER_LMSLE | EFER_FFXSR | EFER_TCE)

/* The bits of IA32_S_CET that are reserved (9:6), and SUPPRESS (10) with TRACKER (11). */
static bool s_cet_ok(uint64_t v)
{
	return !(v & 0x3c0) && (v & 0xc00) != 0xc00 && canonical(v & ~0xfffull);
}

/* CET state loaded on entry or exit: S_CET, the interrupt SSP table address, SSP. */
static enum ns_verdict cet_state(const struct chk *c, enum vmcs_field s_cet, enum vmcs_field ssp, enum vmcs_field tbl,
				 bool mode64, const char *who, WHY)
{
	uint64_t sc = vmcs12_read(c, s_cet), sp = vmcs12_read(c, ssp), t = vmcs12_read(c, tbl);

	if (!vmcs12_has(c, s_cet)) {
		snprintf(why, n, "needs the CET state fields, which this layout does not have");
		return NS_NOT_JUDGED;
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
static enum ns_verdict pkrs(const struct chk *c, enum vmcs_field f, const char *who, WHY)
{
	if (!vmcs12_has(c, f)) {
		snprintf(why, n, "needs the IA32_PKRS field, which this layout does not have");
		return NS_NOT_JUDGED;
	}
	if (vmcs12_read(c, f) >> 32)
		return fail(why, n, "%s IA32_PKRS 0x%llx sets bits 63:32", who, (unsigned long long)vmcs12_read(c, f));
	return NS_PASS;
}

/* IA32_PERF_GLOBAL_CTRL loaded on entry or exit: its reserved bits depend on
 * L1's PMU (CPUID leaf 0AH), so the mask comes with the capabilities. */
static enum ns_verdict perf_global_ctrl(const struct chk *c, uint64_t v, const char *what, WHY)
{
	if (!c->caps->have_perf_global_ctrl_reserved) {
		snprintf(why, n, "needs the reserved bits of IA32_PERF_GLOBAL_CTRL for L1's PMU "
			 "(caps line perf_global_ctrl_reserved)");
		return NS_NOT_JUDGED;
	}
	if (v & c->caps->perf_global_ctrl_reserved)
		return fail(why, n, "%s 0x%llx sets reserved bits 0x%llx", what, (unsigned long long)v,
			    (unsigned long long)(v & c->caps->perf_global_ctrl_reserved));
	return NS_PASS;
}

CK(host_perf_global_ctrl)
{
	if (!nested_exit_has(c, VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL))
		return NS_NA;
	return perf_global_ctrl(c, vmcs12_read(c, HOST_IA32_PERF_GLOBAL_CTRL), "host IA32_PERF_GLOBAL_CTRL", why, n);
}

CK(host_pkrs)
{
	if (!nested_exit_has(c, VM_EXIT_LOAD_PKRS))
		return NS_NA;
	return pkrs(c, HOST_IA32_PKRS, "host", why, n);
}

CK(host_cet)
{
	if (!nested_exit_has(c, VM_EXIT_LOAD_CET_STATE))
		return NS_NA;
	return cet_state(c, HOST_S_CET, HOST_SSP, HOST_INTR_SSP_TABLE, nested_exit_has(c, VM_EXIT_HOST_ADDR_SPACE_SIZE),
			 "host", why, n);
}

CK(host_efer)
{
	uint64_t e = vmcs12_read(c, HOST_IA32_EFER);
	bool as = nested_exit_has(c, VM_EXIT_HOST_ADDR_SPACE_SIZE);

	if (!nested_exit_has(c, VM_EXIT_LOAD_IA32_EFER))
		return NS_NA;
	if (e & EFER_RESERVED & ~EFER_OTHER_CPUS)
		return fail(why, n, "host EFER 0x%llx sets reserved bits", (unsigned long long)e);
	if (!!(e & EFER_LMA) != as || !!(e & EFER_LME) != as)
		return fail(why, n, "host EFER 0x%llx: LMA and LME must both be %d (host address-space size)",
			    (unsigned long long)e, as);
	return NS_PASS;
}

/* A selector's requested privilege level (1:0) and table indicator (2), as Linux names them. */
#define SEGMENT_RPL_MASK 3u
#define SEGMENT_TI_MASK 4u

CK(host_sel_rpl_ti)
{
	static const enum vmcs_field sel[] = {
		HOST_ES_SELECTOR, HOST_CS_SELECTOR, HOST_SS_SELECTOR, HOST_DS_SELECTOR,
		HOST_FS_SELECTOR, HOST_GS_SELECTOR, HOST_TR_SELECTOR,
	};

	for (size_t i = 0; i < sizeof(sel) / sizeof(sel[0]); i++)
		if (vmcs12_read(c, sel[i]) & (SEGMENT_RPL_MASK | SEGMENT_TI_MASK))
			return fail(why, n, "%s 0x%llx has RPL or TI set", ns_field_at((size_t)cat_index(sel[i]))->name,
				    (unsigned long long)vmcs12_read(c, sel[i]));
	return NS_PASS;
}

CK(host_cs_tr)
{
	if (!vmcs12_read(c, HOST_CS_SELECTOR) || !vmcs12_read(c, HOST_TR_SELECTOR))
		return fail(why, n, "host CS 0x%llx or TR 0x%llx selector is 0", (unsigned long long)vmcs12_read(c, HOST_CS_SELECTOR),
			    (unsigned long long)vmcs12_read(c, HOST_TR_SELECTOR));
	return NS_PASS;
}

CK(host_ss)
{
	if (nested_exit_has(c, VM_EXIT_HOST_ADDR_SPACE_SIZE))
		return NS_NA;
	return vmcs12_read(c, HOST_SS_SELECTOR) ? NS_PASS : fail(why, n, "host SS selector 0 with host address-space size 0");
}

CK(host_bases)
{
	static const enum vmcs_field b[] = { HOST_FS_BASE, HOST_GS_BASE, HOST_GDTR_BASE, HOST_IDTR_BASE, HOST_TR_BASE };

	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++)
		if (!canonical(vmcs12_read(c, b[i])))
			return fail(why, n, "%s 0x%llx is not canonical", ns_field_at((size_t)cat_index(b[i]))->name,
				    (unsigned long long)vmcs12_read(c, b[i]));
	return NS_PASS;
}

CK(host_as_64)
{
	if (!nested_exit_has(c, VM_EXIT_HOST_ADDR_SPACE_SIZE))
		return NS_NA;
	if (!(vmcs12_read(c, HOST_CR4) & X86_CR4_PAE))
		return fail(why, n, "host address-space size 1 with host CR4.PAE 0");
	if (!canonical(vmcs12_read(c, HOST_RIP)))
		return fail(why, n, "host RIP 0x%llx is not canonical", (unsigned long long)vmcs12_read(c, HOST_RIP));
	return NS_PASS;
}

CK(host_as_32)
{
	if (nested_exit_has(c, VM_EXIT_HOST_ADDR_SPACE_SIZE))
		return NS_NA;
	if (ia32e_guest(c))
		return fail(why, n, "IA-32e mode guest with host address-space size 0");
	if (vmcs12_read(c, HOST_CR4) & X86_CR4_PCIDE)
		return fail(why, n, "host CR4.PCIDE with host address-space size 0");
	if (vmcs12_read(c, HOST_RIP) >> 32)
		return fail(why, n, "host RIP 0x%llx has bits 63:32 set", (unsigned long long)vmcs12_read(c, HOST_RIP));
	return NS_PASS;
}

/* ---- guest control registers and MSRs ---- */

CK(guest_cr0)
{
	uint64_t f0 = cap(c, MSR_IA32_VMX_CR0_FIXED0);

	if (unrestricted_guest(c))
		f0 &= ~(X86_CR0_PG | X86_CR0_PE); /* unrestricted guest: PG and PE are L1's choice */
	return fixed(vmcs12_read(c, GUEST_CR0), f0, cap(c, MSR_IA32_VMX_CR0_FIXED1), "guest CR0", why, n);
}

CK(guest_cr0_pg_pe)
{
	uint64_t cr0 = vmcs12_read(c, GUEST_CR0);

	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return fail(why, n, "guest CR0 0x%llx: PG without PE", (unsigned long long)cr0);
	return NS_PASS;
}

CK(guest_cr4)
{
	return fixed(vmcs12_read(c, GUEST_CR4), cap(c, MSR_IA32_VMX_CR4_FIXED0), cap(c, MSR_IA32_VMX_CR4_FIXED1), "guest CR4",
		     why, n);
}

CK(guest_ia32e)
{
	uint64_t cr0 = vmcs12_read(c, GUEST_CR0), cr4 = vmcs12_read(c, GUEST_CR4);

	if (ia32e_guest(c) && (!(cr0 & X86_CR0_PG) || !(cr4 & X86_CR4_PAE)))
		return fail(why, n, "IA-32e mode guest with CR0 0x%llx / CR4 0x%llx: PG and PAE must be 1",
			    (unsigned long long)cr0, (unsigned long long)cr4);
	if (!ia32e_guest(c) && (cr4 & X86_CR4_PCIDE))
		return fail(why, n, "CR4.PCIDE 1 without IA-32e mode guest");
	return NS_PASS;
}

CK(guest_cr3)
{
	if (!fits(c, vmcs12_read(c, GUEST_CR3)))
		return fail(why, n, "guest CR3 0x%llx exceeds the physical-address width",
			    (unsigned long long)vmcs12_read(c, GUEST_CR3));
	return NS_PASS;
}

CK(guest_dr7)
{
	if (!nested_entry_has(c, VM_ENTRY_LOAD_DEBUG_CONTROLS))
		return NS_NA;
	if (vmcs12_read(c, GUEST_DR7) >> 32)
		return fail(why, n, "guest DR7 0x%llx has bits 63:32 set", (unsigned long long)vmcs12_read(c, GUEST_DR7));
	return NS_PASS;
}

CK(guest_sysenter)
{
	if (!canonical(vmcs12_read(c, GUEST_SYSENTER_ESP)) || !canonical(vmcs12_read(c, GUEST_SYSENTER_EIP)))
		return fail(why, n, "guest SYSENTER ESP 0x%llx / EIP 0x%llx not canonical",
			    (unsigned long long)vmcs12_read(c, GUEST_SYSENTER_ESP),
			    (unsigned long long)vmcs12_read(c, GUEST_SYSENTER_EIP));
	return NS_PASS;
}

CK(guest_pat)
{
	if (!nested_entry_has(c, VM_ENTRY_LOAD_IA32_PAT))
		return NS_NA;
	return pat(vmcs12_read(c, GUEST_IA32_PAT), "guest IA32_PAT", why, n);
}

CK(guest_efer)
{
	uint64_t e = vmcs12_read(c, GUEST_IA32_EFER);
	bool lma = e & EFER_LMA;

	if (!nested_entry_has(c, VM_ENTRY_LOAD_IA32_EFER))
		return NS_NA;
	if (e & EFER_RESERVED & ~EFER_OTHER_CPUS)
		return fail(why, n, "guest EFER 0x%llx sets reserved bits", (unsigned long long)e);
	if (lma != ia32e_guest(c))
		return fail(why, n, "guest EFER.LMA %d differs from IA-32e mode guest %d", lma, ia32e_guest(c));
	if ((vmcs12_read(c, GUEST_CR0) & X86_CR0_PG) && lma != !!(e & EFER_LME))
		return fail(why, n, "guest EFER 0x%llx: with CR0.PG, LME must equal LMA", (unsigned long long)e);
	return NS_PASS;
}

CK(guest_perf_global_ctrl)
{
	if (!nested_entry_has(c, VM_ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL))
		return NS_NA;
	return perf_global_ctrl(c, vmcs12_read(c, GUEST_IA32_PERF_GLOBAL_CTRL), "guest IA32_PERF_GLOBAL_CTRL", why, n);
}

CK(guest_pkrs)
{
	if (!nested_entry_has(c, VM_ENTRY_LOAD_PKRS))
		return NS_NA;
	return pkrs(c, GUEST_IA32_PKRS, "guest", why, n);
}

CK(guest_bndcfgs)
{
	uint64_t b = vmcs12_read(c, GUEST_BNDCFGS);

	if (!nested_entry_has(c, VM_ENTRY_LOAD_BNDCFGS))
		return NS_NA;
	if ((b & 0xffcull) || !canonical(b & ~0xfffull))
		return fail(why, n, "guest IA32_BNDCFGS 0x%llx: reserved bits or a non-canonical base", (unsigned long long)b);
	return NS_PASS;
}

/* ---- guest segments ---- */

/* Each guest segment register's four fields, as KVM's kvm_vmx_segment_fields[] lists them. */
enum { ES, CS, SS, DS, FS, GS, LDTR, TR };
#define SEGMENT(seg) \
	[seg] = { #seg, GUEST_##seg##_SELECTOR, GUEST_##seg##_BASE, GUEST_##seg##_LIMIT, GUEST_##seg##_AR_BYTES }
static const struct {
	const char *name;
	enum vmcs_field selector, base, limit, ar_bytes;
} segment[] = {
	SEGMENT(ES), SEGMENT(CS), SEGMENT(SS), SEGMENT(DS), SEGMENT(FS), SEGMENT(GS), SEGMENT(LDTR), SEGMENT(TR),
};
#undef SEGMENT

static uint64_t seg_selector(const struct chk *c, int s) { return vmcs12_read(c, segment[s].selector); }
static uint64_t seg_base(const struct chk *c, int s) { return vmcs12_read(c, segment[s].base); }
static uint64_t seg_limit(const struct chk *c, int s) { return vmcs12_read(c, segment[s].limit); }
static uint64_t seg_ar(const struct chk *c, int s) { return vmcs12_read(c, segment[s].ar_bytes); }
static bool seg_usable(const struct chk *c, int s) { return !(seg_ar(c, s) & VMX_AR_UNUSABLE); }
/* access rights' sub-fields: type 3:0, DPL 6:5 */
static uint64_t seg_type(const struct chk *c, int s) { return seg_ar(c, s) & 0xf; }
static uint64_t seg_dpl(const struct chk *c, int s) { return (seg_ar(c, s) >> 5) & 3; }
static uint64_t seg_rpl(const struct chk *c, int s) { return seg_selector(c, s) & SEGMENT_RPL_MASK; }

static bool guest_v86(const struct chk *c)
{
	return vmcs12_read(c, GUEST_RFLAGS) & X86_EFLAGS_VM;
}

CK(seg_tr_ti)
{
	if (seg_selector(c, TR) & SEGMENT_TI_MASK)
		return fail(why, n, "TR selector 0x%llx has TI set", (unsigned long long)seg_selector(c, TR));
	return NS_PASS;
}

CK(seg_ldtr_ti)
{
	if (!seg_usable(c, LDTR))
		return NS_NA;
	if (seg_selector(c, LDTR) & SEGMENT_TI_MASK)
		return fail(why, n, "LDTR selector 0x%llx has TI set", (unsigned long long)seg_selector(c, LDTR));
	return NS_PASS;
}

CK(seg_ss_rpl)
{
	if (unrestricted_guest(c) || guest_v86(c))
		return NS_NA;
	if (seg_rpl(c, SS) != seg_rpl(c, CS))
		return fail(why, n, "SS RPL %llu differs from CS RPL %llu", (unsigned long long)seg_rpl(c, SS),
			    (unsigned long long)seg_rpl(c, CS));
	return NS_PASS;
}

CK(seg_cs_type)
{
	unsigned t = (unsigned)seg_type(c, CS);

	if (guest_v86(c))
		return NS_NA;
	/* accessed code: execute-only or execute/read, conforming or not; with unrestricted guest, read/write data */
	if (t == 9 || t == 11 || t == 13 || t == 15 || (unrestricted_guest(c) && t == 3))
		return NS_PASS;
	return fail(why, n, "CS access rights 0x%llx: type %u is not accessed code", (unsigned long long)seg_ar(c, CS), t);
}

CK(seg_ss_type)
{
	if (guest_v86(c) || !seg_usable(c, SS))
		return NS_NA;
	/* read/write accessed data, expand-up (3) or expand-down (7) */
	if (seg_type(c, SS) == 3 || seg_type(c, SS) == 7)
		return NS_PASS;
	return fail(why, n, "SS access rights 0x%llx: type %llu is not read/write accessed data",
		    (unsigned long long)seg_ar(c, SS), (unsigned long long)seg_type(c, SS));
}

CK(seg_data_type)
{
	static const int segs[] = { DS, ES, FS, GS };

	if (guest_v86(c))
		return NS_NA;
	for (size_t i = 0; i < 4; i++) {
		int s = segs[i];
		uint64_t t = seg_type(c, s);

		if (!seg_usable(c, s))
			continue;
		/* type bit 0: accessed; bit 3: code, which bit 1 must make readable */
		if (!(t & 1) || ((t & 8) && !(t & 2)))
			return fail(why, n, "%s access rights 0x%llx: type %llu is not accessed, or is unreadable code",
				    segment[s].name, (unsigned long long)seg_ar(c, s), (unsigned long long)t);
	}
	return NS_PASS;
}

static enum ns_verdict each_code_data(const struct chk *c, uint64_t bit, const char *what, WHY)
{
	static const int segs[] = { CS, SS, DS, ES, FS, GS };

	if (guest_v86(c))
		return NS_NA;
	for (size_t i = 0; i < 6; i++) {
		int s = segs[i];
		if (s != CS && !seg_usable(c, s))
			continue;
		if (!(seg_ar(c, s) & bit))
			return fail(why, n, "%s access rights 0x%llx: %s is 0", segment[s].name, (unsigned long long)seg_ar(c, s),
				    what);
	}
	return NS_PASS;
}

CK(seg_s) { return each_code_data(c, VMX_AR_S, "S", why, n); }
CK(seg_present) { return each_code_data(c, VMX_AR_P, "P", why, n); }

/* Virtual-8086 mode: each of CS, SS, DS, ES, FS, GS is a real-mode style
 * segment whose base is selector * 16, limit FFFFH, access rights F3H. */
static enum ns_verdict v86_each(const struct chk *c, int what, WHY)
{
	if (!guest_v86(c))
		return NS_NA;
	for (int s = ES; s <= GS; s++) {
		if (what == 0 && seg_base(c, s) != seg_selector(c, s) << 4)
			return fail(why, n, "%s base 0x%llx is not selector 0x%llx * 16 in virtual-8086 mode", segment[s].name,
				    (unsigned long long)seg_base(c, s), (unsigned long long)seg_selector(c, s));
		if (what == 1 && seg_limit(c, s) != 0xffff)
			return fail(why, n, "%s limit 0x%llx is not FFFFH in virtual-8086 mode", segment[s].name,
				    (unsigned long long)seg_limit(c, s));
		if (what == 2 && seg_ar(c, s) != 0xf3)
			return fail(why, n, "%s access rights 0x%llx are not F3H in virtual-8086 mode", segment[s].name,
				    (unsigned long long)seg_ar(c, s));
	}
	return NS_PASS;
}

CK(seg_v86_base) { return v86_each(c, 0, why, n); }
CK(seg_v86_limit) { return v86_each(c, 1, why, n); }
CK(seg_v86_ar) { return v86_each(c, 2, why, n); }

CK(seg_ss_dpl)
{
	if (guest_v86(c))
		return NS_NA;
	if (!unrestricted_guest(c) && seg_dpl(c, SS) != seg_rpl(c, SS))
		return fail(why, n, "SS DPL %llu differs from its RPL %llu", (unsigned long long)seg_dpl(c, SS),
			    (unsigned long long)seg_rpl(c, SS));
	if (seg_dpl(c, SS) && (seg_type(c, CS) == 3 || !(vmcs12_read(c, GUEST_CR0) & X86_CR0_PE)))
		return fail(why, n, "SS DPL %llu with %s", (unsigned long long)seg_dpl(c, SS),
			    seg_type(c, CS) == 3 ? "CS type 3" : "CR0.PE 0");
	return NS_PASS;
}

CK(seg_data_dpl)
{
	static const int segs[] = { DS, ES, FS, GS };

	if (guest_v86(c) || unrestricted_guest(c))
		return NS_NA;
	for (size_t i = 0; i < 4; i++) {
		int s = segs[i];
		/* types 12..15 are conforming code, whose DPL may be below RPL */
		if (seg_usable(c, s) && seg_type(c, s) <= 11 && seg_dpl(c, s) < seg_rpl(c, s))
			return fail(why, n, "%s DPL %llu is below its RPL %llu", segment[s].name, (unsigned long long)seg_dpl(c, s),
				    (unsigned long long)seg_rpl(c, s));
	}
	return NS_PASS;
}

CK(seg_reserved)
{
	for (int s = ES; s <= TR; s++) {
		if (s != CS && s != TR && !seg_usable(c, s))
			continue;
		if (seg_ar(c, s) & 0xfffe0f00ull)
			return fail(why, n, "%s access rights 0x%llx set reserved bits 0x%llx", segment[s].name,
				    (unsigned long long)seg_ar(c, s), (unsigned long long)(seg_ar(c, s) & 0xfffe0f00ull));
	}
	return NS_PASS;
}

CK(seg_granularity)
{
	for (int s = ES; s <= TR; s++) {
		uint64_t lim = seg_limit(c, s);
		bool g = seg_ar(c, s) & VMX_AR_G;

		if (s != CS && s != TR && !seg_usable(c, s))
			continue;
		if ((lim & 0xfff) != 0xfff && g)
			return fail(why, n, "%s limit 0x%llx has bits 11:0 not all 1, yet G = 1", segment[s].name,
				    (unsigned long long)lim);
		if ((lim & 0xfff00000) && !g)
			return fail(why, n, "%s limit 0x%llx has bits 31:20 set, yet G = 0", segment[s].name,
				    (unsigned long long)lim);
	}
	return NS_PASS;
}

CK(seg_cs_l_db)
{
	if (!ia32e_guest(c) || !(seg_ar(c, CS) & VMX_AR_L))
		return NS_NA;
	if (seg_ar(c, CS) & VMX_AR_DB)
		return fail(why, n, "CS access rights 0x%llx: L and D/B both set", (unsigned long long)seg_ar(c, CS));
	return NS_PASS;
}

CK(seg_cs_dpl)
{
	uint64_t t = seg_type(c, CS);

	if (guest_v86(c))
		return NS_NA;
	if (t == 3 && seg_dpl(c, CS))
		return fail(why, n, "CS (data, type 3) DPL %llu is not 0", (unsigned long long)seg_dpl(c, CS));
	if ((t == 9 || t == 11) && seg_dpl(c, CS) != seg_dpl(c, SS))
		return fail(why, n, "CS (non-conforming) DPL %llu differs from SS DPL %llu", (unsigned long long)seg_dpl(c, CS),
			    (unsigned long long)seg_dpl(c, SS));
	if ((t == 13 || t == 15) && seg_dpl(c, CS) > seg_dpl(c, SS))
		return fail(why, n, "CS (conforming) DPL %llu exceeds SS DPL %llu", (unsigned long long)seg_dpl(c, CS),
			    (unsigned long long)seg_dpl(c, SS));
	return NS_PASS;
}

CK(seg_tr_type)
{
	uint64_t ar = seg_ar(c, TR);
	unsigned t = (unsigned)seg_type(c, TR);

	if (!seg_usable(c, TR) || (ar & VMX_AR_S) || !(ar & VMX_AR_P))
		return fail(why, n, "TR access rights 0x%llx: TR must be usable, a system segment, present", (unsigned long long)ar);
	/* a busy TSS: 32/64-bit (11), or 16-bit (3) outside IA-32e mode */
	if (ia32e_guest(c) ? t != 11 : !(t == 3 || t == 11))
		return fail(why, n, "TR access rights 0x%llx: type %u is not a busy TSS%s", (unsigned long long)ar, t,
			    ia32e_guest(c) ? " (64-bit: 11)" : "");
	return NS_PASS;
}

CK(seg_ldtr_type)
{
	uint64_t ar = seg_ar(c, LDTR);

	if (!seg_usable(c, LDTR))
		return NS_NA;
	if (seg_type(c, LDTR) != 2 || (ar & VMX_AR_S) || !(ar & VMX_AR_P))
		return fail(why, n, "LDTR access rights 0x%llx: not a present system segment of type 2", (unsigned long long)ar);
	return NS_PASS;
}

CK(seg_bases)
{
	if (!canonical(seg_base(c, TR)) || !canonical(seg_base(c, FS)) || !canonical(seg_base(c, GS)))
		return fail(why, n, "TR, FS or GS base not canonical (0x%llx, 0x%llx, 0x%llx)", (unsigned long long)seg_base(c, TR),
			    (unsigned long long)seg_base(c, FS), (unsigned long long)seg_base(c, GS));
	if (seg_usable(c, LDTR) && !canonical(seg_base(c, LDTR)))
		return fail(why, n, "LDTR base 0x%llx not canonical", (unsigned long long)seg_base(c, LDTR));
	if (seg_base(c, CS) >> 32)
		return fail(why, n, "CS base 0x%llx has bits 63:32 set", (unsigned long long)seg_base(c, CS));
	for (int s = ES; s <= DS; s++)
		if (s != CS && seg_usable(c, s) && seg_base(c, s) >> 32)
			return fail(why, n, "%s base 0x%llx has bits 63:32 set", segment[s].name, (unsigned long long)seg_base(c, s));
	return NS_PASS;
}

CK(dt_bases)
{
	if (!canonical(vmcs12_read(c, GUEST_GDTR_BASE)) || !canonical(vmcs12_read(c, GUEST_IDTR_BASE)))
		return fail(why, n, "GDTR base 0x%llx / IDTR base 0x%llx not canonical",
			    (unsigned long long)vmcs12_read(c, GUEST_GDTR_BASE), (unsigned long long)vmcs12_read(c, GUEST_IDTR_BASE));
	return NS_PASS;
}

CK(dt_limits)
{
	if ((vmcs12_read(c, GUEST_GDTR_LIMIT) | vmcs12_read(c, GUEST_IDTR_LIMIT)) & 0xffff0000ull)
		return fail(why, n, "GDTR limit 0x%llx / IDTR limit 0x%llx have bits 31:16 set",
			    (unsigned long long)vmcs12_read(c, GUEST_GDTR_LIMIT),
			    (unsigned long long)vmcs12_read(c, GUEST_IDTR_LIMIT));
	return NS_PASS;
}

/* ---- RIP, RFLAGS ---- */

/* 64-bit mode: IA-32e mode guest with CS.L */
static bool guest_mode64(const struct chk *c)
{
	return ia32e_guest(c) && (seg_ar(c, CS) & VMX_AR_L);
}

CK(guest_rip)
{
	uint64_t rip = vmcs12_read(c, GUEST_RIP);
	bool mode64 = guest_mode64(c);

	if (!mode64 && rip >> 32)
		return fail(why, n, "RIP 0x%llx has bits 63:32 set outside 64-bit mode", (unsigned long long)rip);
	if (mode64 && !canonical(rip))
		return fail(why, n, "RIP 0x%llx is not canonical", (unsigned long long)rip);
	return NS_PASS;
}

CK(guest_cet)
{
	if (!nested_entry_has(c, VM_ENTRY_LOAD_CET_STATE))
		return NS_NA;
	return cet_state(c, GUEST_S_CET, GUEST_SSP, GUEST_INTR_SSP_TABLE, guest_mode64(c), "guest", why, n);
}

/* RFLAGS bit 1 is always 1; bits 63:22, 15, 5 and 3 are reserved (controls.def names the others). */
#define X86_EFLAGS_FIXED 0x2ull
#define RFLAGS_RESERVED (~0x3fffffull | 0x8028ull)

CK(rflags_reserved)
{
	uint64_t f = vmcs12_read(c, GUEST_RFLAGS);

	if ((f & RFLAGS_RESERVED) || !(f & X86_EFLAGS_FIXED))
		return fail(why, n, "RFLAGS 0x%llx: reserved bits set or bit 1 clear", (unsigned long long)f);
	return NS_PASS;
}

CK(rflags_vm)
{
	if (!(ia32e_guest(c) || !(vmcs12_read(c, GUEST_CR0) & X86_CR0_PE)))
		return NS_NA;
	return guest_v86(c) ? fail(why, n, "RFLAGS.VM with IA-32e mode guest or CR0.PE 0") : NS_PASS;
}

CK(rflags_if)
{
	if (!event_valid(c) || event_type(c) != INTR_TYPE_EXT_INTR)
		return NS_NA;
	if (!(vmcs12_read(c, GUEST_RFLAGS) & X86_EFLAGS_IF))
		return fail(why, n, "injecting an external interrupt with RFLAGS.IF 0");
	return NS_PASS;
}

/* ---- non-register state ---- */

CK(activity)
{
	uint64_t a = vmcs12_read(c, GUEST_ACTIVITY_STATE);

	if (a == GUEST_ACTIVITY_ACTIVE)
		return NS_PASS;
	if (!misc_activity_supported(cap(c, MSR_IA32_VMX_MISC), a))
		return fail(why, n, "activity state %llu is not one IA32_VMX_MISC (0x%llx) supports", (unsigned long long)a,
			    (unsigned long long)cap(c, MSR_IA32_VMX_MISC));
	return NS_PASS;
}

CK(activity_hlt)
{
	if (vmcs12_read(c, GUEST_ACTIVITY_STATE) != GUEST_ACTIVITY_HLT)
		return NS_NA;
	return seg_dpl(c, SS) ? fail(why, n, "HLT state with SS DPL %llu", (unsigned long long)seg_dpl(c, SS)) : NS_PASS;
}

static uint64_t interruptibility(const struct chk *c)
{
	return vmcs12_read(c, GUEST_INTERRUPTIBILITY_INFO);
}

#define BLOCKING_BY_STI_OR_MOV_SS (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)

CK(activity_blocking)
{
	if (!(interruptibility(c) & BLOCKING_BY_STI_OR_MOV_SS))
		return NS_NA;
	if (vmcs12_read(c, GUEST_ACTIVITY_STATE) != GUEST_ACTIVITY_ACTIVE)
		return fail(why, n, "activity state %llu with blocking by STI or MOV SS (0x%llx)",
			    (unsigned long long)vmcs12_read(c, GUEST_ACTIVITY_STATE), (unsigned long long)interruptibility(c));
	return NS_PASS;
}

CK(activity_injection)
{
	uint64_t a = vmcs12_read(c, GUEST_ACTIVITY_STATE);

	if (!event_valid(c) || (a != GUEST_ACTIVITY_SHUTDOWN && a != GUEST_ACTIVITY_WAIT_SIPI))
		return NS_NA;
	if (a == GUEST_ACTIVITY_WAIT_SIPI)
		return fail(why, n, "injecting event 0x%llx in the wait-for-SIPI state", (unsigned long long)event(c));
	if (!(event_type(c) == INTR_TYPE_NMI || (event_type(c) == INTR_TYPE_HW_EXCEPTION && event_vector(c) == X86_TRAP_MC)))
		return fail(why, n, "injecting event 0x%llx in the shutdown state (only NMI or #MC)", (unsigned long long)event(c));
	return NS_PASS;
}

CK(int_smi)
{
	if (interruptibility(c) & GUEST_INTR_STATE_SMI)
		return fail(why, n, "blocking by SMI outside SMM");
	return NS_PASS;
}

CK(int_reserved)
{
	/* bits 31:5 (controls.def names 4:0) */
	if (interruptibility(c) & ~0x1full)
		return fail(why, n, "interruptibility state 0x%llx sets bits 31:5", (unsigned long long)interruptibility(c));
	return NS_PASS;
}

CK(int_sti_movss)
{
	if ((interruptibility(c) & BLOCKING_BY_STI_OR_MOV_SS) == BLOCKING_BY_STI_OR_MOV_SS)
		return fail(why, n, "blocking by STI and by MOV SS both set");
	return NS_PASS;
}

CK(int_sti_if)
{
	if (!(interruptibility(c) & GUEST_INTR_STATE_STI))
		return NS_NA;
	return vmcs12_read(c, GUEST_RFLAGS) & X86_EFLAGS_IF ? NS_PASS : fail(why, n, "blocking by STI with RFLAGS.IF 0");
}

CK(int_injection)
{
	if (!event_valid(c) || !(event_type(c) == INTR_TYPE_EXT_INTR || event_type(c) == INTR_TYPE_NMI))
		return NS_NA;
	if (event_type(c) == INTR_TYPE_EXT_INTR && (interruptibility(c) & BLOCKING_BY_STI_OR_MOV_SS))
		return fail(why, n, "injecting an external interrupt under blocking by STI or MOV SS (0x%llx)",
			    (unsigned long long)interruptibility(c));
	if (event_type(c) == INTR_TYPE_NMI && (interruptibility(c) & GUEST_INTR_STATE_MOV_SS))
		return fail(why, n, "injecting an NMI under blocking by MOV SS");
	return NS_PASS;
}

static uint64_t pending_dbg(const struct chk *c)
{
	return vmcs12_read(c, GUEST_PENDING_DBG_EXCEPTIONS);
}

/* the bits the SDM defines (controls.def); the rest are reserved */
#define PENDING_DBG_DEFINED                                                                                            \
	(PENDING_DBG_B0 | PENDING_DBG_B1 | PENDING_DBG_B2 | PENDING_DBG_B3 | PENDING_DBG_ENABLED_BREAKPOINT |       \
	 PENDING_DBG_BS | PENDING_DBG_RTM)

CK(pending_dbg)
{
	if (pending_dbg(c) & ~PENDING_DBG_DEFINED)
		return fail(why, n, "pending debug exceptions 0x%llx set reserved bits", (unsigned long long)pending_dbg(c));
	return NS_PASS;
}

CK(pending_bs)
{
	bool tf = vmcs12_read(c, GUEST_RFLAGS) & X86_EFLAGS_TF, btf = vmcs12_read(c, GUEST_IA32_DEBUGCTL) & DEBUGCTLMSR_BTF;
	bool bs = pending_dbg(c) & PENDING_DBG_BS;

	if (!((interruptibility(c) & BLOCKING_BY_STI_OR_MOV_SS) || vmcs12_read(c, GUEST_ACTIVITY_STATE) == GUEST_ACTIVITY_HLT))
		return NS_NA;
	if (tf && !btf && !bs)
		return fail(why, n, "RFLAGS.TF 1 and DEBUGCTL.BTF 0 under blocking or HLT, yet BS is 0");
	if ((!tf || btf) && bs)
		return fail(why, n, "BS is 1 without single-stepping (TF 0 or BTF 1) under blocking or HLT");
	return NS_PASS;
}

/* ---- PDPTEs ---- */

/* PAE paging: CR0.PG, CR4.PAE, not IA-32e mode guest. */
static bool pae_paging(const struct chk *c)
{
	return (vmcs12_read(c, GUEST_CR0) & X86_CR0_PG) && (vmcs12_read(c, GUEST_CR4) & X86_CR4_PAE) && !ia32e_guest(c);
}

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
	static const enum vmcs_field pdptr[4] = { GUEST_PDPTR0, GUEST_PDPTR1, GUEST_PDPTR2, GUEST_PDPTR3 };
	uint64_t e[4];

	if (!pae_paging(c) || !nested_cpu_has2(c, SECONDARY_EXEC_ENABLE_EPT))
		return NS_NA;
	for (int i = 0; i < 4; i++)
		e[i] = vmcs12_read(c, pdptr[i]);
	return pdptes(c, e, "the VMCS's PDPTE field", why, n);
}

CK(pdpte_memory)
{
	uint64_t e[4], table = vmcs12_read(c, GUEST_CR3) & 0xffffffe0ull;
	uint8_t raw[32];

	if (!pae_paging(c) || nested_cpu_has2(c, SECONDARY_EXEC_ENABLE_EPT))
		return NS_NA;

	if (!mem_read(c, table, raw, sizeof(raw), "the PDPT at guest CR3", why, n))
		return NS_NOT_JUDGED;
	for (int i = 0; i < 4; i++)
		e[i] = le(raw + 8 * i, 8);
	return pdptes(c, e, "in L1's memory at CR3", why, n);
}

CK(link_region)
{
	uint64_t l = vmcs12_read(c, VMCS_LINK_POINTER);
	uint8_t b[4];
	uint32_t rev;
	bool shadow_ctl = nested_cpu_has2(c, SECONDARY_EXEC_SHADOW_VMCS);

	if (l == ~0ull || (l & 0xfff))
		return NS_NA;
	if (!mem_read(c, l, b, sizeof(b), "the region at the VMCS link pointer", why, n))
		return NS_NOT_JUDGED;
	rev = (uint32_t)le(b, sizeof(b));
	if (revision_id(rev) != revision_id(cap(c, MSR_IA32_VMX_BASIC)))
		return fail(why, n, "the region at link pointer 0x%llx has revision 0x%x, not 0x%x", (unsigned long long)l,
			    revision_id(rev), revision_id(cap(c, MSR_IA32_VMX_BASIC)));
	if (shadow_indicator(rev) != shadow_ctl)
		return fail(why, n, "the region at link pointer 0x%llx has shadow-VMCS indicator %u; VMCS shadowing is %d",
			    (unsigned long long)l, shadow_indicator(rev), shadow_ctl);
	return NS_PASS;
}

CK(link_pointer)
{
	uint64_t l = vmcs12_read(c, VMCS_LINK_POINTER);

	if (l == ~0ull)
		return NS_NA;
	return page_addr(c, l, "VMCS link pointer", why, n);
}

/* ---- rules on L1's CPUID ---- */

static const struct cpuid_bit {
	const char *name;
	uint32_t function, index;
	unsigned reg; /* 0 EAX, 1 EBX, 2 ECX, 3 EDX */
	unsigned bit;
} cpuid_bits[X86_FEATURE_COUNT] = {
#define EAX 0
#define EBX 1
#define ECX 2
#define EDX 3
#define CPUID_BIT(nm, fn, idx, reg, b) [X86_FEATURE_##nm] = { #nm, fn, idx, reg, b },
#include "sdm/cpuid.def"
#undef CPUID_BIT
#undef EAX
#undef EBX
#undef ECX
#undef EDX
};

/* Whether L1's CPUID has the feature; c->caps->have_cpuid says whether the answer is known.
 * A leaf L1 was not given reads as zeros, as CPUID returns for KVM's guests. */
bool cpuid_caps_has(const struct ns_vmx_caps *caps, enum cpuid_feature f)
{
	const struct cpuid_bit *b = &cpuid_bits[f];

	for (unsigned i = 0; i < caps->ncpuid && i < NS_MAX_CPUID_LEAVES; i++) {
		const struct ns_cpuid_leaf *l = &caps->cpuid[i];
		uint32_t r[4];

		if (l->function != b->function || l->index != b->index)
			continue;
		r[0] = l->eax, r[1] = l->ebx, r[2] = l->ecx, r[3] = l->edx;
		return (r[b->reg] >> b->bit) & 1;
	}
	return false;
}

static bool guest_cpuid_has(const struct chk *c, enum cpuid_feature f)
{
	return cpuid_caps_has(c->caps, f);
}

static const char *const reg_names[4] = { "EAX", "EBX", "ECX", "EDX" };

const char *cpuid_feature_name(enum cpuid_feature f)
{
	return cpuid_bits[f].name;
}

void cpuid_feature_where(enum cpuid_feature f, char *buf, size_t n)
{
	const struct cpuid_bit *b = &cpuid_bits[f];

	snprintf(buf, n, "CPUID.(EAX=%XH,ECX=%u):%s[%u] (%s)", b->function, b->index, reg_names[b->reg], b->bit, b->name);
}

/* "needs L1's CPUID.(EAX=07H,ECX=0):EBX[11] (RTM)": what a not-judged rule waits for */
static enum ns_verdict needs_cpuid(enum cpuid_feature f, const char *what, WHY)
{
	const struct cpuid_bit *b = &cpuid_bits[f];

	snprintf(why, n, "%s: needs L1's CPUID.(EAX=%XH,ECX=%u):%s[%u] (%s), from the dump's vCPU or caps cpuid lines", what,
		 b->function, b->index, reg_names[b->reg], b->bit, b->name);
	return NS_NOT_JUDGED;
}

/* The tail of a rule whose state is allowed only when L1's CPUID has feature f: not judged without CPUID. */
static enum ns_verdict cpuid_requires(const struct chk *c, enum cpuid_feature f, const char *what, WHY)
{
	if (!c->caps->have_cpuid)
		return needs_cpuid(f, what, why, n);
	if (!guest_cpuid_has(c, f))
		return fail(why, n, "%s, but L1's CPUID lacks %s", what, cpuid_bits[f].name);
	return NS_PASS;
}

/*
 * CR4 bits that are reserved unless L1's CPUID enumerates their feature
 * (KVM: __cr4_reserved_bits() on the guest's CPUID; on hardware the same
 * features bound IA32_VMX_CR4_FIXED1).  CET needs either shadow stacks or
 * indirect-branch tracking.
 */
static const struct {
	uint64_t cr4;
	enum cpuid_feature need, or_need;
} cr4_features[] = {
	{ X86_CR4_VME, X86_FEATURE_VME, X86_FEATURE_VME },
	{ X86_CR4_PVI, X86_FEATURE_VME, X86_FEATURE_VME },
	{ X86_CR4_DE, X86_FEATURE_DE, X86_FEATURE_DE },
	{ X86_CR4_PSE, X86_FEATURE_PSE, X86_FEATURE_PSE },
	{ X86_CR4_PAE, X86_FEATURE_PAE, X86_FEATURE_PAE },
	{ X86_CR4_MCE, X86_FEATURE_MCE, X86_FEATURE_MCE },
	{ X86_CR4_PGE, X86_FEATURE_PGE, X86_FEATURE_PGE },
	{ X86_CR4_OSFXSR, X86_FEATURE_FXSR, X86_FEATURE_FXSR },
	{ X86_CR4_OSXMMEXCPT, X86_FEATURE_XMM, X86_FEATURE_XMM },
	{ X86_CR4_UMIP, X86_FEATURE_UMIP, X86_FEATURE_UMIP },
	{ X86_CR4_LA57, X86_FEATURE_LA57, X86_FEATURE_LA57 },
	{ X86_CR4_VMXE, X86_FEATURE_VMX, X86_FEATURE_VMX },
	{ X86_CR4_SMXE, X86_FEATURE_SMX, X86_FEATURE_SMX },
	{ X86_CR4_FSGSBASE, X86_FEATURE_FSGSBASE, X86_FEATURE_FSGSBASE },
	{ X86_CR4_PCIDE, X86_FEATURE_PCID, X86_FEATURE_PCID },
	{ X86_CR4_OSXSAVE, X86_FEATURE_XSAVE, X86_FEATURE_XSAVE },
	{ X86_CR4_KL, X86_FEATURE_KL, X86_FEATURE_KL },
	{ X86_CR4_SMEP, X86_FEATURE_SMEP, X86_FEATURE_SMEP },
	{ X86_CR4_SMAP, X86_FEATURE_SMAP, X86_FEATURE_SMAP },
	{ X86_CR4_PKE, X86_FEATURE_PKU, X86_FEATURE_PKU },
	{ X86_CR4_CET, X86_FEATURE_SHSTK, X86_FEATURE_IBT },
	{ X86_CR4_PKS, X86_FEATURE_PKS, X86_FEATURE_PKS },
	{ X86_CR4_UINTR, X86_FEATURE_UINTR, X86_FEATURE_UINTR },
	{ X86_CR4_LASS, X86_FEATURE_LASS, X86_FEATURE_LASS },
	{ X86_CR4_LAM_SUP, X86_FEATURE_LAM, X86_FEATURE_LAM },
	{ X86_CR4_FRED, X86_FEATURE_FRED, X86_FEATURE_FRED },
};

size_t cr4_feature_count(void)
{
	return sizeof(cr4_features) / sizeof(cr4_features[0]);
}

uint64_t cr4_feature_at(size_t i, enum cpuid_feature *need, enum cpuid_feature *or_need)
{
	*need = cr4_features[i].need;
	*or_need = cr4_features[i].or_need;
	return cr4_features[i].cr4;
}

static enum ns_verdict cr4_cpuid(const struct chk *c, enum vmcs_field f, const char *who, WHY)
{
	uint64_t cr4 = vmcs12_read(c, f);

	if (!c->caps->have_cpuid) {
		/* name every feature the set bits need, so that the user knows which leaves to give */
		size_t len = (size_t)snprintf(why, n, "%s CR4 0x%llx: needs L1's CPUID for", who, (unsigned long long)cr4);
		bool any = false;

		for (size_t i = 0; i < sizeof(cr4_features) / sizeof(cr4_features[0]) && len < n; i++)
			if (cr4 & cr4_features[i].cr4) {
				len += (size_t)snprintf(why + len, n - len, " %s", cpuid_bits[cr4_features[i].need].name);
				any = true;
			}
		if (!any)
			return NS_PASS;
		if (len < n)
			snprintf(why + len, n - len, " (the dump's vCPU, or caps cpuid lines)");
		return NS_NOT_JUDGED;
	}
	for (size_t i = 0; i < sizeof(cr4_features) / sizeof(cr4_features[0]); i++) {
		enum cpuid_feature need = cr4_features[i].need, alt = cr4_features[i].or_need;

		if (!(cr4 & cr4_features[i].cr4))
			continue;
		if (!guest_cpuid_has(c, need) && !guest_cpuid_has(c, alt))
			return fail(why, n, "%s CR4 0x%llx sets bit 0x%llx, but L1's CPUID lacks %s%s%s", who,
				    (unsigned long long)cr4, (unsigned long long)cr4_features[i].cr4, cpuid_bits[need].name,
				    alt != need ? " and " : "", alt != need ? cpuid_bits[alt].name : "");
	}
	return NS_PASS;
}

CK(guest_cr4_cpuid)
{
	return cr4_cpuid(c, GUEST_CR4, "guest", why, n);
}

CK(host_cr4_cpuid)
{
	return cr4_cpuid(c, HOST_CR4, "host", why, n);
}

/* Load CET state and load PKRS, on entry or exit, need the feature in L1's CPUID. */
CK(cet_pks_cpuid)
{
	bool cet = nested_entry_has(c, VM_ENTRY_LOAD_CET_STATE) || nested_exit_has(c, VM_EXIT_LOAD_CET_STATE);
	bool pks = nested_entry_has(c, VM_ENTRY_LOAD_PKRS) || nested_exit_has(c, VM_EXIT_LOAD_PKRS);

	if (!cet && !pks)
		return NS_NA;
	if (!c->caps->have_cpuid)
		return needs_cpuid(cet ? X86_FEATURE_SHSTK : X86_FEATURE_PKS, cet ? "load CET state" : "load PKRS", why, n);
	if (cet && !guest_cpuid_has(c, X86_FEATURE_SHSTK) && !guest_cpuid_has(c, X86_FEATURE_IBT))
		return fail(why, n, "load CET state, but L1's CPUID has neither SHSTK nor IBT");
	return pks ? cpuid_requires(c, X86_FEATURE_PKS, "load PKRS", why, n) : NS_PASS;
}

CK(int_enclave)
{
	if (!(interruptibility(c) & GUEST_INTR_STATE_ENCLAVE_INTERRUPTION))
		return NS_NA;
	if (interruptibility(c) & GUEST_INTR_STATE_MOV_SS)
		return fail(why, n, "enclave interruption with blocking by MOV SS (0x%llx)",
			    (unsigned long long)interruptibility(c));
	return cpuid_requires(c, X86_FEATURE_SGX, "enclave interruption", why, n);
}

CK(pending_rtm)
{
	uint64_t p = pending_dbg(c);
	/* every bit below RTM's but the enabled breakpoint's: bits 11:0 and 15:13 (BS among them) */
	const uint64_t must_be_0 = (PENDING_DBG_RTM - 1) & ~(uint64_t)PENDING_DBG_ENABLED_BREAKPOINT;

	if (!(p & PENDING_DBG_RTM))
		return NS_NA;
	if (p & must_be_0)
		return fail(why, n, "pending debug exceptions 0x%llx: with RTM, bits 11:0 and 15:13 must be 0",
			    (unsigned long long)p);
	if (!(p & PENDING_DBG_ENABLED_BREAKPOINT))
		return fail(why, n, "pending debug exceptions 0x%llx: with RTM, bit 12 (enabled breakpoint) must be 1",
			    (unsigned long long)p);
	if (interruptibility(c) & GUEST_INTR_STATE_MOV_SS)
		return fail(why, n, "pending RTM debug exception with blocking by MOV SS");
	return cpuid_requires(c, X86_FEATURE_RTM, "pending RTM debug exception", why, n);
}

/* ---- injection rules the SDM states apart ---- */

CK(activity_hlt_injection)
{
	uint64_t t = event_type(c), v = event_vector(c);

	if (!event_valid(c) || vmcs12_read(c, GUEST_ACTIVITY_STATE) != GUEST_ACTIVITY_HLT)
		return NS_NA;
	if (t == INTR_TYPE_EXT_INTR || t == INTR_TYPE_NMI ||
	    (t == INTR_TYPE_HW_EXCEPTION && (v == X86_TRAP_DB || v == X86_TRAP_MC)) || (t == INTR_TYPE_OTHER_EVENT && v == 0))
		return NS_PASS;
	return fail(why, n, "injecting event 0x%llx (type %llu, vector %llu) in the HLT state", (unsigned long long)event(c),
		    (unsigned long long)t, (unsigned long long)v);
}

CK(int_virtual_nmi)
{
	if (!nested_pin_has(c, PIN_BASED_VIRTUAL_NMIS) || !event_valid(c) || event_type(c) != INTR_TYPE_NMI)
		return NS_NA;
	if (interruptibility(c) & GUEST_INTR_STATE_NMI)
		return fail(why, n, "injecting an NMI with virtual NMIs under blocking by NMI (0x%llx)",
			    (unsigned long long)interruptibility(c));
	return NS_PASS;
}

/* ---- IA32_DEBUGCTL ---- */

/* the bits the SDM defines (controls.def); bits 5:3 and 63:16 are reserved on every processor */
#define DEBUGCTL_DEFINED                                                                                               \
	(DEBUGCTLMSR_LBR | DEBUGCTLMSR_BTF | DEBUGCTLMSR_BUS_LOCK_DETECT | DEBUGCTLMSR_TR | DEBUGCTLMSR_BTS |        \
	 DEBUGCTLMSR_BTINT | DEBUGCTLMSR_BTS_OFF_OS | DEBUGCTLMSR_BTS_OFF_USR | DEBUGCTLMSR_FREEZE_LBRS_ON_PMI |      \
	 DEBUGCTLMSR_FREEZE_PERFMON_ON_PMI | DEBUGCTLMSR_ENABLE_UNCORE_PMI | DEBUGCTLMSR_FREEZE_WHILE_SMM |           \
	 DEBUGCTLMSR_RTM_DEBUG)

/* An IA32_DEBUGCTL value for L1's vCPU: the defined bits it sets are model-specific, so those need the vCPU's mask. */
static enum ns_verdict debugctl(const struct chk *c, uint64_t v, const char *who, WHY)
{
	if (v & ~DEBUGCTL_DEFINED)
		return fail(why, n, "%s IA32_DEBUGCTL 0x%llx sets reserved bits 0x%llx", who, (unsigned long long)v,
			    (unsigned long long)(v & ~DEBUGCTL_DEFINED));
	if (!v)
		return NS_PASS;
	if (!c->caps->have_debugctl_supported) {
		snprintf(why, n, "%s IA32_DEBUGCTL 0x%llx: needs the IA32_DEBUGCTL bits L1's vCPU supports "
			 "(caps line debugctl_supported)", who, (unsigned long long)v);
		return NS_NOT_JUDGED;
	}
	if (v & ~c->caps->debugctl_supported)
		return fail(why, n, "%s IA32_DEBUGCTL 0x%llx sets 0x%llx, which L1's vCPU does not support (supported 0x%llx)",
			    who, (unsigned long long)v, (unsigned long long)(v & ~c->caps->debugctl_supported),
			    (unsigned long long)c->caps->debugctl_supported);
	return NS_PASS;
}

CK(guest_debugctl)
{
	if (!nested_entry_has(c, VM_ENTRY_LOAD_DEBUG_CONTROLS))
		return NS_NA;
	return debugctl(c, vmcs12_read(c, GUEST_IA32_DEBUGCTL), "guest", why, n);
}

/* ---- L1's own state at VMLAUNCH ---- */

CK(host_as_l1)
{
	bool host64 = nested_exit_has(c, VM_EXIT_HOST_ADDR_SPACE_SIZE), ia32e = ia32e_guest(c);

	if (!c->caps->have_l1_efer) {
		snprintf(why, n, "needs L1's IA32_EFER at VM entry: %s",
			 c->caps->l1_efer_missing[0] ? c->caps->l1_efer_missing : "give --l1-efer or a caps line l1_efer");
		return NS_NOT_JUDGED;
	}
	if ((c->caps->l1_efer & EFER_LMA) && !host64)
		return fail(why, n, "L1 is in IA-32e mode (IA32_EFER 0x%llx) but host address-space size is 0",
			    (unsigned long long)c->caps->l1_efer);
	if (!(c->caps->l1_efer & EFER_LMA) && (host64 || ia32e))
		return fail(why, n, "L1 is outside IA-32e mode (IA32_EFER 0x%llx) with %s", (unsigned long long)c->caps->l1_efer,
			    host64 && ia32e ? "host address-space size and IA-32e mode guest 1"
			    : host64 ? "host address-space size 1" : "IA-32e mode guest 1");
	return NS_PASS;
}

/* ---- the VM-entry MSR-load list ("Loading MSRs") ---- */

/* An entry: MSR index 31:0, reserved 63:32, then the value (SDM "VM-Entry Controls for MSRs"). */
struct msr_entry {
	uint32_t index, reserved;
	uint64_t value;
};

/* IA32_VMX_MISC[27:25]: the recommended maximum number of MSRs in a list is 512 * (N + 1). */
static uint64_t misc_msr_list_max(uint64_t misc)
{
	return 512 * (((misc >> 25) & 7) + 1);
}

/* The largest recommended maximum (N = 7): entries past it are not read (msr_load.count fails such a list). */
#define MSR_LIST_READ_MAX 4096u

enum msr_value_rule { MSR_ANY, MSR_CANONICAL, MSR_LOW32, MSR_EFER, MSR_PAT, MSR_DEBUGCTL, MSR_PERF_GLOBAL_CTRL, MSR_NEVER };

static const struct {
	uint32_t index;
	const char *name;
	enum msr_value_rule value;
} arch_msrs[] = {
#define ARCH_MSR(i, nm, v) { i, #nm, MSR_##v },
#include "sdm/msrs.def"
#undef ARCH_MSR
};

static int arch_msr_at(uint32_t index)
{
	for (size_t i = 0; i < sizeof(arch_msrs) / sizeof(arch_msrs[0]); i++)
		if (arch_msrs[i].index == index)
			return (int)i;
	return -1;
}

static const char *arch_msr_name(uint32_t index)
{
	int i = arch_msr_at(index);

	return i < 0 ? (index >= MSR_X2APIC_FIRST && index <= MSR_X2APIC_LAST ? "an x2APIC MSR" : "not named") :
		       arch_msrs[i].name;
}

typedef enum ns_verdict (*msr_entry_rule)(const struct chk *c, const struct msr_entry *e, WHY);

/*
 * Runs rule on each entry of the VM-entry MSR-load list, read from L1's
 * memory; a failure names the entry by its 1-based index, the number the
 * processor puts in the exit qualification of a VM-entry failure due to
 * MSR loading (exit reason 34).
 */
static enum ns_verdict each_msr_entry(const struct chk *c, msr_entry_rule rule, WHY)
{
	uint64_t count = vmcs12_read(c, VM_ENTRY_MSR_LOAD_COUNT), addr = vmcs12_read(c, VM_ENTRY_MSR_LOAD_ADDR);
	enum ns_verdict verdict = NS_PASS;

	if (!count)
		return NS_NA;
	if (count > MSR_LIST_READ_MAX)
		count = MSR_LIST_READ_MAX;
	for (uint64_t i = 0; i < count; i++) {
		uint8_t raw[16];
		struct msr_entry e;
		char what[64], entry_why[200];

		snprintf(what, sizeof(what), "entry %llu of the VM-entry MSR-load list", (unsigned long long)i + 1);
		if (!mem_read(c, addr + 16 * i, raw, sizeof(raw), what, why, n))
			return NS_NOT_JUDGED;
		e.index = (uint32_t)le(raw, 4);
		e.reserved = (uint32_t)le(raw + 4, 4);
		e.value = le(raw + 8, 8);
		switch (rule(c, &e, entry_why, sizeof(entry_why))) {
		case NS_FAIL:
			return fail(why, n, "entry %llu (MSR 0x%x, %s): %s (VM-entry failure, exit reason 34, qualification %llu)",
				    (unsigned long long)i + 1, e.index, arch_msr_name(e.index), entry_why,
				    (unsigned long long)i + 1);
		case NS_NOT_JUDGED:
			if (verdict != NS_NOT_JUDGED)
				snprintf(why, n, "entry %llu (MSR 0x%x): %s", (unsigned long long)i + 1, e.index, entry_why);
			verdict = NS_NOT_JUDGED;
			break;
		default:
			break;
		}
	}
	return verdict;
}

CK(msr_load_count)
{
	uint64_t count = vmcs12_read(c, VM_ENTRY_MSR_LOAD_COUNT);

	if (!count)
		return NS_NA;
	if (!have_cap(c, MSR_IA32_VMX_MISC)) {
		snprintf(why, n, "needs IA32_VMX_MISC for the recommended maximum (give the capabilities)");
		return NS_NOT_JUDGED;
	}
	if (count > misc_msr_list_max(cap(c, MSR_IA32_VMX_MISC)))
		return fail(why, n, "VM-entry MSR-load count %llu exceeds 512 x (IA32_VMX_MISC[27:25] + 1) = %llu",
			    (unsigned long long)count, (unsigned long long)misc_msr_list_max(cap(c, MSR_IA32_VMX_MISC)));
	return NS_PASS;
}

static enum ns_verdict entry_reserved(const struct chk *c, const struct msr_entry *e, WHY)
{
	(void)c;
	return e->reserved ? fail(why, n, "bits 63:32 of the first quadword are 0x%x", e->reserved) : NS_PASS;
}

CK(msr_load_reserved)
{
	return each_msr_entry(c, entry_reserved, why, n);
}

static enum ns_verdict entry_index(const struct chk *c, const struct msr_entry *e, WHY)
{
	(void)c;
	if (e->index == MSR_IA32_FS_BASE || e->index == MSR_IA32_GS_BASE)
		return fail(why, n, "FS and GS base are loaded from the guest-state area, never from the list");
	if (e->index >= MSR_X2APIC_FIRST && e->index <= MSR_X2APIC_LAST)
		return fail(why, n, "the x2APIC MSRs 800H-8FFH may not be loaded");
	if (e->index == MSR_IA32_SMM_MONITOR_CTL)
		return fail(why, n, "IA32_SMM_MONITOR_CTL can be written only in SMM");
	if (e->index == MSR_IA32_BIOS_UPDT_TRIG || e->index == MSR_IA32_BIOS_SIGN_ID)
		return fail(why, n, "the microcode-update MSRs may not be loaded on VM entry");
	return NS_PASS;
}

CK(msr_load_index)
{
	return each_msr_entry(c, entry_index, why, n);
}

/* IA32_EFER's bits L1 may set, each with the CPUID feature KVM (and the processor) requires for it. */
static const struct {
	uint64_t bit;
	enum cpuid_feature need;
} efer_features[] = {
	{ EFER_SCE, X86_FEATURE_SYSCALL },
	{ EFER_LME, X86_FEATURE_LM },
	{ EFER_LMA, X86_FEATURE_LM },
	{ EFER_NXE, X86_FEATURE_NX },
};

static enum ns_verdict efer_value(const struct chk *c, uint64_t v, WHY)
{
	uint64_t defined = 0;

	for (size_t i = 0; i < sizeof(efer_features) / sizeof(efer_features[0]); i++)
		defined |= efer_features[i].bit;
	if (v & ~defined)
		return fail(why, n, "IA32_EFER 0x%llx sets bits 0x%llx an Intel processor reserves", (unsigned long long)v,
			    (unsigned long long)(v & ~defined));
	for (size_t i = 0; i < sizeof(efer_features) / sizeof(efer_features[0]); i++) {
		if (!(v & efer_features[i].bit))
			continue;
		if (!c->caps->have_cpuid)
			return needs_cpuid(efer_features[i].need, "IA32_EFER", why, n);
		if (!guest_cpuid_has(c, efer_features[i].need))
			return fail(why, n, "IA32_EFER 0x%llx sets 0x%llx, but L1's CPUID lacks %s", (unsigned long long)v,
				    (unsigned long long)efer_features[i].bit, cpuid_bits[efer_features[i].need].name);
	}
	return NS_PASS;
}

static enum ns_verdict entry_value(const struct chk *c, const struct msr_entry *e, WHY)
{
	int i = arch_msr_at(e->index);

	if (i < 0) {
		snprintf(why, n, "which values WRMSR accepts for this MSR is model-specific, not modelled");
		return NS_NOT_JUDGED;
	}
	switch (arch_msrs[i].value) {
	case MSR_ANY:
	case MSR_NEVER: /* msr_load.index judges it */
		return NS_PASS;
	case MSR_CANONICAL:
		return canonical(e->value) ? NS_PASS : fail(why, n, "value 0x%llx is not canonical", (unsigned long long)e->value);
	case MSR_LOW32:
		return e->value >> 32 ? fail(why, n, "value 0x%llx sets bits 63:32", (unsigned long long)e->value) : NS_PASS;
	case MSR_EFER:
		return efer_value(c, e->value, why, n);
	case MSR_PAT:
		return pat(e->value, "the value", why, n);
	case MSR_DEBUGCTL:
		return debugctl(c, e->value, "the value", why, n);
	case MSR_PERF_GLOBAL_CTRL:
		return perf_global_ctrl(c, e->value, "the value", why, n);
	}
	return NS_PASS;
}

CK(msr_load_value)
{
	return each_msr_entry(c, entry_value, why, n);
}

/* ---- the table ---- */

/* checks.def's SECTION column: the SDM section titles */
#define SEC_BASIC "Basic VM-Entry Checks"
#define SEC_EXEC "Checks on VMX Controls: VM-Execution Control Fields"
#define SEC_EXIT "Checks on VMX Controls: VM-Exit Control Fields"
#define SEC_ENTRY "Checks on VMX Controls: VM-Entry Control Fields"
#define SEC_HOST_CR "Checks on Host Control Registers, MSRs, and SSP"
#define SEC_HOST_SEG "Checks on Host Segment and Descriptor-Table Registers"
#define SEC_HOST_AS "Checks Related to Address-Space Size"
#define SEC_GUEST_CR "Checks on Guest Control Registers, Debug Registers, and MSRs"
#define SEC_GUEST_SEG "Checks on Guest Segment Registers"
#define SEC_GUEST_DT "Checks on Guest Descriptor-Table Registers"
#define SEC_GUEST_RIP "Checks on Guest RIP, RFLAGS, and SSP"
#define SEC_GUEST_NR "Checks on Guest Non-Register State"
#define SEC_GUEST_PDPTE "Checks on Guest Page-Directory-Pointer-Table Entries"
#define SEC_MSR_LOAD "Loading MSRs"

static const struct ns_rule rules[] = {
#define CHECK(fn, id, sec, text, fields) { id, SEC_##sec, text, fields },
#include "sdm/checks.def"
#undef CHECK
};

typedef enum ns_verdict (*check_fn)(const struct chk *, char *, size_t);

static const check_fn fns[] = {
#define CHECK(fn, id, sec, text, fields) chk_##fn,
#include "sdm/checks.def"
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
	out->n = out->pass = out->fail = out->na = out->not_judged = 0;
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
		out->not_judged += r->verdict == NS_NOT_JUDGED;
	}
}

/* ---- capabilities ---- */

/* What KVM 6.1 (Debian 6.1.0-56) offered L1 inside Bochs 2.7's corei7_skylake_x, as
 * the sample harness read them (samples/<kernel>/manifest.json, capability_msrs). */
#define CAP(msr, value) [CAP_INDEX(MSR_##msr)] = value
static const uint64_t kvm61_bochs[NS_CAP_MSRS] = {
	CAP(IA32_VMX_BASIC, 0x00d8100011e57ed0ull),
	CAP(IA32_VMX_PINBASED_CTLS, 0x0000007f00000016ull),
	CAP(IA32_VMX_PROCBASED_CTLS, 0xf7f9fffe0401e172ull),
	CAP(IA32_VMX_EXIT_CTLS, 0x007fffff00036dffull),
	CAP(IA32_VMX_ENTRY_CTLS, 0x0000f3ff000011ffull),
	CAP(IA32_VMX_MISC, 0x0000000020000165ull),
	CAP(IA32_VMX_CR0_FIXED0, 0x0000000080000021ull),
	CAP(IA32_VMX_CR0_FIXED1, 0x00000000ffffffffull),
	CAP(IA32_VMX_CR4_FIXED0, 0x0000000000002000ull),
	CAP(IA32_VMX_CR4_FIXED1, 0x0000000000332fffull),
	CAP(IA32_VMX_VMCS_ENUM, 0x0000000000000032ull),
	CAP(IA32_VMX_PROCBASED_CTLS2, 0x02037bff00000000ull),
	CAP(IA32_VMX_EPT_VPID_CAP, 0x00000f0106334041ull),
	CAP(IA32_VMX_TRUE_PINBASED_CTLS, 0x0000007f00000016ull),
	CAP(IA32_VMX_TRUE_PROCBASED_CTLS, 0xf7f9fffe04006172ull),
	CAP(IA32_VMX_TRUE_EXIT_CTLS, 0x007fffff00036dfbull),
	CAP(IA32_VMX_TRUE_ENTRY_CTLS, 0x0000f3ff000011fbull),
	CAP(IA32_VMX_VMFUNC, 0x0000000000000001ull),
	/* IA32_VMX_PROCBASED_CTLS3: KVM 6.1 does not offer it */
};
#undef CAP

bool ns_caps_profile(const char *name, struct ns_vmx_caps *caps)
{
	if (strcmp(name, "kvm-6.1-bochs-skylake-x"))
		return false;
	memset(caps, 0, sizeof(*caps));
	for (int i = 0; i < NS_CAP_MSRS; i++) {
		caps->msr[i] = kvm61_bochs[i];
		caps->have[i] = i != CAP_INDEX(MSR_IA32_VMX_PROCBASED_CTLS3);
	}
	caps->maxphyaddr = 40; /* Bochs's default physical-address width */
	snprintf(caps->source, sizeof(caps->source), "built-in profile kvm-6.1-bochs-skylake-x");
	return true;
}

const char *ns_caps_profile_names(void) { return "kvm-6.1-bochs-skylake-x"; }

const char *ns_caps_msr_name(unsigned i)
{
	return i < NS_CAP_MSRS ? vmx_msr_name(MSR_IA32_VMX_BASIC + i) : NULL;
}

/* "IA32_VMX_BASIC", "MSR_IA32_VMX_BASIC" (Linux's name), "0x480" or "480H": the capability MSR's index, or -1 */
static int caps_msr_index(const char *key)
{
	char *end;
	unsigned long msr;

	if (!strncmp(key, "MSR_", 4))
		key += 4;
	for (int i = 0; i < NS_CAP_MSRS; i++)
		if (!strcmp(key, vmx_msr_name(MSR_IA32_VMX_BASIC + (unsigned)i)))
			return i;
	msr = strtoul(key, &end, 16);
	if (end == key || (*end && strcmp(end, "H") && strcmp(end, "h")) ||
	    (strncmp(key, "0x", 2) && strncmp(key, "0X", 2) && !*end && strspn(key, "0123456789") != strlen(key)))
		return -1;
	/* "0x480", "480H" and "480" are hexadecimal: MSR indices are written so */
	if (msr < MSR_IA32_VMX_BASIC || msr >= MSR_IA32_VMX_BASIC + NS_CAP_MSRS)
		return -1;
	return (int)(msr - MSR_IA32_VMX_BASIC);
}

/* A number of a caps line; MSR values are hexadecimal with or without 0x, as rdmsr prints them. */
static bool caps_number(const char *s, bool hex, unsigned long long *v, const char **rest)
{
	char *end;

	s += strspn(s, " \t");
	if (!*s || *s == '-')
		return false;
	*v = strtoull(s, &end, hex ? 16 : 0);
	if (end == s || (*end && *end != ' ' && *end != '\t' && *end != '#'))
		return false;
	*rest = end;
	return true;
}

/*
 * One parser for both architectures' caps files: VMX wants IA32_VMX_BASIC and
 * assumes MAXPHYADDR 46 when no line gives it; SVM (ns_caps_parse_svm) reads
 * the cpuid and maxphyaddr lines and leaves MAXPHYADDR unknown (0) otherwise.
 */
static int caps_parse(const char *text, size_t len, const char *origin, bool vmx, struct ns_vmx_caps *caps,
		      struct ns_error *err)
{
	char line[256], key[64];
	size_t pos = 0;
	unsigned lineno = 0, got = 0;

	memset(caps, 0, sizeof(*caps));
	caps->maxphyaddr = vmx ? 46 : 0;
	while (ns_text_next_line(text, len, &pos, line, sizeof(line))) {
		unsigned long long v;
		const char *rest;
		int at, idx;

		lineno++;
		/* rdmsr-style "0x480: d81000..." and "0x480 = d81000...": the separator is punctuation */
		for (char *p = line; *p && *p != '#'; p++)
			if (*p == ':' || *p == '=')
				*p = ' ';
		if (!line[strspn(line, " \t")] || line[strspn(line, " \t")] == '#')
			continue;
		if (sscanf(line, "%63s %n", key, &at) != 1 || !line[at])
			return ns_fail(err, NS_ERR_FORMAT, "%s:%u: want NAME VALUE", origin, lineno);
		if (!strcmp(key, "cpuid")) {
			unsigned long long f[6];
			const char *p = line + at;

			for (int i = 0; i < 6; i++)
				if (!caps_number(p, false, &f[i], &p) || f[i] > 0xffffffffull)
					return ns_fail(err, NS_ERR_FORMAT,
						       "%s:%u: want 'cpuid FUNCTION INDEX EAX EBX ECX EDX' (32-bit numbers)",
						       origin, lineno);
			if (caps->ncpuid >= NS_MAX_CPUID_LEAVES)
				return ns_fail(err, NS_ERR_FORMAT, "%s:%u: more than %d CPUID leaves", origin, lineno,
					       NS_MAX_CPUID_LEAVES);
			caps->cpuid[caps->ncpuid++] = (struct ns_cpuid_leaf){ (uint32_t)f[0], (uint32_t)f[1], (uint32_t)f[2],
									     (uint32_t)f[3], (uint32_t)f[4], (uint32_t)f[5] };
			caps->have_cpuid = true;
			continue;
		}
		idx = caps_msr_index(key);
		if (!caps_number(line + at, idx >= 0, &v, &rest) ||
		    (rest[strspn(rest, " \t")] && rest[strspn(rest, " \t")] != '#'))
			return ns_fail(err, NS_ERR_FORMAT, "%s:%u: want NAME VALUE", origin, lineno);
		if (idx >= 0) {
			caps->msr[idx] = v;
			caps->have[idx] = true;
			got++;
		} else if (!strcmp(key, "perf_global_ctrl_reserved")) {
			caps->perf_global_ctrl_reserved = v;
			caps->have_perf_global_ctrl_reserved = true;
		} else if (!strcmp(key, "debugctl_supported")) {
			caps->debugctl_supported = v;
			caps->have_debugctl_supported = true;
		} else if (!strcmp(key, "l1_efer")) {
			caps->l1_efer = v;
			caps->have_l1_efer = true;
		} else if (!strcmp(key, "maxphyaddr")) {
			if (v < 32 || v > 52)
				return ns_fail(err, NS_ERR_FORMAT, "%s:%u: maxphyaddr %llu is not 32..52", origin, lineno, v);
			caps->maxphyaddr = (unsigned)v;
		} else {
			/* the MSRs' 19 names do not fit the one line an error has: --help lists them */
			return ns_fail(err, NS_ERR_FORMAT,
				       "%s:%u: unknown name %.40s: want a VMX capability MSR by SDM name (IA32_VMX_BASIC ... "
				       "IA32_VMX_PROCBASED_CTLS3, listed by check --help) or index 0x480-0x%x, maxphyaddr, "
				       "cpuid, perf_global_ctrl_reserved, debugctl_supported or l1_efer",
				       origin, lineno, key, MSR_IA32_VMX_BASIC + NS_CAP_MSRS - 1);
		}
	}
	if (!vmx) {
		snprintf(caps->source, sizeof(caps->source), "file %s (%u CPUID leaves)", origin, caps->ncpuid);
		return NS_OK;
	}
	if (!caps->have[CAP_INDEX(MSR_IA32_VMX_BASIC)])
		return ns_fail(err, NS_ERR_FORMAT, "%s: no IA32_VMX_BASIC", origin);
	snprintf(caps->source, sizeof(caps->source), "file %s (%u MSRs%s%s)", origin, got,
		 caps->have_cpuid ? ", CPUID" : "", caps->have_l1_efer ? ", L1's IA32_EFER" : "");
	return NS_OK;
}

int ns_caps_parse(const char *text, size_t len, const char *origin, struct ns_vmx_caps *caps, struct ns_error *err)
{
	return caps_parse(text, len, origin, true, caps, err);
}

int ns_caps_parse_svm(const char *text, size_t len, const char *origin, struct ns_vmx_caps *caps, struct ns_error *err)
{
	int rc = caps_parse(text, len, origin, false, caps, err);

	if (rc)
		return rc;
	if (!caps->have_cpuid && !caps->maxphyaddr)
		return ns_fail(err, NS_ERR_FORMAT, "%s: no 'cpuid' or 'maxphyaddr' line: nothing L1 was offered", origin);
	/* CPUID 80000008h EAX[7:0], the physical-address width L1 sees, unless a maxphyaddr line said it */
	for (unsigned i = 0; !caps->maxphyaddr && i < caps->ncpuid; i++)
		if (caps->cpuid[i].function == 0x80000008u && caps->cpuid[i].index == 0)
			caps->maxphyaddr = caps->cpuid[i].eax & 0xff;
	return NS_OK;
}
