/* The shared concepts of the JSON documents (render/common.h): one emitter each. */
#include <stdio.h>

#include "render/common.h"
#include "sdm/vmx_names.h"

const char *ns_copy_name_str(enum ns_copy_name n)
{
	static const char *const names[] = {
		[NS_CP_CACHED_VMCS12] = "cached_vmcs12", [NS_CP_CACHED_SHADOW_VMCS12] = "cached_shadow_vmcs12",
		[NS_CP_L1_MEMORY] = "l1_memory",         [NS_CP_VMCS02] = "vmcs02",
		[NS_CP_VMCS01] = "vmcs01",               [NS_CP_BLOB_VMCS12] = "blob_vmcs12",
		[NS_CP_BLOB_SHADOW_VMCS12] = "blob_shadow_vmcs12", [NS_CP_REGION] = "region",
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
	return v == NS_PASS ? "pass" : v == NS_FAIL ? "fail" : "not_applicable";
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
	json_kv_hex(j, "vcpu_vmx", r->vcpu_vmx);
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

void ns_emit_check_counts(struct json *j, const char *key, const struct ns_check_report *r)
{
	json_key(j, key);
	json_obj_begin(j);
	json_kv_uint(j, "rules", r->n);
	json_kv_uint(j, "pass", r->pass);
	json_kv_uint(j, "fail", r->fail);
	json_kv_uint(j, "not_applicable", r->na);
	json_obj_end(j);
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

void ns_emit_diff_counts(struct json *j, const struct ns_diff *d)
{
	json_kv_uint(j, "compared", d->compared);
	json_kv_uint(j, "equal", d->equal);
	json_kv_uint(j, "differ", d->n);
	json_key(j, "counts");
	json_obj_begin(j);
	for (int c = 0; c < 4; c++)
		json_kv_uint(j, ns_diff_class_name((enum ns_diff_class)c), d->count[c]);
	json_obj_end(j);
}
