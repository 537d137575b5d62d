/*
 * QEMU migration streams (migstream.h).  The format, as QEMU writes it
 * (migration/savevm.c, migration/ram.c, scripts/analyze-migration.py):
 *
 *   "QEVM" u32, version 3 u32, then sections, all integers big-endian:
 *   0x07 configuration; 0x01 START / 0x04 FULL: id u32, name (u8 length +
 *   bytes), instance u32, version u32, body; 0x02 PART / 0x03 END: id u32,
 *   body; 0x08 command: type u16, length u16, data; 0x7e footer: id u32;
 *   0x00 EOF.  Then 0x06, a u32 length, and the JSON vmstate description
 *   of every device section (fields with type and size, array_len, nested
 *   "struct"s, the subsections the stream holds).
 *
 *   RAM ("ram", version 4): u64 address|flags records: MEM_SIZE 0x04 (the
 *   blocks: name, u64 length), ZERO 0x02 (a fill byte), PAGE 0x08 (a page),
 *   CONTINUE 0x20 (same block as before, else its name first), EOS 0x10.
 *
 * A libvirt save image is a 92-byte header ("LibvirtQemudSave", version,
 * data_len, was_running, compressed, ...), data_len bytes of domain XML,
 * then the stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/json_in.h"
#include "nestscope/migstream.h"
#include "nestscope/vmcs12.h"

#define MAGIC 0x5145564du /* "QEVM" */
#define VERSION 3u
#define DESC_WINDOW (10u << 20)
#define MAX_DEPTH 16
#define MAX_BLOCK (1ull << 40)
#define LIBVIRT_HDR 92
/* fields walked per stream: a description may nest arrays of empty structs to no end */
#define MAX_FIELD_VISITS (1u << 22)

enum { EOF_ = 0x00, START = 0x01, PART = 0x02, END = 0x03, FULL = 0x04, SUBSECTION = 0x05, VMDESC = 0x06,
       CONFIG = 0x07, COMMAND = 0x08, FOOTER = 0x7e };
enum { R_ZERO = 0x02, R_MEM_SIZE = 0x04, R_PAGE = 0x08, R_EOS = 0x10, R_CONTINUE = 0x20, R_XBZRLE = 0x40,
       R_HOOK = 0x80, R_COMPRESS = 0x100, R_MULTIFD_FLUSH = 0x200 };

struct rd {
	const uint8_t *b;
	size_t len, pos;
	struct ns_error *err;
	bool bad;
};

struct parse {
	struct rd r;
	struct json_object *d;           /* the vmstate description */
	struct ns_migstream *m;
	bool want_ram;
	uint32_t visits;
	struct ns_mig_block *cur;        /* RAM: the block of the last page */
	uint32_t ram_section;            /* the section id of "ram" */
	bool have_ram_section;
	/* the cpu section being read, and the nested state it is building */
	bool in_cpu;
	uint32_t cpu;
	struct ns_mig_nested *nested;
	struct nested_build {
		bool have_format, have_size;
		uint64_t format, size;  /* the format and size fields */
		size_t carried;      /* the end of the furthest part the stream gave */
	} nb;
};

static int fail(struct rd *r, const char *what)
{
	r->bad = true;
	return ns_fail(r->err, NS_ERR_FORMAT, "migration stream: %s at offset 0x%zx", what, r->pos);
}

static bool need(struct rd *r, size_t n)
{
	if (r->bad || n > r->len - r->pos) {
		if (!r->bad)
			fail(r, "cut short");
		return false;
	}
	return true;
}

static uint64_t be(struct rd *r, size_t n)
{
	uint64_t v = 0;

	if (!need(r, n))
		return 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | r->b[r->pos + i];
	r->pos += n;
	return v;
}

/* A u8-length string into buf (NUL-terminated). */
static bool str8(struct rd *r, char *buf, size_t size)
{
	size_t n = (size_t)be(r, 1);

	if (!need(r, n) || n >= size)
		return r->bad ? false : (fail(r, "a name too long"), false);
	memcpy(buf, r->b + r->pos, n);
	buf[n] = '\0';
	r->pos += n;
	return true;
}

bool ns_migstream_detect(const uint8_t *buf, size_t len)
{
	return (len >= 8 && !memcmp(buf, "QEVM", 4)) || (len >= 16 && !memcmp(buf, "LibvirtQemudSave", 16));
}

/* ---- RAM ---- */

