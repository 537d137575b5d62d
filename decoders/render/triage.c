/*
 * triage's report (triage/2 and its text), written as the analysis
 * (triage.c) hands over each VM and vCPU: decodings and sentences are made
 * here from the raw values of the model (triage.h).
 */
#include <stdio.h>
#include <string.h>

#include "render/common.h"
#include "analyses/triage.h"
#include "render/triage_words.h"
#include "sdm/vmx_names.h"

const char *ns_triage_state_phrase(enum ns_triage_state st)
{
	switch (st) {
	case NS_TRIAGE_NO_VMX: return "L1, not in VMX operation";
	case NS_TRIAGE_NO_VMCS: return "L1 in VMX operation, no current VMCS";
	case NS_TRIAGE_VMCS12: return "L1 in VMX operation, with a current vmcs12";
	case NS_TRIAGE_L2: return "L2 active (guest mode)";
	}
	return "?";
}

#define NOT_COMPARED "not compared: this vmcs12 has not run L2 (launch state clear), " \
		     "KVM builds vmcs02 from it at VM entry"

static void explain(enum ns_decoder d, uint64_t value, const struct ns_context *ctx, char *buf, size_t n)
{
	struct ns_decoding dec;

	buf[0] = '\0';
	if (ns_explain(d, value, ctx, &dec))
		ns_decoding_format(&dec, buf, n);
}

/* The decodings of vmcs12's highlights, as the report words them. */
struct decoded {
	char entry[400], reason[160], qual[240], entry_intr[160], idt[160];
	char stale[400], unexplained[400];
};

static void decode(const struct ns_triage_vcpu *vt, struct decoded *d)
{
	struct ns_context ctx = { 0 };

	ctx.have_exit_reason = true;
	ctx.exit_reason = (uint32_t)vt->reason;
	ctx.have_exit_intr_info = true;
	ctx.exit_intr_info = (uint32_t)vt->exit_intr_info;
	explain(NS_DEC_ENTRY_CTLS, vt->entry, NULL, d->entry, sizeof(d->entry));
	explain(NS_DEC_EXIT_REASON, vt->reason, NULL, d->reason, sizeof(d->reason));
	explain(NS_DEC_EXIT_QUAL, vt->qual, &ctx, d->qual, sizeof(d->qual));
	explain(NS_DEC_INTR_INFO, vt->entry_intr, NULL, d->entry_intr, sizeof(d->entry_intr));
	explain(NS_DEC_INTR_INFO, vt->idt, NULL, d->idt, sizeof(d->idt));
	ns_triage_field_names(vt->stale, vt->nstale, d->stale, sizeof(d->stale));
	ns_triage_field_names(vt->unexplained, vt->nunexplained, d->unexplained, sizeof(d->unexplained));
}

/* ---- the story (triage.h's ns_triage_story, worded) ---- */

const char *ns_triage_src_phrase(enum ns_triage_src src)
{
	switch (src) {
	case NS_TRIAGE_SRC_NONE: break;
	case NS_TRIAGE_SRC_REGS: return "KVM's register cache";
	case NS_TRIAGE_SRC_VMCS02: return "vmcs02";
	case NS_TRIAGE_SRC_VMCS01: return "vmcs01";
	case NS_TRIAGE_SRC_VMCS12: return "vmcs12";
	}
	return NULL;
}

/* The JSON spelling of a source: one word */
static const char *src_key(enum ns_triage_src src)
{
	return src == NS_TRIAGE_SRC_REGS ? "register_cache" : ns_triage_src_phrase(src);
}

static const char *mode_phrase(enum ns_triage_cpu_mode m)
{
	switch (m) {
	case NS_TRIAGE_MODE_UNKNOWN: break;
	case NS_TRIAGE_MODE_REAL: return "real";
	case NS_TRIAGE_MODE_V8086: return "virtual-8086";
	case NS_TRIAGE_MODE_PROTECTED: return "protected";
	case NS_TRIAGE_MODE_COMPAT: return "compatibility";
	case NS_TRIAGE_MODE_64: return "64-bit";
	}
	return NULL;
}

static const struct ns_item *item(const struct ns_decoding *d, const char *name)
{
	for (unsigned i = 0; i < d->n; i++)
		if (!strcmp(d->item[i].name, name))
			return &d->item[i];
	return NULL;
}

/*
 * An exit's qualification in words: an I/O instruction as one reads it
 * ("OUT to port 0x10, 4 bytes, immediate"), any other exit as the decoder's
 * one-line form; "" when it has none.
 */
static void qual_words(uint32_t reason, uint64_t qual, uint64_t intr_info, char *buf, size_t n)
{
	struct ns_context ctx = { 0 };
	struct ns_decoding dec;

	buf[0] = '\0';
	ctx.have_exit_reason = true;
	ctx.exit_reason = reason;
	ctx.have_exit_intr_info = true;
	ctx.exit_intr_info = (uint32_t)intr_info;
	if (!ns_explain(NS_DEC_EXIT_QUAL, qual, &ctx, &dec))
		return;
	if ((reason & 0xffff) == EXIT_REASON_IO_INSTRUCTION) {
		const struct ns_item *dir = item(&dec, "direction"), *port = item(&dec, "port"), *size = item(&dec, "size");
		const struct ns_item *operand = item(&dec, "operand");

		if (dir && port && size && operand && dir->sym && size->sym && operand->sym) {
			snprintf(buf, n, "%s %s port 0x%llx, %s%s%s, %s%s", dir->sym, dir->value ? "from" : "to",
				 (unsigned long long)port->value, size->sym, qual & IO_QUAL_STRING ? ", string" : "",
				 qual & IO_QUAL_REP ? ", REP" : "", operand->value ? "" : "port in ", operand->sym);
			return;
		}
	}
	ns_decoding_format(&dec, buf, n);
}

/* An exit: its reason's name and the qualification in words */
static void exit_words(uint32_t reason, bool have_qual, uint64_t qual, uint64_t intr_info, char *buf, size_t n)
{
	const char *name = ns_exit_reason_name(reason & 0xffff);
	char q[240] = "";

	if (have_qual)
		qual_words(reason, qual, intr_info, q, sizeof(q));
	snprintf(buf, n, "%s%s%s%s", reason & VMX_EXIT_REASONS_FAILED_VMENTRY ? "failed VM entry, " : "",
		 name ? name : "unknown exit reason", q[0] ? ", " : "", q);
}


