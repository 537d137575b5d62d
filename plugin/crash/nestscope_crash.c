/*
 * nestscope for crash(8): `extend nestscope.so`, then
 *
 *   kvm [-v] [-j]                      the VMs on vm_list, and with -v their vCPUs
 *   vmcs12 [options] [VCPU]            a vCPU's vmcs12, decoded
 *   vmcs02 [VCPU], vmcs01 [VCPU]       the hardware VMCSs KVM built
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

/* Offsets, resolved once; again only while kvm_intel's types are still missing. */
static struct ns_kvm_offsets offsets;
static bool resolved;

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

/*
 * The hardware layout for a region's revision id: FILE if given (-L), else
 * the layout files in ~/.config/nestscope/layouts and the install's share
 * directory, else a built-in one.
 */
static bool find_layout(uint32_t revision, const char *file, struct ns_hwlayout *l, struct ns_error *err)
{
	return ns_hwlayout_lookup(revision, file, NESTSCOPE_DATADIR, l, err) == NS_OK;
}

/* Where Debian installs kvm-intel.ko's debuginfo for the dumped kernel. */
static void debuginfo_path(char *buf, size_t n)
{
	snprintf(buf, n, "/usr/lib/debug/lib/modules/%s/kernel/arch/x86/kvm/kvm-intel.ko", kt->utsname.release);
}

/*
 * The offsets the commands need.  When kvm_intel's types are missing, load
 * its debuginfo from where crash looks for it; failing that, say exactly
 * what to run.
 */
static bool ready(bool need_vmx)
{
	struct ns_error err;
	char path[PATH_MAX];

	if (resolved && (offsets.have_vmx || !need_vmx))
		return true;
	if (ns_kvm_offsets_resolve(&target, &offsets, &err) == NS_OK && !offsets.have_vmx && need_vmx) {
		ulong base;
		struct load_module *lm;

		if (is_module_name("kvm_intel", &base, &lm) && load_module_symbols_helper("kvm_intel"))
			ns_kvm_offsets_resolve(&target, &offsets, &err);
	} else if (err.code == NS_ERR_ARG && !offsets.have_vmx) {
		/* struct kvm itself unknown: kvm's debuginfo is missing too */
		ulong base;
		struct load_module *lm;

		if (is_module_name("kvm", &base, &lm) && load_module_symbols_helper("kvm"))
			ns_kvm_offsets_resolve(&target, &offsets, &err);
	}
	if (offsets.kvm_vm_list < 0) {
		error(INFO, "%s\n", err.msg);
		return false;
	}
	resolved = true;
	if (need_vmx && !offsets.have_vmx) {
		debuginfo_path(path, sizeof(path));
		error(INFO, "kvm_intel's types are not loaded; run: mod -s kvm_intel %s\n", path);
		return false;
	}
	return true;
}

/* ---- finding VMs and vCPUs ---- */

static struct ns_vm vms[NS_MAX_VMS];
static struct ns_vcpu vcpus[4096];

static bool walk(size_t *nvms, size_t *nvcpus)
{
	struct ns_error err;

	*nvcpus = 0;
	if (ns_kvm_vms(&target, &offsets, vms, NS_MAX_VMS, nvms, &err)) {
		error(INFO, "%s\n", err.msg);
		return false;
	}
	for (size_t i = 0; i < *nvms; i++) {
		size_t n = 0;

		if (ns_kvm_vcpus(&target, &offsets, &vms[i], vcpus + *nvcpus,
				 sizeof(vcpus) / sizeof(vcpus[0]) - *nvcpus, &n, &err)) {
			error(INFO, "%s\n", err.msg);
			return false;
		}
		*nvcpus += n;
	}
	return true;
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
	size_t nvms, nvcpus;
	struct ns_out o = out_fp();
	int c;

	while ((c = getopt(argcnt, args, "vj")) != EOF) {
		switch (c) {
		case 'v': verbose = true; break;
		case 'j': json = true; break;
		default: argerrs++; break;
		}
	}
	if (argerrs || args[optind])
		cmd_usage(pc->curcmd, SYNOPSIS);
	if (!ready(verbose) || !walk(&nvms, &nvcpus))
		return;
	if (json)
		ns_render_kvm_json(&o, vms, nvms, vcpus, nvcpus, verbose);
	else
		ns_render_kvm_text(&o, vms, nvms, vcpus, nvcpus, verbose);
}

