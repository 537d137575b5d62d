/*
 * Session: the debugger commands (kvm, vmcs12, vmcs02, vmcs01) over a
 * target, shared by the crash extension and the gdb package so both walk,
 * decode and print the same way.  A front end parses its arguments, gives a
 * struct ns_target (memory and types) and an output sink, and reports the
 * one-line error a command returns.  Nothing here writes to the target.
 */
#ifndef NESTSCOPE_SESSION_H
#define NESTSCOPE_SESSION_H

#include "decode.h"
#include "hwlayout.h"
#include "locate.h"
#include "render.h"

struct ns_session;

/* datadir: the install's share directory, for hardware layout files. */
struct ns_session *ns_session_new(const struct ns_target *t, const char *datadir);
void ns_session_free(struct ns_session *s);

/*
 * Resolves the offsets the commands need (again while kvm_intel's types are
 * missing, so a front end can load them and retry).  NS_ERR_KVM_TYPES: kvm's
 * own types are unknown; NS_ERR_TYPES: kvm_intel's are (need_vmx only).
 */
int ns_session_ready(struct ns_session *s, bool need_vmx, struct ns_error *err);

/* What the vmcs12/vmcs02/vmcs01 commands were asked for. */
struct ns_cmd_opts {
	unsigned sections;            /* NS_SECT_*; 0 means all */
	bool all;                     /* zero fields, passing rules, expected differences too */
	bool force;                   /* decode despite a wrong revision id */
	bool json;
	const char *layout_file;      /* a hardware layout file, or NULL: the search path */
	int copy;                     /* enum ns_vmcs12_copy (vmcb12: enum ns_vmcb_copy) */
};

/* kvm [-v]: the VMs on vm_list, and their vCPUs. */
int ns_cmd_kvm(struct ns_session *s, bool verbose, bool json, struct ns_out *o, struct ns_error *err);

/* The session's target and datadir, as given to ns_session_new(). */
const struct ns_target *ns_session_target(const struct ns_session *s);
const char *ns_session_datadir(const struct ns_session *s);

/* Which vCPU a command is about: the VCPU operand as the grammar (command.c) read it. */
enum ns_vcpu_by {
	NS_VCPU_DEFAULT,    /* none given: the VM of pid (the current context) if it is one, else the one vCPU in VMX operation */
	NS_VCPU_PID,        /* a VM's pid: its one vCPU in VMX operation, or its one vCPU */
	NS_VCPU_PID_INDEX,  /* PID:INDEX */
	NS_VCPU_ADDR,       /* a struct kvm_vcpu or vcpu_vmx address */
};
struct ns_vcpu_sel {
	enum ns_vcpu_by by;
	int32_t pid;        /* PID, PID_INDEX; DEFAULT: the current context's process, or -1 */
	uint32_t idx;
	uint64_t addr;
	const char *typed;  /* the operand as typed, or NULL */
};

int ns_cmd_vmcs12(struct ns_session *s, const struct ns_vcpu_sel *vcpu, const struct ns_cmd_opts *opt,
		  struct ns_out *o, struct ns_error *err);
/* vmcs12 -a: every vCPU in VMX operation with a current vmcs12. */
int ns_cmd_vmcs12_all(struct ns_session *s, const struct ns_cmd_opts *opt, struct ns_out *o, struct ns_error *err);
/* vmcs12 -r ADDR: the vmcs12 region at a kernel address. */
int ns_cmd_vmcs12_at(struct ns_session *s, uint64_t addr, const char *label, const struct ns_cmd_opts *opt,
		     struct ns_out *o, struct ns_error *err);
/* vmcs12 -C: the SDM checks on cached_vmcs12 against the capabilities L1 was offered. */
int ns_cmd_checks(struct ns_session *s, const struct ns_vcpu_sel *vcpu, const struct ns_cmd_opts *opt, struct ns_out *o,
		  struct ns_error *err);
/* vmcs12 -D: cached_vmcs12 against vmcs02, each difference classed. */
int ns_cmd_diff(struct ns_session *s, const struct ns_vcpu_sel *vcpu, const struct ns_cmd_opts *opt, struct ns_out *o,
		struct ns_error *err);
/*
 * vmcs02 / vmcs01 of a vCPU: the analysis's result, which the renderer
 * writes (the decoded region itself is the report that points here).
 */
