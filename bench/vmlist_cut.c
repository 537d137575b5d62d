/*
 * A dump's physical memory as a raw image (physical address 0 at byte 0, as
 * tests/integration/kdump2raw.c writes it) in which KVM's vm_list links only
 * some of the dump's VMs: the same memory with fewer VMs, for the bench that
 * measures triage's cost per vCPU as the number of VMs grows.
 *
 * usage: vmlist_cut DUMP RAW VM_LIST_OFFSET [+|-]KVM...
 *   KVM             every struct kvm of the dump, in vm_list order (the
 *                   order 'nestscope triage --json' lists them), '+' to keep
 *                   it linked, '-' to unlink it
 *   VM_LIST_OFFSET  the offset of vm_list in struct kvm (from the profile)
 * The list head (KVM's vm_list) is the last VM's next; it must not be one of
 * the VMs.  Each kept VM's and the head's list_head {next, prev} is rewritten
 * at its physical address, found through the dump's page tables.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <libkdumpfile/kdumpfile.h>

#define MAX_VMS 256

static kdump_ctx_t *ctx;

static int vtop(uint64_t va, uint64_t *pa)
{
	addrxlat_ctx_t *axctx;
	addrxlat_sys_t *axsys;
	addrxlat_fulladdr_t fa = { .addr = va, .as = ADDRXLAT_KVADDR };
	int ok;

	if (kdump_get_addrxlat(ctx, &axctx, &axsys) != KDUMP_OK)
		return -1;
	ok = addrxlat_fulladdr_conv(&fa, ADDRXLAT_MACHPHYSADDR, axctx, axsys) == ADDRXLAT_OK;
	addrxlat_ctx_decref(axctx);
	addrxlat_sys_decref(axsys);
	if (!ok)
		return -1;
	*pa = fa.addr;
	return 0;
}

static int read_u64(uint64_t va, uint64_t *v)
{
	size_t n = sizeof(*v);

	return kdump_read(ctx, KDUMP_KVADDR, va, v, &n) == KDUMP_OK && n == sizeof(*v) ? 0 : -1;
}

/* list_head {next, prev} at virtual address node, written into the raw image */
static int link_node(int out, uint64_t node, uint64_t next, uint64_t prev)
{
	uint64_t pa, lh[2] = { next, prev };

	if (vtop(node, &pa) || (pa & 0xfff) > 0x1000 - sizeof(lh) ||
	    pwrite(out, lh, sizeof(lh), (off_t)pa) != (ssize_t)sizeof(lh)) {
		fprintf(stderr, "vmlist_cut: cannot rewrite the list_head at 0x%llx\n", (unsigned long long)node);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t node[MAX_VMS], kept[MAX_VMS], head = 0, off;
	unsigned n = 0, k = 0;
	kdump_attr_t a;
	kdump_addr_t pfn = 0, last = 0;
	unsigned char page[4096];
	int in, out;

	if (argc < 5 || argc - 4 > MAX_VMS) {
		fprintf(stderr, "usage: vmlist_cut DUMP RAW VM_LIST_OFFSET [+|-]KVM...\n");
		return 2;
	}
	off = strtoull(argv[3], NULL, 0);
	for (int i = 4; i < argc; i++) {
		node[n] = strtoull(argv[i] + 1, NULL, 0) + off;
		if (argv[i][0] == '+')
			kept[k++] = node[n];
		else if (argv[i][0] != '-') {
			fprintf(stderr, "vmlist_cut: '%s': a VM is +ADDRESS (kept) or -ADDRESS (unlinked)\n", argv[i]);
			return 2;
		}
		n++;
	}
	ctx = kdump_new();
	if (!ctx || (in = open(argv[1], O_RDONLY)) < 0 || kdump_open_fd(ctx, in) != KDUMP_OK ||
	    kdump_set_string_attr(ctx, KDUMP_ATTR_OSTYPE, "linux") != KDUMP_OK || /* its page tables */
	    kdump_get_attr(ctx, KDUMP_ATTR_FILE_PAGEMAP, &a) != KDUMP_OK || a.type != KDUMP_BITMAP ||
	    (out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
		fprintf(stderr, "vmlist_cut: cannot convert %s\n", argv[1]);
		return 1;
	}
	/* the list as the dump has it: each VM's next is the VM after it, the last one's the head */
	for (unsigned i = 0; i < n; i++) {
		uint64_t next;

		if (read_u64(node[i], &next) || (i + 1 < n && next != node[i + 1])) {
			fprintf(stderr, "vmlist_cut: VM %u (0x%llx) is not followed by the next one given\n", i,
				(unsigned long long)(node[i] - off));
			return 1;
		}
		head = next;
	}
	for (unsigned i = 0; i < n; i++)
		if (head == node[i]) {
			fprintf(stderr, "vmlist_cut: the list goes on after the last VM given: give all of them\n");
			return 1;
		}

	for (; kdump_bmp_find_set(a.val.bitmap, &pfn) == KDUMP_OK; pfn++) {
		size_t len = sizeof(page);

		if (kdump_read(ctx, KDUMP_MACHPHYSADDR, pfn << 12, page, &len) != KDUMP_OK || len != sizeof(page))
			continue;
		if (pwrite(out, page, sizeof(page), (off_t)(pfn << 12)) != (ssize_t)sizeof(page)) {
			fprintf(stderr, "vmlist_cut: writing %s failed\n", argv[2]);
			return 1;
		}
		last = pfn;
	}
	if (ftruncate(out, (off_t)((last + 1) << 12)))
		return 1;
	/* head -> kept[0] -> ... -> kept[k-1] -> head, and back */
	if (link_node(out, head, k ? kept[0] : head, k ? kept[k - 1] : head))
		return 1;
	for (unsigned i = 0; i < k; i++)
		if (link_node(out, kept[i], i + 1 < k ? kept[i + 1] : head, i ? kept[i - 1] : head))
			return 1;
	if (close(out))
		return 1;
	kdump_free(ctx);
	printf("%s: %u of %u VMs linked\n", argv[2], k, n);
	return 0;
}
