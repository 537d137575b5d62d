/*
 * nestscope triage: every VM and vCPU of a kernel image, what nested state
 * it was in and whether anything is wrong.  Per vCPU: its mode, vmcs12's
 * highlights (controls, the last exit, a failed entry, pending injection),
 * the SDM checks against the capabilities L1 was given, vmcs12 against
 * vmcs02, and the staleness of each copy.  Problems (a failed rule, an
 * unexplained difference, a failed VM entry, a copy that cannot be read)
 * and warnings (stale copies, an entry in flight) are counted for the exit
 * status.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "nestscope/vmcs12_abi.h"
#include "session_priv.h"
#include "vmx_names.h"

#define MAX_NOTES 24

struct note {
	bool problem;
	char text[400];
};

/* What the report says about one vCPU. */
struct vcpu_triage {
	const struct ns_vcpu *v;
	const char *state;           /* one phrase: where the vCPU is */
	bool have12, exit_stale;
	char copy12[160];
	uint32_t revision, launch_state;
	uint64_t pin, proc, proc2, exitc, entry;
	uint64_t reason, qual, insn_error, entry_intr, entry_err, entry_len, idt, idt_err;
	uint64_t guest_rip, host_rip;
	uint64_t guest_rip02;           /* vmcs02's GUEST_RIP: L2's RIP at its last exit to L0 */
	char entry_dec[400], reason_dec[160], qual_dec[240], entry_intr_dec[160], idt_dec[160];
	bool have_checks;
	unsigned rules, pass, fail, na;
	char caps[200];
	bool have_diff;
	const char *not_compared;    /* why vmcs12 is not compared with vmcs02 */
	char diff_error[320];
	unsigned compared, differ, cls[4];
	char unexplained[400], stale[400];
	struct note notes[MAX_NOTES];
	unsigned nnotes;
};

static void note(struct vcpu_triage *vt, bool problem, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void note(struct vcpu_triage *vt, bool problem, const char *fmt, ...)
{
	va_list ap;

	if (vt->nnotes >= MAX_NOTES)
		return;
	vt->notes[vt->nnotes].problem = problem;
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

static void explain(enum ns_decoder d, uint64_t value, const struct ns_context *ctx, char *buf, size_t n)
{
	struct ns_decoding dec;

	buf[0] = '\0';
	if (ns_explain(d, value, ctx, &dec))
		ns_decoding_format(&dec, buf, n);
}

/* vmcs12's highlights, from the copy read. */
static void highlights(const struct ns_vcpu_report *vr, struct vcpu_triage *vt)
{
	const struct ns_decoded_vmcs *dv = &vr->r.vmcs[0];
	const struct ns_vmcs *v = &dv->vmcs;
	struct ns_context ctx = { 0 };

	vt->have12 = true;
	vt->exit_stale = (dv->stale_sections & NS_SECT_EXIT) != 0;
	snprintf(vt->copy12, sizeof(vt->copy12), "%s", vr->copy);
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
	vt->entry_intr = field(v, VM_ENTRY_INTR_INFO_FIELD);
	vt->entry_err = field(v, VM_ENTRY_EXCEPTION_ERROR_CODE);
	vt->entry_len = field(v, VM_ENTRY_INSTRUCTION_LEN);
	vt->idt = field(v, IDT_VECTORING_INFO_FIELD);
	vt->idt_err = field(v, IDT_VECTORING_ERROR_CODE);
	vt->guest_rip = field(v, GUEST_RIP);
	vt->host_rip = field(v, HOST_RIP);
	ctx.have_exit_reason = true;
	ctx.exit_reason = (uint32_t)vt->reason;
	ctx.have_exit_intr_info = true;
	ctx.exit_intr_info = (uint32_t)field(v, VM_EXIT_INTR_INFO);
	explain(NS_DEC_ENTRY_CTLS, vt->entry, NULL, vt->entry_dec, sizeof(vt->entry_dec));
	explain(NS_DEC_EXIT_REASON, vt->reason, NULL, vt->reason_dec, sizeof(vt->reason_dec));
	explain(NS_DEC_EXIT_QUAL, vt->qual, &ctx, vt->qual_dec, sizeof(vt->qual_dec));
	explain(NS_DEC_INTR_INFO, vt->entry_intr, NULL, vt->entry_intr_dec, sizeof(vt->entry_intr_dec));
	explain(NS_DEC_INTR_INFO, vt->idt, NULL, vt->idt_dec, sizeof(vt->idt_dec));

	for (unsigned i = 0; i < dv->info.nfindings; i++)
		note(vt, false, "vmcs12: %s", dv->info.findings[i].text);
	if (dv->stale_note)
		note(vt, false, "cached_vmcs12 may be stale: %s", dv->stale_note);
	if (vt->reason & VMX_EXIT_REASONS_FAILED_VMENTRY)
		note(vt, true, "the last VM entry to L2 failed: exit reason %s, qualification 0x%llx (%s)", vt->reason_dec,
		     (unsigned long long)vt->qual, vt->qual_dec[0] ? vt->qual_dec : "see the SDM's VM-entry failures");
	if (vt->insn_error) {
		const char *name = ns_vm_insn_error_name((unsigned)vt->insn_error);

		note(vt, false, "L1's last VMX instruction failed: VM-instruction error %llu (%s)",
		     (unsigned long long)vt->insn_error, name ? name : "unknown");
	}
	if (dv->info.abort)
		note(vt, true, "VMX abort indicator %u: KVM aborted a VM exit to L1", dv->info.abort);
}

/* The names of the fields a diff puts in class c, space-separated. */
static void field_names(const struct ns_diff *d, enum ns_diff_class c, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < d->n; i++)
		if (d->e[i].cls == c && len + 64 < n)
			len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? " " : "", d->e[i].field->name);
}

