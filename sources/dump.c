/*
 * Dumps through libkdumpfile: kdump-compressed, ELF (QEMU's, makedumpfile's,
 * /proc/kcore), with libkdumpfile's kernel address translation from the
 * dump's VMCOREINFO.  And raw memory images (physical address 0 at byte 0),
 * which carry no VMCOREINFO: their kernel release is read from the banner
 * in memory, and their address translation found from the types' own
 * linux_banner and init_top_pgt (ns_dump_use_types), and walked by
 * libaddrxlat (decoders/pagewalk.h).  Opened read-only;
 * nothing is ever written.
 *
 * Every file is read with pread(2), never mapped: a file cut short, or one
 * shrinking under us, gives a short read, not SIGBUS.  A raw image goes
 * through a cache of a few MiB and its holes are skipped (SEEK_DATA), so a
 * sparse image of any size costs what its data costs.  libkdumpfile is told
 * never to mmap (file.mmap_policy), and sees only files whose headers
 * dumpcheck.c found whole and x86-64.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libkdumpfile/kdumpfile.h>

#include "nestscope/scan.h"
#include "pagewalk.h"
#include "sources.h"

#define SYMBOL_CACHE 8
#define START_KERNEL_MAP 0xffffffff80000000ull /* __START_KERNEL_map */
#define TWO_MIB (2ull << 20)
#define KASLR_MAX (1ull << 30)                  /* the kernel image moves within 1 GiB */
#define PAGE 4096ull
#define RAW_BLOCK (64u << 10)                   /* a raw image is cached in blocks of 64 KiB, */
#define RAW_SLOTS 64                            /* 4 MiB in all */
#define SEARCH_WINDOW (1u << 20)                /* text is searched for a MiB at a time, */
#define SEARCH_OVERLAP 512u                     /* overlapping by more than a banner */

struct ns_dump {
	kdump_ctx_t *k;
	struct ns_input in;
	char release[65];
	const char *format;
	uint64_t kaslr;
	kdump_bmp_t *pages;    /* the pages the file holds (a filtered dump omits some) */
	/* a raw image: read through a direct-mapped cache, translated through init_top_pgt */
	bool raw;
	uint64_t data_start, data_end; /* the data extent found last (SEEK_DATA, SEEK_HOLE), page-aligned */
	struct raw_slot {
		uint64_t tag;  /* block number + 1; 0: empty */
		uint8_t *buf;
	} slot[RAW_SLOTS];
	uint64_t pgt;
	bool xlat;
	struct pgwalk *walk;   /* libaddrxlat's context for this handle (made at the first walk): its cache */
	/* module symbols looked up in the dump, remembered: vm_list is asked per walk */
	struct {
		char name[64];
		uint64_t addr;
	} cache[SYMBOL_CACHE];
	size_t ncache;
	bool kernel;           /* opened for kernel address translation */
	bool clone;            /* another thread's handle: the file is the original's */
};

static bool raw_phys(void *ctx, uint64_t pa, void *buf, size_t len)
{
	struct ns_dump *d = ctx;
	uint8_t *out = buf;

	if (pa > d->in.size || len > d->in.size - pa)
		return false;
	while (len) {
		uint64_t blk = pa / RAW_BLOCK, base = blk * RAW_BLOCK;
		size_t at = (size_t)(pa - base), n = RAW_BLOCK - at < len ? RAW_BLOCK - at : len;
		struct raw_slot *s = &d->slot[blk % RAW_SLOTS];

		if (s->tag != blk + 1) {
			size_t want = d->in.size - base < RAW_BLOCK ? (size_t)(d->in.size - base) : RAW_BLOCK;

			if (!s->buf && !(s->buf = malloc(RAW_BLOCK)))
				return false;
			s->tag = 0;
			if (!ns_pread_full(d->in.fd, s->buf, want, base))
				return false;
			s->tag = blk + 1;
		}
		memcpy(out, s->buf + at, n);
		out += n;
		pa += n;
		len -= n;
	}
	return true;
}

/* The data extent at or after off (holes skipped): false past the last one. */
static bool raw_extent(struct ns_dump *d, uint64_t off)
{
	off_t s, e;

	if (off >= d->in.size)
		return false;
	if (off >= d->data_start && off < d->data_end)
		return true;
	s = lseek(d->in.fd, (off_t)off, SEEK_DATA);
	if (s < 0 && errno == ENXIO)
		return false;
	if (s < 0) {
		/* a file system that cannot tell: all data */
		d->data_start = 0;
		d->data_end = d->in.size;
		return true;
	}
	e = lseek(d->in.fd, s, SEEK_HOLE);
	d->data_start = (uint64_t)s & ~(PAGE - 1);
	d->data_end = e < 0 || (uint64_t)e > d->in.size ? d->in.size : ((uint64_t)e + PAGE - 1) & ~(PAGE - 1);
	return true;
}