/* ---- choosing a vCPU ---- */

/*
 * VCPU: a struct kvm_vcpu or vcpu_vmx address, or PID:INDEX.  With none,
 * the one vCPU in VMX operation, if there is exactly one.
 */
static bool pick_vcpu(const char *spec, struct ns_vcpu *v)
{
	size_t nvms, nvcpus, found = 0;
	struct ns_error err;

	if (!walk(&nvms, &nvcpus))
		return false;
	if (!spec) {
		for (size_t i = 0; i < nvcpus; i++)
			if (vcpus[i].vmxon) {
				*v = vcpus[i];
				found++;
			}
		if (found == 1)
			return true;
		error(INFO, "%s: name a vCPU (PID:INDEX or an address; 'kvm -v' lists them)\n",
		      found ? "several vCPUs are in VMX operation" : "no vCPU is in VMX operation");
		return false;
	}
	if (strchr(spec, ':')) {
		long pid = strtol(spec, NULL, 10);
		unsigned long idx = strtoul(strchr(spec, ':') + 1, NULL, 10);

		for (size_t i = 0; i < nvcpus; i++)
			if (vcpus[i].pid == pid && vcpus[i].idx == idx) {
				*v = vcpus[i];
				return true;
			}
		error(INFO, "no vCPU %lu in a VM of pid %ld ('kvm -v' lists them)\n", idx, pid);
		return false;
	}
	if (!hexadecimal((char *)spec, 0)) {
		error(INFO, "%s: not a vCPU address nor PID:INDEX\n", spec);
		return false;
	}
	ulong addr = htol((char *)spec, RETURN_ON_ERROR, NULL);
	for (size_t i = 0; i < nvcpus; i++)
		if (vcpus[i].vcpu == addr || vcpus[i].vmx == addr) {
			*v = vcpus[i];
			return true;
		}
	/* not on vm_list (a VM being created or destroyed?): read it as a vCPU anyway */
	if (ns_kvm_vcpu_read(&target, &offsets, addr, v, &err)) {
		error(INFO, "%s\n", err.msg);
		return false;
	}
	error(INFO, "note: 0x%lx is not a vCPU of any VM on vm_list; reading it as a struct kvm_vcpu\n", addr);
	v->pid = -1;
	return true;
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

static void print_report(const struct ns_report *r, const struct ns_render_opts *ro, bool json)
{
	struct ns_out o = out_fp();

	if (json)
		ns_render_json(&o, r, ro);
	else
		ns_render_text(&o, r, ro);
}

static void show_vcpu_vmcs12(const struct ns_vcpu *v, enum ns_vmcs12_copy which, bool force,
			     const struct ns_render_opts *ro, bool json)
{
	static uint8_t region[NS_VMCS12_REGION_SIZE];
	static struct ns_vcpu_report vr;
	struct ns_error err;
	uint64_t addr = which == NS_COPY_SHADOW ? v->cached_shadow_vmcs12 : v->cached_vmcs12;

	if (which == NS_COPY_MEMORY) {
		uint64_t hva;

		/* L1's region at current_vmptr: GPA -> the VMM's HVA -> its page */
		if (!v->vmxon || v->current_vmptr == ~0ull) {
			error(INFO, "vCPU %u of pid %d has no current VMCS in L1\n", v->idx, v->pid);
			return;
		}
		if (ns_kvm_gpa_to_hva(&target, &offsets, v->kvm, v->current_vmptr, &hva, &err) ||
		    ns_kvm_read_user(&target, &offsets, v->kvm, hva, region, sizeof(region), &err)) {
			error(INFO, "L1's vmcs12 at GPA 0x%llx (vCPU %u, pid %d): %s\n",
			      (unsigned long long)v->current_vmptr, v->idx, v->pid, err.msg);
			return;
		}
		if (ns_decode_vcpu_vmcs12(region, sizeof(region), hva, v, which, force, &vr, &err)) {
			error(INFO, "%s: %s\n", vr.copy, err.msg);
			return;
		}
		print_report(&vr.r, ro, json);
		return;
	}
	if (!addr) {
		error(INFO, "vCPU %u of pid %d has no %s\n", v->idx, v->pid,
		      which == NS_COPY_SHADOW ? "cached_shadow_vmcs12" : "cached_vmcs12 (L1 never ran VMXON)");
		return;
	}
	if (!crash_read(NULL, addr, region, sizeof(region))) {
		error(INFO, "vmcs12 at 0x%llx cannot be read from this dump\n", (unsigned long long)addr);
		return;
	}
	if (ns_decode_vcpu_vmcs12(region, sizeof(region), addr, v, which, force, &vr, &err)) {
		error(INFO, "%s: %s\n", vr.copy, err.msg);
		return;
	}
	print_report(&vr.r, ro, json);
}

static bool decode_hw_region(const struct ns_vcpu *v, uint64_t region, const char *name, const char *layout_file,
			     struct ns_report *rep, struct ns_error *err);

/* Reads and decodes a vCPU's cached_vmcs12 into vr (region: its 4 KiB buffer). */
static bool read_cached_vmcs12(const struct ns_vcpu *v, uint8_t *region, struct ns_vcpu_report *vr)
{
	struct ns_error err;

	if (!v->cached_vmcs12 || !crash_read(NULL, v->cached_vmcs12, region, NS_VMCS12_REGION_SIZE) ||
	    ns_decode_vcpu_vmcs12(region, NS_VMCS12_REGION_SIZE, v->cached_vmcs12, v, NS_COPY_CACHED, false, vr, &err)) {
		error(INFO, "vCPU %u of pid %d: its cached_vmcs12 cannot be read\n", v->idx, v->pid);
		return false;
	}
	return true;
}

/* vmcs12 -D: the vCPU's cached_vmcs12 against its vmcs02, each difference explained. */
static void show_vcpu_diff(const struct ns_vcpu *v, const char *layout_file, bool all, bool json)
{
	static uint8_t region[NS_VMCS12_REGION_SIZE];
	static struct ns_vcpu_report vr;
	static struct ns_report rep02;
	static struct ns_diff d;
	struct ns_diff_context ctx = { .vmcs12_vs_vmcs02 = true, .guest_mode = v->guest_mode };
	struct ns_reg_cache rc;
	struct ns_error err;
	struct ns_out o = out_fp();

	if (!read_cached_vmcs12(v, region, &vr))
		return;
	if (!decode_hw_region(v, v->vmcs02, "vmcs02", layout_file, &rep02, &err)) {
		error(INFO, "vCPU %u of pid %d: %s\n", v->idx, v->pid, err.msg);
		return;
	}
	/* while in L2, KVM's register cache may hold a RIP/RSP vmcs02 does not have yet */
	if (v->guest_mode && ns_kvm_reg_cache(&target, &offsets, v->vcpu, &rc, &err) == NS_OK && rc.have) {
		ctx.rip_dirty = rc.rip_dirty;
		ctx.rsp_dirty = rc.rsp_dirty;
	}
	ns_diff_vmcs(&vr.r.vmcs[0].vmcs, &rep02.vmcs[0].vmcs, &ctx, &d);
	if (json)
		ns_render_diff_json(&o, &vr.r.vmcs[0].vmcs, &rep02.vmcs[0].vmcs, &d);
	else
		ns_render_diff_text(&o, &vr.r.vmcs[0].vmcs, &rep02.vmcs[0].vmcs, &d, all);
}

/* vmcs12 -C: the SDM's VM-entry checks, against what KVM offered this L1 (nested.msrs). */
static void show_vcpu_checks(const struct ns_vcpu *v, bool all, bool json)
{
	static uint8_t region[NS_VMCS12_REGION_SIZE];
	static struct ns_vcpu_report vr;
	static struct ns_check_report rep;
	static struct ns_vmx_caps caps;
	struct ns_error err;
	struct ns_out o = out_fp();

	if (!read_cached_vmcs12(v, region, &vr))
		return;
	if (ns_kvm_nested_caps(&target, &offsets, v, &caps, &err)) {
		error(INFO, "%s\n", err.msg);
		return;
	}
	ns_check_vmcs12(&vr.r.vmcs[0].vmcs, &caps, NULL, &rep);
	if (json)
		ns_render_checks_json(&o, vr.copy, &rep);
	else
		ns_render_checks_text(&o, vr.copy, &rep, all);
}

static void cmd_vmcs12(void)
{
	struct ns_render_opts ro = { 0, false };
	enum ns_vmcs12_copy which = NS_COPY_CACHED;
	bool all_vcpus = false, force = false, diff = false, checks = false, json = take_json_flag();
	const char *layout_file = NULL;
	char *raw = NULL;
	struct ns_vcpu v;
	int c;

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
		case 'g': ro.sections |= NS_SECT_GUEST; break;
		case 'H': ro.sections |= NS_SECT_HOST; break;
		case 'c': ro.sections |= NS_SECT_CTRL; break;
		case 'x': ro.sections |= NS_SECT_EXIT; break;
		case 'A': ro.all = true; break;
		case 'F': force = true; break;
		case 'j': json = true; break;
		default: argerrs++; break;
		}
	}
	if (argerrs || (args[optind] && args[optind + 1]) || (raw && (all_vcpus || args[optind])))
		cmd_usage(pc->curcmd, SYNOPSIS);
	if (!ro.sections)
		ro.sections = NS_SECT_ALL;

	if (raw) {
		static uint8_t region[NS_VMCS12_REGION_SIZE];
		static struct ns_nested_state ns;
		static struct ns_report r;
		struct ns_error err;
		ulong addr = htol(raw, RETURN_ON_ERROR, NULL);

		if (addr == BADADDR || !crash_read(NULL, addr, region, sizeof(region))) {
			error(INFO, "%s: cannot read a 4 KiB region there\n", raw);
			return;
		}
		if (ns_decode_buffer(region, sizeof(region), NS_INPUT_VMCS12, force, raw, &ns, &r, &err)) {
			error(INFO, "%s\n", err.msg);
			return;
		}
		print_report(&r, &ro, json);
		return;
	}
	if (!ready(true))
		return;
	if (all_vcpus) {
		size_t nvms, nvcpus, shown = 0;

		if (!walk(&nvms, &nvcpus))
			return;
		for (size_t i = 0; i < nvcpus; i++) {
			if (!vcpus[i].vmxon || !vcpus[i].cached_vmcs12 || vcpus[i].current_vmptr == ~0ull)
				continue;
			v = vcpus[i];
			show_vcpu_vmcs12(&v, which, force, &ro, json);
			shown++;
		}
		if (!shown)
			fprintf(fp, "no vCPU in VMX operation has a current vmcs12\n");
		return;
	}
	if (!pick_vcpu(args[optind], &v))
		return;
	if (diff)
		show_vcpu_diff(&v, layout_file, ro.all, json);
	else if (checks)
		show_vcpu_checks(&v, ro.all, json);
	else
		show_vcpu_vmcs12(&v, which, force, &ro, json);
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

