/*
 * Locate: walks KVM in a kernel's memory — vm_list, each struct kvm, its
 * vCPUs, each vcpu_vmx and its nested_vmx — and returns a plain model.
 * Memory and types come from the front end (crash, gdb, a dump reader)
 * through struct ns_target, so one walker serves them all.
 */
#ifndef NESTSCOPE_LOCATE_H
#define NESTSCOPE_LOCATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* What a front end provides: memory reads and struct layouts. */
struct ns_target {
	void *ctx;
	/* Reads len bytes of kernel virtual memory; false when they cannot be read. */
	bool (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	/* Offset of a direct member, or -1 when the type or member is unknown. */
	long (*member_offset)(void *ctx, const char *type, const char *member);
	/* Size of a member, or -1. */
	long (*member_size)(void *ctx, const char *type, const char *member);
	/* Address of a kernel symbol, or 0. */
	uint64_t (*symbol)(void *ctx, const char *name);
	/* Size of a struct, or -1. */
	long (*type_size)(void *ctx, const char *type);
};

/*
 * What nestscope reads from a kernel, one row per value (kernel_members.def):
 * NS_KM_<ID> indexes the resolved offsets.
 */
enum ns_km {
#define KM(id, group, need, what, kernels, path, alt1, alt2) NS_KM_##id,
#include "nestscope/kernel_members.def"
#undef KM
	NS_KM_COUNT
};
enum ns_km_group { NS_KMG_KVM, NS_KMG_VMX, NS_KMG_MOD, NS_KMG_ABI, NS_KMG_SVM };
enum ns_km_what { NS_KMW_OFF, NS_KMW_MSIZE, NS_KMW_TSIZE };

struct ns_kernel_member {
	const char *id;
	enum ns_km_group group;
	bool required;
	enum ns_km_what what;
	const char *kernels;
	const char *path[3];          /* alternatives; unused ones NULL */
};
extern const struct ns_kernel_member ns_kernel_members[NS_KM_COUNT];

/*
 * The structs the table names, each once, in table order: a profile holds
 * these.  Fills up to max names and returns how many there are.
 */
#define NS_KSTRUCT_NAME 48
#define NS_KSTRUCT_MAX 64
size_t ns_kernel_structs(char (*names)[NS_KSTRUCT_NAME], size_t max);

/* The table as Markdown (docs/kernels.md embeds it): one row per value. */
struct ns_out;
void ns_kernel_members_markdown(struct ns_out *o);

/*
 * The vmlinux symbols the walker asks for: linux_banner names the kernel
 * (and its release picks the hflags cross-check bit), modules leads to
 * vm_list, init_top_pgt lets a raw memory image be translated.
 */
extern const char *const ns_walker_symbols[];

/*
 * A module symbol's address from the modules' own symbol tables in kernel
 * memory (module->kallsyms, as /proc/kallsyms shows them): needs the vmlinux
 * symbol `modules` and the layout of struct module and mod_kallsyms.  The
 * kvm modules are searched first.
 */
int ns_module_symbol(const struct ns_target *t, const char *name, uint64_t *addr, struct ns_error *err);

/* Offsets and sizes, resolved once per session (NS_NO_OFFSET when absent). */
#define NS_NO_OFFSET (-1L)
struct ns_kvm_offsets {
	long v[NS_KM_COUNT];      /* by NS_KM_<ID>: the offset, or the size for MSIZE/TSIZE rows */
	short alt[NS_KM_COUNT];   /* which path of the row resolved: 0, 1, 2 */
	bool have_vmx;            /* kvm_intel's types (vcpu_vmx, nested_vmx) are known */
	bool have_svm;            /* kvm_amd's types (vcpu_svm, svm_nested_state) are known */
	bool svm_host;            /* the vCPUs are struct vcpu_svm: kvm_amd is loaded, kvm_intel is not (session.c) */
	int svm_missing;          /* the first required SVM row the types lack (kvm_amd's types known), or -1 */
	/* the kernel's release (from linux_banner), and the hflags bit that
	 * cross-checks guest mode for it: -1 when the release does not tell */
	char release[65];
	int hf_guest_bit;
};

/* One row resolved on its own (the module-symbol search needs only its rows). */
long ns_km_resolve(const struct ns_target *t, enum ns_km id);

/* Is row id resolved? */
static inline bool ns_km_have(const struct ns_kvm_offsets *o, enum ns_km id)
{
	return o->v[id] >= 0;
}

/*
 * Resolves the table once.  Fails when a required row of kvm's group (or
 * of kvm_intel's, once its types are loaded) is missing, naming it; missing
 * kvm_intel types as a whole leave have_vmx false, so the caller can say
 * how to load them.
 */
int ns_kvm_offsets_resolve(const struct ns_target *t, struct ns_kvm_offsets *o, struct ns_error *err);

/* Why an AMD host's vCPUs cannot be walked: the missing SVM row, or kvm_amd's types not loaded. */
int ns_kvm_svm_missing(const struct ns_kvm_offsets *o, struct ns_error *err);

/* KVM_X86_*_VM (uapi): a TDX VM's vCPUs are struct vcpu_tdx, not vcpu_vmx */
#define NS_KVM_X86_DEFAULT_VM 0
#define NS_KVM_X86_TDX_VM 5

struct ns_vm {
	uint64_t kvm;           /* struct kvm address */
	int32_t pid;            /* the VMM's pid (kvm->userspace_pid) */
	char comm[17];          /* its command, from kvm->mm->owner */
	uint32_t online_vcpus;
	int32_t vm_type;        /* kvm->arch.vm_type (6.8+), -1 when the kernel has none */
	const char *skip;       /* why its vCPUs are not walked (a TDX VM), or NULL */
};

struct ns_vcpu {
	uint64_t vcpu;          /* struct kvm_vcpu */
	uint64_t vmx;           /* struct vcpu_vmx (it starts with the kvm_vcpu) */
	uint64_t kvm;
	int32_t pid;
	uint32_t idx;
	/*
	 * Guest mode (L2 active) from state: the vCPU's loaded_vmcs is its
	 * vmcs02.  hflags' HF_GUEST_MASK only cross-checks it (its bit moved
	 * between kernels): hflags_agrees is false when they disagree, and
	 * hflags_judged false when the kernel's bit is not known.
	 */
	bool guest_mode;
	bool loaded_is_vmcs01;  /* loaded_vmcs == &vmcs01 (L1) */
	uint64_t hflags;
	bool hflags_judged, hflags_agrees;
	bool vmxon;
	uint64_t vmxon_ptr, current_vmptr;
	uint64_t cached_vmcs12, cached_shadow_vmcs12;
	uint64_t vmcs01, vmcs02, loaded_vmcs, vmcs01_loaded_vmcs, vmcs02_loaded_vmcs;
	bool nested_run_pending, need_vmcs12_to_shadow_sync, need_sync_vmcs02_rare;
	bool have_hv_evmcs;     /* CONFIG_KVM_HYPERV kernels: hv_evmcs_vmptr read */
	uint64_t hv_evmcs_vmptr;
	bool have_exit_reason;
	uint32_t exit_reason;   /* the last VM exit KVM handled (vmcs01 or vmcs02) */
	/*
	 * AMD SVM (svm true: the vCPU is a struct vcpu_svm; the VMX fields above
	 * stay zero).  Guest mode from state: current_vmcb is &nested.vmcb02.
	 */
	bool svm;
	struct ns_svm_vcpu {
		uint64_t vcpu_svm;                /* struct vcpu_svm (it starts with the kvm_vcpu) */
		uint64_t current_vmcb;            /* struct kvm_vmcb_info * the vCPU runs on */
		uint64_t vmcb01_info, vmcb02_info;/* &vmcb01, &nested.vmcb02 (struct kvm_vmcb_info) */
		uint64_t vmcb01, vmcb01_pa;       /* the VMCB pages: kernel address and physical address */
		uint64_t vmcb02, vmcb02_pa;
		uint64_t vmcb12_gpa;              /* L1's VMCB, in L1's physical memory (its VMRUN operand) */
		bool have_last_vmcb12_gpa, have_hsave_msr, have_initialized;
		uint64_t last_vmcb12_gpa, hsave_msr, vm_cr_msr;
		bool initialized;                 /* nested state allocated: L1 set EFER.SVME */
		uint64_t ctl_cached, save_cached; /* &nested.ctl, &nested.save: KVM's cache of vmcb12 (0: absent) */
		/* the current VMCB's EXITCODE: the last #VMEXIT L0 handled (from vmcb02 in guest mode) */
		bool have_exit_code;
		uint64_t exit_code;
	} s;
};

/* Where a vCPU is in nested SVM, from its state (kvm -v, triage). */
enum ns_svm_state { NS_SVM_OFF, NS_SVM_L1, NS_SVM_L2 };

static inline enum ns_svm_state ns_vcpu_svm_state(const struct ns_vcpu *v)
{
	if (v->guest_mode)
		return NS_SVM_L2;
	/* without the initialized flag, a VMCB12 address L1 once gave says it used SVM */
	if (v->s.have_initialized ? v->s.initialized : v->s.vmcb12_gpa != 0)
		return NS_SVM_L1;
	return NS_SVM_OFF;
}

/*
 * Where a vCPU is in nested VMX, from its state: not in VMX operation, in
 * VMX operation without a current VMCS, in L1 with a current vmcs12, or in
 * L2 (guest mode).  kvm/2's and triage/2's "state".
 */
enum ns_vmx_state { NS_VMX_OFF, NS_VMX_NO_VMCS, NS_VMX_VMCS12, NS_VMX_L2 };

static inline enum ns_vmx_state ns_vcpu_vmx_state(const struct ns_vcpu *v)
{
	if (!v->vmxon)
		return NS_VMX_OFF;
	/* -1ull: KVM's INVALID_GPA, no current VMCS */
	if (v->current_vmptr == ~0ull || !v->cached_vmcs12)
		return NS_VMX_NO_VMCS;
	return v->guest_mode ? NS_VMX_L2 : NS_VMX_VMCS12;
}

#define NS_MAX_VMS 256
#define NS_MAX_VCPUS_PER_VM 1024

/* Every VM on vm_list.  A list that does not come back to its head is an error. */
int ns_kvm_vms(const struct ns_target *t, const struct ns_kvm_offsets *o, struct ns_vm *vms, size_t max,
	       size_t *n, struct ns_error *err);

/* The vCPUs of one VM, from the vcpu_array xarray or the vcpus[] array. */
int ns_kvm_vcpus(const struct ns_target *t, const struct ns_kvm_offsets *o, const struct ns_vm *vm,
		 struct ns_vcpu *vcpus, size_t max, size_t *n, struct ns_error *err);

/* Reads one vCPU's state, given its struct kvm_vcpu (= vcpu_vmx) address. */
int ns_kvm_vcpu_read(const struct ns_target *t, const struct ns_kvm_offsets *o, uint64_t vcpu, struct ns_vcpu *v,
		     struct ns_error *err);

/* Reads the four-or-more control words KVM keeps as software copies (controls_shadow). */
struct ns_controls_shadow {
	bool have;
	uint32_t vm_entry, vm_exit, pin, exec, secondary_exec;
	bool have_tertiary;
	uint64_t tertiary_exec;
};
int ns_kvm_controls_shadow(const struct ns_target *t, const struct ns_kvm_offsets *o, uint64_t loaded_vmcs,
			   struct ns_controls_shadow *cs, struct ns_error *err);

/*
 * Translates an L1 guest-physical address to the VMM's virtual address
 * through the VM's memslots (address space 0).
 */
int ns_kvm_gpa_to_hva(const struct ns_target *t, const struct ns_kvm_offsets *o, uint64_t kvm, uint64_t gpa,
		      uint64_t *hva, struct ns_error *err);

/*
 * Reads len bytes of the VMM's memory at hva (within one page), walking its
 * page tables (kvm->mm->pgd, 4-level) and reading the page through the
 * kernel's direct map.  A page the dump lacks is NS_ERR_IO, saying so.
 */
int ns_kvm_read_user(const struct ns_target *t, const struct ns_kvm_offsets *o, uint64_t kvm, uint64_t hva,
		     void *buf, size_t len, struct ns_error *err);

/* KVM's register cache (vcpu->arch.regs): the vCPU's current level, L2 in guest mode. */
struct ns_reg_cache {
	bool have;
	uint64_t rip, rsp;
	bool rip_avail, rip_dirty, rsp_dirty;
};
int ns_kvm_reg_cache(const struct ns_target *t, const struct ns_kvm_offsets *o, uint64_t vcpu,
		     struct ns_reg_cache *rc, struct ns_error *err);

/* The host state KVM last wrote into a VMCS (loaded_vmcs.host_state): L0's own. */
struct ns_host_state {
	bool have;
	uint64_t cr3, cr4, fs_base, gs_base, rsp;
};
int ns_kvm_host_state(const struct ns_target *t, const struct ns_kvm_offsets *o, uint64_t loaded_vmcs,
		      struct ns_host_state *hs, struct ns_error *err);

struct ns_vmx_caps;
/*
 * The VMX capability MSRs KVM offers this vCPU's L1, rebuilt from
 * nested.msrs the way vmx_get_vmx_msr() answers L1's RDMSR, and L1's
 * MAXPHYADDR (vcpu->arch.maxphyaddr).
 */
int ns_kvm_nested_caps(const struct ns_target *t, const struct ns_kvm_offsets *o, const struct ns_vcpu *v,
		       struct ns_vmx_caps *caps, struct ns_error *err);
/*
 * What the APM's VMRUN checks read of an AMD host's L1: the CPUID KVM gave
 * it (leaf 8000000Ah: the SVM features it may use) and its MAXPHYADDR; no
 * VMX MSR.
 */
int ns_kvm_svm_caps(const struct ns_target *t, const struct ns_kvm_offsets *o, const struct ns_vcpu *v,
		    struct ns_vmx_caps *caps, struct ns_error *err);

#endif
