/*
 * Profiles: a type set as Volatility 3's Intermediate Symbol Format (ISF
 * JSON), so a profile nestscope writes is also a (partial) Volatility symbol
 * table.  docs/profile-format.md says which parts are written and read.
 * A profile is untrusted input: shapes are checked, sizes bounded.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "render/json.h"
#include "formats/json_in.h"
#include "nestscope/types.h"

#define ISF_FORMAT "6.2.0"
#define MAX_PROFILE_BYTES (64u << 20)
#define MAX_TYPE_SIZE (1ull << 32)

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* ---- writing ---- */

static void write_tref(struct json *j, const struct ns_tref *r)
{
	static const char *const kinds[] = {
		[NS_TK_STRUCT] = "struct", [NS_TK_UNION] = "union", [NS_TK_ENUM] = "enum",
	};

	json_obj_begin(j);
	switch (r ? r->kind : NS_TK_VOID) {
	case NS_TK_BASE:
		json_kv_str(j, "kind", "base");
		json_kv_str(j, "name", r->name);
		break;
	case NS_TK_POINTER:
		json_kv_str(j, "kind", "pointer");
		json_key(j, "subtype");
		write_tref(j, r->sub);
		break;
	case NS_TK_ARRAY:
		json_kv_str(j, "kind", "array");
		json_kv_uint(j, "count", r->count);
		json_key(j, "subtype");
		write_tref(j, r->sub);
		break;
	case NS_TK_STRUCT:
	case NS_TK_UNION:
	case NS_TK_ENUM:
		json_kv_str(j, "kind", kinds[r->kind]);
		json_kv_str(j, "name", r->name);
		break;
	case NS_TK_FUNCTION:
		json_kv_str(j, "kind", "function");
		break;
	case NS_TK_BITFIELD:
		json_kv_str(j, "kind", "bitfield");
		json_kv_uint(j, "bit_position", r->bit_pos);
		json_kv_uint(j, "bit_length", r->bit_len);
		json_key(j, "type");
		write_tref(j, r->sub);
		break;
	case NS_TK_VOID:
		json_kv_str(j, "kind", "base");
		json_kv_str(j, "name", "void");
		break;
	}
	json_obj_end(j);
}

static void base_type(struct json *j, const char *name, const char *kind, uint64_t size, bool is_signed)
{
	json_key(j, name);
	json_obj_begin(j);
	json_kv_str(j, "kind", kind);
	json_kv_uint(j, "size", size);
	json_kv_bool(j, "signed", is_signed);
	json_kv_str(j, "endian", "little");
	json_obj_end(j);
}