struct ns_loaded_vmcs_view {
	const char *name;                   /* "vmcs02" or "vmcs01" */
	uint32_t vcpu_idx;
	int32_t pid;
	uint64_t loaded_vmcs, region;       /* struct loaded_vmcs and its VMCS region (kernel addresses) */
	bool loaded;                        /* the vCPU's current loaded_vmcs */
	bool have_header;                   /* the region's first 8 bytes could be read */
	uint32_t revision, abort;           /* as read: bit 31 of revision is the shadow-VMCS indicator */
	bool decoded;                       /* a layout decoded the region (the report's vmcs[0]) */
	char region_error[320];             /* why not, when !decoded */
	struct ns_controls_shadow controls; /* loaded_vmcs.controls_shadow */
	struct ns_host_state host;          /* loaded_vmcs.host_state */
	struct ns_reg_cache regs;           /* vcpu->arch.regs: have only for the level the vCPU is at */
	bool regs_l2;                       /* that level is L2 */
};

/* vmcs02 / vmcs01: the hardware VMCS and KVM's software copies of its state. */
int ns_cmd_loaded_vmcs(struct ns_session *s, const struct ns_vcpu_sel *vcpu, bool is02, const struct ns_cmd_opts *opt,
		       struct ns_out *o, struct ns_error *err);

/*
 * vmcb12 / vmcb02 / vmcb01 of an AMD host's vCPU (svm_vcpu.h's copies;
 * vmcb12: opt->copy is NS_VMCB_COPY_VMCB12_CACHED or _MEMORY).
 */
enum { NS_VMCB_JOB_SHOW, NS_VMCB_JOB_CHECKS, NS_VMCB_JOB_DIFF };  /* vmcb12, vmcb12 -C, vmcb12 -D */
int ns_cmd_vmcb(struct ns_session *s, const struct ns_vcpu_sel *vcpu, int which, int job,
		const struct ns_cmd_opts *opt, struct ns_out *o, struct ns_error *err);

/* triage: every VM and vCPU judged (docs/json-schema.md: nestscope/triage/2). */
#define NS_TRIAGE_SCHEMA "nestscope/triage/2"
struct ns_triage_info {
	const char *dump, *format, *release, *types; /* what the front end opened, for the header */
	const char *layout_file;                     /* a hardware layout file for vmcs02, or NULL */
	bool json;
	bool html;                                   /* one self-contained HTML report instead */
};
struct ns_triage_summary {
	unsigned vms, vcpus, vmx, l2;
	unsigned problems;  /* failed SDM rules, unexplained differences, failed entries, unreadable copies */
	unsigned warnings;  /* stale copies, entries in flight, L1's failed VMX instructions */
	unsigned svm;       /* an AMD host's vCPUs using nested SVM (vmx counts VMX operation) */
	bool svm_host;      /* the host's KVM is kvm_amd: the vCPUs are struct vcpu_svm */
};
int ns_cmd_triage(struct ns_session *s, const struct ns_triage_info *info, struct ns_out *o,
		  struct ns_triage_summary *sum, struct ns_error *err);

/*
 * Bytes the front end read itself (gdb: L1's guest-physical memory through
 * QEMU's gdbstub, or a struct in memory): a vmcs12, a hardware VMCS by its
 * revision id, or a struct kvm_nested_state.
 */
int ns_cmd_region(const uint8_t *buf, size_t len, const char *label, const char *datadir,
		  const struct ns_cmd_opts *opt, struct ns_out *o, struct ns_error *err);
/* The same decoded, not printed: out (the caller's) holds the report, which also points into buf. */
struct ns_region_read {
	struct ns_nested_state ns;
	struct ns_report r;
	struct ns_hwlayout hw;
	char copy[256];                     /* the hardware VMCS's copy label */
};
int ns_region_decode(const uint8_t *buf, size_t len, const char *label, const char *datadir,
		     const struct ns_cmd_opts *opt, struct ns_region_read *out, struct ns_error *err);
/* The same as text, all sections: for pretty-printers, with no options struct to share. */
int ns_region_text(const uint8_t *buf, size_t len, const char *label, const char *datadir, struct ns_out *o,
		   struct ns_error *err);

/* One field of a vmcs12 region by name ("GUEST_RIP", case-insensitive). */
int ns_vmcs12_field(const uint8_t *buf, size_t len, const char *name, uint64_t *value, struct ns_error *err);

#endif