static struct ns_mig_block *block_named(struct ns_migstream *m, const char *name)
{
	for (size_t i = 0; i < m->nblocks; i++)
		if (!strcmp(m->block[i].name, name))
			return &m->block[i];
	return NULL;
}

static int ram(struct parse *p)
{
	struct rd *r = &p->r;
	uint64_t psize = p->m->page_size;

	for (;;) {
		uint64_t v = be(r, 8), flags = v & (psize - 1), addr = v & ~(psize - 1);
		char name[257];

		if (r->bad)
			return NS_ERR_FORMAT;
		if (flags & (R_XBZRLE | R_COMPRESS | R_HOOK))
			return fail(r, "compressed (XBZRLE, compress) or hooked RAM pages: not supported");
		if (flags & R_MEM_SIZE) {
			uint64_t total = addr;

			while (total) {
				struct ns_mig_block *b;
				uint64_t blen;

				if (!str8(r, name, sizeof(name)))
					return NS_ERR_FORMAT;
				blen = be(r, 8);
				if (r->bad || !blen || blen > total || blen > MAX_BLOCK || blen % psize)
					return r->bad ? NS_ERR_FORMAT : fail(r, "a RAM block of impossible length");
				total -= blen;
				if (block_named(p->m, name))
					continue;
				if (p->m->nblocks >= NS_MIG_MAX_BLOCKS)
					return fail(r, "too many RAM blocks");
				b = &p->m->block[p->m->nblocks++];
				memset(b, 0, sizeof(*b));
				strcpy(b->name, name);
				b->length = blen;
				if (p->want_ram && !(b->data = calloc(1, (size_t)blen)))
					return ns_fail(r->err, NS_ERR_NOMEM, "no memory for RAM block %s (%llu bytes)", name,
						       (unsigned long long)blen);
			}
			flags &= ~(uint64_t)R_MEM_SIZE;
		}
		if (flags & (R_ZERO | R_PAGE)) {
			if (!(flags & R_CONTINUE)) {
				if (!str8(r, name, sizeof(name)))
					return NS_ERR_FORMAT;
				if (!(p->cur = block_named(p->m, name)))
					return fail(r, "a page of a RAM block the stream never announced");
			}
			if (!p->cur)
				return fail(r, "a page continuing no RAM block");
			if (addr > p->cur->length - psize)
				return fail(r, "a page past the end of its RAM block");
			if (flags & R_ZERO) {
				uint8_t fill = (uint8_t)be(r, 1);

				if (p->cur->data)
					memset(p->cur->data + addr, fill, psize);
			} else {
				if (!need(r, psize))
					return NS_ERR_FORMAT;
				if (p->cur->data)
					memcpy(p->cur->data + addr, r->b + r->pos, psize);
				r->pos += psize;
			}
			p->cur->pages++;
			flags &= ~(uint64_t)(R_ZERO | R_PAGE | R_CONTINUE);
		}
		if (flags & R_MULTIFD_FLUSH)
			continue;
		if (flags & R_EOS)
			return NS_OK;
		if (flags)
			return fail(r, "unknown RAM page flags");
	}
}

/* ---- device sections, walked with the vmstate description ---- */

static const char *key(struct json_object *n, const char *k)
{
	return json_in_str(json_in_get(n, k));
}

static uint64_t num(struct json_object *n, const char *k, uint64_t dflt)
{
	uint64_t v;

	return json_in_uint(json_in_get(n, k), &v) ? v : dflt;
}

/* an array member (NULL when missing), or false when the member is there and not an array */
static bool array_member(struct json_object *o, const char *k, struct json_object **a)
{
	*a = json_in_get(o, k);
	return !*a || json_object_is_type(*a, json_type_array);
}

