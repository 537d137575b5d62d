/*
 * The debugger commands' one grammar: commands.def parsed, checked and run,
 * and its help rendered for crash, gdb, the CLI and the man page.  The
 * parser keeps no state between calls (crash's own getopt state is left
 * alone) and permutes as GNU getopt does: options may follow the operand.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nestscope/command.h"
#include "nestscope/nestscope.h"
#include "nestscope/session.h"

unsigned ns_abi_version(void)
{
	return NS_ABI_VERSION;
}

enum cmd_id {
#define NS_CMD(id, name, summary, operand, desc) NS_C_##id,
#include "commands.def"
#undef NS_CMD
	NS_C_COUNT
};

enum {
#define NS_CMD(id, name, summary, operand, desc) NS_CB_##id = 1u << NS_C_##id,
#include "commands.def"
#undef NS_CMD
};

enum opt_id {
#define NS_OPT(id, letter, lname, arg, cmds, help) NS_O_##id,
#include "commands.def"
#undef NS_OPT
	NS_O_COUNT
};

struct cmd {
	const char *name, *summary, *operand, *desc;
};

static const struct cmd cmds[NS_C_COUNT] = {
#define NS_CMD(id, name, summary, operand, desc) { name, summary, operand, desc },
#include "commands.def"
#undef NS_CMD
};

struct opt {
	char letter;
	const char *lname, *arg;
	unsigned cmds;
	const char *help;
};

static const struct opt opts[NS_O_COUNT] = {
#define NS_OPT(id, letter, lname, arg, cmds, help) { letter, lname, arg, cmds, help },
#include "commands.def"
#undef NS_OPT
};

static const struct {
	enum cmd_id cmd;
	const char *line;
} examples[] = {
#define NS_EXAMPLE(id, line) { NS_C_##id, line },
#include "commands.def"
#undef NS_EXAMPLE
};

static const char vcpu_text[] =
#define NS_VCPU_TEXT(text) text;
#include "commands.def"
#undef NS_VCPU_TEXT

static int find_cmd(const char *name)
{
	for (int i = 0; name && i < NS_C_COUNT; i++)
		if (!strcmp(cmds[i].name, name))
			return i;
	return -1;
}

bool ns_command_exists(const char *name)
{
	return find_cmd(name) >= 0;
}

const char *ns_command_name(size_t i)
{
	return i < NS_C_COUNT ? cmds[i].name : NULL;
}

const char *ns_command_summary(const char *name)
{
	int c = find_cmd(name);

	return c < 0 ? NULL : cmds[c].summary;
}

/* "[-v] [-j|--json]": every option the command takes, in table order, then the operand. */
static void synopsis(int c, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < NS_O_COUNT; i++) {
		if (!(opts[i].cmds & (1u << c)))
			continue;
		len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s[-%c%s%s%s%s]", len ? " " : "", opts[i].letter,
					opts[i].lname ? "|--" : "", opts[i].lname ? opts[i].lname : "",
					opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
	}
	if (*cmds[c].operand)
		snprintf(buf + len, len < n ? n - len : 0, "%s[%s]", len ? " " : "", cmds[c].operand);
}

bool ns_command_synopsis(const char *name, char *buf, size_t n)
{
	int c = find_cmd(name);

	if (c < 0 || !n)
		return false;
	synopsis(c, buf, n);
	return true;
}

bool ns_command_option(const char *name, size_t i, char *letter, const char **lname, const char **arg)
{
	int c = find_cmd(name);

	for (int o = 0; c >= 0 && o < NS_O_COUNT; o++) {
		if (!(opts[o].cmds & (1u << c)) || i--)
			continue;
		*letter = opts[o].letter;
		*lname = opts[o].lname;
		*arg = opts[o].arg;
		return true;
	}
	return false;
}

const char *ns_command_operand(const char *name)
{
	int c = find_cmd(name);

	return c < 0 ? NULL : cmds[c].operand;
}

/* ---- parsing ---- */

struct cmdline {
	int cmd;
	bool set[NS_O_COUNT];
	const char *arg[NS_O_COUNT];
	char typed[NS_O_COUNT][40];  /* the option as the user spelled it: "-j" or "--json" */
	const char *operand;
};

