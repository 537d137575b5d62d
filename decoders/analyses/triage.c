/*
 * nestscope triage: every VM and vCPU of a kernel image, what nested state
 * it was in and whether anything is wrong.  Per vCPU: its mode, vmcs12's
 * highlights (controls, the last exit, a failed entry, pending injection),
 * the SDM checks against the capabilities L1 was given, vmcs12 against
 * vmcs02, and the staleness of each copy.  Problems (a failed rule, an
 * unexplained difference, a failed VM entry, a copy that cannot be read)
 * and warnings (stale copies, an entry in flight) are counted for the exit
 * status.  This file judges and fills the model (triage.h); the report's
 * words are render/triage.c's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nestscope/vmcs12_abi.h"
#include "kvm/session_priv.h"
#include "analyses/triage.h"
#include "nestscope/svm_checks.h"
#include "sdm/vmx_names.h"

static void note(struct ns_triage_vcpu *vt, bool problem, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A problem or warning: id names its kind (triage.h's NS_TRIAGE_ID_*, or an SDM rule's id), fmt its sentence. */
static void note(struct ns_triage_vcpu *vt, bool problem, const char *id, const char *fmt, ...)
{
	va_list ap;

	if (vt->nnotes >= NS_TRIAGE_MAX_NOTES)
		return;
	vt->notes[vt->nnotes].problem = problem;
	vt->notes[vt->nnotes].id = id;
	va_start(ap, fmt);
	vsnprintf(vt->notes[vt->nnotes].text, sizeof(vt->notes[0].text), fmt, ap);
	va_end(ap);
	vt->nnotes++;
}

static uint64_t field(const struct ns_vmcs *v, uint32_t enc)
{
	uint64_t x = 0;

	ns_vmcs_read(v, enc, &x, NULL);
	return x;
}

/* A decoding's one-line form, for a note's sentence ("" when the value has none). */
static void explain(enum ns_decoder d, uint64_t value, const struct ns_context *ctx, char *buf, size_t n)
{
	struct ns_decoding dec;

	buf[0] = '\0';
	if (ns_explain(d, value, ctx, &dec))
		ns_decoding_format(&dec, buf, n);
}

/* vmcs12's highlights, from the copy read. */
static void highlights(const struct ns_vcpu_report *vr, struct ns_triage_vcpu *vt)
{
	const struct ns_decoded_vmcs *dv = &vr->r.vmcs[0];
	const struct ns_vmcs *v = &dv->vmcs;
	struct ns_context ctx = { 0 };

	vt->have12 = true;
	vt->exit_stale = (dv->stale_sections & NS_SECT_EXIT) != 0;
	snprintf(vt->copy12, sizeof(vt->copy12), "%s", vr->copy);
	vt->ref12 = vr->ref;
	vt->ref12.label = NULL;   /* vr's buffer is reused: the renderer points it at copy12 */
	vt->revision = dv->info.revision;
	vt->launch_state = dv->info.launch_state;
	vt->pin = field(v, PIN_BASED_VM_EXEC_CONTROL);
	vt->proc = field(v, CPU_BASED_VM_EXEC_CONTROL);
	vt->proc2 = field(v, SECONDARY_VM_EXEC_CONTROL);
	vt->exitc = field(v, VM_EXIT_CONTROLS);
	vt->entry = field(v, VM_ENTRY_CONTROLS);
	vt->insn_error = field(v, VM_INSTRUCTION_ERROR);
	vt->reason = field(v, VM_EXIT_REASON);
	vt->qual = field(v, EXIT_QUALIFICATION);
	vt->exit_intr_info = field(v, VM_EXIT_INTR_INFO);
	vt->entry_intr = field(v, VM_ENTRY_INTR_INFO_FIELD);
	vt->entry_err = field(v, VM_ENTRY_EXCEPTION_ERROR_CODE);
	vt->entry_len = field(v, VM_ENTRY_INSTRUCTION_LEN);
	vt->idt = field(v, IDT_VECTORING_INFO_FIELD);
	vt->idt_err = field(v, IDT_VECTORING_ERROR_CODE);
	vt->guest_rip = field(v, GUEST_RIP);
	vt->host_rip = field(v, HOST_RIP);

	for (unsigned i = 0; i < dv->info.nfindings; i++)
		note(vt, false, NS_TRIAGE_ID_VMCS12_FINDING, "vmcs12: %s", dv->info.findings[i].text);
	if (dv->stale_note)
		note(vt, false, NS_TRIAGE_ID_VMCS12_STALE, "cached_vmcs12 may be stale: %s", dv->stale_note);
	if (vt->reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
		char reason[160], qual[240];

		ctx.have_exit_reason = true;
		ctx.exit_reason = (uint32_t)vt->reason;
		ctx.have_exit_intr_info = true;
		ctx.exit_intr_info = (uint32_t)vt->exit_intr_info;
		explain(NS_DEC_EXIT_REASON, vt->reason, NULL, reason, sizeof(reason));
		explain(NS_DEC_EXIT_QUAL, vt->qual, &ctx, qual, sizeof(qual));
		note(vt, true, NS_TRIAGE_ID_ENTRY_FAILED, "the last VM entry to L2 failed: exit reason %s, qualification 0x%llx (%s)", reason,
		     (unsigned long long)vt->qual, qual[0] ? qual : "see the SDM's VM-entry failures");
	}
	if (vt->insn_error) {
		const char *name = ns_vm_insn_error_name((unsigned)vt->insn_error);

		note(vt, false, NS_TRIAGE_ID_INSN_ERROR, "L1's last VMX instruction failed: VM-instruction error %llu (%s)",
		     (unsigned long long)vt->insn_error, name ? name : "unknown");
	}
	if (dv->info.abort)
		note(vt, true, NS_TRIAGE_ID_VMX_ABORT, "VMX abort indicator %u: KVM aborted a VM exit to L1", dv->info.abort);
}

