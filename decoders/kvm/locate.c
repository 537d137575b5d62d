/*
 * Walking KVM's structures in a kernel image.  Every pointer here comes from
 * a dump that may be corrupt: lists are bounded, arrays are bounded, and a
 * read that fails is an error with the address, never a crash.
 */
#include <stdio.h>
#include <string.h>

#include "nestscope/checks.h"
#include "nestscope/locate.h"
#include "nestscope/render.h"
#include "nestscope/scan.h"
#include "nestscope/vmcb.h"
#include "pagewalk.h"

const struct ns_kernel_member ns_kernel_members[NS_KM_COUNT] = {
#define KVM NS_KMG_KVM
#define VMX NS_KMG_VMX
#define SVM NS_KMG_SVM
#define MOD NS_KMG_MOD
#define ABI NS_KMG_ABI
#define REQ true
#define OPT false
#define OFF NS_KMW_OFF
#define MSIZE NS_KMW_MSIZE
#define TSIZE NS_KMW_TSIZE
#define KM(id, group, need, what, kernels, path, alt1, alt2) { #id, group, need, what, kernels, { path, alt1, alt2 } },
#include "nestscope/kernel_members.def"
#undef KM
#undef KVM
#undef VMX
#undef SVM
#undef MOD
#undef ABI
#undef REQ
#undef OPT
#undef OFF
#undef MSIZE
#undef TSIZE
};

/* One path ("a.b/c.d"): the sum of its steps' offsets, or the size asked for; -1 if a step is missing. */
static long path_value(const struct ns_target *t, const char *path, enum ns_km_what what)
{
	long total = 0, v = -1;
	const char *p = path;

	if (what == NS_KMW_TSIZE)
		return t->type_size ? t->type_size(t->ctx, path) : -1;
	while (*p) {
		const char *dot = strchr(p, '.'), *end = strchr(p, '/');
		char type[64], member[64];
		size_t tl, ml;

		if (!end)
			end = p + strlen(p);
		if (!dot || dot > end)
			return -1;
		tl = (size_t)(dot - p);
		ml = (size_t)(end - dot - 1);
		if (tl >= sizeof(type) || ml >= sizeof(member))
			return -1;
		memcpy(type, p, tl);
		type[tl] = '\0';
		memcpy(member, dot + 1, ml);
		member[ml] = '\0';
		if (!*end && what == NS_KMW_MSIZE)
			return t->member_size(t->ctx, type, member);
		v = t->member_offset(t->ctx, type, member);
		if (v < 0)
			return -1;
		total += v;
		p = *end ? end + 1 : end;
	}
	return total;
}

/* The row's first path that the types resolve (and which one it was). */
static long resolve_row(const struct ns_target *t, enum ns_km id, short *alt)
{
	const struct ns_kernel_member *km = &ns_kernel_members[id];

	for (short a = 0; a < 3 && km->path[a]; a++) {
		long v = path_value(t, km->path[a], km->what);

		if (v >= 0) {
			*alt = a;
			return v;
		}
	}
	*alt = -1;
	return NS_NO_OFFSET;
}

long ns_km_resolve(const struct ns_target *t, enum ns_km id)
{
	short alt;

	return resolve_row(t, id, &alt);
}

/* "struct vcpu_vmx has no member nested_run_pending (nor kvm_vcpu_arch.nested_run_pending)" */
static int missing_row(enum ns_km id, const char *what, struct ns_error *err)
{
	const struct ns_kernel_member *km = &ns_kernel_members[id];
	char alts[160] = "";

	for (int a = 1; a < 3 && km->path[a]; a++) {
		size_t len = strlen(alts);
		snprintf(alts + len, sizeof(alts) - len, "%s%s", a == 1 ? ", nor " : " or ", km->path[a]);
	}
	return ns_fail(err, NS_ERR_LAYOUT,
		       "this kernel's %s has no %s%s (kernel_members.def %s): a KVM layout nestscope does not know, "
		       "so it reads nothing rather than guess", what, km->path[0], alts, km->id);
}

/*
 * The release from linux_banner ("Linux version 7.2.13+deb14-amd64 ..."),
 * and HF_GUEST_MASK's bit for it: bit 5 up to 6.1 (checked on Debian's 5.10
 * and 6.1), bit 0 from 6.4 ("KVM: x86: emulator: stop using raw host flags"
 * renumbered it; checked on 7.2); 6.2 and 6.3 are not judged.
 */
static void read_release(const struct ns_target *t, struct ns_kvm_offsets *o)
{
	uint64_t banner = t->symbol(t->ctx, "linux_banner");
	char buf[128] = "";
	unsigned major = 0, minor = 0;
	size_t i = 0;

	o->release[0] = '\0';
	o->hf_guest_bit = -1;
	if (!banner || !t->read(t->ctx, banner, buf, sizeof(buf) - 1) || strncmp(buf, "Linux version ", 14))
		return;
	for (const char *p = buf + 14; *p > ' ' && *p < 0x7f && i < sizeof(o->release) - 1; p++)
		o->release[i++] = *p;
	o->release[i] = '\0';
	if (sscanf(o->release, "%u.%u", &major, &minor) != 2)
		return;
	if (major < 6 || (major == 6 && minor <= 1))
		o->hf_guest_bit = 5;
	else if (major > 6 || minor >= 4)
		o->hf_guest_bit = 0;
}

