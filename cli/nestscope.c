/*
 * nestscope: the command-line front end.  It parses arguments, reads the
 * input, calls libnestscope and prints; all decoding lives in the core.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "nestscope/migstream.h"
#include "nestscope/nestscope.h"
#include "render/report_doc.h"
#include "sources.h"

/* Blobs are at most 8320 bytes and a vmcs12 region 4 KiB; refuse anything huge. */
#define MAX_INPUT_BYTES (16u << 20)

const char *prog = "nestscope";

void die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see '%s --help')\n", prog);
	exit(EXIT_USAGE);
}

/*
 * Reads a whole input, opened once: a file, or standard input ("-"), a pipe
 * or a FIFO (spooled by the sources); devices, directories and huge inputs
 * are refused.
 */
static uint8_t *read_opened(struct ns_input *in, size_t *len)
{
	uint8_t *buf;

	if (in->size > MAX_INPUT_BYTES) {
		fprintf(stderr, "%s: %s has %llu bytes, far more than a nested-state blob (at most %u) or a "
			"vmcs12 region (4096)\n", prog, in->name, (unsigned long long)in->size, NS_NESTED_MAX_SIZE);
		exit(EXIT_BAD_INPUT);
	}
	if (!(buf = malloc((size_t)in->size + 1))) {
		fprintf(stderr, "%s: out of memory reading %s\n", prog, in->name);
		exit(EXIT_BAD_INPUT);
	}
	if (!ns_pread_full(in->fd, buf, (size_t)in->size, 0)) {
		fprintf(stderr, "%s: cannot read %s: %s\n", prog, in->name, strerror(errno));
		exit(EXIT_BAD_INPUT);
	}
	*len = (size_t)in->size;
	ns_input_close(in);
	return buf;
}

static void open_input(const char *path, struct ns_input *in)
{
	struct ns_error err;

	if (ns_input_open(path, in, &err)) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		exit(EXIT_BAD_INPUT);
	}
}

static uint8_t *read_input(const char *path, size_t *len)
{
	struct ns_input in;

	open_input(path, &in);
	return read_opened(&in, len);
}

/*
 * FILE or FILE@OFFSET: a region inside a larger image (an L1 memory image, a
 * raw RAM dump) is read from OFFSET, one 4 KiB VMCS region long.
 */
/* FILE@OFFSET, where no file has that whole name */
static bool is_region(const char *spec)
{
	struct stat st;

	return strrchr(spec, '@') && stat(spec, &st) != 0;
}

static uint8_t *read_region(const char *spec, size_t *len)
{
	const char *at = strrchr(spec, '@');
	struct stat st;

	if (is_region(spec)) {
		char path[PATH_MAX];
		char *end;
		unsigned long long off = strtoull(at + 1, &end, 0);
		uint8_t *region = malloc(4096);
		ssize_t n;
		int fd;

		if (*end || at == spec || (size_t)(at - spec) >= sizeof(path) || !region)
			die_usage("'%s': FILE@OFFSET wants a number after the @", spec);
		memcpy(path, spec, (size_t)(at - spec));
		path[at - spec] = '\0';
		/* only the region is read: the image may be a whole RAM dump */
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			fprintf(stderr, "%s: cannot read %s: %s\n", prog, path, fd < 0 ? strerror(errno) : "not a regular file");
			free(region);
			exit(EXIT_BAD_INPUT);
		}
		if (off >= (unsigned long long)st.st_size) {
			fprintf(stderr, "%s: offset 0x%llx is past the end of %s (%lld bytes)\n", prog, off, path,
				(long long)st.st_size);
			free(region);
			close(fd);
			exit(EXIT_BAD_INPUT);
		}
		n = pread(fd, region, 4096, (off_t)off);
		close(fd);
		if (n <= 0) {
			fprintf(stderr, "%s: cannot read %s at 0x%llx\n", prog, path, off);
			free(region);
			exit(EXIT_BAD_INPUT);
		}
		*len = (size_t)n;
		return region;
	}
	return read_input(spec, len);
}

/* The data directory compiled in (make: PREFIX/share/nestscope), when none is found next to the executable. */
#ifndef NESTSCOPE_DATADIR
#define NESTSCOPE_DATADIR "/usr/local/share/nestscope"
#endif

bool exe_dir(char *buf, size_t n)
{
	ssize_t len = readlink("/proc/self/exe", buf, n - 1);
	char *slash;

	if (len <= 0)
		return false;
	buf[len] = '\0';
	if (!(slash = strrchr(buf, '/')))
		return false;
	*slash = '\0';
	return true;
}

/* An installed nestscope reads its own install's data wherever that was put (make install PREFIX=...
   DESTDIR=..., a package), and a build tree's nestscope, which has no share/ beside it, the compiled-in one. */
const char *datadir(void)
{
	static char dir[PATH_MAX];
	char exe[PATH_MAX];
	struct stat st;

	if (dir[0])
		return dir;
	if (exe_dir(exe, sizeof(exe))) {
		char rel[PATH_MAX + 32];

		snprintf(rel, sizeof(rel), "%s/../share/nestscope", exe);
		if (!stat(rel, &st) && S_ISDIR(st.st_mode) && realpath(rel, dir))
			return dir;
	}
	snprintf(dir, sizeof(dir), "%s", NESTSCOPE_DATADIR);
	return dir;
}

/* Layout files: ~/.config/nestscope/layouts, then the install's share directory. */
static bool find_hw_layout(uint32_t revision, const char *file, struct ns_hwlayout *l, struct ns_error *err)
{
	return ns_hwlayout_lookup(revision, file, datadir(), l, err) == NS_OK;
}

/* ---- decode ---- */

#define MAXPHYADDR_MIN 32  /* without CPUID.80000008H, the SDM's smallest physical-address width */

static void usage_decode(FILE *f)
{
	fprintf(f,
		"usage: %s decode [options] FILE\n"
		"\n"
		"Decode a KVM_GET_NESTED_STATE blob or a raw vmcs12 region (detected from the\n"
		"bytes): the blob header with its flags by name, then every vmcs12 field with\n"
		"its SDM name and symbolic decoding, grouped as KVM's dump_vmcs() groups them.\n"
		"A blob's header is judged as KVM_SET_NESTED_STATE judges it (x86.c and\n"
		"vmx_set_nested_state): each broken rule is a warning naming its id.\n"
		"An AMD SVM blob (format 1) holds a VMCB: vmcb12's control area as KVM cached\n"
		"it and L1's own save area (vmcb01's, not vmcb12's); its fields are shown by\n"
		"the APM's table, control area then save area as KVM's dump_vmcb() orders\n"
		"them.  --format vmcb decodes a raw VMCB page (vmcb12, vmcb02 or vmcb01).\n"
		"A QEMU migration stream or libvirt save image: each vCPU's nested state from\n"
		"QEMU's cpu/nested_state subsection (VMX or SVM), decoded as a blob.\n"
		"\n"
		"  -f, --format FMT   auto (default), nested-state, vmcs12 or vmcb\n"
		"  -g, --guest        show the guest-state section (a VMCB's save area)\n"
		"  -H, --host         show the host-state section\n"
		"  -c, --controls     show the control section (a VMCB's control area)\n"
		"  -x, --exit         show the VM-exit information section (a VMCB's control area)\n"
		"                     (no section option: all four)\n"
		"  -A, --all          show zero fields too\n"
		"  -F, --force        decode a vmcs12 whose revision id is not 0x%08x\n"
		"  -m, --maxphyaddr N L1's MAXPHYADDR (%u..%u) for vmxon_pa and vmcs12_pa (default:\n"
		"                     the architectural limit, %u)\n"
		"  -S, --strict       a header rule broken is an error: one line per rule on\n"
		"                     standard error, nothing decoded, exit status 1\n"
		"  -l, --list-rules   list the header rules (docs/blob-rules.md)\n"
		"  -j, --json         JSON output (schema %s, docs/json-schema.md)\n"
		"  -h, --help         this help\n"
		"\n"
		"Exit status: 0 decoded, 1 unreadable or malformed input (or, with --strict, a\n"
		"header KVM would refuse or never writes), 2 usage error.\n",
		prog, NS_VMCS12_REVISION, MAXPHYADDR_MIN, NS_MAXPHYADDR_ARCH, NS_MAXPHYADDR_ARCH, NS_JSON_SCHEMA);
}