void ns_triage_field_names(const struct ns_field *const *f, unsigned nf, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < nf; i++)
		if (len + 64 < n)
			len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? " " : "", f[i]->name);
}

/* What judging one vCPU reads: the caller's, reused from vCPU to vCPU. */
struct ns_triage_work {
	struct ns_vmcb vmcb, vmcb12;  /* an AMD host's vCPU: the VMCB it runs on, KVM's cache of vmcb12 */
	struct ns_vmcb vmcb01;        /* with vmcb (vmcb02 in guest mode) for the diff */
	struct ns_svm_check_report svm_checks;
	struct ns_vmcb_diff vmcb_diff;
	struct ns_vmcs12_read v12;
	struct ns_hw_read v02, v01;
	struct ns_vmx_caps caps;
	struct ns_check_report checks;
	struct ns_diff diff;
};

/*
 * A guest's mode from its state in a VMCS.  At every VM exit the processor
 * writes IA32_EFER.LMA into the "IA-32e mode guest" entry control (SDM Vol.
 * 3, 28.2, "Updating Non-Register State"), and KVM keeps it so in vmcs12:
 * it says IA-32e mode even where the VMCS does not save EFER.
 */
static enum ns_triage_cpu_mode cpu_mode(const struct ns_vmcs *vm)
{
	uint64_t cr0, rflags, cs_ar, entry;

	if (ns_vmcs_read(vm, GUEST_CR0, &cr0, NULL) || ns_vmcs_read(vm, GUEST_RFLAGS, &rflags, NULL) ||
	    ns_vmcs_read(vm, GUEST_CS_AR_BYTES, &cs_ar, NULL) || ns_vmcs_read(vm, VM_ENTRY_CONTROLS, &entry, NULL))
		return NS_TRIAGE_MODE_UNKNOWN;
	if (entry & VM_ENTRY_IA32E_MODE)
		return cs_ar & VMX_AR_L ? NS_TRIAGE_MODE_64 : NS_TRIAGE_MODE_COMPAT;
	if (!(cr0 & X86_CR0_PE))
		return NS_TRIAGE_MODE_REAL;
	return rflags & X86_EFLAGS_VM ? NS_TRIAGE_MODE_V8086 : NS_TRIAGE_MODE_PROTECTED;
}

/*
 * The story of the level the vCPU is at, from the freshest copy: KVM's
 * register cache when it marks RIP available (KVM reads or writes RIP there
 * after the exit, e.g. when it skips an emulated instruction; the VMCS gets
 * it at the next entry), then the loaded hardware VMCS (vmcs02 in L2,
 * vmcs01 in L1: the state at L0's last exit), then vmcs12 (L2's state only
 * as of the last exit to L1 or sync).
 */
static void story(struct ns_session *s, const struct ns_vcpu *v, const char *layout_file, struct ns_triage_work *w,
		  struct ns_triage_vcpu *vt)
{
	struct ns_triage_story *st = &vt->story;
	const struct ns_vmcs *hw = NULL;
	struct ns_reg_cache rc;
	struct ns_error err;
	enum ns_triage_src hw_src = v->guest_mode ? NS_TRIAGE_SRC_VMCS02 : NS_TRIAGE_SRC_VMCS01;

