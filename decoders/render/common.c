/* The shared concepts of the JSON documents (render/common.h): one emitter each. */
#include <stdio.h>

#include "render/common.h"
#include "nestscope/vmcb.h"
#include "sdm/vmx_names.h"

const char *ns_copy_name_str(enum ns_copy_name n)
{
	static const char *const names[] = {
		[NS_CP_CACHED_VMCS12] = "cached_vmcs12", [NS_CP_CACHED_SHADOW_VMCS12] = "cached_shadow_vmcs12",
		[NS_CP_L1_MEMORY] = "l1_memory",         [NS_CP_VMCS02] = "vmcs02",
		[NS_CP_VMCS01] = "vmcs01",               [NS_CP_BLOB_VMCS12] = "blob_vmcs12",
		[NS_CP_BLOB_SHADOW_VMCS12] = "blob_shadow_vmcs12", [NS_CP_REGION] = "region", [NS_CP_BLOB_VMCB12] = "blob_vmcb12",
		[NS_CP_CACHED_VMCB12] = "cached_vmcb12", [NS_CP_VMCB02] = "vmcb02", [NS_CP_VMCB01] = "vmcb01",
	};

	return (size_t)n < sizeof(names) / sizeof(names[0]) ? names[n] : "region";
}

const char *ns_addr_space_str(enum ns_addr_space s)
{
	static const char *const names[] = {
		[NS_AS_NONE] = "none", [NS_AS_KERNEL] = "kernel", [NS_AS_L1_PHYS] = "l1_physical",
		[NS_AS_PHYS] = "physical", [NS_AS_FILE_OFFSET] = "file_offset",
	};

	return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "none";
}

const char *ns_verdict_str(enum ns_verdict v)
{
	return v == NS_PASS ? "pass" : v == NS_FAIL ? "fail" : v == NS_NOT_JUDGED ? "not_judged" : "not_applicable";
}

void ns_emit_vcpu_ref(struct json *j, const char *key, const struct ns_vcpu_ref *r)
{
	json_key(j, key);
	if (!r || !r->known) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_kv_hex(j, "kvm", r->kvm);
	json_key(j, "pid");
	if (r->pid < 0)
		json_null(j);
	else
		json_uint(j, (uint64_t)r->pid);
	json_kv_uint(j, "index", r->index);
	json_kv_hex(j, "kvm_vcpu", r->kvm_vcpu);
	json_kv_hex(j, r->svm ? "vcpu_svm" : "vcpu_vmx", r->vcpu_vmx);
	json_kv_bool(j, "on_vm_list", r->on_vm_list);
	json_obj_end(j);
}

void ns_emit_copy_ref(struct json *j, const char *key, const struct ns_copy_ref *c)
{
	json_key(j, key);
	json_obj_begin(j);
	json_kv_str(j, "name", ns_copy_name_str(c->name));
	json_key(j, "address");
	if (c->space == NS_AS_NONE)
		json_null(j);
	else
		json_hex(j, c->address);
	json_kv_str(j, "address_space", ns_addr_space_str(c->space));
	json_kv_str(j, "layout", c->layout ? c->layout : NS_VMCS12_LAYOUT_NAME);
	json_kv_str(j, "layout_origin", c->layout_origin ? c->layout_origin : NS_LAYOUT_BUILT_IN);
	json_kv_str(j, "label", c->label ? c->label : "");
	json_obj_end(j);
}

void ns_emit_finding(struct json *j, const char *key, const char *id, const char *message)
{
	if (key)
		json_key(j, key);
	json_obj_begin(j);
	json_kv_str(j, "id", id);
	json_kv_str(j, "message", message);
	json_obj_end(j);
}

void ns_emit_check_count_values(struct json *j, const char *key, unsigned rules, unsigned pass, unsigned fail,
				unsigned not_judged, unsigned na)
{
	json_key(j, key);
	json_obj_begin(j);
	json_kv_uint(j, "rules", rules);
	json_kv_uint(j, "pass", pass);
	json_kv_uint(j, "fail", fail);
	json_kv_uint(j, "not_judged", not_judged);
	json_kv_uint(j, "not_applicable", na);
	json_obj_end(j);
}

void ns_emit_check_counts(struct json *j, const char *key, const struct ns_check_report *r)
{
	ns_emit_check_count_values(j, key, r->n, r->pass, r->fail, r->not_judged, r->na);
}

