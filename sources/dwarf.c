/*
 * Struct layouts from DWARF, through libdwarf.  This is the one file that
 * uses libdwarf's API: Debian 12 has the 2021 "classic" API (12-argument
 * dwarf_init_path, dwarf_next_cu_header_d, dwarf_siblingof_b); libdwarf
 * 0.4+ changed those three calls and the header's path, so a port to it
 * changes this file alone.
 *
 * Only the DIEs at the top of each compilation unit are looked at: the
 * kernel defines its structs there, and a module's DWARF repeats every
 * header it includes, so kvm-intel.ko alone has struct kvm, vcpu_vmx,
 * module and task_struct, and the 600 MB of vmlinux DWARF is never read.
 */
#include <stdio.h>
#include <string.h>

#include <dwarf.h>
#include <libdwarf.h>

#include "sources.h"

#define MAX_TYPE_DEPTH 32

struct dw {
	Dwarf_Debug dbg;
	struct ns_types *t;
	const char *path;
	struct ns_error *err;
	bool nomem;
};

/*
 * Most calls here pass no Dwarf_Error: a missing attribute is an answer, not
 * an error.  Without a handler libdwarf would abort() on the first one.
 */
static void ignore_error(Dwarf_Error e, Dwarf_Ptr arg)
{
	(void)e;
	(void)arg;
}

static const char *die_name(Dwarf_Die die)
{
	char *name = NULL;

	/* the string lives in libdwarf's sections: not to be freed */
	return dwarf_diename(die, &name, NULL) == DW_DLV_OK ? name : NULL;
}

static bool die_flag(Dwarf_Die die, Dwarf_Half at)
{
	Dwarf_Bool has = 0;

	return dwarf_hasattr(die, at, &has, NULL) == DW_DLV_OK && has;
}

static bool die_udata(struct dw *w, Dwarf_Die die, Dwarf_Half at, Dwarf_Unsigned *v)
{
	Dwarf_Attribute a;
	Dwarf_Signed s;
	bool ok = false;

	if (dwarf_attr(die, at, &a, NULL) != DW_DLV_OK)
		return false;
	if (dwarf_formudata(a, v, NULL) == DW_DLV_OK) {
		ok = true;
	} else if (dwarf_formsdata(a, &s, NULL) == DW_DLV_OK && s >= 0) {
		*v = (Dwarf_Unsigned)s;
		ok = true;
	} else {
		/* DWARF 2/3 members: DW_AT_data_member_location as DW_OP_plus_uconst N */
		Dwarf_Unsigned len;
		Dwarf_Ptr expr;

		if (dwarf_formexprloc(a, &len, &expr, NULL) == DW_DLV_OK && len >= 2 &&
		    ((unsigned char *)expr)[0] == DW_OP_plus_uconst) {
			const unsigned char *p = (const unsigned char *)expr + 1;
			unsigned shift = 0;

			*v = 0;
			for (Dwarf_Unsigned i = 1; i < len && shift < 64; i++, p++, shift += 7) {
				*v |= (Dwarf_Unsigned)(*p & 0x7f) << shift;
				if (!(*p & 0x80)) {
					ok = true;
					break;
				}
			}
		}
	}
	dwarf_dealloc(w->dbg, a, DW_DLA_ATTR);
	return ok;
}

/* The DIE DW_AT_type names (the caller deallocates it), or NULL: void. */
static Dwarf_Die die_type(struct dw *w, Dwarf_Die die)
{
	Dwarf_Attribute a;
	Dwarf_Off off;
	Dwarf_Die t = NULL;

	if (dwarf_attr(die, DW_AT_type, &a, NULL) != DW_DLV_OK)
		return NULL;
	if (dwarf_global_formref(a, &off, NULL) != DW_DLV_OK || dwarf_offdie_b(w->dbg, off, 1, &t, NULL) != DW_DLV_OK)
		t = NULL;
	dwarf_dealloc(w->dbg, a, DW_DLA_ATTR);
	return t;
}

