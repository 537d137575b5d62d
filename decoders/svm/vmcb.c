/* The VMCB's field table and named bits, turned into lookups (vmcb.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "nestscope/nested_state.h"
#include "nestscope/vmcb.h"

static const struct ns_vmcb_field fields[] = {
#define VMCB_FIELD(NAME, AREA, off, sz, kvm, apm, DEC) \
	{ NS_VMCB_##NAME, #NAME, NS_VMCB_##AREA, (off), (sz), kvm, apm, NS_VDEC_##DEC },
#include "nestscope/vmcb_fields.def"
#undef VMCB_FIELD
};

_Static_assert(sizeof(fields) / sizeof(fields[0]) == NS_VMCB__COUNT, "one row per field id");

size_t ns_vmcb_field_count(void) { return NS_VMCB__COUNT; }

const struct ns_vmcb_field *ns_vmcb_field(enum ns_vmcb_field_id id)
{
	return (unsigned)id < NS_VMCB__COUNT ? &fields[id] : NULL;
}

const struct ns_vmcb_field *ns_vmcb_field_by_name(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < NS_VMCB__COUNT; i++)
		if (!strcasecmp(fields[i].name, name) || !strcasecmp(fields[i].kvm, name))
			return &fields[i];
	return NULL;
}

const char *ns_vmcb_area_name(enum ns_vmcb_area a)
{
	return a == NS_VMCB_SAVE ? "save" : "control";
}

const char *ns_vmcb_copy_name(enum ns_vmcb_copy c)
{
	switch (c) {
	case NS_VMCB_COPY_VMCB12_MEMORY: return "vmcb12";
	case NS_VMCB_COPY_VMCB12_CACHED: return "cached vmcb12";
	case NS_VMCB_COPY_VMCB02: return "vmcb02";
	case NS_VMCB_COPY_VMCB01: return "vmcb01";
	case NS_VMCB_COPY_BLOB: return "nested-state vmcb12";
	case NS_VMCB_COPY_REGION: return "vmcb";
	}
	return "vmcb";
}

void ns_vmcb_from_page(struct ns_vmcb *v, enum ns_vmcb_copy copy, const uint8_t *buf, size_t len)
{
	memset(v, 0, sizeof(*v));
	v->copy = copy;
	if (len > NS_VMCB_SIZE)
		len = NS_VMCB_SIZE;
	memcpy(v->bytes, buf, len);
	v->has_control = len >= NS_VMCB_CONTROL_SIZE;
	/* the save area KVM and the APM define ends at 400h + 2E8h */
	v->has_save = len >= NS_VMCB_SAVE_OFFSET + 0x2e8;
}

bool ns_vmcb_from_nested_state(struct ns_vmcb *v, const struct ns_nested_state *ns)
{
	if (!ns || ns->format != NS_NESTED_FORMAT_SVM || !ns->vmcs12 || !ns->vmcs12_len)
		return false;
	ns_vmcb_from_page(v, NS_VMCB_COPY_BLOB, ns->vmcs12, ns->vmcs12_len);
	return true;
}

bool ns_vmcb_field_present(const struct ns_vmcb *v, const struct ns_vmcb_field *f)
{
	if (!f || !(f->area == NS_VMCB_SAVE ? v->has_save : v->has_control))
		return false;
	return !v->partial || (v->known[f->id / 64] >> (f->id % 64)) & 1;
}

bool ns_vmcb_read(const struct ns_vmcb *v, enum ns_vmcb_field_id id, uint64_t *val)
{
	const struct ns_vmcb_field *f = ns_vmcb_field(id);
	uint64_t x = 0;

	*val = 0;
	if (!f || f->size > 8 || !ns_vmcb_field_present(v, f))
		return false;
	/* little-endian, byte by byte: no alignment or host-order assumption */
	for (unsigned i = 0; i < f->size; i++)
		x |= (uint64_t)v->bytes[ns_vmcb_field_offset(f) + i] << (8 * i);
	*val = x;
	return true;
}

uint64_t ns_vmcb_get(const struct ns_vmcb *v, enum ns_vmcb_field_id id)
{
	uint64_t x;

	ns_vmcb_read(v, id, &x);
	return x;
}

const uint8_t *ns_vmcb_bytes(const struct ns_vmcb *v, enum ns_vmcb_field_id id)
{
	const struct ns_vmcb_field *f = ns_vmcb_field(id);

	return ns_vmcb_field_present(v, f) ? &v->bytes[ns_vmcb_field_offset(f)] : NULL;
}

struct named { enum ns_svm_bit_table t; uint64_t v; const char *name; };

static const struct named bit_names[] = {
#define SVM_BIT(T, bit, NAME) { NS_SVMT_##T, (bit), #NAME },
#include "nestscope/svm_bits.def"
#undef SVM_BIT
};

static const struct named value_names[] = {
#define SVM_VALUE(T, val, NAME) { NS_SVMT_##T, (val), #NAME },
#include "nestscope/svm_bits.def"
#undef SVM_VALUE
};

static const struct exit_name { uint64_t code; const char *name, *apm; } exit_names[] = {
#define SVM_EXIT(code, NAME, apm) { (uint64_t)(code), #NAME, apm },
#include "nestscope/svm_bits.def"
#undef SVM_EXIT
};

const char *ns_svm_bit_name(enum ns_svm_bit_table t, unsigned bit)
{
	for (size_t i = 0; i < sizeof(bit_names) / sizeof(bit_names[0]); i++)
		if (bit_names[i].t == t && bit_names[i].v == bit)
			return bit_names[i].name;
	return NULL;
}

const char *ns_svm_value_name(enum ns_svm_bit_table t, uint64_t v)
{
	for (size_t i = 0; i < sizeof(value_names) / sizeof(value_names[0]); i++)
		if (value_names[i].t == t && value_names[i].v == v)
			return value_names[i].name;
	return NULL;
}

/* The codes appendix C gives as ranges (svm_bits.def's SVM_EXIT_RANGE). */
static const struct exit_range { uint64_t first, last; const char *fmt, *apm; } exit_ranges[] = {
#define SVM_EXIT_RANGE(first, last, NAME, fmt, apm) { (first), (last), fmt, apm },
#include "nestscope/svm_bits.def"
#undef SVM_EXIT_RANGE
};

bool ns_svm_exit_name(uint64_t code, char *name, size_t nlen, const char **apm)
{
	for (size_t i = 0; i < sizeof(exit_names) / sizeof(exit_names[0]); i++)
		if (exit_names[i].code == code) {
			snprintf(name, nlen, "%s", exit_names[i].name);
			if (apm)
				*apm = exit_names[i].apm;
			return true;
		}
	for (size_t i = 0; i < sizeof(exit_ranges) / sizeof(exit_ranges[0]); i++)
		if (code >= exit_ranges[i].first && code <= exit_ranges[i].last) {
			unsigned n = (unsigned)(code - exit_ranges[i].first);
			/* fmt is the table's own literal: "READ_DR%u" */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			snprintf(name, nlen, exit_ranges[i].fmt, n);
#pragma GCC diagnostic pop
			if (apm)
				*apm = exit_ranges[i].apm;
			return true;
		}
	if (nlen)
		name[0] = '\0';
	return false;
}
