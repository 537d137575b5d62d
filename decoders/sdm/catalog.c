/* Lookups over the field catalog (fields.def). */
#include <string.h>
#include <strings.h>

#include "nestscope/catalog.h"

#define W16 NS_W16
#define W32 NS_W32
#define W64 NS_W64
#define WNAT NS_WNAT
#define CTRL NS_CTRL
#define EXIT NS_EXIT
#define GUEST NS_GUEST
#define HOST NS_HOST

static const struct ns_field fields[] = {
#define FIELD(enc, name, linux, sdm, width, type, dec) \
	{ enc, #name, linux, sdm, width, type, NS_DEC_##dec },
#include "sdm/fields.def"
#undef FIELD
};

size_t ns_field_count(void) { return sizeof(fields) / sizeof(fields[0]); }

const struct ns_field *ns_field_at(size_t i)
{
	return i < ns_field_count() ? &fields[i] : NULL;
}

bool ns_field_lookup(uint32_t encoding, struct ns_field_ref *ref)
{
	bool high = encoding & 1;
	uint32_t base = encoding & ~1u;

	for (size_t i = 0; i < ns_field_count(); i++) {
		if (fields[i].encoding != base)
			continue;
		if (high && fields[i].width != NS_W64)
			return false;  /* only 64-bit fields have a HIGH half */
		ref->field = &fields[i];
		ref->high = high;
		return true;
	}
	return false;
}

bool ns_field_by_name(const char *name, struct ns_field_ref *ref)
{
	size_t n = strlen(name);
	bool high = n > 5 && !strcasecmp(name + n - 5, "_HIGH");

	for (size_t i = 0; i < ns_field_count(); i++) {
		const char *fn = fields[i].name;
		if (high ? (strlen(fn) == n - 5 && !strncasecmp(fn, name, n - 5) && fields[i].width == NS_W64)
			 : !strcasecmp(fn, name)) {
			ref->field = &fields[i];
			ref->high = high;
			return true;
		}
	}
	return false;
}

const char *ns_width_name(enum ns_width w)
{
	static const char *const n[] = { "16", "64", "32", "natural" };
	return n[w & 3];
}

const char *ns_ftype_name(enum ns_ftype t)
{
	static const char *const n[] = { "control", "exit-info", "guest", "host" };
	return n[t & 3];
}

unsigned ns_width_bytes(enum ns_width w)
{
	static const unsigned b[] = { 2, 8, 4, 8 };
	return b[w & 3];
}