/* "CMD: what (help CMD)": a usage error, naming the option as the user typed it. */
static int usage(struct ns_error *err, const char *cmd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int usage(struct ns_error *err, const char *cmd, const char *fmt, ...)
{
	char what[240];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return ns_fail(err, NS_ERR_USAGE, "%.40s: %.240s (help %.40s)", cmd, what, cmd);
}

static int take(struct cmdline *cl, int o, const char *typed, const char *arg, struct ns_error *err)
{
	const char *cmd = cmds[cl->cmd].name;

	if (!(opts[o].cmds & (1u << cl->cmd)))
		return usage(err, cmd, "%s is not an option of this command", typed);
	if (opts[o].arg && !arg)
		return usage(err, cmd, "%s needs %s", typed, opts[o].arg);
	cl->set[o] = true;
	cl->arg[o] = arg;
	snprintf(cl->typed[o], sizeof(cl->typed[o]), "%s", typed);
	return NS_OK;
}

static int parse(int argc, const char *const *argv, struct cmdline *cl, struct ns_error *err)
{
	const char *cmd;
	bool options = true;

	memset(cl, 0, sizeof(*cl));
	if (argc < 1 || (cl->cmd = find_cmd(argv[0])) < 0)
		return ns_fail(err, NS_ERR_USAGE, "%s: not a nestscope command", argc < 1 ? "(none)" : argv[0]);
	cmd = cmds[cl->cmd].name;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int rc;

		if (options && !strcmp(a, "--")) {
			options = false;
		} else if (options && a[0] == '-' && a[1] == '-') {
			const char *eq = strchr(a, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			int o;

			for (o = 0; o < NS_O_COUNT; o++)
				if (opts[o].lname && strlen(opts[o].lname) == len && !strncmp(opts[o].lname, a + 2, len))
					break;
			if (o == NS_O_COUNT)
				return usage(err, cmd, "%s: no such option", a);
			if (eq && !opts[o].arg)
				return usage(err, cmd, "%s takes no argument", a);
			if ((rc = take(cl, o, a, eq ? eq + 1 : opts[o].arg && i + 1 < argc ? argv[++i] : NULL, err)))
				return rc;
		} else if (options && a[0] == '-' && a[1]) {
			/* a cluster: -gHc, -rADDR, -r ADDR */
			for (const char *p = a + 1; *p; p++) {
				char typed[3] = { '-', *p, '\0' };
				const char *arg = NULL;
				int o;

				for (o = 0; o < NS_O_COUNT && opts[o].letter != *p; o++)
					;
				if (o == NS_O_COUNT)
					return usage(err, cmd, "%s: no such option", typed);
				if (opts[o].arg) {
					arg = p[1] ? p + 1 : i + 1 < argc ? argv[++i] : NULL;
					if ((rc = take(cl, o, typed, arg, err)))
						return rc;
					break;
				}
				if ((rc = take(cl, o, typed, NULL, err)))
					return rc;
			}
		} else if (!*cmds[cl->cmd].operand) {
			return usage(err, cmd, "'%s': this command takes no operand", a);
		} else if (cl->operand) {
			return usage(err, cmd, "'%s' and '%s': give one VCPU", cl->operand, a);
		} else {
			cl->operand = a;
		}
	}
	return NS_OK;
}

/* ---- numbers, addresses and vCPUs as crash reads them ---- */

static bool all_of(const char *s, int (*cls)(int))
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!cls((unsigned char)*s))
			return false;
	return true;
}

/* Hexadecimal, 0x optional (crash's addresses): "ffff88801f2fc700", "0x1000". */
static bool hex_number(const char *s, uint64_t *v)
{
	const char *d = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? s + 2 : s;

	if (!all_of(d, isxdigit) || strlen(d) > 16)
		return false;
	*v = strtoull(d, NULL, 16);
	return true;
}

/*
 * An address operand: a hex number, else the debugger's symbol or
 * expression.  opt: the option it follows as typed ("-r"), or NULL for VCPU.
 */
static int address(struct ns_session *s, const struct ns_frontend *fe, const char *cmd, const char *opt,
		   const char *spec, uint64_t *v, struct ns_error *err)
{
	const struct ns_target *t = ns_session_target(s);

	if (hex_number(spec, v))
		return NS_OK;
	if (fe && fe->eval && fe->eval(fe->ctx, spec, v))
		return NS_OK;
	if (!(fe && fe->eval) && t->symbol && (*v = t->symbol(t->ctx, spec)))
		return NS_OK;
	return usage(err, cmd, "%s%s%s: not an address (hexadecimal, or a symbol or expression)", opt ? opt : "",
		     opt ? " " : "", spec);
}

