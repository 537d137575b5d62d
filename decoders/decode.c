/* From bytes to a report: detect the format, parse, inspect every vmcs12. */
#include <string.h>

#include "nestscope/decode.h"

/* Puts "SOURCE: " (and a part name) in front of an error message. */
static int prefixed(struct ns_error *err, int rc, const char *source, const char *part)
{
	char msg[sizeof(err->msg)];

	if (!err)
		return rc;
	memcpy(msg, err->msg, sizeof(msg));
	return ns_fail(err, err->code, "%s: %s%s", source, part, msg);
}

static int add_vmcs12(struct ns_report *r, const char *title, const char *copy, const uint8_t *data,
		      size_t len, bool force, bool shadow, struct ns_error *err)
{
	struct ns_decoded_vmcs *dv = &r->vmcs[r->nvmcs];
	int rc = ns_vmcs12_inspect(data, len, force, shadow, &dv->info, err);

	if (rc)
		return rc;
	dv->title = title;
	dv->vmcs = (struct ns_vmcs){ ns_vmcs12_layout(), data, len, copy };
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
				       "%s is neither a KVM_GET_NESTED_STATE blob nor a vmcs12 region "
				       "(it does not start with revision 0x%08x); use --format to force one",
				       source, NS_VMCS12_REVISION);
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
		rc = add_vmcs12(r, shadow ? "shadow vmcs12" : "vmcs12", "raw vmcs12 region", buf, len, force,
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
	if (ns->format != NS_NESTED_FORMAT_VMX)
		return NS_OK;  /* SVM: the header is reported, vmcb12 is not decoded */
	if (ns->vmcs12) {
		rc = add_vmcs12(r, "vmcs12", "vmcs12 from KVM_GET_NESTED_STATE", ns->vmcs12, ns->vmcs12_len,
				force, false, err);
		if (rc)
			return prefixed(err, rc, source, "vmcs12: ");
	}
	if (ns->shadow_vmcs12) {
		rc = add_vmcs12(r, "shadow vmcs12", "shadow vmcs12 from KVM_GET_NESTED_STATE",
				ns->shadow_vmcs12, ns->shadow_len, force, true, err);
		if (rc)
			return prefixed(err, rc, source, "shadow vmcs12: ");
	}
	return NS_OK;
}