/*
 * QEMU's cpu/nested_state subsection (target/i386/machine.c, the same from
 * QEMU 5.1, where "KVM: add support for AMD nested live migration" added
 * the SVM part, to QEMU 7.2 and 10.x): a VMSTATE_STRUCT_POINTER to struct
 * kvm_nested_state whose vmstate "cpu/kvm_nested_state" has the fields
 * flags, format and size and two subsections:
 *
 *   "cpu/kvm_nested_state/vmx"  hdr.vmx.vmxon_pa, hdr.vmx.vmcs12_pa,
 *       hdr.vmx.smm.flags; needed when format is VMX and vmxon_pa is not -1;
 *       its subsections ".../vmx/vmcs12" and ".../vmx/shadow_vmcs12" (4 KiB
 *       each) are needed when size reaches them.
 *   "cpu/kvm_nested_state/svm"  hdr.svm.vmcb_pa, then data.svm[0].vmcb12 as
 *       a field (VMSTATE_UINT8_ARRAY of KVM_STATE_NESTED_SVM_VMCB_SIZE), not
 *       a subsection; needed when format is SVM and size is more than the
 *       header (KVM saves a vmcb12 only in guest mode).  cpu/nested_state is
 *       needed only when one of the two is, so QEMU leaves out an SVM state
 *       without vmcb12 altogether (its GUEST_MODE and GIF_SET flags travel in
 *       the cpu section's hflags and hflags2).
 *
 * Each field is put back at its place in struct kvm_nested_state
 * (arch/x86/include/uapi/asm/kvm.h, 5.8 to 7.x: flags u16, format u16, size
 * u32, then the 120-byte hdr union: kvm_vmx_nested_state_hdr {vmxon_pa,
 * vmcs12_pa, smm.flags, pad, flags, preemption_timer_deadline} or
 * kvm_svm_nested_state_hdr {vmcb_pa}, then data at 128).  What QEMU does
 * not send (hdr.vmx.flags, preemption_timer_deadline, the header's padding)
 * stays 0.
 */
enum vendor { ANY_FORMAT = -1, VMX = NS_NESTED_FORMAT_VMX, SVM = NS_NESTED_FORMAT_SVM };

static const struct nested_row {
	const char *vmsd, *name;
	enum vendor vendor;   /* the format the subsection belongs to */
	size_t off, size;     /* where in struct kvm_nested_state, and the field's bytes in the stream */
	bool bytes;           /* a byte array, copied as is (else a big-endian integer, stored little-endian) */
	const char *what;     /* what the size is, for a message */
} nested_rows[] = {
	{ "cpu/kvm_nested_state", "flags", ANY_FORMAT, 0, 2, false, "a u16" },
	{ "cpu/kvm_nested_state", "format", ANY_FORMAT, 2, 2, false, "a u16" },
	{ "cpu/kvm_nested_state", "size", ANY_FORMAT, 4, 4, false, "a u32" },
	{ "cpu/kvm_nested_state/vmx", "hdr.vmx.vmxon_pa", VMX, 8, 8, false, "a u64" },
	{ "cpu/kvm_nested_state/vmx", "hdr.vmx.vmcs12_pa", VMX, 16, 8, false, "a u64" },
	{ "cpu/kvm_nested_state/vmx", "hdr.vmx.smm.flags", VMX, 24, 2, false, "a u16" },
	{ "cpu/kvm_nested_state/vmx/vmcs12", "data.vmx[0].vmcs12", VMX, NS_NESTED_HDR_SIZE, NS_VMCS12_REGION_SIZE, true,
	  "KVM_STATE_NESTED_VMX_VMCS_SIZE" },
	{ "cpu/kvm_nested_state/vmx/shadow_vmcs12", "data.vmx[0].shadow_vmcs12", VMX,
	  NS_NESTED_HDR_SIZE + NS_VMCS12_REGION_SIZE, NS_VMCS12_REGION_SIZE, true, "KVM_STATE_NESTED_VMX_VMCS_SIZE" },
	{ "cpu/kvm_nested_state/svm", "hdr.svm.vmcb_pa", SVM, 8, 8, false, "a u64" },
	{ "cpu/kvm_nested_state/svm", "data.svm[0].vmcb12", SVM, NS_NESTED_HDR_SIZE, NS_NESTED_SVM_VMCB_SIZE, true,
	  "KVM_STATE_NESTED_SVM_VMCB_SIZE" },
};

#define NESTED_VMSD "cpu/kvm_nested_state"

static const char *vendor_name(unsigned format)
{
	return format == VMX ? "VMX" : format == SVM ? "SVM" : "neither VMX nor SVM";
}

