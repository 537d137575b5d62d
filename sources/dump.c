/*
 * Dumps through libkdumpfile: kdump-compressed, ELF (QEMU's, makedumpfile's,
 * /proc/kcore), with libkdumpfile's kernel address translation from the
 * dump's VMCOREINFO.  Opened read-only; nothing is ever written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libkdumpfile/kdumpfile.h>

#include "sources.h"

#define SYMBOL_CACHE 8

struct ns_dump {
	kdump_ctx_t *k;
	int fd;
	char release[65];
	const char *format;
	uint64_t kaslr;
	kdump_bmp_t *pages;    /* the pages the file holds (a filtered dump omits some) */
	/* module symbols looked up in the dump, remembered: vm_list is asked per walk */
	struct {
		char name[64];
		uint64_t addr;
	} cache[SYMBOL_CACHE];
	size_t ncache;
};

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
		int rc = ns_fail(err, NS_ERR_FORMAT, "%s: not a dump libkdumpfile can read (kdump, ELF): %s", path,
				 kdump_get_err(d->k));

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

uint64_t ns_dump_kaslr_offset(const struct ns_dump *d)
{
	return d->kaslr;
}

bool ns_dump_next_page(struct ns_dump *d, uint64_t *pfn)
{
	kdump_addr_t idx = *pfn;

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
	return dump_read(d, KDUMP_KVADDR, kvaddr, buf, len);
}

bool ns_dump_read_phys(struct ns_dump *d, uint64_t paddr, void *buf, size_t len)
{
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