int ns_kvm_svm_missing(const struct ns_kvm_offsets *o, struct ns_error *err)
{
	if (o->svm_missing >= 0)
		return missing_row((enum ns_km)o->svm_missing, "kvm_amd.ko", err);
	return ns_fail(err, NS_ERR_TYPES, "this host's KVM is kvm_amd (AMD SVM), and kvm_amd's types (struct vcpu_svm, "
		       "svm_nested_state) are not loaded: load kvm-amd.ko's debuginfo (crash: mod -s kvm_amd)");
}

int ns_kvm_offsets_resolve(const struct ns_target *t, struct ns_kvm_offsets *o, struct ns_error *err)
{
	memset(o, 0, sizeof(*o));
	for (int id = 0; id < NS_KM_COUNT; id++)
		o->v[id] = resolve_row(t, (enum ns_km)id, &o->alt[id]);
	read_release(t, o);
	if (!ns_km_have(o, NS_KM_KVM_VM_LIST) || !ns_km_have(o, NS_KM_KVM_ONLINE_VCPUS))
		return ns_fail(err, NS_ERR_KVM_TYPES,
			       "struct kvm is not known: load the kvm module's debuginfo (crash: mod -s kvm)");
	if (!ns_km_have(o, NS_KM_KVM_VCPU_ARRAY) && !ns_km_have(o, NS_KM_KVM_VCPUS))
		return ns_fail(err, NS_ERR_LAYOUT, "struct kvm has neither vcpu_array nor vcpus[]: unknown kernel layout");
	for (int id = 0; id < NS_KM_COUNT; id++)
		if (ns_kernel_members[id].required && ns_kernel_members[id].group == NS_KMG_KVM && !ns_km_have(o, (enum ns_km)id))
			return missing_row((enum ns_km)id, "kvm.ko", err);
	/*
	 * kvm_amd's types, when its debuginfo is loaded (a profile holds both
	 * vendors'): a nested SVM the table does not know is not an error here,
	 * where the host may be Intel's; the session names the row on an AMD host.
	 */
	o->svm_missing = -1;
	if (ns_km_have(o, NS_KM_SVM_VCPU)) {
		for (int id = 0; id < NS_KM_COUNT && o->svm_missing < 0; id++)
			if (ns_kernel_members[id].required && ns_kernel_members[id].group == NS_KMG_SVM &&
			    !ns_km_have(o, (enum ns_km)id))
				o->svm_missing = id;
		o->have_svm = o->svm_missing < 0;
	}
	/* kvm_intel's types: present only once its debuginfo is loaded */
	if (!ns_km_have(o, NS_KM_VMX_VCPU) && !ns_km_have(o, NS_KM_VMX_NESTED))
		return NS_OK;
	for (int id = 0; id < NS_KM_COUNT; id++)
		if (ns_kernel_members[id].required && ns_kernel_members[id].group == NS_KMG_VMX && !ns_km_have(o, (enum ns_km)id))
			return missing_row((enum ns_km)id, "kvm_intel.ko", err);
	o->have_vmx = true;
	return NS_OK;
}

size_t ns_kernel_structs(char (*names)[NS_KSTRUCT_NAME], size_t max)
{
	size_t n = 0;

	for (int id = 0; id < NS_KM_COUNT; id++) {
		for (int a = 0; a < 3 && ns_kernel_members[id].path[a]; a++) {
			const char *p = ns_kernel_members[id].path[a];

			while (*p) {
				size_t len = strcspn(p, "./");
				bool seen = false;

				for (size_t k = 0; k < n && k < max; k++)
					seen |= strlen(names[k]) == len && !strncmp(names[k], p, len);
				if (!seen) {
					if (n < max && len < NS_KSTRUCT_NAME) {
						memcpy(names[n], p, len);
						names[n][len] = '\0';
					}
					n++;
				}
				p = strchr(p, '/');
				p = p ? p + 1 : "";
			}
		}
	}
	return n;
}