/* What judging one vCPU reads: the caller's, reused from vCPU to vCPU. */
struct judge_work {
	struct ns_vmcs12_read v12;
	struct ns_hw_read v02;
	struct ns_vmx_caps caps;
	struct ns_check_report checks;
	struct ns_diff diff;
};

static void judge(struct ns_session *s, const struct ns_vcpu *v, const char *layout_file, struct judge_work *w,
		  struct vcpu_triage *vt)
{
	struct ns_error err;

	memset(vt, 0, sizeof(*vt));
	vt->v = v;
	if (!v->vmxon) {
		vt->state = "L1, not in VMX operation";
		return;
	}
	if (v->current_vmptr == ~0ull || !v->cached_vmcs12) {
		vt->state = "L1 in VMX operation, no current VMCS";
		return;
	}
	vt->state = v->guest_mode ? "L2 active (guest mode)" : "L1 in VMX operation, with a current vmcs12";
	/* guest mode is the loaded VMCS; hflags must agree, on kernels whose HF_GUEST_MASK bit is known */
	if (!v->guest_mode && !v->loaded_is_vmcs01)
		note(vt, false, "loaded_vmcs 0x%llx is neither vmcs01 nor vmcs02: the vCPU's level cannot be told",
		     (unsigned long long)v->loaded_vmcs);
	if (v->hflags_judged && !v->hflags_agrees)
		note(vt, false, "hflags 0x%llx says %s, but the loaded VMCS is %s: the dump or KVM is inconsistent here",
		     (unsigned long long)v->hflags, v->guest_mode ? "L1" : "L2", v->guest_mode ? "vmcs02 (L2)" : "vmcs01 (L1)");
	/* KVM's EVMPTR_INVALID (-1) and EVMPTR_MAP_PENDING (-2) mean none is mapped */
	if (v->have_hv_evmcs && v->hv_evmcs_vmptr < ~1ull)
		note(vt, false, "L1 uses Hyper-V's enlightened VMCS at GPA 0x%llx: vmcs12 is KVM's copy of it",
		     (unsigned long long)v->hv_evmcs_vmptr);
	if (v->nested_run_pending)
		note(vt, false, "a VMLAUNCH/VMRESUME is in flight (nested_run_pending): vmcs12 was checked, L2 not yet entered");
	if (v->need_vmcs12_to_shadow_sync)
		note(vt, false, "L1's shadow VMCS is behind vmcs12 (need_vmcs12_to_shadow_sync)");

