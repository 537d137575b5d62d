/*
 * nestscope for crash(8): `extend nestscope.so`, then
 *
 *   kvm [-v] [-j]                      the VMs on vm_list, and with -v their vCPUs
 *   vmcs12 [options] [VCPU]            a vCPU's vmcs12, decoded
 *   vmcs02 [VCPU], vmcs01 [VCPU]       the hardware VMCSs KVM built
 *   vmcs12-abi [-j]                    this kernel's struct vmcs12 against the built-in table
 *
 * A thin front end in the crash-gcore manner: it gives libnestscope crash's
 * memory (readmem) and types (MEMBER_OFFSET), resolved once per session, and
 * prints what the core renders.  It never writes to the target.  Errors are
 * one line (error(INFO)) and the command returns: the session goes on.
 */
#include "defs.h"

#include <stdint.h>

#include "nestscope/nestscope.h"

/* ---- the target: crash's memory and types ---- */

static bool crash_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	return readmem(addr, KVADDR, buf, (long)len, "nestscope", RETURN_ON_ERROR | QUIET);
}

static long crash_member_offset(void *ctx, const char *type, const char *member)
{
	(void)ctx;
	return MEMBER_OFFSET((char *)type, (char *)member);
}

static long crash_member_size(void *ctx, const char *type, const char *member)
{
	(void)ctx;
	return MEMBER_SIZE((char *)type, (char *)member);
}

static uint64_t crash_symbol(void *ctx, const char *name)
{
	(void)ctx;
	return symbol_exists((char *)name) ? symbol_value((char *)name) : 0;
}

static long crash_type_size(void *ctx, const char *type)
{
	(void)ctx;
	return STRUCT_SIZE((char *)type);
}

static const struct ns_target target = {
	.ctx = NULL,
	.read = crash_read,
	.member_offset = crash_member_offset,
	.member_size = crash_member_size,
	.symbol = crash_symbol,
	.type_size = crash_type_size,
};

static struct ns_session *session;

static void write_fp(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	fwrite(s, 1, n, fp);
}

static struct ns_out out_fp(void)
{
	return (struct ns_out){ write_fp, NULL };
}

#ifndef NESTSCOPE_DATADIR
#define NESTSCOPE_DATADIR "/usr/local/share/nestscope"
#endif

/* Where Debian installs kvm-intel.ko's debuginfo for the dumped kernel. */
static void debuginfo_path(char *buf, size_t n)
{
	snprintf(buf, n, "/usr/lib/debug/lib/modules/%s/kernel/arch/x86/kvm/kvm-intel.ko", kt->utsname.release);
}

/*
 * The offsets the commands need.  When kvm's or kvm_intel's types are
 * missing, load the module's debuginfo from where crash looks for it;
 * failing that, say exactly what to run.
 */
static bool ready(bool need_vmx)
{
	struct ns_error err;
	char path[PATH_MAX];
	ulong base;
	struct load_module *lm;
	int rc = ns_session_ready(session, need_vmx, &err);

	if (rc == NS_ERR_ARG && is_module_name("kvm", &base, &lm) && load_module_symbols_helper("kvm"))
		rc = ns_session_ready(session, need_vmx, &err);
	if (rc == NS_ERR_TYPES && is_module_name("kvm_intel", &base, &lm) && load_module_symbols_helper("kvm_intel"))
		rc = ns_session_ready(session, need_vmx, &err);
	if (rc == NS_ERR_TYPES) {
		debuginfo_path(path, sizeof(path));
		error(INFO, "kvm_intel's types are not loaded; run: mod -s kvm_intel %s\n", path);
		return false;
	}
	if (rc) {
		error(INFO, "%s\n", err.msg);
		return false;
	}
	return true;
}

/* A command's outcome: its one-line error, if any; the session goes on. */
static void report(int rc, const struct ns_error *err)
{
	if (rc)
		error(INFO, "%s\n", err->msg);
}

