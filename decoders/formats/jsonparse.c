/*
 * JSON reader (RFC 8259) into an index-linked tree; see jsonparse.h.
 * Recursion is bounded by JP_MAX_DEPTH and the node count by the input size.
 */
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "formats/jsonparse.h"

#define JP_MAX_DEPTH 64
#define JP_MAX_INPUT (256u << 20)

struct parser {
	const char *s;
	size_t len, pos;
	struct jp_doc *doc;
	struct ns_error *err;
};

static int fail(struct parser *p, const char *what)
{
	return ns_fail(p->err, NS_ERR_FORMAT, "JSON: %s at byte %zu", what, p->pos);
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
		p->pos++;
}

static uint32_t new_node(struct parser *p, enum jp_kind k)
{
	struct jp_doc *d = p->doc;

	if (d->nnodes >= 0xfffffff0u || !ns_grow((void **)&d->node, &d->cap, d->nnodes + 1, sizeof(*d->node)))
		return JP_NONE;
	memset(&d->node[d->nnodes], 0, sizeof(*d->node));
	d->node[d->nnodes].kind = k;
	d->node[d->nnodes].key = d->node[d->nnodes].str = JP_NONE;
	d->node[d->nnodes].first = d->node[d->nnodes].next = JP_NONE;
	return (uint32_t)d->nnodes++;
}

static bool pool_put(struct parser *p, char c)
{
	struct jp_doc *d = p->doc;

	if (!ns_grow((void **)&d->pool, &d->pool_cap, d->pool_len + 1, 1))
		return false;
	d->pool[d->pool_len++] = c;
	return true;
}

static int hex4(struct parser *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p->pos < p->len ? p->s[p->pos++] : 0;

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return fail(p, "bad \\u escape");
	}
	return NS_OK;
}

static bool put_utf8(struct parser *p, unsigned cp)
{
	if (cp < 0x80)
		return pool_put(p, (char)cp);
	if (cp < 0x800)
		return pool_put(p, (char)(0xc0 | cp >> 6)) && pool_put(p, (char)(0x80 | (cp & 0x3f)));
	if (cp < 0x10000)
		return pool_put(p, (char)(0xe0 | cp >> 12)) && pool_put(p, (char)(0x80 | ((cp >> 6) & 0x3f))) &&
		       pool_put(p, (char)(0x80 | (cp & 0x3f)));
	return pool_put(p, (char)(0xf0 | cp >> 18)) && pool_put(p, (char)(0x80 | ((cp >> 12) & 0x3f))) &&
	       pool_put(p, (char)(0x80 | ((cp >> 6) & 0x3f))) && pool_put(p, (char)(0x80 | (cp & 0x3f)));
}

/* A string at p->pos (the opening quote) into the pool; its offset into *at. */
static int string(struct parser *p, uint32_t *at)
{
	int rc;

	if (p->doc->pool_len >= 0xfffffff0u)
		return fail(p, "too much text");
	*at = (uint32_t)p->doc->pool_len;
	p->pos++;
	for (;;) {
		unsigned char c;

		if (p->pos >= p->len)
			return fail(p, "unterminated string");
		c = (unsigned char)p->s[p->pos++];
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(p, "control character in a string");
		if (c == '\\') {
			char e = p->pos < p->len ? p->s[p->pos++] : 0;
			const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
			unsigned cp, lo;

			if (e && strchr(from, e)) {
				if (!pool_put(p, to[strchr(from, e) - from]))
					return fail(p, "out of memory");
				continue;
			}
			if (e != 'u')
				return fail(p, "bad escape");
			if ((rc = hex4(p, &cp)))
				return rc;
			if (cp >= 0xd800 && cp < 0xdc00) {
				if (p->pos + 2 > p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
					return fail(p, "lone surrogate");
				p->pos += 2;
				if ((rc = hex4(p, &lo)))
					return rc;
				if (lo < 0xdc00 || lo > 0xdfff)
					return fail(p, "bad surrogate pair");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				return fail(p, "lone surrogate");
			}
			if (cp == 0)
				return fail(p, "NUL in a string");
			if (!put_utf8(p, cp))
				return fail(p, "out of memory");
			continue;
		}
		if (!pool_put(p, (char)c))
			return fail(p, "out of memory");
	}
	return pool_put(p, '\0') ? NS_OK : fail(p, "out of memory");
}

static int number(struct parser *p, struct jp_node *n)
{
	size_t start = p->pos;
	bool frac = false;
	char buf[64];

	if (p->s[p->pos] == '-') {
		n->negative = true;
		p->pos++;
	}
	if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
		return fail(p, "bad number");
	if (p->s[p->pos] == '0' && p->pos + 1 < p->len && p->s[p->pos + 1] >= '0' && p->s[p->pos + 1] <= '9')
		return fail(p, "leading zero");
	n->is_int = true;
	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
		unsigned dgt = (unsigned)(p->s[p->pos++] - '0');

		if (n->u > (UINT64_MAX - dgt) / 10)
			n->is_int = false; /* too big for 64 bits: only the double stands */
		else
			n->u = n->u * 10 + dgt;
	}
	if (p->pos < p->len && p->s[p->pos] == '.') {
		frac = true;
		p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return fail(p, "bad fraction");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		frac = true;
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9')
			return fail(p, "bad exponent");
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	}
	if (frac)
		n->is_int = false;
	if (p->pos - start >= sizeof(buf))
		n->d = n->negative ? -1e300 : 1e300;
	else {
		memcpy(buf, p->s + start, p->pos - start);
		buf[p->pos - start] = '\0';
		n->d = strtod(buf, NULL);
	}
	return NS_OK;
}