/* A field of the nested state: put back into the blob being built, or one error when it cannot be. */
static int nested_field(struct parse *p, const char *vmsd, const char *name, const uint8_t *data, size_t len)
{
	const struct nested_row *row = NULL;
	struct nested_build *nb = &p->nb;
	uint64_t v = 0;

	if (!p->in_cpu || !vmsd || strncmp(vmsd, NESTED_VMSD, strlen(NESTED_VMSD)))
		return NS_OK;
	if (!p->nested) {
		struct ns_mig_nested *n;

		if (p->m->nnested >= NS_MIG_MAX_CPUS)
			return fail(&p->r, "nested state for more vCPUs than a machine has");
		if (!(n = realloc(p->m->nested, (p->m->nnested + 1) * sizeof(*n))))
			return ns_fail(p->r.err, NS_ERR_NOMEM, "no memory for the nested state of vCPU %u", p->cpu);
		p->m->nested = n;
		p->nested = &n[p->m->nnested++];
		memset(p->nested, 0, sizeof(*p->nested));
		p->nested->cpu = p->cpu;
		memset(nb, 0, sizeof(*nb));
	}
	for (size_t i = 0; i < sizeof(nested_rows) / sizeof(nested_rows[0]) && !row; i++)
		if (!strcmp(vmsd, nested_rows[i].vmsd) && !strcmp(name, nested_rows[i].name))
			row = &nested_rows[i];
	if (!row)
		return NS_OK; /* a field a later QEMU may add: not part of the blob we know */
	if (len != row->size) {
		char what[160];

		snprintf(what, sizeof(what), "%s %s is %zu bytes where it is %s (%zu)", row->vmsd, row->name, len, row->what,
			 row->size);
		return fail(&p->r, what);
	}
	if (row->vendor != ANY_FORMAT) {
		/* the format field comes before the subsections: a vendor's subsection must match it */
		unsigned format = (unsigned)nb->format;

		if (!nb->have_format || format != (unsigned)row->vendor) {
			char what[200];

			snprintf(what, sizeof(what), "vCPU %u: the %s subsection (%s) where the nested state's format is %u (%s)",
				 p->cpu, vendor_name((unsigned)row->vendor), row->vmsd, format,
				 nb->have_format ? vendor_name(format) : "never given");
			return fail(&p->r, what);
		}
	}
	if (row->bytes) {
		memcpy(p->nested->blob + row->off, data, len);
	} else {
		/* the stream is big-endian; struct kvm_nested_state is little-endian */
		for (size_t k = 0; k < len; k++)
			v = v << 8 | data[k];
		for (size_t k = 0; k < len; k++)
			p->nested->blob[row->off + k] = (uint8_t)(v >> (8 * k));
	}
	if (row->off + len > nb->carried)
		nb->carried = row->off + len;
	if (!strcmp(name, "format")) {
		nb->have_format = true;
		nb->format = v;
	}
	if (!strcmp(name, "size")) {
		nb->have_size = true;
		nb->size = v;
	}
	return NS_OK;
}

/* After a cpu section: the size field against what the stream carried, into the blob's length. */
static int nested_done(struct parse *p)
{
	struct nested_build *nb = &p->nb;
	size_t carried = nb->carried > NS_NESTED_HDR_SIZE ? nb->carried : NS_NESTED_HDR_SIZE;
	char what[200];

	if (!p->nested)
		return NS_OK;
	if (!nb->have_size || nb->size < NS_NESTED_HDR_SIZE) {
		snprintf(what, sizeof(what), "vCPU %u: %s without a size of at least its %u-byte header (%s %llu)", p->cpu,
			 NESTED_VMSD, NS_NESTED_HDR_SIZE, nb->have_size ? "size" : "no size field",
			 (unsigned long long)nb->size);
		return fail(&p->r, what);
	}
	/* QEMU sends every part of the blob its size reaches (the `needed` conditions above) */
	if (nb->size > carried) {
		snprintf(what, sizeof(what), "vCPU %u: nested state of size %llu, but its subsections carry %zu bytes",
			 p->cpu, (unsigned long long)nb->size, carried);
		return fail(&p->r, what);
	}
	p->nested->len = (size_t)nb->size;
	return NS_OK;
}

static int vmsd(struct parse *p, struct json_object *desc, const char *name, int depth);

static int field(struct parse *p, struct json_object *f, const char *vmsd_name, int depth)
{
	struct rd *r = &p->r;
	const char *type = key(f, "type"), *fname = key(f, "name");
	uint64_t count = num(f, "array_len", 1), size = num(f, "size", 0);
	int rc;

	if (!type || !fname)
		return fail(r, "a vmstate field without a name or type in the description");
	if (++p->visits > MAX_FIELD_VISITS)
		return fail(r, "a vmstate description with more fields than any device has");
	if (count > (1u << 24))
		return fail(r, "a vmstate array too long");
	if (!strcmp(type, "struct")) {
		struct json_object *s = json_in_get(f, "struct");

		for (uint64_t i = 0; i < count; i++) {
			if ((rc = vmsd(p, s, key(s, "vmsd_name"), depth + 1)))
				return rc;
			if (++p->visits > MAX_FIELD_VISITS)
				return fail(r, "a vmstate description with more fields than any device has");
		}
		return NS_OK;
	}
	if (!strcmp(type, "capability")) {
		char cap[257];

		for (uint64_t i = 0; i < count; i++)
			if (!str8(r, cap, sizeof(cap)))
				return NS_ERR_FORMAT;
		return NS_OK;
	}
	/* every other type is `size` bytes an element ("nullptr": the byte '0') */
	if (size > (1u << 24) || (size && count > (UINT64_MAX / size)) || !need(r, (size_t)(size * count)))
		return r->bad ? NS_ERR_FORMAT : fail(r, "a vmstate field larger than the stream");
	if ((rc = nested_field(p, vmsd_name, fname, r->b + r->pos, (size_t)(size * count))))
		return rc;
	r->pos += (size_t)(size * count);
	return NS_OK;
}

