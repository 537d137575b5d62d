/*
 * nestscope for crash(8): `extend nestscope.so` adds kvm, vmcs12, vmcs02,
 * vmcs01 and vmcs12-abi (`help vmcs12`).
 *
 * A thin front end in the crash-gcore manner: it gives libnestscope crash's
 * memory (readmem) and types (MEMBER_OFFSET), its symbols and expressions,
 * and the current context (`set PID`), hands each command line to the
 * core's one grammar (ns_command, commands.def) and prints what comes back;
 * the help text is the core's too.  It never writes to the target.  Errors
 * are one line (error(INFO)) and the command returns: the session goes on.
 */
#define _GNU_SOURCE /* dladdr(), for the data directory next to the installed extension */
#include "defs.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <stdlib.h>

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

/* The data directory compiled in (make: PREFIX/share/nestscope), when none is found next to this extension. */
#ifndef NESTSCOPE_DATADIR
#define NESTSCOPE_DATADIR "/usr/local/share/nestscope"
#endif

/* An installed extension (PREFIX/lib/crash/extensions/nestscope.so) reads its own install's
   PREFIX/share/nestscope, wherever that was put; one in a build tree, the compiled-in directory. */
static const char *datadir(void)
{
	static char dir[PATH_MAX];
	Dl_info self;
	struct stat st;
	char *slash;

	if (dladdr((void *)datadir, &self) && self.dli_fname && strlen(self.dli_fname) < sizeof(dir)) {
		snprintf(dir, sizeof(dir), "%s", self.dli_fname);
		if ((slash = strrchr(dir, '/'))) {
			*slash = '\0';
			size_t used = strlen(dir);

			snprintf(dir + used, sizeof(dir) - used, "/../../../share/nestscope");
			if (!stat(dir, &st) && S_ISDIR(st.st_mode))
				return dir;
		}
	}
	return NESTSCOPE_DATADIR;
}

/* The vendor module whose types the vCPUs need: kvm_amd on a host that loaded it and not kvm_intel. */
static const char *vendor_module(void)
{
	ulong base;
	struct load_module *lm;

	return is_module_name("kvm_amd", &base, &lm) && !is_module_name("kvm_intel", &base, &lm) ? "kvm_amd" : "kvm_intel";
}

/* Where Debian installs the vendor module's debuginfo for the dumped kernel. */
static void debuginfo_path(const char *module, char *buf, size_t n)
{
	snprintf(buf, n, "/usr/lib/debug/lib/modules/%s/kernel/arch/x86/kvm/%s.ko", kt->utsname.release,
		 !strcmp(module, "kvm_amd") ? "kvm-amd" : "kvm-intel");
}

/* ---- what only crash knows: symbols, expressions, physical memory, the current context ---- */

/* An address as crash's own commands take one: a symbol, or an expression crash evaluates. */
static bool crash_eval(void *ctx, const char *expr, uint64_t *value)
{
	int err = 0;

	(void)ctx;
	if (symbol_exists((char *)expr)) {
		*value = symbol_value((char *)expr);
		return true;
	}
	if (!can_eval((char *)expr))
		return false;
	*value = evall((char *)expr, RETURN_ON_ERROR | QUIET, &err);
	return !err;
}

static bool crash_read_phys(void *ctx, uint64_t pa, void *buf, size_t len)
{
	(void)ctx;
	return readmem(pa, PHYSADDR, buf, (long)len, "nestscope", RETURN_ON_ERROR | QUIET);
}

/* The thread group of crash's current context (`set PID`): a VM belongs to its VMM process. */
static int32_t crash_current_pid(void *ctx)
{
	(void)ctx;
	if (!CURRENT_CONTEXT())
		return -1;
	return (int32_t)task_tgid(CURRENT_TASK());
}

static struct ns_frontend frontend = {
	.ctx = NULL,
	.eval = crash_eval,
	.read_phys = crash_read_phys,
	.current_pid = crash_current_pid,
	.vmcs12_members = NULL, /* crash answers lookups by name only */
	.types_origin = "crash's types, looked up by name",
};

