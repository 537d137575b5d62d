/* KVM's struct vmcs12: its layout (vmcs12_layout.def) and its sanity checks. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nestscope/vmcs12.h"
#include "sdm/vmx_names.h"

#define NOENC NS_NOENC
#define FIELD NS_SLOT_FIELD
#define HDR NS_SLOT_HDR
#define PAD NS_SLOT_PAD
#define DEAD NS_SLOT_DEAD
#define NEWER NS_SLOT_NEWER

static const struct ns_slot vmcs12_slots[] = {
#define V12(off, size, member, enc, kind) { off, size, #member, enc, kind, NS_XFORM_NONE },
#include "kvm/vmcs12_layout.def"
#undef V12
};

static const struct ns_layout vmcs12_layout = {
	.name = "vmcs12",
	.revision = NS_VMCS12_REVISION,
	.region_size = NS_VMCS12_REGION_SIZE,
	.struct_size = NS_VMCS12_STRUCT_SIZE,
	.slots = vmcs12_slots,
	.nslots = sizeof(vmcs12_slots) / sizeof(vmcs12_slots[0]),
};

const struct ns_layout *ns_vmcs12_layout(void) { return &vmcs12_layout; }

bool ns_vmcs12_slot(size_t i, const char **member, const char **field, const char **section)
{
	struct ns_field_ref ref;
	bool known;

	if (i >= vmcs12_layout.nslots)
		return false;
	known = vmcs12_slots[i].encoding != NS_NOENC && ns_field_lookup(vmcs12_slots[i].encoding, &ref);
	*member = vmcs12_slots[i].member;
	*field = known ? ref.field->name : NULL;
	*section = known ? ns_ftype_name(ref.field->type) : vmcs12_slots[i].kind == NS_SLOT_HDR ? "header" : NULL;
	return true;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void note(struct ns_vmcs12_info *info, enum ns_finding_kind k, unsigned off, unsigned len,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void note(struct ns_vmcs12_info *info, enum ns_finding_kind k, unsigned off, unsigned len,
		 const char *fmt, ...)
{
	struct ns_finding *f;
	va_list ap;

	if (info->nfindings >= NS_MAX_FINDINGS)
		return;
	f = &info->findings[info->nfindings++];
	f->kind = k;
	f->offset = (uint16_t)off;
	f->len = (uint16_t)len;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
}

/* The first and last non-zero byte in [off, off+len), or false if all zero. */
static bool nonzero_span(const uint8_t *p, size_t off, size_t len, size_t *first, size_t *last)
{
	bool any = false;

	for (size_t i = off; i < off + len; i++) {
		if (!p[i])
			continue;
		if (!any)
			*first = i;
		*last = i;
		any = true;
	}
	return any;
}

/* The bytes of the NEWER slots, [lo, hi): one block in the table. */
static bool newer_span(size_t *lo, size_t *hi)
{
	bool any = false;

	for (size_t i = 0; i < vmcs12_layout.nslots; i++) {
		const struct ns_slot *s = &vmcs12_slots[i];

		if (s->kind != NS_SLOT_NEWER)
			continue;
		if (!any || s->offset < *lo)
			*lo = s->offset;
		if (!any || (size_t)s->offset + s->size > *hi)
			*hi = (size_t)s->offset + s->size;
		any = true;
	}
	return any;
}

int ns_vmcs12_inspect(const uint8_t *data, size_t len, bool force, bool shadow,
		      struct ns_vmcs12_info *info, struct ns_error *err)
{
	size_t first = 0, last = 0, lo = 0, hi = 0;
	uint32_t hdr;

	memset(info, 0, sizeof(*info));
	if (len < NS_VMCS12_STRUCT_SIZE)
		return ns_fail(err, NS_ERR_TRUNCATED,
			       "vmcs12 region has %zu bytes; struct vmcs12 needs %u", len,
			       NS_VMCS12_STRUCT_SIZE);
	hdr = le32(data);
	info->revision = hdr & 0x7fffffff;
	info->shadow = hdr >> 31;
	info->abort = le32(data + 4);
	info->launch_state = le32(data + 8);

	if (info->revision != NS_VMCS12_REVISION) {
		if (!force)
			return ns_fail(err, NS_ERR_REVISION,
				       "revision id 0x%08x is not KVM's VMCS12_REVISION 0x%08x: not a vmcs12 "
				       "(use --force to decode it anyway)",
				       info->revision, NS_VMCS12_REVISION);
		note(info, NS_FIND_REVISION, 0, 4,
		     "revision id 0x%08x is not VMCS12_REVISION 0x%08x; decoded as vmcs12 on request",
		     info->revision, NS_VMCS12_REVISION);
	}
	if (info->shadow && !shadow)
		note(info, NS_FIND_SHADOW_BIT, 0, 4,
		     "shadow-VMCS indicator (bit 31 of the revision dword) is set: a VMLAUNCH/VMRESUME "
		     "with this as the current VMCS fails");
	if (!info->shadow && shadow)
		note(info, NS_FIND_SHADOW_BIT, 0, 4,
		     "shadow-VMCS indicator is clear in a shadow vmcs12: VM entry with VMCS shadowing "
		     "fails its link-pointer check");
	if (info->abort)
		note(info, NS_FIND_ABORT, 4, 4, "VMX-abort indicator is %u (non-zero: a VMX abort happened)",
		     info->abort);
	if (info->launch_state > 1)
		note(info, NS_FIND_LAUNCH_STATE, 8, 4,
		     "launch_state is %u; KVM writes 0 (clear) or 1 (launched)", info->launch_state);

	for (size_t i = 0; i < vmcs12_layout.nslots; i++) {
		const struct ns_slot *s = &vmcs12_slots[i];

		if (!nonzero_span(data, s->offset, s->size, &first, &last))
			continue;
		switch (s->kind) {
		case NS_SLOT_PAD:
			note(info, NS_FIND_PADDING, (unsigned)first, (unsigned)(last - first + 1),
			     "non-zero bytes in %s at offsets %zu..%zu: possibly a newer kernel's field",
			     s->member, first, last);
			break;
		case NS_SLOT_DEAD:
			note(info, NS_FIND_DEAD_SPACE, (unsigned)first, (unsigned)(last - first + 1),
			     "non-zero dead_space at offsets %zu..%zu (old kernels kept cr3_target_value0..3 "
			     "here)", first, last);
			break;
		default:
			break;
		}
	}
	/*
	 * The NEWER block (nested CET) is paddingl[] on older kernels, under the
	 * same VMCS12_REVISION: the bytes alone cannot say which.  Named once.
	 */
	if (newer_span(&lo, &hi) && nonzero_span(data, lo, hi - lo, &first, &last))
		note(info, NS_FIND_NEWER_FIELDS, (unsigned)first, (unsigned)(last - first + 1),
		     "offsets %zu..%zu are not zero: the nested CET fields on Linux 6.18+, paddingl[] before, "
		     "under the same revision id; without the kernel's types which one is unknown (nestscope abi)",
		     lo, hi - 1);
	if (len > NS_VMCS12_STRUCT_SIZE &&
	    nonzero_span(data, NS_VMCS12_STRUCT_SIZE, len - NS_VMCS12_STRUCT_SIZE, &first, &last))
		note(info, NS_FIND_TAIL, (unsigned)first, (unsigned)(last - first + 1),
		     "non-zero bytes past the end of struct vmcs12 (offsets %zu..%zu of the region): "
		     "possibly a newer kernel's field", first, last);
	return NS_OK;
}