bool blob_refused(const char *source, struct ns_report *rep, const struct blob_judging *bj)
{
	if (!rep->ns)
		return false;
	if (bj->maxphyaddr)
		ns_nested_state_judge(rep->ns, bj->maxphyaddr, &rep->blob);
	if (!bj->strict || !rep->blob.n)
		return false;
	for (unsigned i = 0; i < rep->blob.n; i++)
		fprintf(stderr, "%s: %s: %s: %s (--strict; %s)\n", prog, source, rep->blob.v[i].rule->id,
			rep->blob.v[i].detail,
			rep->blob.v[i].rule->kind == NS_BLOB_REFUSED ? "KVM_SET_NESTED_STATE refuses this"
								     : "KVM never writes this");
	return true;
}

/* A table cell: '|' would end it. */
static void md_cell(const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			putchar('\\');
		putchar(*s);
	}
}

/* docs/blob-rules.md, generated from the rule table */
static void blob_rules_markdown(void)
{
	printf("# The KVM_SET_NESTED_STATE header checks nestscope runs\n\n"
	       "Generated from `decoders/include/nestscope/blob_rules.def` by `nestscope decode --rules-markdown`; "
	       "do not edit.\n"
	       "`nestscope decode` judges every struct kvm_nested_state header by these rules; a broken rule is a "
	       "warning naming its id, and an error with `--strict`.\n"
	       "KVM: `refused`, KVM_SET_NESTED_STATE fails with -EINVAL; `ignored`, KVM_GET_NESTED_STATE never writes "
	       "it and KVM_SET_NESTED_STATE ignores it.\n"
	       "Addresses are judged against L1's MAXPHYADDR (`--maxphyaddr`), else the architectural limit, %u.\n\n"
	       "| id | KVM | rule | kernel function and condition |\n|---|---|---|---|\n",
	       NS_MAXPHYADDR_ARCH);
	for (size_t i = 0; i < ns_blob_rule_count(); i++) {
		const struct ns_blob_rule *r = ns_blob_rule_at(i);

		printf("| `%s` | %s | ", r->id, ns_blob_kind_name(r->kind));
		md_cell(r->text);
		printf(" | `");
		md_cell(r->kernel);
		printf("` |\n");
	}
	printf("\n%zu rules.\n", ns_blob_rule_count());
}

static uint64_t region_offset(const char *spec)
{
	return is_region(spec) ? strtoull(strrchr(spec, '@') + 1, NULL, 0) : 0;
}

static int cmd_decode(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' }, { "guest", no_argument, NULL, 'g' },
		{ "host", no_argument, NULL, 'H' },         { "controls", no_argument, NULL, 'c' },
		{ "exit", no_argument, NULL, 'x' },         { "all", no_argument, NULL, 'A' },
		{ "force", no_argument, NULL, 'F' },        { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },         { "strict", no_argument, NULL, 'S' },
		{ "maxphyaddr", required_argument, NULL, 'm' }, { "list-rules", no_argument, NULL, 'l' },
		{ "rules-markdown", no_argument, NULL, 'M' }, { NULL, 0, NULL, 0 },
	};
	struct blob_judging bj = { 0, false };
	struct ns_render_opts ropt = { 0, false };
	enum ns_input_format fmt = NS_INPUT_AUTO;
	bool json = false, force = false;
	struct ns_nested_state ns;
	struct ns_report rep;
	struct ns_report_doc doc;
	struct ns_error err;
	struct ns_out out = ns_out_file(stdout);
	uint8_t *buf;
	size_t len;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:gHcxAFjhSm:l", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "auto"))
				fmt = NS_INPUT_AUTO;
			else if (!strcmp(optarg, "nested-state") || !strcmp(optarg, "blob"))
				fmt = NS_INPUT_NESTED_STATE;
			else if (!strcmp(optarg, "vmcs12"))
				fmt = NS_INPUT_VMCS12;
			else if (!strcmp(optarg, "vmcb"))
				fmt = NS_INPUT_VMCB;
			else
				die_usage("unknown format '%s': use auto, nested-state, vmcs12 or vmcb", optarg);
			break;
		case 'g': ropt.sections |= NS_SECT_GUEST; break;
		case 'H': ropt.sections |= NS_SECT_HOST; break;
		case 'c': ropt.sections |= NS_SECT_CTRL; break;
		case 'x': ropt.sections |= NS_SECT_EXIT; break;
		case 'A': ropt.all = true; break;
		case 'F': force = true; break;
		case 'j': json = true; break;
		case 'h': usage_decode(stdout); return 0;
		case 'S': bj.strict = true; break;
		case 'm': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 0);

			if (*end || !*optarg || v < MAXPHYADDR_MIN || v > NS_MAXPHYADDR_ARCH)
				die_usage("--maxphyaddr takes L1's physical-address width, %u to %u, not '%s'",
					  MAXPHYADDR_MIN, NS_MAXPHYADDR_ARCH, optarg);
			bj.maxphyaddr = (unsigned)v;
			break;
		}
		case 'l':
			for (size_t i = 0; i < ns_blob_rule_count(); i++)
				printf("%-28s %-7s %s\n", ns_blob_rule_at(i)->id, ns_blob_kind_name(ns_blob_rule_at(i)->kind),
				       ns_blob_rule_at(i)->text);
			return 0;
		case 'M': blob_rules_markdown(); return 0;
		default: die_usage("%s", "bad option to decode");
		}
	}
	if (optind != argc - 1)
		die_usage("%s", "decode takes exactly one FILE");
	if (!ropt.sections)
		ropt.sections = NS_SECT_ALL;

	if (is_region(argv[optind])) {
		buf = read_region(argv[optind], &len);
	} else {
		/* opened once: a FIFO or standard input cannot be read twice */
		struct ns_input in;

		open_input(argv[optind], &in);
		if (fmt == NS_INPUT_AUTO && is_migration_stream(&in)) {
			int rc = decode_migration(&in, &ropt, json, force, &bj);

			ns_input_close(&in);
			return rc;
		}
		buf = read_opened(&in, &len);
	}
	if (ns_decode_buffer(buf, len, fmt, force, argv[optind], &ns, &rep, &err)) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		free(buf);
		return EXIT_BAD_INPUT;
	}
	if (blob_refused(argv[optind], &rep, &bj)) {
		free(buf);
		return EXIT_BAD_INPUT;
	}
	/* a raw vmcs12 is a region of the file; a blob's vmcs12s have no address of their own */
	for (unsigned i = 0; !rep.ns && i < rep.nvmcs; i++) {
		rep.vmcs[i].ref.space = NS_AS_FILE_OFFSET;
		rep.vmcs[i].ref.address = is_region(argv[optind]) ? region_offset(argv[optind]) : 0;
	}
	ns_render_doc_begin(&doc, &out, json, &ropt);
	if (fmt == NS_INPUT_VMCB) {
		struct ns_vmcb vmcb;
		struct ns_copy_ref ref = { NS_CP_REGION, NS_AS_FILE_OFFSET, region_offset(argv[optind]),
					   NS_VMCB_LAYOUT_NAME, NS_LAYOUT_BUILT_IN, "raw VMCB page" };

		ns_vmcb_from_page(&vmcb, NS_VMCB_COPY_REGION, buf, len);
		ns_render_doc_add_vmcb(&doc, &rep, &vmcb, &ref);
	} else {
		ns_render_doc_add(&doc, &rep);
	}
	ns_render_doc_end(&doc);
	free(buf);
	return 0;
}