static int value(struct parser *p, int depth, uint32_t *out);

/* An array or object: children linked in order. */
static int container(struct parser *p, int depth, uint32_t self, bool is_obj)
{
	char close = is_obj ? '}' : ']';
	uint32_t last = JP_NONE;
	int rc;

	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return NS_OK;
	}
	for (;;) {
		uint32_t key = JP_NONE, child;

		skip_ws(p);
		if (is_obj) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, "expected a member name");
			if ((rc = string(p, &key)))
				return rc;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return fail(p, "expected ':'");
			p->pos++;
		}
		if ((rc = value(p, depth + 1, &child)))
			return rc;
		p->doc->node[child].key = key;
		if (last == JP_NONE)
			p->doc->node[self].first = child;
		else
			p->doc->node[last].next = child;
		last = child;
		p->doc->node[self].count++;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			return NS_OK;
		}
		return fail(p, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int value(struct parser *p, int depth, uint32_t *out)
{
	static const struct { const char *word; enum jp_kind k; } words[] = {
		{ "null", JP_NULL }, { "true", JP_TRUE }, { "false", JP_FALSE },
	};
	uint32_t n;
	char c;

	if (depth > JP_MAX_DEPTH)
		return fail(p, "nested too deeply");
	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, "unexpected end");
	c = p->s[p->pos];
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (p->pos + strlen(words[i].word) <= p->len &&
		    !strncmp(p->s + p->pos, words[i].word, strlen(words[i].word))) {
			if ((*out = new_node(p, words[i].k)) == JP_NONE)
				return fail(p, "out of memory");
			p->pos += strlen(words[i].word);
			return NS_OK;
		}
	if (c == '"') {
		uint32_t at = 0;
		int rc;

		if ((n = new_node(p, JP_STRING)) == JP_NONE)
			return fail(p, "out of memory");
		if ((rc = string(p, &at)))
			return rc;
		p->doc->node[n].str = at;
		*out = n;
		return NS_OK;
	}
	if (c == '{' || c == '[') {
		if ((n = new_node(p, c == '{' ? JP_OBJECT : JP_ARRAY)) == JP_NONE)
			return fail(p, "out of memory");
		*out = n;
		return container(p, depth, n, c == '{');
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		struct jp_node tmp = { 0 };
		int rc = number(p, &tmp);

		if (rc)
			return rc;
		if ((n = new_node(p, JP_NUMBER)) == JP_NONE)
			return fail(p, "out of memory");
		tmp.kind = JP_NUMBER;
		tmp.key = tmp.str = tmp.first = tmp.next = JP_NONE;
		p->doc->node[n] = tmp;
		*out = n;
		return NS_OK;
	}
	return fail(p, "unexpected character");
}

int jp_parse(const char *text, size_t len, struct jp_doc *doc, struct ns_error *err)
{
	struct parser p = { text, len, 0, doc, err };
	uint32_t root;
	int rc;

	memset(doc, 0, sizeof(*doc));
	if (len > JP_MAX_INPUT)
		return ns_fail(err, NS_ERR_FORMAT, "JSON: %zu bytes is more than a profile can be", len);
	if ((rc = value(&p, 0, &root)))
		return rc;
	skip_ws(&p);
	if (p.pos != len)
		return fail(&p, "trailing text");
	return NS_OK;
}

void jp_free(struct jp_doc *doc)
{
	free(doc->node);
	free(doc->pool);
	memset(doc, 0, sizeof(*doc));
}

uint32_t jp_get(const struct jp_doc *doc, uint32_t n, const char *key)
{
	if (n == JP_NONE || n >= doc->nnodes || doc->node[n].kind != JP_OBJECT)
		return JP_NONE;
	for (uint32_t c = doc->node[n].first; c != JP_NONE; c = doc->node[c].next)
		if (!strcmp(doc->pool + doc->node[c].key, key))
			return c;
	return JP_NONE;
}

const char *jp_str(const struct jp_doc *doc, uint32_t n)
{
	if (n == JP_NONE || n >= doc->nnodes || doc->node[n].kind != JP_STRING)
		return NULL;
	return doc->pool + doc->node[n].str;
}

const char *jp_key(const struct jp_doc *doc, uint32_t n)
{
	if (n == JP_NONE || n >= doc->nnodes || doc->node[n].key == JP_NONE)
		return NULL;
	return doc->pool + doc->node[n].key;
}

bool jp_uint(const struct jp_doc *doc, uint32_t n, uint64_t *v)
{
	if (n == JP_NONE || n >= doc->nnodes || doc->node[n].kind != JP_NUMBER || !doc->node[n].is_int ||
	    (doc->node[n].negative && doc->node[n].u))
		return false;
	*v = doc->node[n].u;
	return true;
}