/*
 * Reads and decodes a hardware VMCS region with the layout for its revision
 * id.  Fills rep (pointing into static buffers) and returns true when a
 * layout is known; otherwise says why in err.
 */
static bool decode_hw_region(const struct ns_vcpu *v, uint64_t region, const char *name, const char *layout_file,
			     struct ns_report *rep, struct ns_error *err)
{
	static uint8_t buf[2][4096];
	static struct ns_hwlayout hw[2];
	static char copy[2][256], source[2][128];
	static int which;
	struct ns_decoded_vmcs *dv = &rep->vmcs[0];
	uint32_t rev;

	which ^= 1; /* two regions may be alive at once (a diff) */
	memset(rep, 0, sizeof(*rep));
	if (!region || !crash_read(NULL, region, buf[which], sizeof(buf[which]))) {
		ns_fail(err, NS_ERR_IO, "the %s region at 0x%llx cannot be read from this dump", name,
			(unsigned long long)region);
		return false;
	}
	memcpy(&rev, buf[which], 4);
	if (!find_layout(rev, layout_file, &hw[which], err) ||
	    ns_hwvmcs_inspect(buf[which], sizeof(buf[which]), &hw[which].layout, false, &dv->info, err))
		return false;
	snprintf(copy[which], sizeof(copy[which]), "%s region 0x%llx (layout %s, %s)", name, (unsigned long long)region,
		 hw[which].name, hw[which].origin);
	snprintf(source[which], sizeof(source[which]), "vCPU %u of pid %d (vcpu_vmx 0x%llx)", v->idx, v->pid,
		 (unsigned long long)v->vmx);
	rep->source = source[which];
	rep->format = name;
	dv->title = name;
	dv->vmcs = (struct ns_vmcs){ &hw[which].layout, buf[which], sizeof(buf[which]), copy[which] };
	rep->nvmcs = 1;
	return true;
}