/* ---- diff ---- */

/* One side of a diff: a blob's vmcs12, a raw vmcs12, or a hardware region. */
struct image {
	uint8_t *buf;
	size_t len;
	struct ns_nested_state ns;
	struct ns_report rep;
	struct ns_hwlayout hw;
	struct ns_vmcs vmcs;
	bool is_vmcs12, guest_mode;
	char copy[640];
	struct ns_copy_ref ref;  /* for checks/3 and diff/2; label: copy */
};

/* Where in its file a region was read: FILE@OFFSET's offset, else 0 (read_region checked the number). */

/* A blob's or a raw vmcs12's image from im->buf: its first vmcs12; false (and one error line) when it has none. */
static bool vmcs12_image(const char *spec, bool force, struct image *im)
{
	struct ns_error err;

	if (ns_decode_buffer(im->buf, im->len, NS_INPUT_AUTO, force, spec, &im->ns, &im->rep, &err)) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		return false;
	}
	if (!im->rep.nvmcs) {
		fprintf(stderr, "%s: %s holds no vmcs12\n", prog, spec);
		return false;
	}
	im->is_vmcs12 = true;
	im->guest_mode = im->rep.ns && (im->rep.ns->flags & NS_NESTED_GUEST_MODE);
	snprintf(im->copy, sizeof(im->copy), "%s (%s)", spec, im->rep.vmcs[0].vmcs.copy);
	im->vmcs = im->rep.vmcs[0].vmcs;
	im->vmcs.copy = im->copy;
	/* a blob's vmcs12 sits inside KVM_GET_NESTED_STATE's data, which has no address of its own */
	if (im->rep.ns)
		im->ref = (struct ns_copy_ref){ !strcmp(im->rep.vmcs[0].title, "shadow vmcs12") ? NS_CP_BLOB_SHADOW_VMCS12 : NS_CP_BLOB_VMCS12,
						NS_AS_NONE, 0, NS_VMCS12_LAYOUT_NAME, NS_LAYOUT_BUILT_IN, im->copy };
	else
		im->ref = (struct ns_copy_ref){ NS_CP_REGION, NS_AS_FILE_OFFSET, region_offset(spec),
						NS_VMCS12_LAYOUT_NAME, NS_LAYOUT_BUILT_IN, im->copy };
	return true;
}

static void load_image(const char *spec, const char *layout_file, bool force, struct image *im)
{
	struct ns_error err;
	uint32_t rev = 0;

	im->buf = read_region(spec, &im->len);
	if (im->len >= 4)
		memcpy(&rev, im->buf, 4);
	if ((rev & 0x7fffffff) == NS_VMCS12_REVISION || ns_nested_state_sniff(im->buf, im->len)) {
		if (!vmcs12_image(spec, force, im)) {
			free(im->buf);
			exit(EXIT_BAD_INPUT);
		}
		return;
	}
	if (!find_hw_layout(rev, layout_file, &im->hw, &err) ||
	    ns_hwvmcs_inspect(im->buf, im->len, &im->hw.layout, force, &im->rep.vmcs[0].info, &err)) {
		fprintf(stderr, "%s: %s: %s\n", prog, spec, err.msg);
		free(im->buf);
		exit(EXIT_BAD_INPUT);
	}
	snprintf(im->copy, sizeof(im->copy), "%s (hardware VMCS, layout %s, %s)", spec, im->hw.name, im->hw.origin);
	im->vmcs = (struct ns_vmcs){ &im->hw.layout, im->buf, im->len, im->copy };
	im->ref = (struct ns_copy_ref){ NS_CP_REGION, NS_AS_FILE_OFFSET, region_offset(spec), im->hw.name, im->hw.origin,
					im->copy };
}

static void usage_diff(FILE *f)
{
	fprintf(f,
		"usage: %s diff [options] A B\n"
		"\n"
		"Compare two VMCS images field by field: KVM_GET_NESTED_STATE blobs (their\n"
		"vmcs12), raw vmcs12 regions, or hardware VMCS regions (vmcs02, vmcs01) decoded\n"
		"with the layout for their revision id.  FILE@OFFSET reads a region inside a\n"
		"larger image (L1's memory, a RAM dump).  When A is a vmcs12 and B a vmcs02,\n"
		"each difference is classified: expected by construction (what KVM builds\n"
		"vmcs02 from, with the mechanism), a stale copy, or unexplained.\n"
		"With -f vmcb, A is a vmcb12 page and B its vmcb02 (AMD SVM), judged by\n"
		"what KVM's nested_vmcb02_prepare_control/_save put in vmcb02; the fields\n"
		"vmcb02 takes from vmcb01 are verified only with --vmcb01.  A migration stream\n"
		"has no vmcs02 or vmcb02 to compare with: decode and check take it.\n"
		"\n"
		"  -f, --format FMT   vmcs (default) or vmcb: raw 4 KiB VMCB pages\n"
		"      --vmcb01 FILE  with -f vmcb: L1's vmcb01 page, to verify what vmcb02 takes from it\n"
		"  -L, --layout FILE  the hardware layout of a region (else the search path)\n"
		"      --l2           the vCPU was in L2 (A's blob header says so by itself)\n"
		"      --run-pending  with -f vmcb: KVM_STATE_NESTED_RUN_PENDING, vmcb02 built for L1's VMRUN\n"
		"                     but L2 not entered yet (implies --l2)\n"
		"  -A, --all          list the expected differences too\n"
		"  -F, --force        read regions whose revision id does not match\n"
		"  -j, --json         JSON output (schema nestscope/diff/2; -f vmcb: nestscope/vmcb-diff/1)\n"
		"  -h, --help         this help\n"
		"\n"
		"Exit status: 0 no unexplained difference, 3 some, 1 bad input, 2 usage.\n",
		prog);
}

/* One VMCB page of a diff (FILE or FILE@OFFSET): both areas, or one error line. */
static void load_vmcb(const char *spec, enum ns_vmcb_copy copy, struct ns_vmcb *v, char *label, size_t lsize,
		      struct ns_copy_ref *ref)
{
	size_t len;
	uint8_t *buf = read_region(spec, &len);

