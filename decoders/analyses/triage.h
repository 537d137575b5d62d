/*
 * triage's model (private to the core): what the analysis (triage.c) finds about a dump's VMs and
 * vCPUs, as raw values, and the sink it hands them to one at a time (so that
 * a dump of many VMs is judged in constant memory).  The renderer
 * (render/triage.c) is such a sink: it decodes and words the values.
 */
#ifndef NESTSCOPE_TRIAGE_H
#define NESTSCOPE_TRIAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "render/json.h"
#include "nestscope/checks.h"
#include "nestscope/diff.h"
#include "nestscope/nestscope.h"
#include "nestscope/session.h"
#include "nestscope/svm_checks.h"
#include "nestscope/vmcb_diff.h"

#define NS_TRIAGE_MAX_NOTES 24

/*
 * What a problem or warning is about: the id triage/2's findings carry, so a
 * reader can select them without parsing the sentence.  A failed SDM check's
 * id is the rule's own (checks.def: ctrl.*, guest.*, host.*, launch.*), so
 * triage's own ids start with "triage.".
 */
#define NS_TRIAGE_ID_LAYOUT "triage.vmcs12_layout"             /* this kernel's struct vmcs12 breaks the table */
#define NS_TRIAGE_ID_VCPUS_UNLISTED "triage.vcpus_unlisted"    /* a VM's vCPUs cannot be listed */
#define NS_TRIAGE_ID_VMCS12_UNREADABLE "triage.vmcs12_unreadable"
#define NS_TRIAGE_ID_VMCS12_FINDING "triage.vmcs12_finding"    /* the decoder's finding on the region */
#define NS_TRIAGE_ID_VMCS12_STALE "triage.vmcs12_stale"        /* cached_vmcs12 may be stale */
#define NS_TRIAGE_ID_ENTRY_FAILED "triage.entry_failed"        /* exit reason bit 31 */
#define NS_TRIAGE_ID_INSN_ERROR "triage.instruction_error"     /* VM-instruction error set */
#define NS_TRIAGE_ID_VMX_ABORT "triage.vmx_abort"
#define NS_TRIAGE_ID_LEVEL_UNKNOWN "triage.level_unknown"      /* loaded_vmcs neither vmcs01 nor vmcs02 */
#define NS_TRIAGE_ID_HFLAGS "triage.hflags_disagree"
#define NS_TRIAGE_ID_EVMCS "triage.evmcs"                      /* L1 uses an enlightened VMCS */
#define NS_TRIAGE_ID_RUN_PENDING "triage.nested_run_pending"
#define NS_TRIAGE_ID_SHADOW_SYNC "triage.shadow_vmcs_behind"
#define NS_TRIAGE_ID_VMCS02_UNREADABLE "triage.vmcs02_unreadable"
#define NS_TRIAGE_ID_UNEXPLAINED "triage.unexplained_differences"
#define NS_TRIAGE_ID_VMCB_UNREADABLE "triage.vmcb_unreadable"      /* an SVM vCPU's VMCB cannot be read */
#define NS_TRIAGE_ID_VMCB_INVALID "triage.vmrun_failed"            /* EXITCODE VMEXIT_INVALID: a VMRUN failed its checks */

/* A problem (counted for the exit status) or a warning: its id and one sentence. */
struct ns_triage_note {
	bool problem;
	const char *id;       /* NS_TRIAGE_ID_*, or an SDM rule's id (static strings) */
	char text[400];
};

/* Where a vCPU is. */
enum ns_triage_state {
	NS_TRIAGE_NO_VMX = NS_VMX_OFF,       /* L1, not in VMX operation */
	NS_TRIAGE_NO_VMCS = NS_VMX_NO_VMCS,  /* L1 in VMX operation, no current VMCS */
	NS_TRIAGE_VMCS12 = NS_VMX_VMCS12,    /* L1 in VMX operation, with a current vmcs12 */
	NS_TRIAGE_L2 = NS_VMX_L2,            /* L2 active (guest mode) */
};

