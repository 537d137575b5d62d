/* Untrusted JSON through json-c; see json_in.h. */
#include <limits.h>

#include "formats/json_in.h"

/*
 * Nesting: an ISF type nests pointers and arrays (the profile reader stops
 * at 16 levels) below five levels of the file's own; QEMU's vmstate
 * descriptions nest structs and subsections as deep (migstream.c's
 * MAX_DEPTH).  json-c's default, 32, would do; 64 leaves room.
 */
#define JSON_IN_MAX_DEPTH 64

int json_in_parse(const char *text, size_t len, const char *what, struct json_object **doc, struct ns_error *err)
{
	struct json_tokener *tok;
	enum json_tokener_error e;
	size_t end;

	*doc = NULL;
	/* json_tokener_parse_ex takes the length as an int */
	if (len > INT_MAX)
		return ns_fail(err, NS_ERR_FORMAT, "%s: JSON: %zu bytes, more than it can be", what, len);
	if (!(tok = json_tokener_new_ex(JSON_IN_MAX_DEPTH)))
		return ns_fail(err, NS_ERR_NOMEM, "%s: out of memory", what);
	/* strict: no comments, single quotes, trailing commas, leading zeros or text after the value */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	*doc = json_tokener_parse_ex(tok, text, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	/* the text ended inside a value: json-c waits for more ("continue"); here there is no more */
	if (e == json_tokener_continue)
		e = json_tokener_error_parse_eof;
	/* a NUL byte ends json-c's parse early, with success: the bytes after it are trailing text */
	else if (e == json_tokener_success && end != len)
		e = json_tokener_error_parse_unexpected;
	if (e == json_tokener_success)
		return NS_OK;
	json_object_put(*doc);
	*doc = NULL;
	return ns_fail(err, NS_ERR_FORMAT, "%s: JSON: %s at byte %zu", what, json_tokener_error_desc(e), end);
}

struct json_object *json_in_get(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *json_in_str(struct json_object *o)
{
	return json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

bool json_in_uint(struct json_object *o, uint64_t *v)
{
	/* an integer: json-c keeps 1.0 and 1e3 as doubles, and json_object_get_uint64 would convert them */
	if (!json_object_is_type(o, json_type_int))
		return false;
	/* json_object_get_uint64 reads a negative integer as 0: refused here, not wrapped (json_object_get_int64
	   gives INT64_MAX for an integer past it, so >= 0 holds for every non-negative one) */
	if (json_object_get_int64(o) < 0)
		return false;
	*v = json_object_get_uint64(o);
	/*
	 * json-c 0.16 reads an integer past 2^64-1 as 2^64-1 (json_parse_uint64:
	 * strtoull saturates, and the tokener keeps the value): 2^64-1 may stand
	 * for a larger number, so it is refused.  No address, size or count in a
	 * profile or a vmstate description is 2^64-1.
	 */
	return *v != UINT64_MAX;
}