	st->l2 = v->guest_mode;
	if (v->guest_mode && vt->have_diff) {
		hw = &w->v02.rep.vmcs[0].vmcs;
	} else if (!v->guest_mode && v->vmcs01 &&
		   ns_session_read_hw(s, v, v->vmcs01, "vmcs01", layout_file, &w->v01, &err) == NS_OK) {
		hw = &w->v01.rep.vmcs[0].vmcs;
	}
	if (ns_kvm_reg_cache(s->t, &s->off, v->vcpu, &rc, &err) == NS_OK && rc.have && rc.rip_avail) {
		st->have_rip = true;
		st->rip = rc.rip;
		st->rip_src = NS_TRIAGE_SRC_REGS;
	} else if (hw && ns_vmcs_read(hw, GUEST_RIP, &st->rip, NULL) == NS_OK) {
		st->have_rip = true;
		st->rip_src = hw_src;
	} else if (v->guest_mode && vt->have12) {
		st->have_rip = true;
		st->rip = vt->guest_rip;
		st->rip_src = NS_TRIAGE_SRC_VMCS12;
	}
	/* the register cache has no mode: the loaded VMCS has it, else vmcs12 */
	if (hw && (st->mode = cpu_mode(hw)) != NS_TRIAGE_MODE_UNKNOWN)
		st->mode_src = hw_src;
	else if (v->guest_mode && vt->have12 && (st->mode = cpu_mode(&w->v12.vr.r.vmcs[0].vmcs)) != NS_TRIAGE_MODE_UNKNOWN)
		st->mode_src = NS_TRIAGE_SRC_VMCS12;

	/*
	 * L0's last exit is KVM's vmx->exit_reason; the loaded VMCS's exit
	 * fields are that exit's only when its exit-reason field is the same
	 * (an exit reflected to L1 leaves them in vmcs02 while vmcs01 is loaded)
	 */
	if (v->have_exit_reason) {
		uint64_t reason;

		st->have_l0_exit = true;
		st->l0_reason = v->exit_reason;
		if (hw && ns_vmcs_read(hw, VM_EXIT_REASON, &reason, NULL) == NS_OK && (uint32_t)reason == v->exit_reason &&
		    ns_vmcs_read(hw, EXIT_QUALIFICATION, &st->l0_qual, NULL) == NS_OK) {
			st->have_l0_qual = true;
			st->l0_qual_src = hw_src;
			st->l0_intr_info = field(hw, VM_EXIT_INTR_INFO);
		}
	}
	if (hw) {
		st->have02 = v->guest_mode;
		st->idt02 = field(hw, IDT_VECTORING_INFO_FIELD);
		st->idt_err02 = field(hw, IDT_VECTORING_ERROR_CODE);
		st->inject02 = field(hw, VM_ENTRY_INTR_INFO_FIELD);
		st->inject_err02 = field(hw, VM_ENTRY_EXCEPTION_ERROR_CODE);
	}
	if (vt->have12)
		st->told = ns_triage_told(vt->launch_state, vt->reason);
	if (vt->have_checks)
		for (unsigned i = 0; i < w->checks.n; i++)
			if (w->checks.r[i].verdict == NS_FAIL && !st->failed_rules++)
				snprintf(st->failed_rule, sizeof(st->failed_rule), "%s", w->checks.r[i].rule->id);
}

static void judge(struct ns_session *s, const struct ns_vcpu *v, const char *layout_file, struct ns_triage_work *w,
		  struct ns_triage_vcpu *vt);

/*
 * KVM sets vmcs12's launch state in prepare_vmcs12, at an exit to L1 after a
 * successful entry; a failed VM entry (exit reason bit 31) is reported to L1
 * through the same exit fields but leaves the launch state as it was (clear
 * after a failed VMLAUNCH): L1 has been told either way.
 */
enum ns_triage_told ns_triage_told(uint32_t launch_state, uint64_t exit_reason)
{
	return launch_state || (exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY) ? NS_TRIAGE_TOLD_EXITED
									       : NS_TRIAGE_TOLD_NEVER;
}

/*
 * An AMD host's vCPU: the VMCB it runs on (vmcb02 in guest mode) holds L0's
 * last #VMEXIT and the current level's state; KVM's register cache is
 * fresher for RIP when it says so.  The VMCB layout is architectural, so
 * nothing here depends on the CPU model.
 */
