/*
 * triage's HTML report: one self-contained file (no network, no external
 * script, style or font; a Content-Security-Policy forbids fetching any),
 * written as the analysis hands over each VM and vCPU, from the same model
 * and the same sentences as the text and JSON (render/triage.c).  The host
 * summary first, then L0 with its VMs drawn as a tree (VM, vCPUs, L1 and L2
 * with each VMCS copy's address and the loaded one marked), each vCPU a
 * collapsed panel with its story, vmcs12 against vmcs02 side by side and the
 * SDM check counts; a filter (inline script) keeps 100 VMs usable.  An AMD
 * host's vCPU (struct vcpu_svm) gets the same page with the SVM concepts
 * where they match: vCPU -> L1 (vmcb01) -> L2 (vmcb02, vmcb12's GPA), L0's
 * last #VMEXIT with EXITINFO1/2 and EXITINTINFO decoded, the next EVENTINJ,
 * vmcb12's controls by name, the APM's VMRUN checks rule by rule, vmcb12
 * against vmcb02 (and vmcb01) side by side: the judgement triage/2's
 * $defs/vcpu_svm holds, never a second one.
 *
 * Every string is escaped: process names, profiles' paths and whatever a
 * dump holds are the guest's or anyone's, never markup.
 */
#include <stdio.h>
#include <string.h>

#include "analyses/triage.h"
#include "nestscope/svm_explain.h"
#include "render/common.h"
#include "render/triage_words.h"
#include "sdm/vmx_names.h"

/*
 * Writes s with HTML's five special characters escaped (text and quoted
 * attributes alike), and each byte past ASCII as a character reference to
 * the code point of its value, as the JSON writes it (\u00XX): a process
 * or file name is bytes, not always UTF-8, and the page stays valid UTF-8.
 */
static void esc(struct ns_out *o, const char *s)
{
	char buf[256];
	size_t n = 0;

	for (; s && *s; s++) {
		const char *rep = NULL;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: break;
		}
		if (n + 8 >= sizeof(buf)) {
			buf[n] = '\0';
			ns_printf(o, "%s", buf);
			n = 0;
		}
		if (rep) {
			memcpy(buf + n, rep, strlen(rep));
			n += strlen(rep);
		} else if ((unsigned char)*s >= 0x80) {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "&#x%x;", (unsigned char)*s);
		} else {
			/* control characters (a dump's bytes) are shown as '?', never passed to the page */
			buf[n++] = (unsigned char)*s < 0x20 && *s != '\n' && *s != '\t' ? '?' : *s;
		}
	}
	buf[n] = '\0';
	ns_printf(o, "%s", buf);
}