static Dwarf_Half die_tag(Dwarf_Die die)
{
	Dwarf_Half tag = 0;

	dwarf_tag(die, &tag, NULL);
	return tag;
}

static void die_free(struct dw *w, Dwarf_Die die)
{
	if (die)
		dwarf_dealloc(w->dbg, die, DW_DLA_DIE);
}

/* typedef, const, volatile, restrict, _Atomic: what they qualify (die is consumed). */
static Dwarf_Die strip(struct dw *w, Dwarf_Die die)
{
	for (int i = 0; die && i < MAX_TYPE_DEPTH; i++) {
		Dwarf_Half tag = die_tag(die);
		Dwarf_Die next;

		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
		    tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type)
			return die;
		next = die_type(w, die);
		die_free(w, die);
		die = next;
	}
	return die;
}

static const struct ns_tref *ref(struct dw *w, enum ns_tkind kind, const char *name, const struct ns_tref *sub)
{
	struct ns_tref *r = ns_types_ref(w->t, kind, name, sub);

	if (!r)
		w->nomem = true;
	return r;
}

/* A struct, union or enum type's name; an anonymous one gets one from its DIE offset. */
static const char *aggregate_name(Dwarf_Die die, char *buf, size_t size)
{
	const char *name = die_name(die);
	Dwarf_Off off = 0;

	if (name)
		return name;
	dwarf_dieoffset(die, &off, NULL);
	snprintf(buf, size, "nestscope_anon_%llx", (unsigned long long)off);
	return buf;
}

/* The type descriptor of die (consumed) and its size in bytes (-1 when unknown). */
static const struct ns_tref *type_ref(struct dw *w, Dwarf_Die die, int64_t *size, int depth)
{
	Dwarf_Unsigned u;
	Dwarf_Half tag;
	char buf[64];

	*size = -1;
	die = strip(w, die);
	if (!die)
		return ref(w, NS_TK_VOID, NULL, NULL);
	if (depth > MAX_TYPE_DEPTH) {
		die_free(w, die);
		return ref(w, NS_TK_VOID, NULL, NULL);
	}
	tag = die_tag(die);
	if (tag == DW_TAG_base_type) {
		const char *name = die_name(die);
		Dwarf_Unsigned enc = 0;
		const char *kind = "int";
		const struct ns_tref *r;

		die_udata(w, die, DW_AT_encoding, &enc);
		if (!die_udata(w, die, DW_AT_byte_size, &u))
			u = 0;
		if (enc == DW_ATE_boolean)
			kind = "bool";
		else if (enc == DW_ATE_float)
			kind = "float";
		else if (enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char)
			kind = "char";
		*size = (int64_t)u;
		if (!name || !ns_types_base_add(w->t, name, (uint32_t)u,
						enc == DW_ATE_signed || enc == DW_ATE_signed_char, kind))
			w->nomem = w->nomem || name;
		r = ref(w, NS_TK_BASE, name ? name : "void", NULL);
		die_free(w, die);
		return r;
	}
	if (tag == DW_TAG_pointer_type || tag == DW_TAG_reference_type) {
		int64_t ignored;
		const struct ns_tref *sub = type_ref(w, die_type(w, die), &ignored, depth + 1);

		die_free(w, die);
		*size = 8;
		return ref(w, NS_TK_POINTER, NULL, sub);
	}
	if (tag == DW_TAG_array_type) {
		Dwarf_Unsigned dims[8];
		int ndims = 0;
		int64_t elem;
		const struct ns_tref *r = type_ref(w, die_type(w, die), &elem, depth + 1);
		Dwarf_Die c = NULL;

		if (dwarf_child(die, &c, NULL) == DW_DLV_OK) {
			while (c) {
				Dwarf_Die next = NULL;

				if (die_tag(c) == DW_TAG_subrange_type && ndims < 8) {
					Dwarf_Unsigned n = 0;

					if (die_udata(w, c, DW_AT_count, &n))
						dims[ndims++] = n;
					else if (die_udata(w, c, DW_AT_upper_bound, &n))
						dims[ndims++] = n + 1;
					else
						dims[ndims++] = 0; /* a flexible array member */
				}
				if (dwarf_siblingof_b(w->dbg, c, 1, &next, NULL) != DW_DLV_OK)
					next = NULL;
				die_free(w, c);
				c = next;
			}
		}
		die_free(w, die);
		*size = elem;
		for (int i = ndims - 1; i >= 0; i--) {
			struct ns_tref *a = (struct ns_tref *)ref(w, NS_TK_ARRAY, NULL, r);

			if (!a)
				return NULL;
			a->count = dims[i];
			if (*size >= 0)
				*size = dims[i] && (uint64_t)*size > (1ull << 40) / dims[i] ? -1 : *size * (int64_t)dims[i];
			r = a;
		}
		return r;
	}
	if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type || tag == DW_TAG_enumeration_type) {
		enum ns_tkind kind = tag == DW_TAG_structure_type ? NS_TK_STRUCT
				     : tag == DW_TAG_union_type   ? NS_TK_UNION
								  : NS_TK_ENUM;
		const char *name = aggregate_name(die, buf, sizeof(buf));
		struct ns_tstruct *s = ns_types_struct_get(w->t, name, kind);

		if (!s) {
			w->nomem = true;
		} else if (!die_flag(die, DW_AT_declaration) && die_udata(w, die, DW_AT_byte_size, &u)) {
			s->size = u;
			s->complete = true;
		}
		if (s && s->complete)
			*size = (int64_t)s->size;
		die_free(w, die);
		return ref(w, kind, name, NULL);
	}
	die_free(w, die);
	return ref(w, tag == DW_TAG_subroutine_type ? NS_TK_FUNCTION : NS_TK_VOID, NULL, NULL);
}