void ns_triage_story_words(const struct ns_triage_vcpu *vt, struct ns_triage_words *w)
{
	const struct ns_triage_story *st = &vt->story;
	const struct ns_vcpu *v = vt->v;
	const char *lvl = st->l2 ? "L2" : "L1";
	char dec[200];
	size_t len;

	memset(w, 0, sizeof(*w));
	if (st->have_rip)
		len = (size_t)snprintf(w->where, sizeof(w->where), "%s at RIP 0x%llx", lvl, (unsigned long long)st->rip);
	else
		len = (size_t)snprintf(w->where, sizeof(w->where), "%s, RIP unknown (no copy could be read)", lvl);
	if (st->mode != NS_TRIAGE_MODE_UNKNOWN)
		snprintf(w->where + len, sizeof(w->where) - len, ", %s mode", mode_phrase(st->mode));
	if (st->have_rip && st->mode != NS_TRIAGE_MODE_UNKNOWN && st->mode_src != st->rip_src)
		snprintf(w->where_src, sizeof(w->where_src), "RIP from %s, mode from %s", ns_triage_src_phrase(st->rip_src),
			 ns_triage_src_phrase(st->mode_src));
	else if (st->have_rip)
		snprintf(w->where_src, sizeof(w->where_src), "from %s", ns_triage_src_phrase(st->rip_src));
	else if (st->mode != NS_TRIAGE_MODE_UNKNOWN)
		snprintf(w->where_src, sizeof(w->where_src), "mode from %s", ns_triage_src_phrase(st->mode_src));

	if (st->have_l0_exit) {
		char ex[300];

		exit_words(st->l0_reason, st->have_l0_qual, st->l0_qual, st->l0_intr_info, ex, sizeof(ex));
		snprintf(w->l0_exit, sizeof(w->l0_exit), "%s", ex);
	}
	if (st->told == NS_TRIAGE_TOLD_NEVER) {
		snprintf(w->l1, sizeof(w->l1), "L1 not told: no exit to L1 from this vmcs12 yet (launch state clear)");
	} else if (st->told == NS_TRIAGE_TOLD_EXITED) {
		char ex[300];

		exit_words((uint32_t)vt->reason, true, vt->qual, vt->exit_intr_info, ex, sizeof(ex));
		snprintf(w->l1, sizeof(w->l1), "%s %s", st->l2 ? "L1's last exit, before it resumed L2:" : "L1 was told:",
			 ex);
	}

	/* a failed entry, a failed VMX instruction, a failing rule: what went wrong, first */
	len = 0;
	if (vt->have12 && (vt->reason & VMX_EXIT_REASONS_FAILED_VMENTRY)) {
		char ex[300];

		exit_words((uint32_t)vt->reason, true, vt->qual, vt->exit_intr_info, ex, sizeof(ex));
		len += (size_t)snprintf(w->failed + len, sizeof(w->failed) - len, "the last entry to L2 failed (%s)", ex);
	}
	if (vt->have12 && vt->insn_error && len < sizeof(w->failed)) {
		const char *name = ns_vm_insn_error_name((unsigned)vt->insn_error);

		len += (size_t)snprintf(w->failed + len, sizeof(w->failed) - len, "%sL1's last VMX instruction failed: "
					"VM-instruction error %llu (%s)", len ? "; " : "",
					(unsigned long long)vt->insn_error, name ? name : "unknown");
	}
	if (st->failed_rules && len < sizeof(w->failed))
		snprintf(w->failed + len, sizeof(w->failed) - len, "%sSDM rule %s fails%s", len ? "; " : "",
			 st->failed_rule, st->failed_rules > 1 ? " (and more, below)" : "");

	/* events pending or in flight, each with the copy that holds it */
	if (v->nested_run_pending)
		snprintf(w->events[w->nevents++], sizeof(w->events[0]),
			 "a VMLAUNCH/VMRESUME is in flight: L2 not yet entered (nested_run_pending)");
	if (vt->have12 && (vt->entry_intr & INTR_INFO_VALID)) {
		explain(NS_DEC_INTR_INFO, vt->entry_intr, NULL, dec, sizeof(dec));
		snprintf(w->events[w->nevents++], sizeof(w->events[0]), "L1 injects %s into L2 at the next entry (vmcs12)",
			 dec);
	}
	/* L2's last exit to L1 interrupted an event's delivery: L1 has it to re-inject (SDM 28.2.4); while L2
	 * runs again it is an old exit's */
	if (vt->have12 && !st->l2 && st->told == NS_TRIAGE_TOLD_EXITED && (vt->idt & INTR_INFO_VALID)) {
		explain(NS_DEC_INTR_INFO, vt->idt, NULL, dec, sizeof(dec));
		snprintf(w->events[w->nevents++], sizeof(w->events[0]), "%s was being delivered to L2 when it exited to "
			 "L1, for L1 to re-inject (vmcs12's IDT-vectoring information)", dec);
	}
	if (st->idt02 & INTR_INFO_VALID) {
		explain(NS_DEC_INTR_INFO, st->idt02, NULL, dec, sizeof(dec));
		snprintf(w->events[w->nevents++], sizeof(w->events[0]),
			 "%s was being delivered to %s when L0 exited (%s's IDT-vectoring information)", dec, lvl,
			 st->l2 ? "vmcs02" : "vmcs01");
	}
	if (st->inject02 & INTR_INFO_VALID) {
		explain(NS_DEC_INTR_INFO, st->inject02, NULL, dec, sizeof(dec));
		snprintf(w->events[w->nevents++], sizeof(w->events[0]), "L0 injects %s into %s at the next entry (%s)", dec,
			 lvl, st->l2 ? "vmcs02" : "vmcs01");
	}

	len = (size_t)snprintf(w->line, sizeof(w->line), "%s%s%s", w->failed[0] ? "FAILED: " : "", w->failed,
			       w->failed[0] ? "; " : "");
	len += (size_t)snprintf(w->line + len, sizeof(w->line) - len, "%s", w->where);
	if (w->l0_exit[0] && len < sizeof(w->line))
		len += (size_t)snprintf(w->line + len, sizeof(w->line) - len, ", stopped by L0: %s", w->l0_exit);
	if (st->told == NS_TRIAGE_TOLD_NEVER && len < sizeof(w->line))
		len += (size_t)snprintf(w->line + len, sizeof(w->line) - len, "; L1 not told");
	else if (st->told == NS_TRIAGE_TOLD_EXITED && len < sizeof(w->line))
		len += (size_t)snprintf(w->line + len, sizeof(w->line) - len, "; %s",
					w->l1);
	if (len < sizeof(w->line))
		snprintf(w->line + len, sizeof(w->line) - len, "; %s", w->nevents ? "events pending (below)"
										 : "no event pending");
}

