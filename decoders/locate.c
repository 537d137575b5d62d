/*
 * Walking KVM's structures in a kernel image.  Every pointer here comes from
 * a dump that may be corrupt: lists are bounded, arrays are bounded, and a
 * read that fails is an error with the address, never a crash.
 */
#include <stdio.h>
#include <string.h>

#include "nestscope/checks.h"
#include "nestscope/locate.h"

#define HF_GUEST_MASK (1u << 5) /* arch/x86/include/asm/kvm_host.h */

static long member(const struct ns_target *t, const char *type, const char *m)
{
	return t->member_offset(t->ctx, type, m);
}

/* Offset of a.b: both must exist. */
static long nested2(long outer, long inner)
{
	return outer < 0 || inner < 0 ? NS_NO_OFFSET : outer + inner;
}

int ns_kvm_offsets_resolve(const struct ns_target *t, struct ns_kvm_offsets *o, struct ns_error *err)
{
	long arch, nested, cs;

	memset(o, 0xff, sizeof(*o)); /* every offset NS_NO_OFFSET (-1) */
	o->have_vmx = false;
	o->kvm_vm_list = member(t, "kvm", "vm_list");
	o->kvm_online_vcpus = member(t, "kvm", "online_vcpus");
	if (o->kvm_vm_list < 0 || o->kvm_online_vcpus < 0)
		return ns_fail(err, NS_ERR_ARG,
			       "struct kvm is not known: load the kvm module's debuginfo (crash: mod -s kvm)");
	o->kvm_userspace_pid = member(t, "kvm", "userspace_pid");
	o->kvm_mm = member(t, "kvm", "mm");
	/* "KVM: Convert the kvm->vcpus array to a xarray" (5.16/5.17) */
	o->kvm_vcpu_array = member(t, "kvm", "vcpu_array");
	o->kvm_vcpus = member(t, "kvm", "vcpus");
	if (o->kvm_vcpus >= 0) {
		long size = t->member_size(t->ctx, "kvm", "vcpus");
		o->kvm_vcpus_count = size > 0 ? size / 8 : 0;
	}
	if (o->kvm_vcpu_array < 0 && o->kvm_vcpus < 0)
		return ns_fail(err, NS_ERR_ARG, "struct kvm has neither vcpu_array nor vcpus[]: unknown kernel layout");
	o->xa_head = member(t, "xarray", "xa_head");
	o->xa_node_shift = member(t, "xa_node", "shift");
	o->xa_node_slots = member(t, "xa_node", "slots");
	o->vcpu_vcpu_idx = member(t, "kvm_vcpu", "vcpu_idx");
	o->vcpu_vcpu_id = member(t, "kvm_vcpu", "vcpu_id");
	arch = member(t, "kvm_vcpu", "arch");
	o->vcpu_arch_hflags = nested2(arch, member(t, "kvm_vcpu_arch", "hflags"));
	o->vcpu_arch_regs = nested2(arch, member(t, "kvm_vcpu_arch", "regs"));
	o->vcpu_arch_regs_avail = nested2(arch, member(t, "kvm_vcpu_arch", "regs_avail"));
	o->vcpu_arch_regs_dirty = nested2(arch, member(t, "kvm_vcpu_arch", "regs_dirty"));
	o->regs_avail_size = t->member_size(t->ctx, "kvm_vcpu_arch", "regs_avail");
	o->mm_owner = member(t, "mm_struct", "owner");
	o->mm_pgd = member(t, "mm_struct", "pgd");
	o->kvm_memslots = member(t, "kvm", "memslots");
	o->slots_id_hash = member(t, "kvm_memslots", "id_hash");
	o->slots_node_idx = member(t, "kvm_memslots", "node_idx");
	o->slots_used_slots = member(t, "kvm_memslots", "used_slots");
	o->slots_array = member(t, "kvm_memslots", "memslots");
	o->slot_id_node = member(t, "kvm_memory_slot", "id_node");
	o->slot_base_gfn = member(t, "kvm_memory_slot", "base_gfn");
	o->slot_npages = member(t, "kvm_memory_slot", "npages");
	o->slot_userspace_addr = member(t, "kvm_memory_slot", "userspace_addr");
	o->slot_size = t->type_size ? t->type_size(t->ctx, "kvm_memory_slot") : -1;
	o->hlist_node_size = t->type_size ? t->type_size(t->ctx, "hlist_node") : -1;
	o->task_pid = member(t, "task_struct", "pid");
	o->task_comm = member(t, "task_struct", "comm");

	/* kvm_intel's types: present only once its debuginfo is loaded */
	o->vmx_vcpu = member(t, "vcpu_vmx", "vcpu");
	o->vmx_nested = nested = member(t, "vcpu_vmx", "nested");
	if (o->vmx_vcpu < 0 || nested < 0)
		return NS_OK;
	o->vmx_vmcs01 = member(t, "vcpu_vmx", "vmcs01");
	o->vmx_loaded_vmcs = member(t, "vcpu_vmx", "loaded_vmcs");
	/* exit_reason moved into struct vcpu_vt (vt) in 6.16 */
	o->vmx_exit_reason = member(t, "vcpu_vmx", "exit_reason");
	if (o->vmx_exit_reason < 0)
		o->vmx_exit_reason = nested2(member(t, "vcpu_vmx", "vt"), member(t, "vcpu_vt", "exit_reason"));
	o->nested_vmxon = nested2(nested, member(t, "nested_vmx", "vmxon"));
	o->nested_vmxon_ptr = nested2(nested, member(t, "nested_vmx", "vmxon_ptr"));
	o->nested_current_vmptr = nested2(nested, member(t, "nested_vmx", "current_vmptr"));
	o->nested_cached_vmcs12 = nested2(nested, member(t, "nested_vmx", "cached_vmcs12"));
	o->nested_cached_shadow_vmcs12 = nested2(nested, member(t, "nested_vmx", "cached_shadow_vmcs12"));
	o->nested_vmcs02 = nested2(nested, member(t, "nested_vmx", "vmcs02"));
	o->nested_run_pending = nested2(nested, member(t, "nested_vmx", "nested_run_pending"));
	/* renamed from need_vmcs12_sync in 5.x */
	o->nested_need_vmcs12_to_shadow_sync = nested2(nested, member(t, "nested_vmx", "need_vmcs12_to_shadow_sync"));
	if (o->nested_need_vmcs12_to_shadow_sync < 0)
		o->nested_need_vmcs12_to_shadow_sync = nested2(nested, member(t, "nested_vmx", "need_vmcs12_sync"));
	o->nested_need_sync_vmcs02_to_vmcs12_rare =
		nested2(nested, member(t, "nested_vmx", "need_sync_vmcs02_to_vmcs12_rare"));
	o->nested_vmcs02_initialized = nested2(nested, member(t, "nested_vmx", "vmcs02_initialized"));
	o->lvmcs_vmcs = member(t, "loaded_vmcs", "vmcs");
	o->lvmcs_shadow_vmcs = member(t, "loaded_vmcs", "shadow_vmcs");
	o->lvmcs_launched = member(t, "loaded_vmcs", "launched");
	o->lvmcs_cpu = member(t, "loaded_vmcs", "cpu");
	o->lvmcs_controls_shadow = cs = member(t, "loaded_vmcs", "controls_shadow");
	o->cs_vm_entry = nested2(cs, member(t, "vmcs_controls_shadow", "vm_entry"));
	o->cs_vm_exit = nested2(cs, member(t, "vmcs_controls_shadow", "vm_exit"));
	o->cs_pin = nested2(cs, member(t, "vmcs_controls_shadow", "pin"));
	o->cs_exec = nested2(cs, member(t, "vmcs_controls_shadow", "exec"));
	o->cs_secondary_exec = nested2(cs, member(t, "vmcs_controls_shadow", "secondary_exec"));
	o->cs_tertiary_exec = nested2(cs, member(t, "vmcs_controls_shadow", "tertiary_exec"));
	o->lvmcs_host_state = member(t, "loaded_vmcs", "host_state");
	o->hs_cr3 = nested2(o->lvmcs_host_state, member(t, "vmcs_host_state", "cr3"));
	o->hs_cr4 = nested2(o->lvmcs_host_state, member(t, "vmcs_host_state", "cr4"));
	o->hs_fs_base = nested2(o->lvmcs_host_state, member(t, "vmcs_host_state", "fs_base"));
	o->hs_gs_base = nested2(o->lvmcs_host_state, member(t, "vmcs_host_state", "gs_base"));
	o->hs_rsp = nested2(o->lvmcs_host_state, member(t, "vmcs_host_state", "rsp"));
	if (o->nested_cached_vmcs12 < 0 || o->nested_vmcs02 < 0 || o->lvmcs_vmcs < 0)
		return ns_fail(err, NS_ERR_ARG, "kvm_intel's nested_vmx lacks cached_vmcs12/vmcs02: unknown kernel layout");
	o->have_vmx = true;
	return NS_OK;
}

