/* A small streaming JSON writer (private to the core). */
#ifndef NS_JSON_H
#define NS_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "nestscope/render.h"

#define JSON_MAX_DEPTH 16

struct json {
	struct ns_out *out;
	int depth;
	bool first[JSON_MAX_DEPTH];  /* no member written yet at this depth */
	bool after_key;
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
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* key and value in one call, for the common object members */
void json_kv_str(struct json *j, const char *k, const char *v);
void json_kv_hex(struct json *j, const char *k, uint64_t v);
void json_kv_uint(struct json *j, const char *k, uint64_t v);
void json_kv_bool(struct json *j, const char *k, bool v);

#endif