void ns_triage_layout_text(const struct ns_triage_layout *lv, char *buf, size_t n)
{
	if (!lv->checked)
		snprintf(buf, n, "struct vmcs12 is not in these types: the built-in table is "
			 "used unchecked (nestscope abi checks a kernel's debuginfo)");
	else if (lv->breaks)
		snprintf(buf, n, "this kernel's struct vmcs12 breaks the built-in table in %u place%s: "
			 "vmcs12 fields may be misread ('nestscope abi' names them)", lv->breaks, lv->breaks == 1 ? "" : "s");
	else
		snprintf(buf, n, "this kernel's struct vmcs12 matches the built-in table (%u members); "
			 "nested CET fields at 680-727 %s", lv->same, lv->cet ? "present" : "absent (padding)");
}

/* ---- the host summary ---- */

#define NS_HOST_TOP_EXITS 3

/* The most frequent L0 exit reasons, most first: their reasons into top[], how many returned. */
static unsigned top_exits(const struct ns_triage_host *h, unsigned *top, unsigned max)
{
	unsigned n = 0;

	for (unsigned r = 0; r < NS_TRIAGE_EXIT_SLOTS; r++) {
		unsigned k;

		if (!h->l0_exits[r])
			continue;
		for (k = n; k > 0 && h->l0_exits[top[k - 1]] < h->l0_exits[r]; k--)
			if (k < max)
				top[k] = top[k - 1];
		if (k < max) {
			top[k] = r;
			n += n < max;
		}
	}
	return n;
}

/* The summary's lines: states, then what is common. */
void ns_triage_host_states(const struct ns_triage_host *h, char *buf, size_t n)
{
	if (h->svm) {
		snprintf(buf, n, "%u VM%s, %u vCPU%s (AMD SVM): %u in L2, %u in L1 using nested SVM, %u in L1 without it; "
			 "%u vCPU%s and %u VM%s with problems", h->vms, h->vms == 1 ? "" : "s", h->vcpus,
			 h->vcpus == 1 ? "" : "s", h->svm_states[NS_SVM_L2], h->svm_states[NS_SVM_L1], h->svm_states[NS_SVM_OFF],
			 h->problem_vcpus, h->problem_vcpus == 1 ? "" : "s", h->problem_vms, h->problem_vms == 1 ? "" : "s");
		return;
	}
	snprintf(buf, n, "%u VM%s, %u vCPU%s: %u in L2, %u in L1 with a current vmcs12, %u in L1 in VMX operation "
		 "without a VMCS, %u in L1 not in VMX operation; %u failed entr%s; %u vCPU%s and %u VM%s with problems",
		 h->vms, h->vms == 1 ? "" : "s", h->vcpus, h->vcpus == 1 ? "" : "s", h->states[NS_TRIAGE_L2],
		 h->states[NS_TRIAGE_VMCS12], h->states[NS_TRIAGE_NO_VMCS], h->states[NS_TRIAGE_NO_VMX],
		 h->failed_entries, h->failed_entries == 1 ? "y" : "ies", h->problem_vcpus,
		 h->problem_vcpus == 1 ? "" : "s", h->problem_vms, h->problem_vms == 1 ? "" : "s");
}

/* An AMD host's: L0's most common last #VMEXITs, then the APM rules that fail, and on how many vCPUs. */
static void host_common_svm(const struct ns_triage_host *h, char *buf, size_t n)
{
	bool shown[NS_TRIAGE_HOST_RULES] = { false };
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < NS_HOST_TOP_EXITS && len < n; i++) {
		unsigned best = h->nsvm_exits;
		char name[64];

		for (unsigned e = 0; e < h->nsvm_exits; e++)
			if (!shown[e] && (best == h->nsvm_exits || h->svm_exits[e].vcpus > h->svm_exits[best].vcpus))
				best = e;
		if (best == h->nsvm_exits)
			break;
		shown[best] = true;
		if (!ns_svm_exit_name(h->svm_exits[best].code, name, sizeof(name), NULL))
			snprintf(name, sizeof(name), "exit code %#llx", (unsigned long long)h->svm_exits[best].code);
		len += (size_t)snprintf(buf + len, n - len, "%s%s on %u of %u vCPUs", i ? ", " : "L0's last #VMEXIT: ", name,
					h->svm_exits[best].vcpus, h->vcpus);
	}
	for (unsigned i = 0; i < h->nrules && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%sAPM rule %s fails on %u vCPU%s", len ? "; " : "",
					h->rules[i].id, h->rules[i].vcpus, h->rules[i].vcpus == 1 ? "" : "s");
	if (len < n && !h->nrules)
		snprintf(buf + len, n - len, "%sno APM rule fails", len ? "; " : "");
}

void ns_triage_host_common(const struct ns_triage_host *h, char *buf, size_t n)
{
	unsigned top[NS_HOST_TOP_EXITS], nt = top_exits(h, top, NS_HOST_TOP_EXITS);
	size_t len = 0;

	if (h->svm) {
		host_common_svm(h, buf, n);
		return;
	}
	buf[0] = '\0';
	for (unsigned i = 0; i < nt && len < n; i++) {
		const char *name = ns_exit_reason_name(top[i]);

		len += (size_t)snprintf(buf + len, n - len, "%s%s on %u of %u vCPUs", i ? ", " : "L0's last exit: ",
					name ? name : "unknown", h->l0_exits[top[i]], h->vcpus);
	}
	if (len < n && h->told + h->not_told)
		len += (size_t)snprintf(buf + len, n - len, "%sof %u vCPUs with a vmcs12, %u %s exited to L1, %u not yet",
					len ? "; " : "", h->told + h->not_told, h->told, h->told == 1 ? "has" : "have",
					h->not_told);
	for (unsigned i = 0; i < h->nrules && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%sSDM rule %s fails on %u vCPU%s", len ? "; " : "",
					h->rules[i].id, h->rules[i].vcpus, h->rules[i].vcpus == 1 ? "" : "s");
	if (len < n && !h->nrules)
		snprintf(buf + len, n - len, "%sno SDM rule fails", len ? "; " : "");
}

void ns_triage_problem_where(const struct ns_triage_host_problem *p, char *buf, size_t n)
{
	if (p->pid < 0 && !p->vm_level)
		snprintf(buf, n, "host");
	else if (p->vm_level)
		snprintf(buf, n, "VM pid %d", p->pid);
	else
		snprintf(buf, n, "VM pid %d vCPU %u", p->pid, p->vcpu);
}

/* ---- text ---- */

