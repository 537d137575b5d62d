/*
 * The vendor module a host's KVM runs on, from its module list: with
 * kvm_amd loaded and kvm_intel not, the vCPUs are struct vcpu_svm, read with
 * kvm_amd's types or not at all (one line saying so), never as vcpu_vmx;
 * the VMX commands (vmcs12 -a) name the SVM ones.  The target here is made
 * up: a module list in a buffer, with the layout the test gives struct
 * module; the other types answer as any kernel's would (every member
 * somewhere), kvm_amd's only when the test loads them.
 */
#include "testutil.h"

#include "nestscope/nestscope.h"

#define BASE 0xffff888000000000ull   /* where the buffer lies in the made-up kernel */
#define MODULES (BASE + 0x10)        /* the list head, vmlinux's 'modules' */
#define MOD_LIST 8                   /* struct module's list, name and their sizes */
#define MOD_NAME 24
#define MOD_NAME_SIZE 56
#define MOD_SIZE 0x100

static uint8_t mem[0x1000];
static bool svm_types;  /* kvm_amd's debuginfo loaded */

static bool svm_type(const char *t)
{
	return !strcmp(t, "vcpu_svm") || !strcmp(t, "svm_nested_state") || !strcmp(t, "kvm_vmcb_info") ||
	       !strncmp(t, "vmcb_", 5);
}

static bool rd(void *ctx, uint64_t a, void *b, size_t n)
{
	(void)ctx;
	if (a < BASE || a + n > BASE + sizeof(mem))
		return false;
	memcpy(b, mem + (a - BASE), n);
	return true;
}

static long member(void *ctx, const char *t, const char *m)
{
	(void)ctx;
	if (!strcmp(t, "module"))
		return !strcmp(m, "list") ? MOD_LIST : !strcmp(m, "name") ? MOD_NAME : !strcmp(m, "kallsyms") ? 80 : -1;
	if (!strcmp(t, "mod_kallsyms"))
		return !strcmp(m, "symtab") ? 0 : !strcmp(m, "num_symtab") ? 8 : !strcmp(m, "strtab") ? 16 : -1;
	return svm_type(t) && !svm_types ? -1 : 8;
}

static long msize(void *ctx, const char *t, const char *m)
{
	(void)ctx;
	return !strcmp(t, "module") && !strcmp(m, "name") ? MOD_NAME_SIZE : 8;
}

static uint64_t symbol(void *ctx, const char *n)
{
	(void)ctx;
	return !strcmp(n, "modules") ? MODULES : !strcmp(n, "vm_list") ? BASE + 0x20 : 0;
}

static long tsize(void *ctx, const char *t)
{
	(void)ctx;
	return svm_type(t) && !svm_types ? -1 : 0x100;
}

static const struct ns_target target = { NULL, rd, member, msize, symbol, tsize };

/* The module list: the named modules at 0x100, 0x200, ...; vm_list empty. */
static void modules(const char *const *names, size_t n)
{
	uint64_t head = MODULES, prev = MODULES;

	memset(mem, 0, sizeof(mem));
	for (size_t i = 0; i < n; i++) {
		uint64_t mod = BASE + MOD_SIZE * (i + 1), node = mod + MOD_LIST;

		memcpy(mem + (prev - BASE), &node, 8);
		snprintf((char *)mem + (mod - BASE) + MOD_NAME, MOD_NAME_SIZE, "%s", names[i]);
		prev = node;
	}
	memcpy(mem + (prev - BASE), &head, 8);
	head = BASE + 0x20;
	memcpy(mem + 0x20, &head, 8);
}

static int run(const char *cmd, const char *opt, struct ns_error *err)
{
	struct ns_session *s = ns_session_new(&target, "/nonexistent");
	char sink[4096];
	FILE *f = fmemopen(sink, sizeof(sink), "w");
	struct ns_out o = ns_out_file(f);
	const char *argv[] = { cmd, opt };
	int rc = ns_command(s, NULL, 2, argv, &o, err);

	fclose(f);
	ns_session_free(s);
	return rc;
}

static void amd_host_needs_kvm_amd_types(void **state)
{
	static const char *const names[] = { "ccp", "kvm_amd", "kvm", "irqbypass" };
	struct ns_error err;

	(void)state;
	svm_types = false;
	modules(names, 4);
	assert_int_equal(run("kvm", "-v", &err), NS_ERR_TYPES);
	assert_non_null(strstr(err.msg, "kvm_amd (AMD SVM)"));
	assert_non_null(strstr(err.msg, "kvm-amd.ko's debuginfo"));
	assert_null(strchr(err.msg, '\n'));
}

static void amd_host_walked_as_svm(void **state)
{
	static const char *const names[] = { "ccp", "kvm_amd", "kvm", "irqbypass" };
	struct ns_error err = { NS_OK, "" };

	(void)state;
	svm_types = true;
	modules(names, 4);
	assert_int_equal(run("kvm", "-v", &err), NS_OK);  /* an empty vm_list, listed */
	assert_int_not_equal(run("vmcs12", "-a", &err), NS_OK);
	assert_non_null(strstr(err.msg, "vmcb12 reads them"));
	svm_types = false;
}

static void intel_host_not_refused(void **state)
{
	static const char *const names[] = { "kvm_intel", "kvm", "irqbypass" };
	struct ns_error err = { NS_OK, "" };

	(void)state;
	modules(names, 3);
	assert_int_equal(run("kvm", "-v", &err), NS_OK);  /* an empty vm_list, listed */
}

/* kvm_intel built into the kernel: no module of either name, nothing said */
static void no_vendor_module_not_refused(void **state)
{
	static const char *const names[] = { "irqbypass" };
	struct ns_error err = { NS_OK, "" };

	(void)state;
	modules(names, 1);
	assert_int_equal(run("kvm", "-v", &err), NS_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(amd_host_needs_kvm_amd_types),
		cmocka_unit_test(amd_host_walked_as_svm),
		cmocka_unit_test(intel_host_not_refused),
		cmocka_unit_test(no_vendor_module_not_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
