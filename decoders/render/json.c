/* The renderers' JSON writer on json-c; see json.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "render/json.h"

/* compact, and "/" as it is: the documents hold paths */
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

void json_init(struct json *j, struct ns_out *o)
{
	memset(j, 0, sizeof(*j));
	j->out = o;
}

/* Whether s is UTF-8 (no overlong form, no surrogate, nothing past U+10FFFF). */
static bool utf8(const unsigned char *s)
{
	static const uint32_t least[] = { 0, 0x80, 0x800, 0x10000 };

	while (*s) {
		uint32_t cp = *s++;
		int n;

		if (cp < 0x80)
			continue;
		if (cp >= 0xc0 && cp < 0xe0)
			n = 1, cp &= 0x1f;
		else if (cp >= 0xe0 && cp < 0xf0)
			n = 2, cp &= 0x0f;
		else if (cp >= 0xf0 && cp < 0xf8)
			n = 3, cp &= 0x07;
		else
			return false;
		for (int i = 0; i < n; i++, s++) {
			if ((*s & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (*s & 0x3f);
		}
		if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
			return false;
	}
	return true;
}

/*
 * A string for the document, in UTF-8 as JSON must be (json-c copies bytes
 * past ASCII as they are): s itself when it is UTF-8.  Bytes that are not
 * UTF-8 (a file name, a task's comm, a banner read from a dump) each become
 * the code point of their value, U+0080 to U+00FF, in a malloc'ed copy put in
 * *copy: nothing is lost.
 */
static const char *text(const char *s, char **copy)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), k = 0;
	char *t;

	*copy = NULL;
	if (utf8(p))
		return s;
	if (!(*copy = t = malloc(2 * n + 1)))
		return NULL;
	for (; *p; p++)
		if (*p < 0x80) {
			t[k++] = (char)*p;
		} else {
			t[k++] = (char)(0xc0 | *p >> 6);
			t[k++] = (char)(0x80 | (*p & 0x3f));
		}
	t[k] = '\0';
	return t;
}

static struct json_object *new_string(const char *s)
{
	char *copy;
	const char *t = text(s ? s : "", &copy);
	struct json_object *o = t ? json_object_new_string(t) : NULL;

	free(copy);
	return o;
}

/* Writes the finished document and frees it. */
static void emit(struct json *j, struct json_object *doc)
{
	size_t n;
	const char *s = json_object_to_json_string_length(doc, JSON_FLAGS, &n);

	if (s) {
		j->out->write(j->out->ctx, s, n);
		j->out->write(j->out->ctx, "\n", 1);
	}
	json_object_put(doc);
}

/* Puts v (owned) where the document is: under key (UTF-8), at the end of the array, or alone. */
static void add_as(struct json *j, const char *key, struct json_object *v)
{
	struct json_object *parent = j->depth ? j->open[j->depth - 1] : NULL;

	if (j->lost) {
		json_object_put(v);
	} else if (!parent) {
		emit(j, v);
	} else if (json_object_is_type(parent, json_type_array)) {
		json_object_array_add(parent, v);
	} else if (!key || json_object_object_add(parent, key, v)) {
		json_object_put(v);
	}
}

/* The same under the pending key of json_key. */
static void add(struct json *j, struct json_object *v)
{
	add_as(j, j->key, v);
	free(j->key);
	j->key = NULL;
}

/* A member, key and value in one call: no pending key to copy. */
static void member(struct json *j, const char *k, struct json_object *v)
{
	char *copy;
	const char *key = text(k ? k : "", &copy);

	free(j->key);
	j->key = NULL;
	add_as(j, key, v);
	free(copy);
}

static void open_(struct json *j, struct json_object *c)
{
	if (j->lost || j->depth == JSON_MAX_DEPTH || !c) {
		j->lost++;
		free(j->key);
		j->key = NULL;
		json_object_put(c);
		return;
	}
	/* the parent holds it from now on; it stays open here until its end */
	if (j->depth)
		add(j, json_object_get(c));
	free(j->key);
	j->key = NULL;
	j->open[j->depth++] = c;
}

static void close_(struct json *j)
{
	struct json_object *c;

	if (j->lost) {
		j->lost--;
		return;
	}
	if (!j->depth)
		return;
	c = j->open[--j->depth];
	if (j->depth)
		json_object_put(c);
	else
		emit(j, c);
}

void json_obj_begin(struct json *j) { open_(j, json_object_new_object()); }
void json_obj_end(struct json *j) { close_(j); }
void json_arr_begin(struct json *j) { open_(j, json_object_new_array()); }
void json_arr_end(struct json *j) { close_(j); }

void json_key(struct json *j, const char *k)
{
	char *copy;
	const char *t = text(k ? k : "", &copy);

	/* kept until the value comes: the caller's buffer may not live as long */
	free(j->key);
	j->key = copy ? copy : t ? strdup(t) : NULL;
}

void json_str(struct json *j, const char *s)
{
	add(j, new_string(s));
}

void json_uint(struct json *j, uint64_t v)
{
	add(j, json_object_new_uint64(v));
}

static struct json_object *new_hex(uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "0x%llx", (unsigned long long)v);
	return json_object_new_string(s);
}

void json_hex(struct json *j, uint64_t v)
{
	add(j, new_hex(v));
}

void json_boolean(struct json *j, bool v)
{
	add(j, json_object_new_boolean(v));
}

void json_null(struct json *j)
{
	/* json-c's null is the NULL object */
	add(j, NULL);
}

void json_kv_str(struct json *j, const char *k, const char *v)
{
	member(j, k, new_string(v));
}

void json_kv_hex(struct json *j, const char *k, uint64_t v)
{
	member(j, k, new_hex(v));
}

void json_kv_uint(struct json *j, const char *k, uint64_t v)
{
	member(j, k, json_object_new_uint64(v));
}

void json_kv_bool(struct json *j, const char *k, bool v)
{
	member(j, k, json_object_new_boolean(v));
}