/* The style and the filter: in the file, nothing fetched. */
static const char STYLE[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:0;padding:1em 2em;color:#1b1f24;background:#fafbfc}"
	"h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.15em;margin:1em 0 .4em}"
	"code,.mono,td.v{font-family:ui-monospace,monospace;font-size:13px}"
	".meta{color:#57606a;margin:.1em 0}"
	"#host{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.6em 1em}"
	"#host table{border-collapse:collapse}#host td{padding:.1em .8em .1em 0}"
	".problem{color:#b3261e;font-weight:600}.ok{color:#1a7f37}"
	"#filterbar{position:sticky;top:0;background:#fafbfc;padding:.5em 0;z-index:1;border-bottom:1px solid #d0d7de}"
	"#filterbar input,#filterbar select{font:inherit;padding:.2em .4em;margin-right:.6em}"
	"#nesting{margin-top:.5em}"
	".l0{display:inline-block;background:#24292f;color:#fff;border-radius:6px;padding:.3em .8em;font-weight:600}"
	".vm{margin:.4em 0 .4em 1.2em;padding-left:1em;border-left:2px solid #8c959f}"
	".vmhead{font-weight:600;margin:.3em 0}"
	".tree{display:flex;flex-wrap:wrap;align-items:center;gap:.3em;margin:.2em 0 .2em 1em}"
	".node{border:1px solid #8c959f;border-radius:4px;padding:.1em .5em;background:#fff}"
	".node.lvl-l1{border-color:#0969da}.node.lvl-l2{border-color:#8250df}"
	".arrow{color:#57606a}"
	".vmcs{display:inline-block;font-family:ui-monospace,monospace;font-size:12px;border:1px dashed #8c959f;"
	"border-radius:3px;padding:0 .3em;margin-left:.3em;background:#f6f8fa}"
	".vmcs.loaded{border:2px solid #1a7f37;background:#dafbe1}"
	"details.panel{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:.3em 0 .3em 1em}"
	"details.panel>summary{cursor:pointer;padding:.35em .6em}"
	"details.panel.has-problem{border-color:#b3261e}"
	"details.panel>div{padding:.2em 1em .6em}"
	".story td{padding:.05em .8em .05em 0;vertical-align:top}"
	"table.diff{border-collapse:collapse;margin:.3em 0}"
	"table.diff th,table.diff td{border:1px solid #d0d7de;padding:.1em .5em;text-align:left}"
	"tr.stale{background:#fff8c5}tr.unexplained{background:#ffebe9}tr.expected{color:#57606a}"
	".badge{display:inline-block;border-radius:9px;padding:0 .5em;font-size:12px;background:#eaeef2;margin-left:.3em}"
	".badge.l2{background:#fbefff}.badge.bad{background:#ffebe9;color:#b3261e}";

static const char SCRIPT[] =
	"(function(){"
	"var f=document.getElementById('filter'),s=document.getElementById('state'),"
	"p=document.getElementById('only-problems'),c=document.getElementById('shown');"
	"function apply(){var q=f.value.toLowerCase(),st=s.value,n=0;"
	"document.querySelectorAll('details.panel').forEach(function(d){"
	"var ok=(!q||d.dataset.search.indexOf(q)>=0)&&(!st||d.dataset.state===st)&&(!p.checked||d.dataset.problem==='1');"
	"d.hidden=!ok;if(ok)n++;});"
	"document.querySelectorAll('section.vm').forEach(function(v){"
	"v.hidden=!v.querySelector('details.panel:not([hidden])')&&v.querySelectorAll('details.panel').length>0;});"
	"c.textContent=n+' shown';}"
	"f.addEventListener('input',apply);s.addEventListener('change',apply);p.addEventListener('change',apply);"
	/* the address can filter and open at load: report.html#filter=pid%20110&open */
	"location.hash.slice(1).split('&').forEach(function(a){var kv=a.split('=');"
	"if(kv[0]==='filter')f.value=decodeURIComponent(kv[1]||'');"
	"if(kv[0]==='open')document.querySelectorAll('details.panel').forEach(function(d){d.open=true;});});"
	"apply();"
	"})();";

static const char *state_key(enum ns_triage_state st)
{
	switch (st) {
	case NS_TRIAGE_NO_VMX: return "l1-no-vmx";
	case NS_TRIAGE_NO_VMCS: return "l1-no-vmcs";
	case NS_TRIAGE_VMCS12: return "l1-vmcs12";
	case NS_TRIAGE_L2: return "l2";
	}
	return "?";
}

/* An AMD host's states, as the filter's menu spells them (ns_svm_state_str's words, with hyphens) */
static const char *svm_state_key(enum ns_svm_state st)
{
	switch (st) {
	case NS_SVM_OFF: return "l1-no-svm";
	case NS_SVM_L1: return "l1-svm";
	case NS_SVM_L2: return "l2";
	}
	return "?";
}

/* The host's vCPUs by state: VMX's four, or SVM's three */
static void host_states(struct ns_out *o, const struct ns_triage_host *h)
{
	ns_printf(o, "<table id=\"states\"><tr><td>VMs</td><td>%u</td></tr><tr><td>vCPUs</td><td>%u</td></tr>\n",
		  h->vms, h->vcpus);
	if (h->svm)
		ns_printf(o, "<tr><td>vendor</td><td>AMD SVM</td></tr>\n<tr><td>in L2</td><td>%u</td></tr>"
			  "<tr><td>in L1 using nested SVM</td><td>%u</td></tr>\n<tr><td>in L1 without it</td><td>%u</td></tr>\n",
			  h->svm_states[NS_SVM_L2], h->svm_states[NS_SVM_L1], h->svm_states[NS_SVM_OFF]);
	else
		ns_printf(o, "<tr><td>in L2</td><td>%u</td></tr><tr><td>in L1 with a current vmcs12</td><td>%u</td></tr>\n"
			  "<tr><td>in L1 in VMX operation without a VMCS</td><td>%u</td></tr>"
			  "<tr><td>in L1 not in VMX operation</td><td>%u</td></tr>\n"
			  "<tr><td>failed entries</td><td>%u</td></tr>", h->states[NS_TRIAGE_L2], h->states[NS_TRIAGE_VMCS12],
			  h->states[NS_TRIAGE_NO_VMCS], h->states[NS_TRIAGE_NO_VMX], h->failed_entries);
	ns_printf(o, "<tr><td>vCPUs with problems</td><td>%u</td></tr></table>\n", h->problem_vcpus);
}

static void html_begin(void *ctx, const struct ns_triage_info *info, const struct ns_triage_layout *lv,
		       const struct ns_triage_host *h)
{
	struct ns_out *o = ((struct ns_triage_render *)ctx)->o;
	char line[1400];

	ns_printf(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		  "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
		  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>nestscope triage: ");
	esc(o, info->dump);
	ns_printf(o, "</title>\n<style>%s</style></head>\n<body>\n<h1>nestscope triage</h1>\n<p class=\"meta\">dump <code>",
		  STYLE);
	esc(o, info->dump);
	ns_printf(o, "</code> (");
	esc(o, info->format);
	ns_printf(o, "), Linux ");
	esc(o, info->release);
	ns_printf(o, "</p>\n<p class=\"meta\">types ");
	esc(o, info->types);
	ns_triage_layout_text(lv, line, sizeof(line));
	ns_printf(o, "</p>\n<p class=\"meta%s\">vmcs12: ", lv->breaks ? " problem" : "");
	esc(o, line);
	ns_printf(o, "</p>\n");

	/* the host summary, its problems first */
	ns_printf(o, "<section id=\"host\"><h2>Host</h2>\n");
	if (h->problems_total) {
		ns_printf(o, "<p class=\"problem\">%u problem%s:</p>\n<ul id=\"problems\">\n", h->problems_total,
			  h->problems_total == 1 ? "" : "s");
		for (unsigned i = 0; i < h->nproblems; i++) {
			char where[64];

			ns_triage_problem_where(&h->problems[i], where, sizeof(where));
			ns_printf(o, "<li class=\"problem\">");
			esc(o, where);
			ns_printf(o, ": ");
			esc(o, h->problems[i].text);
			ns_printf(o, "</li>\n");
		}
		if (h->problems_total > h->nproblems)
			ns_printf(o, "<li>... and %u more, in the panels below</li>\n", h->problems_total - h->nproblems);
		ns_printf(o, "</ul>\n");
	} else {
		ns_printf(o, "<p class=\"ok\" id=\"problems\">No problem found.</p>\n");
	}
	host_states(o, h);
	ns_triage_host_common(h, line, sizeof(line));
	ns_printf(o, "<p id=\"common\">");
	esc(o, line);
	ns_printf(o, "</p></section>\n");

	ns_printf(o, "<div id=\"filterbar\"><input id=\"filter\" type=\"search\" placeholder=\"filter: pid, RIP, exit, "
		  "field...\" aria-label=\"filter\"><select id=\"state\" aria-label=\"state\"><option value=\"\">every "
		  "state</option><option value=\"l2\">in L2</option>");
	if (h->svm)
		ns_printf(o, "<option value=\"%s\">L1 using nested SVM</option><option value=\"%s\">L1 without nested "
			  "SVM</option>", svm_state_key(NS_SVM_L1), svm_state_key(NS_SVM_OFF));
	else
		ns_printf(o, "<option value=\"%s\">L1 with a vmcs12</option><option value=\"%s\">L1 without a VMCS</option>"
			  "<option value=\"%s\">L1 not in VMX operation</option>", state_key(NS_TRIAGE_VMCS12),
			  state_key(NS_TRIAGE_NO_VMCS), state_key(NS_TRIAGE_NO_VMX));
	ns_printf(o, "</select><label><input id=\"only-problems\" type=\"checkbox\"> problems only</label> "
		  "<span id=\"shown\"></span></div>\n");
	ns_printf(o, "<h2>Nesting</h2>\n<div id=\"nesting\"><div class=\"l0\">L0: Linux ");
	esc(o, info->release);
	ns_printf(o, ", %u VM%s</div>\n", h->vms, h->vms == 1 ? "" : "s");
}

static void html_vm(void *ctx, const struct ns_vm *vm)
{
	struct ns_out *o = ((struct ns_triage_render *)ctx)->o;

	ns_printf(o, "<section class=\"vm\" data-pid=\"%d\"><div class=\"vmhead\">VM pid %d (", vm->pid, vm->pid);
	esc(o, vm->comm[0] ? vm->comm : "-");
	ns_printf(o, "), struct kvm <code>0x%llx</code>, %u vCPU%s</div>\n", (unsigned long long)vm->kvm,
		  vm->online_vcpus, vm->online_vcpus == 1 ? "" : "s");
	if (vm->skip) {
		ns_printf(o, "<p>skipped: ");
		esc(o, vm->skip);
		ns_printf(o, "</p>\n");
	}
}

/* A VMCS copy in the drawing: its name and address, marked when it is the loaded one. */
static void copy_box(struct ns_out *o, const char *name, const char *what, uint64_t addr, bool loaded)
{
	ns_printf(o, "<span class=\"vmcs%s\" title=\"%s\">%s 0x%llx%s</span>", loaded ? " loaded" : "", what, name,
		  (unsigned long long)addr, loaded ? " (loaded)" : "");
}

/* vCPU -> L1 (vmcs01) -> L2 (vmcs02, vmcs12) */
static void tree(struct ns_out *o, const struct ns_triage_vcpu *vt)
{
	const struct ns_vcpu *v = vt->v;

	ns_printf(o, "<div class=\"tree\"><span class=\"node vcpu-node\">vCPU %u <code>0x%llx</code></span>"
		  "<span class=\"arrow\">&rarr;</span><span class=\"node lvl-l1\">L1", v->idx, (unsigned long long)v->vmx);
	if (v->vmcs01)
		copy_box(o, "vmcs01", "L1's hardware VMCS (kernel address)", v->vmcs01, !v->guest_mode);
	if (v->vmxon)
		ns_printf(o, " <span class=\"mono\">VMXON GPA 0x%llx</span>", (unsigned long long)v->vmxon_ptr);
	ns_printf(o, "</span>");
	if (vt->state == NS_TRIAGE_VMCS12 || vt->state == NS_TRIAGE_L2) {
		ns_printf(o, "<span class=\"arrow\">&rarr;</span><span class=\"node lvl-l2\">L2%s",
			  v->guest_mode ? " (running)" : " (not running)");
		if (v->vmcs02)
			copy_box(o, "vmcs02", "L2's hardware VMCS (kernel address)", v->vmcs02, v->guest_mode);
		copy_box(o, "cached_vmcs12", "KVM's copy of L1's VMCS (kernel address)", v->cached_vmcs12, false);
		ns_printf(o, "<span class=\"vmcs\" title=\"L1's current VMCS pointer\">vmcs12 GPA 0x%llx</span></span>",
			  (unsigned long long)v->current_vmptr);
	}
	ns_printf(o, "</div>\n");
}

static const char *class_name(enum ns_diff_class c)
{
	return ns_diff_class_name(c);
}

static void diff_table(struct ns_out *o, const struct ns_triage_vcpu *vt)
{
	ns_printf(o, "<p>vmcs12 against vmcs02: %u of %u fields differ: %u expected, %u stale, %u unexplained</p>\n",
		  vt->differ, vt->compared, vt->cls[NS_DIFF_EXPECTED], vt->cls[NS_DIFF_STALE],
		  vt->cls[NS_DIFF_UNEXPLAINED]);
	ns_printf(o, "<table class=\"diff\"><thead><tr><th>field</th><th>vmcs12</th><th>vmcs02</th><th>class</th>"
		  "<th>why</th></tr></thead><tbody>\n");
	/* stale and unexplained first: they are what the reader looks for */
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < vt->ndiffs; i++) {
			const struct ns_diff_entry *e = &vt->diffs[i];
			bool marked = e->cls == NS_DIFF_STALE || e->cls == NS_DIFF_UNEXPLAINED;

			if (marked != (pass == 0))
				continue;
			ns_printf(o, "<tr class=\"%s\" data-field=\"%s\"><td class=\"v\">%s</td><td class=\"v\">0x%llx</td>"
				  "<td class=\"v\">0x%llx</td><td>%s</td><td>", class_name(e->cls), e->field->name,
				  e->field->name, (unsigned long long)e->a, (unsigned long long)e->b, class_name(e->cls));
			esc(o, e->reason ? e->reason : "");
			ns_printf(o, "</td></tr>\n");
		}
	ns_printf(o, "</tbody></table>\n");
}

/* ---- an AMD host's vCPU (struct vcpu_svm) ---- */

/* vCPU -> L1 (vmcb01) -> L2 (vmcb02, and vmcb12 at the GPA L1 gave VMRUN); the VMCB current_vmcb points at is loaded */
static void svm_tree(struct ns_out *o, const struct ns_triage_vcpu *vt)
{
	const struct ns_vcpu *v = vt->v;
	const char *cur = ns_svm_current_str(v);

	ns_printf(o, "<div class=\"tree\"><span class=\"node vcpu-node\">vCPU %u <code>0x%llx</code></span>"
		  "<span class=\"arrow\">&rarr;</span><span class=\"node lvl-l1\">L1", v->idx,
		  (unsigned long long)v->s.vcpu_svm);
	if (v->s.vmcb01)
		copy_box(o, "vmcb01", "L1's VMCB (kernel address)", v->s.vmcb01, !strcmp(cur, "vmcb01"));
	if (v->s.have_hsave_msr)
		ns_printf(o, " <span class=\"mono\">VM_HSAVE_PA 0x%llx</span>", (unsigned long long)v->s.hsave_msr);
	ns_printf(o, "</span>");
	if (vt->svm.state != NS_SVM_OFF) {
		ns_printf(o, "<span class=\"arrow\">&rarr;</span><span class=\"node lvl-l2\">L2%s",
			  v->guest_mode ? " (running)" : " (not running)");
		if (v->s.vmcb02)
			copy_box(o, "vmcb02", "L2's VMCB, built by KVM from vmcb12 (kernel address)", v->s.vmcb02,
				 !strcmp(cur, "vmcb02"));
		ns_printf(o, "<span class=\"vmcs\" title=\"L1's VMRUN operand\">vmcb12 GPA 0x%llx</span></span>",
			  (unsigned long long)v->s.vmcb12_gpa);
	}
	ns_printf(o, "</div>\n");
}

/* A value decoded by the VMCB table's decoder of its field (EXITINFO1/2 by the exit code beside them), escaped */
static void svm_decoded(struct ns_out *o, enum ns_vmcb_field_id id, uint64_t value, bool have_code, uint64_t code)
{
	struct ns_decoding dec;
	char buf[600];

	if (!ns_svm_explain(ns_vmcb_field(id)->decoder, value, have_code, code, &dec))
		return;
	ns_decoding_format(&dec, buf, sizeof(buf));
	esc(o, buf);
}

/* One row of the story table: a VMCB field by the table's name, its value and its decoding */
static void svm_field_row(struct ns_out *o, const char *what, const char *copy, enum ns_vmcb_field_id id, uint64_t value,
			  bool have_code, uint64_t code)
{
	ns_printf(o, "<tr data-field=\"%s\"><td>%s</td><td><span class=\"mono\">%s 0x%llx</span> ", ns_vmcb_field(id)->name,
		  what, ns_vmcb_field(id)->name, (unsigned long long)value);
	svm_decoded(o, id, value, have_code, code);
	ns_printf(o, " (%s)</td></tr>\n", copy);
}

/* vmcb12's controls as KVM cached them at VMRUN (nested.ctl): triage/2's vcpu_svm.vmcb12 */
static void svm_controls(struct ns_out *o, const struct ns_triage_vcpu *vt)
{
	const struct ns_triage_svm *t = &vt->svm;
	const struct { enum ns_vmcb_field_id id; uint64_t value; } rows[] = {
		{ NS_VMCB_INTERCEPT_WORD3, t->v12_intercepts[0] }, { NS_VMCB_INTERCEPT_WORD4, t->v12_intercepts[1] },
		{ NS_VMCB_INTERCEPT_WORD5, t->v12_intercepts[2] }, { NS_VMCB_ASID, t->v12_asid },
		{ NS_VMCB_TLB_CTL, t->v12_tlb_ctl }, { NS_VMCB_INT_CTL, t->v12_int_ctl },
		{ NS_VMCB_MISC_CTL, t->v12_misc_ctl }, { NS_VMCB_NESTED_CR3, t->v12_nested_cr3 },
		{ NS_VMCB_EVENT_INJ, t->v12_event_inj },
	};

	ns_printf(o, "<p class=\"mono\">vmcb12 GPA 0x%llx, its controls as KVM cached them at VMRUN (nested.ctl):</p>\n"
		  "<table class=\"diff controls\"><thead><tr><th>field</th><th>vmcb12</th><th>decoded</th></tr></thead>"
		  "<tbody>\n", (unsigned long long)vt->v->s.vmcb12_gpa);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ns_printf(o, "<tr data-field=\"%s\"><td class=\"v\">%s</td><td class=\"v\">0x%llx</td><td>",
			  ns_vmcb_field(rows[i].id)->name, ns_vmcb_field(rows[i].id)->name, (unsigned long long)rows[i].value);
		svm_decoded(o, rows[i].id, rows[i].value, false, 0);
		ns_printf(o, "</td></tr>\n");
	}
	ns_printf(o, "</tbody></table>\n");
}

