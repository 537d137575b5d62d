/*
 * Rendering the Locate model: the VMs on vm_list and their vCPUs' nested
 * state (`kvm`, `kvm -v`), in text and JSON.
 */
#include <stdio.h>

#include "render/common.h"
#include "nestscope/explain.h"
#include "nestscope/render_kvm.h"
#include "nestscope/vmcb.h"

static const char *mode_name(const struct ns_vcpu *v)
{
	return v->guest_mode ? "L2" : "L1";
}

static void exit_reason_text(const struct ns_vcpu *v, char *buf, size_t n)
{
	struct ns_decoding d;

	if (!v->have_exit_reason) {
		snprintf(buf, n, "unknown");
		return;
	}
	ns_explain(NS_DEC_EXIT_REASON, v->exit_reason, NULL, &d);
	ns_decoding_format(&d, buf, n);
}

static const char *svm_state_text(const struct ns_vcpu *v)
{
	switch (ns_vcpu_svm_state(v)) {
	case NS_SVM_L2: return "L2 (guest mode: L2 active, the vCPU runs on vmcb02)";
	case NS_SVM_L1: return "L1 (nested SVM in use: L1 set EFER.SVME)";
	case NS_SVM_OFF: break;
	}
	return "L1 (no nested SVM: L1 has not set EFER.SVME)";
}

static void svm_exit_text(const struct ns_vcpu *v, char *buf, size_t n)
{
	char name[48];

	if (!v->s.have_exit_code)
		snprintf(buf, n, "unknown");
	else if (ns_svm_exit_name(v->s.exit_code, name, sizeof(name), NULL))
		snprintf(buf, n, "%#llx %s (%s's EXITCODE)", (unsigned long long)v->s.exit_code, name, ns_svm_current_str(v));
	else
		snprintf(buf, n, "%#llx (%s's EXITCODE; no name for it)", (unsigned long long)v->s.exit_code,
			 ns_svm_current_str(v));
}

/* kvm -v of a struct vcpu_svm: an AMD host's vCPU */
static void text_svm_vcpu(struct ns_out *o, const struct ns_vcpu *v)
{
	char exit[128];

	svm_exit_text(v, exit, sizeof(exit));
	ns_printf(o, "  VCPU %-3u  vcpu_svm %016llx  %s%s\n", v->idx, (unsigned long long)v->s.vcpu_svm, svm_state_text(v),
		  v->nested_run_pending ? "  nested_run_pending" : "");
	ns_printf(o, "            vmcb12 %#llx (L1's VMRUN operand, guest-physical)", (unsigned long long)v->s.vmcb12_gpa);
	if (v->s.have_hsave_msr)
		ns_printf(o, "  VM_HSAVE_PA %#llx", (unsigned long long)v->s.hsave_msr);
	ns_printf(o, "\n            vmcb01 %016llx (pa %#llx)  vmcb02 %016llx (pa %#llx)  current: %s\n",
		  (unsigned long long)v->s.vmcb01, (unsigned long long)v->s.vmcb01_pa, (unsigned long long)v->s.vmcb02,
		  (unsigned long long)v->s.vmcb02_pa, ns_svm_current_str(v));
	ns_printf(o, "            last exit: %s\n", exit);
}

static void text_vcpu(struct ns_out *o, const struct ns_vcpu *v)
{
	if (v->svm) {
		text_svm_vcpu(o, v);
		return;
	}

	char reason[256];

	exit_reason_text(v, reason, sizeof(reason));
	ns_printf(o, "  VCPU %-3u  vcpu_vmx %016llx  %s%s%s\n", v->idx, (unsigned long long)v->vmx, mode_name(v),
		  v->guest_mode ? " (guest mode: L2 active)" : "",
		  v->nested_run_pending ? "  nested_run_pending" : "");
	if (!v->vmxon) {
		ns_printf(o, "            not in VMX operation (L1 has not run VMXON)\n");
	} else {
		ns_printf(o, "            vmxon 1  vmxon region %#llx  current_vmptr %#llx%s\n",
			  (unsigned long long)v->vmxon_ptr, (unsigned long long)v->current_vmptr,
			  v->current_vmptr == ~0ull ? " (none)" : "");
	}
	ns_printf(o, "            cached_vmcs12 %016llx  cached_shadow_vmcs12 %016llx\n",
		  (unsigned long long)v->cached_vmcs12, (unsigned long long)v->cached_shadow_vmcs12);
	ns_printf(o, "            vmcs01 %016llx  vmcs02 %016llx  loaded: %s\n", (unsigned long long)v->vmcs01,
		  (unsigned long long)v->vmcs02,
		  v->loaded_vmcs == v->vmcs02_loaded_vmcs ? "vmcs02"
		  : v->loaded_vmcs == v->vmcs01_loaded_vmcs ? "vmcs01" : "?");
	ns_printf(o, "            last exit: %s\n", reason);
}

void ns_render_kvm_text(struct ns_out *o, const struct ns_vm *vms, const struct ns_error *vm_err, size_t nvms,
			const struct ns_vcpu *vcpus, size_t nvcpus, bool verbose)
{
	ns_printf(o, "%-18s %7s  %-16s %5s\n", "KVM", "PID", "COMM", "VCPUS");
	for (size_t i = 0; i < nvms; i++) {
		const struct ns_vm *vm = &vms[i];

		ns_printf(o, "%016llx   %7d  %-16s %5u\n", (unsigned long long)vm->kvm, vm->pid,
			  vm->comm[0] ? vm->comm : "-", vm->online_vcpus);
		/* a corrupt VM is said, and the others are still listed */
		if (vm_err && vm_err[i].code != NS_OK)
			ns_printf(o, "  its vCPUs cannot be listed: %s\n", vm_err[i].msg);
		if (!verbose)
			continue;
		for (size_t k = 0; k < nvcpus; k++)
			if (vcpus[k].kvm == vm->kvm)
				text_vcpu(o, &vcpus[k]);
	}
	if (!nvms)
		ns_printf(o, "(no VMs on vm_list)\n");
}

static void json_vcpu(struct json *j, const struct ns_vcpu *v)
{
	json_obj_begin(j);
	if (v->svm)
		ns_emit_svm_vcpu_members(j, v);
	else
		ns_emit_vcpu_members(j, v);
	json_obj_end(j);
}

void ns_render_kvm_json(struct ns_out *o, const struct ns_vm *vms, const struct ns_error *vm_err, size_t nvms,
			const struct ns_vcpu *vcpus, size_t nvcpus, bool verbose)
{
	struct json j;

	json_init(&j, o);
	json_obj_begin(&j);
	json_kv_str(&j, "schema", NS_KVM_SCHEMA);
	json_key(&j, "vms");
	json_arr_begin(&j);
	for (size_t i = 0; i < nvms; i++) {
		json_obj_begin(&j);
		ns_emit_vm_members(&j, &vms[i]);
		if (vm_err && vm_err[i].code != NS_OK)
			json_kv_str(&j, "error", vm_err[i].msg);
		if (verbose) {
			json_key(&j, "vcpus");
			json_arr_begin(&j);
			for (size_t k = 0; k < nvcpus; k++)
				if (vcpus[k].kvm == vms[i].kvm)
					json_vcpu(&j, &vcpus[k]);
			json_arr_end(&j);
		}
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
}
