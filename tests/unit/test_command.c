/*
 * The debugger commands' grammar (commands.def, command.c): what it refuses,
 * with the option named as typed; the operand as crash reads it; the error
 * codes a front end acts on; help rendered from the one table.
 */
#include "testutil.h"

#include "nestscope/nestscope.h"

/* A target with no kernel in it: no memory, no types, no symbols. */
static bool no_read(void *ctx, uint64_t a, void *b, size_t n) { (void)ctx, (void)a, (void)b, (void)n; return false; }
static long no_member(void *ctx, const char *t, const char *m) { (void)ctx, (void)t, (void)m; return -1; }
static uint64_t no_symbol(void *ctx, const char *n) { (void)ctx, (void)n; return 0; }
static long no_size(void *ctx, const char *t) { (void)ctx, (void)t; return -1; }
static const struct ns_target empty = { NULL, no_read, no_member, no_member, no_symbol, no_size };

struct sink {
	char buf[16384];
	size_t len;
};

static void sink_write(void *ctx, const char *s, size_t n)
{
	struct sink *k = ctx;

	if (k->len + n < sizeof(k->buf)) {
		memcpy(k->buf + k->len, s, n);
		k->len += n;
		k->buf[k->len] = '\0';
	}
}

/* Runs one command line on the empty target; its code, the error line in err. */
static int run(const char *line, struct ns_error *err, struct sink *k)
{
	char copy[256], *argv[16], *save = NULL;
	int argc = 0;
	struct ns_session *s = ns_session_new(&empty, "/nonexistent");
	struct ns_out o = { sink_write, k };
	int rc;

	snprintf(copy, sizeof(copy), "%s", line);
	for (char *w = strtok_r(copy, " ", &save); w && argc < 16; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	memset(k, 0, sizeof(*k));
	rc = ns_command(s, NULL, argc, (const char *const *)argv, &o, err);
	ns_session_free(s);
	return rc;
}

static void usage_errors_name_the_option_as_typed(void **state)
{
	struct ns_error err;
	struct sink k;

	(void)state;
	assert_int_equal(run("vmcs12 -q", &err, &k), NS_ERR_USAGE);
	assert_string_equal(err.msg, "vmcs12: -q: no such option (help vmcs12)");
	assert_int_equal(run("vmcs12 --jsn", &err, &k), NS_ERR_USAGE);
	assert_string_equal(err.msg, "vmcs12: --jsn: no such option (help vmcs12)");
	assert_int_equal(run("kvm -a", &err, &k), NS_ERR_USAGE);
	assert_string_equal(err.msg, "kvm: -a is not an option of this command (help kvm)");
	assert_int_equal(run("vmcs12 -s bogus 101:0", &err, &k), NS_ERR_USAGE);
	assert_string_equal(err.msg, "vmcs12: -s bogus: not a copy (cached, shadow or memory) (help vmcs12)");
	assert_int_equal(run("vmcs12 -r", &err, &k), NS_ERR_USAGE);
	assert_string_equal(err.msg, "vmcs12: -r needs ADDR (help vmcs12)");
	/* -C with -D was the diff in crash and the checks in gdb: now neither */
	assert_int_equal(run("vmcs12 -CD 101:0", &err, &k), NS_ERR_USAGE);
	assert_string_equal(err.msg, "vmcs12: -C and -D: give one (the checks, or the diff) (help vmcs12)");
	/* a vCPU with -a was dropped by crash and refused by gdb: refused */
	assert_int_equal(run("vmcs12 -a 101:0", &err, &k), NS_ERR_USAGE);
	assert_int_equal(run("vmcs12 -C -a", &err, &k), NS_ERR_USAGE);
	assert_int_equal(run("vmcs12 101:0 102:0", &err, &k), NS_ERR_USAGE);
	assert_int_equal(run("vmcs12 1x:0", &err, &k), NS_ERR_USAGE);
	assert_int_equal(run("kvm 101", &err, &k), NS_ERR_USAGE);
	assert_int_equal(run("vmcs12 -L f 101:0", &err, &k), NS_ERR_USAGE);
	assert_int_equal(run("vmcs12 no_such_symbol", &err, &k), NS_ERR_USAGE);
	assert_string_equal(err.msg, "vmcs12: no_such_symbol: not an address (hexadecimal, or a symbol or expression) "
				     "(help vmcs12)");
	assert_int_equal(run("vmcs12 -r xyz", &err, &k), NS_ERR_USAGE);
	assert_string_equal(err.msg, "vmcs12: -r xyz: not an address (hexadecimal, or a symbol or expression) "
				     "(help vmcs12)");
	assert_int_equal(run("vmcs12 12:x", &err, &k), NS_ERR_USAGE);
	assert_string_equal(err.msg, "vmcs12: '12:x': not PID:INDEX (decimal numbers) (help vmcs12)");
	assert_int_equal(run("nosuch", &err, &k), NS_ERR_USAGE);
}

static void missing_types_have_their_own_codes(void **state)
{
	struct ns_error err;
	struct sink k;

	(void)state;
	/* kvm.ko's types missing is not "no such vCPU": a front end loads them and runs the line again */
	assert_int_equal(run("kvm", &err, &k), NS_ERR_KVM_TYPES);
	assert_int_equal(run("vmcs12 --json 101", &err, &k), NS_ERR_KVM_TYPES);
	assert_int_equal(run("vmcs02 ffff888005ed4700", &err, &k), NS_ERR_KVM_TYPES);
	assert_int_equal(run("vmcs12-abi -j", &err, &k), NS_ERR_TYPES);
	assert_int_equal(k.len, 0);
	/* -r reads memory only: the target cannot */
	assert_int_equal(run("vmcs12 -r 0x1000", &err, &k), NS_ERR_IO);
	/* -p needs a front end that reads physical memory */
	assert_int_equal(run("vmcs12 -p 1000", &err, &k), NS_ERR_ARG);
}

static void help_comes_from_the_table(void **state)
{
	struct sink k = { .len = 0 };
	struct ns_out o = { sink_write, &k };
	char syn[256];

	(void)state;
	for (size_t i = 0; ns_command_name(i); i++) {
		assert_true(ns_command_exists(ns_command_name(i)));
		assert_non_null(ns_command_summary(ns_command_name(i)));
	}
	assert_true(ns_command_synopsis("kvm", syn, sizeof(syn)));
	assert_string_equal(syn, "[-v] [-j|--json]");
	assert_int_equal(ns_command_help("vmcs02", NS_HELP_TEXT, &o, NULL), NS_OK);
	assert_non_null(strstr(k.buf, "Usage: vmcs02 [-L FILE] [-j|--json] [VCPU]\n"));
	/* crash prints help lines as format strings */
	k.len = 0;
	assert_int_equal(ns_command_help(NULL, NS_HELP_BODY, &o, NULL), NS_OK);
	assert_null(strchr(k.buf, '%'));
	assert_int_equal(ns_command_help("nosuch", NS_HELP_TEXT, &o, NULL), NS_ERR_USAGE);
	assert_int_equal(ns_abi_version(), NS_ABI_VERSION);
}

/* The options completion offers are the synopsis's, one by one. */
static void options_one_by_one_as_the_synopsis(void **state)
{
	char letter, syn[256], rebuilt[256];
	const char *lname, *arg;
	size_t len = 0, i = 0;

	(void)state;
	assert_true(ns_command_option("kvm", 0, &letter, &lname, &arg));
	assert_int_equal(letter, 'v');
	assert_null(lname);
	assert_null(arg);
	assert_true(ns_command_option("kvm", 1, &letter, &lname, &arg));
	assert_int_equal(letter, 'j');
	assert_string_equal(lname, "json");
	assert_false(ns_command_option("kvm", 2, &letter, &lname, &arg));
	assert_false(ns_command_option("nosuch", 0, &letter, &lname, &arg));
	for (; ns_command_option("vmcs02", i, &letter, &lname, &arg); i++)
		len += (size_t)snprintf(rebuilt + len, sizeof(rebuilt) - len, "[-%c%s%s%s%s] ", letter, lname ? "|--" : "",
					lname ? lname : "", arg ? " " : "", arg ? arg : "");
	snprintf(rebuilt + len, sizeof(rebuilt) - len, "[%s]", ns_command_operand("vmcs02"));
	assert_true(ns_command_synopsis("vmcs02", syn, sizeof(syn)));
	assert_string_equal(rebuilt, syn);
	assert_string_equal(ns_command_operand("kvm"), "");
	assert_null(ns_command_operand("nosuch"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(usage_errors_name_the_option_as_typed),
		cmocka_unit_test(missing_types_have_their_own_codes),
		cmocka_unit_test(help_comes_from_the_table),
		cmocka_unit_test(options_one_by_one_as_the_synopsis),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