/* A vmstate description: its fields, then the subsections the stream holds. */
static int vmsd(struct parse *p, struct json_object *desc, const char *name, int depth)
{
	struct rd *r = &p->r;
	struct json_object *fields, *subs;
	int rc;

	if (depth > MAX_DEPTH)
		return fail(r, "vmstate description nested too deeply");
	if (!json_object_is_type(desc, json_type_object) || !array_member(desc, "fields", &fields) ||
	    !array_member(desc, "subsections", &subs))
		return fail(r, "a section the vmstate description does not describe");
	for (size_t i = 0; fields && i < json_object_array_length(fields); i++)
		if ((rc = field(p, json_object_array_get_idx(fields, i), name, depth)))
			return rc;
	for (size_t i = 0; subs && i < json_object_array_length(subs); i++) {
		struct json_object *s = json_object_array_get_idx(subs, i);
		char sname[257];
		const char *want = key(s, "vmsd_name");

		if (be(r, 1) != SUBSECTION || !str8(r, sname, sizeof(sname)))
			return r->bad ? NS_ERR_FORMAT : fail(r, "a subsection the description announces is missing");
		be(r, 4); /* version */
		if (want && strcmp(want, sname))
			return fail(r, "a subsection other than the description says");
		if ((rc = vmsd(p, s, sname, depth + 1)))
			return rc;
	}
	return r->bad ? NS_ERR_FORMAT : NS_OK;
}

static struct json_object *device_desc(const struct parse *p, const char *name, uint32_t instance)
{
	struct json_object *devs = json_in_get(p->d, "devices");