/*
 * VCPU as crash reads its arguments: PID:INDEX; a decimal number is a pid;
 * a hexadecimal one (0x, or a-f in it) an address; anything else a symbol
 * or expression the debugger evaluates.
 */
static int vcpu_operand(struct ns_session *s, const struct ns_frontend *fe, const char *cmd, const char *spec,
			struct ns_vcpu_sel *sel, struct ns_error *err)
{
	const char *colon;
	char *end;

	memset(sel, 0, sizeof(*sel));
	sel->typed = spec;
	if (!spec) {
		sel->by = NS_VCPU_DEFAULT;
		sel->pid = fe && fe->current_pid ? fe->current_pid(fe->ctx) : -1;
		return NS_OK;
	}
	if ((colon = strchr(spec, ':'))) {
		long pid = strtol(spec, &end, 10);
		unsigned long idx;

		if (end != colon || end == spec || !all_of(colon + 1, isdigit))
			return usage(err, cmd, "'%s': not PID:INDEX (decimal numbers)", spec);
		idx = strtoul(colon + 1, NULL, 10);
		sel->by = NS_VCPU_PID_INDEX;
		sel->pid = (int32_t)pid;
		sel->idx = (uint32_t)idx;
		return NS_OK;
	}
	if (all_of(spec, isdigit)) {
		sel->by = NS_VCPU_PID;
		sel->pid = (int32_t)strtol(spec, NULL, 10);
		return NS_OK;
	}
	sel->by = NS_VCPU_ADDR;
	return address(s, fe, cmd, NULL, spec, &sel->addr, err);
}

/* ---- running ---- */

static int run_vmcs12(struct ns_session *s, const struct ns_frontend *fe, const struct cmdline *cl,
		      struct ns_cmd_opts *opt, struct ns_out *o, struct ns_error *err)
{
	const char *cmd = cmds[cl->cmd].name;
	const char *only = cl->set[NS_O_ALL_VCPUS] ? cl->typed[NS_O_ALL_VCPUS]
			   : cl->set[NS_O_REGION]  ? cl->typed[NS_O_REGION]
			   : cl->set[NS_O_PHYS]    ? cl->typed[NS_O_PHYS]
						   : NULL;
	struct ns_vcpu_sel sel;
	uint64_t addr;
	int rc;