static void judge_svm(struct ns_session *s, const struct ns_vcpu *v, struct ns_triage_work *w, struct ns_triage_vcpu *vt)
{
	struct ns_triage_svm *t = &vt->svm;
	enum ns_vmcb_copy cur = v->guest_mode ? NS_VMCB_COPY_VMCB02 : NS_VMCB_COPY_VMCB01;
	struct ns_reg_cache rc;
	struct ns_error err;
	char label[256];

	memset(vt, 0, sizeof(*vt));
	vt->v = v;
	t->state = ns_vcpu_svm_state(v);
	vt->story.l2 = v->guest_mode;
	if (v->hflags_judged && !v->hflags_agrees)
		note(vt, false, NS_TRIAGE_ID_HFLAGS, "hflags 0x%llx says %s, but the vCPU runs on %s: the dump or KVM is inconsistent here",
		     (unsigned long long)v->hflags, v->guest_mode ? "L1" : "L2", v->guest_mode ? "vmcb02 (L2)" : "vmcb01 (L1)");
	if (v->nested_run_pending)
		note(vt, false, NS_TRIAGE_ID_RUN_PENDING, "a VMRUN is in flight (nested_run_pending): vmcb12 was checked, L2 not yet entered");
	if (v->s.current_vmcb != v->s.vmcb01_info && v->s.current_vmcb != v->s.vmcb02_info)
		note(vt, false, NS_TRIAGE_ID_LEVEL_UNKNOWN, "current_vmcb 0x%llx is neither &vmcb01 nor &nested.vmcb02: the vCPU's "
		     "level cannot be told", (unsigned long long)v->s.current_vmcb);
	else if (ns_svm_read_vmcb(s->t, &s->off, v, cur, &w->vmcb, label, sizeof(label), &err))
		note(vt, true, NS_TRIAGE_ID_VMCB_UNREADABLE, "%s", err.msg);
	else {
		t->have_current = true;
		t->current = ns_vmcb_copy_name(cur);
		t->exit_code = ns_vmcb_get(&w->vmcb, NS_VMCB_EXIT_CODE);
		t->exit_info_1 = ns_vmcb_get(&w->vmcb, NS_VMCB_EXIT_INFO_1);
		t->exit_info_2 = ns_vmcb_get(&w->vmcb, NS_VMCB_EXIT_INFO_2);
		t->exit_int_info = ns_vmcb_get(&w->vmcb, NS_VMCB_EXIT_INT_INFO);
		t->exit_int_info_err = ns_vmcb_get(&w->vmcb, NS_VMCB_EXIT_INT_INFO_ERR);
		t->event_inj = ns_vmcb_get(&w->vmcb, NS_VMCB_EVENT_INJ);
		t->event_inj_err = ns_vmcb_get(&w->vmcb, NS_VMCB_EVENT_INJ_ERR);
		t->efer = ns_vmcb_get(&w->vmcb, NS_VMCB_EFER);
		t->cr0 = ns_vmcb_get(&w->vmcb, NS_VMCB_CR0);
		t->cs_attrib = ns_vmcb_get(&w->vmcb, NS_VMCB_CS_ATTRIB);
		t->have_rip = true;
		t->rip = ns_vmcb_get(&w->vmcb, NS_VMCB_RIP);
		t->rip_from = t->current;
		if (t->exit_code == NS_SVM_EXIT_ERR)
			note(vt, true, NS_TRIAGE_ID_VMCB_INVALID, "%s's EXITCODE is VMEXIT_INVALID: the last VMRUN on it failed the "
			     "processor's consistency checks", t->current);
	}
	/* KVM's register cache is newer than the VMCB's RIP when it marks RIP available */
	if (ns_kvm_reg_cache(s->t, &s->off, v->vcpu, &rc, &err) == NS_OK && rc.have && rc.rip_avail) {
		t->have_rip = true;
		t->rip = rc.rip;
		t->rip_from = "KVM's register cache";
	}
	if (t->state == NS_SVM_OFF)
		return;
	if (ns_svm_read_vmcb(s->t, &s->off, v, NS_VMCB_COPY_VMCB12_CACHED, &w->vmcb12, label, sizeof(label), &err)) {
		note(vt, true, NS_TRIAGE_ID_VMCB_UNREADABLE, "vmcb12: %s", err.msg);
		return;
	}
	t->have12 = true;
	t->v12_intercepts[0] = ns_vmcb_get(&w->vmcb12, NS_VMCB_INTERCEPT_WORD3);
	t->v12_intercepts[1] = ns_vmcb_get(&w->vmcb12, NS_VMCB_INTERCEPT_WORD4);
	t->v12_intercepts[2] = ns_vmcb_get(&w->vmcb12, NS_VMCB_INTERCEPT_WORD5);
	t->v12_misc_ctl = ns_vmcb_get(&w->vmcb12, NS_VMCB_MISC_CTL);
	t->v12_asid = ns_vmcb_get(&w->vmcb12, NS_VMCB_ASID);
	t->v12_int_ctl = ns_vmcb_get(&w->vmcb12, NS_VMCB_INT_CTL);
	t->v12_event_inj = ns_vmcb_get(&w->vmcb12, NS_VMCB_EVENT_INJ);
	t->v12_nested_cr3 = ns_vmcb_get(&w->vmcb12, NS_VMCB_NESTED_CR3);
	t->v12_tlb_ctl = ns_vmcb_get(&w->vmcb12, NS_VMCB_TLB_CTL);

	/* the APM's VMRUN checks, against what KVM gave this L1 (no capabilities: those rules are not judged) */
	if (ns_kvm_svm_caps(s->t, &s->off, v, &w->caps, &err) == NS_OK)
		ns_check_vmcb12(&w->vmcb12, &w->caps, NULL, &w->svm_checks);
	else
		ns_check_vmcb12(&w->vmcb12, NULL, NULL, &w->svm_checks);
	t->have_checks = true;
	t->checks = &w->svm_checks;
	t->rules = w->svm_checks.n;
	t->pass = w->svm_checks.pass;
	t->fail = w->svm_checks.fail;
	t->not_judged = w->svm_checks.not_judged;
	t->na = w->svm_checks.na;
	for (unsigned i = 0; i < w->svm_checks.n; i++)
		if (w->svm_checks.r[i].verdict == NS_FAIL) {
			if (!t->first_failed[0])
				snprintf(t->first_failed, sizeof(t->first_failed), "%s", w->svm_checks.r[i].rule->id);
			note(vt, true, w->svm_checks.r[i].rule->id, "vmcb12 (KVM's cache) fails %s: %s", w->svm_checks.r[i].rule->id,
			     w->svm_checks.r[i].detail);
		}

	/* in L2: vmcb12 against the vmcb02 KVM built from it (and vmcb01) */
	if (!v->guest_mode || !t->have_current)
		return;
	if (ns_svm_read_vmcb(s->t, &s->off, v, NS_VMCB_COPY_VMCB01, &w->vmcb01, label, sizeof(label), &err)) {
		note(vt, true, NS_TRIAGE_ID_VMCB_UNREADABLE, "vmcb01: %s", err.msg);
		return;
	}
	/* a VMRUN in flight (nested_run_pending): vmcb02 is built, L2 not entered, what KVM sets at the entry not there */
	ns_diff_vmcb_ctx(&w->vmcb12, &w->vmcb, &w->vmcb01,
			 &(struct ns_vmcb_diff_context){ .guest_mode = true, .run_pending = v->nested_run_pending },
			 &w->vmcb_diff);
	t->have_diff = true;
	t->diff = &w->vmcb_diff;
	t->compared = w->vmcb_diff.compared;
	t->differ = w->vmcb_diff.n;
	t->expected = w->vmcb_diff.count[NS_DIFF_EXPECTED];
	t->stale = w->vmcb_diff.count[NS_DIFF_STALE];
	t->unexplained = w->vmcb_diff.count[NS_DIFF_UNEXPLAINED];
	for (unsigned i = 0, len = 0; i < w->vmcb_diff.n; i++)
		if (w->vmcb_diff.e[i].cls == NS_DIFF_UNEXPLAINED && len + 32 < sizeof(t->unexplained_fields))
			len += (unsigned)snprintf(t->unexplained_fields + len, sizeof(t->unexplained_fields) - len, "%s%s",
						  len ? " " : "", w->vmcb_diff.e[i].field->name);
	if (t->unexplained)
		note(vt, true, NS_TRIAGE_ID_UNEXPLAINED, "vmcb02 differs from vmcb12 where KVM's construction explains nothing: %s",
		     t->unexplained_fields);
}

