/*
 * The commands on kernel dumps: triage (every VM and vCPU, judged) and
 * profile (the types triage needs, extracted once from debuginfo); scan is
 * in scanimage.c.  Types
 * come from a profile, from debuginfo (DWARF), or from the profiles bundled
 * for known kernels, found by the dump's release.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "nestscope/nestscope.h"
#include "nestscope/types.h"
#include "sources.h"

/* Where types come from: at most one of a profile, a debuginfo tree, or files. */
struct type_opts {
	const char *profile, *debuginfo, *vmlinux, *kvm, *kvm_intel;
};

static void module_option(struct type_opts *t, const char *arg)
{
	if (!strncmp(arg, "kvm_intel=", 10) || !strncmp(arg, "kvm-intel=", 10))
		t->kvm_intel = arg + 10;
	else if (!strncmp(arg, "kvm=", 4))
		t->kvm = arg + 4;
	else
		die_usage("--module takes kvm=FILE or kvm_intel=FILE, not '%s'", arg);
}

static void check_type_opts(const struct type_opts *t)
{
	int n = !!t->profile + !!t->debuginfo + !!(t->vmlinux || t->kvm || t->kvm_intel);

	if (n > 1)
		die_usage("give one of --profile, --debuginfo, or --vmlinux with --module");
	if ((t->vmlinux || t->kvm || t->kvm_intel) && (!t->vmlinux || !t->kvm_intel))
		die_usage("--vmlinux needs --module kvm_intel=FILE (and kvm=FILE), and the other way round");
}

/* A bundled profile for release: $NESTSCOPE_PROFILES, the source tree's, the install's. */
static bool bundled_profile(const char *release, char *path, size_t n)
{
	char dir[PATH_MAX];
	const char *env = getenv("NESTSCOPE_PROFILES");
	const char *candidates[4] = { env, NULL, NULL, NULL };
	char c1[PATH_MAX + 16], c2[PATH_MAX + 32], c3[PATH_MAX + 16];

	if (exe_dir(dir, sizeof(dir))) {
		snprintf(c1, sizeof(c1), "%s/../profiles", dir);
		snprintf(c2, sizeof(c2), "%s/../share/nestscope/profiles", dir);
		candidates[1] = c1;
		candidates[2] = c2;
	}
	snprintf(c3, sizeof(c3), "%s/profiles", datadir());
	candidates[3] = c3;
	for (size_t i = 0; i < 4; i++) {
		if (!candidates[i])
			continue;
		char found[PATH_MAX];

		snprintf(path, n, "%s/%s.json", candidates[i], release);
		if (!access(path, R_OK)) {
			if (realpath(path, found))
				snprintf(path, n, "%s", found);
			return true;
		}
	}
	return false;
}

static int load_types(const struct type_opts *o, const char *release, bool force, struct ns_types *t,
		      struct ns_error *err)
{
	struct ns_debuginfo d = { 0 };
	char path[PATH_MAX + 64];
	int rc;

	if (o->profile) {
		rc = ns_profile_read(o->profile, t, err);
	} else if (o->debuginfo) {
		if ((rc = ns_debuginfo_find(o->debuginfo, release, &d, err)))
			return rc;
		rc = ns_types_from_debuginfo(t, &d, err);
		ns_debuginfo_free(&d);
	} else if (o->vmlinux) {
		d.vmlinux = (char *)o->vmlinux;
		d.kvm = (char *)o->kvm;
		d.kvm_intel = (char *)o->kvm_intel;
		rc = ns_types_from_debuginfo(t, &d, err);
	} else {
		if (!release || !*release)
			return ns_fail(err, NS_ERR_ARG, "the dump does not say its kernel release: give --profile or --debuginfo");
		if (!bundled_profile(release, path, sizeof(path)))
			return ns_fail(err, NS_ERR_ARG,
				       "no bundled profile for Linux %s: give --debuginfo DIR (the -dbg package), or make one "
				       "with 'nestscope profile' and give --profile",
				       release);
		rc = ns_profile_read(path, t, err);
	}
	if (rc)
		return rc;
	if (!force && release && *release && t->release[0] && strcmp(release, t->release))
		return ns_fail(err, NS_ERR_ARG, "the types are for Linux %s but the dump is of %s (--force to use them anyway)",
			       t->release, release);
	return NS_OK;
}