/* This kernel's struct vmcs12 (from its types) against the built-in table. */
struct ns_triage_layout {
	bool checked;         /* the types know struct vmcs12 */
	unsigned breaks;      /* findings that break the table */
	unsigned same;        /* members at the table's offset and size */
	bool cet;             /* the nested CET fields (6.18+) are members, not padding */
};

/* The copy a value of the story was read from, freshest first. */
enum ns_triage_src {
	NS_TRIAGE_SRC_NONE,
	NS_TRIAGE_SRC_REGS,    /* KVM's register cache (vcpu->arch.regs): newer than any VMCS when marked available */
	NS_TRIAGE_SRC_VMCS02,  /* the hardware VMCS of L2, as at L0's last exit from L2 */
	NS_TRIAGE_SRC_VMCS01,  /* the hardware VMCS of L1, as at L0's last exit from L1 */
	NS_TRIAGE_SRC_VMCS12,  /* cached_vmcs12: what L1 sees; L2's state only as of the last sync */
};

/* The processor mode of a guest (SDM Vol. 3, 2.2 Modes of operation). */
enum ns_triage_cpu_mode {
	NS_TRIAGE_MODE_UNKNOWN,
	NS_TRIAGE_MODE_REAL,
	NS_TRIAGE_MODE_V8086,
	NS_TRIAGE_MODE_PROTECTED,
	NS_TRIAGE_MODE_COMPAT,  /* IA-32e mode, CS.L clear */
	NS_TRIAGE_MODE_64,      /* IA-32e mode, CS.L set */
};

/* Whether L1 knows what L2 did: has this vmcs12 ever exited to L1. */
enum ns_triage_told {
	NS_TRIAGE_TOLD_NA,      /* no current vmcs12 */
	NS_TRIAGE_TOLD_NEVER,   /* launch state clear: no exit to L1 from this vmcs12 since its VMCLEAR */
	NS_TRIAGE_TOLD_EXITED,  /* launch state set: vmcs12's exit fields are L1's last exit */
};

/*
 * A vCPU's story: where its current level (L2 in guest mode, else L1) is,
 * what stopped it and who knows, as raw values with the copy each was read
 * from.  L1's last exit is the vmcs12 highlights' reason/qual/exit_intr_info.
 */
struct ns_triage_story {
	bool l2;                          /* the story is L2's (guest mode), else L1's */
	bool have_rip;
	uint64_t rip;
	enum ns_triage_src rip_src;
	enum ns_triage_cpu_mode mode;
	enum ns_triage_src mode_src;
	/* L0's last exit: KVM's exit reason; the qualification from the loaded VMCS when its exit-reason field agrees */
	bool have_l0_exit, have_l0_qual;
	uint32_t l0_reason;
	uint64_t l0_qual, l0_intr_info;
	enum ns_triage_src l0_qual_src;
	enum ns_triage_told told;
	/* events: vmcs02's IDT vectoring (an event L0's exit interrupted) and its pending injection */
	bool have02;
	uint64_t idt02, idt_err02, inject02, inject_err02;
	char failed_rule[64];             /* the first failing SDM check's id, or "" */
	unsigned failed_rules;
};

/* Whether L1 has been told, from vmcs12's launch state and exit reason (a failed entry is told too). */
enum ns_triage_told ns_triage_told(uint32_t launch_state, uint64_t exit_reason);

/*
 * An AMD host's vCPU judged (the vCPU is a struct vcpu_svm): its level from
 * state, the exit L0 last handled from the VMCB it runs on, the event
 * vmcb02 injects next, L1's vmcb12 as KVM cached it, each with its copy.
 */