/* The APM's VMRUN checks on KVM's cache of vmcb12: the counts, then each rule that did not pass or was not judged */
static void svm_checks(struct ns_out *o, const struct ns_triage_svm *t)
{
	ns_printf(o, "<p class=\"checks\">APM checks: %u rules, <span class=\"ok\">%u pass</span>, "
		  "<span class=\"%s\">%u fail</span>, %u not judged, %u not applicable</p>\n", t->rules, t->pass,
		  t->fail ? "problem" : "ok", t->fail, t->not_judged, t->na);
	if (!t->checks || !(t->fail + t->not_judged))
		return;
	ns_printf(o, "<ul class=\"check-results\">\n");
	for (unsigned i = 0; i < t->checks->n; i++) {
		const struct ns_svm_check_result *r = &t->checks->r[i];

		if (r->verdict != NS_FAIL && r->verdict != NS_NOT_JUDGED)
			continue;
		ns_printf(o, "<li class=\"%s\" data-rule=\"%s\" data-verdict=\"%s\"><code>%s</code> %s: ",
			  r->verdict == NS_FAIL ? "problem" : "warning", r->rule->id, ns_verdict_str(r->verdict), r->rule->id,
			  r->verdict == NS_FAIL ? "fails" : "not judged");
		esc(o, r->rule->text);
		if (r->detail[0]) {
			ns_printf(o, " (");
			esc(o, r->detail);
			ns_printf(o, ")");
		}
		ns_printf(o, "</li>\n");
	}
	ns_printf(o, "</ul>\n");
}