/* ---- reading ---- */

static uint64_t rd_u64(const struct ns_target *t, uint64_t addr, bool *ok)
{
	uint64_t v = 0;

	if (!t->read(t->ctx, addr, &v, 8))
		*ok = false;
	return v;
}

static uint32_t rd_u32(const struct ns_target *t, uint64_t addr, bool *ok)
{
	uint32_t v = 0;

	if (!t->read(t->ctx, addr, &v, 4))
		*ok = false;
	return v;
}

static bool rd_bool(const struct ns_target *t, uint64_t base, long off, bool *ok)
{
	uint8_t b = 0;

	if (off < 0)
		return false;
	if (!t->read(t->ctx, base + (uint64_t)off, &b, 1))
		*ok = false;
	return b != 0;
}

static bool kernel_pointer(uint64_t p)
{
	return p >= 0xffff800000000000ull;
}

/* ---- VMs ---- */

int ns_kvm_vms(const struct ns_target *t, const struct ns_kvm_offsets *o, struct ns_vm *vms, size_t max,
	       size_t *n, struct ns_error *err)
{
	uint64_t head = t->symbol(t->ctx, "vm_list"), pos;
	bool ok = true;
	size_t count = 0;

	*n = 0;
	if (!head)
		return ns_fail(err, NS_ERR_ARG, "no symbol vm_list: is the kvm module loaded in this kernel?");
	pos = rd_u64(t, head, &ok);
	if (!ok)
		return ns_fail(err, NS_ERR_IO, "vm_list at 0x%llx cannot be read", (unsigned long long)head);
	while (pos != head) {
		struct ns_vm *vm;
		uint64_t kvm = pos - (uint64_t)o->kvm_vm_list;

		if (!kernel_pointer(pos))
			return ns_fail(err, NS_ERR_FORMAT, "vm_list entry %zu points at 0x%llx, not kernel memory: corrupt list",
				       count, (unsigned long long)pos);
		if (++count > NS_MAX_VMS * 4)
			return ns_fail(err, NS_ERR_FORMAT,
				       "vm_list does not come back to its head after %zu entries: cyclic or corrupt",
				       count - 1);
		if (*n < max) {
			vm = &vms[(*n)++];
			memset(vm, 0, sizeof(*vm));
			vm->kvm = kvm;
			vm->pid = -1;
			if (o->kvm_userspace_pid >= 0)
				vm->pid = (int32_t)rd_u32(t, kvm + (uint64_t)o->kvm_userspace_pid, &ok);
			vm->online_vcpus = rd_u32(t, kvm + (uint64_t)o->kvm_online_vcpus, &ok);
			if (o->kvm_mm >= 0 && o->mm_owner >= 0 && o->task_comm >= 0) {
				/* the VMM's command: kvm->mm->owner->comm (CONFIG_MEMCG) */
				bool ok2 = true;
				uint64_t mm = rd_u64(t, kvm + (uint64_t)o->kvm_mm, &ok2);
				uint64_t owner = ok2 && kernel_pointer(mm) ? rd_u64(t, mm + (uint64_t)o->mm_owner, &ok2) : 0;
				if (ok2 && kernel_pointer(owner) && t->read(t->ctx, owner + (uint64_t)o->task_comm, vm->comm, 16))
					vm->comm[16] = '\0';
				else
					vm->comm[0] = '\0';
				for (char *c = vm->comm; *c; c++)
					if (*c < 0x20 || *c > 0x7e)
						*c = '?'; /* a comm is guest-influenced text: keep it printable */
			}
			if (!ok)
				return ns_fail(err, NS_ERR_IO, "struct kvm at 0x%llx cannot be read", (unsigned long long)kvm);
		}
		pos = rd_u64(t, pos, &ok);
		if (!ok)
			return ns_fail(err, NS_ERR_IO, "vm_list entry at 0x%llx cannot be read", (unsigned long long)pos);
	}
	return NS_OK;
}