	ns_vmcb_from_page(v, copy, buf, len);
	free(buf);
	if (!v->has_control || !v->has_save) {
		fprintf(stderr, "%s: %s: %zu bytes, too short for a VMCB (a %u-byte page: control area and save area)\n",
			prog, spec, len, NS_VMCB_SIZE);
		exit(EXIT_BAD_INPUT);
	}
	snprintf(label, lsize, "%s", spec);
	*ref = (struct ns_copy_ref){ NS_CP_REGION, NS_AS_FILE_OFFSET, region_offset(spec), NS_VMCB_LAYOUT_NAME,
				     NS_LAYOUT_BUILT_IN, label };
}

/*
 * Whether spec is a migration stream or libvirt save image where a command wants a page (then one error line
 * saying why): its first page is no VMCS or VMCB.  Regular files only: standard input or a FIFO would be read
 * up here (spooled) and be empty after.
 */
static bool stream_file(const char *spec, const char *why)
{
	struct ns_input in;
	struct stat st;
	bool stream;

	if (is_region(spec) || stat(spec, &st) || !S_ISREG(st.st_mode))
		return false;
	open_input(spec, &in);
	stream = is_migration_stream(&in);
	ns_input_close(&in);
	if (stream)
		fprintf(stderr, "%s: %s is a QEMU migration stream or libvirt save image: %s\n", prog, spec, why);
	return stream;
}

/* diff -f vmcb: vmcb12 (A) against vmcb02 (B), with vmcb01 when given */
static int diff_vmcb(const char *spec_a, const char *spec_b, const char *spec_01, bool l2, bool pending, bool all,
		     bool json)
{
	struct ns_vmcb_diff_context ctx = { .guest_mode = l2, .run_pending = pending };
	static struct ns_vmcb a, b, c;
	static struct ns_vmcb_diff d;
	static char la[PATH_MAX + 32], lb[PATH_MAX + 32], lc[PATH_MAX + 32];
	struct ns_copy_ref ra, rb, rc;
	struct ns_out out = ns_out_file(stdout);

	load_vmcb(spec_a, NS_VMCB_COPY_VMCB12_MEMORY, &a, la, sizeof(la), &ra);
	load_vmcb(spec_b, NS_VMCB_COPY_VMCB02, &b, lb, sizeof(lb), &rb);
	if (spec_01)
		load_vmcb(spec_01, NS_VMCB_COPY_VMCB01, &c, lc, sizeof(lc), &rc);
	ns_diff_vmcb_ctx(&a, &b, spec_01 ? &c : NULL, &ctx, &d);
	if (json)
		ns_render_vmcb_diff_json(&out, &ra, &rb, spec_01 ? &rc : NULL, &d);
	else
		ns_render_vmcb_diff_text(&out, &ra, &rb, spec_01 ? &rc : NULL, &d, all);
	return d.count[NS_DIFF_UNEXPLAINED] ? 3 : 0;
}

static int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "layout", required_argument, NULL, 'L' }, { "l2", no_argument, NULL, '2' },
		{ "all", no_argument, NULL, 'A' },          { "force", no_argument, NULL, 'F' },
		{ "json", no_argument, NULL, 'j' },         { "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' }, { "vmcb01", required_argument, NULL, '1' },
		{ "run-pending", no_argument, NULL, 'P' },  { NULL, 0, NULL, 0 },
	};
	static struct image a, b;
	static struct ns_diff d;
	const char *layout_file = NULL, *vmcb01 = NULL;
	bool all = false, json = false, force = false, l2 = false, vmcb = false, pending = false;
	struct ns_diff_context ctx = { 0 };
	struct ns_out out = ns_out_file(stdout);
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:L:AFjh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "vmcs") && strcmp(optarg, "vmcb"))
				die_usage("diff -f: '%s' is no format (vmcs or vmcb)", optarg);
			vmcb = !strcmp(optarg, "vmcb");
			break;
		case '1': vmcb01 = optarg; break;
		case 'L': layout_file = optarg; break;
		case '2': l2 = true; break;
		case 'P': pending = true; break;
		case 'A': all = true; break;
		case 'F': force = true; break;
		case 'j': json = true; break;
		case 'h': usage_diff(stdout); return 0;
		default: die_usage("%s", "bad option to diff");
		}
	}
	if (optind != argc - 2)
		die_usage("%s", "diff takes two images, A and B");
	if (vmcb01 && !vmcb)
		die_usage("%s", "diff --vmcb01 goes with -f vmcb");
	if (pending && !vmcb)
		die_usage("%s", "diff --run-pending goes with -f vmcb");
	if (vmcb && (layout_file || force))
		die_usage("%s", "diff -f vmcb reads VMCB pages: no --layout or --force");
	/* a stream's nested state has no vmcs02 or vmcb02 beside it, and its first page is no VMCS: said, not misread */
	for (const char *const *spec = (const char *const[]){ argv[optind], argv[optind + 1], vmcb01, NULL }; *spec;
	     spec++)
		if (stream_file(*spec, "diff compares VMCS or VMCB pages (decode and check take a stream)"))
			return EXIT_BAD_INPUT;
	if (vmcb)
		return diff_vmcb(argv[optind], argv[optind + 1], vmcb01, l2, pending, all, json);
	load_image(argv[optind], layout_file, force, &a);
	load_image(argv[optind + 1], layout_file, force, &b);
	ctx.vmcs12_vs_vmcs02 = a.is_vmcs12 && !b.is_vmcs12;
	ctx.guest_mode = l2 || a.guest_mode;
	ns_diff_vmcs(&a.vmcs, &b.vmcs, &ctx, &d);
	if (json)
		ns_render_diff_json(&out, &a.ref, &b.ref, NULL, &d);
	else
		ns_render_diff_text(&out, &a.ref, &b.ref, &d, all);
	free(a.buf);
	free(b.buf);
	return d.count[NS_DIFF_UNEXPLAINED] ? 3 : 0;
}

/* ---- check ---- */

static void usage_check(FILE *f)
{
	fprintf(f,
		"usage: %s check [options] FILE\n"
		"\n"
		"Run the Intel SDM's VM-entry checks on the vmcs12 in FILE (a blob, a raw\n"
		"region, FILE@OFFSET) against the VMX capabilities L1 was offered, and report\n"
		"every violation with its rule id, the offending values and the SDM section.\n"
		"On an SVM nested-state blob or a vmcb12 page (-f vmcb), run the AMD APM's\n"
		"VMRUN consistency checks (and KVM's own) instead, against L1's CPUID and\n"
		"MAXPHYADDR from -c FILE ('cpuid' and 'maxphyaddr' lines; without it the rules\n"
		"that need them are not judged).  A blob carries vmcb12's control area as KVM\n"
		"cached it but L1's own save area (vmcb01's): its save-area rules are not judged.\n"
		"On a QEMU migration stream or libvirt save image, each vCPU's nested state is\n"
		"checked as its blob would be, a report each (\"FILE: vCPU N\").\n"
		"\n"
		"  -c, --caps SOURCE  a built-in profile (%s, the default) or a caps file:\n"
		"                     MSRs by SDM name or index ('IA32_VMX_BASIC 0x...', '0x480 0x...',\n"
		"                     rdmsr-style '0x480: d81000...'), 'maxphyaddr 46',\n"
		"                     'cpuid FN IDX EAX EBX ECX EDX', 'perf_global_ctrl_reserved 0x...',\n"
		"                     'debugctl_supported 0x...', 'l1_efer 0x...'\n"
		"  -e, --entry INSN   the instruction to judge the launch state for: vmlaunch or vmresume\n"
		"  -m, --l1-memory IMG  L1's guest memory (flat, GPA 0 first) for the rules that\n"
		"                     read it: VTPR in the virtual-APIC page, the link-pointer region,\n"
		"                     the PDPTEs at guest CR3, the VM-entry MSR-load list\n"
		"      --l1-efer VALUE  L1's IA32_EFER when it ran VMLAUNCH/VMRESUME (host address-space rules)\n"
		"  -f, --format FMT   auto (default: a VMX blob or vmcs12 region, or an SVM blob)\n"
		"                     or vmcb (a raw vmcb12 page, as L1 wrote it)\n"
		"  -A, --all          list passing and not-applicable rules too (not-judged rules\n"
		"                     are always listed, with what they need)\n"
		"  -l, --list         list the rules (the SDM's, then the APM's svm.* rules)\n"
		"  -j, --json         JSON output (schema nestscope/checks/3; on a vmcb12,\n"
		"                     nestscope/svm-checks/1)\n"
		"  -h, --help         this help\n"
		"\n"
		"\n"
		"The capability MSRs a caps file names (Linux's MSR_ prefix is accepted too):\n",
		prog, ns_caps_profile_names());
	for (unsigned i = 0; i < NS_CAP_MSRS; i++)
		fprintf(f, "  0x%x %s\n", 0x480 + i, ns_caps_msr_name(i));
	fprintf(f, "\nExit status: 0 all rules pass, 3 some fail, 1 bad input, 2 usage.\n");
}