/* A dump opened with its kernel's types, and a session over it: what triage and the debugger commands read. */
struct opened {
	struct ns_dump *dump;
	struct ns_types types;
	struct ns_dump_target dt;  /* points into types: an opened stays where it was opened */
	struct ns_session *s;
};

/* False after printing why; nothing is left open then. */
static bool open_dump(const char *path, const struct type_opts *to, bool force, struct opened *op)
{
	struct ns_error err;

	if (ns_dump_open(path, true, &op->dump, &err)) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		return false;
	}
	ns_types_init(&op->types);
	if (load_types(to, ns_dump_release(op->dump), force, &op->types, &err) ||
	    ns_dump_use_types(op->dump, &op->types, &err)) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		ns_types_free(&op->types);
		ns_dump_close(op->dump);
		return false;
	}
	ns_dump_target_init(&op->dt, op->dump, &op->types);
	if (!(op->s = ns_session_new(&op->dt.t, datadir()))) {
		fprintf(stderr, "%s: out of memory\n", prog);
		ns_types_free(&op->types);
		ns_dump_close(op->dump);
		return false;
	}
	return true;
}

static void close_dump(struct opened *op)
{
	ns_session_free(op->s);
	ns_types_free(&op->types);
	ns_dump_close(op->dump);
}

static void usage_triage(FILE *f)
{
	fprintf(f,
		"usage: %s triage DUMP [--profile FILE | --debuginfo DIR | --vmlinux F --module kvm_intel=F\n"
		"                          [--module kvm=F]] [--layout FILE] [--force] [--json]\n"
		"\n"
		"Every VM and vCPU on KVM's vm_list in a kernel dump (kdump, ELF, /proc/kcore):\n"
		"its mode and nested state, vmcs12's controls, last exit, failed entry and pending\n"
		"injection, the SDM checks against the capabilities L1 was given, vmcs12 against\n"
		"vmcs02, and stale copies.  Without a type option, the profile bundled for the\n"
		"dump's kernel release is used.\n"
		"\n"
		"  --profile FILE        types from a profile ('%s profile' writes one)\n"
		"  --debuginfo DIR       types from the kernel's -dbg package unpacked in DIR\n"
		"  --vmlinux FILE        vmlinux with debug symbols, with --module NAME=FILE\n"
		"  --module NAME=FILE    kvm_intel=kvm-intel.ko, kvm=kvm.ko (with debuginfo)\n"
		"  -L, --layout FILE     a hardware VMCS layout file for vmcs02\n"
		"  -f, --force           use types made for another kernel release\n"
		"  -j, --json            one JSON document (nestscope/triage/2)\n"
		"  --html FILE           the report as one self-contained HTML file (host summary,\n"
		"                        nesting drawing, a panel per vCPU, a filter)\n"
		"\n"
		"exit status: 0 nothing wrong, 3 something wrong (problems listed), 1 the dump\n"
		"or the types cannot be read, 2 usage.\n",
		prog, prog);
}

enum { OPT_PROFILE = 256, OPT_DEBUGINFO, OPT_VMLINUX, OPT_MODULE, OPT_RELEASE, OPT_HTML };