/* vmcb12 against vmcb02 and vmcb01, side by side, stale and unexplained first (as the VMX table) */
static void svm_diff_table(struct ns_out *o, const struct ns_triage_svm *t)
{
	ns_printf(o, "<p>vmcb12 against vmcb02: %u of %u fields differ: %u expected, %u stale, %u unexplained</p>\n",
		  t->differ, t->compared, t->expected, t->stale, t->unexplained);
	if (!t->diff)
		return;
	ns_printf(o, "<table class=\"diff\"><thead><tr><th>field</th><th>vmcb12</th><th>vmcb02</th><th>vmcb01</th>"
		  "<th>class</th><th>why</th></tr></thead><tbody>\n");
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < t->diff->n; i++) {
			const struct ns_vmcb_diff_entry *e = &t->diff->e[i];
			bool marked = e->cls == NS_DIFF_STALE || e->cls == NS_DIFF_UNEXPLAINED;

			if (marked != (pass == 0))
				continue;
			ns_printf(o, "<tr class=\"%s\" data-field=\"%s\"><td class=\"v\">%s</td><td class=\"v\">%s</td>"
				  "<td class=\"v\">%s</td><td class=\"v\">%s</td><td>%s</td><td>", class_name(e->cls),
				  e->field->name, e->field->name, e->a_hex, e->b_hex, e->c_hex, class_name(e->cls));
			esc(o, e->reason);
			ns_printf(o, "</td></tr>\n");
		}
	ns_printf(o, "</tbody></table>\n");
}