/* ---- vCPUs ---- */

/* xa_load(): the entry at index i of an xarray, or 0. */
static uint64_t xa_load(const struct ns_target *t, const struct ns_kvm_offsets *o, uint64_t xa, uint64_t i, bool *ok)
{
	uint64_t entry = rd_u64(t, xa + (uint64_t)o->xa_head, ok);

	/* an internal node pointer has bits 1:0 = 10 and is above 4096 */
	if (!((entry & 3) == 2 && entry > 4096))
		return i == 0 ? entry : 0;
	for (int depth = 0; depth < 8 && *ok; depth++) {
		uint64_t node = entry - 2;
		uint8_t shift = 0;
		uint64_t slot;

		if (!t->read(t->ctx, node + (uint64_t)o->xa_node_shift, &shift, 1) || shift > 60) {
			*ok = false;
			return 0;
		}
		slot = i >> shift;
		if (slot > 63)
			return 0;
		entry = rd_u64(t, node + (uint64_t)o->xa_node_slots + 8 * slot, ok);
		if (!((entry & 3) == 2 && entry > 4096))
			return (entry & 3) == 2 ? 0 : entry; /* a sibling or retry entry: not a vCPU */
		i &= (1ull << shift) - 1;
	}
	*ok = false;
	return 0;
}

