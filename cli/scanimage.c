/*
 * nestscope scan, and the image scanning capture shares: open a memory
 * image (raw, gzip'ed, a kdump or ELF dump, or RAM taken from a QEMU
 * migration stream), find its VMCS regions and VMCBs, and read their pages again.
 * Images are read a page at a time through sources/dump.c (holes skipped,
 * gzip inflated to a sparse temporary file), so memory stays bounded
 * whatever their size; only a migration stream's RAM is held in memory.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cli.h"
#include "nestscope/migstream.h"
#include "nestscope/nestscope.h"
#include "sources.h"

static bool image_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	const struct scanned *sc = ctx;

	if (!sc->data)
		return ns_dump_read_phys(sc->dump, pa, buf, len);
	if (pa > sc->len || len > sc->len - pa)
		return false;
	memcpy(buf, sc->data + pa, len);
	return true;
}

bool scanned_page(const struct scanned *sc, uint64_t pa, uint8_t *buf)
{
	return image_read((void *)sc, pa, buf, 4096);
}

static bool migration_input(const struct ns_input *in)
{
	uint8_t head[16] = { 0 };
	size_t n = in->size < sizeof(head) ? (size_t)in->size : sizeof(head);

	return ns_pread_full(in->fd, head, n, 0) && ns_migstream_detect(head, n);
}

/* A migration stream's RAM (the block at guest-physical 0), rebuilt in memory. */
static int stream_ram(const struct ns_input *in, struct scanned *sc, struct ns_error *err)
{
	const struct ns_mig_block *b;
	void *m;
	int rc;

	if (!(sc->mig = calloc(1, sizeof(*sc->mig))))
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	if ((m = mmap(NULL, (size_t)in->size, PROT_READ, MAP_PRIVATE, in->fd, 0)) == MAP_FAILED)
		return ns_fail(err, NS_ERR_IO, "cannot map %s", in->name);
	rc = ns_migstream_parse(m, (size_t)in->size, true, sc->mig, err);
	munmap(m, (size_t)in->size);
	if (rc)
		return rc;
	if (!(b = ns_migstream_ram(sc->mig)))
		return ns_fail(err, NS_ERR_FORMAT, "%s: a migration stream with no RAM", in->name);
	sc->data = b->data;
	sc->len = (size_t)b->length;
	sc->ram_block = b->name;
	return NS_OK;
}

/* An image in memory, scanned in place. */
static void scan_memory(struct scanned *sc, const struct ns_phys *mem, const struct ns_hwlayout *const *hw, size_t nhw)
{
	for (size_t pa = 0; pa + 4096 <= sc->len; pa += 4096)
		ns_scan_page(sc->scan, sc->data + pa, pa, mem, hw, nhw);
	ns_scan_relate(sc->scan, mem);
	if (ns_scan_want_pairs(sc->scan)) {
		for (size_t pa = 0; pa + 4096 <= sc->len; pa += 4096)
			ns_scan_pair_page(sc->scan, sc->data + pa, pa);
		ns_scan_pair_finish(sc->scan);
	}
}

int scan_image(const char *path, const char *layout, unsigned jobs, struct scanned *sc, struct ns_error *err)
{
	static struct ns_hwlayout bochs, file;
	const struct ns_hwlayout *hw[2] = { &bochs, &file };
	struct ns_phys mem = { sc, image_read };
	size_t nhw = 1;
	struct ns_input in;
	int rc;

	memset(sc, 0, sizeof(*sc));
	if (!(sc->scan = calloc(1, sizeof(*sc->scan))))
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	ns_hwlayout_bochs(&bochs);
	if (layout) {
		/* whatever its revision id: the user names the layout to look for */
		static char text[1 << 20];
		FILE *lf = fopen(layout, "r");
		size_t n = lf ? fread(text, 1, sizeof(text), lf) : 0;

		if (lf)
			fclose(lf);
		if (!lf)
			return ns_fail(err, NS_ERR_IO, "cannot read the layout file %s", layout);
		if ((rc = ns_hwlayout_parse(text, n, layout, &file, err)))
			return rc;
		nhw = 2;
	}
	/* opened once: standard input and pipes are spooled, gzip is inflated, by the sources */
	if ((rc = ns_input_open(path, &in, err)))
		return rc;
	if (migration_input(&in)) {
		rc = stream_ram(&in, sc, err);
		ns_input_close(&in);
		if (rc)
			return rc;
	} else if ((rc = ns_dump_open_input(&in, false, &sc->dump, err))) {
		return rc;
	}
	if (!sc->data)
		return scan_dump_threads(sc->dump, sc->scan, hw, nhw, jobs, err);
	scan_memory(sc, &mem, hw, nhw);
	return NS_OK;
}