int cmd_triage(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, OPT_PROFILE }, { "debuginfo", required_argument, NULL, OPT_DEBUGINFO },
		{ "vmlinux", required_argument, NULL, OPT_VMLINUX }, { "module", required_argument, NULL, OPT_MODULE },
		{ "layout", required_argument, NULL, 'L' },          { "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },                  { "help", no_argument, NULL, 'h' },
		{ "html", required_argument, NULL, OPT_HTML },       { NULL, 0, NULL, 0 },
	};
	const char *html = NULL;
	FILE *html_file = NULL;
	struct type_opts to = { 0 };
	struct ns_triage_info info = { 0 };
	struct ns_triage_summary sum;
	struct opened op;
	struct ns_error err;
	struct ns_out out = ns_out_file(stdout);
	bool force = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "L:fjh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_PROFILE: to.profile = optarg; break;
		case OPT_DEBUGINFO: to.debuginfo = optarg; break;
		case OPT_VMLINUX: to.vmlinux = optarg; break;
		case OPT_MODULE: module_option(&to, optarg); break;
		case 'L': info.layout_file = optarg; break;
		case 'f': force = true; break;
		case 'j': info.json = true; break;
		case OPT_HTML: html = optarg; break;
		case 'h': usage_triage(stdout); return 0;
		default: usage_triage(stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		die_usage("triage takes one dump");
	if (html && info.json)
		die_usage("--html and --json are two forms of the report: give one");
	check_type_opts(&to);
	if (!open_dump(argv[optind], &to, force, &op))
		return EXIT_BAD_INPUT;
	info.dump = argv[optind];
	info.format = ns_dump_format(op.dump);
	info.release = ns_dump_release(op.dump);
	info.types = op.types.origin;
	if (html) {
		if (!(html_file = fopen(html, "w"))) {
			fprintf(stderr, "%s: %s: %s\n", prog, html, strerror(errno));
			close_dump(&op);
			return EXIT_BAD_INPUT;
		}
		info.html = true;
		out = ns_out_file(html_file);
	}
	rc = ns_cmd_triage(op.s, &info, &out, &sum, &err);
	fflush(stdout);
	if (html_file && fclose(html_file) && !rc) {
		fprintf(stderr, "%s: %s: %s\n", prog, html, strerror(errno));
		close_dump(&op);
		return EXIT_BAD_INPUT;
	}
	if (rc && op.dt.why[0])
		fprintf(stderr, "%s: %s (%s)\n", prog, err.msg, op.dt.why);
	else if (rc)
		fprintf(stderr, "%s: %s\n", prog, err.msg);
	close_dump(&op);
	if (rc)
		return EXIT_BAD_INPUT;
	return sum.problems ? EXIT_PROBLEMS : 0;
}

/* ---- the debugger commands on a dump: the core's grammar (commands.def) ---- */

struct cli_fe {
	struct ns_dump *dump;
	const struct ns_types *types;
	const struct ns_tstruct *vmcs12;
};

static bool cli_read_phys(void *ctx, uint64_t pa, void *buf, size_t len)
{
	return ns_dump_read_phys(((struct cli_fe *)ctx)->dump, pa, buf, len);
}

/* struct vmcs12's members as the types list them (a profile may hold only their names' lookups) */
static long cli_vmcs12_members(void *ctx, struct ns_abi_member *m, size_t max, uint64_t *size)
{
	const struct ns_tstruct *st = ((struct cli_fe *)ctx)->vmcs12;
	size_t n = 0;

	if (!st || !st->complete)
		return -1;
	for (; n < st->n && n < max; n++)
		m[n] = (struct ns_abi_member){ st->m[n].name, st->m[n].offset, st->m[n].size };
	*size = st->size;
	return (long)n;
}

void usage_debugger(FILE *f, const char *cmd)
{
	struct ns_out out = ns_out_file(f);

	fprintf(f,
		"usage: %s %s [--profile FILE | --debuginfo DIR | --vmlinux F --module kvm_intel=F [--module kvm=F]]\n"
		"                 [--types-force] DUMP [ARGUMENTS]\n"
		"\n"
		"The debugger command %s on a kernel dump, as crash and gdb run it: ARGUMENTS are\n"
		"the command's own (below).  Types come from a type option or the profile\n"
		"bundled for the dump's kernel; there is no current context, so without VCPU\n"
		"the only vCPU in VMX operation is meant.  Exit status: 0, 1 an error, 2 usage.\n"
		"\n",
		prog, cmd, cmd);
	ns_command_help(cmd, NS_HELP_TEXT, &out, NULL);
}