int ns_kvm_vcpu_read(const struct ns_target *t, const struct ns_kvm_offsets *o, uint64_t vcpu, struct ns_vcpu *v,
		     struct ns_error *err)
{
	bool ok = true;
	uint64_t vmx;

	memset(v, 0, sizeof(*v));
	v->vcpu = vcpu;
	if (!kernel_pointer(vcpu))
		return ns_fail(err, NS_ERR_FORMAT, "0x%llx is not a kernel address: not a vCPU", (unsigned long long)vcpu);
	if (o->vcpu_vcpu_idx >= 0)
		v->idx = rd_u32(t, vcpu + (uint64_t)o->vcpu_vcpu_idx, &ok);
	if (o->vcpu_arch_hflags >= 0) {
		v->hflags = rd_u32(t, vcpu + (uint64_t)o->vcpu_arch_hflags, &ok);
		v->guest_mode = v->hflags & HF_GUEST_MASK;
	}
	if (!ok)
		return ns_fail(err, NS_ERR_IO, "struct kvm_vcpu at 0x%llx cannot be read", (unsigned long long)vcpu);
	if (!o->have_vmx)
		return NS_OK;
	v->vmx = vmx = vcpu - (uint64_t)o->vmx_vcpu;
	v->vmxon = rd_bool(t, vmx, o->nested_vmxon, &ok);
	v->vmxon_ptr = rd_u64(t, vmx + (uint64_t)o->nested_vmxon_ptr, &ok);
	v->current_vmptr = rd_u64(t, vmx + (uint64_t)o->nested_current_vmptr, &ok);
	v->cached_vmcs12 = rd_u64(t, vmx + (uint64_t)o->nested_cached_vmcs12, &ok);
	if (o->nested_cached_shadow_vmcs12 >= 0)
		v->cached_shadow_vmcs12 = rd_u64(t, vmx + (uint64_t)o->nested_cached_shadow_vmcs12, &ok);
	v->vmcs02_loaded_vmcs = vmx + (uint64_t)o->nested_vmcs02;
	v->vmcs02 = rd_u64(t, v->vmcs02_loaded_vmcs + (uint64_t)o->lvmcs_vmcs, &ok);
	if (o->vmx_vmcs01 >= 0) {
		v->vmcs01_loaded_vmcs = vmx + (uint64_t)o->vmx_vmcs01;
		v->vmcs01 = rd_u64(t, v->vmcs01_loaded_vmcs + (uint64_t)o->lvmcs_vmcs, &ok);
	}
	if (o->vmx_loaded_vmcs >= 0)
		v->loaded_vmcs = rd_u64(t, vmx + (uint64_t)o->vmx_loaded_vmcs, &ok);
	v->nested_run_pending = rd_bool(t, vmx, o->nested_run_pending, &ok);
	v->need_vmcs12_to_shadow_sync = rd_bool(t, vmx, o->nested_need_vmcs12_to_shadow_sync, &ok);
	v->need_sync_vmcs02_rare = rd_bool(t, vmx, o->nested_need_sync_vmcs02_to_vmcs12_rare, &ok);
	if (o->vmx_exit_reason >= 0) {
		v->exit_reason = rd_u32(t, vmx + (uint64_t)o->vmx_exit_reason, &ok);
		v->have_exit_reason = true;
	}
	if (!ok)
		return ns_fail(err, NS_ERR_IO, "struct vcpu_vmx at 0x%llx cannot be read", (unsigned long long)vmx);
	return NS_OK;
}