	if (cl->set[NS_O_ALL_VCPUS] + cl->set[NS_O_REGION] + cl->set[NS_O_PHYS] + !!cl->operand > 1)
		return usage(err, cmd, "give one of -a, -r ADDR, -p PADDR or VCPU");
	if (cl->set[NS_O_CHECKS] && cl->set[NS_O_DIFF])
		return usage(err, cmd, "%s and %s: give one (the checks, or the diff)", cl->typed[NS_O_CHECKS],
			     cl->typed[NS_O_DIFF]);
	{
		int job = cl->set[NS_O_CHECKS] ? NS_O_CHECKS : cl->set[NS_O_DIFF] ? NS_O_DIFF : -1;

		if (job >= 0 && only)
			return usage(err, cmd, "%s works on one vCPU's cached_vmcs12: not with %s", cl->typed[job], only);
		if (job >= 0 && cl->set[NS_O_COPY] && strcmp(cl->arg[NS_O_COPY], "cached"))
			return usage(err, cmd, "%s works on cached_vmcs12: not with -s %s", cl->typed[job],
				     cl->arg[NS_O_COPY]);
	}
	if (cl->set[NS_O_COPY] && (cl->set[NS_O_REGION] || cl->set[NS_O_PHYS]))
		return usage(err, cmd, "-s picks a vCPU's copy: not with %s", only);
	if (cl->set[NS_O_LAYOUT] && !cl->set[NS_O_DIFF] && !cl->set[NS_O_PHYS])
		return usage(err, cmd, "%s gives a hardware layout: only with -D or -p", cl->typed[NS_O_LAYOUT]);
	if (cl->set[NS_O_COPY]) {
		const char *c = cl->arg[NS_O_COPY];

		if (!strcmp(c, "cached"))
			opt->copy = NS_COPY_CACHED;
		else if (!strcmp(c, "shadow"))
			opt->copy = NS_COPY_SHADOW;
		else if (!strcmp(c, "memory"))
			opt->copy = NS_COPY_MEMORY;
		else
			return usage(err, cmd, "-s %s: not a copy (cached, shadow or memory)", c);
	}
	if (cl->set[NS_O_REGION]) {
		if ((rc = address(s, fe, cmd, cl->typed[NS_O_REGION], cl->arg[NS_O_REGION], &addr, err)))
			return rc;
		return ns_cmd_vmcs12_at(s, addr, cl->arg[NS_O_REGION], opt, o, err);
	}
	if (cl->set[NS_O_PHYS]) {
		uint8_t *page;
		char label[96];

		if ((rc = address(s, fe, cmd, cl->typed[NS_O_PHYS], cl->arg[NS_O_PHYS], &addr, err)))
			return rc;
		if (!fe || !fe->read_phys)
			return ns_fail(err, NS_ERR_ARG, "%s %s: this target has no physical memory to read", cmd,
				       cl->typed[NS_O_PHYS]);
		if (!(page = malloc(NS_VMCS12_REGION_SIZE)))
			return ns_fail(err, NS_ERR_NOMEM, "out of memory");
		if (!fe->read_phys(fe->ctx, addr, page, NS_VMCS12_REGION_SIZE)) {
			free(page);
			return ns_fail(err, NS_ERR_IO, "physical 0x%llx: cannot read %u bytes there",
				       (unsigned long long)addr, NS_VMCS12_REGION_SIZE);
		}
		snprintf(label, sizeof(label), "%s 0x%llx", fe->phys_space ? fe->phys_space : "physical",
			 (unsigned long long)addr);
		rc = ns_cmd_region(page, NS_VMCS12_REGION_SIZE, label, ns_session_datadir(s), opt, o, err);
		free(page);
		return rc;
	}
	if (cl->set[NS_O_ALL_VCPUS])
		return ns_cmd_vmcs12_all(s, opt, o, err);
	if ((rc = vcpu_operand(s, fe, cmd, cl->operand, &sel, err)))
		return rc;
	if (cl->set[NS_O_CHECKS])
		return ns_cmd_checks(s, &sel, opt, o, err);
	if (cl->set[NS_O_DIFF])
		return ns_cmd_diff(s, &sel, opt, o, err);
	return ns_cmd_vmcs12(s, &sel, opt, o, err);
}

/* vmcs12-abi: members listed by the debugger, or looked up by name through the target. */
static int run_abi(struct ns_session *s, const struct ns_frontend *fe, bool json, struct ns_out *o,
		   struct ns_error *err)
{
	const struct ns_target *t = ns_session_target(s);
	const char *origin = fe && fe->types_origin ? fe->types_origin : "the debugger's types";
	const char *release = fe ? fe->release : NULL;

	if (fe && fe->vmcs12_members) {
		enum { MAX = 512 };
		struct ns_abi_member *m = calloc(MAX, sizeof(*m));
		uint64_t size = 0;
		long n;
		int rc;

		if (!m)
			return ns_fail(err, NS_ERR_NOMEM, "out of memory");
		if ((n = fe->vmcs12_members(fe->ctx, m, MAX, &size)) < 0) {
			free(m);
			return ns_fail(err, NS_ERR_TYPES, "struct vmcs12 is not known: kvm_intel's types are not loaded");
		}
		rc = ns_cmd_vmcs12_abi(m, (size_t)n < MAX ? (size_t)n : MAX, size, release, origin, json, NULL, o, err);
		free(m);
		return rc;
	}
	if (!t->type_size || t->type_size(t->ctx, "vmcs12") < 0)
		return ns_fail(err, NS_ERR_TYPES, "struct vmcs12 is not known: kvm_intel's types are not loaded");
	return ns_cmd_vmcs12_abi_lookup(t, release, origin, json, NULL, o, err);
}

int ns_command(struct ns_session *s, const struct ns_frontend *fe, int argc, const char *const *argv,
	       struct ns_out *o, struct ns_error *err)
{
	struct cmdline cl;
	struct ns_cmd_opts opt = { 0 };
	struct ns_vcpu_sel sel;
	int rc;