void ns_emit_capabilities(struct json *j, const char *key, const char *source, const struct ns_vmx_caps *caps)
{
	json_key(j, key);
	json_obj_begin(j);
	json_kv_str(j, "source", source ? source : "none");
	json_key(j, "maxphyaddr");
	if (caps)
		json_uint(j, caps->maxphyaddr);
	else
		json_null(j);
	json_key(j, "msrs");
	json_arr_begin(j);
	for (uint32_t i = 0; caps && i < NS_CAP_MSRS; i++) {
		uint32_t msr = MSR_IA32_VMX_BASIC + i;
		const char *name = vmx_msr_name(msr);

		if (!caps->have[i])
			continue;
		json_obj_begin(j);
		json_kv_hex(j, "msr", msr);
		json_kv_str(j, "name", name ? name : "");
		json_kv_hex(j, "value", caps->msr[i]);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

void ns_emit_diff_count_members(struct json *j, unsigned compared, unsigned equal, unsigned differ,
				const unsigned count[4])
{
	json_kv_uint(j, "compared", compared);
	json_kv_uint(j, "equal", equal);
	json_kv_uint(j, "differ", differ);
	json_key(j, "counts");
	json_obj_begin(j);
	for (int c = 0; c < 4; c++)
		json_kv_uint(j, ns_diff_class_name((enum ns_diff_class)c), count[c]);
	json_obj_end(j);
}

void ns_emit_diff_counts(struct json *j, const struct ns_diff *d)
{
	ns_emit_diff_count_members(j, d->compared, d->equal, d->n, d->count);
}

void ns_emit_decoding(struct json *j, const struct ns_decoding *d)
{
	char text[1024];

	ns_decoding_format(d, text, sizeof(text));
	json_obj_begin(j);
	json_kv_str(j, "text", text);
	json_key(j, "flags");
	json_arr_begin(j);
	for (unsigned i = 0; i < d->n; i++)
		if (d->item[i].kind == NS_ITEM_FLAG)
			json_str(j, d->item[i].name);
	json_arr_end(j);
	json_key(j, "values");
	json_obj_begin(j);
	for (unsigned i = 0; i < d->n; i++) {
		if (d->item[i].kind != NS_ITEM_VALUE)
			continue;
		json_key(j, d->item[i].name);
		json_obj_begin(j);
		json_kv_hex(j, "value", d->item[i].value);
		json_key(j, "symbol");
		if (d->item[i].sym)
			json_str(j, d->item[i].sym);
		else
			json_null(j);
		json_obj_end(j);
	}
	json_obj_end(j);
	json_key(j, "reserved");
	json_arr_begin(j);
	for (unsigned i = 0; i < d->n; i++) {
		if (d->item[i].kind != NS_ITEM_RESERVED)
			continue;
		json_obj_begin(j);
		json_kv_str(j, "what", d->item[i].name);
		json_kv_hex(j, "bits", d->item[i].value);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "notes");
	json_arr_begin(j);
	for (unsigned i = 0; i < d->n; i++)
		if (d->item[i].kind == NS_ITEM_NOTE)
			json_str(j, d->item[i].name);
	json_arr_end(j);
	json_obj_end(j);
}

void ns_emit_decoded_value(struct json *j, const char *key, enum ns_decoder dec, uint64_t value,
			   const struct ns_context *ctx)
{
	struct ns_decoding d;

	json_key(j, key);
	json_obj_begin(j);
	json_kv_hex(j, "value", value);
	json_key(j, "decoded");
	if (ns_explain(dec, value, ctx, &d) && d.n)
		ns_emit_decoding(j, &d);
	else
		json_null(j);
	json_obj_end(j);
}

/* A vCPU's level, either vendor's: mode from state, the state's word, and hflags' cross-check of it. */
static void emit_level(struct json *j, const struct ns_vcpu *v, const char *state)
{
	json_kv_str(j, "mode", v->guest_mode ? "L2" : "L1");
	json_kv_str(j, "state", state);
	json_kv_hex(j, "hflags", v->hflags);
	json_key(j, "hflags_agrees");
	if (v->hflags_judged)
		json_boolean(j, v->hflags_agrees);
	else
		json_null(j);
}

const char *ns_svm_state_str(enum ns_svm_state s)
{
	switch (s) {
	case NS_SVM_OFF: return "l1_no_svm";
	case NS_SVM_L1: return "l1_svm";
	case NS_SVM_L2: return "l2";
	}
	return "l1_no_svm";
}

const char *ns_svm_current_str(const struct ns_vcpu *v)
{
	return v->s.current_vmcb == v->s.vmcb02_info ? "vmcb02" : v->s.current_vmcb == v->s.vmcb01_info ? "vmcb01" : "unknown";
}

void ns_emit_svm_vcpu_members(struct json *j, const struct ns_vcpu *v)
{
	char name[48];

	json_kv_uint(j, "index", v->idx);
	json_kv_str(j, "vendor", "svm");
	json_kv_hex(j, "kvm_vcpu", v->vcpu);
	json_kv_hex(j, "vcpu_svm", v->s.vcpu_svm);
	emit_level(j, v, ns_svm_state_str(ns_vcpu_svm_state(v)));
	json_kv_bool(j, "nested_run_pending", v->nested_run_pending);
	json_kv_hex(j, "vmcb12_pa", v->s.vmcb12_gpa);
	json_key(j, "hsave_pa");
	if (v->s.have_hsave_msr)
		json_hex(j, v->s.hsave_msr);
	else
		json_null(j);
	json_kv_hex(j, "vmcb01", v->s.vmcb01);
	json_kv_hex(j, "vmcb01_pa", v->s.vmcb01_pa);
	json_kv_hex(j, "vmcb02", v->s.vmcb02);
	json_kv_hex(j, "vmcb02_pa", v->s.vmcb02_pa);
	json_kv_str(j, "current_copy", ns_svm_current_str(v));
	json_key(j, "l0_last_exit_code");
	if (v->s.have_exit_code) {
		json_obj_begin(j);
		json_kv_hex(j, "value", v->s.exit_code);
		json_key(j, "name");
		if (ns_svm_exit_name(v->s.exit_code, name, sizeof(name), NULL))
			json_str(j, name);
		else
			json_null(j);
		json_obj_end(j);
	} else {
		json_null(j);
	}
}

const char *ns_vmx_state_str(enum ns_vmx_state s)
{
	/* the same words as triage's host.states */
	switch (s) {
	case NS_VMX_OFF: return "l1_no_vmx";
	case NS_VMX_NO_VMCS: return "l1_no_vmcs";
	case NS_VMX_VMCS12: return "l1_vmcs12";
	case NS_VMX_L2: return "l2";
	}
	return "l1_no_vmx";
}

const char *ns_launch_state_str(uint32_t s)
{
	return s == 0 ? "clear" : s == 1 ? "launched" : "invalid";
}

const char *ns_loaded_copy_str(const struct ns_vcpu *v)
{
	return v->loaded_vmcs == v->vmcs02_loaded_vmcs ? "vmcs02"
	       : v->loaded_vmcs == v->vmcs01_loaded_vmcs ? "vmcs01" : "unknown";
}

void ns_emit_vm_members(struct json *j, const struct ns_vm *vm)
{
	json_kv_hex(j, "kvm", vm->kvm);
	json_key(j, "pid");
	if (vm->pid < 0)
		json_null(j);
	else
		json_uint(j, (uint64_t)vm->pid);
	json_kv_str(j, "comm", vm->comm);
	json_kv_uint(j, "online_vcpus", vm->online_vcpus);
	json_key(j, "vm_type");
	if (vm->vm_type < 0)
		json_null(j);
	else
		json_uint(j, (uint64_t)vm->vm_type);
	json_key(j, "skipped");
	if (vm->skip)
		json_str(j, vm->skip);
	else
		json_null(j);
}

void ns_emit_vcpu_members(struct json *j, const struct ns_vcpu *v)
{
	json_kv_uint(j, "index", v->idx);
	json_kv_hex(j, "kvm_vcpu", v->vcpu);
	json_kv_hex(j, "vcpu_vmx", v->vmx);
	emit_level(j, v, ns_vmx_state_str(ns_vcpu_vmx_state(v)));
	json_kv_bool(j, "vmxon", v->vmxon);
	json_kv_hex(j, "vmxon_pa", v->vmxon_ptr);
	json_kv_hex(j, "vmcs12_pa", v->current_vmptr);
	json_kv_bool(j, "nested_run_pending", v->nested_run_pending);
	json_kv_hex(j, "cached_vmcs12", v->cached_vmcs12);
	json_kv_hex(j, "cached_shadow_vmcs12", v->cached_shadow_vmcs12);
	json_kv_hex(j, "vmcs01", v->vmcs01);
	json_kv_hex(j, "vmcs02", v->vmcs02);
	json_kv_str(j, "loaded_copy", ns_loaded_copy_str(v));
	if (v->have_exit_reason) {
		ns_emit_decoded_value(j, "l0_last_exit_reason", NS_DEC_EXIT_REASON, v->exit_reason, NULL);
	} else {
		json_key(j, "l0_last_exit_reason");
		json_null(j);
	}
}