/* A vCPU's problems and warnings, either vendor's, then the end of its <details>. */
static void vcpu_notes_end(struct ns_out *o, const struct ns_triage_vcpu *vt)
{
	if (vt->nnotes) {
		ns_printf(o, "<ul class=\"notes\">\n");
		for (unsigned i = 0; i < vt->nnotes; i++) {
			ns_printf(o, "<li class=\"%s\">%s ", vt->notes[i].problem ? "problem" : "warning",
				  vt->notes[i].problem ? "PROBLEM" : "warning");
			esc(o, vt->notes[i].text);
			ns_printf(o, "</li>\n");
		}
		ns_printf(o, "</ul>\n");
	}
	ns_printf(o, "</div></details>\n");
}
static void svm_vcpu(struct ns_out *o, const struct ns_triage_vcpu *vt)
{
	const struct ns_vcpu *v = vt->v;
	const struct ns_triage_svm *t = &vt->svm;
	const char *lvl = v->guest_mode ? "L2" : "L1";
	char where[200], exit[96] = "", ev[96], line[600];
	unsigned problems = 0;
	size_t len;

	for (unsigned i = 0; i < vt->nnotes; i++)
		problems += vt->notes[i].problem;
	svm_tree(o, vt);
	/* the story line, as the text's story and L0 exit lines word it */
	if (t->have_rip)
		snprintf(where, sizeof(where), "%s at RIP 0x%llx", lvl, (unsigned long long)t->rip);
	else
		snprintf(where, sizeof(where), "%s, RIP unknown", lvl);
	if (t->have_current)
		ns_triage_svm_exit_words(t->exit_code, exit, sizeof(exit));
	len = (size_t)snprintf(line, sizeof(line), "%s", where);
	if (exit[0])
		len += (size_t)snprintf(line + len, sizeof(line) - len, ", stopped by L0: %s", exit);
	if (len < sizeof(line))
		snprintf(line + len, sizeof(line) - len, "; %s", t->have_current && ((t->exit_int_info | t->event_inj) &
								   NS_SVM_EVENT_VALID) ? "events pending (below)"
										       : "no event pending");

	ns_printf(o, "<details class=\"panel svm%s\" id=\"vm%d-vcpu%u\" data-state=\"%s\" data-problem=\"%d\"%s "
		  "data-search=\"pid %d vcpu %u ", problems ? " has-problem" : "", v->pid, v->idx, svm_state_key(t->state),
		  problems ? 1 : 0, problems ? " open" : "", v->pid, v->idx);
	{
		/* lower case for the filter: the state, the story */
		char low[sizeof(line) + 200];

		snprintf(low, sizeof(low), "%s %s", ns_triage_svm_state_phrase(t->state), line);
		for (size_t k = 0; low[k]; k++)
			if (low[k] >= 'A' && low[k] <= 'Z')
				low[k] = (char)(low[k] - 'A' + 'a');
		esc(o, low);
	}
	ns_printf(o, "\"><summary><b>VM pid %d vCPU %u</b><span class=\"badge%s\">", v->pid, v->idx,
		  t->state == NS_SVM_L2 ? " l2" : "");
	esc(o, ns_triage_svm_state_phrase(t->state));
	ns_printf(o, "</span>");
	if (problems)
		ns_printf(o, "<span class=\"badge bad\">%u problem%s</span>", problems, problems == 1 ? "" : "s");
	ns_printf(o, "<br><span class=\"story-line\">");
	esc(o, line);
	ns_printf(o, "</span></summary>\n<div>\n<table class=\"story\">\n<tr><td>where</td><td>");
	esc(o, where);
	if (t->have_rip) {
		ns_printf(o, " (from ");
		esc(o, t->rip_from);
		ns_printf(o, ")");
	}
	ns_printf(o, "</td></tr>\n");
	if (t->have_current) {
		ns_printf(o, "<tr class=\"l0-exit\"><td>L0's last #VMEXIT</td><td>");
		esc(o, exit);
		ns_printf(o, " (%s's EXITCODE)</td></tr>\n", t->current);
		svm_field_row(o, "EXITINFO1", t->current, NS_VMCB_EXIT_INFO_1, t->exit_info_1, true, t->exit_code);
		svm_field_row(o, "EXITINFO2", t->current, NS_VMCB_EXIT_INFO_2, t->exit_info_2, true, t->exit_code);
		svm_field_row(o, "EXITINTINFO", t->current, NS_VMCB_EXIT_INT_INFO, t->exit_int_info, false, 0);
	}
	ns_printf(o, "<tr><td>events</td><td>");
	if (t->have_current && (t->exit_int_info & NS_SVM_EVENT_VALID)) {
		ns_triage_svm_event_words(t->exit_int_info, t->exit_int_info_err, ev, sizeof(ev));
		ns_printf(o, "<span class=\"exit-int-info\">in flight at that exit (%s's EXITINTINFO): ", t->current);
		esc(o, ev);
		ns_printf(o, "</span><br>");
	}
	if (t->have_current && (t->event_inj & NS_SVM_EVENT_VALID)) {
		ns_triage_svm_event_words(t->event_inj, t->event_inj_err, ev, sizeof(ev));
		ns_printf(o, "<span class=\"next-injection\">injected at the next VMRUN (%s's EVENTINJ): ", t->current);
		esc(o, ev);
		ns_printf(o, "</span>");
	}
	if (!t->have_current)
		ns_printf(o, "unknown: the VMCB the vCPU runs on was not read");
	else if (!((t->exit_int_info | t->event_inj) & NS_SVM_EVENT_VALID))
		ns_printf(o, "none pending or in flight");
	ns_printf(o, "</td></tr>\n</table>\n");
	if (t->have12)
		svm_controls(o, vt);
	else if (t->state != NS_SVM_OFF)
		ns_printf(o, "<p class=\"mono\">vmcb12 GPA 0x%llx</p>\n", (unsigned long long)v->s.vmcb12_gpa);
	if (t->have_checks)
		svm_checks(o, t);
	if (t->have_diff)
		svm_diff_table(o, t);
	else if (t->have12 && !v->guest_mode)
		ns_printf(o, "<p>vmcb02 not compared: the vCPU is in L1, vmcb02 holds L2's state as of its last exit</p>\n");
	vcpu_notes_end(o, vt);
}

