/*
 * The debugger commands' one grammar (commands.def): the crash extension,
 * the gdb package and the CLI hand the user's argument vector to
 * ns_command() and print what comes back; help text comes from the same
 * table.  A front end gives, besides the session's target (memory and
 * types), a struct ns_frontend: what only a debugger knows.
 */
#ifndef NESTSCOPE_COMMAND_H
#define NESTSCOPE_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * The ABI the Python packages' ctypes declarations (plugin/python/
 * nestscope_abi.py, shared by gdb and drgn) are written against: struct
 * ns_target, ns_out, ns_error, ns_frontend, ns_abi_member, the functions
 * below, and ns_session_new/ns_session_free, ns_region_text,
 * ns_vmcs12_field (session.h) and ns_module_symbol (locate.h), the gdb
 * pretty-printers' ns_vmcs12_slot, ns_launch_state_str (vmcs12.h),
 * ns_vmcs_section_key (render.h) and ns_nested_flags_join (nested_state.h),
 * and for struct vmcb and struct vcpu_svm ns_vmcb_field_text,
 * ns_svm_value_text (svm_explain.h) and ns_svm_exit_name (vmcb.h).
 * Any change to one of them increments it.
 */
#define NS_ABI_VERSION 4
unsigned ns_abi_version(void);

struct ns_abi_member;
struct ns_out;
struct ns_session;

struct ns_frontend {
	void *ctx;
	/*
	 * The value of an address the user typed that is not a plain
	 * hexadecimal number: a symbol or an expression in the debugger's own
	 * syntax.  NULL: the target's symbols only.
	 */
	bool (*eval)(void *ctx, const char *expr, uint64_t *value);
	/* Reads the target's physical memory (vmcs12 -p); NULL when it has none. */
	bool (*read_phys)(void *ctx, uint64_t pa, void *buf, size_t len);
	/* The process of the current context (crash's `set PID`), or -1; NULL: none. */
	int32_t (*current_pid)(void *ctx);
	/*
	 * vmcs12-abi: the members of the kernel's struct vmcs12 (up to max) and
	 * its size; -1 when the type is not known.  NULL: the members are looked
	 * up by name through the target (crash's MEMBER_OFFSET).
	 */
	long (*vmcs12_members)(void *ctx, struct ns_abi_member *m, size_t max, uint64_t *size);
	const char *release;       /* the target's kernel release, for vmcs12-abi; NULL when not known */
	const char *types_origin;  /* where the types come from, for vmcs12-abi's header */
	/*
	 * What read_phys's addresses are, for the label of what vmcs12 -p
	 * decodes: "L1 guest-physical" through QEMU's gdbstub on an L1 guest
	 * hypervisor; NULL: "physical" (a dump's or a live kernel's own).
	 */
	const char *phys_space;
};

/*
 * Runs one command line: argv[0] is the command (kvm, vmcs12, vmcs02,
 * vmcs01, vmcs12-abi).  Usage errors are NS_ERR_USAGE and name the option
 * as typed; missing debug types NS_ERR_KVM_TYPES (kvm.ko) or NS_ERR_TYPES
 * (kvm-intel.ko), so the front end can load them and run the line again
 * (nothing is printed before types are checked).
 */
int ns_command(struct ns_session *s, const struct ns_frontend *fe, int argc, const char *const *argv,
	       struct ns_out *o, struct ns_error *err);

/* Is name one of the grammar's commands? */
bool ns_command_exists(const char *name);
/* The i-th command's name, or NULL past the last. */
const char *ns_command_name(size_t i);
/* Its one-line summary, or NULL for an unknown command. */
const char *ns_command_summary(const char *name);
/* Its synopsis ("[-v] [-j|--json]") into buf; false for an unknown command. */
bool ns_command_synopsis(const char *name, char *buf, size_t n);
/*
 * The i-th option it takes, in the order its synopsis and help list them:
 * its letter, long name and argument's name (NULL when it has none); false
 * past the last or for an unknown command.  A debugger's completion offers them.
 */
bool ns_command_option(const char *name, size_t i, char *letter, const char **lname, const char **arg);
/* Its positional argument's name ("VCPU"; "" when it takes none), or NULL for an unknown command. */
const char *ns_command_operand(const char *name);

enum ns_help_style {
	NS_HELP_TEXT,   /* "Usage: ..." and the description: gdb's help and 'nestscope help CMD' */
	NS_HELP_BODY,   /* the description, options and examples only: crash's help after its NAME and SYNOPSIS */
	NS_HELP_MAN,    /* troff for docs/nestscope.1's DEBUGGER COMMANDS section */
};
/* A command's help (name NULL: every command, in table order). */
int ns_command_help(const char *name, enum ns_help_style style, struct ns_out *o, struct ns_error *err);

#endif
