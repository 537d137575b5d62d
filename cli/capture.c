/*
 * nestscope capture: a running L1 guest hypervisor's memory through libvirt,
 * scanned for VMCS regions, each decoded.  Memory-only dumps come from
 * QEMU's dump-guest-memory (virDomainCoreDumpWithFormat with
 * VIR_DUMP_MEMORY_ONLY), which stops the vCPUs while it writes; --live takes
 * a live dump instead (VIR_DUMP_LIVE: QEMU's migration to a file, the guest
 * running until the last pass) and reads RAM from the migration stream.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "cli.h"
#include "nestscope/nestscope.h"
#include "render/report_doc.h"

/* libvirt prints every error by default: the command says one line instead */
static void quiet(void *data, virErrorPtr e)
{
	(void)data;
	(void)e;
}

/* One line: what failed, libvirt's reason, and what to do. */
static int libvirt_fail(const char *what, const char *uri, const char *domain)
{
	virErrorPtr e = virGetLastError();
	int code = e ? e->code : VIR_ERR_INTERNAL_ERROR;
	const char *msg = e && e->message ? e->message : "unknown error";
	const char *hint;

	switch (code) {
	case VIR_ERR_NO_CONNECT:
	case VIR_ERR_SYSTEM_ERROR:
		hint = strstr(msg, "ermission") ? "run as root or as a member of the libvirt group"
						: "is libvirtd running? start it, or name its socket: --connect "
						  "'qemu:///system?socket=PATH'";
		break;
	case VIR_ERR_AUTH_FAILED:
	case VIR_ERR_AUTH_UNAVAILABLE:
	case VIR_ERR_AUTH_CANCELLED:
	case VIR_ERR_ACCESS_DENIED:
	case VIR_ERR_OPERATION_DENIED:
		hint = "permission denied: run as root or as a member of the libvirt group, or use a read-write connection";
		break;
	case VIR_ERR_NO_DOMAIN:
		hint = "'virsh list --all' lists the domains";
		break;
	case VIR_ERR_OPERATION_INVALID:
		hint = "the domain must be running: 'virsh start' it";
		break;
	case VIR_ERR_ARGUMENT_UNSUPPORTED:
	case VIR_ERR_OPERATION_UNSUPPORTED:
	case VIR_ERR_CONFIG_UNSUPPORTED:
		hint = "this QEMU or libvirt cannot write that dump: use --format elf";
		break;
	default:
		/* an unprivileged user on the system socket: libvirt asks polkit over D-Bus */
		hint = strstr(msg, "system bus") || strstr(msg, "polkit") || strstr(msg, "ermission")
			       ? "permission denied: run as root or as a member of the libvirt group"
			       : "see libvirtd's log";
	}
	fprintf(stderr, "%s: %s%s%s on %s: %s: %s\n", prog, what, domain ? " " : "", domain ? domain : "",
		uri ? uri : "libvirt's default URI", msg, hint);
	return EXIT_BAD_INPUT;
}