int ns_kvm_vcpus(const struct ns_target *t, const struct ns_kvm_offsets *o, const struct ns_vm *vm,
		 struct ns_vcpu *vcpus, size_t max, size_t *n, struct ns_error *err)
{
	uint32_t count = vm->online_vcpus;
	bool ok = true;

	*n = 0;
	if (count > NS_MAX_VCPUS_PER_VM)
		return ns_fail(err, NS_ERR_FORMAT, "struct kvm at 0x%llx claims %u online vCPUs: corrupt",
			       (unsigned long long)vm->kvm, count);
	for (uint32_t i = 0; i < count && *n < max; i++) {
		uint64_t vcpu;

		if (o->kvm_vcpu_array >= 0) {
			if (o->xa_head < 0 || o->xa_node_shift < 0 || o->xa_node_slots < 0)
				return ns_fail(err, NS_ERR_ARG, "struct xarray/xa_node are not known: cannot walk vcpu_array");
			vcpu = xa_load(t, o, vm->kvm + (uint64_t)o->kvm_vcpu_array, i, &ok);
		} else {
			if ((long)i >= o->kvm_vcpus_count)
				break;
			vcpu = rd_u64(t, vm->kvm + (uint64_t)o->kvm_vcpus + 8ull * i, &ok);
		}
		if (!ok)
			return ns_fail(err, NS_ERR_IO, "vCPU %u of struct kvm at 0x%llx cannot be read", i,
				       (unsigned long long)vm->kvm);
		if (!vcpu)
			continue;
		if (ns_kvm_vcpu_read(t, o, vcpu, &vcpus[*n], err))
			return NS_ERR_IO;
		vcpus[*n].kvm = vm->kvm;
		vcpus[*n].pid = vm->pid;
		(*n)++;
	}
	return NS_OK;
}

int ns_kvm_controls_shadow(const struct ns_target *t, const struct ns_kvm_offsets *o, uint64_t loaded_vmcs,
			   struct ns_controls_shadow *cs, struct ns_error *err)
{
	bool ok = true;

	memset(cs, 0, sizeof(*cs));
	if (o->lvmcs_controls_shadow < 0 || o->cs_exec < 0)
		return NS_OK; /* older kernels keep no software copy */
	cs->vm_entry = rd_u32(t, loaded_vmcs + (uint64_t)o->cs_vm_entry, &ok);
	cs->vm_exit = rd_u32(t, loaded_vmcs + (uint64_t)o->cs_vm_exit, &ok);
	cs->pin = rd_u32(t, loaded_vmcs + (uint64_t)o->cs_pin, &ok);
	cs->exec = rd_u32(t, loaded_vmcs + (uint64_t)o->cs_exec, &ok);
	cs->secondary_exec = rd_u32(t, loaded_vmcs + (uint64_t)o->cs_secondary_exec, &ok);
	if (o->cs_tertiary_exec >= 0) {
		cs->tertiary_exec = rd_u64(t, loaded_vmcs + (uint64_t)o->cs_tertiary_exec, &ok);
		cs->have_tertiary = true;
	}
	if (!ok)
		return ns_fail(err, NS_ERR_IO, "loaded_vmcs at 0x%llx cannot be read", (unsigned long long)loaded_vmcs);
	cs->have = true;
	return NS_OK;
}

/* ---- guest-physical to host-virtual, and the VMM's memory ---- */

/* One memslot: does it hold gfn?  Then set *hva. */
static bool slot_has(const struct ns_target *t, const struct ns_kvm_offsets *o, uint64_t slot, uint64_t gpa,
		     uint64_t *hva, bool *ok)
{
	uint64_t base = rd_u64(t, slot + (uint64_t)o->slot_base_gfn, ok);
	uint64_t npages = rd_u64(t, slot + (uint64_t)o->slot_npages, ok);
	uint64_t uaddr = rd_u64(t, slot + (uint64_t)o->slot_userspace_addr, ok);
	uint64_t gfn = gpa >> 12;

	if (!*ok || gfn < base || gfn - base >= npages)
		return false;
	*hva = uaddr + ((gfn - base) << 12) + (gpa & 0xfff);
	return true;
}

