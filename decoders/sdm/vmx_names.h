/*
 * The VMX tables as C names, so that code says GUEST_RIP, never 0x681e, and
 * a rule reads as KVM's nested.c reads.  Every name is generated here by
 * X-macros from the table that defines it once:
 *
 *   fields.def        enum vmcs_field: GUEST_RIP, SECONDARY_VM_EXEC_CONTROL ...
 *   controls.def      control and register bits as masks, each table with the
 *                     prefix Linux gives it (below): PIN_BASED_NMI_EXITING,
 *                     SECONDARY_EXEC_ENABLE_PML, X86_CR4_PAE, VMX_AR_UNUSABLE ...
 *   exit_reasons.def  EXIT_REASON_VMCALL ...
 *   vmx_msrs.def      the capability MSRs: MSR_IA32_VMX_BASIC ...
 *   values.def        enumerated values: INTR_TYPE_NMI, GUEST_ACTIVITY_HLT,
 *                     X86_MEMTYPE_WB, X86_TRAP_PF ...
 *   msrs.def          architectural MSRs a VM-entry MSR-load list names: MSR_IA32_EFER ...
 *   cpuid.def         CPUID feature flags: X86_FEATURE_SGX, X86_FEATURE_RTM ...
 *
 * Private to libnestscope and the sample harness: the .def files live next
 * to the catalog and are not installed.
 */
#ifndef NESTSCOPE_VMX_NAMES_H
#define NESTSCOPE_VMX_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* VMCS field encodings, by Linux's enum vmcs_field names (fields.def). */
enum vmcs_field {
#define FIELD(enc, name, linux, sdm, width, type, dec) name = enc,
#include "sdm/fields.def"
#undef FIELD
};

/*
 * controls.def drops each bit's prefix; its TABLE column gives it back.  Each
 * prefix macro pastes the name as given: a name that happens to be a macro
 * elsewhere (B0 is one in <termios.h>) is never expanded.
 */
#define NS_PREFIX_PIN(s) PIN_BASED##s
#define NS_PREFIX_PROC(s) CPU_BASED##s
#define NS_PREFIX_PROC2(s) SECONDARY_EXEC##s
#define NS_PREFIX_PROC3(s) TERTIARY_EXEC##s
#define NS_PREFIX_EXIT(s) VM_EXIT##s
#define NS_PREFIX_EXIT2(s) SECONDARY_VM_EXIT##s
#define NS_PREFIX_ENTRY(s) VM_ENTRY##s
#define NS_PREFIX_VMFUNC(s) VMX_VMFUNC##s
#define NS_PREFIX_CR0(s) X86_CR0##s
#define NS_PREFIX_CR4(s) X86_CR4##s
#define NS_PREFIX_EFER(s) EFER##s
#define NS_PREFIX_RFLAGS(s) X86_EFLAGS##s
#define NS_PREFIX_DR7(s) DR7##s
#define NS_PREFIX_DEBUGCTL(s) DEBUGCTLMSR##s
#define NS_PREFIX_INTERRUPTIBILITY(s) GUEST_INTR_STATE##s
#define NS_PREFIX_PENDING_DBG(s) PENDING_DBG##s
#define NS_PREFIX_DBG_QUAL(s) DBG_QUAL##s
#define NS_PREFIX_PFEC(s) PFERR##s
#define NS_PREFIX_AR(s) VMX_AR##s
#define NS_PREFIX_INTR_INFO(s) INTR_INFO##s
#define NS_PREFIX_EPTP(s) VMX_EPTP##s
#define NS_PREFIX_IO_QUAL(s) IO_QUAL##s
#define NS_PREFIX_APIC_ACCESS_QUAL(s) APIC_ACCESS_QUAL##s
#define NS_PREFIX_EPT_VIOLATION(s) EPT_VIOLATION##s
#define NS_PREFIX_EXIT_REASON_FLAGS(s) VMX_EXIT_REASONS##s
#define NS_PREFIX_VMX_BASIC(s) VMX_BASIC##s
#define NS_PREFIX_VMX_MISC(s) VMX_MISC##s
#define NS_PREFIX_EPT_VPID_CAP(s) VMX_EPT_VPID_CAP##s

/*
 * The bits as 64-bit masks, as Linux's asm/vmx.h defines them.  Constants,
 * not enumerators: C11 enumerators are ints, and these reach bit 63.  Each
 * file uses a few: the others are no news (-Wunused-const-variable=2).
 */
#define BIT(table, bit, name) \
	static const uint64_t NS_PREFIX_##table(_##name) __attribute__((unused)) = 1ull << (bit);
#include "sdm/controls.def"
#undef BIT

/* Basic exit reasons (exit_reasons.def). */
enum vmx_exit_reason {
#define REASON(nr, name, what) EXIT_REASON_##name = nr,
#include "sdm/exit_reasons.def"
#undef REASON
};

/* The capability MSRs by index (vmx_msrs.def). */
enum vmx_msr {
#define MSR(index, name) MSR_##name = index,
#include "sdm/vmx_msrs.def"
#undef MSR
};

/* A capability MSR's name ("IA32_VMX_BASIC"), or NULL. */
static inline const char *vmx_msr_name(unsigned index)
{
	switch (index) {
#define MSR(i, name) case i: return #name;
#include "sdm/vmx_msrs.def"
#undef MSR
	}
	return NULL;
}

/* Enumerated values of fields and events (values.def). */
enum vmx_value {
#define VALUE(table, n, name, text) table##_##name = n,
#include "sdm/values.def"
#undef VALUE
};

/* Architectural MSRs a VM-entry MSR-load list may name (msrs.def): MSR_IA32_EFER ... */
enum arch_msr {
#define ARCH_MSR(index, name, value) MSR_##name = index,
#include "sdm/msrs.def"
#undef ARCH_MSR
};

/* The x2APIC MSRs, 800H-8FFH: an MSR-load list may not name them. */
#define MSR_X2APIC_FIRST 0x800u
#define MSR_X2APIC_LAST 0x8ffu

/* CPUID feature flags (cpuid.def), Linux's X86_FEATURE_* names. */
enum cpuid_feature {
#define CPUID_BIT(name, fn, idx, reg, bit) X86_FEATURE_##name,
#include "sdm/cpuid.def"
#undef CPUID_BIT
	X86_FEATURE_COUNT
};

#endif