static void show_loaded_vmcs(const struct ns_vcpu *v, bool is02, bool json, const char *layout_file)
{
	uint64_t lv = is02 ? v->vmcs02_loaded_vmcs : v->vmcs01_loaded_vmcs, region = is02 ? v->vmcs02 : v->vmcs01;
	struct ns_controls_shadow cs;
	struct ns_error err;
	uint32_t hdr[2] = { 0, 0 };
	bool have_region = region && crash_read(NULL, region, hdr, sizeof(hdr));
	const char *name = is02 ? "vmcs02" : "vmcs01";
	static const struct { uint16_t enc; const char *what; } rows[] = {
		{ 0x4000, "pin" }, { 0x4002, "exec" }, { 0x401e, "secondary_exec" },
		{ 0x400c, "vm_exit" }, { 0x4012, "vm_entry" },
	};
	uint32_t vals[5];
	struct ns_out o = out_fp();
	struct ns_reg_cache rc = { 0 };
	struct ns_host_state hs;
	/* the register cache belongs to the level the vCPU is at: vmcs02's while in L2 */
	bool current = is02 == v->guest_mode;

	static struct ns_report rep;
	struct ns_error lerr;
	struct ns_render_opts ro = { NS_SECT_ALL, false };
	bool decoded;

	if (ns_kvm_controls_shadow(&target, &offsets, lv, &cs, &err) ||
	    ns_kvm_host_state(&target, &offsets, lv, &hs, &err) ||
	    (current && ns_kvm_reg_cache(&target, &offsets, v->vcpu, &rc, &err))) {
		error(INFO, "%s\n", err.msg);
		return;
	}
	decoded = decode_hw_region(v, region, name, layout_file, &rep, &lerr);
	if (decoded && json)
		ns_render_json(&o, &rep, &ro);
	vals[0] = cs.pin;
	vals[1] = cs.exec;
	vals[2] = cs.secondary_exec;
	vals[3] = cs.vm_exit;
	vals[4] = cs.vm_entry;
	if (json) {
		fprintf(fp, "{\"schema\":\"nestscope/loaded-vmcs/1\",\"vmcs\":\"%s\",\"vcpu_vmx\":\"0x%llx\","
			"\"loaded_vmcs\":\"0x%llx\",\"region\":\"0x%llx\",\"revision_id\":%s%x%s,\"abort\":%u,"
			"\"loaded\":%s,\"source\":\"controls_shadow (KVM's software copy)\",\"controls\":{",
			name, (unsigned long long)v->vmx, (unsigned long long)lv, (unsigned long long)region,
			have_region ? "\"0x" : "", have_region ? hdr[0] & 0x7fffffff : 0, have_region ? "\"" : "null",
			hdr[1], v->loaded_vmcs == lv ? "true" : "false");
		for (size_t i = 0; cs.have && i < 5; i++)
			fprintf(fp, "%s\"%s\":\"0x%x\"", i ? "," : "", rows[i].what, vals[i]);
		fprintf(fp, "},\"register_cache\":");
		if (rc.have)
			fprintf(fp, "{\"level\":\"%s\",\"rip\":\"0x%llx\",\"rip_dirty\":%s,\"rsp\":\"0x%llx\",\"rsp_dirty\":%s}",
				v->guest_mode ? "L2" : "L1", (unsigned long long)rc.rip, rc.rip_dirty ? "true" : "false",
				(unsigned long long)rc.rsp, rc.rsp_dirty ? "true" : "false");
		else
			fprintf(fp, "null");
		fprintf(fp, ",\"host_state\":");
		if (hs.have)
			fprintf(fp, "{\"cr3\":\"0x%llx\",\"cr4\":\"0x%llx\",\"rsp\":\"0x%llx\",\"fs_base\":\"0x%llx\","
				"\"gs_base\":\"0x%llx\"}", (unsigned long long)hs.cr3, (unsigned long long)hs.cr4,
				(unsigned long long)hs.rsp, (unsigned long long)hs.fs_base, (unsigned long long)hs.gs_base);
		else
			fprintf(fp, "null");
		fprintf(fp, "}\n");
		return;
	}
	fprintf(fp, "%s of vCPU %u (pid %d): loaded_vmcs %016llx  region %016llx%s\n", name, v->idx, v->pid,
		(unsigned long long)lv, (unsigned long long)region, v->loaded_vmcs == lv ? "  (loaded)" : "");
	if (have_region)
		fprintf(fp, "  revision id 0x%x%s, abort indicator %u\n", hdr[0] & 0x7fffffff,
			hdr[0] >> 31 ? " (shadow)" : "", hdr[1]);
	else
		fprintf(fp, "  the region cannot be read from this dump\n");
	if (decoded) {
		ns_render_text(&o, &rep, &ro);
		fprintf(fp, "\nKVM's software copies of this VMCS's state (independent of the layout):\n");
	} else {
		fprintf(fp, "  %s\n  The region's field layout is the CPU's own (undocumented); below are KVM's\n"
			    "  software copies of its controls (loaded_vmcs.controls_shadow).\n", lerr.msg);
	}
	if (!cs.have) {
		fprintf(fp, "  this kernel keeps no controls_shadow\n");
		return;
	}
	for (size_t i = 0; i < 5; i++) {
		struct ns_field_ref ref;
		struct ns_context ctx = { 0 };

		if (ns_field_lookup(rows[i].enc, &ref))
			ns_render_field_line(&o, ref.field, false, vals[i], &ctx);
	}
	if (cs.have_tertiary && cs.tertiary_exec) {
		struct ns_field_ref ref;
		struct ns_context ctx = { 0 };

		if (ns_field_lookup(0x2034, &ref))
			ns_render_field_line(&o, ref.field, false, cs.tertiary_exec, &ctx);
	}
	if (hs.have)
		fprintf(fp, "  host state KVM last wrote here (loaded_vmcs.host_state, L0's own):\n"
			    "    CR3 0x%llx  CR4 0x%llx  RSP 0x%llx  FS base 0x%llx  GS base 0x%llx\n",
			(unsigned long long)hs.cr3, (unsigned long long)hs.cr4, (unsigned long long)hs.rsp,
			(unsigned long long)hs.fs_base, (unsigned long long)hs.gs_base);
	if (rc.have)
		fprintf(fp, "  KVM's register cache (vcpu->arch.regs: %s's, the level the vCPU is at):\n"
			    "    RIP 0x%llx%s  RSP 0x%llx%s\n",
			v->guest_mode ? "L2" : "L1", (unsigned long long)rc.rip,
			rc.rip_dirty ? " (dirty: KVM writes it into this VMCS at the next VM entry)"
			: rc.rip_avail ? " (read from this VMCS)" : " (not cached: the VMCS has it)",
			(unsigned long long)rc.rsp, rc.rsp_dirty ? " (dirty)" : "");
}