/*
 * check on AMD: a format-1 nested-state blob (its control area is vmcb12's as
 * KVM cached it at VMRUN, its save area L1's own, vmcb01's) or a raw vmcb12.
 */
static int check_svm_buffer(const uint8_t *buf, size_t len, const char *spec, bool raw_vmcb, const char *caps_src,
			    bool json, bool all)
{
	static struct ns_svm_check_report rep;
	static struct ns_vmx_caps caps;
	static struct ns_vmcb v;
	struct ns_out out = ns_out_file(stdout);
	const char *save_not_judged = NULL, *copy;
	char label[700];
	struct ns_error err;

	if (caps_src) {
		size_t n;
		char *text;

		if (ns_caps_profile(caps_src, &caps)) {
			fprintf(stderr, "%s: %s is a VMX profile: an SVM check wants a caps file of L1's CPUID\n", prog, caps_src);
			return EXIT_BAD_INPUT;
		}
		text = (char *)read_input(caps_src, &n);
		if (ns_caps_parse_svm(text, n, caps_src, &caps, &err)) {
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			free(text);
			return EXIT_BAD_INPUT;
		}
		free(text);
	}
	if (raw_vmcb) {
		if (len < NS_VMCB_SIZE) {
			fprintf(stderr, "%s: %s: %zu bytes, a vmcb12 page is %u\n", prog, spec, len, NS_VMCB_SIZE);
			return EXIT_BAD_INPUT;
		}
		ns_vmcb_from_page(&v, NS_VMCB_COPY_REGION, buf, len);
		copy = "vmcb12";
		snprintf(label, sizeof(label), "%s (vmcb12 page)", spec);
	} else {
		struct ns_nested_state ns;

		if (ns_nested_state_parse(buf, len, &ns, &err)) {
			fprintf(stderr, "%s: %s: %s\n", prog, spec, err.msg);
			return EXIT_BAD_INPUT;
		}
		if (!ns.vmcs12 || ns.vmcs12_len < NS_VMCB_SIZE) {
			fprintf(stderr, "%s: %s holds no vmcb12 (flags 0x%x, size %u): KVM saves one only in guest mode\n", prog,
				spec, ns.flags, ns.size);
			return EXIT_BAD_INPUT;
		}
		ns_vmcb_from_page(&v, NS_VMCB_COPY_BLOB, ns.vmcs12, ns.vmcs12_len);
		copy = "blob_vmcb12";
		save_not_judged = "a nested-state blob's save area is L1's own (vmcb01's), not vmcb12's: "
				  "give vmcb12's page with -f vmcb";
		snprintf(label, sizeof(label), "%s (nested-state vmcb12: KVM's cached control area)", spec);
	}
	ns_check_vmcb12(&v, caps_src ? &caps : NULL, save_not_judged, &rep);
	if (json)
		ns_render_svm_checks_json(&out, copy, label, &rep);
	else
		ns_render_svm_checks_text(&out, label, &rep, all);
	return rep.fail ? 3 : 0;
}

static int check_svm(const char *spec, bool raw_vmcb, const char *caps_src, bool json, bool all)
{
	size_t len;
	uint8_t *buf = read_region(spec, &len);
	int rc = check_svm_buffer(buf, len, spec, raw_vmcb, caps_src, json, all);

	free(buf);
	return rc;
}

/* An SVM nested-state blob (format 1), by its header */
static bool is_svm_blob(const char *spec)
{
	struct ns_nested_state ns;
	struct ns_error err;
	size_t len;
	uint8_t *buf = read_region(spec, &len);
	bool svm = ns_nested_state_sniff(buf, len) && !ns_nested_state_parse(buf, len, &ns, &err) &&
		   ns.format == NS_NESTED_FORMAT_SVM;

	free(buf);
	return svm;
}

/* check's capabilities without -c: the bundled profile of the VMX samples' L1 */
#define DEFAULT_VMX_CAPS "kvm-6.1-bochs-skylake-x"

/* The VMX capabilities a vmcs12 is checked against: a built-in profile or a caps file, and L1's EFER. */
static int vmx_caps(const char *caps_src, const char *l1_efer, struct ns_vmx_caps *caps)
{
	struct ns_error err;

	if (!ns_caps_profile(caps_src, caps)) {
		size_t n;
		char *text = (char *)read_input(caps_src, &n);
		int rc = ns_caps_parse(text, n, caps_src, caps, &err);

		free(text);
		if (rc) {
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			return EXIT_BAD_INPUT;
		}
	}
	if (l1_efer) {
		char *end;

		errno = 0;
		caps->l1_efer = strtoull(l1_efer, &end, 0);
		if (errno || end == l1_efer || *end || l1_efer[0] == '-')
			die_usage("--l1-efer takes a number, not %s", l1_efer);
		caps->have_l1_efer = true;
	}
	return 0;
}

/*
 * check on a migration stream: each vCPU's nested state, in the stream's order, as check judges a blob (the
 * APM's checks on an SVM state, the SDM's on a VMX one), a document each.  The worst status wins: 1 bad input,
 * else 3 a rule fails, else 0.
 */