/* QEMU writes kdump-compressed dumps "flattened"; makedumpfile -R makes them a file libkdumpfile reads. */
static int reassemble(const char *flat, const char *out, struct ns_error *err)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return ns_fail(err, NS_ERR_IO, "cannot run makedumpfile: %s", strerror(errno));
	if (!pid) {
		if (!freopen(flat, "rb", stdin) || !freopen("/dev/null", "w", stdout))
			_exit(127);
		execlp("makedumpfile", "makedumpfile", "-R", out, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return ns_fail(err, NS_ERR_IO,
			       "makedumpfile -R could not reassemble the kdump QEMU wrote (is makedumpfile installed?)");
	return NS_OK;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage_capture(FILE *f)
{
	fprintf(f,
		"usage: %s capture [--connect URI] DOMAIN [-o FILE] [--live] [--format elf|kdump]\n"
		"                  [--layout FILE] [--json]\n"
		"\n"
		"Takes the memory of a running L1 guest hypervisor through libvirt, finds its\n"
		"VMCS regions (vmcs12 pages where L0 is KVM, enlightened VMCSs, hardware VMCSs\n"
		"of a known layout) and AMD VMCBs (an L1 on nested SVM: its vmcb12 pages), and\n"
		"decodes each.\n"
		"\n"
		"  -c, --connect URI     libvirt URI (default: libvirt's default)\n"
		"  -o, --output FILE     keep the dump there (default: a temporary file, removed)\n"
		"  --live                a live dump: the guest runs while its memory is copied\n"
		"                        (QEMU migration to a file); the default memory-only dump\n"
		"                        stops the vCPUs while QEMU writes (about 0.1 s per 32 MiB)\n"
		"  --format elf|kdump    the memory-only dump's format (kdump: zlib-compressed,\n"
		"                        reassembled with makedumpfile -R)\n"
		"  -L, --layout FILE     also look for hardware VMCSs of that layout file\n"
		"  -j, --json            one JSON document (nestscope/capture/2): the dump, the\n"
		"                        scan, and a report per region decoded\n",
		prog);
}

enum { OPT_LIVE = 256, OPT_FORMAT };

int cmd_capture(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' }, { "output", required_argument, NULL, 'o' },
		{ "live", no_argument, NULL, OPT_LIVE },      { "format", required_argument, NULL, OPT_FORMAT },
		{ "layout", required_argument, NULL, 'L' },   { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	const char *uri = NULL, *output = NULL, *layout = NULL, *domain;
	bool live = false, kdump = false, json = false;
	char tmpdir[] = "/tmp/nestscope-capture-XXXXXX", path[4200], flat[4300];
	struct ns_out out = ns_out_file(stdout);
	struct ns_cmd_opts copt = { 0 };
	struct ns_error err;
	struct scanned sc;
	struct stat st;
	virConnectPtr conn;
	virDomainPtr dom;
	unsigned flags;
	double t0, t1;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "c:o:L:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': uri = optarg; break;
		case 'o': output = optarg; break;
		case OPT_LIVE: live = true; break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "kdump"))
				kdump = true;
			else if (strcmp(optarg, "elf"))
				die_usage("--format is elf or kdump, not '%s'", optarg);
			break;
		case 'L': layout = optarg; break;
		case 'j': json = true; break;
		case 'h': usage_capture(stdout); return 0;
		default: usage_capture(stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		die_usage("capture takes one domain");
	if (live && kdump)
		die_usage("--live writes a migration stream: --format applies to memory-only dumps");
	domain = argv[optind];
	if (!output && !mkdtemp(tmpdir)) {
		fprintf(stderr, "%s: cannot make a temporary directory: %s\n", prog, strerror(errno));
		return EXIT_BAD_INPUT;
	}
	snprintf(path, sizeof(path), "%s", output ? output : tmpdir);
	if (!output)
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s", live ? "memory.stream" : "memory.core");
	/* libvirt writes the file itself: it must be given an absolute path */
	if (path[0] != '/') {
		char cwd[4096];

		if (!getcwd(cwd, sizeof(cwd)) || strlen(cwd) + strlen(path) + 2 > sizeof(path))
			die_usage("-o: give an absolute path");
		memmove(path + strlen(cwd) + 1, path, strlen(path) + 1);
		memcpy(path, cwd, strlen(cwd));
		path[strlen(cwd)] = '/';
	}
	snprintf(flat, sizeof(flat), "%s.flat", path);

	virSetErrorFunc(NULL, quiet);
	if (!(conn = virConnectOpen(uri))) {
		rc = libvirt_fail("cannot connect to libvirt", uri, NULL);
		goto cleanup;
	}
	if (!(dom = virDomainLookupByName(conn, domain))) {
		rc = libvirt_fail("no domain", uri, domain);
		virConnectClose(conn);
		goto cleanup;
	}
	flags = live ? VIR_DUMP_LIVE : VIR_DUMP_MEMORY_ONLY;
	t0 = now();
	if (virDomainCoreDumpWithFormat(dom, kdump ? flat : path,
					kdump ? VIR_DOMAIN_CORE_DUMP_FORMAT_KDUMP_ZLIB : VIR_DOMAIN_CORE_DUMP_FORMAT_RAW,
					flags) < 0) {
		rc = libvirt_fail("dumping the memory of", uri, domain);
		virDomainFree(dom);
		virConnectClose(conn);
		goto cleanup;
	}
	t1 = now();
	virDomainFree(dom);
	virConnectClose(conn);
	if (kdump) {
		if ((rc = reassemble(flat, path, &err))) {
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			rc = EXIT_BAD_INPUT;
			goto cleanup;
		}
		unlink(flat);
	}
	if (scan_image(path, layout, 0, &sc, &err)) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, err.msg);
		scanned_close(&sc);
		rc = EXIT_BAD_INPUT;
		goto cleanup;
	}
	if (!output) {
		/* open (or read) now: gone from the file system even if this is killed */
		unlink(path);
		rmdir(tmpdir);
	}
	struct ns_capture_info ci = { domain, live ? NS_CAPTURE_LIVE : kdump ? NS_CAPTURE_KDUMP : NS_CAPTURE_ELF, t1 - t0,
				      stat(path, &st) ? 0 : (uint64_t)st.st_size, output };

	struct ns_capture_doc doc;
	struct ns_region_read *rr = malloc(sizeof(*rr));
	struct ns_vmcb *vmcb = malloc(sizeof(*vmcb));

	if (!rr || !vmcb) {
		free(rr);
		free(vmcb);
		fprintf(stderr, "%s: out of memory\n", prog);
		scanned_close(&sc);
		rc = EXIT_BAD_INPUT;
		goto cleanup;
	}
	ns_render_capture_begin(&doc, &out, json, &ci, sc.scan);
	/* each region decoded from its bytes: vmcs12s, eVMCSs and hardware VMCSs by their layouts, VMCBs by the APM's */
	for (size_t i = 0; i < sc.scan->n; i++) {
		const struct ns_scan_hit *h = &sc.scan->hit[i];
		uint8_t page[4096];
		char label[160];

		if (h->kind == NS_SCAN_REVISION_ONLY || !scanned_page(&sc, h->pa, page))
			continue;
		snprintf(label, sizeof(label), "%s: %s at guest-physical 0x%llx", domain, ns_scan_kind_name(h->kind),
			 (unsigned long long)h->pa);
		ns_render_capture_gap(&doc);
		if (h->kind == NS_SCAN_VMCB) {
			/* as decode -f vmcb: the APM's table, the page at its guest-physical address */
			struct ns_copy_ref ref = { NS_CP_REGION, NS_AS_L1_PHYS, h->pa, NS_VMCB_LAYOUT_NAME,
						   NS_LAYOUT_BUILT_IN, label };

			if (ns_decode_buffer(page, sizeof(page), NS_INPUT_VMCB, false, label, &rr->ns, &rr->r, &err)) {
				fprintf(stderr, "%s: %s: %s\n", prog, label, err.msg);
				continue;
			}
			ns_vmcb_from_page(vmcb, NS_VMCB_COPY_REGION, page, sizeof(page));
			ns_render_capture_add_vmcb(&doc, &rr->r, vmcb, &ref);
			continue;
		}
		if (ns_region_decode(page, sizeof(page), label, datadir(), &copt, rr, &err)) {
			fprintf(stderr, "%s: %s: %s\n", prog, label, err.msg);
			continue;
		}
		/* a region of the domain's memory, which is L1's physical memory (a blob's vmcs12s have no address) */
		for (unsigned k = 0; !rr->r.ns && k < rr->r.nvmcs; k++) {
			rr->r.vmcs[k].ref.space = NS_AS_L1_PHYS;
			rr->r.vmcs[k].ref.address = h->pa;
		}
		ns_render_capture_add(&doc, &rr->r);
	}
	ns_render_capture_end(&doc);
	free(rr);
	free(vmcb);
	scanned_close(&sc);
cleanup:
	if (!output) {
		unlink(path);
		unlink(flat);
		rmdir(tmpdir);
	}
	return rc;
}