/*
 * Calls found(at, left) for each place needle occurs in the raw image's data
 * (at points into a window with left bytes from there, at least
 * SEARCH_OVERLAP unless the image ends), in order; stops when found says so.
 * True if stopped.
 */
static bool raw_search(struct ns_dump *d, const void *needle, size_t nlen,
		       bool (*found)(struct ns_dump *d, uint64_t pa, const uint8_t *at, size_t left, void *arg), void *arg)
{
	uint8_t *buf = malloc(SEARCH_WINDOW + SEARCH_OVERLAP);
	uint64_t pos = 0;
	bool stopped = false;

	if (!buf || nlen == 0 || nlen > SEARCH_OVERLAP) {
		free(buf);
		return false;
	}
	while (!stopped && raw_extent(d, pos)) {
		uint64_t len;

		if (pos < d->data_start)
			pos = d->data_start;
		len = d->in.size - pos < SEARCH_WINDOW + SEARCH_OVERLAP ? d->in.size - pos : SEARCH_WINDOW + SEARCH_OVERLAP;
		if (!ns_pread_full(d->in.fd, buf, (size_t)len, pos))
			break;
		/* matches that start in this window; the overlap is the next window's */
		for (const uint8_t *p = buf; !stopped && (p = memmem(p, (size_t)len - (size_t)(p - buf), needle, nlen)); p++) {
			if ((size_t)(p - buf) >= SEARCH_WINDOW)
				break;
			stopped = found(d, pos + (uint64_t)(p - buf), p, (size_t)len - (size_t)(p - buf), arg);
		}
		pos += SEARCH_WINDOW;
	}
	free(buf);
	return stopped;
}

/* A kernel release as a name: it becomes part of a profile's path, so nothing else. */
static bool release_ok(const char *s, size_t n)
{
	if (n < 3 || n >= sizeof(((struct ns_dump *)0)->release))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      strchr("._+~-", s[i])))
			return false;
	return s[0] != '.';
}

static bool banner_release(struct ns_dump *d, uint64_t pa, const uint8_t *at, size_t left, void *arg)
{
	static const char tag[] = "Linux version ";
	const char *rel = (const char *)at + sizeof(tag) - 1;
	size_t n;

	(void)pa, (void)arg;
	left -= sizeof(tag) - 1;
	for (n = 0; n < left && n < sizeof(d->release) - 1 && rel[n] > ' ' && rel[n] < 0x7f; n++)
		;
	if (n >= 3 && n < left && rel[n] == ' ' && rel[0] >= '2' && rel[0] <= '9' && rel[1] == '.' &&
	    release_ok(rel, n)) {
		memcpy(d->release, rel, n);
		d->release[n] = '\0';
		return true;
	}
	return false;
}

/* A raw image; kernel: its release from the first "Linux version " in it. */
static int open_raw(struct ns_dump *d, bool kernel, struct ns_error *err)
{
	if (d->in.size < PAGE)
		return ns_fail(err, NS_ERR_FORMAT, "%s: %llu bytes: not a kdump, ELF core or gzip file, and smaller than a "
			       "page of a raw memory image", d->in.name, (unsigned long long)d->in.size);
	d->raw = true;
	d->format = "raw";
	if (!kernel || raw_search(d, "Linux version ", 14, banner_release, NULL))
		return NS_OK;
	return ns_fail(err, NS_ERR_FORMAT,
		       "%s: not a kdump, ELF core or gzip file, nor a raw memory image of a Linux kernel (no \"Linux "
		       "version\" banner in its %llu bytes)", d->in.name, (unsigned long long)d->in.size);
}

/* The handle's page walker over its raw image (the image never changes: one context, its cache kept); false: no memory. */
static bool raw_walk(struct ns_dump *d)
{
	struct ns_phys mem = { d, raw_phys };

	return d->walk || (d->walk = pgwalk_new(&mem));
}

struct banner_match {
	const struct ns_types *t;
	uint64_t banner, pgt;
};

/*
 * Each copy of the banner in memory is a candidate for linux_banner itself:
 * it fixes phys_base + KASLR offset (2 MiB aligned both), hence
 * init_top_pgt's physical address; the KASLR offset is the one for which
 * those page tables map linux_banner to that copy.
 */