static void html_vcpu(void *ctx, const struct ns_triage_vcpu *vt)
{
	struct ns_out *o = ((struct ns_triage_render *)ctx)->o;
	const struct ns_vcpu *v = vt->v;
	struct ns_triage_words sw;
	unsigned problems = 0;

	if (v->svm) {
		svm_vcpu(o, vt);
		return;
	}

	ns_triage_story_words(vt, &sw);
	for (unsigned i = 0; i < vt->nnotes; i++)
		problems += vt->notes[i].problem;
	tree(o, vt);
	/* the panel: collapsed unless something is wrong; data-search is what the filter matches */
	ns_printf(o, "<details class=\"panel%s\" id=\"vm%d-vcpu%u\" data-state=\"%s\" data-problem=\"%d\"%s "
		  "data-search=\"pid %d vcpu %u ", problems ? " has-problem" : "", v->pid, v->idx, state_key(vt->state),
		  problems ? 1 : 0, problems ? " open" : "", v->pid, v->idx);
	{
		/* lower case for the filter: the story, the state */
		char low[sizeof(sw.line) + 200];
		size_t k = 0;

		snprintf(low, sizeof(low), "%s %s", ns_triage_state_phrase(vt->state), sw.line);
		for (; low[k]; k++)
			if (low[k] >= 'A' && low[k] <= 'Z')
				low[k] = (char)(low[k] - 'A' + 'a');
		esc(o, low);
	}
	ns_printf(o, "\"><summary><b>VM pid %d vCPU %u</b><span class=\"badge%s\">", v->pid, v->idx,
		  vt->state == NS_TRIAGE_L2 ? " l2" : "");
	esc(o, ns_triage_state_phrase(vt->state));
	ns_printf(o, "</span>");
	if (problems)
		ns_printf(o, "<span class=\"badge bad\">%u problem%s</span>", problems, problems == 1 ? "" : "s");
	ns_printf(o, "<br><span class=\"story-line\">");
	esc(o, sw.line);
	ns_printf(o, "</span></summary>\n<div>\n<table class=\"story\">\n");
	if (sw.failed[0]) {
		ns_printf(o, "<tr class=\"problem\"><td>failed</td><td>");
		esc(o, sw.failed);
		ns_printf(o, "</td></tr>\n");
	}
	ns_printf(o, "<tr><td>where</td><td>");
	esc(o, sw.where);
	if (sw.where_src[0]) {
		ns_printf(o, " (");
		esc(o, sw.where_src);
		ns_printf(o, ")");
	}
	ns_printf(o, "</td></tr>\n");
	if (sw.l0_exit[0]) {
		ns_printf(o, "<tr><td>L0's last exit</td><td>");
		esc(o, sw.l0_exit);
		if (vt->story.have_l0_qual)
			ns_printf(o, " (KVM's exit reason %llu, %s's exit qualification 0x%llx)",
				  (unsigned long long)vt->story.l0_reason, ns_triage_src_phrase(vt->story.l0_qual_src),
				  (unsigned long long)vt->story.l0_qual);
		else
			ns_printf(o, " (KVM's exit reason %llu; the loaded VMCS holds another exit's qualification)",
				  (unsigned long long)vt->story.l0_reason);
		ns_printf(o, "</td></tr>\n");
	}
	if (sw.l1[0]) {
		ns_printf(o, "<tr><td>L1</td><td>");
		esc(o, sw.l1);
		ns_printf(o, "</td></tr>\n");
	}
	ns_printf(o, "<tr><td>events</td><td>");
	if (!sw.nevents)
		ns_printf(o, "none pending or in flight");
	for (unsigned i = 0; i < sw.nevents; i++) {
		ns_printf(o, "%s", i ? "<br>" : "");
		esc(o, sw.events[i]);
	}
	ns_printf(o, "</td></tr>\n</table>\n");
	if (vt->have12)
		ns_printf(o, "<p class=\"mono\">vmcs12 %s: revision 0x%x, %s; guest RIP 0x%llx, L1's exit handler "
			  "0x%llx</p>\n", "cached_vmcs12", vt->revision, vt->launch_state ? "launched" : "clear",
			  (unsigned long long)vt->guest_rip, (unsigned long long)vt->host_rip);
	if (vt->have_checks) {
		ns_printf(o, "<p class=\"checks\">SDM checks: %u rules, <span class=\"ok\">%u pass</span>, "
			  "<span class=\"%s\">%u fail</span>, %u not judged, %u not applicable (against ", vt->rules, vt->pass,
			  vt->fail ? "problem" : "ok", vt->fail, vt->not_judged, vt->na);
		esc(o, vt->caps);
		ns_printf(o, ")</p>\n");
	}
	if (vt->have_diff) {
		diff_table(o, vt);
	} else if (vt->diff_error[0]) {
		ns_printf(o, "<p>vmcs02: ");
		esc(o, vt->diff_error);
		ns_printf(o, "</p>\n");
	} else if (vt->not_compared) {
		ns_printf(o, "<p>vmcs02 not compared: this vmcs12 has not run L2 (launch state clear)</p>\n");
	}
	vcpu_notes_end(o, vt);
}