	if (!json_object_is_type(devs, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		struct json_object *d = json_object_array_get_idx(devs, i);
		const char *n = key(d, "name");

		if (n && !strcmp(n, name) && num(d, "instance_id", 0) == instance)
			return d;
	}
	return NULL;
}

/* The description: the JSON after the last NUL in the last 10 MiB, preceded by 0x06 and its length. */
static int description(struct parse *p)
{
	const uint8_t *b = p->r.b;
	size_t len = p->r.len, from = len > DESC_WINDOW ? len - DESC_WINDOW : 0, nul = from, json;
	uint64_t jlen;
	bool found = false;
	char what[96];

	for (size_t i = len; i > from; i--)
		if (!b[i - 1]) {
			nul = i - 1;
			found = true;
			break;
		}
	for (json = found ? nul : from; json < len && b[json] != '{'; json++)
		;
	if (json >= len || json < 5 || b[json - 5] != VMDESC)
		return ns_fail(p->r.err, NS_ERR_FORMAT,
			       "migration stream: no vmstate description after its end (a stream QEMU cut short?)");
	jlen = (uint64_t)b[json - 4] << 24 | (uint64_t)b[json - 3] << 16 | (uint64_t)b[json - 2] << 8 | b[json - 1];
	if (jlen > len - json)
		return ns_fail(p->r.err, NS_ERR_FORMAT, "migration stream: the vmstate description is cut short");
	snprintf(what, sizeof(what), "migration stream: the vmstate description at offset 0x%zx", json);
	if (json_in_parse((const char *)b + json, (size_t)jlen, what, &p->d, p->r.err))
		return NS_ERR_FORMAT;
	p->m->page_size = (uint32_t)num(p->d, "page_size", 4096);
	if (p->m->page_size < 4096 || p->m->page_size > (1u << 21) || (p->m->page_size & (p->m->page_size - 1)))
		return ns_fail(p->r.err, NS_ERR_FORMAT, "migration stream: page size %u", p->m->page_size);
	return NS_OK;
}

static int sections(struct parse *p)
{
	struct rd *r = &p->r;
	int rc;

	for (;;) {
		uint8_t type = (uint8_t)be(r, 1);
		char name[257];
		uint32_t id, instance;
		struct json_object *d;

		if (r->bad)
			return NS_ERR_FORMAT;
		switch (type) {
		case EOF_:
			return NS_OK;
		case CONFIG:
			d = json_in_get(p->d, "configuration");
			if (d) {
				if ((rc = vmsd(p, d, "configuration", 0)))
					return rc;
			} else {
				uint64_t n = be(r, 4);

				if (!need(r, (size_t)n))
					return NS_ERR_FORMAT;
				memcpy(p->m->machine, r->b + r->pos, n < sizeof(p->m->machine) ? n : sizeof(p->m->machine) - 1);
				r->pos += (size_t)n;
			}
			break;
		case START:
		case FULL:
			id = (uint32_t)be(r, 4);
			if (!str8(r, name, sizeof(name)))
				return NS_ERR_FORMAT;
			instance = (uint32_t)be(r, 4);
			be(r, 4); /* version */
			if (!strcmp(name, "ram") && instance == 0) {
				p->ram_section = id;
				p->have_ram_section = true;
				if ((rc = ram(p)))
					return rc;
				break;
			}
			if (!(d = device_desc(p, name, instance)))
				return fail(r, "a section the vmstate description does not list");
			p->in_cpu = !strcmp(name, "cpu");
			p->cpu = instance;
			p->nested = NULL;
			p->m->ncpus += p->in_cpu;
			rc = vmsd(p, d, name, 0);
			if (!rc)
				rc = nested_done(p);
			p->in_cpu = false;
			if (rc)
				return rc;
			break;
		case PART:
		case END:
			id = (uint32_t)be(r, 4);
			if (!p->have_ram_section || id != p->ram_section)
				return fail(r, "a PART/END section of something other than RAM");
			if ((rc = ram(p)))
				return rc;
			break;
		case COMMAND:
			be(r, 2);
			id = (uint32_t)be(r, 2);
			if (!need(r, id))
				return NS_ERR_FORMAT;
			r->pos += id;
			break;
		case FOOTER:
			be(r, 4);
			break;
		default:
			return fail(r, "an unknown section type");
		}
	}
}

int ns_migstream_parse(const uint8_t *buf, size_t len, bool want_ram, struct ns_migstream *m, struct ns_error *err)
{
	struct parse p;
	int rc;

	memset(m, 0, sizeof(*m));
	memset(&p, 0, sizeof(p));
	if (len >= LIBVIRT_HDR && !memcmp(buf, "LibvirtQemudSave", 16)) {
		/* host-endian header fields; a version above 2 means swapped */
		uint32_t data_len, compressed;

		memcpy(&data_len, buf + 20, 4);
		memcpy(&compressed, buf + 28, 4);
		if (compressed)
			return ns_fail(err, NS_ERR_FORMAT,
				       "libvirt save image compressed (format %u): decompress the stream after its header first",
				       compressed);
		if (data_len > len - LIBVIRT_HDR)
			return ns_fail(err, NS_ERR_TRUNCATED, "libvirt save image cut short in its domain XML");
		m->offset = LIBVIRT_HDR + (uint64_t)data_len;
	}
	p.r = (struct rd){ buf + m->offset, len - (size_t)m->offset, 0, err, false };
	p.m = m;
	p.want_ram = want_ram;
	if (p.r.len < 8 || be(&p.r, 4) != MAGIC)
		return ns_fail(err, NS_ERR_FORMAT, "not a QEMU migration stream (no QEVM magic)");
	if (be(&p.r, 4) != VERSION)
		return ns_fail(err, NS_ERR_FORMAT, "QEMU migration stream of an unknown version");
	if ((rc = description(&p)) == NS_OK)
		rc = sections(&p);
	json_object_put(p.d);
	return rc;
}

void ns_migstream_free(struct ns_migstream *m)
{
	for (size_t i = 0; i < m->nblocks; i++)
		free(m->block[i].data);
	free(m->nested);
	memset(m, 0, sizeof(*m));
}

const struct ns_mig_block *ns_migstream_ram(const struct ns_migstream *m)
{
	const struct ns_mig_block *best = NULL;

	for (size_t i = 0; i < m->nblocks; i++) {
		if (!strcmp(m->block[i].name, "pc.ram"))
			return &m->block[i];
		if (!best || m->block[i].length > best->length)
			best = &m->block[i];
	}
	return best;
}
