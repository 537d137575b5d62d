/*
 * The kernel-members table against the types of real kernels (the bundled
 * profiles, made from Debian's -dbg packages of 5.10, 6.1 and 7.2): every
 * required row resolves, and the path that resolves is the one the kernel's
 * history says (vcpus[] before 5.16, vcpu_array after; exit_reason in
 * vcpu_vmx before 6.16, in vcpu_vt after; nested_run_pending in nested_vmx
 * before 7.x, in kvm_vcpu.arch after; kvm_arch.vm_type from 6.8).  A kernel
 * that lacks a required member is refused by name; one without the eVMCS
 * members (CONFIG_KVM_HYPERV=n) is not.  The walk of a TDX VM and
 * the guest-mode cross-check run on a small memory image built here from the
 * 7.2 offsets: no TDX host or inconsistent KVM can be made in this project's
 * Bochs machine, so that memory stands in for one, and says so.
 */
#include "nestscope/locate.h"
#include "nestscope/types.h"
#include "testutil.h"

struct fake {
	struct ns_types *types;
	/* a sparse memory: a few 16 KiB blocks at kernel addresses */
	uint64_t base[4];
	uint8_t mem[4][16384];
	int nblocks;
	uint64_t vm_list, banner;
};

static bool f_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake *f = ctx;

	for (int i = 0; i < f->nblocks; i++)
		if (addr >= f->base[i] && addr + len <= f->base[i] + sizeof(f->mem[0])) {
			memcpy(buf, f->mem[i] + (addr - f->base[i]), len);
			return true;
		}
	return false;
}

static long f_member_offset(void *ctx, const char *type, const char *member)
{
	return ns_types_member_offset(((struct fake *)ctx)->types, type, member);
}

static long f_member_size(void *ctx, const char *type, const char *member)
{
	return ns_types_member_size(((struct fake *)ctx)->types, type, member);
}

static uint64_t f_symbol(void *ctx, const char *name)
{
	struct fake *f = ctx;

	return !strcmp(name, "vm_list") ? f->vm_list : !strcmp(name, "linux_banner") ? f->banner : 0;
}

static long f_type_size(void *ctx, const char *type)
{
	return ns_types_size(((struct fake *)ctx)->types, type);
}

static void load(const char *release, struct ns_types *t)
{
	char rel[128];
	size_t len;
	char *text;
	struct ns_error err;

	snprintf(rel, sizeof(rel), "profiles/%s.json", release);
	text = (char *)test_slurp(rel, &len);
	ns_types_init(t);
	assert_int_equal(ns_profile_parse(text, len, rel, t, &err), NS_OK);
	free(text);
}

static struct ns_target target(struct fake *f)
{
	return (struct ns_target){ f, f_read, f_member_offset, f_member_size, f_symbol, f_type_size };
}

/* A kernel's types (its bundled profile) over an empty fake memory, and what resolving them gives. */
struct kernel {
	struct ns_types t;
	struct fake f;
	struct ns_target tt;
	struct ns_kvm_offsets o;
	struct ns_error err;
};

static struct kernel *kernel_open(const char *release)
{
	struct kernel *k = calloc(1, sizeof(*k));

	assert_non_null(k);
	load(release, &k->t);
	k->f.types = &k->t;
	k->tt = target(&k->f);
	return k;
}

static void kernel_close(struct kernel *k)
{
	ns_types_free(&k->t);
	free(k);
}

/* The newest bundled kernel: the tests that change its types or build its memory start from it. */
static int open_7_2(void **state)
{
	*state = kernel_open("7.2.13+deb14-amd64");
	return 0;
}

static int close_kernel(void **state)
{
	kernel_close(*state);
	return 0;
}