	if (ns_session_checks(s, v, &w->v12, &w->caps, &w->checks, &err)) {
		note(vt, true, "vmcs12: %s", err.msg);
		return;
	}
	highlights(&w->v12.vr, vt);
	vt->have_checks = true;
	vt->rules = w->checks.n;
	vt->pass = w->checks.pass;
	vt->fail = w->checks.fail;
	vt->na = w->checks.na;
	snprintf(vt->caps, sizeof(vt->caps), "%s", w->caps.source);
	for (unsigned i = 0; i < w->checks.n; i++)
		if (w->checks.r[i].verdict == NS_FAIL)
			note(vt, true, "SDM check %s failed (%s): %s", w->checks.r[i].rule->id, w->checks.r[i].rule->section,
			     w->checks.r[i].detail);

	/* KVM sets vmcs12's launch state at L2's first exit to L1: clear in L1, L2
	 * has not run from this vmcs12 (or its entry failed), and vmcs02 is not
	 * built from it */
	if (!v->guest_mode && !vt->launch_state) {
		vt->not_compared = "not compared: this vmcs12 has not run L2 (launch state clear), "
				   "KVM builds vmcs02 from it at VM entry";
		return;
	}
	if (ns_session_diff(s, v, layout_file, &w->v12, &w->v02, &w->diff, &err)) {
		snprintf(vt->diff_error, sizeof(vt->diff_error), "%s", err.msg);
		/* in L2 the vCPU runs on vmcs02: it must be there */
		note(vt, v->guest_mode, "vmcs02: %s", err.msg);
		return;
	}
	vt->have_diff = true;
	vt->guest_rip02 = field(&w->v02.rep.vmcs[0].vmcs, GUEST_RIP);
	vt->compared = w->diff.compared;
	vt->differ = w->diff.n;
	memcpy(vt->cls, w->diff.count, sizeof(vt->cls));
	field_names(&w->diff, NS_DIFF_UNEXPLAINED, vt->unexplained, sizeof(vt->unexplained));
	field_names(&w->diff, NS_DIFF_STALE, vt->stale, sizeof(vt->stale));
	if (vt->cls[NS_DIFF_UNEXPLAINED])
		note(vt, true, "vmcs12 and vmcs02 differ where KVM's construction rules do not explain it: %s",
		     vt->unexplained);
}

static unsigned count(const struct vcpu_triage *vt, bool problem)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vt->nnotes; i++)
		n += vt->notes[i].problem == problem;
	return n;
}

/* ---- text ---- */