static bool banner_xlat(struct ns_dump *d, uint64_t pa, const uint8_t *at, size_t left, void *arg)
{
	const struct banner_match *m = arg;
	uint64_t slide = pa - (m->banner - START_KERNEL_MAP), got;

	(void)at, (void)left;
	if (slide % TWO_MIB || (d->pgt = m->pgt - START_KERNEL_MAP + slide) + PAGE > d->in.size || !raw_walk(d))
		return false;
	for (uint64_t k = 0; k < KASLR_MAX; k += TWO_MIB)
		if (pgwalk_translate(d->walk, d->pgt, m->banner + k, &got) == PGWALK_OK && got == pa) {
			d->kaslr = k;
			d->xlat = true;
			return true;
		}
	return false;
}

int ns_dump_use_types(struct ns_dump *d, const struct ns_types *t, struct ns_error *err)
{
	struct banner_match m = { t, ns_types_symbol(t, "linux_banner"), ns_types_symbol(t, "init_top_pgt") };
	size_t blen = strcspn(t->banner, "\n");

	if (!d->raw || d->xlat)
		return NS_OK;
	if (!m.banner || !m.pgt || blen < 16)
		return ns_fail(err, NS_ERR_ARG, "a raw image needs linux_banner and init_top_pgt in the types (a newer profile)");
	if (blen > SEARCH_OVERLAP)
		blen = SEARCH_OVERLAP;
	if (raw_search(d, t->banner, blen, banner_xlat, &m))
		return NS_OK;
	return ns_fail(err, NS_ERR_FORMAT,
		       "the raw image has no page tables that map the types' linux_banner to its banner: not this kernel?");
}

static int open_kdumpfile(struct ns_dump *d, bool kernel, struct ns_error *err)
{
	const char *s;
	kdump_attr_t a;

	d->kernel = kernel;
	if (!(d->k = kdump_new()))
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	/* pread, never mmap: a page past the end of the file must be an error, not SIGBUS */
	if (kdump_set_number_attr(d->k, KDUMP_ATTR_FILE_MMAP_POLICY, KDUMP_MMAP_NEVER) != KDUMP_OK)
		return ns_fail(err, NS_ERR_IO, "%s: libkdumpfile: %s", d->in.name, kdump_get_err(d->k));
	if (kdump_open_fd(d->k, d->in.fd) != KDUMP_OK) {
		int rc = ns_fail(err, NS_ERR_FORMAT, "%s: libkdumpfile cannot open this %s: %s", d->in.name, d->format,
				 kdump_get_err(d->k));

		/*
		 * Not kdump_free(): after a failed open, libkdumpfile 0.5.1 keeps
		 * the format's hooks over data it already freed, and kdump_free
		 * runs them (docs/robustness.md).  The context is left behind.
		 */
		d->k = NULL;
		return rc;
	}
	if (kdump_get_string_attr(d->k, KDUMP_ATTR_FILE_FORMAT, &d->format) != KDUMP_OK)
		d->format = "unknown";
	/*
	 * QEMU's kdumps (dump-guest-memory, virsh dump --memory-only) name the
	 * machine in the header's utsname and leave the rest of it empty:
	 * libkdumpfile 0.5.1 then leaves the architecture unset and translates
	 * no kernel address.  The header's machine (dumpcheck.c let only
	 * x86_64 or nothing through) is the dump's own word for it.
	 */
	if (kernel && !strcmp(d->format, "diskdump") && kdump_get_attr(d->k, KDUMP_ATTR_ARCH_NAME, &a) != KDUMP_OK) {
		char machine[UTS_FIELD + 1] = "";

		kdump_clear_err(d->k);
		if (pread(d->in.fd, machine, UTS_FIELD, DISKDUMP_UTS_MACHINE) == UTS_FIELD && !strcmp(machine, "x86_64") &&
		    kdump_set_string_attr(d->k, KDUMP_ATTR_ARCH_NAME, machine) != KDUMP_OK)
			return ns_fail(err, NS_ERR_FORMAT, "%s: libkdumpfile refuses the header's machine %s: %s", d->in.name,
				       machine, kdump_get_err(d->k));
	}
	/* a Linux kernel: lets libkdumpfile set up address translation from VMCOREINFO */
	if (kernel && kdump_set_string_attr(d->k, KDUMP_ATTR_OSTYPE, "linux") != KDUMP_OK)
		return ns_fail(err, NS_ERR_FORMAT, "%s: no Linux kernel address translation (%s): is VMCOREINFO missing?",
			       d->in.name, kdump_get_err(d->k));
	if (kdump_get_string_attr(d->k, "linux.uts.release", &s) == KDUMP_OK) {
		if (!release_ok(s, strlen(s))) {
			char shown[80];
			size_t o = 0;

			for (size_t i = 0; s[i] && o + 5 < sizeof(shown); i++)
				o += (size_t)snprintf(shown + o, sizeof(shown) - o,
						      s[i] > ' ' && s[i] < 0x7f && s[i] != '\\' ? "%c" : "\\x%02x",
						      (unsigned char)s[i]);
			return ns_fail(err, NS_ERR_FORMAT, "%s: its kernel release '%s' is not a release name: corrupt "
				       "VMCOREINFO or utsname", d->in.name, shown);
		}
		snprintf(d->release, sizeof(d->release), "%s", s);
	}
	if (kdump_get_string_attr(d->k, "linux.vmcoreinfo.lines.KERNELOFFSET", &s) == KDUMP_OK)
		d->kaslr = strtoull(s, NULL, 16);
	if ((kdump_get_attr(d->k, KDUMP_ATTR_FILE_PAGEMAP, &a) == KDUMP_OK ||
	     kdump_get_attr(d->k, KDUMP_ATTR_MEMORY_PAGEMAP, &a) == KDUMP_OK) && a.type == KDUMP_BITMAP) {
		d->pages = a.val.bitmap;
		kdump_bmp_incref(d->pages);
	}
	return NS_OK;
}