int ns_profile_write(const struct ns_types *t, FILE *f, struct ns_error *err)
{
	struct ns_out o = ns_out_file(f);
	struct json j;

	json_init(&j, &o);
	json_obj_begin(&j);
	json_key(&j, "metadata");
	json_obj_begin(&j);
	json_kv_str(&j, "format", ISF_FORMAT);
	json_key(&j, "producer");
	json_obj_begin(&j);
	json_kv_str(&j, "name", "nestscope");
	json_kv_str(&j, "version", "1");
	json_obj_end(&j);
	json_key(&j, "nestscope");
	json_obj_begin(&j);
	json_kv_str(&j, "release", t->release);
	json_kv_str(&j, "banner", t->banner);
	json_kv_str(&j, "origin", t->origin);
	json_obj_end(&j);
	json_obj_end(&j);

	json_key(&j, "base_types");
	json_obj_begin(&j);
	base_type(&j, "pointer", "int", 8, false);
	base_type(&j, "void", "void", 0, false);
	for (size_t i = 0; i < t->nbase; i++)
		if (strcmp(t->base[i].name, "pointer") && strcmp(t->base[i].name, "void"))
			base_type(&j, t->base[i].name, t->base[i].kind, t->base[i].size, t->base[i].is_signed);
	json_obj_end(&j);

	json_key(&j, "user_types");
	json_obj_begin(&j);
	for (size_t i = 0; i < t->nst; i++) {
		const struct ns_tstruct *s = &t->st[i];

		if (s->kind == NS_TK_ENUM)
			continue;
		json_key(&j, s->name);
		json_obj_begin(&j);
		json_kv_str(&j, "kind", s->kind == NS_TK_UNION ? "union" : "struct");
		json_kv_uint(&j, "size", s->complete ? s->size : 0);
		json_key(&j, "fields");
		json_obj_begin(&j);
		for (size_t k = 0; k < s->n; k++) {
			json_key(&j, s->m[k].name);
			json_obj_begin(&j);
			json_kv_uint(&j, "offset", s->m[k].offset);
			json_key(&j, "type");
			write_tref(&j, s->m[k].type);
			json_obj_end(&j);
		}
		json_obj_end(&j);
		json_obj_end(&j);
	}
	json_obj_end(&j);

	json_key(&j, "enums");
	json_obj_begin(&j);
	for (size_t i = 0; i < t->nst; i++)
		if (t->st[i].kind == NS_TK_ENUM) {
			json_key(&j, t->st[i].name);
			json_obj_begin(&j);
			json_kv_uint(&j, "size", t->st[i].size);
			json_kv_str(&j, "base", t->st[i].size == 8 ? "long unsigned int" : "unsigned int");
			json_key(&j, "constants");
			json_obj_begin(&j);
			json_obj_end(&j);
			json_obj_end(&j);
		}
	json_obj_end(&j);

	json_key(&j, "symbols");
	json_obj_begin(&j);
	for (size_t i = 0; i < t->nsym; i++) {
		json_key(&j, t->sym[i].name);
		json_obj_begin(&j);
		json_kv_uint(&j, "address", t->sym[i].address);
		if (!strcmp(t->sym[i].name, "linux_banner") && t->banner[0]) {
			/* what Volatility matches a kernel by: the banner, NUL-terminated, base64 */
			char enc[sizeof(t->banner) * 4 / 3 + 8], *e = enc;
			const unsigned char *s = (const unsigned char *)t->banner;
			size_t n = strlen(t->banner) + 1;

			for (size_t k = 0; k < n; k += 3) {
				uint32_t v = (uint32_t)s[k] << 16 | (k + 1 < n ? (uint32_t)s[k + 1] << 8 : 0) |
					     (k + 2 < n ? s[k + 2] : 0);

				*e++ = b64[v >> 18 & 63];
				*e++ = b64[v >> 12 & 63];
				*e++ = k + 1 < n ? b64[v >> 6 & 63] : '=';
				*e++ = k + 2 < n ? b64[v & 63] : '=';
			}
			*e = '\0';
			json_kv_str(&j, "constant_data", enc);
		}
		json_obj_end(&j);
	}
	json_obj_end(&j);
	json_obj_end(&j);
	ns_printf(&o, "\n");
	if (fflush(f) || ferror(f))
		return ns_fail(err, NS_ERR_IO, "writing the profile failed");
	return NS_OK;
}

/* ---- reading ---- */

struct reader {
	struct ns_types *t;
	struct ns_error *err;
	const char *origin;
};

static int bad(struct reader *r, const char *what, const char *name)
{
	return ns_fail(r->err, NS_ERR_FORMAT, "profile %s: %s%s%s", r->origin, what, name ? " " : "", name ? name : "");
}

