/* From bytes to a report: detect the format, parse, inspect every vmcs12. */
#include <string.h>

#include <stdio.h>

#include "nestscope/decode.h"
#include "nestscope/locate.h"
#include "nestscope/render.h"
#include "nestscope/vmcb.h"

/* Puts "SOURCE: " (and a part name) in front of an error message. */
static int prefixed(struct ns_error *err, int rc, const char *source, const char *part)
{
	char msg[sizeof(err->msg)];

	if (!err)
		return rc;
	memcpy(msg, err->msg, sizeof(msg));
	return ns_fail(err, err->code, "%s: %s%s", source, part, msg);
}

static int add_vmcs12(struct ns_report *r, const char *title, enum ns_copy_name name, const char *copy,
		      const uint8_t *data, size_t len, bool force, bool shadow, struct ns_error *err)
{
	struct ns_decoded_vmcs *dv = &r->vmcs[r->nvmcs];
	int rc = ns_vmcs12_inspect(data, len, force, shadow, &dv->info, err);

	if (rc)
		return rc;
	dv->title = title;
	dv->vmcs = (struct ns_vmcs){ ns_vmcs12_layout(), data, len, copy };
	/* a blob's vmcs12s have no address of their own; a region's is its reader's to add */
	dv->ref = (struct ns_copy_ref){ name, NS_AS_NONE, 0, NS_VMCS12_LAYOUT_NAME, NS_LAYOUT_BUILT_IN, copy };
	r->nvmcs++;
	return NS_OK;
}

int ns_decode_buffer(const uint8_t *buf, size_t len, enum ns_input_format fmt, bool force,
		     const char *source, struct ns_nested_state *ns, struct ns_report *r,
		     struct ns_error *err)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->source = source;
	if (len == 0)
		return ns_fail(err, NS_ERR_TRUNCATED, "%s is empty", source);

	if (fmt == NS_INPUT_AUTO) {
		/* A vmcs12 starts with its revision id; a blob with small flags/format/size words. */
		bool rev = len >= 4 && ((buf[0] | buf[1] << 8 | buf[2] << 16 | (uint32_t)buf[3] << 24) &
					0x7fffffffu) == NS_VMCS12_REVISION;
		if (rev)
			fmt = NS_INPUT_VMCS12;
		else if (ns_nested_state_sniff(buf, len))
			fmt = NS_INPUT_NESTED_STATE;
		else if (force)
			fmt = NS_INPUT_VMCS12;  /* forced: whatever it is, read it as a vmcs12 */
		else
			return ns_fail(err, NS_ERR_FORMAT,
				       "%s: neither a KVM_GET_NESTED_STATE blob nor a vmcs12 region "
				       "(it does not start with revision 0x%08x); use --format to force one",
				       source, NS_VMCS12_REVISION);
	}

	if (fmt == NS_INPUT_VMCB) {
		/* a VMCB has no signature to check: the caller reads the page (ns_vmcb_from_page) */
		r->format = "vmcb";
		if (len < NS_VMCB_CONTROL_SIZE)
			return ns_fail(err, NS_ERR_TRUNCATED,
				       "%s: %zu bytes is too short for a VMCB (its control area alone is %u bytes)", source,
				       len, NS_VMCB_CONTROL_SIZE);
		return NS_OK;
	}

	if (fmt == NS_INPUT_VMCS12) {
		r->format = "vmcs12";
		if (len < NS_VMCS12_STRUCT_SIZE)
			return ns_fail(err, NS_ERR_TRUNCATED,
				       "%s: %zu bytes is too short for a vmcs12 (struct vmcs12 is %u bytes)",
				       source, len, NS_VMCS12_STRUCT_SIZE);
		if (len > NS_VMCS12_REGION_SIZE)
			len = NS_VMCS12_REGION_SIZE;  /* one 4 KiB region; the rest is not ours */
		/* a raw region is either kind: its shadow bit says which it claims to be */
		bool shadow = buf[3] & 0x80;
		rc = add_vmcs12(r, shadow ? "shadow vmcs12" : "vmcs12", NS_CP_REGION, "raw vmcs12 region", buf, len, force,
				shadow, err);
		if (rc)
			return prefixed(err, rc, source, "");
		return NS_OK;
	}

	r->format = "nested-state";
	rc = ns_nested_state_parse(buf, len, ns, err);
	if (rc)
		return prefixed(err, rc, source, "");
	r->ns = ns;
	ns_nested_state_judge(ns, 0, &r->blob);
	if (ns->format != NS_NESTED_FORMAT_VMX)
		return NS_OK;  /* SVM (or unknown): the header is reported, vmcb12 is not decoded */
	if (ns->vmcs12) {
		rc = add_vmcs12(r, "vmcs12", NS_CP_BLOB_VMCS12, "vmcs12 from KVM_GET_NESTED_STATE", ns->vmcs12, ns->vmcs12_len,
				force, false, err);
		if (rc)
			return prefixed(err, rc, source, "vmcs12: ");
	}
	if (ns->shadow_vmcs12) {
		rc = add_vmcs12(r, "shadow vmcs12", NS_CP_BLOB_SHADOW_VMCS12, "shadow vmcs12 from KVM_GET_NESTED_STATE",
				ns->shadow_vmcs12, ns->shadow_len, force, true, err);
		if (rc)
			return prefixed(err, rc, source, "shadow vmcs12: ");
	}
	return NS_OK;
}