	if ((rc = parse(argc, argv, &cl, err)))
		return rc;
	opt.sections = (cl.set[NS_O_GUEST] ? NS_SECT_GUEST : 0) | (cl.set[NS_O_HOST] ? NS_SECT_HOST : 0) |
		       (cl.set[NS_O_CTRL] ? NS_SECT_CTRL : 0) | (cl.set[NS_O_EXIT] ? NS_SECT_EXIT : 0);
	opt.all = cl.set[NS_O_ALL];
	opt.force = cl.set[NS_O_FORCE];
	opt.json = cl.set[NS_O_JSON];
	opt.layout_file = cl.arg[NS_O_LAYOUT];
	opt.copy = NS_COPY_CACHED;
	switch ((enum cmd_id)cl.cmd) {
	case NS_C_KVM:
		return ns_cmd_kvm(s, cl.set[NS_O_VERBOSE], opt.json, o, err);
	case NS_C_VMCS12:
		return run_vmcs12(s, fe, &cl, &opt, o, err);
	case NS_C_VMCS02:
	case NS_C_VMCS01:
		if ((rc = vcpu_operand(s, fe, cmds[cl.cmd].name, cl.operand, &sel, err)))
			return rc;
		return ns_cmd_loaded_vmcs(s, &sel, cl.cmd == NS_C_VMCS02, &opt, o, err);
	case NS_C_VMCS12_ABI:
		return run_abi(s, fe, opt.json, o, err);
	case NS_C_VMCB12:
	case NS_C_VMCB02:
	case NS_C_VMCB01: {
		int which = cl.cmd == NS_C_VMCB02 ? NS_VMCB_COPY_VMCB02
			    : cl.cmd == NS_C_VMCB01 ? NS_VMCB_COPY_VMCB01 : NS_VMCB_COPY_VMCB12_CACHED;

		if (cl.set[NS_O_COPY]) {
			if (!strcmp(cl.arg[NS_O_COPY], "memory"))
				which = NS_VMCB_COPY_VMCB12_MEMORY;
			else if (strcmp(cl.arg[NS_O_COPY], "cached"))
				return usage(err, cmds[cl.cmd].name, "-s %s: not a copy of vmcb12 (cached or memory)",
					     cl.arg[NS_O_COPY]);
		}
		if (cl.set[NS_O_CHECKS] && cl.set[NS_O_DIFF])
			return usage(err, cmds[cl.cmd].name, "%s and %s: give one (the checks, or the diff)",
				     cl.typed[NS_O_CHECKS], cl.typed[NS_O_DIFF]);
		if ((rc = vcpu_operand(s, fe, cmds[cl.cmd].name, cl.operand, &sel, err)))
			return rc;
		return ns_cmd_vmcb(s, &sel, which,
				   cl.set[NS_O_CHECKS] ? NS_VMCB_JOB_CHECKS : cl.set[NS_O_DIFF] ? NS_VMCB_JOB_DIFF
											: NS_VMCB_JOB_SHOW,
				   &opt, o, err);
	}
	case NS_C_COUNT:
		break;
	}
	return ns_fail(err, NS_ERR_USAGE, "%s: not a nestscope command", argv[0]);
}

/* ---- help ---- */

/* Text wrapped at width, continuing from column indent where the cursor is. */
static void wrap(struct ns_out *o, const char *text, int indent, int width)
{
	int col = indent;

	for (const char *p = text; *p;) {
		size_t w = strcspn(p, " ");

		if (col > indent && col + 1 + (int)w > width) {
			ns_printf(o, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			ns_printf(o, " ");
			col++;
		}
		ns_printf(o, "%.*s", (int)w, p);
		col += (int)w;
		p += w;
		p += strspn(p, " ");
	}
	ns_printf(o, "\n");
}

/* The description with @VCPU@ replaced, each line prefixed; man: troff-escaped paragraphs. */
static void man_escape(struct ns_out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\')
			ns_printf(o, "\\e");
		else if (s[i] == '-')
			ns_printf(o, "\\-");
		else if ((s[i] == '.' || s[i] == '\'') && (i == 0 || s[i - 1] == '\n'))
			ns_printf(o, "\\&%c", s[i]);
		else
			ns_printf(o, "%c", s[i]);
	}
}