/* "--json" as crash's getopt does not know long options */
static bool take_json_flag(void)
{
	bool json = false;

	for (int i = 1; i < argcnt; i++)
		if (args[i] && !strcmp(args[i], "--json")) {
			json = true;
			for (int k = i; k < argcnt; k++)
				args[k] = args[k + 1];
			argcnt--;
			i--;
		}
	return json;
}

/* ---- kvm ---- */

static char *help_kvm[] = {
	"kvm",
	"list KVM virtual machines and their vCPUs' nested state",
	"[-v] [-j|--json]",
	"  Lists every VM on KVM's vm_list: the struct kvm address, the pid and",
	"  command of the VMM process that owns it, and its number of vCPUs.",
	"",
	"    -v  also list each vCPU: index, vcpu_vmx address, whether L2 is active",
	"        (guest mode), VMXON and the VMXON region, current_vmptr (L1's",
	"        current VMCS), the addresses of cached_vmcs12, cached_shadow_vmcs12,",
	"        vmcs01 and vmcs02 and which one is loaded, nested_run_pending, and",
	"        the last VM exit KVM handled, decoded.",
	"    -j  JSON (schema nestscope/kvm/1).",
	"",
	"  kvm_intel's debuginfo is needed for -v; nestscope loads it from where",
	"  Debian installs it, or says what to run.",
	"",
	"EXAMPLE",
	"  %s> kvm -v",
	NULL,
};

static void cmd_kvm(void)
{
	bool verbose = false, json = take_json_flag();
	struct ns_out o = out_fp();
	struct ns_error err;
	int c, rc;

	while ((c = getopt(argcnt, args, "vj")) != EOF) {
		switch (c) {
		case 'v': verbose = true; break;
		case 'j': json = true; break;
		default: argerrs++; break;
		}
	}
	if (argerrs || args[optind])
		cmd_usage(pc->curcmd, SYNOPSIS);
	if (!ready(verbose))
		return;
	rc = ns_cmd_kvm(session, verbose, json, &o, &err);
	report(rc, &err);
}

/* ---- vmcs12 ---- */

static char *help_vmcs12[] = {
	"vmcs12",
	"decode a vCPU's vmcs12 (the VMCS L1 wrote for its L2)",
	"[-a] [-r ADDR] [-s cached|shadow|memory] [-g] [-H] [-c] [-x] [-A] [-F] [-C] [-D [-L FILE]] [-j|--json] [VCPU]",
	"  Decodes KVM's software VMCS for L1 with SDM names and symbolic bits, grouped",
	"  as KVM's dump_vmcs() groups them.  VCPU is a struct kvm_vcpu or vcpu_vmx",
	"  address, or PID:INDEX; without one, the only vCPU in VMX operation.",
	"",
	"    -a  every vCPU in VMX operation that has a vmcs12.",
	"    -r ADDR  decode the vmcs12 region at kernel address ADDR.",
	"    -s  the copy: cached (KVM's nested.cached_vmcs12, the default), shadow",
	"        (nested.cached_shadow_vmcs12), or memory (L1's own region at",
	"        current_vmptr; needs the VMM's user pages in the dump).",
	"    -g -H -c -x  only the guest-state, host-state, control or VM-exit",
	"        information section (they combine); default all four.",
	"    -A  show zero fields too.",
	"    -F  decode even when the revision id is not VMCS12_REVISION.",
	"    -C  run the Intel SDM's VM-entry checks on cached_vmcs12, against the VMX",
	"        capabilities KVM offered this L1 (nested.msrs); -A lists every rule.",
	"    -D  compare cached_vmcs12 with vmcs02 field by field; each difference is",
	"        expected by construction (with the KVM mechanism), a stale copy, or",
	"        unexplained.  -A lists the expected ones too; -L FILE gives vmcs02's",
	"        hardware layout.",
	"    -j  JSON (schema nestscope/decode/1).",
	"",
	"  Every value names the copy it came from.  While the vCPU is in L2, KVM has",
	"  not yet copied L2's guest state and the VM-exit information back from",
	"  vmcs02: those sections are marked stale.",
	"",
	"EXAMPLES",
	"  %s> vmcs12 101:0",
	"  %s> vmcs12 -g -x ffff88801f2fc700",
	NULL,
};