static void text_vcpu(struct ns_out *o, const struct vcpu_triage *vt)
{
	const struct ns_vcpu *v = vt->v;

	ns_printf(o, "  vCPU %u (vcpu_vmx 0x%llx): %s\n", v->idx, (unsigned long long)v->vmx, vt->state);
	if (v->have_exit_reason) {
		char reason[160];

		explain(NS_DEC_EXIT_REASON, v->exit_reason, NULL, reason, sizeof(reason));
		ns_printf(o, "    L0's last exit %s\n", reason);
	}
	if (v->vmxon)
		ns_printf(o, "    VMXON region GPA 0x%llx, current VMCS GPA 0x%llx%s\n", (unsigned long long)v->vmxon_ptr,
			  (unsigned long long)v->current_vmptr, v->current_vmptr == ~0ull ? " (none)" : "");
	if (vt->have12) {
		ns_printf(o, "    vmcs12 %s: revision 0x%x, %s\n", vt->copy12, vt->revision,
			  vt->launch_state ? "launched" : "clear (not launched)");
		ns_printf(o, "      controls     pin 0x%llx  proc 0x%llx  proc2 0x%llx  exit 0x%llx  entry 0x%llx\n",
			  (unsigned long long)vt->pin, (unsigned long long)vt->proc, (unsigned long long)vt->proc2,
			  (unsigned long long)vt->exitc, (unsigned long long)vt->entry);
		ns_printf(o, "      entry        %s\n", vt->entry_dec[0] ? vt->entry_dec : "-");
		ns_printf(o, "      last exit    %s, qualification 0x%llx%s%s%s\n", vt->reason_dec,
			  (unsigned long long)vt->qual, vt->qual_dec[0] ? ": " : "", vt->qual_dec,
			  vt->exit_stale ? " (the last exit to L1: stale while L2 runs)" : "");
		ns_printf(o, "      entry failed %s\n",
			  vt->reason & VMX_EXIT_REASONS_FAILED_VMENTRY ? "YES (exit reason bit 31)" : "no");
		ns_printf(o, "      insn error   %llu%s%s\n", (unsigned long long)vt->insn_error,
			  vt->insn_error ? " " : " (none)",
			  vt->insn_error && ns_vm_insn_error_name((unsigned)vt->insn_error)
				  ? ns_vm_insn_error_name((unsigned)vt->insn_error) : "");
		if (vt->entry_intr & INTR_INFO_VALID)
			ns_printf(o, "      injection    %s, error code 0x%llx, instruction length %llu\n", vt->entry_intr_dec,
				  (unsigned long long)vt->entry_err, (unsigned long long)vt->entry_len);
		else
			ns_printf(o, "      injection    none pending\n");
		if (vt->idt & INTR_INFO_VALID)
			ns_printf(o, "      vectoring    %s, error code 0x%llx (an event was being delivered at the exit)\n",
				  vt->idt_dec, (unsigned long long)vt->idt_err);
		ns_printf(o, "      L2 RIP 0x%llx (guest state), L1's exit handler 0x%llx (host RIP)\n",
			  (unsigned long long)vt->guest_rip, (unsigned long long)vt->host_rip);
	}
	if (vt->have_checks)
		ns_printf(o, "    SDM checks   %u rules: %u pass, %u fail, %u not applicable (against %s)\n", vt->rules,
			  vt->pass, vt->fail, vt->na, vt->caps);
	if (vt->have_diff)
		ns_printf(o, "    vs vmcs02    %u of %u fields differ: %u expected, %u stale%s%s%s, %u unexplained\n",
			  vt->differ, vt->compared, vt->cls[NS_DIFF_EXPECTED], vt->cls[NS_DIFF_STALE],
			  vt->stale[0] ? " (" : "", vt->stale, vt->stale[0] ? ")" : "", vt->cls[NS_DIFF_UNEXPLAINED]);
	else if (vt->not_compared)
		ns_printf(o, "    vs vmcs02    %s\n", vt->not_compared);
	for (unsigned i = 0; i < vt->nnotes; i++)
		ns_printf(o, "    %s %s\n", vt->notes[i].problem ? "PROBLEM" : "warning", vt->notes[i].text);
}

/* ---- JSON ---- */

