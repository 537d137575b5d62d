/*
 * The vmcs12 ABI check: a kernel's struct vmcs12 against the built-in table
 * (vmcs12_layout.def).  Member by member:
 *
 *   - a table member the kernel has by name must be at the table's offset
 *     with the table's size (else MOVED, RESIZED); a NEWER one (the nested
 *     CET block) that is there was added in former padding (ADDED);
 *   - a padding member the kernel has by name may have other bounds
 *     (paddingl[8] at 680 before nested CET, paddingl[2] at 728 after): said,
 *     not a break (PADDING);
 *   - a member the table does not know is compatible only inside the
 *     table's padding or past the table's end, within the 4 KiB region
 *     (ADDED), or inside dead_space (DEAD); over any other table member it
 *     breaks the ABI (OVERLAP);
 *   - a table member the kernel lacks is compatible when the kernel has
 *     padding there or its struct ends before it (ABSENT: an older kernel);
 *     else MISSING.
 *
 * No printing here: the findings are data, render/abi.c says them.
 */
#include <stdlib.h>
#include <string.h>

#include "nestscope/catalog.h"
#include "nestscope/vmcs12.h"
#include "nestscope/vmcs12_abi.h"

static const struct {
	const char *name;
	bool breaks;
} kinds[NS_ABI_KIND_COUNT] = {
#define NS_ABI_ROW(id, name, breaks, what) [NS_ABI_##id] = { name, breaks },
	NS_ABI_KINDS(NS_ABI_ROW)
#undef NS_ABI_ROW
};

const char *ns_abi_kind_name(enum ns_abi_kind k)
{
	return (unsigned)k < NS_ABI_KIND_COUNT ? kinds[k].name : "?";
}

bool ns_abi_kind_breaks(enum ns_abi_kind k)
{
	return (unsigned)k < NS_ABI_KIND_COUNT && kinds[k].breaks;
}

/* "paddingl[8]" -> "paddingl" */
static void base_name(const char *name, char *out)
{
	size_t n = strcspn(name, "[");

	if (n >= NS_ABI_NAME)
		n = NS_ABI_NAME - 1;
	memcpy(out, name, n);
	out[n] = '\0';
}

static uint64_t end_of(uint64_t off, uint64_t size)
{
	return off + size;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < end_of(b, blen) && b < end_of(a, alen);
}

/* The kernel's members, names without array bounds. */
struct kmember {
	char name[NS_ABI_NAME];
	uint64_t offset, size;
	bool padding;  /* named as one of the table's padding members */
};

struct cmp {
	const struct ns_layout *l;
	struct kmember *k;
	size_t n;
	uint64_t kernel_end;  /* sizeof the kernel's struct, or its last member's end */
	struct ns_abi_report *r;
};

static const struct ns_slot *slot_named(const struct ns_layout *l, const char *name)
{
	for (size_t i = 0; i < l->nslots; i++)
		if (!strcmp(l->slots[i].member, name))
			return &l->slots[i];
	return NULL;
}

static const struct kmember *kernel_named(const struct cmp *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->k[i].name, name))
			return &c->k[i];
	return NULL;
}