static void description(struct ns_out *o, int c, enum ns_help_style style, const char *prefix)
{
	const char *d = cmds[c].desc;
	const char *at = strstr(d, "@VCPU@");
	const char *parts[2] = { d, at ? vcpu_text : NULL };
	size_t lens[2] = { at ? (size_t)(at - d) : strlen(d), at ? strlen(vcpu_text) : 0 };

	for (int k = 0; k < 2 && parts[k]; k++) {
		const char *p = parts[k];
		const char *end = p + lens[k];

		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

			if (style == NS_HELP_MAN) {
				if (!n)
					ns_printf(o, ".PP\n");
				else {
					man_escape(o, p, n);
					ns_printf(o, "\n");
				}
			} else if (n) {
				ns_printf(o, "%s%.*s\n", prefix, (int)n, p);
			} else if (p + 1 < end || k == 0) {
				ns_printf(o, "\n");
			}
			p += n + (nl ? 1 : 0);
		}
	}
}

static void option_label(int i, char *buf, size_t n)
{
	snprintf(buf, n, "-%c%s%s%s%s", opts[i].letter, opts[i].lname ? ", --" : "", opts[i].lname ? opts[i].lname : "",
		 opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
}

static void help_one(struct ns_out *o, int c, enum ns_help_style style)
{
	char syn[256], label[40];

	synopsis(c, syn, sizeof(syn));
	if (style == NS_HELP_MAN) {
		ns_printf(o, ".SS %s\n.B %s\n", cmds[c].name, cmds[c].name);
		man_escape(o, syn, strlen(syn));
		ns_printf(o, "\n.br\n");
		man_escape(o, cmds[c].summary, strlen(cmds[c].summary));
		ns_printf(o, ".\n.PP\n");
		description(o, c, style, "");
		for (int i = 0; i < NS_O_COUNT; i++) {
			if (!(opts[i].cmds & (1u << c)))
				continue;
			option_label(i, label, sizeof(label));
			ns_printf(o, ".TP\n.B ");
			man_escape(o, label, strlen(label));
			ns_printf(o, "\n");
			man_escape(o, opts[i].help, strlen(opts[i].help));
			ns_printf(o, "\n");
		}
		for (size_t e = 0; e < sizeof(examples) / sizeof(examples[0]); e++)
			if (examples[e].cmd == (enum cmd_id)c) {
				ns_printf(o, ".PP\nExample:\n.B ");
				man_escape(o, examples[e].line, strlen(examples[e].line));
				ns_printf(o, "\n");
			}
		return;
	}
	if (style == NS_HELP_TEXT)
		ns_printf(o, "%s - %s\n\nUsage: %s %s\n\n", cmds[c].name, cmds[c].summary, cmds[c].name, syn);
	description(o, c, style, style == NS_HELP_BODY ? "  " : "");
	ns_printf(o, "\n");
	for (int i = 0; i < NS_O_COUNT; i++) {
		int start = style == NS_HELP_BODY ? 4 : 2;

		if (!(opts[i].cmds & (1u << c)))
			continue;
		option_label(i, label, sizeof(label));
		ns_printf(o, "%*s%-*s", start, "", 12, label);
		if (strlen(label) >= 12)
			ns_printf(o, "\n%*s", start + 12, "");
		wrap(o, opts[i].help, start + 12, 78);
	}
	for (size_t e = 0, first = 1; e < sizeof(examples) / sizeof(examples[0]); e++)
		if (examples[e].cmd == (enum cmd_id)c) {
			if (first)
				ns_printf(o, "\n%s\n", style == NS_HELP_BODY ? "EXAMPLES" : "Examples:");
			first = 0;
			ns_printf(o, "  %s%s\n", style == NS_HELP_BODY ? "crash> " : "", examples[e].line);
		}
}

int ns_command_help(const char *name, enum ns_help_style style, struct ns_out *o, struct ns_error *err)
{
	int c = find_cmd(name);

	if (!name) {
		for (c = 0; c < NS_C_COUNT; c++) {
			if (c && style != NS_HELP_MAN)
				ns_printf(o, "\n");
			help_one(o, c, style);
		}
		return NS_OK;
	}
	if (c < 0)
		return ns_fail(err, NS_ERR_USAGE, "%s: not a nestscope command (they are kvm, vmcs12, vmcs02, vmcs01, "
			       "vmcs12-abi)", name);
	help_one(o, c, style);
	return NS_OK;
}