int ns_dump_open_input(struct ns_input *in, bool kernel, struct ns_dump **out, struct ns_error *err)
{
	struct ns_dump *d = calloc(1, sizeof(*d));
	enum ns_dump_kind kind;
	uint8_t head[4] = { 0 };
	int rc;

	*out = NULL;
	if (!d) {
		ns_input_close(in);
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	}
	d->in = *in;
	in->fd = -1;
	if (!d->in.size) {
		rc = ns_fail(err, NS_ERR_FORMAT, "%s is empty", d->in.name);
		goto fail;
	}
	if (!ns_pread_full(d->in.fd, head, d->in.size < sizeof(head) ? (size_t)d->in.size : sizeof(head), 0)) {
		rc = ns_fail(err, NS_ERR_IO, "%s: cannot read it", d->in.name);
		goto fail;
	}
	if (ns_is_gzip(head, d->in.size < sizeof(head) ? (size_t)d->in.size : sizeof(head)) &&
	    (rc = ns_input_gunzip(&d->in, err)))
		goto fail;
	if ((rc = ns_dump_check(d->in.fd, d->in.size, d->in.name, &kind, err)))
		goto fail;
	if (kind == NS_DUMP_RAW)
		rc = open_raw(d, kernel, err);
	else {
		d->format = kind == NS_DUMP_KDUMP ? "kdump" : "ELF core";
		rc = open_kdumpfile(d, kernel, err);
	}
	if (rc)
		goto fail;
	*out = d;
	return NS_OK;
fail:
	ns_dump_close(d);
	return rc;
}

int ns_dump_open(const char *path, bool kernel, struct ns_dump **out, struct ns_error *err)
{
	struct ns_input in;
	int rc;

	*out = NULL;
	if ((rc = ns_input_open(path, &in, err)))
		return rc;
	return ns_dump_open_input(&in, kernel, out, err);
}

int ns_dump_clone(struct ns_dump *d, struct ns_dump **out, struct ns_error *err)
{
	struct ns_dump *c = malloc(sizeof(*c));
	int rc;

	*out = NULL;
	if (!c)
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	*c = *d;
	c->clone = true;
	c->k = NULL;
	c->pages = NULL;
	c->walk = NULL;        /* its own: a context reads through its handle, and is not for two threads */
	/* its own block cache and data extent: pread on the one descriptor needs no lock */
	memset(c->slot, 0, sizeof(c->slot));
	c->data_start = c->data_end = 0;
	/*
	 * A dump opened again on the same descriptor, not kdump_clone(): a
	 * clone shares libkdumpfile's file and page caches behind one mutex,
	 * held across each pread, and two threads on clones inflated a kdump
	 * no faster than one.  The file was checked when d was opened.
	 */
	if (d->k && (rc = open_kdumpfile(c, d->kernel, err))) {
		ns_dump_close(c);
		return rc;
	}
	*out = c;
	return NS_OK;
}