void scanned_close(struct scanned *sc)
{
	if (sc->dump)
		ns_dump_close(sc->dump);
	free(sc->scan);
	if (sc->mig)
		ns_migstream_free(sc->mig);
	free(sc->mig);
	memset(sc, 0, sizeof(*sc));
}

static void usage_scan(FILE *f)
{
	fprintf(f,
		"usage: %s scan IMAGE [--layout FILE] [--jobs N] [--json]\n"
		"       %s scan --vmcb-rules\n"
		"\n"
		"Finds VMCS regions in physical memory without debuginfo: vmcs12 and shadow\n"
		"vmcs12 pages (KVM's format), VMXON regions, Hyper-V enlightened VMCSs, and\n"
		"hardware VMCS pages of a known revision id, validated (abort indicator, link\n"
		"pointer, host CR0/CR4, and the host page tables mapping HOST_RIP and the\n"
		"region); then which vmcs02 and vmcs01 belong to which vmcs12.  AMD SVM VMCB\n"
		"pages (vmcb12, vmcb02, vmcb01: kind vmcb, which its bytes do not tell) have no\n"
		"signature: a page is one when it meets every required rule of --vmcb-rules and\n"
		"all but two of the others; each is reported with the rules it met.  IMAGE: a raw\n"
		"memory image (gzip'ed or not: address 0 is its first byte), a kdump or ELF dump\n"
		"(its physical memory), or a QEMU migration stream or libvirt save image (its\n"
		"RAM block pc.ram: guest-physical below the machine's 32-bit PCI hole).\n"
		"\n"
		"  -L, --layout FILE   also look for hardware VMCS of that layout file's revision\n"
		"  -J, --jobs N        threads reading a dump's pages (default: one per CPU this\n"
		"                      process may use, %u here; 1: one thread); the result is\n"
		"                      the same for any N\n"
		"  -j, --json          one JSON document (nestscope/scan/2)\n"
		"      --vmcb-rules    list the rules that make a page a VMCB, and exit\n",
		prog, prog, scan_default_jobs());
}

/* The VMCB rules (decoders/svm/scan_rules.def): id, whether every VMCB meets it, the sentence. */
static void list_vmcb_rules(void)
{
	for (size_t i = 0; i < ns_vmcb_scan_rule_count(); i++)
		printf("%-26s %-8s %s\n", ns_vmcb_scan_rule_id(i), ns_vmcb_scan_rule_required(i) ? "required" : "scored",
		       ns_vmcb_scan_rule_text(i));
}

enum { OPT_VMCB_RULES = 256 };

int cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "layout", required_argument, NULL, 'L' }, { "json", no_argument, NULL, 'j' },
		{ "jobs", required_argument, NULL, 'J' },   { "help", no_argument, NULL, 'h' },
		{ "vmcb-rules", no_argument, NULL, OPT_VMCB_RULES },
		{ NULL, 0, NULL, 0 },
	};
	const char *layout = NULL;
	struct ns_out out = ns_out_file(stdout);
	struct scanned sc;
	struct ns_error err;
	bool json = false;
	unsigned jobs = 0;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "L:J:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'L': layout = optarg; break;
		case 'J':
			jobs = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !*optarg || jobs < 1 || jobs > 16)
				die_usage("--jobs takes a number from 1 to 16");
			break;
		case 'j': json = true; break;
		case 'h': usage_scan(stdout); return 0;
		case OPT_VMCB_RULES: list_vmcb_rules(); return 0;
		default: usage_scan(stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		die_usage("scan takes one image");
	if (scan_image(argv[optind], layout, jobs, &sc, &err)) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		scanned_close(&sc);
		return EXIT_BAD_INPUT;
	}
	if (json)
		ns_render_scan_json(&out, argv[optind], sc.scan);
	else
		ns_render_scan_text(&out, argv[optind], sc.scan);
	scanned_close(&sc);
	return 0;
}