int cmd_debugger(int argc, char **argv)
{
	struct type_opts to = { 0 };
	struct opened op;
	struct ns_error err;
	struct ns_out out = ns_out_file(stdout);
	struct cli_fe ctx = { 0 };
	struct ns_frontend fe = { .ctx = &ctx, .read_phys = cli_read_phys, .vmcs12_members = cli_vmcs12_members };
	bool force = false;
	int i = 1, rc;

	/* the type options and DUMP, then the command's own arguments, untouched */
	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage_debugger(stdout, argv[0]);
			return 0;
		} else if (!strcmp(a, "--types-force")) {
			force = true;
		} else if (i + 1 < argc && !strcmp(a, "--profile")) {
			to.profile = argv[++i];
		} else if (i + 1 < argc && !strcmp(a, "--debuginfo")) {
			to.debuginfo = argv[++i];
		} else if (i + 1 < argc && !strcmp(a, "--vmlinux")) {
			to.vmlinux = argv[++i];
		} else if (i + 1 < argc && !strcmp(a, "--module")) {
			module_option(&to, argv[++i]);
		} else {
			die_usage("%s: '%s' before DUMP is not a type option (the command's own options follow DUMP)",
				  argv[0], a);
		}
	}
	if (i >= argc)
		die_usage("%s needs a DUMP ('%s help %s')", argv[0], prog, argv[0]);
	check_type_opts(&to);
	if (!open_dump(argv[i], &to, force, &op))
		return EXIT_BAD_INPUT;
	ctx.dump = op.dump;
	ctx.types = &op.types;
	ctx.vmcs12 = ns_types_find(&op.types, "vmcs12");
	if (!ctx.vmcs12 || !ctx.vmcs12->have_fields)
		fe.vmcs12_members = NULL; /* looked up by name, as crash does */
	fe.release = ns_dump_release(op.dump);
	fe.types_origin = op.types.origin;
	/* the command line from the command's name on, DUMP left out */
	argv[i] = argv[0];
	rc = ns_command(op.s, &fe, argc - i, (const char *const *)argv + i, &out, &err);
	fflush(stdout);
	if (rc)
		fprintf(stderr, "%s: %s\n", prog, err.msg);
	close_dump(&op);
	return rc == NS_ERR_USAGE ? EXIT_USAGE : rc ? EXIT_BAD_INPUT : 0;
}

/* The type questions of the walker, answered by a type set alone (no memory). */
static bool types_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx, (void)addr, (void)buf, (void)len;
	return false;
}

static long types_member_offset(void *ctx, const char *type, const char *member)
{
	return ns_types_member_offset(ctx, type, member);
}

static long types_member_size(void *ctx, const char *type, const char *member)
{
	return ns_types_member_size(ctx, type, member);
}

static uint64_t types_symbol(void *ctx, const char *name)
{
	return ns_types_symbol(ctx, name);
}

static long types_type_size(void *ctx, const char *type)
{
	return ns_types_size(ctx, type);
}

static void usage_profile(FILE *f)
{
	fprintf(f,
		"usage: %s profile (--debuginfo DIR [--release R] | --vmlinux F --module kvm_intel=F\n"
		"                  [--module kvm=F]) [-o FILE]\n"
		"       %s profile --members-markdown\n"
		"\n"
		"Extracts the struct layouts and vmlinux symbols triage needs from a kernel's\n"
		"debuginfo into a small profile: Volatility 3's ISF JSON (docs/profile-format.md).\n"
		"\n"
		"  --debuginfo DIR     the kernel's -dbg package unpacked in DIR\n"
		"  --release R         which kernel, when DIR holds several\n"
		"  --vmlinux FILE      vmlinux with symbols, with --module NAME=FILE\n"
		"  -o, --output FILE   write there (default: standard output)\n"
		"  --members-markdown  what nestscope reads from a kernel, one row per value\n"
		"                      (the table docs/kernels.md embeds)\n",
		prog, prog);
}