static void each_kernel_resolves_its_own_paths(void **state)
{
	static const struct {
		const char *release;
		bool xarray, vm_type;
		short exit_reason_alt, run_pending_alt;
	} want[] = {
		{ "5.10.0-46-amd64", false, false, 0, 0 },
		{ "6.1.0-56-amd64", true, false, 0, 0 },
		{ "7.2.13+deb14-amd64", true, true, 1, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct kernel *k = kernel_open(want[i].release);

		assert_int_equal(ns_kvm_offsets_resolve(&k->tt, &k->o, &k->err), NS_OK);
		assert_true(k->o.have_vmx);
		/* kvm_amd's rows are required on an AMD host only: 5.10's nested SVM predates current_vmcb */
		for (int id = 0; id < NS_KM_COUNT; id++)
			if (ns_kernel_members[id].required && ns_kernel_members[id].group != NS_KMG_SVM)
				assert_true(ns_km_have(&k->o, (enum ns_km)id));
		assert_int_equal(k->o.have_svm, strcmp(want[i].release, "5.10.0-46-amd64") != 0);
		if (!k->o.have_svm)
			assert_int_equal(k->o.svm_missing, NS_KM_SVM_CURRENT_VMCB);
		assert_int_equal(ns_km_have(&k->o, NS_KM_KVM_VCPU_ARRAY), want[i].xarray);
		assert_int_equal(ns_km_have(&k->o, NS_KM_KVM_VCPUS), !want[i].xarray);
		assert_int_equal(ns_km_have(&k->o, NS_KM_KVM_VM_TYPE), want[i].vm_type);
		assert_int_equal(k->o.alt[NS_KM_VMX_EXIT_REASON], want[i].exit_reason_alt);
		assert_int_equal(k->o.alt[NS_KM_NESTED_RUN_PENDING], want[i].run_pending_alt);
		/* struct vmcs12 is 998 bytes packed in every kernel (its ABI) */
		assert_int_equal(k->o.v[NS_KM_VMCS12_SIZE], 998);
		kernel_close(k);
	}
}

/* Renames the members of struct type whose names start with prefix: a kernel that moved them. */
static unsigned rename_members(struct ns_types *t, const char *type, const char *prefix, const char *to)
{
	struct ns_tstruct *st = (struct ns_tstruct *)ns_types_find(t, type);
	unsigned n = 0;

	assert_non_null(st);
	for (size_t i = 0; i < st->n; i++)
		if (!strncmp(st->m[i].name, prefix, strlen(prefix))) {
			st->m[i].name = to;
			n++;
		}
	return n;
}

/* CONFIG_KVM_HYPERV=n (6.8+): nested_vmx has no eVMCS members, and that is fine */
static void evmcs_members_are_optional(void **state)
{
	struct kernel *k = *state;

	assert_true(rename_members(&k->t, "nested_vmx", "hv_evmcs", "gone") > 0); /* Debian's 7.2 has CONFIG_KVM_HYPERV=y */
	assert_int_equal(ns_kvm_offsets_resolve(&k->tt, &k->o, &k->err), NS_OK);
	assert_true(k->o.have_vmx);
	assert_false(ns_km_have(&k->o, NS_KM_NESTED_HV_EVMCS_VMPTR));
}

static void a_missing_required_member_is_named(void **state)
{
	struct kernel *k = *state;

	/* a kernel whose vcpu_vmx renamed loaded_vmcs */
	assert_int_equal(rename_members(&k->t, "vcpu_vmx", "loaded_vmcs", "current_vmcs"), 1);
	assert_int_equal(ns_kvm_offsets_resolve(&k->tt, &k->o, &k->err), NS_ERR_LAYOUT);
	assert_non_null(strstr(k->err.msg, "vcpu_vmx.loaded_vmcs"));
	assert_false(k->o.have_vmx);
}

/* One VM on vm_list at 0xffff888000100000 + its struct kvm; one vCPU. */
static void put(struct fake *f, uint64_t addr, uint64_t v, size_t len)
{
	for (int i = 0; i < f->nblocks; i++)
		if (addr >= f->base[i] && addr + len <= f->base[i] + sizeof(f->mem[0])) {
			memcpy(f->mem[i] + (addr - f->base[i]), &v, len);
			return;
		}
	fail_msg("no block at 0x%llx", (unsigned long long)addr);
}

static void tdx_vms_are_listed_and_skipped(void **state)
{
	struct kernel *k = *state;
	struct ns_vm vm;
	struct ns_vcpu vc;
	size_t n = 99;
	uint64_t head = 0xffff888000100000ull, kvm = 0xffff888000200000ull;

	k->f.nblocks = 2;
	k->f.base[0] = head;
	k->f.base[1] = kvm;
	k->f.vm_list = head;
	assert_int_equal(ns_kvm_offsets_resolve(&k->tt, &k->o, &k->err), NS_OK);
	put(&k->f, head, kvm + (uint64_t)k->o.v[NS_KM_KVM_VM_LIST], 8);
	put(&k->f, kvm + (uint64_t)k->o.v[NS_KM_KVM_VM_LIST], head, 8);
	put(&k->f, kvm + (uint64_t)k->o.v[NS_KM_KVM_ONLINE_VCPUS], 4, 4);
	put(&k->f, kvm + (uint64_t)k->o.v[NS_KM_KVM_VM_TYPE], NS_KVM_X86_TDX_VM, 8);
	assert_int_equal(ns_kvm_vms(&k->tt, &k->o, &vm, 1, &n, &k->err), NS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(vm.vm_type, NS_KVM_X86_TDX_VM);
	assert_non_null(vm.skip);
	assert_non_null(strstr(vm.skip, "TDX"));
	/* its vCPUs are not read as vcpu_vmx: none are listed (none could be read here either) */
	assert_int_equal(ns_kvm_vcpus(&k->tt, &k->o, &vm, &vc, 1, &n, &k->err), NS_OK);
	assert_int_equal(n, 0);
}

static void guest_mode_is_the_loaded_vmcs_and_hflags_cross_checks(void **state)
{
	struct kernel *k = *state;
	struct ns_vcpu v;
	uint64_t vmx = 0xffff888000300000ull, vcpu;
	static const char banner[] = "Linux version 7.2.13+deb14-amd64 (debian-kernel@lists.debian.org)";

	k->f.nblocks = 2;
	k->f.base[0] = vmx;
	k->f.base[1] = 0xffffffff82000000ull; /* linux_banner */
	memcpy(k->f.mem[1], banner, sizeof(banner));
	/* no linux_banner: the release is unknown, and hflags cannot be judged */
	assert_int_equal(ns_kvm_offsets_resolve(&k->tt, &k->o, &k->err), NS_OK);
	assert_int_equal(k->o.hf_guest_bit, -1);
	vcpu = vmx + (uint64_t)k->o.v[NS_KM_VMX_VCPU];
	put(&k->f, vmx + (uint64_t)k->o.v[NS_KM_VMX_LOADED_VMCS], vmx + (uint64_t)k->o.v[NS_KM_NESTED_VMCS02], 8);
	put(&k->f, vcpu + (uint64_t)k->o.v[NS_KM_VCPU_HFLAGS], 0, 4);
	assert_int_equal(ns_kvm_vcpu_read(&k->tt, &k->o, vcpu, &v, &k->err), NS_OK);
	assert_true(v.guest_mode);
	assert_false(v.hflags_judged);
	/* the banner names 7.2, whose HF_GUEST_MASK is bit 0: hflags 0 disagrees with the loaded vmcs02 */
	k->f.banner = k->f.base[1];
	assert_int_equal(ns_kvm_offsets_resolve(&k->tt, &k->o, &k->err), NS_OK);
	assert_string_equal(k->o.release, "7.2.13+deb14-amd64");
	assert_int_equal(k->o.hf_guest_bit, 0);
	assert_int_equal(ns_kvm_vcpu_read(&k->tt, &k->o, vcpu, &v, &k->err), NS_OK);
	assert_true(v.hflags_judged);
	assert_false(v.hflags_agrees);
	put(&k->f, vcpu + (uint64_t)k->o.v[NS_KM_VCPU_HFLAGS], 1, 4);
	assert_int_equal(ns_kvm_vcpu_read(&k->tt, &k->o, vcpu, &v, &k->err), NS_OK);
	assert_true(v.hflags_agrees);
	/* on vmcs01 the vCPU is in L1, whatever hflags says */
	put(&k->f, vmx + (uint64_t)k->o.v[NS_KM_VMX_LOADED_VMCS], vmx + (uint64_t)k->o.v[NS_KM_VMX_VMCS01], 8);
	assert_int_equal(ns_kvm_vcpu_read(&k->tt, &k->o, vcpu, &v, &k->err), NS_OK);
	assert_false(v.guest_mode);
	assert_true(v.loaded_is_vmcs01);
	assert_false(v.hflags_agrees);
}

static void the_table_names_each_struct_once(void **state)
{
	char names[NS_KSTRUCT_MAX][NS_KSTRUCT_NAME];
	size_t n = ns_kernel_structs(names, NS_KSTRUCT_MAX);

	(void)state;
	assert_true(n > 10 && n <= NS_KSTRUCT_MAX);
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++)
			assert_string_not_equal(names[i], names[k]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_kernel_resolves_its_own_paths),
		cmocka_unit_test_setup_teardown(evmcs_members_are_optional, open_7_2, close_kernel),
		cmocka_unit_test_setup_teardown(a_missing_required_member_is_named, open_7_2, close_kernel),
		cmocka_unit_test_setup_teardown(tdx_vms_are_listed_and_skipped, open_7_2, close_kernel),
		cmocka_unit_test_setup_teardown(guest_mode_is_the_loaded_vmcs_and_hflags_cross_checks, open_7_2, close_kernel),
		cmocka_unit_test(the_table_names_each_struct_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