int ns_decode_vcpu_vmcs12(const uint8_t *buf, size_t len, uint64_t addr, const struct ns_vcpu *v,
			  enum ns_vmcs12_copy which, bool force, struct ns_vcpu_report *vr, struct ns_error *err)
{
	static const char *const names[] = { "cached_vmcs12", "cached_shadow_vmcs12", "L1 memory at current_vmptr" };
	struct ns_report *r = &vr->r;
	struct ns_decoded_vmcs *dv;
	int rc;

	snprintf(vr->source, sizeof(vr->source), "vCPU %u of pid %d (vcpu_vmx 0x%llx)", v->idx, v->pid,
		 (unsigned long long)v->vmx);
	snprintf(vr->copy, sizeof(vr->copy), "%s (0x%llx)", names[which], (unsigned long long)addr);
	/* L1's region is named by the GPA L1 gave VMPTRLD, not by the VMM's mapping of it */
	vr->ref = (struct ns_copy_ref){
		.name = which == NS_COPY_SHADOW ? NS_CP_CACHED_SHADOW_VMCS12
			: which == NS_COPY_MEMORY ? NS_CP_L1_MEMORY : NS_CP_CACHED_VMCS12,
		.space = which == NS_COPY_MEMORY ? NS_AS_L1_PHYS : NS_AS_KERNEL,
		.address = which == NS_COPY_MEMORY ? v->current_vmptr : addr,
		.layout = NS_VMCS12_LAYOUT_NAME,
		.layout_origin = NS_LAYOUT_BUILT_IN,
		.label = vr->copy,
	};
	memset(r, 0, sizeof(*r));
	r->source = vr->source;
	r->format = "vmcs12";
	if (len < NS_VMCS12_STRUCT_SIZE)
		return ns_fail(err, NS_ERR_TRUNCATED, "%s: only %zu bytes", vr->copy, len);
	dv = &r->vmcs[0];
	rc = ns_vmcs12_inspect(buf, len, force, which == NS_COPY_SHADOW, &dv->info, err);
	if (rc)
		return rc;
	dv->title = which == NS_COPY_SHADOW ? "shadow vmcs12" : "vmcs12";
	dv->vmcs = (struct ns_vmcs){ ns_vmcs12_layout(), buf, len, vr->copy };
	dv->ref = vr->ref;
	r->vcpu = ns_vcpu_ref_of(v, true);
	r->nvmcs = 1;

	vr->note[0] = '\0';
	if (which == NS_COPY_CACHED && v->guest_mode) {
		/* nested_vmx_vmexit() -> sync_vmcs02_to_vmcs12() + prepare_vmcs12() */
		dv->stale_sections = NS_SECT_GUEST | NS_SECT_EXIT;
		snprintf(vr->note, sizeof(vr->note),
			 "the vCPU is in L2: KVM copies L2's guest state and the VM-exit information from vmcs02 "
			 "into vmcs12 only at the next exit to L1 (sync_vmcs02_to_vmcs12, prepare_vmcs12; the rarely "
			 "changing guest fields lazily%s), so those sections may be stale; vmcs02 has L2's current state",
			 v->need_sync_vmcs02_rare ? ", and they are pending now" : "");
	} else if (which == NS_COPY_MEMORY) {
		dv->stale_sections = NS_SECT_ALL;
		snprintf(vr->note, sizeof(vr->note),
			 "L1's own copy: KVM works on cached_vmcs12 and writes it back to L1's memory only at VMCLEAR, "
			 "VMPTRLD of another VMCS or on save, so every section may be older than cached_vmcs12");
	}
	/* cached_shadow_vmcs12 is current: L2's VMREAD/VMWRITEs are emulated on it, and it is
	 * flushed to L1's memory at the next exit (nested_flush_cached_shadow_vmcs12) */
	if (vr->note[0])
		dv->stale_note = vr->note;
	return NS_OK;
}