/*
 * The members of struct/union die into the struct at index si, at base (for
 * anonymous members brought up).  By index: naming a member's type may add
 * structs to the set and move the array.
 */
static void members(struct dw *w, Dwarf_Die die, size_t si, uint64_t base, int depth)
{
	Dwarf_Die c = NULL;

	if (depth > 8 || dwarf_child(die, &c, NULL) != DW_DLV_OK)
		return;
	while (c && !w->nomem) {
		Dwarf_Die next = NULL;

		if (die_tag(c) == DW_TAG_member) {
			const char *name = die_name(c);
			Dwarf_Unsigned loc = 0, bits = 0, bitoff = 0;
			bool is_bitfield = die_udata(w, c, DW_AT_bit_size, &bits);
			int64_t size;
			const struct ns_tref *type;

			Dwarf_Unsigned bitpos = 0, unit = 0, oldoff = 0;
			bool have_loc = die_udata(w, c, DW_AT_data_member_location, &loc);

			if (is_bitfield && die_udata(w, c, DW_AT_data_bit_offset, &bitoff)) {
				/* DWARF 4+: the bit offset from the start of the struct */
				if (!have_loc)
					loc = bitoff / 8;
				bitpos = bitoff - loc * 8;
			} else if (is_bitfield && die_udata(w, c, DW_AT_bit_offset, &oldoff) &&
				   die_udata(w, c, DW_AT_byte_size, &unit) && unit * 8 >= oldoff + bits) {
				/* DWARF 2/3: counted from the storage unit's most significant bit */
				bitpos = unit * 8 - oldoff - bits;
			}
			if (!name) {
				Dwarf_Die t = strip(w, die_type(w, c));
				Dwarf_Half tag = t ? die_tag(t) : 0;

				if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type)
					members(w, t, si, base + loc, depth + 1);
				die_free(w, t);
			} else {
				type = type_ref(w, die_type(w, c), &size, 0);
				if (is_bitfield && type) {
					struct ns_tref *bf = (struct ns_tref *)ref(w, NS_TK_BITFIELD, NULL, type);

					if (bf) {
						bf->bit_pos = (uint32_t)bitpos;
						bf->bit_len = (uint32_t)bits;
					}
					type = bf;
				}
				if (type && !ns_types_member_add(w->t, &w->t->st[si], name, base + loc, size, type))
					w->nomem = true;
			}
		}
		if (dwarf_siblingof_b(w->dbg, c, 1, &next, NULL) != DW_DLV_OK)
			next = NULL;
		die_free(w, c);
		c = next;
	}
	die_free(w, c);
}

