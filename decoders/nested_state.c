/*
 * struct kvm_nested_state (arch/x86/include/uapi/asm/kvm.h).  The blob is
 * read with explicit little-endian loads at the UAPI offsets, never cast to
 * a struct, so a hostile `size` cannot make us read past the buffer.
 */
#include <string.h>

#include "nestscope/nested_state.h"
#include "nestscope/vmcs12.h"

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

bool ns_nested_state_sniff(const uint8_t *buf, size_t len)
{
	uint16_t format;
	uint32_t size;

	if (len < NS_NESTED_HDR_SIZE)
		return false;
	/* Only the words that identify the format: a header whose size field lies
	 * must still be recognised, so that parsing can say what is wrong with it. */
	format = le16(buf + 2);
	size = le32(buf + 4);
	(void)size;
	return (format == NS_NESTED_FORMAT_VMX || format == NS_NESTED_FORMAT_SVM) &&
	       !(le16(buf) & ~0x10fu);
}

int ns_nested_state_parse(const uint8_t *buf, size_t len, struct ns_nested_state *ns, struct ns_error *err)
{
	size_t payload;

	memset(ns, 0, sizeof(*ns));
	if (len < 8)
		return ns_fail(err, NS_ERR_TRUNCATED,
			       "nested-state blob has %zu bytes; its header alone needs %u", len,
			       NS_NESTED_HDR_SIZE);
	ns->flags = le16(buf);
	ns->format = le16(buf + 2);
	ns->size = le32(buf + 4);

	if (ns->format != NS_NESTED_FORMAT_VMX && ns->format != NS_NESTED_FORMAT_SVM)
		return ns_fail(err, NS_ERR_FORMAT,
			       "nested-state format %u is neither VMX (0) nor SVM (1): not a "
			       "KVM_GET_NESTED_STATE blob", ns->format);
	if (len < NS_NESTED_HDR_SIZE)
		return ns_fail(err, NS_ERR_TRUNCATED,
			       "nested-state blob has %zu bytes; its header alone needs %u", len,
			       NS_NESTED_HDR_SIZE);
	if (ns->size < NS_NESTED_HDR_SIZE)
		return ns_fail(err, NS_ERR_FORMAT,
			       "nested-state size field says %u bytes, less than the %u-byte header",
			       ns->size, NS_NESTED_HDR_SIZE);
	if (ns->size > NS_NESTED_MAX_SIZE)
		return ns_fail(err, NS_ERR_FORMAT,
			       "nested-state size field says %u bytes; KVM never returns more than %u",
			       ns->size, NS_NESTED_MAX_SIZE);
	if (ns->size > len)
		return ns_fail(err, NS_ERR_TRUNCATED,
			       "nested-state size field says %u bytes but only %zu are present "
			       "(truncated blob?)", ns->size, len);
	ns->trailing = len - ns->size;

	if (ns->format == NS_NESTED_FORMAT_SVM) {
		ns->vmcb_pa = le64(buf + 8);
		if (ns->size > NS_NESTED_HDR_SIZE) {
			ns->vmcs12 = buf + NS_NESTED_HDR_SIZE;
			ns->vmcs12_len = ns->size - NS_NESTED_HDR_SIZE;
		}
		return NS_OK;
	}

	ns->vmxon_pa = le64(buf + 8);
	ns->vmcs12_pa = le64(buf + 16);
	ns->smm_flags = le16(buf + 24);
	ns->vmx_flags = le32(buf + 28);
	ns->preemption_timer_deadline = le64(buf + 32);

	/* KVM sends 0, one or two whole 4 KiB regions after the header. */
	payload = ns->size - NS_NESTED_HDR_SIZE;
	if (payload % NS_VMCS12_REGION_SIZE)
		return ns_fail(err, NS_ERR_FORMAT,
			       "nested-state size %u is not the header plus whole 4 KiB vmcs12 regions "
			       "(KVM writes 128, 4224 or 8320)", ns->size);
	if (payload >= NS_VMCS12_REGION_SIZE) {
		ns->vmcs12 = buf + NS_NESTED_HDR_SIZE;
		ns->vmcs12_len = NS_VMCS12_REGION_SIZE;
	}
	if (payload >= 2 * NS_VMCS12_REGION_SIZE) {
		ns->shadow_vmcs12 = buf + NS_NESTED_HDR_SIZE + NS_VMCS12_REGION_SIZE;
		ns->shadow_len = NS_VMCS12_REGION_SIZE;
	}
	return NS_OK;
}