static int check_migration(const struct ns_input *in, const char *caps_given, const struct ns_guest_memory *l1mem,
			   const char *l1_efer, enum ns_entry_insn insn, bool json, bool all)
{
	static struct ns_migstream m;
	static struct image im;
	static struct ns_check_report rep;
	static struct ns_vmx_caps caps;
	struct ns_out out = ns_out_file(stdout);
	struct mapped_file mf;
	bool have_caps = false;
	int status = 0;

	if (read_migration(in, &m, &mf))
		return EXIT_BAD_INPUT;
	for (size_t i = 0; i < m.nnested; i++) {
		struct ns_nested_state ns;
		struct ns_error err;
		char label[PATH_MAX + 32];
		int rc;

		migration_label(label, sizeof(label), in->name, &m.nested[i]);
		if (!ns_nested_state_parse(m.nested[i].blob, m.nested[i].len, &ns, &err) &&
		    ns.format == NS_NESTED_FORMAT_SVM) {
			if (l1mem->data || l1_efer || insn != NS_ENTRY_UNKNOWN)
				die_usage("%s", "-m, --entry and --l1-efer are for a vmcs12, not a vmcb12");
			rc = check_svm_buffer(m.nested[i].blob, m.nested[i].len, label, false, caps_given, json, all);
		} else {
			if (!have_caps && vmx_caps(caps_given ? caps_given : DEFAULT_VMX_CAPS, l1_efer, &caps)) {
				rc = EXIT_BAD_INPUT;
			} else {
				have_caps = true;
				memset(&im, 0, sizeof(im));
				im.buf = m.nested[i].blob;
				im.len = m.nested[i].len;
				if (!vmcs12_image(label, false, &im)) {
					rc = EXIT_BAD_INPUT;
				} else {
					ns_check_vmcs12_entry(&im.vmcs, &caps, l1mem, insn, &rep);
					if (json)
						ns_render_checks_json(&out, &im.ref, NULL, &rep);
					else
						ns_render_checks_text(&out, &im.ref, &rep, all);
					rc = rep.fail ? 3 : 0;
				}
			}
		}
		if (rc == EXIT_BAD_INPUT || (rc && !status))
			status = rc;
	}
	unmap_file(&mf);
	ns_migstream_free(&m);
	return status;
}

static int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "caps", required_argument, NULL, 'c' }, { "all", no_argument, NULL, 'A' },
		{ "list", no_argument, NULL, 'l' },       { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },       { "rules-markdown", no_argument, NULL, 'M' },
		{ "l1-memory", required_argument, NULL, 'm' }, { "entry", required_argument, NULL, 'e' },
		{ "l1-efer", required_argument, NULL, 'E' }, { "format", required_argument, NULL, 'f' },
		{ "svm-rules-markdown", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	static struct image im;
	bool caps_given = false, raw_vmcb = false;
	/* without -m, the rules that read L1's memory say how to give it */
	struct ns_guest_memory l1mem = { .how = "give L1's memory with -m IMAGE" };
	const char *l1_efer = NULL;
	uint8_t *l1buf = NULL;
	static struct ns_check_report rep;
	static struct ns_vmx_caps caps;
	const char *caps_src = DEFAULT_VMX_CAPS;
	enum ns_entry_insn insn = NS_ENTRY_UNKNOWN;
	bool all = false, json = false;
	struct ns_out out = ns_out_file(stdout);
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:Aljhm:e:f:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': caps_src = optarg; caps_given = true; break;
		case 'f':
			if (!strcmp(optarg, "vmcb"))
				raw_vmcb = true;
			else if (strcmp(optarg, "auto"))
				die_usage("--format takes auto or vmcb, not %s", optarg);
			break;
		case 'e':
			if (!strcmp(optarg, "vmlaunch"))
				insn = NS_ENTRY_VMLAUNCH;
			else if (!strcmp(optarg, "vmresume"))
				insn = NS_ENTRY_VMRESUME;
			else
				die_usage("--entry takes vmlaunch or vmresume, not %s", optarg);
			break;
		case 'm': {
			/* L1's guest memory as a flat image (GPA 0 at offset 0); large ones are mapped */
			int fd = open(optarg, O_RDONLY | O_CLOEXEC);
			struct stat st;

			if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
				fprintf(stderr, "%s: cannot read L1 memory image %s\n", prog, optarg);
				if (fd >= 0)
					close(fd);
				return EXIT_BAD_INPUT;
			}
			l1buf = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			close(fd);
			if (l1buf == MAP_FAILED) {
				fprintf(stderr, "%s: cannot map %s\n", prog, optarg);
				return EXIT_BAD_INPUT;
			}
			l1mem = (struct ns_guest_memory){ .data = l1buf, .len = (size_t)st.st_size };
			break;
		}
		case 'E': l1_efer = optarg; break;
		case 'A': all = true; break;
		case 'j': json = true; break;
		case 'l':
			for (size_t i = 0; i < ns_rule_count(); i++)
				printf("%-36s %s\n", ns_rule_at(i)->id, ns_rule_at(i)->text);
			for (size_t i = 0; i < ns_svm_rule_count(); i++)
				printf("%-36s %s\n", ns_svm_rule_at(i)->id, ns_svm_rule_at(i)->text);
			return 0;
		case 'S': {
			/* docs/svm-rules.md, generated from the SVM rule table */
			const char *section = "";

			printf("# The APM VMRUN checks nestscope runs on a vmcb12\n\n"
			       "Generated from `decoders/svm/checks.def` by `nestscope check --svm-rules-markdown`; do not edit.\n"
			       "Each rule has a stable id; sections are cited by their titles in the AMD64 APM vol. 2\n"
			       "(\"Canonicalization and Consistency Checks\" is in 15.5.1 \"Basic Operation\").  The APM column\n"
			       "quotes its list of VMEXIT_INVALID conditions, or, for a rule only KVM makes, the APM's\n"
			       "description of the field; the KVM column names the function in arch/x86/kvm/svm/nested.c\n"
			       "(6.1 and 7.2: the samples' Debian kernels 6.1.0-56 and 7.2.13) and where KVM differs from the APM.\n");
			for (size_t i = 0; i < ns_svm_rule_count(); i++) {
				const struct ns_svm_rule *r = ns_svm_rule_at(i);

				if (strcmp(section, r->section)) {
					section = r->section;
					printf("\n## %s\n\n| id | rule | APM | KVM | fields |\n|---|---|---|---|---|\n", section);
				}
				printf("| `%s` | %s | %s | %s | %s |\n", r->id, r->text, r->apm, r->kvm, r->fields);
			}
			printf("\n%zu rules.\n", ns_svm_rule_count());
			return 0;
		}
		case 'h': usage_check(stdout); return 0;
		case 'M': {
			/* docs/sdm-rules.md, generated from the rule table */
			const char *section = "";

			printf("# The SDM VM-entry checks nestscope runs\n\n"
			       "Generated from `decoders/sdm/checks.def` by `nestscope check --rules-markdown`; do not edit.\n"
			       "Each rule has a stable id; sections are cited by their SDM titles (Vol. 3C, \"VM Entries\").\n");
			for (size_t i = 0; i < ns_rule_count(); i++) {
				const struct ns_rule *r = ns_rule_at(i);

				if (strcmp(section, r->section)) {
					section = r->section;
					printf("\n## %s\n\n| id | rule | fields |\n|---|---|---|\n", section);
				}
				printf("| `%s` | %s | %s |\n", r->id, r->text, r->fields);
			}
			printf("\n%zu rules.\n", ns_rule_count());
			return 0;
		}
		default: die_usage("%s", "bad option to check");
		}
	}
	if (optind != argc - 1)
		die_usage("%s", "check takes one FILE");
	if (!raw_vmcb && !is_region(argv[optind])) {
		/* a migration stream or libvirt save image: each vCPU's nested state is checked as its blob would be */
		struct ns_input in;

		open_input(argv[optind], &in);
		if (is_migration_stream(&in)) {
			int rc = check_migration(&in, caps_given ? caps_src : NULL, &l1mem, l1_efer, insn, json, all);

			ns_input_close(&in);
			return rc;
		}
		ns_input_close(&in);
	}
	if (raw_vmcb && stream_file(argv[optind], "-f vmcb checks a vmcb12 page (without -f, check takes a stream)"))
		return EXIT_BAD_INPUT;
	if (raw_vmcb || is_svm_blob(argv[optind])) {
		if (l1buf || l1_efer || insn != NS_ENTRY_UNKNOWN)
			die_usage("%s", "-m, --entry and --l1-efer are for a vmcs12, not a vmcb12");
		return check_svm(argv[optind], raw_vmcb, caps_given ? caps_src : NULL, json, all);
	}
	if (vmx_caps(caps_src, l1_efer, &caps))
		return EXIT_BAD_INPUT;
	load_image(argv[optind], NULL, false, &im);
	if (!im.is_vmcs12) {
		fprintf(stderr, "%s: %s is not a vmcs12: the SDM checks run on the VMCS L1 wrote\n", prog, argv[optind]);
		free(im.buf);
		return EXIT_BAD_INPUT;
	}
	ns_check_vmcs12_entry(&im.vmcs, &caps, &l1mem, insn, &rep);
	if (json)
		ns_render_checks_json(&out, &im.ref, NULL, &rep);
	else
		ns_render_checks_text(&out, &im.ref, &rep, all);
	free(im.buf);
	if (l1buf)
		munmap(l1buf, l1mem.len);
	return rep.fail ? 3 : 0;
}