static int read_tref(struct reader *r, struct json_object *n, int depth, const struct ns_tref **out)
{
	static const struct { const char *name; enum ns_tkind kind; } kinds[] = {
		{ "base", NS_TK_BASE }, { "pointer", NS_TK_POINTER }, { "array", NS_TK_ARRAY },
		{ "struct", NS_TK_STRUCT }, { "union", NS_TK_UNION }, { "enum", NS_TK_ENUM },
		{ "function", NS_TK_FUNCTION }, { "bitfield", NS_TK_BITFIELD }, { "class", NS_TK_STRUCT },
	};
	const char *kind = json_in_str(json_in_get(n, "kind")), *name = json_in_str(json_in_get(n, "name"));
	const struct ns_tref *sub = NULL;
	struct ns_tref *ref;
	size_t i;
	int rc;

	if (depth > 16)
		return bad(r, "a type nested too deeply", NULL);
	for (i = 0; kind && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i].name))
			break;
	if (!kind || i == sizeof(kinds) / sizeof(kinds[0]))
		return bad(r, "a type of unknown kind", kind);
	if (kinds[i].kind == NS_TK_POINTER || kinds[i].kind == NS_TK_ARRAY || kinds[i].kind == NS_TK_BITFIELD) {
		struct json_object *s = json_in_get(n, kinds[i].kind == NS_TK_BITFIELD ? "type" : "subtype");

		if (!s)
			return bad(r, "a pointer, array or bitfield without its type", NULL);
		if ((rc = read_tref(r, s, depth + 1, &sub)))
			return rc;
	} else if (kinds[i].kind != NS_TK_FUNCTION && !name) {
		return bad(r, "a type without a name", NULL);
	}
	if (!(ref = ns_types_ref(r->t, kinds[i].kind, kinds[i].kind == NS_TK_FUNCTION ? NULL : name, sub)))
		return ns_fail(r->err, NS_ERR_NOMEM, "out of memory reading profile %s", r->origin);
	if (ref->kind == NS_TK_BASE && name && !strcmp(name, "void"))
		ref->kind = NS_TK_VOID;
	if (ref->kind == NS_TK_ARRAY && !json_in_uint(json_in_get(n, "count"), &ref->count))
		return bad(r, "an array without a count", NULL);
	if (ref->kind == NS_TK_BITFIELD) {
		uint64_t pos, len;

		if (!json_in_uint(json_in_get(n, "bit_position"), &pos) ||
		    !json_in_uint(json_in_get(n, "bit_length"), &len) || pos > 4096 || len > 64)
			return bad(r, "a bitfield without a sane position and length", NULL);
		ref->bit_pos = (uint32_t)pos;
		ref->bit_len = (uint32_t)len;
	}
	*out = ref;
	return NS_OK;
}

/* A type's size in bytes, or -1; depth-bounded, as a profile may be cyclic. */
static int64_t tref_size(const struct ns_types *t, const struct ns_tref *r, int depth)
{
	int64_t sub;

	if (!r || depth > 16)
		return -1;
	switch (r->kind) {
	case NS_TK_POINTER:
		return 8;
	case NS_TK_BASE:
		for (size_t i = 0; i < t->nbase; i++)
			if (!strcmp(t->base[i].name, r->name))
				return t->base[i].size;
		return -1;
	case NS_TK_ARRAY:
		sub = tref_size(t, r->sub, depth + 1);
		if (sub < 0 || (r->count && (uint64_t)sub > MAX_TYPE_SIZE / r->count))
			return -1;
		return sub * (int64_t)r->count;
	case NS_TK_STRUCT:
	case NS_TK_UNION:
	case NS_TK_ENUM:
		return ns_types_size(t, r->name);
	case NS_TK_BITFIELD:
		return tref_size(t, r->sub, depth + 1);
	case NS_TK_FUNCTION:
	case NS_TK_VOID:
		return -1;
	}
	return -1;
}

static int read_user_types(struct reader *r, struct json_object *ut, enum ns_tkind default_kind)
{
	json_object_object_foreach(ut, name, n) {
		const char *kind = json_in_str(json_in_get(n, "kind"));
		struct json_object *fields = json_in_get(n, "fields");
		struct ns_tstruct *s;
		uint64_t size;

		if (!json_in_uint(json_in_get(n, "size"), &size) || size > MAX_TYPE_SIZE)
			return bad(r, "a type without a sane size:", name);
		if (!(s = ns_types_struct_get(r->t, name, default_kind)))
			return ns_fail(r->err, NS_ERR_NOMEM, "out of memory reading profile %s", r->origin);
		if (kind && !strcmp(kind, "union"))
			s->kind = NS_TK_UNION;
		s->size = size;
		if (!fields) {
			s->complete = true;
			continue;
		}
		if (!json_object_is_type(fields, json_type_object))
			return bad(r, "fields that are not an object in", name);
		s->complete = size > 0 || json_object_object_length(fields) > 0;
		json_object_object_foreach(fields, fname, f) {
			const struct ns_tref *type;
			uint64_t off;
			int rc;

			if (!json_in_uint(json_in_get(f, "offset"), &off) || off > size)
				return bad(r, "a field outside its struct:", fname);
			if ((rc = read_tref(r, json_in_get(f, "type"), 0, &type)))
				return rc;
			if (!ns_types_member_add(r->t, s, fname, off, -1, type))
				return ns_fail(r->err, NS_ERR_NOMEM, "out of memory reading profile %s", r->origin);
		}
	}
	return NS_OK;
}

static size_t b64_decode(const char *in, unsigned char *out, size_t max)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *in && *in != '='; in++) {
		const char *p = strchr(b64, *in);

		if (!p)
			return 0;
		acc = acc << 6 | (uint32_t)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= max)
				break;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	out[n] = '\0';
	return n;
}

