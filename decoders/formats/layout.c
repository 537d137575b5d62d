/* Reading fields out of a VMCS image through its layout. */
#include "nestscope/layout.h"

bool ns_layout_find(const struct ns_layout *l, uint32_t encoding, struct ns_slot *out)
{
	bool high = encoding & 1;
	uint32_t base = encoding & ~1u;

	for (size_t i = 0; i < l->nslots; i++) {
		const struct ns_slot *s = &l->slots[i];
		if (s->encoding != base)
			continue;
		*out = *s;
		if (high) {
			if (s->size != 8)
				return false;
			out->offset += 4;  /* a HIGH access reads the upper 32 bits */
			out->size = 4;
			out->encoding = encoding;
		}
		return true;
	}
	return false;
}

static uint64_t load_le(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

bool ns_vmcs_read_slot(const struct ns_vmcs *v, const struct ns_slot *s, uint64_t *value)
{
	if ((size_t)s->offset + s->size > v->len)
		return false;
	*value = load_le(v->data + s->offset, s->size);
	if (s->xform == NS_XFORM_ROL8 && s->size == 4)
		*value = ((*value >> 8) | (*value << 24)) & 0xffffffffu;
	return true;
}

int ns_vmcs_read(const struct ns_vmcs *v, uint32_t encoding, uint64_t *value, struct ns_error *err)
{
	struct ns_slot s;

	if (!ns_layout_find(v->layout, encoding, &s))
		return ns_fail(err, NS_ERR_ARG, "field 0x%04x is not in the %s layout", encoding,
			       v->layout->name);
	if (!ns_vmcs_read_slot(v, &s, value))
		return ns_fail(err, NS_ERR_TRUNCATED,
			       "field 0x%04x lies at offset %u, past the %zu bytes of this %s",
			       encoding, s.offset, v->len, v->layout->name);
	return NS_OK;
}
