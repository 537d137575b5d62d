/*
 * Dumps through libkdumpfile: kdump-compressed, ELF (QEMU's, makedumpfile's,
 * /proc/kcore), with libkdumpfile's kernel address translation from the
 * dump's VMCOREINFO.  And raw memory images (physical address 0 at byte 0),
 * which carry no VMCOREINFO: their kernel release is read from the banner
 * in memory, and their address translation found from the types' own
 * linux_banner and init_top_pgt (ns_dump_use_types).  Opened read-only;
 * nothing is ever written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libkdumpfile/kdumpfile.h>

#include "nestscope/scan.h"
#include "sources.h"

#define SYMBOL_CACHE 8
#define START_KERNEL_MAP 0xffffffff80000000ull /* __START_KERNEL_map */
#define TWO_MIB (2ull << 20)
#define KASLR_MAX (1ull << 30)                  /* the kernel image moves within 1 GiB */

struct ns_dump {
	kdump_ctx_t *k;
	int fd;
	char release[65];
	const char *format;
	uint64_t kaslr;
	kdump_bmp_t *pages;    /* the pages the file holds (a filtered dump omits some) */
	/* a raw image: mapped read-only, translated through init_top_pgt */
	const uint8_t *map;
	size_t maplen;
	uint64_t pgt;
	bool xlat;
	/* module symbols looked up in the dump, remembered: vm_list is asked per walk */
	struct {
		char name[64];
		uint64_t addr;
	} cache[SYMBOL_CACHE];
	size_t ncache;
};

/* A raw image, mapped; kernel: its release from the first "Linux version " in it. */
static int open_raw(struct ns_dump *d, const char *path, bool kernel, const char *why, struct ns_error *err)
{
	static const char tag[] = "Linux version ";
	struct stat st;
	const uint8_t *p;
	void *m;
	size_t n;

	if (fstat(d->fd, &st) || !S_ISREG(st.st_mode) || st.st_size < 4096 ||
	    (m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, d->fd, 0)) == MAP_FAILED)
		return ns_fail(err, NS_ERR_FORMAT, "%s: not a dump libkdumpfile can read (%s), nor a raw memory image",
			       path, why);
	d->map = m;
	d->maplen = (size_t)st.st_size;
	d->format = "raw";
	madvise(m, d->maplen, MADV_SEQUENTIAL);
	if (!kernel)
		return NS_OK;
	for (p = d->map; (p = memmem(p, d->maplen - (size_t)(p - d->map), tag, sizeof(tag) - 1)); p++) {
		const char *rel = (const char *)p + sizeof(tag) - 1;
		size_t left = d->maplen - (size_t)((const uint8_t *)rel - d->map);

		for (n = 0; n < left && n < sizeof(d->release) - 1 && rel[n] > ' ' && rel[n] < 0x7f; n++)
			;
		if (n >= 3 && n < left && rel[n] == ' ' && rel[0] >= '2' && rel[0] <= '9' && rel[1] == '.') {
			memcpy(d->release, rel, n);
			d->release[n] = '\0';
			return NS_OK;
		}
	}
	return ns_fail(err, NS_ERR_FORMAT,
		       "%s: not a dump libkdumpfile can read (%s), nor a raw memory image of a Linux kernel (no banner)",
		       path, why);
}

static bool raw_phys(void *ctx, uint64_t pa, void *buf, size_t len)
{
	const struct ns_dump *d = ctx;

	if (pa > d->maplen || len > d->maplen - pa)
		return false;
	memcpy(buf, d->map + pa, len);
	return true;
}

int ns_dump_use_types(struct ns_dump *d, const struct ns_types *t, struct ns_error *err)
{
	struct ns_phys mem = { d, raw_phys };
	uint64_t banner = ns_types_symbol(t, "linux_banner"), pgt = ns_types_symbol(t, "init_top_pgt");
	size_t blen = strcspn(t->banner, "\n");
	const uint8_t *p;

	if (!d->map || d->xlat)
		return NS_OK;
	if (!banner || !pgt || blen < 16)
		return ns_fail(err, NS_ERR_ARG, "a raw image needs linux_banner and init_top_pgt in the types (a newer profile)");
	/*
	 * Each copy of the banner in memory is a candidate for linux_banner
	 * itself: it fixes phys_base + KASLR offset (2 MiB aligned both), hence
	 * init_top_pgt's physical address; the KASLR offset is the one for which
	 * those page tables map linux_banner to that copy.
	 */
	for (p = d->map; (p = memmem(p, d->maplen - (size_t)(p - d->map), t->banner, blen)); p++) {
		uint64_t pa = (uint64_t)(p - d->map), slide = pa - (banner - START_KERNEL_MAP), got;

		if (slide % TWO_MIB || (d->pgt = pgt - START_KERNEL_MAP + slide) + 4096 > d->maplen)
			continue;
		for (uint64_t k = 0; k < KASLR_MAX; k += TWO_MIB)
			if (ns_phys_translate(&mem, d->pgt, banner + k, &got) && got == pa) {
				d->kaslr = k;
				d->xlat = true;
				return NS_OK;
			}
	}
	return ns_fail(err, NS_ERR_FORMAT,
		       "the raw image has no page tables that map the types' linux_banner to its banner: not this kernel?");
}