/* ---- layout ---- */

static int cmd_layout(int argc, char **argv)
{
	struct ns_out out = ns_out_file(stdout);
	struct ns_hwlayout l;
	struct ns_error err;

	if (argc == 3 && !strcmp(argv[1], "show")) {
		char *end;
		unsigned long rev = strtoul(argv[2], &end, 0);

		if (*end)
			die_usage("'%s' is not a revision id", argv[2]);
		if (!find_hw_layout((uint32_t)rev, NULL, &l, &err)) {
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			return EXIT_BAD_INPUT;
		}
		ns_hwlayout_write(&out, &l);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "check")) {
		size_t n;
		char *text = (char *)read_input(argv[2], &n);

		if (ns_hwlayout_parse(text, n, argv[2], &l, &err)) {
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			free(text);
			return EXIT_BAD_INPUT;
		}
		printf("%s: layout %s, revision 0x%x, %zu bytes, %zu slots\n", argv[2], l.name, l.layout.revision,
		       l.layout.region_size, l.layout.nslots);
		free(text);
		return 0;
	}
	fprintf(argc > 1 && strcmp(argv[1], "--help") ? stderr : stdout,
		"usage: %s layout show REVISION\n"
		"       %s layout check FILE\n"
		"\n"
		"show prints the hardware VMCS layout used for a revision id: a layout file's\n"
		"if one has that revision, else the built-in one.  check reads a layout file\n"
		"and says what it holds.  Layout files (docs/layout-format.md) are searched in\n"
		"~/.config/nestscope/layouts and the install's share/nestscope/layouts.\n"
		"\n"
		"Exit status: 0, 1 no layout for the revision or a malformed file, 2 usage.\n", prog, prog);
	return argc > 1 && !strcmp(argv[1], "--help") ? 0 : EXIT_USAGE;
}

/* ---- fields ---- */

static void usage_fields(FILE *f)
{
	fprintf(f,
		"usage: %s fields [options] [FILTER]\n"
		"\n"
		"List every VMCS field of the Intel SDM's field-encoding appendix: encoding,\n"
		"name (Linux's enum vmcs_field name, or one in its style), width, type, where\n"
		"KVM's struct vmcs12 keeps it, and the SDM's name.  FILTER matches a name or\n"
		"SDM name (case-insensitive substring) or an encoding (0x681e).\n"
		"\n"
		"  -t, --type TYPE    control, exit-info, guest or host\n"
		"      --in-vmcs12    only fields struct vmcs12 has\n"
		"      --not-in-vmcs12  only fields struct vmcs12 lacks\n"
		"      --high         also list the HIGH halves of 64-bit fields\n"
		"  -j, --json         JSON output\n"
		"  -h, --help         this help\n"
		"\n"
		"The VMCS12 column: the byte offset in struct vmcs12; 'cet@N' for the nested\n"
		"CET fields only newer kernels fill; '-' where vmcs12 has no slot.  LINUX: 'y'\n"
		"if Linux's enum vmcs_field has the name.\n",
		prog);
}

static int cmd_fields(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' }, { "in-vmcs12", no_argument, NULL, 'i' },
		{ "not-in-vmcs12", no_argument, NULL, 'n' }, { "high", no_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int type = -1, in12 = -1, c;
	bool high = false, json = false;
	const char *filter = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "t:jh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			for (type = 0; type < 4 && strcmp(optarg, ns_ftype_name((enum ns_ftype)type)); type++)
				;
			if (type == 4)
				die_usage("unknown type '%s': use control, exit-info, guest or host", optarg);
			break;
		case 'i': in12 = 1; break;
		case 'n': in12 = 0; break;
		case 'H': high = true; break;
		case 'j': json = true; break;
		case 'h': usage_fields(stdout); return 0;
		default: die_usage("%s", "bad option to fields");
		}
	}
	if (optind < argc - 1)
		die_usage("%s", "fields takes at most one FILTER");
	if (optind == argc - 1)
		filter = argv[optind];

	struct ns_fields_query q = { filter, type, in12, high };
	struct ns_out out = ns_out_file(stdout);

	if (!ns_render_fields(&out, json, &q) && filter) {
		/* (the JSON document, with no field, is on stdout even so) */
		fprintf(stderr, "%s: no VMCS field matches '%s'\n", prog, filter);
		return EXIT_BAD_INPUT;
	}
	return 0;
}

/* ---- explain ---- */

static void usage_explain(FILE *f)
{
	fprintf(f,
		"usage: %s explain [options] KIND VALUE\n"
		"\n"
		"Decode one value symbolically, e.g.\n"
		"  %s explain exit-reason 0x80000021\n"
		"  %s explain ar 0xa09b\n"
		"  %s explain exit-qual 0x12340048 --reason 30\n"
		"  %s explain GUEST_CR0 0x80000033     (a field name picks its decoder)\n"
		"  %s explain EXIT_INFO_1 0x800010 -e 0x7b   (a VMCB field of AMD SVM)\n"
		"\n"
		"  -r, --reason N     the exit reason an exit qualification belongs to\n"
		"  -i, --intr-info V  VM-exit interruption information (for exception exits)\n"
		"  -e, --exit-code N  the SVM exit code a VMCB's EXIT_INFO_1 or EXIT_INFO_2 belongs to\n"
		"  -j, --json         JSON output\n"
		"  -l, --list         list the KINDs\n"
		"  -h, --help         this help\n",
		prog, prog, prog, prog, prog, prog);
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	if (!*s || *s == '-')
		return false;
	*v = strtoull(s, &end, 0);
	return !errno && !*end;
}