static void json_vcpu(struct json *j, const struct vcpu_triage *vt)
{
	const struct ns_vcpu *v = vt->v;

	json_obj_begin(j);
	json_kv_uint(j, "index", v->idx);
	json_kv_hex(j, "kvm_vcpu", v->vcpu);
	json_kv_hex(j, "vcpu_vmx", v->vmx);
	json_kv_str(j, "mode", v->guest_mode ? "L2" : "L1");
	json_kv_str(j, "state", vt->state);
	json_kv_bool(j, "vmxon", v->vmxon);
	json_kv_hex(j, "vmxon_ptr", v->vmxon_ptr);
	json_kv_hex(j, "current_vmptr", v->current_vmptr);
	json_kv_bool(j, "nested_run_pending", v->nested_run_pending);
	json_kv_hex(j, "hflags", v->hflags);
	json_key(j, "hflags_agrees");
	if (v->hflags_judged)
		json_bool(j, v->hflags_agrees);
	else
		json_null(j);
	if (v->have_exit_reason) {
		const char *name = ns_exit_reason_name(v->exit_reason & 0xffff);

		json_kv_uint(j, "l0_last_exit_reason", v->exit_reason);
		json_kv_str(j, "l0_last_exit_name", name ? name : "unknown");
	}
	if (vt->have12) {
		json_key(j, "vmcs12");
		json_obj_begin(j);
		json_kv_str(j, "copy", vt->copy12);
		json_kv_hex(j, "revision", vt->revision);
		json_kv_bool(j, "launched", vt->launch_state != 0);
		json_key(j, "controls");
		json_obj_begin(j);
		json_kv_hex(j, "pin", vt->pin);
		json_kv_hex(j, "proc", vt->proc);
		json_kv_hex(j, "proc2", vt->proc2);
		json_kv_hex(j, "exit", vt->exitc);
		json_kv_hex(j, "entry", vt->entry);
		json_kv_str(j, "entry_decoded", vt->entry_dec);
		json_obj_end(j);
		json_key(j, "last_exit");
		json_obj_begin(j);
		json_kv_uint(j, "reason", vt->reason & 0xffff);
		json_kv_hex(j, "reason_field", vt->reason);
		json_kv_str(j, "reason_decoded", vt->reason_dec);
		json_kv_bool(j, "entry_failure", (vt->reason & VMX_EXIT_REASONS_FAILED_VMENTRY) != 0);
		json_kv_bool(j, "stale", vt->exit_stale);
		json_kv_hex(j, "qualification", vt->qual);
		json_kv_str(j, "qualification_decoded", vt->qual_dec);
		json_kv_uint(j, "instruction_error", vt->insn_error);
		json_obj_end(j);
		json_key(j, "injection");
		json_obj_begin(j);
		json_kv_bool(j, "pending", (vt->entry_intr & INTR_INFO_VALID) != 0);
		json_kv_hex(j, "info", vt->entry_intr);
		json_kv_str(j, "decoded", vt->entry_intr_dec);
		json_kv_hex(j, "error_code", vt->entry_err);
		json_kv_uint(j, "instruction_len", vt->entry_len);
		json_obj_end(j);
		json_key(j, "idt_vectoring");
		json_obj_begin(j);
		json_kv_bool(j, "valid", (vt->idt & INTR_INFO_VALID) != 0);
		json_kv_hex(j, "info", vt->idt);
		json_kv_str(j, "decoded", vt->idt_dec);
		json_kv_hex(j, "error_code", vt->idt_err);
		json_obj_end(j);
		json_kv_hex(j, "guest_rip", vt->guest_rip);
		json_kv_hex(j, "host_rip", vt->host_rip);
		json_obj_end(j);
	}
	if (vt->have_checks) {
		json_key(j, "checks");
		json_obj_begin(j);
		json_kv_uint(j, "rules", vt->rules);
		json_kv_uint(j, "pass", vt->pass);
		json_kv_uint(j, "fail", vt->fail);
		json_kv_uint(j, "not_applicable", vt->na);
		json_kv_str(j, "capabilities", vt->caps);
		json_obj_end(j);
	}
	if (vt->have_diff || vt->diff_error[0]) {
		json_key(j, "vs_vmcs02");
		json_obj_begin(j);
		if (vt->have_diff) {
			json_kv_uint(j, "compared", vt->compared);
			json_kv_uint(j, "differ", vt->differ);
			json_kv_hex(j, "vmcs02_guest_rip", vt->guest_rip02);
			for (int c = NS_DIFF_EXPECTED; c <= NS_DIFF_UNEXPLAINED; c++)
				json_kv_uint(j, ns_diff_class_name((enum ns_diff_class)c), vt->cls[c]);
			json_kv_str(j, "stale_fields", vt->stale);
			json_kv_str(j, "unexplained_fields", vt->unexplained);
		} else {
			json_kv_str(j, "error", vt->diff_error);
		}
		json_obj_end(j);
	}
	for (int p = 1; p >= 0; p--) {
		json_key(j, p ? "problems" : "warnings");
		json_arr_begin(j);
		for (unsigned i = 0; i < vt->nnotes; i++)
			if (vt->notes[i].problem == (bool)p)
				json_str(j, vt->notes[i].text);
		json_arr_end(j);
	}
	json_obj_end(j);
}

