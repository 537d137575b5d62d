/*
 * JSON from anywhere through json-c as the core uses it: json_in_parse (the
 * tokener's limits, the one error message), the accessors the profile and
 * migration-stream readers walk a document with, and the renderers' writer
 * (render/json.c) writing the document back.  What the writer writes must be
 * JSON in UTF-8, whatever bytes the strings held: json-c reads it back with
 * its UTF-8 check, or the harness stops.
 */
#include <stdlib.h>

#include "formats/json_in.h"
#include "render/json.h"
#include "fuzz.h"

struct buf {
	char *s;
	size_t n, cap;
};

static void put(void *ctx, const char *s, size_t n)
{
	struct buf *b = ctx;

	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		if (!(b->s = realloc(b->s, b->cap)))
			abort();
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
}

static void rewrite(struct json *j, struct json_object *o)
{
	uint64_t v;

	json_in_get(o, "name");
	json_in_str(o);
	switch (json_object_get_type(o)) {
	case json_type_object:
		json_obj_begin(j);
		json_object_object_foreach(o, k, m) {
			json_key(j, k);
			rewrite(j, m);
		}
		json_obj_end(j);
		break;
	case json_type_array:
		json_arr_begin(j);
		for (size_t i = 0; i < json_object_array_length(o); i++)
			rewrite(j, json_object_array_get_idx(o, i));
		json_arr_end(j);
		break;
	case json_type_int:
		if (json_in_uint(o, &v))
			json_uint(j, v);
		else
			json_hex(j, (uint64_t)json_object_get_int64(o));
		break;
	case json_type_string:
	case json_type_double:
		json_str(j, json_object_get_string(o));
		break;
	case json_type_boolean:
		json_boolean(j, json_object_get_boolean(o));
		break;
	case json_type_null:
		json_null(j);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ns_error err;
	struct json_object *doc, *back;
	struct buf b = { 0 };
	struct ns_out o = { put, &b };
	struct json_tokener *tok;
	struct json j;

	if (json_in_parse((const char *)data, size, "fuzz", &doc, &err) != NS_OK)
		return 0;
	json_init(&j, &o);
	rewrite(&j, doc);
	json_object_put(doc);
	if (!(tok = json_tokener_new_ex(JSON_MAX_DEPTH + 1)))
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	back = json_tokener_parse_ex(tok, b.s, (int)b.n);
	if (json_tokener_get_error(tok) != json_tokener_success || json_tokener_get_parse_end(tok) != b.n)
		abort();
	json_object_put(back);
	json_tokener_free(tok);
	free(b.s);
	return 0;
}