static int cmd_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' }, { "intr-info", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },         { "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },         { "exit-code", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	struct ns_context ctx = { 0 };
	bool have_exit_code = false;
	uint64_t exit_code = 0;
	const struct ns_vmcb_field *vf;
	const struct ns_explain_kind *k;
	struct ns_field_ref ref;
	struct ns_decoding d;
	struct ns_out out = ns_out_file(stdout);
	bool json = false;
	uint64_t v, tmp;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:i:e:jlh", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (!parse_u64(optarg, &exit_code))
				die_usage("--exit-code wants a number, not '%s'", optarg);
			have_exit_code = true;
			break;
		case 'r':
			if (!parse_u64(optarg, &tmp) || tmp > 0xffffffffu)
				die_usage("--reason wants a 32-bit number, not '%s'", optarg);
			ctx.have_exit_reason = true;
			ctx.exit_reason = (uint32_t)tmp;
			break;
		case 'i':
			if (!parse_u64(optarg, &tmp) || tmp > 0xffffffffu)
				die_usage("--intr-info wants a 32-bit number, not '%s'", optarg);
			ctx.have_exit_intr_info = true;
			ctx.exit_intr_info = (uint32_t)tmp;
			break;
		case 'j': json = true; break;
		case 'l':
			for (size_t i = 0; i < ns_explain_kind_count(); i++)
				printf("%-18s %s\n", ns_explain_kind_at(i)->name, ns_explain_kind_at(i)->what);
			printf("%-18s %s\n", "FIELD_NAME", "any VMCS field name: its own decoder");
			printf("%-18s %s\n", "VMCB_FIELD", "any VMCB field name (INT_CTL, EXIT_INFO_1, ...): its own decoder");
			return 0;
		case 'h': usage_explain(stdout); return 0;
		default: die_usage("%s", "bad option to explain");
		}
	}
	if (optind != argc - 2)
		die_usage("%s", "explain takes KIND and VALUE");
	if (!parse_u64(argv[optind + 1], &v))
		die_usage("VALUE '%s' is not a number (decimal, 0x hex or 0 octal)", argv[optind + 1]);

	k = ns_explain_kind_find(argv[optind]);
	if (k) {
		if (k->is_capability)
			ns_explain_capability((enum ns_capability)k->decoder, v, &d);
		else if (!ns_explain((enum ns_decoder)k->decoder, v, &ctx, &d))
			d.n = 0;
	} else if (ns_field_by_name(argv[optind], &ref)) {
		if (ref.high || !ns_explain(ref.field->decoder, v, &ctx, &d))
			d.n = 0;
	} else if ((vf = ns_vmcb_field_by_name(argv[optind]))) {
		if (!ns_svm_explain(vf->decoder, v, have_exit_code, exit_code, &d))
			d.n = 0;
	} else {
		die_usage("unknown KIND '%s' (list them with 'explain --list')", argv[optind]);
	}
	if (json)
		ns_render_explain_json(&out, argv[optind], v, &d);
	else
		ns_render_explain_text(&out, v, &d);
	return 0;
}

/* ---- main ---- */

/*
 * The CLI's own commands, defined once: the dispatch in main, the listing in
 * usage() and 'nestscope help --commands' (what the build turns into one man
 * page per command, docs/man/mkman.py) all read this table.  The debugger
 * commands (kvm, vmcs12, ...) come from the core's commands.def.
 */
static const struct cli_command {
	const char *name, *operands, *summary;
	int (*run)(int argc, char **argv);
} cli_commands[] = {
	{ "decode", "FILE", "decode a KVM_GET_NESTED_STATE blob or a vmcs12 region", cmd_decode },
	{ "fields", "[FILTER]", "list the VMCS fields of the Intel SDM", cmd_fields },
	{ "explain", "KIND VALUE", "decode one value (exit reason, access rights, ...)", cmd_explain },
	{ "check", "FILE", "the SDM's VM-entry checks on a vmcs12", cmd_check },
	{ "diff", "A B", "compare two VMCS images; explain vmcs12 vs vmcs02", cmd_diff },
	{ "layout", "show|check", "hardware VMCS layouts (built in, or layout files)", cmd_layout },
	{ "triage", "DUMP", "every VM and vCPU in a kernel dump, and what is wrong", cmd_triage },
	{ "profile", "", "extract the types triage needs from debuginfo (ISF JSON)", cmd_profile },
	{ "scan", "IMAGE", "find VMCS regions in a memory image, without debuginfo", cmd_scan },
	{ "capture", "DOMAIN", "dump a running libvirt domain's memory, find and decode its VMCSs", cmd_capture },
	{ "abi", "", "a kernel's struct vmcs12 (debuginfo, profile) against the built-in table", cmd_abi },
};

#define USAGE_COLUMN 20

static void usage_line(FILE *f, const char *name, const char *operands, const char *summary)
{
	int w = fprintf(f, "  %s%s%s", name, *operands ? " " : "", operands) - 2;

	fprintf(f, "%*s %s\n", w < USAGE_COLUMN ? USAGE_COLUMN - w : 1, "", summary);
}

static void usage(FILE *f)
{
	const char *name;

	fprintf(f,
		"usage: %s COMMAND [options] ...\n"
		"\n"
		"Find, decode and judge nested-VMX state (KVM vmcs12 and nested-state blobs).\n"
		"\n"
		"commands:\n", prog);
	for (size_t i = 0; i < sizeof(cli_commands) / sizeof(cli_commands[0]); i++)
		usage_line(f, cli_commands[i].name, cli_commands[i].operands, cli_commands[i].summary);
	fprintf(f, "\nthe debugger commands on a kernel dump, as crash and gdb have them:\n");
	for (size_t i = 0; (name = ns_command_name(i)); i++) {
		const char *operand = ns_command_operand(name);
		char operands[64];

		/* the options are the command's own ('help NAME'): here only its operand, which is optional */
		snprintf(operands, sizeof(operands), *operand ? "DUMP [%s]" : "DUMP", operand);
		usage_line(f, name, operands, ns_command_summary(name));
	}
	fprintf(f,
		"\n"
		"'%s help COMMAND' describes each; 'man nestscope-COMMAND' too, 'man nestscope' has the rest.\n"
		"  -V, --version      print the version and the data directory\n",
		prog);
}

/* 'help --commands': each command's name, a tab and its summary, for the man pages */
static int list_commands(void)
{
	const char *name;

	for (size_t i = 0; i < sizeof(cli_commands) / sizeof(cli_commands[0]); i++)
		printf("%s\t%s\n", cli_commands[i].name, cli_commands[i].summary);
	for (size_t i = 0; (name = ns_command_name(i)); i++)
		printf("%s\t%s\n", name, ns_command_summary(name));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") && argc == 3 && !strcmp(argv[2], "--man")) {
		/* docs/nestscope.1's DEBUGGER COMMANDS section (tests/cli/docs_current.sh) */
		struct ns_out out = ns_out_file(stdout);

		return ns_command_help(NULL, NS_HELP_MAN, &out, NULL);
	}
	if (!strcmp(argv[1], "help") && argc == 3 && !strcmp(argv[2], "--commands"))
		return list_commands();
	if (!strcmp(argv[1], "help") && argc == 3 && ns_command_exists(argv[2])) {
		usage_debugger(stdout, argv[2]);
		return 0;
	}
	if (!strcmp(argv[1], "help") && argc == 3) {
		char *again[] = { argv[0], argv[2], (char *)"--help", NULL };

		return main(3, again);
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		/* and where this nestscope reads its data (profiles, layouts): which install it belongs to */
		printf("nestscope %s\ndata: %s\n", NESTSCOPE_VERSION, datadir());
		return 0;
	}
	for (size_t i = 0; i < sizeof(cli_commands) / sizeof(cli_commands[0]); i++)
		if (!strcmp(argv[1], cli_commands[i].name))
			return cli_commands[i].run(argc - 1, argv + 1);
	if (ns_command_exists(argv[1]))
		return cmd_debugger(argc - 1, argv + 1);
	die_usage("unknown command '%s'", argv[1]);
	return EXIT_USAGE;
}