/*
 * The vmcs12 layout of this kernel, from its own types: struct vmcs12 member
 * by member against the built-in table every vmcs12 here is decoded with.
 * A break means every decoded field may be misread: a problem, said once.
 */
struct layout_verdict {
	bool checked;      /* the types know struct vmcs12 */
	unsigned breaks;
	bool cet;          /* the nested CET fields (6.18+) are members, not padding */
	char text[200];
};

static void vmcs12_layout(struct ns_session *s, struct layout_verdict *lv)
{
	struct ns_abi_report *r = calloc(1, sizeof(*r));
	struct ns_error err;

	memset(lv, 0, sizeof(*lv));
	if (!r || !ns_km_have(&s->off, NS_KM_VMCS12_SIZE) || ns_vmcs12_abi_lookup(s->t, r, &err)) {
		snprintf(lv->text, sizeof(lv->text), "struct vmcs12 is not in these types: the built-in table is "
			 "used unchecked (nestscope abi checks a kernel's debuginfo)");
		free(r);
		return;
	}
	lv->checked = true;
	lv->breaks = r->breaks;
	lv->cet = true;
	for (unsigned i = 0; i < r->nfindings; i++)
		if (r->findings[i].kind == NS_ABI_ABSENT && r->findings[i].table_newer)
			lv->cet = false;
	if (r->breaks)
		snprintf(lv->text, sizeof(lv->text), "this kernel's struct vmcs12 breaks the built-in table in %u place%s: "
			 "vmcs12 fields may be misread ('nestscope abi' names them)", r->breaks, r->breaks == 1 ? "" : "s");
	else
		snprintf(lv->text, sizeof(lv->text), "this kernel's struct vmcs12 matches the built-in table (%u members); "
			 "nested CET fields at 680-727 %s", r->same, lv->cet ? "present" : "absent (padding)");
	free(r);
}

int ns_cmd_triage(struct ns_session *s, const struct ns_triage_info *info, struct ns_out *o,
		  struct ns_triage_summary *sum, struct ns_error *err)
{
	struct vcpu_triage vt;
	struct ns_walk *walk = NULL;
	struct judge_work *work = NULL;
	struct json j;
	int rc;

	memset(sum, 0, sizeof(*sum));
	/*
	 * VMs first; each VM's vCPUs below, so that one VM's corrupt vCPU list
	 * is a problem reported for that VM, and the others are still judged.
	 */
	struct layout_verdict lv;