static void text_begin(void *ctx, const struct ns_triage_info *info, const struct ns_triage_layout *lv,
		       const struct ns_triage_host *h)
{
	struct ns_triage_render *r = ctx;
	char text[200], line[1400];

	ns_triage_layout_text(lv, text, sizeof(text));
	ns_printf(r->o, "dump     %s (%s), Linux %s\ntypes    %s\nvmcs12   %s%s\n", info->dump, info->format,
		  info->release, info->types, lv->breaks ? "PROBLEM " : "", text);
	ns_triage_host_states(h, line, sizeof(line));
	ns_printf(r->o, "host     %s\n", line);
	if (!h->problems_total)
		ns_printf(r->o, "problems none\n");
	else
		ns_printf(r->o, "problems %u, first:\n", h->problems_total);
	for (unsigned i = 0; i < h->nproblems; i++) {
		char where[64];

		ns_triage_problem_where(&h->problems[i], where, sizeof(where));
		ns_printf(r->o, "  PROBLEM %s: %s\n", where, h->problems[i].text);
	}
	if (h->problems_total > h->nproblems)
		ns_printf(r->o, "  ... and %u more, below\n", h->problems_total - h->nproblems);
	ns_triage_host_common(h, line, sizeof(line));
	ns_printf(r->o, "common   %s\n", line);
}

static void text_vm(void *ctx, const struct ns_vm *vm)
{
	struct ns_triage_render *r = ctx;

	ns_printf(r->o, "\nVM pid %d (%s), struct kvm 0x%llx, %u vCPU%s\n", vm->pid, vm->comm[0] ? vm->comm : "-",
		  (unsigned long long)vm->kvm, vm->online_vcpus, vm->online_vcpus == 1 ? "" : "s");
	if (vm->skip)
		ns_printf(r->o, "  skipped: %s\n", vm->skip);
}

const char *ns_triage_svm_state_phrase(enum ns_svm_state st)
{
	switch (st) {
	case NS_SVM_L2: return "L2 active (guest mode: the vCPU runs on vmcb02)";
	case NS_SVM_L1: return "L1, using nested SVM (EFER.SVME set)";
	case NS_SVM_OFF: break;
	}
	return "L1, not using nested SVM";
}

/* An exit code by name: "0x7b IOIO", or the number alone. */
void ns_triage_svm_exit_words(uint64_t code, char *buf, size_t n)
{
	char name[48];

	if (ns_svm_exit_name(code, name, sizeof(name), NULL))
		snprintf(buf, n, "%#llx %s", (unsigned long long)code, name);
	else
		snprintf(buf, n, "%#llx", (unsigned long long)code);
}

/* The event word of EVENTINJ or EXITINTINFO (APM "Event Injection"): vector, type, valid. */
void ns_triage_svm_event_words(uint64_t ev, uint64_t err, char *buf, size_t n)
{
	const char *type = ns_svm_value_name(NS_SVMT_EVENT_TYPE, ns_svm_field_get(ev, NS_SVM_EVENT_TYPE));

	snprintf(buf, n, "vector %llu, type %s", (unsigned long long)ns_svm_field_get(ev, NS_SVM_EVENT_VECTOR),
		 type ? type : "reserved");
	if (ev & NS_SVM_EVENT_VALID_ERR) {
		size_t len = strlen(buf);

		snprintf(buf + len, n - len, ", error code %#llx", (unsigned long long)err);
	}
}

static void text_svm_vcpu(struct ns_out *o, const struct ns_triage_vcpu *vt)
{
	const struct ns_vcpu *v = vt->v;
	const struct ns_triage_svm *t = &vt->svm;
	char exit[96], ev[96];

	ns_printf(o, "  vCPU %u (vcpu_svm 0x%llx): %s\n", v->idx, (unsigned long long)v->s.vcpu_svm,
		  ns_triage_svm_state_phrase(t->state));
	if (t->have_rip)
		ns_printf(o, "    story        %s at RIP 0x%llx (from %s)\n", v->guest_mode ? "L2" : "L1",
			  (unsigned long long)t->rip, t->rip_from);
	else
		ns_printf(o, "    story        %s, RIP unknown\n", v->guest_mode ? "L2" : "L1");
	if (t->have_current) {
		ns_triage_svm_exit_words(t->exit_code, exit, sizeof(exit));
		ns_printf(o, "      L0 exit    %s, EXITINFO1 0x%llx, EXITINFO2 0x%llx (%s's EXITCODE)\n", exit,
			  (unsigned long long)t->exit_info_1, (unsigned long long)t->exit_info_2, t->current);
		if (t->exit_int_info & NS_SVM_EVENT_VALID) {
			ns_triage_svm_event_words(t->exit_int_info, t->exit_int_info_err, ev, sizeof(ev));
			ns_printf(o, "      event      in flight at that exit (%s's EXITINTINFO): %s\n", t->current, ev);
		}
		if (t->event_inj & NS_SVM_EVENT_VALID) {
			ns_triage_svm_event_words(t->event_inj, t->event_inj_err, ev, sizeof(ev));
			ns_printf(o, "      event      injected at the next VMRUN (%s's EVENTINJ): %s\n", t->current, ev);
		}
		if (!(t->exit_int_info & NS_SVM_EVENT_VALID) && !(t->event_inj & NS_SVM_EVENT_VALID))
			ns_printf(o, "      events     none pending or in flight\n");
	}
	if (t->state != NS_SVM_OFF)
		ns_printf(o, "    vmcb12 GPA 0x%llx (L1's VMRUN operand)%s\n", (unsigned long long)v->s.vmcb12_gpa,
			  v->guest_mode ? "; L2 runs on vmcb02, built from it" : "");
	if (t->have12)
		ns_printf(o, "    vmcb12 (KVM's cache, nested.ctl): intercepts 0x%llx 0x%llx 0x%llx, ASID %llu, NP_ENABLE %s, "
			  "int_ctl 0x%llx, EVENTINJ 0x%llx\n", (unsigned long long)t->v12_intercepts[0],
			  (unsigned long long)t->v12_intercepts[1], (unsigned long long)t->v12_intercepts[2],
			  (unsigned long long)t->v12_asid, t->v12_misc_ctl & NS_SVM_MISC_CTL_NP_ENABLE ? "1" : "0",
			  (unsigned long long)t->v12_int_ctl, (unsigned long long)t->v12_event_inj);
	if (t->have_checks)
		ns_printf(o, "    APM checks   %u rules: %u pass, %u fail, %u not judged, %u not applicable (vmcb12 -C lists them)\n",
			  t->rules, t->pass, t->fail, t->not_judged, t->na);
	if (t->have_diff)
		ns_printf(o, "    vs vmcb02    %u of %u fields differ: %u expected, %u stale, %u unexplained%s%s\n", t->differ,
			  t->compared, t->expected, t->stale, t->unexplained, t->unexplained ? ": " : "",
			  t->unexplained_fields);
	for (unsigned i = 0; i < vt->nnotes; i++)
		ns_printf(o, "    %s %s\n", vt->notes[i].problem ? "PROBLEM" : "warning", vt->notes[i].text);
}