int ns_kvm_gpa_to_hva(const struct ns_target *t, const struct ns_kvm_offsets *o, uint64_t kvm, uint64_t gpa,
		      uint64_t *hva, struct ns_error *err)
{
	bool ok = true;
	uint64_t slots;

	if (o->kvm_memslots < 0 || o->slot_base_gfn < 0 || o->slot_npages < 0 || o->slot_userspace_addr < 0)
		return ns_fail(err, NS_ERR_ARG, "struct kvm_memslots/kvm_memory_slot are not known: cannot translate GPAs");
	slots = rd_u64(t, kvm + (uint64_t)o->kvm_memslots, &ok);
	if (!ok || !kernel_pointer(slots))
		return ns_fail(err, NS_ERR_IO, "kvm->memslots[0] of struct kvm at 0x%llx cannot be read",
			       (unsigned long long)kvm);
	if (o->slots_id_hash >= 0 && o->slots_node_idx >= 0 && o->slot_id_node >= 0 && o->hlist_node_size > 0) {
		/* 6.x: slots hashed by id; each slot sits on two lists, node_idx says which is live */
		int32_t idx = (int32_t)rd_u32(t, slots + (uint64_t)o->slots_node_idx, &ok);
		unsigned visited = 0;

		if (idx < 0 || idx > 1)
			return ns_fail(err, NS_ERR_FORMAT, "kvm_memslots at 0x%llx has node_idx %d: corrupt",
				       (unsigned long long)slots, idx);
		for (unsigned b = 0; b < 128 && ok; b++) {
			uint64_t node = rd_u64(t, slots + (uint64_t)o->slots_id_hash + 8ull * b, &ok);

			while (ok && node) {
				uint64_t slot = node - (uint64_t)o->slot_id_node - (uint64_t)idx * (uint64_t)o->hlist_node_size;

				if (!kernel_pointer(node) || ++visited > 32768)
					return ns_fail(err, NS_ERR_FORMAT, "memslot hash of kvm_memslots 0x%llx is corrupt",
						       (unsigned long long)slots);
				if (slot_has(t, o, slot, gpa, hva, &ok))
					return NS_OK;
				node = rd_u64(t, node, &ok); /* hlist_node.next */
			}
		}
	} else if (o->slots_used_slots >= 0 && o->slots_array >= 0 && o->slot_size > 0) {
		/* 5.x: an array of used_slots slots */
		int32_t used = (int32_t)rd_u32(t, slots + (uint64_t)o->slots_used_slots, &ok);

		if (used < 0 || used > 32768)
			return ns_fail(err, NS_ERR_FORMAT, "kvm_memslots at 0x%llx claims %d slots: corrupt",
				       (unsigned long long)slots, used);
		for (int32_t i = 0; i < used && ok; i++)
			if (slot_has(t, o, slots + (uint64_t)o->slots_array + (uint64_t)i * (uint64_t)o->slot_size, gpa,
				     hva, &ok))
				return NS_OK;
	} else {
		return ns_fail(err, NS_ERR_ARG, "unknown struct kvm_memslots layout: cannot translate GPAs");
	}
	if (!ok)
		return ns_fail(err, NS_ERR_IO, "the memslots of struct kvm at 0x%llx cannot be read",
			       (unsigned long long)kvm);
	return ns_fail(err, NS_ERR_ARG, "L1 GPA 0x%llx is in no memslot of struct kvm at 0x%llx",
		       (unsigned long long)gpa, (unsigned long long)kvm);
}