void ns_triage_judge(struct ns_session *s, const struct ns_vcpu *v, const char *layout_file, struct ns_triage_work *w,
		     struct ns_triage_vcpu *vt)
{
	if (v->svm) {
		judge_svm(s, v, w, vt);
		return;
	}
	judge(s, v, layout_file, w, vt);
	story(s, v, layout_file, w, vt);
}

static void judge(struct ns_session *s, const struct ns_vcpu *v, const char *layout_file, struct ns_triage_work *w,
		  struct ns_triage_vcpu *vt)
{
	struct ns_error err;

	memset(vt, 0, sizeof(*vt));
	vt->v = v;
	vt->state = (enum ns_triage_state)ns_vcpu_vmx_state(v);
	if (vt->state == NS_TRIAGE_NO_VMX || vt->state == NS_TRIAGE_NO_VMCS)
		return;
	/* guest mode is the loaded VMCS; hflags must agree, on kernels whose HF_GUEST_MASK bit is known */
	if (!v->guest_mode && !v->loaded_is_vmcs01)
		note(vt, false, NS_TRIAGE_ID_LEVEL_UNKNOWN, "loaded_vmcs 0x%llx is neither vmcs01 nor vmcs02: the vCPU's level cannot be told",
		     (unsigned long long)v->loaded_vmcs);
	if (v->hflags_judged && !v->hflags_agrees)
		note(vt, false, NS_TRIAGE_ID_HFLAGS, "hflags 0x%llx says %s, but the loaded VMCS is %s: the dump or KVM is inconsistent here",
		     (unsigned long long)v->hflags, v->guest_mode ? "L1" : "L2", v->guest_mode ? "vmcs02 (L2)" : "vmcs01 (L1)");
	/* KVM's EVMPTR_INVALID (-1) and EVMPTR_MAP_PENDING (-2) mean none is mapped */
	if (v->have_hv_evmcs && v->hv_evmcs_vmptr < ~1ull)
		note(vt, false, NS_TRIAGE_ID_EVMCS, "L1 uses Hyper-V's enlightened VMCS at GPA 0x%llx: vmcs12 is KVM's copy of it",
		     (unsigned long long)v->hv_evmcs_vmptr);
	if (v->nested_run_pending)
		note(vt, false, NS_TRIAGE_ID_RUN_PENDING, "a VMLAUNCH/VMRESUME is in flight (nested_run_pending): vmcs12 was checked, L2 not yet entered");
	if (v->need_vmcs12_to_shadow_sync)
		note(vt, false, NS_TRIAGE_ID_SHADOW_SYNC, "L1's shadow VMCS is behind vmcs12 (need_vmcs12_to_shadow_sync)");