static void text_vcpu(void *ctx, const struct ns_triage_vcpu *vt)
{
	struct ns_out *o = ((struct ns_triage_render *)ctx)->o;
	const struct ns_vcpu *v = vt->v;
	struct ns_triage_words sw;
	struct decoded d;

	if (v->svm) {
		text_svm_vcpu(o, vt);
		return;
	}

	decode(vt, &d);
	ns_triage_story_words(vt, &sw);
	ns_printf(o, "  vCPU %u (vcpu_vmx 0x%llx): %s\n", v->idx, (unsigned long long)v->vmx, ns_triage_state_phrase(vt->state));
	ns_printf(o, "    story        %s\n", sw.line);
	if (sw.failed[0])
		ns_printf(o, "      PROBLEM    %s\n", sw.failed);
	ns_printf(o, "      where      %s%s%s%s\n", sw.where, sw.where_src[0] ? " (" : "", sw.where_src,
		  sw.where_src[0] ? ")" : "");
	if (sw.l0_exit[0]) {
		if (vt->story.have_l0_qual)
			ns_printf(o, "      L0 exit    %s (KVM's exit reason %llu, %s's exit qualification 0x%llx)\n", sw.l0_exit,
				  (unsigned long long)vt->story.l0_reason, ns_triage_src_phrase(vt->story.l0_qual_src),
				  (unsigned long long)vt->story.l0_qual);
		else
			ns_printf(o, "      L0 exit    %s (KVM's exit reason %llu; the loaded VMCS holds another exit's "
				  "qualification)\n", sw.l0_exit, (unsigned long long)vt->story.l0_reason);
	}
	if (sw.l1[0])
		ns_printf(o, "      L1         %s\n", sw.l1);
	for (unsigned i = 0; i < sw.nevents; i++)
		ns_printf(o, "      event      %s\n", sw.events[i]);
	if (!sw.nevents)
		ns_printf(o, "      events     none pending or in flight\n");
	if (v->vmxon)
		ns_printf(o, "    VMXON region GPA 0x%llx, current VMCS GPA 0x%llx%s\n", (unsigned long long)v->vmxon_ptr,
			  (unsigned long long)v->current_vmptr, v->current_vmptr == ~0ull ? " (none)" : "");
	if (vt->have12) {
		ns_printf(o, "    vmcs12 %s: revision 0x%x, %s\n", vt->copy12, vt->revision,
			  vt->launch_state ? "launched" : "clear (not launched)");
		ns_printf(o, "      controls     pin 0x%llx  proc 0x%llx  proc2 0x%llx  exit 0x%llx  entry 0x%llx\n",
			  (unsigned long long)vt->pin, (unsigned long long)vt->proc, (unsigned long long)vt->proc2,
			  (unsigned long long)vt->exitc, (unsigned long long)vt->entry);
		ns_printf(o, "      entry        %s\n", d.entry[0] ? d.entry : "-");
		if (vt->story.told == NS_TRIAGE_TOLD_NEVER)
			ns_printf(o, "      last exit    none: this vmcs12 has not exited to L1 (its exit fields hold 0x%llx, "
				  "qualification 0x%llx, not an exit)\n", (unsigned long long)vt->reason,
				  (unsigned long long)vt->qual);
		else
			ns_printf(o, "      last exit    %s, qualification 0x%llx%s%s%s\n", d.reason,
				  (unsigned long long)vt->qual, d.qual[0] ? ": " : "", d.qual,
				  vt->exit_stale ? " (the last exit to L1: stale while L2 runs)" : "");
		ns_printf(o, "      entry failed %s\n",
			  vt->reason & VMX_EXIT_REASONS_FAILED_VMENTRY ? "YES (exit reason bit 31)" : "no");
		ns_printf(o, "      insn error   %llu%s%s\n", (unsigned long long)vt->insn_error,
			  vt->insn_error ? " " : " (none)",
			  vt->insn_error && ns_vm_insn_error_name((unsigned)vt->insn_error)
				  ? ns_vm_insn_error_name((unsigned)vt->insn_error) : "");
		if (vt->entry_intr & INTR_INFO_VALID)
			ns_printf(o, "      injection    %s, error code 0x%llx, instruction length %llu\n", d.entry_intr,
				  (unsigned long long)vt->entry_err, (unsigned long long)vt->entry_len);
		else
			ns_printf(o, "      injection    none pending\n");
		if (vt->idt & INTR_INFO_VALID)
			ns_printf(o, "      vectoring    %s, error code 0x%llx (an event was being delivered at the exit)\n",
				  d.idt, (unsigned long long)vt->idt_err);
		ns_printf(o, "      guest RIP    0x%llx (vmcs12's guest state%s), L1's exit handler 0x%llx (host RIP)\n",
			  (unsigned long long)vt->guest_rip,
			  v->guest_mode ? ": L2's RIP as of the last exit to L1 or sync, see the story for the current one" : "",
			  (unsigned long long)vt->host_rip);
	}
	if (vt->have_checks)
		ns_printf(o, "    SDM checks   %u rules: %u pass, %u fail, %u not judged%s%s%s, %u not applicable (against %s)\n",
			  vt->rules, vt->pass, vt->fail, vt->not_judged, vt->not_judged ? " (" : "", vt->not_judged_ids,
			  vt->not_judged ? ")" : "", vt->na, vt->caps);
	if (vt->have_diff)
		ns_printf(o, "    vs vmcs02    %u of %u fields differ: %u expected, %u stale%s%s%s, %u unexplained\n",
			  vt->differ, vt->compared, vt->cls[NS_DIFF_EXPECTED], vt->cls[NS_DIFF_STALE],
			  d.stale[0] ? " (" : "", d.stale, d.stale[0] ? ")" : "", vt->cls[NS_DIFF_UNEXPLAINED]);
	else if (vt->not_compared)
		ns_printf(o, "    vs vmcs02    %s\n", NOT_COMPARED);
	for (unsigned i = 0; i < vt->nnotes; i++)
		ns_printf(o, "    %s %s\n", vt->notes[i].problem ? "PROBLEM" : "warning", vt->notes[i].text);
}

static void text_vm_end(void *ctx, const struct ns_vm *vm, const struct ns_error *verr)
{
	(void)vm;
	if (verr->code != NS_OK)
		ns_printf(((struct ns_triage_render *)ctx)->o, "  PROBLEM its vCPUs cannot be listed: %s\n", verr->msg);
}