void ns_kernel_members_markdown(struct ns_out *o)
{
	static const char *const groups[] = { "kvm", "kvm_intel", "vmlinux (modules)", "ABI", "kvm_amd" };

	ns_printf(o, "| value | from | required | kernels | read as |\n|---|---|---|---|---|\n");
	for (int id = 0; id < NS_KM_COUNT; id++) {
		const struct ns_kernel_member *km = &ns_kernel_members[id];

		ns_printf(o, "| `%s` | %s | %s | %s | `%s`", km->id, groups[km->group], km->required ? "yes" : "no",
			  km->kernels, km->path[0]);
		for (int a = 1; a < 3 && km->path[a]; a++)
			ns_printf(o, ", else `%s`", km->path[a]);
		ns_printf(o, "%s |\n", km->what == NS_KMW_MSIZE ? " (size)" : km->what == NS_KMW_TSIZE ? " (struct size)" : "");
	}
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
		return ns_fail(err, NS_ERR_KVM_TYPES, "no symbol vm_list: is the kvm module loaded in this kernel?");
	pos = rd_u64(t, head, &ok);
	if (!ok)
		return ns_fail(err, NS_ERR_IO, "vm_list at 0x%llx cannot be read", (unsigned long long)head);
	while (pos != head) {
		struct ns_vm *vm;
		uint64_t kvm = pos - (uint64_t)o->v[NS_KM_KVM_VM_LIST];

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
			if (o->v[NS_KM_KVM_USERSPACE_PID] >= 0)
				vm->pid = (int32_t)rd_u32(t, kvm + (uint64_t)o->v[NS_KM_KVM_USERSPACE_PID], &ok);
			vm->online_vcpus = rd_u32(t, kvm + (uint64_t)o->v[NS_KM_KVM_ONLINE_VCPUS], &ok);
			vm->vm_type = -1;
			if (ns_km_have(o, NS_KM_KVM_VM_TYPE)) {
				/* an unsigned long in 6.8+; the type is small */
				vm->vm_type = (int32_t)rd_u32(t, kvm + (uint64_t)o->v[NS_KM_KVM_VM_TYPE], &ok);
				if (vm->vm_type == NS_KVM_X86_TDX_VM)
					vm->skip = "a TDX VM: its vCPUs are struct vcpu_tdx, with no nested VMX";
			}
			if (o->v[NS_KM_KVM_MM] >= 0 && o->v[NS_KM_MM_OWNER] >= 0 && o->v[NS_KM_TASK_COMM] >= 0) {
				/* the VMM's command: kvm->mm->owner->comm (CONFIG_MEMCG) */
				bool ok2 = true;
				uint64_t mm = rd_u64(t, kvm + (uint64_t)o->v[NS_KM_KVM_MM], &ok2);
				uint64_t owner = ok2 && kernel_pointer(mm) ? rd_u64(t, mm + (uint64_t)o->v[NS_KM_MM_OWNER], &ok2) : 0;
				if (ok2 && kernel_pointer(owner) && t->read(t->ctx, owner + (uint64_t)o->v[NS_KM_TASK_COMM], vm->comm, 16))
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
	uint64_t entry = rd_u64(t, xa + (uint64_t)o->v[NS_KM_XA_HEAD], ok);

	/* an internal node pointer has bits 1:0 = 10 and is above 4096 */
	if (!((entry & 3) == 2 && entry > 4096))
		return i == 0 ? entry : 0;
	for (int depth = 0; depth < 8 && *ok; depth++) {
		uint64_t node = entry - 2;
		uint8_t shift = 0;
		uint64_t slot;

		if (!t->read(t->ctx, node + (uint64_t)o->v[NS_KM_XA_NODE_SHIFT], &shift, 1) || shift > 60) {
			*ok = false;
			return 0;
		}
		slot = i >> shift;
		if (slot > 63)
			return 0;
		entry = rd_u64(t, node + (uint64_t)o->v[NS_KM_XA_NODE_SLOTS] + 8 * slot, ok);
		if (!((entry & 3) == 2 && entry > 4096))
			return (entry & 3) == 2 ? 0 : entry; /* a sibling or retry entry: not a vCPU */
		i &= (1ull << shift) - 1;
	}
	*ok = false;
	return 0;
}

/* struct kvm_vmcb_info at info: the VMCB page's kernel and physical addresses */
static void vmcb_info_read(const struct ns_target *t, const struct ns_kvm_offsets *o, uint64_t info, uint64_t *ptr,
			   uint64_t *pa, bool *ok)
{
	*ptr = rd_u64(t, info + (uint64_t)o->v[NS_KM_VMCB_INFO_PTR], ok);
	*pa = rd_u64(t, info + (uint64_t)o->v[NS_KM_VMCB_INFO_PA], ok);
}

/* A struct vcpu_svm: where its VMCBs are, which one it runs on, and what it holds of L1's vmcb12. */
static int svm_vcpu_read(const struct ns_target *t, const struct ns_kvm_offsets *o, uint64_t vcpu, struct ns_vcpu *v,
			 struct ns_error *err)
{
	struct ns_svm_vcpu *s = &v->s;
	bool ok = true;
	uint64_t svm = vcpu - (uint64_t)o->v[NS_KM_SVM_VCPU];

	v->svm = true;
	s->vcpu_svm = svm;
	s->vmcb01_info = svm + (uint64_t)o->v[NS_KM_SVM_VMCB01];
	s->vmcb02_info = svm + (uint64_t)o->v[NS_KM_SVM_NESTED_VMCB02];
	vmcb_info_read(t, o, s->vmcb01_info, &s->vmcb01, &s->vmcb01_pa, &ok);
	vmcb_info_read(t, o, s->vmcb02_info, &s->vmcb02, &s->vmcb02_pa, &ok);
	s->current_vmcb = rd_u64(t, svm + (uint64_t)o->v[NS_KM_SVM_CURRENT_VMCB], &ok);
	/* guest mode is state: KVM switches current_vmcb to &nested.vmcb02 to run L2 (svm_switch_vmcb) */
	v->guest_mode = s->current_vmcb == s->vmcb02_info;
	if (ns_km_have(o, NS_KM_VCPU_HFLAGS) && o->hf_guest_bit >= 0) {
		v->hflags_judged = true;
		v->hflags_agrees = (bool)((v->hflags >> o->hf_guest_bit) & 1) == v->guest_mode;
	}
	s->vmcb12_gpa = rd_u64(t, svm + (uint64_t)o->v[NS_KM_SVM_NESTED_VMCB12_GPA], &ok);
	if ((s->have_last_vmcb12_gpa = ns_km_have(o, NS_KM_SVM_NESTED_LAST_VMCB12_GPA)))
		s->last_vmcb12_gpa = rd_u64(t, svm + (uint64_t)o->v[NS_KM_SVM_NESTED_LAST_VMCB12_GPA], &ok);
	if ((s->have_hsave_msr = ns_km_have(o, NS_KM_SVM_NESTED_HSAVE_MSR)))
		s->hsave_msr = rd_u64(t, svm + (uint64_t)o->v[NS_KM_SVM_NESTED_HSAVE_MSR], &ok);
	if (ns_km_have(o, NS_KM_SVM_NESTED_VM_CR_MSR))
		s->vm_cr_msr = rd_u64(t, svm + (uint64_t)o->v[NS_KM_SVM_NESTED_VM_CR_MSR], &ok);
	if ((s->have_initialized = ns_km_have(o, NS_KM_SVM_NESTED_INITIALIZED)))
		s->initialized = rd_bool(t, svm, o->v[NS_KM_SVM_NESTED_INITIALIZED], &ok);
	v->nested_run_pending = rd_bool(t, svm, o->v[NS_KM_SVM_NESTED_RUN_PENDING], &ok);
	/* the VMCB layout is architectural (APM appendix B): its offsets come from the VMCB table, not the types */
	if (s->current_vmcb == s->vmcb01_info || s->current_vmcb == s->vmcb02_info) {
		uint64_t page = v->guest_mode ? s->vmcb02 : s->vmcb01;

		s->have_exit_code = kernel_pointer(page) &&
				    t->read(t->ctx, page + ns_vmcb_field_offset(ns_vmcb_field(NS_VMCB_EXIT_CODE)), &s->exit_code, 8);
	}
	s->ctl_cached = svm + (uint64_t)o->v[NS_KM_SVM_NESTED_CTL];
	if (ns_km_have(o, NS_KM_SVM_NESTED_SAVE))
		s->save_cached = svm + (uint64_t)o->v[NS_KM_SVM_NESTED_SAVE];
	if (!ok)
		return ns_fail(err, NS_ERR_IO, "struct vcpu_svm at 0x%llx cannot be read", (unsigned long long)svm);
	return NS_OK;
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
	if (o->v[NS_KM_VCPU_IDX] >= 0)
		v->idx = rd_u32(t, vcpu + (uint64_t)o->v[NS_KM_VCPU_IDX], &ok);
	if (ns_km_have(o, NS_KM_VCPU_HFLAGS))
		v->hflags = rd_u32(t, vcpu + (uint64_t)o->v[NS_KM_VCPU_HFLAGS], &ok);
	if (!ok)
		return ns_fail(err, NS_ERR_IO, "struct kvm_vcpu at 0x%llx cannot be read", (unsigned long long)vcpu);
	if (o->svm_host && o->have_svm)
		return svm_vcpu_read(t, o, vcpu, v, err);
	if (!o->have_vmx) {
		/* without kvm_intel's types only hflags can tell, where its bit is known */
		v->guest_mode = o->hf_guest_bit >= 0 && (v->hflags >> o->hf_guest_bit) & 1;
		return NS_OK;
	}
	v->vmx = vmx = vcpu - (uint64_t)o->v[NS_KM_VMX_VCPU];
	v->vmxon = rd_bool(t, vmx, o->v[NS_KM_NESTED_VMXON], &ok);
	v->vmxon_ptr = rd_u64(t, vmx + (uint64_t)o->v[NS_KM_NESTED_VMXON_PTR], &ok);
	v->current_vmptr = rd_u64(t, vmx + (uint64_t)o->v[NS_KM_NESTED_CURRENT_VMPTR], &ok);
	v->cached_vmcs12 = rd_u64(t, vmx + (uint64_t)o->v[NS_KM_NESTED_CACHED_VMCS12], &ok);
	if (o->v[NS_KM_NESTED_CACHED_SHADOW_VMCS12] >= 0)
		v->cached_shadow_vmcs12 = rd_u64(t, vmx + (uint64_t)o->v[NS_KM_NESTED_CACHED_SHADOW_VMCS12], &ok);
	v->vmcs02_loaded_vmcs = vmx + (uint64_t)o->v[NS_KM_NESTED_VMCS02];
	v->vmcs02 = rd_u64(t, v->vmcs02_loaded_vmcs + (uint64_t)o->v[NS_KM_LVMCS_VMCS], &ok);
	if (o->v[NS_KM_VMX_VMCS01] >= 0) {
		v->vmcs01_loaded_vmcs = vmx + (uint64_t)o->v[NS_KM_VMX_VMCS01];
		v->vmcs01 = rd_u64(t, v->vmcs01_loaded_vmcs + (uint64_t)o->v[NS_KM_LVMCS_VMCS], &ok);
	}
	v->loaded_vmcs = rd_u64(t, vmx + (uint64_t)o->v[NS_KM_VMX_LOADED_VMCS], &ok);
	/* guest mode is state: KVM switches loaded_vmcs to &nested.vmcs02 to run L2 */
	v->guest_mode = v->loaded_vmcs == v->vmcs02_loaded_vmcs;
	v->loaded_is_vmcs01 = v->vmcs01_loaded_vmcs && v->loaded_vmcs == v->vmcs01_loaded_vmcs;
	if (ns_km_have(o, NS_KM_VCPU_HFLAGS) && o->hf_guest_bit >= 0) {
		v->hflags_judged = true;
		v->hflags_agrees = (bool)((v->hflags >> o->hf_guest_bit) & 1) == v->guest_mode;
	}
	if (ns_km_have(o, NS_KM_NESTED_HV_EVMCS_VMPTR)) {
		v->hv_evmcs_vmptr = rd_u64(t, vmx + (uint64_t)o->v[NS_KM_NESTED_HV_EVMCS_VMPTR], &ok);
		v->have_hv_evmcs = true;
	}
	v->nested_run_pending = rd_bool(t, vmx, o->v[NS_KM_NESTED_RUN_PENDING], &ok);
	v->need_vmcs12_to_shadow_sync = rd_bool(t, vmx, o->v[NS_KM_NESTED_NEED_VMCS12_TO_SHADOW_SYNC], &ok);
	v->need_sync_vmcs02_rare = rd_bool(t, vmx, o->v[NS_KM_NESTED_NEED_SYNC_VMCS02_TO_VMCS12_RARE], &ok);
	if (o->v[NS_KM_VMX_EXIT_REASON] >= 0) {
		v->exit_reason = rd_u32(t, vmx + (uint64_t)o->v[NS_KM_VMX_EXIT_REASON], &ok);
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
	if (vm->skip)
		return NS_OK;
	if (count > NS_MAX_VCPUS_PER_VM)
		return ns_fail(err, NS_ERR_FORMAT, "struct kvm at 0x%llx claims %u online vCPUs: corrupt",
			       (unsigned long long)vm->kvm, count);
	for (uint32_t i = 0; i < count && *n < max; i++) {
		uint64_t vcpu;

		if (o->v[NS_KM_KVM_VCPU_ARRAY] >= 0) {
			if (o->v[NS_KM_XA_HEAD] < 0 || o->v[NS_KM_XA_NODE_SHIFT] < 0 || o->v[NS_KM_XA_NODE_SLOTS] < 0)
				return ns_fail(err, NS_ERR_ARG, "struct xarray/xa_node are not known: cannot walk vcpu_array");
			vcpu = xa_load(t, o, vm->kvm + (uint64_t)o->v[NS_KM_KVM_VCPU_ARRAY], i, &ok);
		} else {
			if (!ns_km_have(o, NS_KM_KVM_VCPUS_SIZE) || i >= (uint64_t)o->v[NS_KM_KVM_VCPUS_SIZE] / 8)
				break;
			vcpu = rd_u64(t, vm->kvm + (uint64_t)o->v[NS_KM_KVM_VCPUS] + 8ull * i, &ok);
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
	if (!ns_km_have(o, NS_KM_CS_VM_ENTRY) || !ns_km_have(o, NS_KM_CS_EXEC))
		return NS_OK; /* older kernels keep no software copy */
	cs->vm_entry = rd_u32(t, loaded_vmcs + (uint64_t)o->v[NS_KM_CS_VM_ENTRY], &ok);
	cs->vm_exit = rd_u32(t, loaded_vmcs + (uint64_t)o->v[NS_KM_CS_VM_EXIT], &ok);
	cs->pin = rd_u32(t, loaded_vmcs + (uint64_t)o->v[NS_KM_CS_PIN], &ok);
	cs->exec = rd_u32(t, loaded_vmcs + (uint64_t)o->v[NS_KM_CS_EXEC], &ok);
	cs->secondary_exec = rd_u32(t, loaded_vmcs + (uint64_t)o->v[NS_KM_CS_SECONDARY_EXEC], &ok);
	if (o->v[NS_KM_CS_TERTIARY_EXEC] >= 0) {
		cs->tertiary_exec = rd_u64(t, loaded_vmcs + (uint64_t)o->v[NS_KM_CS_TERTIARY_EXEC], &ok);
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
	uint64_t base = rd_u64(t, slot + (uint64_t)o->v[NS_KM_SLOT_BASE_GFN], ok);
	uint64_t npages = rd_u64(t, slot + (uint64_t)o->v[NS_KM_SLOT_NPAGES], ok);
	uint64_t uaddr = rd_u64(t, slot + (uint64_t)o->v[NS_KM_SLOT_USERSPACE_ADDR], ok);
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

	if (o->v[NS_KM_KVM_MEMSLOTS] < 0 || o->v[NS_KM_SLOT_BASE_GFN] < 0 || o->v[NS_KM_SLOT_NPAGES] < 0 || o->v[NS_KM_SLOT_USERSPACE_ADDR] < 0)
		return ns_fail(err, NS_ERR_ARG, "struct kvm_memslots/kvm_memory_slot are not known: cannot translate GPAs");
	slots = rd_u64(t, kvm + (uint64_t)o->v[NS_KM_KVM_MEMSLOTS], &ok);
	if (!ok || !kernel_pointer(slots))
		return ns_fail(err, NS_ERR_IO, "kvm->memslots[0] of struct kvm at 0x%llx cannot be read",
			       (unsigned long long)kvm);
	if (o->v[NS_KM_SLOTS_ID_HASH] >= 0 && o->v[NS_KM_SLOTS_NODE_IDX] >= 0 && o->v[NS_KM_SLOT_ID_NODE] >= 0 && o->v[NS_KM_HLIST_NODE_SIZE] > 0) {
		/* 6.x: slots hashed by id; each slot sits on two lists, node_idx says which is live */
		int32_t idx = (int32_t)rd_u32(t, slots + (uint64_t)o->v[NS_KM_SLOTS_NODE_IDX], &ok);
		unsigned visited = 0;

		if (idx < 0 || idx > 1)
			return ns_fail(err, NS_ERR_FORMAT, "kvm_memslots at 0x%llx has node_idx %d: corrupt",
				       (unsigned long long)slots, idx);
		for (unsigned b = 0; b < 128 && ok; b++) {
			uint64_t node = rd_u64(t, slots + (uint64_t)o->v[NS_KM_SLOTS_ID_HASH] + 8ull * b, &ok);

			while (ok && node) {
				uint64_t slot = node - (uint64_t)o->v[NS_KM_SLOT_ID_NODE] - (uint64_t)idx * (uint64_t)o->v[NS_KM_HLIST_NODE_SIZE];

				if (!kernel_pointer(node) || ++visited > 32768)
					return ns_fail(err, NS_ERR_FORMAT, "memslot hash of kvm_memslots 0x%llx is corrupt",
						       (unsigned long long)slots);
				if (slot_has(t, o, slot, gpa, hva, &ok))
					return NS_OK;
				node = rd_u64(t, node, &ok); /* hlist_node.next */
			}
		}
	} else if (o->v[NS_KM_SLOTS_USED_SLOTS] >= 0 && o->v[NS_KM_SLOTS_ARRAY] >= 0 && o->v[NS_KM_SLOT_SIZE] > 0) {
		/* 5.x: an array of used_slots slots */
		int32_t used = (int32_t)rd_u32(t, slots + (uint64_t)o->v[NS_KM_SLOTS_USED_SLOTS], &ok);

		if (used < 0 || used > 32768)
			return ns_fail(err, NS_ERR_FORMAT, "kvm_memslots at 0x%llx claims %d slots: corrupt",
				       (unsigned long long)slots, used);
		for (int32_t i = 0; i < used && ok; i++)
			if (slot_has(t, o, slots + (uint64_t)o->v[NS_KM_SLOTS_ARRAY] + (uint64_t)i * (uint64_t)o->v[NS_KM_SLOT_SIZE], gpa,
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

/* The VMM's page tables, read through the kernel's direct map: physical address p is at direct + p. */
struct direct_map {
	const struct ns_target *t;
	uint64_t direct;
};

static bool direct_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	const struct direct_map *dm = ctx;

	return dm->t->read(dm->t->ctx, dm->direct + pa, buf, len);
}

int ns_kvm_read_user(const struct ns_target *t, const struct ns_kvm_offsets *o, uint64_t kvm, uint64_t hva,
		     void *buf, size_t len, struct ns_error *err)
{
	uint64_t pob = t->symbol(t->ctx, "page_offset_base"), mm, pgd, phys = 0;
	struct direct_map dm = { t, 0 };
	struct ns_phys mem = { &dm, direct_read };
	struct pgwalk *w;
	enum pgwalk_result r;
	bool ok = true;
	int rc = NS_OK;

	if ((hva & 0xfff) + len > 4096)
		return ns_fail(err, NS_ERR_ARG, "a read across pages at HVA 0x%llx", (unsigned long long)hva);
	if (!pob || o->v[NS_KM_KVM_MM] < 0 || o->v[NS_KM_MM_PGD] < 0)
		return ns_fail(err, NS_ERR_ARG, "page_offset_base or mm_struct.pgd unknown: cannot read user memory");
	dm.direct = rd_u64(t, pob, &ok);
	mm = rd_u64(t, kvm + (uint64_t)o->v[NS_KM_KVM_MM], &ok);
	pgd = ok && kernel_pointer(mm) ? rd_u64(t, mm + (uint64_t)o->v[NS_KM_MM_PGD], &ok) : 0;
	if (!ok || !kernel_pointer(pgd))
		return ns_fail(err, NS_ERR_IO, "the VMM's page tables (kvm->mm->pgd) cannot be read");
	/* pgd_alloc's page comes from the page allocator: a page of the direct map */
	if (pgd < dm.direct || (pgd & 0xfff))
		return ns_fail(err, NS_ERR_FORMAT, "kvm->mm->pgd 0x%llx is not a page above page_offset_base (0x%llx): corrupt",
			       (unsigned long long)pgd, (unsigned long long)dm.direct);
	if (!(w = pgwalk_new(&mem)))
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	r = pgwalk_translate(w, pgd - dm.direct, hva, &phys);
	if (r == PGWALK_NO_DATA)
		rc = ns_fail(err, NS_ERR_IO, "the VMM's page tables cannot be read at HVA 0x%llx: %s",
			     (unsigned long long)hva, pgwalk_error(w));
	else if (r == PGWALK_NO_MEMORY)
		rc = ns_fail(err, NS_ERR_NOMEM, "out of memory");
	else if (r != PGWALK_OK)
		rc = ns_fail(err, NS_ERR_IO, "HVA 0x%llx is not mapped in the VMM (%s)", (unsigned long long)hva,
			     pgwalk_error(w));
	pgwalk_free(w);
	if (rc)
		return rc;
	if (!t->read(t->ctx, dm.direct + phys, buf, len))
		return ns_fail(err, NS_ERR_IO,
			       "HVA 0x%llx (physical 0x%llx) is mapped but its page is not in this dump (a dump made with "
			       "makedumpfile -d 31 leaves out user and page-cache pages)",
			       (unsigned long long)hva, (unsigned long long)phys);
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
	if (o->v[NS_KM_VCPU_REGS] < 0 || o->v[NS_KM_VCPU_REGS_AVAIL] < 0 || o->v[NS_KM_VCPU_REGS_DIRTY] < 0)
		return NS_OK;
	rc->rip = rd_u64(t, vcpu + (uint64_t)o->v[NS_KM_VCPU_REGS] + 8 * REG_RIP, &ok);
	rc->rsp = rd_u64(t, vcpu + (uint64_t)o->v[NS_KM_VCPU_REGS] + 8 * REG_RSP, &ok);
	/* a u32 in newer kernels, an unsigned long in older ones: the low word has the bits */
	avail = rd_u32(t, vcpu + (uint64_t)o->v[NS_KM_VCPU_REGS_AVAIL], &ok);
	dirty = rd_u32(t, vcpu + (uint64_t)o->v[NS_KM_VCPU_REGS_DIRTY], &ok);
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
	if (o->v[NS_KM_HS_CR3] < 0 || o->v[NS_KM_HS_CR4] < 0 || o->v[NS_KM_HS_RSP] < 0)
		return NS_OK;
	hs->cr3 = rd_u64(t, loaded_vmcs + (uint64_t)o->v[NS_KM_HS_CR3], &ok);
	hs->cr4 = rd_u64(t, loaded_vmcs + (uint64_t)o->v[NS_KM_HS_CR4], &ok);
	hs->rsp = rd_u64(t, loaded_vmcs + (uint64_t)o->v[NS_KM_HS_RSP], &ok);
	if (o->v[NS_KM_HS_FS_BASE] >= 0)
		hs->fs_base = rd_u64(t, loaded_vmcs + (uint64_t)o->v[NS_KM_HS_FS_BASE], &ok);
	if (o->v[NS_KM_HS_GS_BASE] >= 0)
		hs->gs_base = rd_u64(t, loaded_vmcs + (uint64_t)o->v[NS_KM_HS_GS_BASE], &ok);
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

/* One member of nested.msrs; a missing one fails the whole read. */
static uint64_t msr_word(const struct ns_target *t, const struct ns_kvm_offsets *o, enum ns_km id, uint64_t base,
			 unsigned size, bool *ok)
{
	if (!ns_km_have(o, id)) {
		*ok = false;
		return 0;
	}
	return size == 4 ? rd_u32(t, base + (uint64_t)o->v[id], ok) : rd_u64(t, base + (uint64_t)o->v[id], ok);
}

/*
 * What else the SDM checks read of L1, each part only when the kernel's
 * types name it and the dump holds it; a part left out says why in the
 * rules that need it.  vcpu->arch.efer is L1's only while the vCPU is in
 * L1: in L2 KVM keeps L2's there.
 */
static void l1_context(const struct ns_target *t, const struct ns_kvm_offsets *o, const struct ns_vcpu *v,
		       struct ns_vmx_caps *caps)
{
	bool ok = true;

	if (!ns_km_have(o, NS_KM_VCPU_EFER))
		snprintf(caps->l1_efer_missing, sizeof(caps->l1_efer_missing),
			 "kvm_vcpu_arch.efer is not in this kernel's types (give --l1-efer)");
	else if (v->guest_mode)
		snprintf(caps->l1_efer_missing, sizeof(caps->l1_efer_missing),
			 "the vCPU runs L2, so vcpu->arch.efer is L2's; L1's is not kept (give --l1-efer)");
	else {
		caps->l1_efer = rd_u64(t, v->vcpu + (uint64_t)o->v[NS_KM_VCPU_EFER], &ok);
		caps->have_l1_efer = ok;
		if (!ok)
			snprintf(caps->l1_efer_missing, sizeof(caps->l1_efer_missing),
				 "vcpu->arch.efer of vCPU %u cannot be read from the dump", v->idx);
	}
	if (ns_km_have(o, NS_KM_VCPU_PMU_GLOBAL_CTRL_RSVD)) {
		ok = true;
		caps->perf_global_ctrl_reserved = rd_u64(t, v->vcpu + (uint64_t)o->v[NS_KM_VCPU_PMU_GLOBAL_CTRL_RSVD], &ok);
		caps->have_perf_global_ctrl_reserved = ok;
	}
	/* vcpu->arch.cpuid_entries: a pointer to cpuid_nent struct kvm_cpuid_entry2 (an array before 5.11) */
	if (ns_km_have(o, NS_KM_VCPU_CPUID_NENT) && ns_km_have(o, NS_KM_VCPU_CPUID_ENTRIES) &&
	    ns_km_have(o, NS_KM_CPUID_ENTRY_SIZE) && ns_km_have(o, NS_KM_CPUID_ENTRY_FUNCTION) &&
	    ns_km_have(o, NS_KM_CPUID_ENTRY_INDEX) && ns_km_have(o, NS_KM_CPUID_ENTRY_EAX) &&
	    ns_km_have(o, NS_KM_CPUID_ENTRY_EBX) && ns_km_have(o, NS_KM_CPUID_ENTRY_ECX) &&
	    ns_km_have(o, NS_KM_CPUID_ENTRY_EDX) && o->v[NS_KM_CPUID_ENTRY_SIZE] > 0) {
		int32_t nent;
		uint64_t arr = v->vcpu + (uint64_t)o->v[NS_KM_VCPU_CPUID_ENTRIES], size = (uint64_t)o->v[NS_KM_CPUID_ENTRY_SIZE];

		ok = true;
		nent = (int32_t)rd_u32(t, v->vcpu + (uint64_t)o->v[NS_KM_VCPU_CPUID_NENT], &ok);
		if (ns_km_have(o, NS_KM_VCPU_CPUID_ENTRIES_SIZE) && o->v[NS_KM_VCPU_CPUID_ENTRIES_SIZE] == 8)
			arr = rd_u64(t, arr, &ok);
		/* a corrupt count or pointer leaves the CPUID unknown, never half-read */
		if (!ok || nent < 0 || nent > NS_MAX_CPUID_LEAVES || (nent && !kernel_pointer(arr)))
			return;
		for (int32_t i = 0; i < nent && ok; i++) {
			uint64_t e = arr + (uint64_t)i * size;
			struct ns_cpuid_leaf *l = &caps->cpuid[i];

			l->function = rd_u32(t, e + (uint64_t)o->v[NS_KM_CPUID_ENTRY_FUNCTION], &ok);
			l->index = rd_u32(t, e + (uint64_t)o->v[NS_KM_CPUID_ENTRY_INDEX], &ok);
			l->eax = rd_u32(t, e + (uint64_t)o->v[NS_KM_CPUID_ENTRY_EAX], &ok);
			l->ebx = rd_u32(t, e + (uint64_t)o->v[NS_KM_CPUID_ENTRY_EBX], &ok);
			l->ecx = rd_u32(t, e + (uint64_t)o->v[NS_KM_CPUID_ENTRY_ECX], &ok);
			l->edx = rd_u32(t, e + (uint64_t)o->v[NS_KM_CPUID_ENTRY_EDX], &ok);
		}
		if (ok) {
			caps->ncpuid = (unsigned)nent;
			caps->have_cpuid = true;
		}
	}
}

int ns_kvm_nested_caps(const struct ns_target *t, const struct ns_kvm_offsets *o, const struct ns_vcpu *v,
		       struct ns_vmx_caps *caps, struct ns_error *err)
{
	bool ok = true;
	uint64_t base;

#define M32(id) msr_word(t, o, NS_KM_MSRS_##id, base, 4, &ok)
#define M64(id) msr_word(t, o, NS_KM_MSRS_##id, base, 8, &ok)
	memset(caps, 0, sizeof(*caps));
	if (!ns_km_have(o, NS_KM_NESTED_MSRS))
		return ns_fail(err, NS_ERR_ARG, "nested_vmx.msrs is not known: cannot read L1's capabilities");
	base = v->vmx + (uint64_t)o->v[NS_KM_NESTED_MSRS];
	uint64_t pin = M32(PIN_LOW) | (uint64_t)M32(PIN_HIGH) << 32;
	uint64_t proc = M32(PROC_LOW) | (uint64_t)M32(PROC_HIGH) << 32;
	uint64_t exitc = M32(EXIT_LOW) | (uint64_t)M32(EXIT_HIGH) << 32;
	uint64_t entry = M32(ENTRY_LOW) | (uint64_t)M32(ENTRY_HIGH) << 32;
	caps->msr[0x0] = M64(BASIC);
	caps->msr[0x1] = pin | PIN_ALWAYSON;
	caps->msr[0x2] = proc | PROC_ALWAYSON;
	caps->msr[0x3] = exitc | EXIT_ALWAYSON;
	caps->msr[0x4] = entry | ENTRY_ALWAYSON;
	caps->msr[0x5] = M32(MISC_LOW) | (uint64_t)M32(MISC_HIGH) << 32;
	caps->msr[0x6] = M64(CR0_FIXED0);
	caps->msr[0x7] = M64(CR0_FIXED1);
	caps->msr[0x8] = M64(CR4_FIXED0);
	caps->msr[0x9] = M64(CR4_FIXED1);
	caps->msr[0xa] = M64(VMCS_ENUM);
	caps->msr[0xb] = M32(SECONDARY_LOW) | (uint64_t)M32(SECONDARY_HIGH) << 32;
	caps->msr[0xc] = M32(EPT_CAPS) | (uint64_t)M32(VPID_CAPS) << 32;
	caps->msr[0xd] = pin;
	caps->msr[0xe] = proc;
	caps->msr[0xf] = exitc;
	caps->msr[0x10] = entry;
	caps->msr[0x11] = M64(VMFUNC);
#undef M32
#undef M64
	for (int i = 0; i < 18; i++)
		caps->have[i] = true;
	/* L1's MAXPHYADDR bounds every address check: never assumed */
	if (!ns_km_have(o, NS_KM_VCPU_MAXPHYADDR))
		return ns_fail(err, NS_ERR_LAYOUT, "kvm_vcpu_arch.maxphyaddr is not known: cannot judge L1's addresses");
	caps->maxphyaddr = rd_u32(t, v->vcpu + (uint64_t)o->v[NS_KM_VCPU_MAXPHYADDR], &ok);
	if (!ok || caps->maxphyaddr < 32 || caps->maxphyaddr > 52)
		return ns_fail(err, NS_ERR_IO, "nested.msrs of vcpu_vmx 0x%llx cannot be read (or its layout is unknown)",
			       (unsigned long long)v->vmx);
	l1_context(t, o, v, caps);
	snprintf(caps->source, sizeof(caps->source), "the dump: nested.msrs of vCPU %u (pid %d), MAXPHYADDR %u%s%s%s",
		 v->idx, v->pid, caps->maxphyaddr, caps->have_cpuid ? ", CPUID" : "",
		 caps->have_l1_efer ? ", L1's IA32_EFER" : "", caps->have_perf_global_ctrl_reserved ? ", PMU" : "");
	return NS_OK;
}

int ns_kvm_svm_caps(const struct ns_target *t, const struct ns_kvm_offsets *o, const struct ns_vcpu *v,
		    struct ns_vmx_caps *caps, struct ns_error *err)
{
	bool ok = true;

	memset(caps, 0, sizeof(*caps));
	/* L1's MAXPHYADDR bounds the permission maps' addresses: never assumed */
	if (!ns_km_have(o, NS_KM_VCPU_MAXPHYADDR))
		return ns_fail(err, NS_ERR_LAYOUT, "kvm_vcpu_arch.maxphyaddr is not known: cannot judge L1's addresses");
	caps->maxphyaddr = rd_u32(t, v->vcpu + (uint64_t)o->v[NS_KM_VCPU_MAXPHYADDR], &ok);
	if (!ok || caps->maxphyaddr < 32 || caps->maxphyaddr > 52)
		return ns_fail(err, NS_ERR_IO, "vcpu->arch.maxphyaddr of vCPU %u (pid %d) cannot be read", v->idx, v->pid);
	l1_context(t, o, v, caps);
	snprintf(caps->source, sizeof(caps->source), "the dump: vCPU %u (pid %d)'s MAXPHYADDR %u%s", v->idx, v->pid,
		 caps->maxphyaddr, caps->have_cpuid ? " and the CPUID KVM gave L1 (KVM_SET_CPUID2)" : ", no CPUID");
	return NS_OK;
}