struct ns_triage_svm {
	enum ns_svm_state state;
	bool have_current;                 /* the VMCB the vCPU runs on (vmcb02 in L2, else vmcb01) was read */
	const char *current;               /* "vmcb02", "vmcb01" */
	uint64_t exit_code, exit_info_1, exit_info_2, exit_int_info, exit_int_info_err;
	uint64_t event_inj, event_inj_err; /* the current VMCB's EVENTINJ: injected at the next VMRUN */
	uint64_t efer, cr0, cs_attrib;     /* the current level's mode, from the current VMCB */
	bool have_rip;
	uint64_t rip;
	const char *rip_from;              /* "KVM's register cache", "vmcb02", "vmcb01" */
	bool have12;                       /* KVM's cache of vmcb12 (nested.ctl) was read */
	uint64_t v12_intercepts[3];        /* words 3, 4, 5 */
	uint64_t v12_misc_ctl, v12_asid, v12_int_ctl, v12_event_inj, v12_nested_cr3, v12_tlb_ctl;
	/* the APM's VMRUN checks on KVM's cache of vmcb12, against the CPUID and MAXPHYADDR KVM gave L1 */
	bool have_checks;
	unsigned rules, pass, fail, not_judged, na;
	char first_failed[64];
	/* vmcb12 (KVM's cache) against vmcb02, with vmcb01: in guest mode only */
	bool have_diff;
	unsigned compared, differ, expected, stale, unexplained;
	char unexplained_fields[240];
	/*
	 * The judgement the counts above come from, rule by rule and field by
	 * field (have_checks, have_diff), for a renderer that lists them (the
	 * HTML report): the caller's work area, valid while the sink holds this
	 * vCPU (the next vCPU's judgement reuses it).
	 */
	const struct ns_svm_check_report *checks;
	const struct ns_vmcb_diff *diff;
};

/* One vCPU judged. */
struct ns_triage_vcpu {
	const struct ns_vcpu *v;
	enum ns_triage_state state;
	/* cached_vmcs12's highlights, read from the copy (have12) */
	bool have12;
	bool exit_stale;      /* its exit information is stale (the vCPU is in L2) */
	char copy12[160];
	struct ns_copy_ref ref12;  /* which copy (its label is copy12's text when rendered) */
	uint32_t revision, launch_state;
	uint64_t pin, proc, proc2, exitc, entry;
	uint64_t reason, qual, exit_intr_info, insn_error;
	uint64_t entry_intr, entry_err, entry_len, idt, idt_err;
	uint64_t guest_rip, host_rip;
	/* the SDM checks on it */
	bool have_checks;
	unsigned rules, pass, fail, not_judged, na;
	char not_judged_ids[240];  /* the rules that apply but were not judged, by id, space-separated */
	char caps[200];
	bool have_caps;            /* capsv holds the capabilities judged against */
	struct ns_vmx_caps capsv;
	/* against vmcs02: have_diff, or not compared (launch state clear in L1), or diff_error */
	bool have_diff, not_compared;
	char diff_error[320];
	uint64_t guest_rip02;  /* vmcs02's GUEST_RIP: L2's RIP at its last exit to L0 */
	unsigned compared, equal, differ, cls[4];
	const struct ns_field *stale[NS_DIFF_MAX], *unexplained[NS_DIFF_MAX];
	unsigned nstale, nunexplained;
	struct ns_diff_entry diffs[NS_DIFF_MAX];  /* every difference, for a side-by-side view */
	unsigned ndiffs;
	struct ns_triage_note notes[NS_TRIAGE_MAX_NOTES];
	unsigned nnotes;
	struct ns_triage_story story;
	struct ns_triage_svm svm;  /* v->svm: an AMD host's vCPU (the VMX members above stay empty) */
};

/*
 * Judges one vCPU into vt (which points to v): its state, vmcs12's
 * highlights, the SDM checks, vmcs12 against vmcs02, the problems and
 * warnings.  w is what it reads (large; ns_triage_run allocates one).
 */
struct ns_triage_work;
void ns_triage_judge(struct ns_session *s, const struct ns_vcpu *v, const char *layout_file, struct ns_triage_work *w,
		     struct ns_triage_vcpu *vt);

