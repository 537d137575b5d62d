/*
 * The Intel SDM's VM-entry checks ("Checks on VMX Controls and Host-State
 * Area", "Checks on the Guest-State Area") run on a vmcs12, judged against
 * the VMX capabilities L1 was offered.  The rules are data (checks.def):
 * a stable id, the SDM section title, one sentence, the fields read.
 */
#ifndef NESTSCOPE_CHECKS_H
#define NESTSCOPE_CHECKS_H

#include "layout.h"
#include "model.h"
#include "render.h"

/*
 * IA32_VMX_BASIC (0x480) .. IA32_VMX_PROCBASED_CTLS3 (0x492), by MSR - 0x480:
 * the capability MSRs of decoders/vmx_msrs.def the checks read (checks.c
 * asserts the count).  A number here, not the table's: this struct is ABI.
 */
#define NS_CAP_MSRS 19

/* One CPUID leaf as L0 gave it to L1 (KVM: struct kvm_cpuid_entry2). */
struct ns_cpuid_leaf {
	uint32_t function, index;
	uint32_t eax, ebx, ecx, edx;
};

#define NS_MAX_CPUID_LEAVES 256

/*
 * What a vmcs12 is judged against: the VMX capabilities L0 offered L1, the
 * CPUID it gave L1, and the part of L1's own state at VMLAUNCH that some
 * rules read.  Each group has its own "have": a rule whose input is missing
 * is not judged and says what it needs, never judged against a default.
 */
struct ns_vmx_caps {
	uint64_t msr[NS_CAP_MSRS];
	bool have[NS_CAP_MSRS];
	unsigned maxphyaddr;     /* CPUID.80000008H:EAX[7:0] of L1 */
	/* IA32_PERF_GLOBAL_CTRL's reserved bits for L1's PMU (KVM: pmu->global_ctrl_mask) */
	uint64_t perf_global_ctrl_reserved;
	bool have_perf_global_ctrl_reserved;
	/* the IA32_DEBUGCTL bits L1's vCPU supports (KVM: vmx_get_supported_debugctl()) */
	uint64_t debugctl_supported;
	bool have_debugctl_supported;
	/* L1's CPUID (KVM: vcpu->arch.cpuid_entries); have_cpuid with ncpuid 0 is "no leaves" */
	struct ns_cpuid_leaf cpuid[NS_MAX_CPUID_LEAVES];
	unsigned ncpuid;
	bool have_cpuid;
	/* L1's IA32_EFER when it executes VMLAUNCH/VMRESUME (KVM: vcpu->arch.efer while in L1) */
	uint64_t l1_efer;
	bool have_l1_efer;
	char l1_efer_missing[120]; /* why it is not known (the vCPU runs L2 ...), for the report */
	char source[200];        /* where the values came from, for the report */
};

/* Built-in profiles: "kvm-6.1-bochs-skylake-x" (what KVM 6.1 offered L1 in Bochs). */
bool ns_caps_profile(const char *name, struct ns_vmx_caps *caps);
const char *ns_caps_profile_names(void);
/*
 * A caps file, one value per line, '#' comments:
 *   IA32_VMX_BASIC 0x...            an MSR by the SDM's name (or Linux's MSR_IA32_VMX_...),
 *   0x480 0x...  /  0x480: 0x...    by index,
 *   rdmsr-style "0x480 = 0x..." lines,
 *   maxphyaddr 46, perf_global_ctrl_reserved 0x..., debugctl_supported 0x..., l1_efer 0x...,
 *   cpuid 0x7 0x0 EAX EBX ECX EDX   a CPUID leaf (function, index, the four registers).
 */
int ns_caps_parse(const char *text, size_t len, const char *origin, struct ns_vmx_caps *caps, struct ns_error *err);
/* The SDM name of caps->msr[i] ("IA32_VMX_BASIC" for 0), or NULL past NS_CAP_MSRS. */
const char *ns_caps_msr_name(unsigned i);

/*
 * NS_NA: the rule does not apply to this vmcs12 (its control is off ...).
 * NS_NOT_JUDGED: it applies, but an input it needs is missing (L1's memory,
 * L1's CPUID, the PMU's mask); the result's detail says which.
 */
enum ns_verdict { NS_PASS, NS_FAIL, NS_NA, NS_NOT_JUDGED };

struct ns_rule {
	const char *id;          /* stable: ctrl.pin.reserved, host.cr4.fixed, guest.seg.cs.type ... */
	const char *section;     /* the SDM section title */
	const char *text;        /* the rule, in one sentence */
	const char *fields;      /* the fields it reads: catalog names joined by ", " (REVISION_ID, LAUNCH_STATE: the header) */
};

size_t ns_rule_count(void);
const struct ns_rule *ns_rule_at(size_t i);

struct ns_check_result {
	const struct ns_rule *rule;
	enum ns_verdict verdict;
	char detail[320];        /* a failure: the offending values and what was expected; not judged: what it needs */
};

#define NS_MAX_RULES 160

struct ns_check_report {
	unsigned n, pass, fail, na, not_judged;
	struct ns_check_result r[NS_MAX_RULES];
	const char *caps_source;
	const struct ns_vmx_caps *caps;  /* the capabilities judged against, or NULL */
};

/*
 * L1's guest memory, for the rules that read it (the virtual-APIC page's
 * VTPR, the region at the VMCS link pointer, the VM-entry MSR-load list):
 * either a flat image (L1-physical address 0 is data[0]) or a reader (a
 * dump: through the VM's memslots).  read returns 0, or -1 with a reason in
 * why ("L1 GPA 0x... is in no memslot").  Without it, or where it cannot be
 * read, those rules are not judged and say what they need.
 */
struct ns_guest_memory {
	const uint8_t *data;
	size_t len;
	int (*read)(void *ctx, uint64_t gpa, void *buf, size_t len, char *why, size_t whylen);
	void *ctx;
	const char *how;         /* how a user supplies it, for "needs ...": "give -m IMAGE" */
};

/* The instruction an entry is judged for: the launch-state rule needs it. */
enum ns_entry_insn { NS_ENTRY_UNKNOWN, NS_ENTRY_VMLAUNCH, NS_ENTRY_VMRESUME };

/* Runs every rule; all violations are reported, not the first.  mem may be NULL. */
void ns_check_vmcs12(const struct ns_vmcs *v, const struct ns_vmx_caps *caps, const struct ns_guest_memory *mem,
		     struct ns_check_report *out);
void ns_check_vmcs12_entry(const struct ns_vmcs *v, const struct ns_vmx_caps *caps, const struct ns_guest_memory *mem,
			   enum ns_entry_insn insn, struct ns_check_report *out);

/* The report on copy (text: its label) and its JSON form, nestscope/checks/3 (vcpu: NULL for a file). */
void ns_render_checks_text(struct ns_out *o, const struct ns_copy_ref *copy, const struct ns_check_report *r, bool all);
void ns_render_checks_json(struct ns_out *o, const struct ns_copy_ref *copy, const struct ns_vcpu_ref *vcpu,
			   const struct ns_check_report *r);

#endif