int ns_dump_open(const char *path, bool kernel, struct ns_dump **out, struct ns_error *err)
{
	struct ns_dump *d = calloc(1, sizeof(*d));
	const char *s;
	kdump_attr_t a;

	*out = NULL;
	if (!d)
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	if ((d->fd = open(path, O_RDONLY)) < 0) {
		int e = errno;

		free(d);
		return ns_fail(err, NS_ERR_IO, "cannot open %s: %s", path, strerror(e));
	}
	if (!(d->k = kdump_new())) {
		ns_dump_close(d);
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	}
	if (kdump_open_fd(d->k, d->fd) != KDUMP_OK) {
		char why[160];
		int rc;

		snprintf(why, sizeof(why), "%s", kdump_get_err(d->k));
		kdump_free(d->k);
		d->k = NULL;
		if ((rc = open_raw(d, path, kernel, why, err)) == NS_OK) {
			*out = d;
			return NS_OK;
		}
		ns_dump_close(d);
		return rc;
	}
	/* a Linux kernel: lets libkdumpfile set up address translation from VMCOREINFO */
	if (kernel && kdump_set_string_attr(d->k, KDUMP_ATTR_OSTYPE, "linux") != KDUMP_OK) {
		int rc = ns_fail(err, NS_ERR_FORMAT, "%s: no Linux kernel address translation (%s): is VMCOREINFO missing?",
				 path, kdump_get_err(d->k));

		ns_dump_close(d);
		return rc;
	}
	if (kdump_get_string_attr(d->k, KDUMP_ATTR_FILE_FORMAT, &d->format) != KDUMP_OK)
		d->format = "unknown";
	if (kdump_get_string_attr(d->k, "linux.uts.release", &s) == KDUMP_OK)
		snprintf(d->release, sizeof(d->release), "%s", s);
	if (kdump_get_string_attr(d->k, "linux.vmcoreinfo.lines.KERNELOFFSET", &s) == KDUMP_OK)
		d->kaslr = strtoull(s, NULL, 16);
	if ((kdump_get_attr(d->k, KDUMP_ATTR_FILE_PAGEMAP, &a) == KDUMP_OK ||
	     kdump_get_attr(d->k, KDUMP_ATTR_MEMORY_PAGEMAP, &a) == KDUMP_OK) && a.type == KDUMP_BITMAP) {
		d->pages = a.val.bitmap;
		kdump_bmp_incref(d->pages);
	}
	*out = d;
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
	if (d->map)
		munmap((void *)d->map, d->maplen);
	if (d->fd >= 0)
		close(d->fd);
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

const uint8_t *ns_dump_raw_map(const struct ns_dump *d, size_t *len)
{
	*len = d->maplen;
	return d->map;
}

bool ns_dump_next_page(struct ns_dump *d, uint64_t *pfn)
{
	kdump_addr_t idx = *pfn;

	if (d->map)
		return *pfn < d->maplen / 4096;
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
	struct ns_phys mem = { d, raw_phys };

	if (!d->map)
		return dump_read(d, KDUMP_KVADDR, kvaddr, buf, len);
	if (!d->xlat)
		return false;
	while (len) {
		size_t n = 4096 - (kvaddr & 0xfff) < len ? 4096 - (kvaddr & 0xfff) : len;
		uint64_t pa;

		if (!ns_phys_translate(&mem, d->pgt, kvaddr, &pa) || !raw_phys(d, pa, buf, n))
			return false;
		kvaddr += n;
		buf = (uint8_t *)buf + n;
		len -= n;
	}
	return true;
}

bool ns_dump_read_phys(struct ns_dump *d, uint64_t paddr, void *buf, size_t len)
{
	if (d->map)
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
