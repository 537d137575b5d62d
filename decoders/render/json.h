/*
 * The renderers' JSON writer (private to the core).  The calls come in
 * document order; json-c builds the value and writes it (escaping, numbers)
 * to the output when the outermost object or array closes, followed by a
 * newline.
 */
#ifndef NS_JSON_H
#define NS_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "nestscope/render.h"

/* objects and arrays open at once; a deeper one is left out of the document */
#define JSON_MAX_DEPTH 64

struct json_object;

struct json {
	struct ns_out *out;
	struct json_object *open[JSON_MAX_DEPTH];  /* the objects and arrays not closed yet, outermost first */
	int depth;
	int lost;    /* levels opened past JSON_MAX_DEPTH, whose values are dropped */
	char *key;   /* the member name json_key gave (a copy), until its value comes */
};

void json_init(struct json *j, struct ns_out *o);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *k);
void json_str(struct json *j, const char *s);
void json_uint(struct json *j, uint64_t v);
void json_hex(struct json *j, uint64_t v);  /* "0x..." : exact for 64-bit values */
void json_boolean(struct json *j, bool v);
void json_null(struct json *j);
/* key and value in one call, for the common object members */
void json_kv_str(struct json *j, const char *k, const char *v);
void json_kv_hex(struct json *j, const char *k, uint64_t v);
void json_kv_uint(struct json *j, const char *k, uint64_t v);
void json_kv_bool(struct json *j, const char *k, bool v);

#endif
