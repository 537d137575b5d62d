/*
 * nestscope abi: a kernel's struct vmcs12 (from its debuginfo, kvm-intel.ko
 * alone, or a profile) against the built-in table.  The comparison and its
 * rendering are the core's (vmcs12_abi.c, render/abi.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "nestscope/nestscope.h"
#include "sources.h"

static void usage_abi(FILE *f)
{
	fprintf(f,
		"usage: %s abi (--debuginfo DIR [--release R] | --module [kvm_intel=]kvm-intel.ko |\n"
		"                 --profile FILE) [--json]\n"
		"\n"
		"Compare a kernel's struct vmcs12 with nestscope's built-in vmcs12 table, the\n"
		"layout decode, check, diff and triage read vmcs12 with.  struct vmcs12 is ABI\n"
		"(KVM_GET/SET_NESTED_STATE carry it across live migration): offsets never move,\n"
		"new fields take former padding.  Every table member is checked at the kernel's\n"
		"offset and size; members the kernel added in former padding are named; table\n"
		"members an older kernel lacks are compatible where it has padding (the nested\n"
		"CET fields, 680..727, are paddingl[] before Linux 6.18, under the same\n"
		"VMCS12_REVISION 0x%08x).  docs/vmcs12-abi.md has the history.\n"
		"\n"
		"  --debuginfo DIR      the kernel's -dbg package unpacked in DIR (kvm-intel.ko's\n"
		"                       DWARF is read)\n"
		"  --release R          which kernel, when DIR holds several\n"
		"  --module FILE        kvm-intel.ko with debuginfo, alone\n"
		"  --profile FILE       a profile made by '%s profile' (ISF JSON)\n"
		"  -j, --json           one JSON document (nestscope/abi/2)\n"
		"  -h, --help           this help\n"
		"\n"
		"exit status: 0 compatible, 3 an ABI break (moved, resized, overlapping or\n"
		"missing members, listed), 1 the types cannot be read or hold no struct vmcs12,\n"
		"2 usage.\n",
		prog, NS_VMCS12_REVISION, prog);
}

enum { OPT_PROFILE = 256, OPT_DEBUGINFO, OPT_MODULE, OPT_RELEASE };

/* kvm_intel=FILE, kvm-intel=FILE or FILE */
static const char *module_path(const char *arg)
{
	if (!strncmp(arg, "kvm_intel=", 10) || !strncmp(arg, "kvm-intel=", 10))
		return arg + 10;
	if (!strncmp(arg, "kvm=", 4))
		die_usage("struct vmcs12 is kvm_intel's: give --module kvm-intel.ko, not kvm.ko");
	return arg;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* struct vmcs12 from kvm-intel.ko's DWARF; the release from its vermagic. */
static int from_module(const char *path, struct ns_types *t, char *release, size_t n, struct ns_error *err)
{
	static const char *const wanted[] = { "vmcs12", NULL };
	const struct ns_tstruct *st;
	int rc;

	/* libdwarf says "no DWARF" of a file that is not there */
	if (access(path, R_OK))
		return ns_fail(err, NS_ERR_IO, "cannot read %s: %s", path, strerror(errno));
	if ((rc = ns_dwarf_load(t, path, wanted, NULL, err)))
		return rc;
	snprintf(t->origin, sizeof(t->origin), "DWARF of %s", base_name(path));
	ns_module_release(path, release, n);
	st = ns_types_find(t, "vmcs12");
	if (!st || !st->have_fields)
		return ns_fail(err, NS_ERR_ARG, "%s has no struct vmcs12 in its DWARF: give kvm-intel.ko with debuginfo",
			       path);
	return NS_OK;
}

int cmd_abi(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, OPT_PROFILE }, { "debuginfo", required_argument, NULL, OPT_DEBUGINFO },
		{ "module", required_argument, NULL, OPT_MODULE },   { "release", required_argument, NULL, OPT_RELEASE },
		{ "json", no_argument, NULL, 'j' },                  { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *profile = NULL, *debuginfo = NULL, *module = NULL, *want_release = NULL;
	char release[65] = "";
	bool json = false;
	struct ns_types types;
	struct ns_debuginfo d = { 0 };
	struct ns_error err;
	struct ns_out out = ns_out_file(stdout);
	const struct ns_tstruct *st;
	struct ns_abi_member *m = NULL;
	unsigned breaks = 0;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_PROFILE: profile = optarg; break;
		case OPT_DEBUGINFO: debuginfo = optarg; break;
		case OPT_MODULE: module = module_path(optarg); break;
		case OPT_RELEASE: want_release = optarg; break;
		case 'j': json = true; break;
		case 'h': usage_abi(stdout); return 0;
		default: usage_abi(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc)
		die_usage("abi takes no file arguments (give --debuginfo, --module or --profile)");
	if (!!profile + !!debuginfo + !!module != 1)
		die_usage("abi needs one of --debuginfo DIR, --module kvm-intel.ko or --profile FILE");
	if (want_release && !debuginfo)
		die_usage("--release picks a kernel in a --debuginfo tree");

	ns_types_init(&types);
	if (profile) {
		rc = ns_profile_read(profile, &types, &err);
		st = rc ? NULL : ns_types_find(&types, "vmcs12");
		if (!rc && (!st || !st->have_fields))
			rc = ns_fail(&err, NS_ERR_ARG, "profile %s has no members of struct vmcs12 (made by a nestscope "
				     "that did not extract them): make a new one with '%s profile --debuginfo DIR'",
				     profile, prog);
		snprintf(release, sizeof(release), "%s", types.release);
	} else if (debuginfo) {
		rc = ns_debuginfo_find(debuginfo, want_release, &d, &err);
		if (!rc)
			rc = from_module(d.kvm_intel, &types, release, sizeof(release), &err);
		ns_debuginfo_free(&d);
	} else {
		rc = from_module(module, &types, release, sizeof(release), &err);
	}
	st = rc ? NULL : ns_types_find(&types, "vmcs12");
	if (!rc && !st->complete)
		rc = ns_fail(&err, NS_ERR_ARG, "struct vmcs12 in %s has no size", types.origin);
	if (!rc && !(m = calloc(st->n ? st->n : 1, sizeof(*m))))
		rc = ns_fail(&err, NS_ERR_NOMEM, "out of memory");
	if (!rc) {
		for (size_t i = 0; i < st->n; i++)
			m[i] = (struct ns_abi_member){ st->m[i].name, st->m[i].offset, st->m[i].size };
		rc = ns_cmd_vmcs12_abi(m, st->n, st->size, release, types.origin, json, &breaks, &out, &err);
	}
	free(m);
	ns_types_free(&types);
	if (rc) {
		fprintf(stderr, "%s: %s\n", prog, err.msg);
		return EXIT_BAD_INPUT;
	}
	return breaks ? EXIT_PROBLEMS : 0;
}
