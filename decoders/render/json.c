#include <stdio.h>

#include "render/json.h"

void json_init(struct json *j, struct ns_out *o)
{
	j->out = o;
	j->depth = 0;
	j->first[0] = true;
	j->after_key = false;
}

/* Separator before a value or key at the current depth. */
static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		j->out->write(j->out->ctx, ",", 1);
	j->first[j->depth] = false;
}

static void open(struct json *j, char c)
{
	sep(j);
	j->out->write(j->out->ctx, &c, 1);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = true;
}

static void close_(struct json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	j->out->write(j->out->ctx, &c, 1);
	if (j->depth == 0)
		j->out->write(j->out->ctx, "\n", 1);
}

void json_obj_begin(struct json *j) { open(j, '{'); }
void json_obj_end(struct json *j) { close_(j, '}'); }
void json_arr_begin(struct json *j) { open(j, '['); }
void json_arr_end(struct json *j) { close_(j, ']'); }

static void raw_string(struct json *j, const char *s)
{
	char esc[8];

	j->out->write(j->out->ctx, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			j->out->write(j->out->ctx, esc, 2);
		} else if (*p < 0x20 || *p >= 0x7f) {
			/* Control and non-ASCII bytes (a hostile file name) stay valid JSON. */
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			j->out->write(j->out->ctx, esc, 6);
		} else {
			j->out->write(j->out->ctx, (const char *)p, 1);
		}
	}
	j->out->write(j->out->ctx, "\"", 1);
}

void json_key(struct json *j, const char *k)
{
	sep(j);
	raw_string(j, k);
	j->out->write(j->out->ctx, ":", 1);
	j->after_key = true;
}

void json_str(struct json *j, const char *s)
{
	sep(j);
	raw_string(j, s ? s : "");
}

void json_uint(struct json *j, uint64_t v)
{
	sep(j);
	ns_printf(j->out, "%llu", (unsigned long long)v);
}

void json_hex(struct json *j, uint64_t v)
{
	sep(j);
	ns_printf(j->out, "\"0x%llx\"", (unsigned long long)v);
}

void json_bool(struct json *j, bool v)
{
	sep(j);
	ns_printf(j->out, "%s", v ? "true" : "false");
}

void json_null(struct json *j)
{
	sep(j);
	j->out->write(j->out->ctx, "null", 4);
}

void json_kv_str(struct json *j, const char *k, const char *v)
{
	json_key(j, k);
	json_str(j, v);
}

void json_kv_hex(struct json *j, const char *k, uint64_t v)
{
	json_key(j, k);
	json_hex(j, v);
}

void json_kv_uint(struct json *j, const char *k, uint64_t v)
{
	json_key(j, k);
	json_uint(j, v);
}

void json_kv_bool(struct json *j, const char *k, bool v)
{
	json_key(j, k);
	json_bool(j, v);
}