void ns_dump_close(struct ns_dump *d)
{
	if (!d)
		return;
	if (d->pages)
		kdump_bmp_decref(d->pages);
	if (d->k)
		kdump_free(d->k);
	for (size_t i = 0; i < RAW_SLOTS; i++)
		free(d->slot[i].buf);
	pgwalk_free(d->walk);
	if (!d->clone)
		ns_input_close(&d->in);
	free(d);
}

const char *ns_dump_release(const struct ns_dump *d)
{
	return d->release;
}

const char *ns_dump_format(const struct ns_dump *d)
{
	return d->format;
}

bool ns_dump_next_page(struct ns_dump *d, uint64_t *pfn)
{
	kdump_addr_t idx = *pfn;

	if (d->raw) {
		uint64_t off = *pfn * PAGE;

		if (!raw_extent(d, off))
			return false;
		if (off < d->data_start)
			off = d->data_start;
		*pfn = off / PAGE;
		return off + PAGE <= d->in.size;
	}
	if (!d->pages || kdump_bmp_find_set(d->pages, &idx) != KDUMP_OK)
		return false;
	*pfn = idx;
	return true;
}

static bool dump_read(struct ns_dump *d, kdump_addrspace_t as, uint64_t addr, void *buf, size_t len)
{
	size_t n = len;

	if (kdump_read(d->k, as, addr, buf, &n) != KDUMP_OK || n != len) {
		kdump_clear_err(d->k);
		return false;
	}
	return true;
}

bool ns_dump_read(struct ns_dump *d, uint64_t kvaddr, void *buf, size_t len)
{
	if (!d->raw)
		return dump_read(d, KDUMP_KVADDR, kvaddr, buf, len);
	if (!d->xlat || !raw_walk(d))
		return false;
	while (len) {
		size_t n = 4096 - (kvaddr & 0xfff) < len ? 4096 - (kvaddr & 0xfff) : len;
		uint64_t pa;

		if (pgwalk_translate(d->walk, d->pgt, kvaddr, &pa) != PGWALK_OK || !raw_phys(d, pa, buf, n))
			return false;
		kvaddr += n;
		buf = (uint8_t *)buf + n;
		len -= n;
	}
	return true;
}

bool ns_dump_read_phys(struct ns_dump *d, uint64_t paddr, void *buf, size_t len)
{
	if (d->raw)
		return raw_phys(d, paddr, buf, len);
	/* machine physical: the addresses the file stores, no kernel mapping needed */
	return dump_read(d, KDUMP_MACHPHYSADDR, paddr, buf, len);
}

/* ---- the target ---- */

static bool t_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return ns_dump_read(((struct ns_dump_target *)ctx)->dump, addr, buf, len);
}

static long t_member_offset(void *ctx, const char *type, const char *member)
{
	return ns_types_member_offset(((struct ns_dump_target *)ctx)->types, type, member);
}

static long t_member_size(void *ctx, const char *type, const char *member)
{
	return ns_types_member_size(((struct ns_dump_target *)ctx)->types, type, member);
}

static long t_type_size(void *ctx, const char *type)
{
	return ns_types_size(((struct ns_dump_target *)ctx)->types, type);
}

/* vmlinux symbols from the types (slid by KASLR), the others from the modules in the dump */
static uint64_t t_symbol(void *ctx, const char *name)
{
	struct ns_dump_target *dt = ctx;
	struct ns_dump *d = dt->dump;
	uint64_t a = ns_types_symbol(dt->types, name);
	struct ns_error err;

	if (a)
		return a + d->kaslr;
	for (size_t i = 0; i < d->ncache; i++)
		if (!strcmp(d->cache[i].name, name))
			return d->cache[i].addr;
	/* the module walk asks for vmlinux's 'modules': never recurse into it */
	if (dt->in_module_lookup || strlen(name) >= sizeof(d->cache[0].name))
		return 0;
	dt->in_module_lookup = true;
	if (ns_module_symbol(&dt->t, name, &a, &err)) {
		snprintf(dt->why, sizeof(dt->why), "%s", err.msg);
		a = 0;
	}
	dt->in_module_lookup = false;
	if (!a)
		return 0;
	if (d->ncache < SYMBOL_CACHE) {
		strcpy(d->cache[d->ncache].name, name);
		d->cache[d->ncache++].addr = a;
	}
	return a;
}

void ns_dump_target_init(struct ns_dump_target *dt, struct ns_dump *d, const struct ns_types *types)
{
	memset(dt, 0, sizeof(*dt));
	dt->dump = d;
	dt->types = types;
	dt->t = (struct ns_target){ dt, t_read, t_member_offset, t_member_size, t_symbol, t_type_size };
}
