/*
 * Untrusted JSON (profiles, QEMU's vmstate descriptions) read through json-c:
 * the limits and the number rule both readers share.  A document is a tree
 * of json_object; free it with json_object_put.
 */
#ifndef NS_JSON_IN_H
#define NS_JSON_IN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "nestscope/error.h"

/*
 * Parses text[0..len): one JSON value (RFC 8259, json-c's strict mode),
 * nothing but whitespace after it, nested at most JSON_IN_MAX_DEPTH deep.
 * NS_OK with *doc set (NULL for a JSON null), or one message
 * "WHAT: JSON: why at byte N" with *doc NULL.
 */
int json_in_parse(const char *text, size_t len, const char *what, struct json_object **doc, struct ns_error *err);

/* The member key of object o; NULL when o is not an object, has no such member, or it is null. */
struct json_object *json_in_get(struct json_object *o, const char *key);
/* A string's text; NULL when o is not a string. */
const char *json_in_str(struct json_object *o);
/* A JSON integer from 0 to 2^64-2 into *v; false for anything else (a negative number, a fraction). */
bool json_in_uint(struct json_object *o, uint64_t *v);

#endif