static void cmd_loaded_vmcs(bool is02)
{
	bool json = take_json_flag();
	const char *layout_file = NULL;
	struct ns_vcpu v;
	int c;

	while ((c = getopt(argcnt, args, "jL:")) != EOF) {
		if (c == 'j')
			json = true;
		else if (c == 'L')
			layout_file = optarg;
		else
			argerrs++;
	}
	if (argerrs || (args[optind] && args[optind + 1]))
		cmd_usage(pc->curcmd, SYNOPSIS);
	if (!ready(true) || !pick_vcpu(args[optind], &v))
		return;
	show_loaded_vmcs(&v, is02, json, layout_file);
}

static void cmd_vmcs02(void) { cmd_loaded_vmcs(true); }
static void cmd_vmcs01(void) { cmd_loaded_vmcs(false); }

/* ---- registration ---- */

static struct command_table_entry command_table[] = {
	{ "kvm", cmd_kvm, help_kvm, 0 },
	{ "vmcs12", cmd_vmcs12, help_vmcs12, 0 },
	{ "vmcs02", cmd_vmcs02, help_vmcs02, 0 },
	{ "vmcs01", cmd_vmcs01, help_vmcs01, 0 },
	{ NULL, NULL, NULL, 0 },
};

void __attribute__((constructor)) nestscope_init(void)
{
	register_extension(command_table);
}

void __attribute__((destructor)) nestscope_fini(void)
{
}