static void cmd_vmcs12(void)
{
	struct ns_cmd_opts opt = { 0 };
	enum ns_vmcs12_copy which = NS_COPY_CACHED;
	bool all_vcpus = false, force = false, diff = false, checks = false, json = take_json_flag();
	const char *layout_file = NULL;
	char *raw = NULL;
	struct ns_out o = out_fp();
	struct ns_error err;
	int c, rc;

	while ((c = getopt(argcnt, args, "ar:s:gHcxAFjDL:C")) != EOF) {
		switch (c) {
		case 'C': checks = true; break;
		case 'D': diff = true; break;
		case 'L': layout_file = optarg; break;
		case 'a': all_vcpus = true; break;
		case 'r': raw = optarg; break;
		case 's':
			if (!strcmp(optarg, "cached"))
				which = NS_COPY_CACHED;
			else if (!strcmp(optarg, "shadow"))
				which = NS_COPY_SHADOW;
			else if (!strcmp(optarg, "memory"))
				which = NS_COPY_MEMORY;
			else
				argerrs++;
			break;
		case 'g': opt.sections |= NS_SECT_GUEST; break;
		case 'H': opt.sections |= NS_SECT_HOST; break;
		case 'c': opt.sections |= NS_SECT_CTRL; break;
		case 'x': opt.sections |= NS_SECT_EXIT; break;
		case 'A': opt.all = true; break;
		case 'F': force = true; break;
		case 'j': json = true; break;
		default: argerrs++; break;
		}
	}
	if (argerrs || (args[optind] && args[optind + 1]) || (raw && (all_vcpus || args[optind])))
		cmd_usage(pc->curcmd, SYNOPSIS);

	opt.copy = which;
	opt.force = force;
	opt.json = json;
	opt.layout_file = layout_file;
	if (raw) {
		ulong addr = htol(raw, RETURN_ON_ERROR, NULL);

		if (addr == BADADDR) {
			error(INFO, "%s: not an address\n", raw);
			return;
		}
		rc = ns_cmd_vmcs12_at(session, addr, raw, &opt, &o, &err);
	} else if (!ready(true)) {
		return;
	} else if (all_vcpus) {
		rc = ns_cmd_vmcs12_all(session, &opt, &o, &err);
	} else if (diff) {
		rc = ns_cmd_diff(session, args[optind], &opt, &o, &err);
	} else if (checks) {
		rc = ns_cmd_checks(session, args[optind], &opt, &o, &err);
	} else {
		rc = ns_cmd_vmcs12(session, args[optind], &opt, &o, &err);
	}
	report(rc, &err);
}

/* ---- vmcs02 / vmcs01 ---- */

static char *help_vmcs02[] = {
	"vmcs02",
	"show the hardware VMCS KVM built to run a vCPU's L2",
	"[-L LAYOUT_FILE] [-j] [VCPU]",
	"  Shows vmcs02: its loaded_vmcs and region addresses, and the region decoded",
	"  with the hardware layout for its revision id (layout files in",
	"  ~/.config/nestscope/layouts or the install's share/nestscope/layouts,",
	"  -L FILE, or a built-in one such as Bochs's 0x2b).  Then KVM's software",
	"  copies of its state, labelled as such: the control words",
	"  (controls_shadow), the host state KVM wrote, and, for the level the vCPU",
	"  is at, KVM's register cache (a dirty RIP reaches the VMCS only at the next",
	"  VM entry).  Without a layout, the software copies are all there is.",
	NULL,
};

static char *help_vmcs01[] = {
	"vmcs01",
	"show the hardware VMCS KVM uses to run a vCPU's L1",
	"[-L LAYOUT_FILE] [-j] [VCPU]",
	"  As vmcs02, for vmcs01 (the VMCS that runs L1).",
	NULL,
};