/* an object member, or NULL when it is missing or not an object */
static struct json_object *object_member(struct json_object *o, const char *key)
{
	struct json_object *v = json_in_get(o, key);

	return json_object_is_type(v, json_type_object) ? v : NULL;
}

int ns_profile_parse(const char *text, size_t len, const char *origin, struct ns_types *t, struct ns_error *err)
{
	struct reader r = { t, err, origin };
	struct json_object *d, *meta, *bases, *ut, *en, *syms;
	const char *banner;
	char what[256];
	int rc;

	snprintf(what, sizeof(what), "profile %.200s", origin);
	if ((rc = json_in_parse(text, len, what, &d, err)))
		return rc;
	meta = json_in_get(d, "metadata");
	bases = object_member(d, "base_types");
	ut = object_member(d, "user_types");
	en = json_in_get(d, "enums");
	syms = object_member(d, "symbols");
	if (!meta || !bases || !ut || !syms || (en && !json_object_is_type(en, json_type_object))) {
		rc = bad(&r, "not an ISF symbol table (metadata, base_types, user_types, symbols)", NULL);
		goto out;
	}
	snprintf(t->origin, sizeof(t->origin), "profile %s", origin);
	json_object_object_foreach(bases, bname, base) {
		uint64_t size;
		const char *kind = json_in_str(json_in_get(base, "kind"));
		struct json_object *sgn = json_in_get(base, "signed");

		if (!json_in_uint(json_in_get(base, "size"), &size) || size > 64 || !kind) {
			rc = bad(&r, "a base type without a sane size and kind:", bname);
			goto out;
		}
		if (!ns_types_base_add(t, bname, (uint32_t)size,
				       json_object_is_type(sgn, json_type_boolean) && json_object_get_boolean(sgn), kind)) {
			rc = ns_fail(err, NS_ERR_NOMEM, "out of memory reading profile %s", origin);
			goto out;
		}
	}
	if ((rc = read_user_types(&r, ut, NS_TK_STRUCT)) || (en && (rc = read_user_types(&r, en, NS_TK_ENUM))))
		goto out;
	/* member sizes from their types, now that every struct's size is known */
	for (size_t i = 0; i < t->nst; i++)
		for (size_t k = 0; k < t->st[i].n; k++)
			t->st[i].m[k].size = tref_size(t, t->st[i].m[k].type, 0);
	json_object_object_foreach(syms, sname, sym) {
		uint64_t addr;

		if (!json_in_uint(json_in_get(sym, "address"), &addr)) {
			rc = bad(&r, "a symbol without an address:", sname);
			goto out;
		}
		if (!ns_types_symbol_add(t, sname, addr)) {
			rc = ns_fail(err, NS_ERR_NOMEM, "out of memory reading profile %s", origin);
			goto out;
		}
	}
	banner = json_in_str(json_in_get(json_in_get(meta, "nestscope"), "banner"));
	if (banner) {
		ns_types_set_banner(t, banner);
	} else {
		/* an ISF from elsewhere (dwarf2json): the banner is the linux_banner symbol's data */
		const char *data = json_in_str(json_in_get(json_in_get(syms, "linux_banner"), "constant_data"));
		unsigned char buf[sizeof(t->banner)];

		if (data && b64_decode(data, buf, sizeof(buf)))
			ns_types_set_banner(t, (const char *)buf);
	}
out:
	json_object_put(d);
	return rc;
}

int ns_profile_read(const char *path, struct ns_types *t, struct ns_error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;
	int rc;

	if (!f)
		return ns_fail(err, NS_ERR_IO, "cannot open profile %s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || (unsigned long)len > MAX_PROFILE_BYTES ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return ns_fail(err, NS_ERR_FORMAT, "profile %s: not a regular file of at most 64 MiB", path);
	}
	if (!(buf = malloc((size_t)len + 1))) {
		fclose(f);
		return ns_fail(err, NS_ERR_NOMEM, "out of memory reading profile %s", path);
	}
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return ns_fail(err, NS_ERR_IO, "cannot read profile %s", path);
	}
	fclose(f);
	rc = ns_profile_parse(buf, (size_t)len, path, t, err);
	free(buf);
	return rc;
}