	if ((rc = ns_session_ready(s, true, err)))
		return rc;
	if (!(walk = malloc(sizeof(*walk))) || !(work = malloc(sizeof(*work)))) {
		rc = ns_fail(err, NS_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* the one walker: a VM whose vCPUs cannot be listed keeps its error, the others are judged */
	if ((rc = ns_session_walk(s, walk, err)))
		goto out;
	vmcs12_layout(s, &lv);
	sum->problems += lv.breaks ? 1 : 0;
	if (info->json) {
		json_init(&j, o);
		json_obj_begin(&j);
		json_kv_str(&j, "schema", NS_TRIAGE_SCHEMA);
		json_kv_str(&j, "dump", info->dump);
		json_kv_str(&j, "format", info->format);
		json_kv_str(&j, "release", info->release);
		json_kv_str(&j, "types", info->types);
		json_key(&j, "vmcs12_layout");
		json_obj_begin(&j);
		json_kv_bool(&j, "checked", lv.checked);
		json_kv_uint(&j, "breaks", lv.breaks);
		json_key(&j, "cet_fields");
		if (lv.checked)
			json_bool(&j, lv.cet);
		else
			json_null(&j);
		json_kv_str(&j, "text", lv.text);
		json_obj_end(&j);
		json_key(&j, "vms");
		json_arr_begin(&j);
	} else {
		ns_printf(o, "dump     %s (%s), Linux %s\ntypes    %s\nvmcs12   %s%s\n", info->dump, info->format,
			  info->release, info->types, lv.breaks ? "PROBLEM " : "", lv.text);
	}
	for (size_t i = 0; i < walk->nvms; i++) {
		const struct ns_vm *vm = &walk->vms[i];
		const struct ns_error verr = walk->vm_err[i];

		sum->vms++;
		if (info->json) {
			json_obj_begin(&j);
			json_kv_hex(&j, "kvm", vm->kvm);
			json_key(&j, "pid");
			if (vm->pid < 0)
				json_null(&j);
			else
				json_uint(&j, (uint64_t)vm->pid);
			json_kv_str(&j, "comm", vm->comm);
			json_kv_uint(&j, "online_vcpus", vm->online_vcpus);
			json_key(&j, "vm_type");
			if (vm->vm_type < 0)
				json_null(&j);
			else
				json_uint(&j, (uint64_t)vm->vm_type);
			json_key(&j, "skipped");
			if (vm->skip)
				json_str(&j, vm->skip);
			else
				json_null(&j);
			json_key(&j, "vcpus");
			json_arr_begin(&j);
		} else {
			ns_printf(o, "\nVM pid %d (%s), struct kvm 0x%llx, %u vCPU%s\n", vm->pid, vm->comm[0] ? vm->comm : "-",
				  (unsigned long long)vm->kvm, vm->online_vcpus, vm->online_vcpus == 1 ? "" : "s");
			if (vm->skip)
				ns_printf(o, "  skipped: %s\n", vm->skip);
		}
		for (size_t k = walk->first[i]; k < walk->first[i] + walk->count[i]; k++) {
			struct ns_vcpu v = walk->vcpus[k];

			judge(s, &v, info->layout_file, work, &vt);
			sum->vcpus++;
			sum->vmx += v.vmxon;
			sum->l2 += v.guest_mode;
			sum->problems += count(&vt, true);
			sum->warnings += count(&vt, false);
			if (info->json)
				json_vcpu(&j, &vt);
			else
				text_vcpu(o, &vt);
		}
		if (verr.code != NS_OK) {
			sum->problems++;
			if (!info->json)
				ns_printf(o, "  PROBLEM its vCPUs cannot be listed: %s\n", verr.msg);
		}
		if (info->json) {
			json_arr_end(&j);
			json_key(&j, "problems");
			json_arr_begin(&j);
			if (verr.code != NS_OK)
				json_str(&j, verr.msg);
			json_arr_end(&j);
			json_obj_end(&j);
		}
	}
	if (info->json) {
		json_arr_end(&j);
		json_key(&j, "summary");
		json_obj_begin(&j);
		json_kv_uint(&j, "vms", sum->vms);
		json_kv_uint(&j, "vcpus", sum->vcpus);
		json_kv_uint(&j, "in_vmx_operation", sum->vmx);
		json_kv_uint(&j, "in_l2", sum->l2);
		json_kv_uint(&j, "problems", sum->problems);
		json_kv_uint(&j, "warnings", sum->warnings);
		json_obj_end(&j);
		json_obj_end(&j);
	} else {
		ns_printf(o, "\n%u VM%s, %u vCPU%s: %u in VMX operation, %u in L2; %u problem%s, %u warning%s\n", sum->vms,
			  sum->vms == 1 ? "" : "s", sum->vcpus, sum->vcpus == 1 ? "" : "s", sum->vmx, sum->l2,
			  sum->problems, sum->problems == 1 ? "" : "s", sum->warnings, sum->warnings == 1 ? "" : "s");
	}
	rc = NS_OK;
out:
	free(work);
	free(walk);
	return rc;
}