/*
 * Runs the command line crash parsed (args[0] is the command).  When kvm's
 * or the vendor module's (kvm_intel, kvm_amd) types are missing, loads the module's debuginfo from where
 * crash looks for it and runs the line again (nothing is printed before the
 * types are checked); failing that, says exactly what to run.
 */
static void cmd_nestscope(void)
{
	struct ns_out o = out_fp();
	struct ns_error err;
	char path[PATH_MAX];
	ulong base;
	struct load_module *lm;
	int rc;

	frontend.release = kt->utsname.release;
	rc = ns_command(session, &frontend, argcnt, (const char *const *)args, &o, &err);
	if (rc == NS_ERR_KVM_TYPES && is_module_name("kvm", &base, &lm) && load_module_symbols_helper("kvm"))
		rc = ns_command(session, &frontend, argcnt, (const char *const *)args, &o, &err);
	if (rc == NS_ERR_TYPES && is_module_name((char *)vendor_module(), &base, &lm) &&
	    load_module_symbols_helper((char *)vendor_module()))
		rc = ns_command(session, &frontend, argcnt, (const char *const *)args, &o, &err);
	if (rc == NS_ERR_TYPES) {
		debuginfo_path(vendor_module(), path, sizeof(path));
		error(INFO, "%s; run: mod -s %s %s\n", err.msg, vendor_module(), path);
	} else if (rc) {
		/* crash's error() names the command itself: the core's "CMD: " is dropped */
		size_t n = strlen(args[0]);
		const char *msg = !strncmp(err.msg, args[0], n) && !strncmp(err.msg + n, ": ", 2) ? err.msg + n + 2 : err.msg;

		error(INFO, "%s\n", msg);
	}
}

/* ---- registration: the commands and their help, from the core's table ---- */

#define MAX_COMMANDS 16

static struct command_table_entry command_table[MAX_COMMANDS + 1];

struct help_buf {
	char *text;
	size_t len, cap;
};

static void help_write(void *ctx, const char *s, size_t n)
{
	struct help_buf *h = ctx;
	char *bigger;

	if (h->len + n + 1 > h->cap) {
		size_t cap = (h->len + n + 1) * 2;

		if (!(bigger = realloc(h->text, cap)))
			return;
		h->text = bigger;
		h->cap = cap;
	}
	memcpy(h->text + h->len, s, n);
	h->len += n;
	h->text[h->len] = '\0';
}

/*
 * crash's help_str for one command: name, summary, synopsis, then the
 * description lines; the strings live in one allocation after the array.
 */
static char **help_str(const char *name)
{
	struct help_buf h = { NULL, 0, 0 };
	struct ns_out o = { help_write, &h };
	char syn[256];
	size_t lines = 0, k = 3;
	char **v;

	ns_command_synopsis(name, syn, sizeof(syn));
	ns_command_help(name, NS_HELP_BODY, &o, NULL);
	help_write(&h, syn, strlen(syn) + 1);
	if (!h.text)
		return NULL;
	for (size_t i = 0; i < h.len; i++)
		lines += h.text[i] == '\n';
	if (!(v = calloc(lines + 5, sizeof(*v)))) {
		free(h.text);
		return NULL;
	}
	v[0] = (char *)name;
	v[1] = (char *)ns_command_summary(name);
	v[2] = h.text + h.len - strlen(syn) - 1; /* the synopsis, written last with its NUL */
	for (char *p = h.text; p < v[2] && *p;) {
		char *nl = strchr(p, '\n');

		v[k++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	return v;
}

void __attribute__((constructor)) nestscope_init(void)
{
	size_t n = 0;

	session = ns_session_new(&target, datadir());
	if (!session) {
		error(INFO, "nestscope: out of memory\n");
		return;
	}
	for (const char *name; n < MAX_COMMANDS && (name = ns_command_name(n)); n++)
		command_table[n] = (struct command_table_entry){ (char *)name, cmd_nestscope, help_str(name), 0 };
	register_extension(command_table);
}

void __attribute__((destructor)) nestscope_fini(void)
{
	for (size_t i = 0; command_table[i].name; i++)
		if (command_table[i].help_data) {
			free(command_table[i].help_data[3] ? command_table[i].help_data[3] : command_table[i].help_data[2]);
			free(command_table[i].help_data);
		}
	ns_session_free(session);
}