static void html_vm_end(void *ctx, const struct ns_vm *vm, const struct ns_error *verr)
{
	struct ns_out *o = ((struct ns_triage_render *)ctx)->o;

	(void)vm;
	if (verr->code != NS_OK) {
		ns_printf(o, "<p class=\"problem\">its vCPUs cannot be listed: ");
		esc(o, verr->msg);
		ns_printf(o, "</p>\n");
	}
	ns_printf(o, "</section>\n");
}

static void html_end(void *ctx, const struct ns_triage_summary *sum)
{
	struct ns_out *o = ((struct ns_triage_render *)ctx)->o;

	ns_printf(o, "</div>\n<p class=\"meta\">%u VM%s, %u vCPU%s: %u %s, %u in L2; %u problem%s, "
		  "%u warning%s</p>\n<script>%s</script>\n</body></html>\n", sum->vms, sum->vms == 1 ? "" : "s",
		  sum->vcpus, sum->vcpus == 1 ? "" : "s", sum->svm_host ? sum->svm : sum->vmx,
		  sum->svm_host ? "using nested SVM" : "in VMX operation", sum->l2, sum->problems,
		  sum->problems == 1 ? "" : "s", sum->warnings, sum->warnings == 1 ? "" : "s", SCRIPT);
}

void ns_render_triage_html_sink(struct ns_triage_render *r, struct ns_triage_sink *sink)
{
	*sink = (struct ns_triage_sink){ r, html_begin, html_vm, html_vcpu, html_vm_end, html_end };
}
