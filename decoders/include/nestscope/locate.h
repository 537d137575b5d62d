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
 * What the walker asks a type provider for: the structs (their members) and
 * the vmlinux symbols.  A profile holds these; module symbols (vm_list) are
 * found in the dump itself (ns_module_symbol).
 */
extern const char *const ns_walker_structs[];
extern const char *const ns_walker_symbols[];

/*
 * A module symbol's address from the modules' own symbol tables in kernel
 * memory (module->kallsyms, as /proc/kallsyms shows them): needs the vmlinux
 * symbol `modules` and the layout of struct module and mod_kallsyms.  The
 * kvm modules are searched first.
 */
int ns_module_symbol(const struct ns_target *t, const char *name, uint64_t *addr, struct ns_error *err);

/* Member offsets, resolved once per session (NS_NO_OFFSET when absent). */
#define NS_NO_OFFSET (-1L)
struct ns_kvm_offsets {
	long kvm_vm_list, kvm_userspace_pid, kvm_online_vcpus, kvm_mm;
	long kvm_vcpu_array;   /* struct xarray (5.16+) ... */
	long kvm_vcpus;        /* ... or struct kvm_vcpu *vcpus[] (older) */
	long kvm_vcpus_count;  /* number of entries of vcpus[] */
	long xa_head, xa_node_shift, xa_node_slots;
	long vcpu_vcpu_idx, vcpu_vcpu_id, vcpu_arch_hflags;
	long vmx_vcpu, vmx_nested, vmx_vmcs01, vmx_loaded_vmcs, vmx_exit_reason;
	long nested_vmxon, nested_vmxon_ptr, nested_current_vmptr, nested_cached_vmcs12,
	     nested_cached_shadow_vmcs12, nested_vmcs02, nested_run_pending,
	     nested_need_vmcs12_to_shadow_sync, nested_need_sync_vmcs02_to_vmcs12_rare,
	     nested_vmcs02_initialized;
	long lvmcs_vmcs, lvmcs_shadow_vmcs, lvmcs_launched, lvmcs_cpu, lvmcs_controls_shadow;
	long cs_vm_entry, cs_vm_exit, cs_pin, cs_exec, cs_secondary_exec, cs_tertiary_exec;
	long lvmcs_host_state, hs_cr3, hs_cr4, hs_fs_base, hs_gs_base, hs_rsp;
	long vcpu_arch_regs, vcpu_arch_regs_avail, vcpu_arch_regs_dirty, regs_avail_size;
	long mm_owner, mm_pgd, task_pid, task_comm;
	/* memslots: kvm->memslots[0]; 6.x hashes slots by id, 5.x keeps an array */
	long kvm_memslots, slots_id_hash, slots_node_idx, slots_used_slots, slots_array;
	long slot_id_node, slot_base_gfn, slot_npages, slot_userspace_addr, slot_size, hlist_node_size;
	bool have_vmx;         /* kvm_intel's types (vcpu_vmx, nested_vmx) are known */
};

/*
 * Resolves the offsets once.  Fails (NS_ERR_ARG) only when kvm's own types
 * are missing; kvm_intel's missing types leave have_vmx false, so the caller
 * can say how to load them.
 */
int ns_kvm_offsets_resolve(const struct ns_target *t, struct ns_kvm_offsets *o, struct ns_error *err);

struct ns_vm {
	uint64_t kvm;           /* struct kvm address */
	int32_t pid;            /* the VMM's pid (kvm->userspace_pid) */
	char comm[17];          /* its command, from kvm->mm->owner */
	uint32_t online_vcpus;
};

struct ns_vcpu {
	uint64_t vcpu;          /* struct kvm_vcpu */
	uint64_t vmx;           /* struct vcpu_vmx (it starts with the kvm_vcpu) */
	uint64_t kvm;
	int32_t pid;
	uint32_t idx;
	bool guest_mode;        /* HF_GUEST_MASK in vcpu->arch.hflags: L2 is active */
	uint64_t hflags;
	bool vmxon;
	uint64_t vmxon_ptr, current_vmptr;
	uint64_t cached_vmcs12, cached_shadow_vmcs12;
	uint64_t vmcs01, vmcs02, loaded_vmcs, vmcs01_loaded_vmcs, vmcs02_loaded_vmcs;
	bool nested_run_pending, need_vmcs12_to_shadow_sync, need_sync_vmcs02_rare;
	bool have_exit_reason;
	uint32_t exit_reason;   /* the last VM exit KVM handled (vmcs01 or vmcs02) */
};

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

#endif