int ns_kvm_read_user(const struct ns_target *t, const struct ns_kvm_offsets *o, uint64_t kvm, uint64_t hva,
		     void *buf, size_t len, struct ns_error *err)
{
	static const unsigned shifts[4] = { 39, 30, 21, 12 };
	uint64_t pob = t->symbol(t->ctx, "page_offset_base"), direct, mm, table, entry = 0, phys = 0;
	bool ok = true;

	if ((hva & 0xfff) + len > 4096)
		return ns_fail(err, NS_ERR_ARG, "a read across pages at HVA 0x%llx", (unsigned long long)hva);
	if (!pob || o->kvm_mm < 0 || o->mm_pgd < 0)
		return ns_fail(err, NS_ERR_ARG, "page_offset_base or mm_struct.pgd unknown: cannot read user memory");
	direct = rd_u64(t, pob, &ok);
	mm = rd_u64(t, kvm + (uint64_t)o->kvm_mm, &ok);
	table = ok && kernel_pointer(mm) ? rd_u64(t, mm + (uint64_t)o->mm_pgd, &ok) : 0;
	if (!ok || !kernel_pointer(table))
		return ns_fail(err, NS_ERR_IO, "the VMM's page tables (kvm->mm->pgd) cannot be read");
	for (int level = 0; level < 4; level++) {
		unsigned idx = (unsigned)(hva >> shifts[level]) & 511;

		entry = rd_u64(t, table + 8ull * idx, &ok);
		if (!ok)
			return ns_fail(err, NS_ERR_IO, "page table at 0x%llx cannot be read", (unsigned long long)table);
		if (!(entry & 1))
			return ns_fail(err, NS_ERR_IO, "HVA 0x%llx is not mapped in the VMM (level %d entry 0x%llx)",
				       (unsigned long long)hva, 4 - level, (unsigned long long)entry);
		phys = entry & 0x000ffffffffff000ull;
		if (level > 0 && level < 3 && (entry & 0x80)) { /* a 1 GiB or 2 MiB page */
			uint64_t mask = (1ull << shifts[level]) - 1;
			phys = (entry & 0x000fffffffffe000ull & ~mask) + (hva & mask & ~0xfffull);
			break;
		}
		table = direct + phys;
	}
	if (!t->read(t->ctx, direct + phys + (hva & 0xfff), buf, len))
		return ns_fail(err, NS_ERR_IO,
			       "HVA 0x%llx (physical 0x%llx) is mapped but its page is not in this dump (a dump made with "
			       "makedumpfile -d 31 leaves out user pages)",
			       (unsigned long long)hva, (unsigned long long)(phys + (hva & 0xfff)));
	return NS_OK;
}

/* VCPU_REGS_RSP and VCPU_REGS_RIP: arch/x86/include/asm/kvm_vcpu_regs.h */
#define REG_RSP 4
#define REG_RIP 16

int ns_kvm_reg_cache(const struct ns_target *t, const struct ns_kvm_offsets *o, uint64_t vcpu,
		     struct ns_reg_cache *rc, struct ns_error *err)
{
	bool ok = true;
	uint64_t avail, dirty;

	memset(rc, 0, sizeof(*rc));
	if (o->vcpu_arch_regs < 0 || o->vcpu_arch_regs_avail < 0 || o->vcpu_arch_regs_dirty < 0)
		return NS_OK;
	rc->rip = rd_u64(t, vcpu + (uint64_t)o->vcpu_arch_regs + 8 * REG_RIP, &ok);
	rc->rsp = rd_u64(t, vcpu + (uint64_t)o->vcpu_arch_regs + 8 * REG_RSP, &ok);
	/* a u32 in newer kernels, an unsigned long in older ones: the low word has the bits */
	avail = rd_u32(t, vcpu + (uint64_t)o->vcpu_arch_regs_avail, &ok);
	dirty = rd_u32(t, vcpu + (uint64_t)o->vcpu_arch_regs_dirty, &ok);
	if (!ok)
		return ns_fail(err, NS_ERR_IO, "the register cache of vCPU 0x%llx cannot be read",
			       (unsigned long long)vcpu);
	rc->rip_avail = avail & (1u << REG_RIP);
	rc->rip_dirty = dirty & (1u << REG_RIP);
	rc->rsp_dirty = dirty & (1u << REG_RSP);
	rc->have = true;
	return NS_OK;
}

int ns_kvm_host_state(const struct ns_target *t, const struct ns_kvm_offsets *o, uint64_t loaded_vmcs,
		      struct ns_host_state *hs, struct ns_error *err)
{
	bool ok = true;

	memset(hs, 0, sizeof(*hs));
	if (o->hs_cr3 < 0 || o->hs_cr4 < 0 || o->hs_rsp < 0)
		return NS_OK;
	hs->cr3 = rd_u64(t, loaded_vmcs + (uint64_t)o->hs_cr3, &ok);
	hs->cr4 = rd_u64(t, loaded_vmcs + (uint64_t)o->hs_cr4, &ok);
	hs->rsp = rd_u64(t, loaded_vmcs + (uint64_t)o->hs_rsp, &ok);
	if (o->hs_fs_base >= 0)
		hs->fs_base = rd_u64(t, loaded_vmcs + (uint64_t)o->hs_fs_base, &ok);
	if (o->hs_gs_base >= 0)
		hs->gs_base = rd_u64(t, loaded_vmcs + (uint64_t)o->hs_gs_base, &ok);
	if (!ok)
		return ns_fail(err, NS_ERR_IO, "loaded_vmcs.host_state at 0x%llx cannot be read",
			       (unsigned long long)loaded_vmcs);
	hs->have = true;
	return NS_OK;
}