	if (ns_session_checks(s, v, &w->v12, &w->caps, &w->checks, &err)) {
		note(vt, true, NS_TRIAGE_ID_VMCS12_UNREADABLE, "vmcs12: %s", err.msg);
		return;
	}
	highlights(&w->v12.vr, vt);
	vt->have_checks = true;
	vt->rules = w->checks.n;
	vt->pass = w->checks.pass;
	vt->fail = w->checks.fail;
	vt->na = w->checks.na;
	vt->not_judged = w->checks.not_judged;
	/* whole ids only: those that do not fit are counted ("and 3 more"), never cut */
	const size_t room = sizeof(vt->not_judged_ids) - sizeof(" and 4294967295 more");
	size_t len = 0;
	unsigned listed = 0;
	for (unsigned i = 0; i < w->checks.n; i++) {
		const char *id = w->checks.r[i].rule->id;

		if (w->checks.r[i].verdict != NS_NOT_JUDGED || len + strlen(id) + 1 > room)
			continue;
		len += (size_t)snprintf(vt->not_judged_ids + len, sizeof(vt->not_judged_ids) - len, "%s%s", len ? " " : "", id);
		listed++;
	}
	if (listed < vt->not_judged)
		snprintf(vt->not_judged_ids + len, sizeof(vt->not_judged_ids) - len, len ? " and %u more" : "%u rules",
			 vt->not_judged - listed);
	snprintf(vt->caps, sizeof(vt->caps), "%s", w->caps.source);
	if (w->checks.caps) {
		vt->have_caps = true;
		vt->capsv = *w->checks.caps;
	}
	for (unsigned i = 0; i < w->checks.n; i++)
		if (w->checks.r[i].verdict == NS_FAIL)
			note(vt, true, w->checks.r[i].rule->id, "SDM check %s failed (%s): %s", w->checks.r[i].rule->id, w->checks.r[i].rule->section,
			     w->checks.r[i].detail);

	/* KVM sets vmcs12's launch state at L2's first exit to L1: clear in L1, L2
	 * has not run from this vmcs12 (or its entry failed), and vmcs02 is not
	 * built from it */
	if (!v->guest_mode && !vt->launch_state) {
		vt->not_compared = true;
		return;
	}
	if (ns_session_diff(s, v, layout_file, &w->v12, &w->v02, &w->diff, &err)) {
		snprintf(vt->diff_error, sizeof(vt->diff_error), "%s", err.msg);
		/* in L2 the vCPU runs on vmcs02: it must be there */
		note(vt, v->guest_mode, NS_TRIAGE_ID_VMCS02_UNREADABLE, "vmcs02: %s", err.msg);
		return;
	}
	vt->have_diff = true;
	vt->guest_rip02 = field(&w->v02.rep.vmcs[0].vmcs, GUEST_RIP);
	vt->compared = w->diff.compared;
	vt->equal = w->diff.equal;
	vt->differ = w->diff.n;
	memcpy(vt->cls, w->diff.count, sizeof(vt->cls));
	vt->ndiffs = w->diff.n;
	memcpy(vt->diffs, w->diff.e, w->diff.n * sizeof(w->diff.e[0]));
	for (unsigned i = 0; i < w->diff.n; i++) {
		if (w->diff.e[i].cls == NS_DIFF_UNEXPLAINED)
			vt->unexplained[vt->nunexplained++] = w->diff.e[i].field;
		else if (w->diff.e[i].cls == NS_DIFF_STALE)
			vt->stale[vt->nstale++] = w->diff.e[i].field;
	}
	if (vt->cls[NS_DIFF_UNEXPLAINED]) {
		char names[400];

		ns_triage_field_names(vt->unexplained, vt->nunexplained, names, sizeof(names));
		note(vt, true, NS_TRIAGE_ID_UNEXPLAINED, "vmcs12 and vmcs02 differ where KVM's construction rules do not explain it: %s", names);
	}
}