static bool is_wanted(const char *name, const char *const *wanted)
{
	for (; name && *wanted; wanted++)
		if (!strcmp(name, *wanted))
			return true;
	return false;
}

/* A wanted struct defined at the top of a compilation unit, not yet extracted. */
static void top_level(struct dw *w, Dwarf_Die die, const char *const *wanted)
{
	Dwarf_Half tag = die_tag(die);
	const char *name;
	const struct ns_tstruct *have;
	struct ns_tstruct *s;
	Dwarf_Unsigned size;

	if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type)
		return;
	name = die_name(die);
	if (!is_wanted(name, wanted) || die_flag(die, DW_AT_declaration) || !die_udata(w, die, DW_AT_byte_size, &size))
		return;
	have = ns_types_find(w->t, name);
	if (have && have->have_fields)
		return;
	if (!(s = ns_types_struct_get(w->t, name, tag == DW_TAG_union_type ? NS_TK_UNION : NS_TK_STRUCT))) {
		w->nomem = true;
		return;
	}
	s->size = size;
	s->complete = true;
	members(w, die, (size_t)(s - w->t->st), 0, 0);
	s = (struct ns_tstruct *)ns_types_find(w->t, name);
	if (s)
		s->have_fields = true; /* an empty struct is extracted too */
}

int ns_dwarf_load(struct ns_types *t, const char *path, const char *const *wanted, const char *const *cus,
		  struct ns_error *err)
{
	struct dw w = { NULL, t, path, err, false };
	Dwarf_Error de = NULL;
	int rc;

	rc = dwarf_init_path(path, NULL, 0, DW_DLC_READ, DW_GROUPNUMBER_ANY, ignore_error, NULL, &w.dbg, NULL, 0, NULL,
			     &de);
	if (rc == DW_DLV_NO_ENTRY)
		return ns_fail(err, NS_ERR_FORMAT, "%s has no DWARF debug information (a stripped file?)", path);
	if (rc != DW_DLV_OK)
		return ns_fail(err, NS_ERR_FORMAT, "%s: libdwarf cannot read it: %s", path,
			       de ? dwarf_errmsg(de) : "not an ELF file");
	for (;;) {
		Dwarf_Unsigned hlen, abbrev, next, typeoff;
		Dwarf_Half version, asize, lsize, esize, cutype;
		Dwarf_Sig8 sig;
		Dwarf_Die cu = NULL, c = NULL;

		rc = dwarf_next_cu_header_d(w.dbg, 1, &hlen, &version, &abbrev, &asize, &lsize, &esize, &sig, &typeoff,
					    &next, &cutype, &de);
		if (rc == DW_DLV_NO_ENTRY)
			break;
		if (rc != DW_DLV_OK) {
			dwarf_finish(w.dbg, NULL);
			return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt DWARF (%s)", path, dwarf_errmsg(de));
		}
		if (dwarf_siblingof_b(w.dbg, NULL, 1, &cu, NULL) != DW_DLV_OK)
			continue;
		if (cus && !is_wanted(die_name(cu), cus)) {
			die_free(&w, cu);
			continue;
		}
		if (dwarf_child(cu, &c, NULL) == DW_DLV_OK) {
			while (c && !w.nomem) {
				Dwarf_Die sib = NULL;

				top_level(&w, c, wanted);
				if (dwarf_siblingof_b(w.dbg, c, 1, &sib, NULL) != DW_DLV_OK)
					sib = NULL;
				die_free(&w, c);
				c = sib;
			}
			die_free(&w, c);
		}
		die_free(&w, cu);
	}
	dwarf_finish(w.dbg, NULL);
	if (w.nomem)
		return ns_fail(err, NS_ERR_NOMEM, "out of memory reading the DWARF of %s", path);
	return NS_OK;
}