/* ---- the capabilities KVM offers L1 ---- */

/* The default1 bits KVM ORs into the non-TRUE control MSRs (*_ALWAYSON_WITHOUT_TRUE_MSR). */
#define PIN_ALWAYSON 0x16ull
#define PROC_ALWAYSON 0x0401e172ull
#define EXIT_ALWAYSON 0x36dffull
#define ENTRY_ALWAYSON 0x11ffull

int ns_kvm_nested_caps(const struct ns_target *t, const struct ns_kvm_offsets *o, const struct ns_vcpu *v,
		       struct ns_vmx_caps *caps, struct ns_error *err)
{
	long msrs = nested2(o->vmx_nested, member(t, "nested_vmx", "msrs"));
	long arch = member(t, "kvm_vcpu", "arch"), mpa = nested2(arch, member(t, "kvm_vcpu_arch", "maxphyaddr"));
	bool ok = true;
	uint64_t base;

#define M32(name) ({ long off_ = member(t, "nested_vmx_msrs", name); \
		     off_ < 0 ? (ok = false, 0u) : rd_u32(t, base + (uint64_t)off_, &ok); })
#define M64(name) ({ long off_ = member(t, "nested_vmx_msrs", name); \
		     off_ < 0 ? (ok = false, 0ull) : rd_u64(t, base + (uint64_t)off_, &ok); })
	memset(caps, 0, sizeof(*caps));
	if (msrs < 0)
		return ns_fail(err, NS_ERR_ARG, "nested_vmx.msrs is not known: cannot read L1's capabilities");
	base = v->vmx + (uint64_t)msrs;
	uint64_t pin = M32("pinbased_ctls_low") | (uint64_t)M32("pinbased_ctls_high") << 32;
	uint64_t proc = M32("procbased_ctls_low") | (uint64_t)M32("procbased_ctls_high") << 32;
	uint64_t exitc = M32("exit_ctls_low") | (uint64_t)M32("exit_ctls_high") << 32;
	uint64_t entry = M32("entry_ctls_low") | (uint64_t)M32("entry_ctls_high") << 32;
	caps->msr[0x0] = M64("basic");
	caps->msr[0x1] = pin | PIN_ALWAYSON;
	caps->msr[0x2] = proc | PROC_ALWAYSON;
	caps->msr[0x3] = exitc | EXIT_ALWAYSON;
	caps->msr[0x4] = entry | ENTRY_ALWAYSON;
	caps->msr[0x5] = M32("misc_low") | (uint64_t)M32("misc_high") << 32;
	caps->msr[0x6] = M64("cr0_fixed0");
	caps->msr[0x7] = M64("cr0_fixed1");
	caps->msr[0x8] = M64("cr4_fixed0");
	caps->msr[0x9] = M64("cr4_fixed1");
	caps->msr[0xa] = M64("vmcs_enum");
	caps->msr[0xb] = M32("secondary_ctls_low") | (uint64_t)M32("secondary_ctls_high") << 32;
	caps->msr[0xc] = M32("ept_caps") | (uint64_t)M32("vpid_caps") << 32;
	caps->msr[0xd] = pin;
	caps->msr[0xe] = proc;
	caps->msr[0xf] = exitc;
	caps->msr[0x10] = entry;
	caps->msr[0x11] = M64("vmfunc_controls");
#undef M32
#undef M64
	for (int i = 0; i < 18; i++)
		caps->have[i] = true;
	caps->maxphyaddr = mpa >= 0 ? rd_u32(t, v->vcpu + (uint64_t)mpa, &ok) : 46;
	if (!ok || caps->maxphyaddr < 32 || caps->maxphyaddr > 52)
		return ns_fail(err, NS_ERR_IO, "nested.msrs of vcpu_vmx 0x%llx cannot be read (or its layout is unknown)",
			       (unsigned long long)v->vmx);
	snprintf(caps->source, sizeof(caps->source), "the dump: nested.msrs of vCPU %u (pid %d), MAXPHYADDR %u", v->idx,
		 v->pid, caps->maxphyaddr);
	return NS_OK;
}