static unsigned count(const struct ns_triage_vcpu *vt, bool problem)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vt->nnotes; i++)
		n += vt->notes[i].problem == problem;
	return n;
}

/*
 * The vmcs12 layout of this kernel, from its own types: struct vmcs12 member
 * by member against the built-in table every vmcs12 here is decoded with.
 * A break means every decoded field may be misread: a problem, said once.
 */
static void vmcs12_layout(struct ns_session *s, struct ns_triage_layout *lv)
{
	struct ns_abi_report *r = calloc(1, sizeof(*r));
	struct ns_error err;

	memset(lv, 0, sizeof(*lv));
	if (!r || !ns_km_have(&s->off, NS_KM_VMCS12_SIZE) || ns_vmcs12_abi_lookup(s->t, r, &err)) {
		free(r);
		return;
	}
	lv->checked = true;
	lv->breaks = r->breaks;
	lv->same = r->same;
	lv->cet = true;
	for (unsigned i = 0; i < r->nfindings; i++)
		if (r->findings[i].kind == NS_ABI_ABSENT && r->findings[i].table_newer)
			lv->cet = false;
	free(r);
}

static void host_problem(struct ns_triage_host *h, int32_t pid, bool vm_level, uint32_t vcpu, const char *id,
			 const char *text)
{
	h->problems_total++;
	if (h->nproblems < NS_TRIAGE_HOST_PROBLEMS) {
		struct ns_triage_host_problem *p = &h->problems[h->nproblems++];

		p->pid = pid;
		p->vm_level = vm_level;
		p->vcpu = vcpu;
		p->id = id;
		snprintf(p->text, sizeof(p->text), "%s", text);
	}
}

/* A failing rule (the SDM's or the APM's, by id) on one more vCPU. */
static void tally_rule(struct ns_triage_host *h, const char *id)
{
	unsigned r;

	for (r = 0; r < h->nrules && strcmp(h->rules[r].id, id); r++)
		;
	if (r == h->nrules && h->nrules < NS_TRIAGE_HOST_RULES)
		snprintf(h->rules[h->nrules++].id, sizeof(h->rules[0].id), "%s", id);
	if (r < h->nrules)
		h->rules[r].vcpus++;
	else
		h->rules_other++;
}

/* An AMD vCPU's last #VMEXIT on one more vCPU. */
static void tally_svm_exit(struct ns_triage_host *h, uint64_t code)
{
	unsigned e;

	for (e = 0; e < h->nsvm_exits && h->svm_exits[e].code != code; e++)
		;
	if (e == h->nsvm_exits && h->nsvm_exits < NS_TRIAGE_HOST_RULES)
		h->svm_exits[h->nsvm_exits++].code = code;
	if (e < h->nsvm_exits)
		h->svm_exits[e].vcpus++;
	else
		h->svm_exits_other++;
}

/* One judged vCPU into the host's tally. */
static void host_add(struct ns_triage_host *h, const struct ns_triage_vcpu *vt, const struct ns_check_report *checks)
{
	const struct ns_triage_story *st = &vt->story;
	bool problem = false;

	h->vcpus++;
	if (vt->v->svm) {
		/* an AMD host's vCPU: its state, L0's last exit unknown to the VMX tallies, its problems */
		h->svm = true;
		h->svm_states[vt->svm.state]++;
		h->l0_exit_unknown += !vt->svm.have_current;
		if (vt->svm.have_current)
			tally_svm_exit(h, vt->svm.exit_code);
		for (unsigned i = 0; vt->svm.have_checks && vt->svm.checks && i < vt->svm.checks->n; i++)
			if (vt->svm.checks->r[i].verdict == NS_FAIL)
				tally_rule(h, vt->svm.checks->r[i].rule->id);
		for (unsigned i = 0; i < vt->nnotes; i++)
			if (vt->notes[i].problem) {
				problem = true;
				host_problem(h, vt->v->pid, false, vt->v->idx, vt->notes[i].id, vt->notes[i].text);
			}
		h->problem_vcpus += problem;
		return;
	}
	h->states[vt->state]++;
	if (vt->have12 && (vt->reason & VMX_EXIT_REASONS_FAILED_VMENTRY))
		h->failed_entries++;
	if (st->told == NS_TRIAGE_TOLD_EXITED)
		h->told++;
	else if (st->told == NS_TRIAGE_TOLD_NEVER)
		h->not_told++;
	if (!st->have_l0_exit)
		h->l0_exit_unknown++;
	else if ((st->l0_reason & 0xffff) < NS_TRIAGE_EXIT_SLOTS)
		h->l0_exits[st->l0_reason & 0xffff]++;
	else
		h->l0_exit_other++;
	for (unsigned i = 0; vt->have_checks && i < checks->n; i++)
		if (checks->r[i].verdict == NS_FAIL)
			tally_rule(h, checks->r[i].rule->id);
	for (unsigned i = 0; i < vt->nnotes; i++)
		if (vt->notes[i].problem) {
			problem = true;
			host_problem(h, vt->v->pid, false, vt->v->idx, vt->notes[i].id, vt->notes[i].text);
		}
	h->problem_vcpus += problem;
}