/* The field names of a list, space-separated, as many as fit in n (at least 64 bytes kept free). */
void ns_triage_field_names(const struct ns_field *const *f, unsigned nf, char *buf, size_t n);

#define NS_TRIAGE_HOST_PROBLEMS 20  /* problems kept by name for the host summary; all are counted */
#define NS_TRIAGE_HOST_RULES 16     /* distinct failing rules tallied */
#define NS_TRIAGE_EXIT_SLOTS 128    /* basic exit reasons tallied one by one (the SDM's run below 80) */

/* A problem as the host summary lists it: where, and its sentence. */
struct ns_triage_host_problem {
	int32_t pid;          /* the VM's, -1 for the host's own (the vmcs12 layout) */
	bool vm_level;        /* the VM's (its vCPUs cannot be listed), not one vCPU's */
	uint32_t vcpu;
	const char *id;       /* the note's id (static) */
	char text[400];
};

/*
 * The host at a glance, tallied over every vCPU before the report is
 * written (a first pass of the same judgement, at the same constant memory),
 * so that the report can start with it: vCPUs by state, what is common
 * across them, and the problems.
 */
struct ns_triage_host {
	unsigned vms, vcpus;
	unsigned states[NS_TRIAGE_L2 + 1];  /* by enum ns_triage_state */
	unsigned svm_states[NS_SVM_L2 + 1]; /* an AMD host's vCPUs, by enum ns_svm_state */
	bool svm;                           /* the vCPUs are an AMD host's (struct vcpu_svm) */
	unsigned failed_entries;            /* vCPUs whose vmcs12 says the last entry to L2 failed */
	unsigned problem_vcpus, problem_vms;
	unsigned told, not_told;            /* vCPUs with a vmcs12: has it exited to L1 */
	unsigned l0_exits[NS_TRIAGE_EXIT_SLOTS], l0_exit_other, l0_exit_unknown;
	struct {
		char id[64];
		unsigned vcpus;
	} rules[NS_TRIAGE_HOST_RULES];
	unsigned nrules, rules_other;
	/* an AMD host's: L0's last #VMEXIT by exit code (sparse: up to 0x403, and VMEXIT_INVALID), and the APM's
	 * VMRUN rules failing on KVM's cache of vmcb12 (in rules[] above, by their svm.* ids) */
	struct {
		uint64_t code;
		unsigned vcpus;
	} svm_exits[NS_TRIAGE_HOST_RULES];
	unsigned nsvm_exits, svm_exits_other;
	struct ns_triage_host_problem problems[NS_TRIAGE_HOST_PROBLEMS];
	unsigned nproblems, problems_total;
};

/*
 * Where triage hands what it found, in the order of the report: begin, then
 * per VM vm, vcpu for each of its vCPUs, vm_end (verr: why its vCPUs could
 * not be listed, or NS_OK), and end with the summary.
 */
struct ns_triage_sink {
	void *ctx;
	void (*begin)(void *ctx, const struct ns_triage_info *info, const struct ns_triage_layout *layout,
		      const struct ns_triage_host *host);
	void (*vm)(void *ctx, const struct ns_vm *vm);
	void (*vcpu)(void *ctx, const struct ns_triage_vcpu *tv);
	void (*vm_end)(void *ctx, const struct ns_vm *vm, const struct ns_error *verr);
	void (*end)(void *ctx, const struct ns_triage_summary *sum);
};

/* Walks vm_list, judges every vCPU and hands each to sink; sum gets the counts. */
int ns_triage_run(struct ns_session *s, const struct ns_triage_info *info, const struct ns_triage_sink *sink,
		  struct ns_triage_summary *sum, struct ns_error *err);

/* The renderer's sink (render/triage.c): text, or one nestscope/triage/2 document. */
struct ns_triage_render {
	struct ns_out *o;
	bool json;
	bool html;            /* the self-contained HTML report (render/triage_html.c) */
	struct json j;        /* the JSON writer while the document is open */
};
void ns_render_triage_sink(struct ns_triage_render *r, struct ns_triage_sink *sink);

#endif