static void text_end(void *ctx, const struct ns_triage_summary *sum)
{
	ns_printf(((struct ns_triage_render *)ctx)->o,
		  "\n%u VM%s, %u vCPU%s: %u %s, %u in L2; %u problem%s, %u warning%s\n", sum->vms,
		  sum->vms == 1 ? "" : "s", sum->vcpus, sum->vcpus == 1 ? "" : "s", sum->svm_host ? sum->svm : sum->vmx,
		  sum->svm_host ? "using nested SVM" : "in VMX operation", sum->l2,
		  sum->problems, sum->problems == 1 ? "" : "s", sum->warnings, sum->warnings == 1 ? "" : "s");
}

/* ---- JSON ---- */

static void json_host(struct json *j, const struct ns_triage_host *h)
{
	unsigned top[NS_TRIAGE_EXIT_SLOTS], nt = top_exits(h, top, NS_TRIAGE_EXIT_SLOTS);
	char line[1400];

	json_key(j, "host");
	json_obj_begin(j);
	ns_triage_host_states(h, line, sizeof(line));
	json_kv_str(j, "text", line);
	ns_triage_host_common(h, line, sizeof(line));
	json_kv_str(j, "common", line);
	json_key(j, "states");
	json_obj_begin(j);
	json_kv_uint(j, "l2", h->states[NS_TRIAGE_L2]);
	json_kv_uint(j, "l1_vmcs12", h->states[NS_TRIAGE_VMCS12]);
	json_kv_uint(j, "l1_no_vmcs", h->states[NS_TRIAGE_NO_VMCS]);
	json_kv_uint(j, "l1_no_vmx", h->states[NS_TRIAGE_NO_VMX]);
	json_obj_end(j);
	if (h->svm) {
		json_key(j, "svm_states");
		json_obj_begin(j);
		json_kv_uint(j, "l2", h->svm_states[NS_SVM_L2]);
		json_kv_uint(j, "l1_svm", h->svm_states[NS_SVM_L1]);
		json_kv_uint(j, "l1_no_svm", h->svm_states[NS_SVM_OFF]);
		json_obj_end(j);
	}
	json_kv_uint(j, "failed_entries", h->failed_entries);
	json_kv_uint(j, "problem_vcpus", h->problem_vcpus);
	json_kv_uint(j, "problem_vms", h->problem_vms);
	json_kv_uint(j, "told_l1", h->told);
	json_kv_uint(j, "not_told_l1", h->not_told);
	json_key(j, "l0_exits");
	json_arr_begin(j);
	for (unsigned i = 0; i < nt; i++) {
		const char *name = ns_exit_reason_name(top[i]);

		json_obj_begin(j);
		json_kv_uint(j, "basic_reason", top[i]);
		json_kv_str(j, "name", name ? name : "unknown");
		json_kv_uint(j, "vcpu_count", h->l0_exits[top[i]]);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "failing_rules");
	json_arr_begin(j);
	for (unsigned i = 0; i < h->nrules; i++) {
		json_obj_begin(j);
		json_kv_str(j, "id", h->rules[i].id);
		json_kv_uint(j, "vcpu_count", h->rules[i].vcpus);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_kv_uint(j, "problem_count", h->problems_total);
	json_key(j, "first_problems");
	json_arr_begin(j);
	for (unsigned i = 0; i < h->nproblems; i++) {
		char where[64];

		ns_triage_problem_where(&h->problems[i], where, sizeof(where));
		json_obj_begin(j);
		json_kv_str(j, "where", where);
		json_kv_str(j, "id", h->problems[i].id);
		json_kv_str(j, "message", h->problems[i].text);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void json_begin(void *ctx, const struct ns_triage_info *info, const struct ns_triage_layout *lv,
		       const struct ns_triage_host *h)
{
	struct json *j = &((struct ns_triage_render *)ctx)->j;
	char text[200];

	ns_triage_layout_text(lv, text, sizeof(text));
	json_obj_begin(j);
	json_kv_str(j, "schema", NS_TRIAGE_SCHEMA);
	json_kv_str(j, "dump", info->dump);
	json_kv_str(j, "format", info->format);
	json_kv_str(j, "release", info->release);
	json_kv_str(j, "types", info->types);
	json_key(j, "vmcs12_layout");
	json_obj_begin(j);
	json_kv_bool(j, "checked", lv->checked);
	json_kv_uint(j, "break_count", lv->breaks);
	json_key(j, "cet_fields");
	if (lv->checked)
		json_boolean(j, lv->cet);
	else
		json_null(j);
	json_kv_str(j, "text", text);
	json_obj_end(j);
	json_host(j, h);
	json_key(j, "vms");
	json_arr_begin(j);
}

static void json_vm(void *ctx, const struct ns_vm *vm)
{
	struct json *j = &((struct ns_triage_render *)ctx)->j;

	json_obj_begin(j);
	ns_emit_vm_members(j, vm);
	json_key(j, "vcpus");
	json_arr_begin(j);
}

/* vmcs12's control words, each by its catalog name with its decoding */
static void json_controls(struct json *j, const struct ns_triage_vcpu *vt)
{
	const struct { uint32_t enc; uint64_t value; } words[] = {
		{ PIN_BASED_VM_EXEC_CONTROL, vt->pin }, { CPU_BASED_VM_EXEC_CONTROL, vt->proc },
		{ SECONDARY_VM_EXEC_CONTROL, vt->proc2 }, { VM_EXIT_CONTROLS, vt->exitc },
		{ VM_ENTRY_CONTROLS, vt->entry },
	};

	json_key(j, "controls");
	json_obj_begin(j);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		struct ns_field_ref ref;

		if (ns_field_lookup(words[i].enc, &ref))
			ns_emit_decoded_value(j, ref.field->name, ref.field->decoder, words[i].value, NULL);
	}
	json_obj_end(j);
}

/* The context an exit's qualification is decoded in: its reason and interruption information */
static void exit_context(uint64_t reason, uint64_t intr_info, struct ns_context *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->have_exit_reason = true;
	ctx->exit_reason = (uint32_t)reason;
	ctx->have_exit_intr_info = true;
	ctx->exit_intr_info = (uint32_t)intr_info;
}

/*
 * An event in an interruption-information field (VM-entry injection, IDT vectoring): whether its valid bit is
 * set (valid_key says what that means for the field), the field decoded, its error code.
 */
static void json_event_members(struct json *j, const char *valid_key, uint64_t info, uint64_t error_code)
{
	json_kv_bool(j, valid_key, (info & INTR_INFO_VALID) != 0);
	ns_emit_decoded_value(j, "info", NS_DEC_INTR_INFO, info, NULL);
	json_kv_hex(j, "error_code", error_code);
}

static void json_vmcs12(struct json *j, const struct ns_triage_vcpu *vt)
{
	struct ns_copy_ref ref = vt->ref12;
	struct ns_context ctx;

	ref.label = vt->copy12;
	exit_context(vt->reason, vt->exit_intr_info, &ctx);
	json_key(j, "vmcs12");
	json_obj_begin(j);
	ns_emit_copy_ref(j, "copy", &ref);
	json_kv_hex(j, "revision_id", vt->revision);
	json_kv_str(j, "launch_state", ns_launch_state_str(vt->launch_state));
	json_controls(j, vt);
	json_key(j, "last_exit");
	json_obj_begin(j);
	ns_emit_decoded_value(j, "reason", NS_DEC_EXIT_REASON, vt->reason, NULL);
	json_kv_bool(j, "entry_failure", (vt->reason & VMX_EXIT_REASONS_FAILED_VMENTRY) != 0);
	json_kv_bool(j, "stale", vt->exit_stale);
	ns_emit_decoded_value(j, "qualification", NS_DEC_EXIT_QUAL, vt->qual, &ctx);
	json_kv_hex(j, "instruction_error", vt->insn_error);
	json_obj_end(j);
	json_key(j, "injection");
	json_obj_begin(j);
	json_event_members(j, "pending", vt->entry_intr, vt->entry_err);
	json_kv_hex(j, "instruction_len", vt->entry_len);
	json_obj_end(j);
	json_key(j, "idt_vectoring");
	json_obj_begin(j);
	json_event_members(j, "valid", vt->idt, vt->idt_err);
	json_obj_end(j);
	json_kv_hex(j, "guest_rip", vt->guest_rip);
	json_kv_hex(j, "host_rip", vt->host_rip);
	json_obj_end(j);
}

static void json_src(struct json *j, const char *key, bool have, enum ns_triage_src src)
{
	json_key(j, key);
	if (have)
		json_str(j, src_key(src));
	else
		json_null(j);
}

static void json_exit(struct json *j, uint32_t reason, bool have_qual, uint64_t qual, uint64_t intr_info)
{
	const char *name = ns_exit_reason_name(reason & 0xffff);
	char q[240] = "";

	if (have_qual)
		qual_words(reason, qual, intr_info, q, sizeof(q));
	json_obj_begin(j);
	json_kv_uint(j, "basic_reason", reason & 0xffff);
	json_kv_bool(j, "entry_failure", (reason & VMX_EXIT_REASONS_FAILED_VMENTRY) != 0);
	json_kv_str(j, "name", name ? name : "unknown");
	if (have_qual) {
		struct ns_context ctx;

		exit_context(reason, intr_info, &ctx);
		ns_emit_decoded_value(j, "qualification", NS_DEC_EXIT_QUAL, qual, &ctx);
	} else {
		json_key(j, "qualification");
		json_null(j);
	}
	json_kv_str(j, "qualification_text", q);
}

/* The story: the text's first line and each of its values with the copy it came from. */
static void json_story(struct json *j, const struct ns_triage_vcpu *vt)
{
	const struct ns_triage_story *st = &vt->story;
	struct ns_triage_words sw;

	ns_triage_story_words(vt, &sw);
	json_key(j, "story");
	json_obj_begin(j);
	json_kv_str(j, "text", sw.line);
	json_kv_str(j, "level", st->l2 ? "L2" : "L1");
	json_key(j, "rip");
	if (st->have_rip)
		json_hex(j, st->rip);
	else
		json_null(j);
	json_src(j, "rip_from", st->have_rip, st->rip_src);
	json_key(j, "cpu_mode");
	if (st->mode != NS_TRIAGE_MODE_UNKNOWN)
		json_str(j, mode_phrase(st->mode));
	else
		json_null(j);
	json_src(j, "cpu_mode_from", st->mode != NS_TRIAGE_MODE_UNKNOWN, st->mode_src);
	json_key(j, "l0_exit");
	if (st->have_l0_exit) {
		json_exit(j, st->l0_reason, st->have_l0_qual, st->l0_qual, st->l0_intr_info);
		json_src(j, "qualification_from", st->have_l0_qual, st->l0_qual_src);
		json_obj_end(j);
	} else {
		json_null(j);
	}
	json_key(j, "l1_told");
	if (st->told == NS_TRIAGE_TOLD_NA)
		json_null(j);
	else
		json_boolean(j, st->told == NS_TRIAGE_TOLD_EXITED);
	json_key(j, "l1_last_exit");
	if (st->told == NS_TRIAGE_TOLD_EXITED) {
		json_exit(j, (uint32_t)vt->reason, true, vt->qual, vt->exit_intr_info);
		json_obj_end(j);
	} else {
		json_null(j);
	}
	json_key(j, "events");
	json_arr_begin(j);
	for (unsigned i = 0; i < sw.nevents; i++)
		json_str(j, sw.events[i]);
	json_arr_end(j);
	json_key(j, "failure");
	if (sw.failed[0])
		json_str(j, sw.failed);
	else
		json_null(j);
	json_kv_uint(j, "failed_rules", st->failed_rules);
	json_key(j, "first_failed_rule");
	if (st->failed_rules)
		json_str(j, st->failed_rule);
	else
		json_null(j);
	json_obj_end(j);
}

static void json_findings(struct json *j, const char *key, const struct ns_triage_vcpu *vt, bool problem)
{
	json_key(j, key);
	json_arr_begin(j);
	for (unsigned i = 0; i < vt->nnotes; i++)
		if (vt->notes[i].problem == problem)
			ns_emit_finding(j, NULL, vt->notes[i].id, vt->notes[i].text);
	json_arr_end(j);
}

static void json_field_list(struct json *j, const char *key, const struct ns_field *const *f, unsigned n)
{
	json_key(j, key);
	json_arr_begin(j);
	for (unsigned i = 0; i < n; i++)
		json_str(j, f[i]->name);
	json_arr_end(j);
}

static void json_svm_event(struct json *j, const char *key, uint64_t ev, uint64_t err)
{
	const char *type = ns_svm_value_name(NS_SVMT_EVENT_TYPE, ns_svm_field_get(ev, NS_SVM_EVENT_TYPE));

	json_key(j, key);
	if (!(ev & NS_SVM_EVENT_VALID)) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_kv_hex(j, "value", ev);
	json_kv_uint(j, "vector", ns_svm_field_get(ev, NS_SVM_EVENT_VECTOR));
	json_key(j, "type");
	if (type)
		json_str(j, type);
	else
		json_null(j);
	json_key(j, "error_code");
	if (ev & NS_SVM_EVENT_VALID_ERR)
		json_hex(j, err);
	else
		json_null(j);
	json_obj_end(j);
}

/* triage/2's $defs/vcpu_svm: an AMD host's vCPU, its story from the VMCB it runs on */
static void json_svm_vcpu(struct json *j, const struct ns_triage_vcpu *vt)
{
	const struct ns_triage_svm *t = &vt->svm;
	char name[48];

	ns_emit_svm_vcpu_members(j, vt->v);
	json_key(j, "story");
	json_obj_begin(j);
	json_kv_str(j, "level", vt->v->guest_mode ? "L2" : "L1");
	json_key(j, "rip");
	if (t->have_rip)
		json_hex(j, t->rip);
	else
		json_null(j);
	json_key(j, "rip_from");
	if (t->have_rip)
		json_str(j, t->rip_from);
	else
		json_null(j);
	json_key(j, "l0_exit");
	if (t->have_current) {
		json_obj_begin(j);
		json_kv_str(j, "from", t->current);
		json_kv_hex(j, "exit_code", t->exit_code);
		json_key(j, "name");
		if (ns_svm_exit_name(t->exit_code, name, sizeof(name), NULL))
			json_str(j, name);
		else
			json_null(j);
		json_kv_hex(j, "exit_info_1", t->exit_info_1);
		json_kv_hex(j, "exit_info_2", t->exit_info_2);
		json_svm_event(j, "exit_int_info", t->exit_int_info, t->exit_int_info_err);
		json_obj_end(j);
	} else {
		json_null(j);
	}
	json_svm_event(j, "next_injection", t->have_current ? t->event_inj : 0, t->event_inj_err);
	json_obj_end(j);
	if (t->have12) {
		json_key(j, "vmcb12");
		json_obj_begin(j);
		json_kv_str(j, "from", "cached");
		json_kv_hex(j, "gpa", vt->v->s.vmcb12_gpa);
		json_kv_hex(j, "intercept_word3", t->v12_intercepts[0]);
		json_kv_hex(j, "intercept_word4", t->v12_intercepts[1]);
		json_kv_hex(j, "intercept_word5", t->v12_intercepts[2]);
		json_kv_hex(j, "asid", t->v12_asid);
		json_kv_hex(j, "misc_ctl", t->v12_misc_ctl);
		json_kv_hex(j, "nested_cr3", t->v12_nested_cr3);
		json_kv_hex(j, "int_ctl", t->v12_int_ctl);
		json_kv_hex(j, "tlb_ctl", t->v12_tlb_ctl);
		json_kv_hex(j, "event_inj", t->v12_event_inj);
		json_obj_end(j);
	}
	if (t->have_checks) {
		json_key(j, "checks");
		json_obj_begin(j);
		ns_emit_check_count_values(j, "check_counts", t->rules, t->pass, t->fail, t->not_judged, t->na);
		json_obj_end(j);
	}
	if (t->have_diff) {
		unsigned cls[4] = { t->expected, t->stale, t->unexplained, 0 };

		json_key(j, "vs_vmcb02");
		json_obj_begin(j);
		ns_emit_diff_count_members(j, t->compared, t->compared - t->differ, t->differ, cls);
		json_obj_end(j);
	}
	json_findings(j, "problems", vt, true);
	json_findings(j, "warnings", vt, false);
}

static void json_vcpu(void *ctx, const struct ns_triage_vcpu *vt)
{
	struct json *j = &((struct ns_triage_render *)ctx)->j;

	json_obj_begin(j);
	if (vt->v->svm) {
		json_svm_vcpu(j, vt);
		json_obj_end(j);
		return;
	}
	ns_emit_vcpu_members(j, vt->v);
	json_story(j, vt);
	if (vt->have12)
		json_vmcs12(j, vt);
	if (vt->have_checks) {
		json_key(j, "checks");
		json_obj_begin(j);
		ns_emit_check_count_values(j, "check_counts", vt->rules, vt->pass, vt->fail, vt->not_judged, vt->na);
		ns_emit_capabilities(j, "capabilities", vt->caps, vt->have_caps ? &vt->capsv : NULL);
		json_obj_end(j);
	}
	if (vt->have_diff || vt->diff_error[0]) {
		json_key(j, "vs_vmcs02");
		json_obj_begin(j);
		if (vt->have_diff) {
			ns_emit_diff_count_members(j, vt->compared, vt->equal, vt->differ, vt->cls);
			json_kv_hex(j, "vmcs02_guest_rip", vt->guest_rip02);
			json_field_list(j, "stale_fields", vt->stale, vt->nstale);
			json_field_list(j, "unexplained_fields", vt->unexplained, vt->nunexplained);
		} else {
			json_kv_str(j, "error", vt->diff_error);
		}
		json_obj_end(j);
	}
	json_findings(j, "problems", vt, true);
	json_findings(j, "warnings", vt, false);
	json_obj_end(j);
}

static void json_vm_end(void *ctx, const struct ns_vm *vm, const struct ns_error *verr)
{
	struct json *j = &((struct ns_triage_render *)ctx)->j;

	(void)vm;
	json_arr_end(j);
	json_key(j, "problems");
	json_arr_begin(j);
	if (verr->code != NS_OK)
		ns_emit_finding(j, NULL, NS_TRIAGE_ID_VCPUS_UNLISTED, verr->msg);
	json_arr_end(j);
	json_obj_end(j);
}

static void json_end(void *ctx, const struct ns_triage_summary *sum)
{
	struct json *j = &((struct ns_triage_render *)ctx)->j;

	json_arr_end(j);
	json_key(j, "summary");
	json_obj_begin(j);
	json_kv_uint(j, "vm_count", sum->vms);
	json_kv_uint(j, "vcpu_count", sum->vcpus);
	json_kv_uint(j, "in_vmx_operation", sum->vmx);
	json_kv_uint(j, "in_l2", sum->l2);
	if (sum->svm_host)
		json_kv_uint(j, "using_nested_svm", sum->svm);
	json_kv_uint(j, "problem_count", sum->problems);
	json_kv_uint(j, "warning_count", sum->warnings);
	json_obj_end(j);
	json_obj_end(j);
}

void ns_render_triage_sink(struct ns_triage_render *r, struct ns_triage_sink *sink)
{
	sink->ctx = r;
	if (r->html) {
		ns_render_triage_html_sink(r, sink);
	} else if (r->json) {
		json_init(&r->j, r->o);
		*sink = (struct ns_triage_sink){ r, json_begin, json_vm, json_vcpu, json_vm_end, json_end };
	} else {
		*sink = (struct ns_triage_sink){ r, text_begin, text_vm, text_vcpu, text_vm_end, text_end };
	}
}
