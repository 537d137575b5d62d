/*
 * The type set (types.h): building it from a reader, and the lookups the
 * walker makes through ns_target.  A few dozen structs of a few hundred
 * members: linear search is fast enough, as offsets are resolved once.
 */
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "nestscope/types.h"

struct arena_block {
	struct arena_block *next;
	size_t used, size, pad; /* a 32-byte header keeps data 16-byte aligned */
	unsigned char data[];
};

static void *arena_alloc(struct ns_types *t, size_t n)
{
	struct arena_block *b = t->arena;

	n = (n + 15) & ~(size_t)15;
	if (!b || b->size - b->used < n) {
		size_t size = n > 65536 ? n : 65536;

		if (!(b = malloc(sizeof(*b) + size)))
			return NULL;
		b->next = t->arena;
		b->used = 0;
		b->size = size;
		t->arena = b;
	}
	b->used += n;
	return b->data + b->used - n;
}

void ns_types_init(struct ns_types *t)
{
	memset(t, 0, sizeof(*t));
}

void ns_types_free(struct ns_types *t)
{
	for (struct arena_block *b = t->arena, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	for (size_t i = 0; i < t->nst; i++)
		free(t->st[i].m);
	free(t->st);
	free(t->base);
	free(t->sym);
	memset(t, 0, sizeof(*t));
}

const char *ns_types_str(struct ns_types *t, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = arena_alloc(t, n);

	if (p)
		memcpy(p, s, n);
	return p;
}

struct ns_tref *ns_types_ref(struct ns_types *t, enum ns_tkind kind, const char *name, const struct ns_tref *sub)
{
	struct ns_tref *r = arena_alloc(t, sizeof(*r));

	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->sub = sub;
	if (name && !(r->name = ns_types_str(t, name)))
		return NULL;
	return r;
}

const struct ns_tstruct *ns_types_find(const struct ns_types *t, const char *name)
{
	for (size_t i = 0; i < t->nst; i++)
		if (!strcmp(t->st[i].name, name))
			return &t->st[i];
	return NULL;
}

struct ns_tstruct *ns_types_struct_get(struct ns_types *t, const char *name, enum ns_tkind kind)
{
	struct ns_tstruct *s = (struct ns_tstruct *)ns_types_find(t, name);

	if (s)
		return s;
	if (!ns_grow((void **)&t->st, &t->stcap, t->nst + 1, sizeof(*t->st)))
		return NULL;
	s = &t->st[t->nst];
	memset(s, 0, sizeof(*s));
	if (!(s->name = ns_types_str(t, name)))
		return NULL;
	s->kind = kind;
	t->nst++;
	return s;
}

bool ns_types_member_add(struct ns_types *t, struct ns_tstruct *s, const char *name, uint64_t offset, int64_t size,
			 const struct ns_tref *type)
{
	struct ns_tmember *m;

	if (!ns_grow((void **)&s->m, &s->cap, s->n + 1, sizeof(*s->m)))
		return false;
	m = &s->m[s->n];
	if (!(m->name = ns_types_str(t, name)))
		return false;
	m->offset = offset;
	m->size = size;
	m->type = type;
	s->n++;
	s->have_fields = true;
	return true;
}

bool ns_types_base_add(struct ns_types *t, const char *name, uint32_t size, bool is_signed, const char *kind)
{
	struct ns_tbase *b;

	for (size_t i = 0; i < t->nbase; i++)
		if (!strcmp(t->base[i].name, name))
			return true;
	if (!ns_grow((void **)&t->base, &t->basecap, t->nbase + 1, sizeof(*t->base)))
		return false;
	b = &t->base[t->nbase];
	if (!(b->name = ns_types_str(t, name)) || !(b->kind = ns_types_str(t, kind)))
		return false;
	b->size = size;
	b->is_signed = is_signed;
	t->nbase++;
	return true;
}

bool ns_types_symbol_add(struct ns_types *t, const char *name, uint64_t address)
{
	struct ns_tsym *s;

	for (size_t i = 0; i < t->nsym; i++)
		if (!strcmp(t->sym[i].name, name)) {
			t->sym[i].address = address;
			return true;
		}
	if (!ns_grow((void **)&t->sym, &t->symcap, t->nsym + 1, sizeof(*t->sym)))
		return false;
	s = &t->sym[t->nsym];
	if (!(s->name = ns_types_str(t, name)))
		return false;
	s->address = address;
	t->nsym++;
	return true;
}

void ns_types_set_banner(struct ns_types *t, const char *banner)
{
	const char *p = strncmp(banner, "Linux version ", 14) ? NULL : banner + 14;
	size_t n = p ? strcspn(p, " \n") : 0;

	/* kept whole, newline included: Volatility matches the bytes in memory */
	snprintf(t->banner, sizeof(t->banner), "%s", banner);
	if (n >= sizeof(t->release))
		n = 0;
	memcpy(t->release, p ? p : "", n);
	t->release[n] = '\0';
}

static const struct ns_tmember *member_find(const struct ns_types *t, const char *type, const char *member)
{
	const struct ns_tstruct *s = ns_types_find(t, type);

	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->m[i].name, member))
			return &s->m[i];
	return NULL;
}

long ns_types_member_offset(const struct ns_types *t, const char *type, const char *member)
{
	const struct ns_tmember *m = member_find(t, type, member);

	return m ? (long)m->offset : -1;
}

long ns_types_member_size(const struct ns_types *t, const char *type, const char *member)
{
	const struct ns_tmember *m = member_find(t, type, member);

	return m ? (long)m->size : -1;
}

long ns_types_size(const struct ns_types *t, const char *type)
{
	const struct ns_tstruct *s = ns_types_find(t, type);

	return s && s->complete ? (long)s->size : -1;
}

uint64_t ns_types_symbol(const struct ns_types *t, const char *name)
{
	for (size_t i = 0; i < t->nsym; i++)
		if (!strcmp(t->sym[i].name, name))
			return t->sym[i].address;
	return 0;
}