static struct ns_abi_finding *add(struct ns_abi_report *r, enum ns_abi_kind kind, const struct kmember *km,
				  const struct ns_slot *s)
{
	struct ns_abi_finding *f;

	if (ns_abi_kind_breaks(kind))
		r->breaks++;
	if (kind == NS_ABI_ADDED)
		r->added++;
	if (kind == NS_ABI_ABSENT)
		r->absent++;
	if (r->nfindings >= NS_ABI_MAX_FINDINGS) {
		r->dropped++;
		return NULL;
	}
	f = &r->findings[r->nfindings++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->encoding = NS_NOENC;
	if (km) {
		memcpy(f->member, km->name, sizeof(f->member));
		f->offset = km->offset;
		f->size = km->size;
	}
	if (s) {
		f->table_member = s->member;
		f->table_offset = s->offset;
		f->table_size = s->size;
		f->table_newer = s->kind == NS_SLOT_NEWER;
		f->encoding = s->encoding;
	}
	return f;
}

/* A member the table does not know: inside padding, past the end, in dead_space, or over a table member. */
static void judge_unknown(struct cmp *c, const struct kmember *km)
{
	const struct ns_slot *pad = NULL, *dead = NULL, *hit = NULL;
	uint64_t size = km->size ? km->size : 1;  /* a flexible array still sits somewhere */

	for (size_t i = 0; i < c->l->nslots && !hit; i++) {
		const struct ns_slot *s = &c->l->slots[i];

		if (!overlaps(km->offset, size, s->offset, s->size))
			continue;
		if (s->kind == NS_SLOT_PAD)
			pad = pad ? pad : s;
		else if (s->kind == NS_SLOT_DEAD)
			dead = dead ? dead : s;
		else
			hit = s;
	}
	if (hit)
		add(c->r, NS_ABI_OVERLAP, km, hit);
	else if (dead && !pad)
		add(c->r, NS_ABI_DEAD, km, dead);
	else if (dead)
		add(c->r, NS_ABI_OVERLAP, km, dead);  /* across padding and dead_space: no kernel did that */
	else
		add(c->r, NS_ABI_ADDED, km, pad);     /* pad NULL: past the table's end */
}

/* A table member the kernel does not have by name: what holds its bytes there. */
static void judge_absent(struct cmp *c, const struct ns_slot *s)
{
	const struct kmember *pad = NULL;
	uint64_t covered = 0;

	for (size_t i = 0; i < c->n; i++) {
		const struct kmember *km = &c->k[i];
		uint64_t lo, hi;

		if (!overlaps(km->offset, km->size, s->offset, s->size))
			continue;
		if (!km->padding)
			return;  /* a member of the kernel's is there: judged as that member (moved, overlap) */
		pad = pad ? pad : km;
		lo = km->offset > s->offset ? km->offset : s->offset;
		hi = end_of(km->offset, km->size) < end_of(s->offset, s->size) ? end_of(km->offset, km->size)
										: end_of(s->offset, s->size);
		covered += hi - lo;
	}
	/* the bytes past the kernel's struct: the zeroed tail of the 4 KiB region */
	if (end_of(s->offset, s->size) > c->kernel_end) {
		uint64_t from = s->offset > c->kernel_end ? s->offset : c->kernel_end;

		covered += end_of(s->offset, s->size) - from;
	}
	if (covered >= s->size) {
		struct ns_abi_finding *f = add(c->r, NS_ABI_ABSENT, NULL, s);

		if (f && pad) {
			memcpy(f->padding, pad->name, sizeof(f->padding));
			f->padding_offset = pad->offset;
			f->padding_size = pad->size;
		}
		return;
	}
	add(c->r, NS_ABI_MISSING, NULL, s);
}

static int compare(struct cmp *c, uint64_t struct_size, struct ns_error *err)
{
	struct ns_abi_report *r = c->r;

	r->table_size = c->l->struct_size;
	r->table_members = (unsigned)c->l->nslots;
	r->kernel_members = (unsigned)c->n;
	r->kernel_size = struct_size;
	if (!c->n)
		return ns_fail(err, NS_ERR_ARG, "struct vmcs12 has no members in these types: nothing to compare");
	c->kernel_end = struct_size;
	for (size_t i = 0; i < c->n; i++) {
		const struct ns_slot *s = slot_named(c->l, c->k[i].name);

		c->k[i].padding = s && s->kind == NS_SLOT_PAD;
		if (!struct_size && end_of(c->k[i].offset, c->k[i].size) > c->kernel_end)
			c->kernel_end = end_of(c->k[i].offset, c->k[i].size);
	}

	for (size_t i = 0; i < c->n; i++) {
		const struct kmember *km = &c->k[i];
		const struct ns_slot *s = slot_named(c->l, km->name);

		if (!s) {
			judge_unknown(c, km);
		} else if (km->offset == s->offset && km->size == s->size) {
			r->same++;
			if (s->kind == NS_SLOT_NEWER)
				add(r, NS_ABI_ADDED, km, s);
		} else if (s->kind == NS_SLOT_PAD) {
			add(r, NS_ABI_PADDING, km, s);
		} else {
			add(r, km->offset != s->offset ? NS_ABI_MOVED : NS_ABI_RESIZED, km, s);
		}
	}
	for (size_t i = 0; i < c->l->nslots; i++) {
		const struct ns_slot *s = &c->l->slots[i];

		if (s->kind != NS_SLOT_PAD && !kernel_named(c, s->member))
			judge_absent(c, s);
	}
	if (struct_size > c->l->region_size) {
		struct ns_abi_finding *f = add(r, NS_ABI_TOO_BIG, NULL, NULL);

		if (f)
			f->size = struct_size;
	} else if (struct_size && struct_size != c->l->struct_size) {
		struct ns_abi_finding *f = add(r, NS_ABI_SIZE, NULL, NULL);

		if (f)
			f->size = struct_size;
	}
	return NS_OK;
}

/* Members of a provider are untrusted (a profile is a file): bounded before any arithmetic. */
#define MAX_MEMBER_END (1ull << 32)

int ns_vmcs12_abi_compare(const struct ns_abi_member *m, size_t n, uint64_t struct_size, struct ns_abi_report *r,
			  struct ns_error *err)
{
	struct cmp c = { ns_vmcs12_layout(), NULL, n, 0, r };
	int rc;

	memset(r, 0, sizeof(*r));
	if (n && !(c.k = calloc(n, sizeof(*c.k))))
		return ns_fail(err, NS_ERR_NOMEM, "out of memory comparing struct vmcs12");
	for (size_t i = 0; i < n; i++) {
		if (!m[i].name || m[i].size < 0 || m[i].offset > MAX_MEMBER_END ||
		    (uint64_t)m[i].size > MAX_MEMBER_END) {
			rc = ns_fail(err, NS_ERR_ARG, "struct vmcs12 member %.48s has %s: the types are incomplete",
				     m[i].name ? m[i].name : "(unnamed)",
				     m[i].size < 0 ? "no known size" : "an absurd offset or size");
			free(c.k);
			return rc;
		}
		base_name(m[i].name, c.k[i].name);
		c.k[i].offset = m[i].offset;
		c.k[i].size = (uint64_t)m[i].size;
	}
	rc = compare(&c, struct_size, err);
	free(c.k);
	return rc;
}

int ns_vmcs12_abi_lookup(const struct ns_target *t, struct ns_abi_report *r, struct ns_error *err)
{
	const struct ns_layout *l = ns_vmcs12_layout();
	struct ns_abi_member *m = calloc(l->nslots, sizeof(*m));
	long size = t->type_size ? t->type_size(t->ctx, "vmcs12") : -1;
	size_t n = 0;
	int rc;

	if (!m)
		return ns_fail(err, NS_ERR_NOMEM, "out of memory comparing struct vmcs12");
	for (size_t i = 0; i < l->nslots; i++) {
		const char *name = l->slots[i].member;
		long off = t->member_offset(t->ctx, "vmcs12", name);
		long sz = off >= 0 ? t->member_size(t->ctx, "vmcs12", name) : -1;

		if (off < 0)
			continue;
		if (sz < 0) {
			free(m);
			return ns_fail(err, NS_ERR_TYPES, "vmcs12.%s is at offset %ld but its size is unknown to this "
				       "debugger", name, off);
		}
		m[n++] = (struct ns_abi_member){ name, (uint64_t)off, sz };
	}
	if (!n) {
		free(m);
		return ns_fail(err, NS_ERR_TYPES, "struct vmcs12 is not known: kvm_intel's debuginfo is not loaded");
	}
	rc = ns_vmcs12_abi_compare(m, n, size > 0 ? (uint64_t)size : 0, r, err);
	free(m);
	if (rc)
		return rc;
	r->lookup_only = true;
	add(r, NS_ABI_UNLISTED, NULL, NULL);
	return NS_OK;
}

static int render_into(struct ns_abi_report *r, const char *release, const char *origin, bool json, unsigned *breaks,
		       struct ns_out *o)
{
	if (json)
		ns_render_abi_json(o, r, release, origin);
	else
		ns_render_abi_text(o, r, release, origin);
	if (breaks)
		*breaks = r->breaks;
	return NS_OK;
}

int ns_cmd_vmcs12_abi(const struct ns_abi_member *m, size_t n, uint64_t struct_size, const char *release,
		      const char *origin, bool json, unsigned *breaks, struct ns_out *o, struct ns_error *err)
{
	struct ns_abi_report *r = malloc(sizeof(*r));
	int rc;

	if (!r)
		return ns_fail(err, NS_ERR_NOMEM, "out of memory comparing struct vmcs12");
	rc = ns_vmcs12_abi_compare(m, n, struct_size, r, err);
	if (!rc)
		rc = render_into(r, release, origin, json, breaks, o);
	free(r);
	return rc;
}

int ns_cmd_vmcs12_abi_lookup(const struct ns_target *t, const char *release, const char *origin, bool json,
			     unsigned *breaks, struct ns_out *o, struct ns_error *err)
{
	struct ns_abi_report *r = malloc(sizeof(*r));
	int rc;

	if (!r)
		return ns_fail(err, NS_ERR_NOMEM, "out of memory comparing struct vmcs12");
	rc = ns_vmcs12_abi_lookup(t, r, err);
	if (!rc)
		rc = render_into(r, release, origin, json, breaks, o);
	free(r);
	return rc;
}