int ns_triage_run(struct ns_session *s, const struct ns_triage_info *info, const struct ns_triage_sink *sink,
		  struct ns_triage_summary *sum, struct ns_error *err)
{
	struct ns_triage_host *host = NULL;
	struct ns_triage_vcpu *vt = NULL;
	struct ns_walk *walk = NULL;
	struct ns_triage_work *work = NULL;
	struct ns_triage_layout lv;
	int rc;

	memset(sum, 0, sizeof(*sum));
	if ((rc = ns_session_ready(s, true, err)))
		return rc;
	sum->svm_host = s->off.svm_host;
	if (!(walk = malloc(sizeof(*walk))) || !(work = malloc(sizeof(*work))) || !(vt = malloc(sizeof(*vt))) ||
	    !(host = calloc(1, sizeof(*host)))) {
		rc = ns_fail(err, NS_ERR_NOMEM, "out of memory");
		goto out;
	}
	/*
	 * The one walker: VMs first, each VM's vCPUs below, so that one VM's
	 * corrupt vCPU list is a problem reported for that VM, and the others
	 * are still judged.
	 */
	if ((rc = ns_session_walk(s, walk, err)))
		goto out;
	vmcs12_layout(s, &lv);
	sum->problems += lv.breaks ? 1 : 0;
	/* the first pass: the host summary, which the report starts with */
	if (lv.breaks)
		host_problem(host, -1, false, 0, NS_TRIAGE_ID_LAYOUT, "this kernel's struct vmcs12 breaks the built-in table: vmcs12 fields may "
			     "be misread");
	for (size_t i = 0; i < walk->nvms; i++) {
		unsigned problem_vcpus = host->problem_vcpus;

		host->vms++;
		for (size_t k = walk->first[i]; k < walk->first[i] + walk->count[i]; k++) {
			struct ns_vcpu v = walk->vcpus[k];

			ns_triage_judge(s, &v, info->layout_file, work, vt);
			host_add(host, vt, &work->checks);
		}
		if (walk->vm_err[i].code != NS_OK)
			host_problem(host, walk->vms[i].pid, true, 0, NS_TRIAGE_ID_VCPUS_UNLISTED, walk->vm_err[i].msg);
		/* a VM with a problem: one of its vCPUs has one, or its vCPUs cannot be listed */
		host->problem_vms += host->problem_vcpus > problem_vcpus || walk->vm_err[i].code != NS_OK;
	}
	sink->begin(sink->ctx, info, &lv, host);
	for (size_t i = 0; i < walk->nvms; i++) {
		const struct ns_vm *vm = &walk->vms[i];
		const struct ns_error verr = walk->vm_err[i];

		sum->vms++;
		sink->vm(sink->ctx, vm);
		for (size_t k = walk->first[i]; k < walk->first[i] + walk->count[i]; k++) {
			struct ns_vcpu v = walk->vcpus[k];

			ns_triage_judge(s, &v, info->layout_file, work, vt);
			sum->vcpus++;
			sum->vmx += v.vmxon;
			sum->svm += v.svm && ns_vcpu_svm_state(&v) != NS_SVM_OFF;
			sum->l2 += v.guest_mode;
			sum->problems += count(vt, true);
			sum->warnings += count(vt, false);
			sink->vcpu(sink->ctx, vt);
		}
		if (verr.code != NS_OK)
			sum->problems++;
		sink->vm_end(sink->ctx, vm, &verr);
	}
	sink->end(sink->ctx, sum);
	rc = NS_OK;
out:
	free(host);
	free(vt);
	free(work);
	free(walk);
	return rc;
}

int ns_cmd_triage(struct ns_session *s, const struct ns_triage_info *info, struct ns_out *o,
		  struct ns_triage_summary *sum, struct ns_error *err)
{
	struct ns_triage_render r = { .o = o, .json = info->json, .html = info->html };
	struct ns_triage_sink sink;

	ns_render_triage_sink(&r, &sink);
	return ns_triage_run(s, info, &sink, sum, err);
}