int cmd_profile(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "debuginfo", required_argument, NULL, OPT_DEBUGINFO }, { "vmlinux", required_argument, NULL, OPT_VMLINUX },
		{ "module", required_argument, NULL, OPT_MODULE },       { "release", required_argument, NULL, OPT_RELEASE },
		{ "output", required_argument, NULL, 'o' },              { "help", no_argument, NULL, 'h' },
		{ "members-markdown", no_argument, NULL, 'M' },          { NULL, 0, NULL, 0 },
	};
	struct type_opts to = { 0 };
	const char *release = NULL, *output = NULL;
	struct ns_types types;
	struct ns_error err;
	FILE *f = stdout;
	int c, rc;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_DEBUGINFO: to.debuginfo = optarg; break;
		case OPT_VMLINUX: to.vmlinux = optarg; break;
		case OPT_MODULE: module_option(&to, optarg); break;
		case OPT_RELEASE: release = optarg; break;
		case 'o': output = optarg; break;
		case 'h': usage_profile(stdout); return 0;
		case 'M': {
			struct ns_out out = ns_out_file(stdout);

			ns_kernel_members_markdown(&out);
			return 0;
		}
		default: usage_profile(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc)
		die_usage("profile takes no file arguments (use --debuginfo or --vmlinux)");
	if (!to.debuginfo && !to.vmlinux)
		die_usage("profile needs --debuginfo DIR, or --vmlinux and --module");
	check_type_opts(&to);
	ns_types_init(&types);
	if ((rc = load_types(&to, release, true, &types, &err))) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		ns_types_free(&types);
		return EXIT_BAD_INPUT;
	}
	/* every required row of the kernel-members table, as the walker will ask for it */
	{
		const struct ns_target tt = { &types, types_read, types_member_offset, types_member_size, types_symbol,
					      types_type_size };

		bool svm_noted = false;

		for (int id = 0; id < NS_KM_COUNT; id++) {
			const struct ns_kernel_member *km = &ns_kernel_members[id];

			/* kvm_amd's rows: an older nested SVM is a profile for VMX hosts only, said once */
			if (km->group == NS_KMG_SVM) {
				if (km->required && !svm_noted && ns_km_resolve(&tt, (enum ns_km)id) < 0) {
					fprintf(stderr, "%s: note: kvm-amd.ko's types have no %s (kernel_members.def %s): "
						"this profile walks no AMD host's vCPUs\n", prog, km->path[0], km->id);
					svm_noted = true;
				}
				continue;
			}
			if (km->required && ns_km_resolve(&tt, (enum ns_km)id) < 0) {
				fprintf(stderr, "%s: the debuginfo has no %s (kernel_members.def %s): not a KVM/VMX host "
					"kernel, or a layout nestscope does not know\n", prog, km->path[0], km->id);
				ns_types_free(&types);
				return EXIT_BAD_INPUT;
			}
		}
	}
	if (!ns_types_symbol(&types, "modules") || !types.release[0]) {
		fprintf(stderr, "%s: vmlinux lacks the symbol 'modules' or linux_banner\n", prog);
		ns_types_free(&types);
		return EXIT_BAD_INPUT;
	}
	if (output && strcmp(output, "-") && !(f = fopen(output, "w"))) {
		fprintf(stderr, "%s: cannot write %s\n", prog, output);
		ns_types_free(&types);
		return EXIT_BAD_INPUT;
	}
	rc = ns_profile_write(&types, f, &err);
	if (f != stdout && fclose(f) && !rc)
		rc = ns_fail(&err, NS_ERR_IO, "writing %s failed", output);
	if (rc)
		fprintf(stderr, "%s: %s\n", prog, err.msg);
	ns_types_free(&types);
	return rc ? EXIT_BAD_INPUT : 0;
}