static void cmd_loaded_vmcs(bool is02)
{
	struct ns_cmd_opts opt = { 0 };
	struct ns_out o = out_fp();
	struct ns_error err;
	int c;

	opt.json = take_json_flag();
	while ((c = getopt(argcnt, args, "jL:")) != EOF) {
		if (c == 'j')
			opt.json = true;
		else if (c == 'L')
			opt.layout_file = optarg;
		else
			argerrs++;
	}
	if (argerrs || (args[optind] && args[optind + 1]))
		cmd_usage(pc->curcmd, SYNOPSIS);
	if (!ready(true))
		return;
	report(ns_cmd_loaded_vmcs(session, args[optind], is02, &opt, &o, &err), &err);
}

static void cmd_vmcs02(void) { cmd_loaded_vmcs(true); }
static void cmd_vmcs01(void) { cmd_loaded_vmcs(false); }

/* ---- vmcs12-abi ---- */

static char *help_vmcs12_abi[] = {
	"vmcs12-abi",
	"compare this kernel's struct vmcs12 with nestscope's built-in table",
	"[-j|--json]",
	"  struct vmcs12 is ABI (KVM_GET/SET_NESTED_STATE carry it across live",
	"  migration): offsets never move, new fields take former padding.  Each",
	"  member of nestscope's vmcs12 table, padding included, is looked up by name",
	"  in this kernel's types (kvm_intel's debuginfo) and checked at the table's",
	"  offset and size; table members an older kernel lacks are accepted where",
	"  it has padding (the nested CET fields, 680..727, before Linux 6.18).",
	"  crash answers lookups by name only: members the kernel added under names",
	"  the table does not know cannot be listed ('nestscope abi' on the",
	"  debuginfo lists them).  Ends with the verdict: compatible, or ABI BREAK.",
	"",
	"    -j  JSON (schema nestscope/abi/1).",
	"",
	"EXAMPLE",
	"  %s> vmcs12-abi",
	NULL,
};

static void cmd_vmcs12_abi(void)
{
	bool json = take_json_flag();
	struct ns_out o = out_fp();
	struct ns_error err;
	char path[PATH_MAX];
	ulong base;
	struct load_module *lm;
	int c;

	while ((c = getopt(argcnt, args, "j")) != EOF) {
		if (c == 'j')
			json = true;
		else
			argerrs++;
	}
	if (argerrs || args[optind])
		cmd_usage(pc->curcmd, SYNOPSIS);
	/* struct vmcs12 is kvm_intel's: its debuginfo, loaded as ready() does */
	if (!STRUCT_EXISTS("vmcs12") && is_module_name("kvm_intel", &base, &lm))
		load_module_symbols_helper("kvm_intel");
	if (!STRUCT_EXISTS("vmcs12")) {
		debuginfo_path(path, sizeof(path));
		error(INFO, "struct vmcs12 is not known: kvm_intel's types are not loaded; run: mod -s kvm_intel %s\n",
		      path);
		return;
	}
	report(ns_cmd_vmcs12_abi_lookup(&target, kt->utsname.release, "crash's types, looked up by name", json, NULL,
					&o, &err), &err);
}

/* ---- registration ---- */

static struct command_table_entry command_table[] = {
	{ "kvm", cmd_kvm, help_kvm, 0 },
	{ "vmcs12", cmd_vmcs12, help_vmcs12, 0 },
	{ "vmcs02", cmd_vmcs02, help_vmcs02, 0 },
	{ "vmcs01", cmd_vmcs01, help_vmcs01, 0 },
	{ "vmcs12-abi", cmd_vmcs12_abi, help_vmcs12_abi, 0 },
	{ NULL, NULL, NULL, 0 },
};

void __attribute__((constructor)) nestscope_init(void)
{
	session = ns_session_new(&target, NESTSCOPE_DATADIR);
	if (!session) {
		error(INFO, "nestscope: out of memory\n");
		return;
	}
	register_extension(command_table);
}

void __attribute__((destructor)) nestscope_fini(void)
{
	ns_session_free(session);
}
