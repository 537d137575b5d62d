/*
 * triage's renderers on a model built in memory, no dump: the story lines
 * the bundled dumps never reach (a failed VM entry with the SDM rule that
 * fails, a VM-instruction error, events pending or in flight, a vmcs12 that
 * never exited to L1 beside one whose L1 was told, L1 outside VMX
 * operation) and a host of 100 VMs, rendered as text, triage/2 JSON and HTML
 * from the same model.  The expected words come from the SDM (exit reasons,
 * VM-instruction error numbers, interruption-information fields) and
 * Linux's names for them (arch/x86/include/uapi/asm/vmx.h), never from an
 * earlier nestscope output.
 *
 * With NS_TRIAGE_MODEL_OUT=DIR it also leaves the documents in DIR
 * (model.{txt,json,html}, many.{json,html}) for tests/integration/triage_model.py
 * (schema, Chromium); under tests/run.sh the JSON documents also go to
 * NESTSCOPE_JSON_DIR, which validate_all.py checks against their schema.
 */
#include "testutil.h"

#include <stdbool.h>

#include "analyses/triage.h"
#include "nestscope/catalog.h"

/* SDM Vol. 3D, Appendix C "VMX Basic Exit Reasons"; the names are Linux's EXIT_REASON_* (uapi/asm/vmx.h) */
#define SDM_EXIT_CPUID 10
#define SDM_EXIT_HLT 12
#define SDM_EXIT_VMLAUNCH 20
#define SDM_EXIT_VMRESUME 24
#define SDM_EXIT_IO_INSTRUCTION 30
#define SDM_EXIT_INVALID_GUEST_STATE 33   /* "VM-entry failure due to invalid guest state" */
#define SDM_EXIT_EPT_VIOLATION 48
/* SDM Vol. 3C, 28.2.1 "Basic VM-Exit Information": exit reason bit 31, VM-entry failure */
#define SDM_EXIT_ENTRY_FAILURE 0x80000000u
/* SDM Vol. 3C, 31.4 "VM Instruction Error Numbers": 7 */
#define SDM_VMERR_ENTRY_INVALID_CONTROL 7
#define SDM_VMERR_ENTRY_INVALID_CONTROL_TEXT "VM entry with invalid control field(s)"
/*
 * Interruption information (SDM Vol. 3C, 25.8.3 VM-entry, 28.2.2 VM-exit and
 * 28.2.4 IDT-vectoring): vector 7:0, type 10:8 (0 external interrupt, 2 NMI,
 * 3 hardware exception), 11 deliver error code, 31 valid; vector 14 is #PF
 * (SDM Vol. 3A, Table 6-1)
 */
#define SDM_INTR_VALID 0x80000000u
#define SDM_INTR_DELIVER_ERROR 0x800u
#define SDM_INTR_TYPE(t) ((uint32_t)(t) << 8)
#define SDM_INTR_EXTERNAL 0
#define SDM_INTR_NMI 2
#define SDM_INTR_HW_EXCEPTION 3
#define SDM_VECTOR_NMI 2
#define SDM_VECTOR_PF 14
#define SDM_PF_ERROR_WRITE 0x2            /* page-fault error code bit 1: a write (SDM Vol. 3A, 4.7) */
#define PF_INFO (SDM_INTR_VALID | SDM_INTR_DELIVER_ERROR | SDM_INTR_TYPE(SDM_INTR_HW_EXCEPTION) | SDM_VECTOR_PF)
#define EXTINT_0x20 (SDM_INTR_VALID | SDM_INTR_TYPE(SDM_INTR_EXTERNAL) | 0x20)
#define NMI_INFO (SDM_INTR_VALID | SDM_INTR_TYPE(SDM_INTR_NMI) | SDM_VECTOR_NMI)
/*
 * I/O instruction exit qualification (SDM Vol. 3C, Table 28-5): size - 1 in
 * 2:0, direction 3 (0 OUT), string 4, REP 5, operand encoding 6 (1
 * immediate), port 31:16.  OUT to port 0x10, 4 bytes, immediate:
 */
#define IO_QUAL_OUT_0x10_4_IMM ((0x10u << 16) | (1u << 6) | (4u - 1))
/* EPT violation qualification (SDM Vol. 3C, Table 28-7): write 1, linear address valid 7, translated 8 */
#define EPT_QUAL_WRITE_TRANSLATED ((1u << 1) | (1u << 7) | (1u << 8))
/* VMCS encodings (SDM Vol. 3D, Appendix B): GUEST_RIP (natural-width guest state), VM_EXIT_REASON */
#define ENC_GUEST_RIP 0x681e
#define ENC_VM_EXIT_REASON 0x4402

/* The rules the model says fail: ids of checks.def, the SDM's 27.3.1.1 and 27.2.1.1 */
#define RULE_CR0_PG_PE "guest.cr0.pg_pe"
#define RULE_PIN_RESERVED "ctrl.pin.reserved"
#define RULE_RFLAGS "guest.rflags.reserved"

/* Markup, quotes, an ampersand and bytes that are no UTF-8: the process name and the file name are anyone's */
#define HOSTILE_COMM "<script>\xff\"&'x"
#define HOSTILE_DUMP "<script>document.title='PWNED'</script><img src=x onerror=\"document.title='PWNED'\">" \
		     "&amp;\xfe\xc3.kdump"

#define KVM_X86_TDX_VM 5
#define TDX_SKIPPED "a TDX VM: its vCPUs are not VMX vCPUs"
#define VCPUS_UNLISTED "its vCPU array is unreadable (a made-up walker error)"

/* ---- an output buffer ---- */

struct buf {
	char *s;
	size_t n, cap;
};

static void buf_write(void *ctx, const char *s, size_t n)
{
	struct buf *b = ctx;

	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

/* ---- the model ---- */

#define MAX_VMS 100
#define MAX_VCPUS 200

struct model {
	struct ns_triage_info info;
	struct ns_triage_layout layout;
	struct ns_triage_host host;
	struct ns_triage_summary sum;
	struct ns_vm vms[MAX_VMS];
	struct ns_error verr[MAX_VMS];  /* why a VM's vCPUs cannot be listed, or NS_OK */
	unsigned nvms;
	struct ns_vcpu vcpus[MAX_VCPUS];
	struct ns_triage_vcpu *vts;  /* MAX_VCPUS of them, each vts[i].v == &vcpus[i] */
	unsigned nvcpus;
};

static struct model *model_new(const char *dump)
{
	struct model *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->vts = calloc(MAX_VCPUS, sizeof(*m->vts));
	assert_non_null(m->vts);
	m->info = (struct ns_triage_info){ .dump = dump, .format = "diskdump", .release = "6.1.0-test", .types = "synthetic" };
	m->layout = (struct ns_triage_layout){ .checked = true, .same = 148 };
	return m;
}

static void model_free(struct model *m)
{
	free(m->vts);
	free(m);
}

static struct ns_vm *add_vm(struct model *m, int32_t pid, const char *comm, uint32_t nvcpus)
{
	struct ns_vm *vm = &m->vms[m->nvms++];

	vm->kvm = 0xffffc90000100000ull + 0x10000ull * m->nvms;
	vm->pid = pid;
	snprintf(vm->comm, sizeof(vm->comm), "%s", comm);
	vm->online_vcpus = nvcpus;
	vm->vm_type = -1;
	return vm;
}

static void note(struct ns_triage_vcpu *vt, bool problem, const char *id, const char *text)
{
	struct ns_triage_note *n = &vt->notes[vt->nnotes++];

	n->problem = problem;
	n->id = id;
	snprintf(n->text, sizeof(n->text), "%s", text);
}

/* A vCPU of the last VM in the given state, its copies at made-up kernel addresses */
static struct ns_triage_vcpu *add_vcpu(struct model *m, enum ns_triage_state state)
{
	const struct ns_vm *vm = &m->vms[m->nvms - 1];
	unsigned i = m->nvcpus++;
	struct ns_vcpu *v = &m->vcpus[i];
	struct ns_triage_vcpu *vt = &m->vts[i];
	uint32_t idx = 0;

	for (unsigned k = 0; k < i; k++)
		idx += m->vcpus[k].pid == vm->pid;
	v->vcpu = v->vmx = 0xffff888010000000ull + 0x4000ull * i;
	v->kvm = vm->kvm;
	v->pid = vm->pid;
	v->idx = idx;
	v->vmcs01 = 0xffff888020000000ull + 0x1000ull * i;
	v->loaded_vmcs = v->vmcs01;
	v->loaded_is_vmcs01 = true;
	v->current_vmptr = ~0ull;
	if (state != NS_TRIAGE_NO_VMX) {
		v->vmxon = true;
		v->vmxon_ptr = 0x6000;
	}
	if (state == NS_TRIAGE_VMCS12 || state == NS_TRIAGE_L2) {
		v->current_vmptr = 0x7000;
		v->cached_vmcs12 = 0xffff888030000000ull + 0x1000ull * i;
		v->vmcs02 = 0xffff888040000000ull + 0x1000ull * i;
		vt->have12 = true;
		vt->ref12 = (struct ns_copy_ref){ .name = NS_CP_CACHED_VMCS12, .space = NS_AS_KERNEL,
						  .address = v->cached_vmcs12 };
		snprintf(vt->copy12, sizeof(vt->copy12), "cached_vmcs12 (0x%llx)", (unsigned long long)v->cached_vmcs12);
		vt->revision = 0x11e57ed0;
		vt->have_checks = true;
		vt->rules = 108;
		vt->pass = 60;
		vt->na = 48;
		snprintf(vt->caps, sizeof(vt->caps), "a synthetic model's capabilities");
	}
	if (state == NS_TRIAGE_L2) {
		v->guest_mode = true;
		v->loaded_vmcs = v->vmcs02;
		v->loaded_is_vmcs01 = false;
	}
	vt->v = v;
	vt->state = state;
	vt->story.l2 = state == NS_TRIAGE_L2;
	vt->story.told = NS_TRIAGE_TOLD_NA;
	return vt;
}

/* L0's last exit, its qualification from the loaded VMCS */
static void l0_exit(struct ns_triage_vcpu *vt, uint32_t reason, bool have_qual, uint64_t qual)
{
	struct ns_vcpu *v = (struct ns_vcpu *)vt->v;

	v->have_exit_reason = true;
	v->exit_reason = reason;
	vt->story.have_l0_exit = true;
	vt->story.l0_reason = reason;
	vt->story.have_l0_qual = have_qual;
	vt->story.l0_qual = qual;
	vt->story.l0_qual_src = vt->story.l2 ? NS_TRIAGE_SRC_VMCS02 : NS_TRIAGE_SRC_VMCS01;
}

static void rip(struct ns_triage_vcpu *vt, uint64_t value, enum ns_triage_src src)
{
	vt->story.have_rip = true;
	vt->story.rip = value;
	vt->story.rip_src = src;
	vt->story.mode = NS_TRIAGE_MODE_64;
	vt->story.mode_src = vt->story.l2 ? NS_TRIAGE_SRC_VMCS02 : NS_TRIAGE_SRC_VMCS01;
}

static void fail_rule(struct ns_triage_vcpu *vt, const char *rule)
{
	char text[200];

	vt->fail++;
	vt->pass--;
	if (!vt->story.failed_rules++)
		snprintf(vt->story.failed_rule, sizeof(vt->story.failed_rule), "%s", rule);
	snprintf(text, sizeof(text), "SDM check %s failed", rule);
	note(vt, true, rule, text);
}

/*
 * The host summary of the model, tallied here by the definitions triage.h
 * gives its members, VM by VM as the report lists them
 */
static void tally(struct model *m)
{
	struct ns_triage_host *h = &m->host;

	memset(h, 0, sizeof(*h));
	memset(&m->sum, 0, sizeof(m->sum));
	for (unsigned v = 0; v < m->nvms; v++) {
		bool vm_problem = m->verr[v].code != NS_OK;

		h->vms++;
		m->sum.vms++;
		for (unsigned i = 0; i < m->nvcpus; i++) {
			const struct ns_triage_vcpu *vt = &m->vts[i];
			bool problem = false;

			if (m->vcpus[i].pid != m->vms[v].pid)
				continue;
			h->vcpus++;
			h->states[vt->state]++;
			h->failed_entries += vt->have12 && (vt->reason & SDM_EXIT_ENTRY_FAILURE);
			h->told += vt->story.told == NS_TRIAGE_TOLD_EXITED;
			h->not_told += vt->story.told == NS_TRIAGE_TOLD_NEVER;
			if (vt->story.have_l0_exit)
				h->l0_exits[vt->story.l0_reason & 0xffff]++;
			else
				h->l0_exit_unknown++;
			m->sum.vcpus++;
			m->sum.vmx += vt->v->vmxon;
			m->sum.l2 += vt->v->guest_mode;
			for (unsigned k = 0; k < vt->nnotes; k++) {
				const struct ns_triage_note *n = &vt->notes[k];
				unsigned r;

				m->sum.problems += n->problem;
				m->sum.warnings += !n->problem;
				if (!n->problem)
					continue;
				problem = true;
				h->problems_total++;
				if (h->nproblems < NS_TRIAGE_HOST_PROBLEMS) {
					struct ns_triage_host_problem *p = &h->problems[h->nproblems++];

					p->pid = vt->v->pid;
					p->vcpu = vt->v->idx;
					p->id = n->id;
					snprintf(p->text, sizeof(p->text), "%s", n->text);
				}
				if (strncmp(n->id, "triage.", strlen("triage.")) == 0)
					continue;
				for (r = 0; r < h->nrules && strcmp(h->rules[r].id, n->id); r++)
					;
				if (r == h->nrules)
					snprintf(h->rules[h->nrules++].id, sizeof(h->rules[0].id), "%s", n->id);
				h->rules[r].vcpus++;
			}
			h->problem_vcpus += problem;
			vm_problem |= problem;
		}
		if (m->verr[v].code != NS_OK) {
			struct ns_triage_host_problem *p = &h->problems[h->nproblems++];

			h->problems_total++;
			m->sum.problems++;
			p->pid = m->vms[v].pid;
			p->vm_level = true;
			p->id = NS_TRIAGE_ID_VCPUS_UNLISTED;
			snprintf(p->text, sizeof(p->text), "%s", m->verr[v].msg);
		}
		h->problem_vms += vm_problem;
	}
}

enum fmt { TEXT, JSON, HTML };

/* The model through the renderer's sink, as ns_triage_run hands it over */
static char *render(const struct model *m, enum fmt fmt)
{
	struct buf b = { 0 };
	struct ns_out o = { buf_write, &b };
	struct ns_triage_render r = { .o = &o, .json = fmt == JSON, .html = fmt == HTML };
	struct ns_triage_sink sink;

	ns_render_triage_sink(&r, &sink);
	sink.begin(sink.ctx, &m->info, &m->layout, &m->host);
	for (unsigned v = 0; v < m->nvms; v++) {
		sink.vm(sink.ctx, &m->vms[v]);
		for (unsigned i = 0; i < m->nvcpus; i++)
			if (m->vcpus[i].pid == m->vms[v].pid)
				sink.vcpu(sink.ctx, &m->vts[i]);
		sink.vm_end(sink.ctx, &m->vms[v], &m->verr[v]);
	}
	sink.end(sink.ctx, &m->sum);
	assert_non_null(b.s);
	return b.s;
}

/* s as the HTML report escapes text (the five characters; bytes past ASCII as character references) */
static char *html_text(const char *s)
{
	char *out = malloc(strlen(s) * 6 + 1), *p = out;

	assert_non_null(out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '&')
			p += sprintf(p, "&amp;");
		else if (c == '<')
			p += sprintf(p, "&lt;");
		else if (c == '>')
			p += sprintf(p, "&gt;");
		else if (c == '"')
			p += sprintf(p, "&quot;");
		else if (c == '\'')
			p += sprintf(p, "&#39;");
		else if (c >= 0x80)
			p += sprintf(p, "&#x%x;", c);
		else
			*p++ = (char)c;
	}
	*p = '\0';
	return out;
}

/* s as a JSON string's contents (ASCII without quotes or backslashes stays itself) */
static char *json_text(const char *s)
{
	char *out = malloc(strlen(s) * 6 + 1), *p = out;

	assert_non_null(out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			p += sprintf(p, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			p += sprintf(p, "\\u%04x", c);
		else
			*p++ = (char)c;
	}
	*p = '\0';
	return out;
}

/* want is in each of the three outputs, as each spells text */
static void in_all(const char *text, const char *json, const char *html, const char *want)
{
	char *j = json_text(want), *h = html_text(want);

	if (!strstr(text, want))
		fail_msg("text lacks \"%s\"", want);
	if (!strstr(json, j))
		fail_msg("JSON lacks \"%s\"", j);
	if (!strstr(html, h))
		fail_msg("HTML lacks \"%s\"", h);
	free(j);
	free(h);
}

static void must(const char *doc, const char *what, const char *want)
{
	if (!strstr(doc, want))
		fail_msg("%s lacks \"%s\"", what, want);
}

static unsigned occurrences(const char *doc, const char *s)
{
	unsigned n = 0;

	for (const char *p = doc; (p = strstr(p, s)); p += strlen(s))
		n++;
	return n;
}

/* Keeps a document where NS_TRIAGE_MODEL_OUT says, and a JSON one for tests/run.sh's validate_all.py */
static void keep(const char *name, const char *doc)
{
	const char *dirs[] = { getenv("NS_TRIAGE_MODEL_OUT"), strstr(name, ".json") ? getenv("NESTSCOPE_JSON_DIR") : NULL };

	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		char path[1024];
		FILE *f;

		if (!dirs[d] || !dirs[d][0])
			continue;
		snprintf(path, sizeof(path), d ? "%s/run.test_triage_model.%s" : "%s/%s", dirs[d], name);
		f = fopen(path, "w");
		if (!f)
			fail_msg("cannot write %s", path);
		fputs(doc, f);
		fclose(f);
		if (d) {
			/* validate_all.py names the run by its .args file */
			snprintf(path, sizeof(path), "%s/run.test_triage_model.%.*s.args", dirs[d],
				 (int)(strlen(name) - strlen(".json")), name);
			f = fopen(path, "w");
			if (f) {
				fprintf(f, "(tests/unit/test_triage_model.c: %s)\n", name);
				fclose(f);
			}
		}
	}
}

/* ---- the stories ---- */

/*
 * VM pid 4242 (a hostile process name):
 *   vCPU 0  L1 after a failed VMLAUNCH: invalid guest state, CR0.PG without CR0.PE
 *   vCPU 1  L1 whose VMLAUNCH failed VMfailValid, VM-instruction error 7; vmcs12 never exited to L1
 *   vCPU 2  L2 stopped by an EPT violation while a #PF was being delivered to it
 *   vCPU 3  L1 told of L2's #PF, re-injecting it at the next entry
 *   vCPU 4  L2 entry in flight (nested_run_pending) with an external interrupt L1 injects
 * VM pid 4243: vCPU 0 not in VMX operation (HLT), vCPU 1 in VMX operation without a VMCS
 * VM pid 4244: its vCPUs cannot be listed; VM pid 4245: a TDX VM, skipped
 */
static struct model *stories(void)
{
	struct model *m = model_new(HOSTILE_DUMP);
	struct ns_triage_vcpu *vt;
	struct ns_field_ref rip_ref, reason_ref;

	add_vm(m, 4242, HOSTILE_COMM, 5);

	vt = add_vcpu(m, NS_TRIAGE_VMCS12);
	vt->reason = SDM_EXIT_ENTRY_FAILURE | SDM_EXIT_INVALID_GUEST_STATE;
	vt->qual = 0;  /* SDM 28.8: no further information */
	vt->host_rip = 0x1008d;
	vt->story.told = ns_triage_told(vt->launch_state, vt->reason);
	vt->not_compared = true;
	rip(vt, vt->host_rip, NS_TRIAGE_SRC_REGS);
	l0_exit(vt, SDM_EXIT_VMLAUNCH, true, 0);
	note(vt, true, NS_TRIAGE_ID_ENTRY_FAILED, "the last VM entry to L2 failed");
	fail_rule(vt, RULE_CR0_PG_PE);

	vt = add_vcpu(m, NS_TRIAGE_VMCS12);
	vt->insn_error = SDM_VMERR_ENTRY_INVALID_CONTROL;
	vt->story.told = ns_triage_told(vt->launch_state, vt->reason);
	vt->not_compared = true;
	rip(vt, 0x10090, NS_TRIAGE_SRC_VMCS01);
	l0_exit(vt, SDM_EXIT_VMLAUNCH, true, 0);
	note(vt, false, NS_TRIAGE_ID_INSN_ERROR, "L1's last VMX instruction failed");
	fail_rule(vt, RULE_PIN_RESERVED);

	vt = add_vcpu(m, NS_TRIAGE_L2);
	vt->launch_state = 1;
	vt->exit_stale = true;
	vt->reason = SDM_EXIT_CPUID;
	vt->guest_rip = 0x10150;
	vt->story.told = ns_triage_told(vt->launch_state, vt->reason);
	rip(vt, 0x10200, NS_TRIAGE_SRC_VMCS02);
	l0_exit(vt, SDM_EXIT_EPT_VIOLATION, true, EPT_QUAL_WRITE_TRANSLATED);
	vt->story.have02 = true;
	vt->story.idt02 = PF_INFO;
	vt->story.idt_err02 = SDM_PF_ERROR_WRITE;
	assert_true(ns_field_lookup(ENC_GUEST_RIP, &rip_ref) && ns_field_lookup(ENC_VM_EXIT_REASON, &reason_ref));
	vt->have_diff = true;
	vt->compared = 137;
	vt->differ = 2;
	vt->equal = 135;
	vt->cls[NS_DIFF_STALE] = 2;
	vt->diffs[0] = (struct ns_diff_entry){ rip_ref.field, 0x10150, 0x10200, NS_DIFF_STALE, "L2's state at its last exit to L1" };
	vt->diffs[1] = (struct ns_diff_entry){ reason_ref.field, SDM_EXIT_CPUID, SDM_EXIT_EPT_VIOLATION, NS_DIFF_STALE,
					       "the exit fields of L1's last exit" };
	vt->ndiffs = 2;
	vt->stale[vt->nstale++] = rip_ref.field;
	vt->stale[vt->nstale++] = reason_ref.field;
	vt->guest_rip02 = 0x10200;

	/* L2's write hit L1's EPT while a #PF was being delivered: L1 was told, and re-injects the #PF */
	vt = add_vcpu(m, NS_TRIAGE_VMCS12);
	vt->launch_state = 1;
	vt->reason = SDM_EXIT_EPT_VIOLATION;
	vt->qual = EPT_QUAL_WRITE_TRANSLATED;
	vt->idt = PF_INFO;
	vt->idt_err = SDM_PF_ERROR_WRITE;
	vt->entry_intr = PF_INFO;
	vt->entry_err = SDM_PF_ERROR_WRITE;
	vt->story.told = ns_triage_told(vt->launch_state, vt->reason);
	rip(vt, 0x10300, NS_TRIAGE_SRC_VMCS01);
	l0_exit(vt, SDM_EXIT_VMRESUME, true, 0);

	vt = add_vcpu(m, NS_TRIAGE_L2);
	((struct ns_vcpu *)vt->v)->nested_run_pending = true;
	vt->launch_state = 1;
	vt->entry_intr = EXTINT_0x20;
	vt->story.told = ns_triage_told(vt->launch_state, vt->reason);
	rip(vt, 0x10400, NS_TRIAGE_SRC_VMCS12);
	/* KVM's exit reason is L1's VMRESUME; vmcs02, now loaded, holds another exit's fields */
	l0_exit(vt, SDM_EXIT_VMRESUME, false, 0);
	vt->story.have02 = true;
	vt->story.inject02 = EXTINT_0x20;
	note(vt, false, NS_TRIAGE_ID_RUN_PENDING, "a VMLAUNCH/VMRESUME is in flight");

	add_vm(m, 4243, "qemu-beta", 2);
	vt = add_vcpu(m, NS_TRIAGE_NO_VMX);
	rip(vt, 0xffffffff81000000ull, NS_TRIAGE_SRC_REGS);
	l0_exit(vt, SDM_EXIT_HLT, true, 0);
	vt = add_vcpu(m, NS_TRIAGE_NO_VMCS);
	rip(vt, 0xffffffff81000010ull, NS_TRIAGE_SRC_VMCS01);
	l0_exit(vt, SDM_EXIT_CPUID, true, 0);
	/* an NMI L0 injects into L1 at the next entry */
	vt->story.inject02 = NMI_INFO;

	/* a VM whose vCPU list cannot be read, and a TDX VM (KVM_X86_TDX_VM, uapi/asm/kvm.h) not walked */
	add_vm(m, 4244, "qemu-gamma", 3);
	m->verr[m->nvms - 1] = (struct ns_error){ NS_ERR_FORMAT, VCPUS_UNLISTED };
	add_vm(m, 4245, "qemu-tdx", 1);
	m->vms[m->nvms - 1].vm_type = KVM_X86_TDX_VM;
	m->vms[m->nvms - 1].skip = TDX_SKIPPED;

	tally(m);
	return m;
}

/* The failed entry: its reason (bit 31 and basic reason 33), the failing rule, and L1 told of it */
static void failed_entry(void **state)
{
	struct model *m = stories();
	char *t = render(m, TEXT), *j = render(m, JSON), *h = render(m, HTML);

	(void)state;
	in_all(t, j, h, "FAILED: the last entry to L2 failed (failed VM entry, INVALID_STATE");
	in_all(t, j, h, "SDM rule " RULE_CR0_PG_PE " fails");
	/* VMLAUNCH has no memory operand: its exit clears the qualification (SDM 28.2.1), nothing to decode */
	in_all(t, j, h, "L1 at RIP 0x1008d, 64-bit mode, stopped by L0: VMLAUNCH; L1 was told");
	in_all(t, j, h, "L1 was told: failed VM entry, INVALID_STATE");
	must(t, "text", "entry failed YES (exit reason bit 31)");
	/* 0x80000021: bit 31 and basic reason 33 */
	must(j, "JSON", "\"l1_told\":true,\"l1_last_exit\":{\"basic_reason\":33,\"entry_failure\":true,\"name\":\"INVALID_STATE\"");
	must(j, "JSON", "\"failed_rules\":1,\"first_failed_rule\":\"" RULE_CR0_PG_PE "\"");
	must(h, "HTML", "data-problem=\"1\"");
	keep("model.txt", t);
	keep("model.json", j);
	keep("model.html", h);
	free(t), free(j), free(h);
	model_free(m);
}

/* VMfailValid: error 7 by the SDM's table, no exit to L1 from this vmcs12 */
static void instruction_error(void **state)
{
	struct model *m = stories();
	char *t = render(m, TEXT), *j = render(m, JSON), *h = render(m, HTML);

	(void)state;
	in_all(t, j, h, "FAILED: L1's last VMX instruction failed: VM-instruction error 7 (" SDM_VMERR_ENTRY_INVALID_CONTROL_TEXT
		"); SDM rule " RULE_PIN_RESERVED " fails; L1 at RIP 0x10090");
	/* never told: the text's and HTML's sentence, JSON's l1_told false with no last exit */
	must(t, "text", "L1         L1 not told: no exit to L1 from this vmcs12 yet (launch state clear)");
	must(h, "HTML", "<tr><td>L1</td><td>L1 not told: no exit to L1 from this vmcs12 yet (launch state clear)");
	must(j, "JSON", "\"l1_told\":false,\"l1_last_exit\":null");
	must(t, "text", "insn error   7 " SDM_VMERR_ENTRY_INVALID_CONTROL_TEXT);
	must(j, "JSON", "\"instruction_error\":\"0x7\"");
	free(t), free(j), free(h);
	model_free(m);
}

/* Events: vmcs02's IDT-vectoring information, vmcs12's and vmcs02's VM-entry interruption information, a run in flight */
static void events(void **state)
{
	struct model *m = stories();
	char *t = render(m, TEXT), *j = render(m, JSON), *h = render(m, HTML);

	(void)state;
	/* vCPU 2: the EPT violation's qualification (write, linear address valid and translated) and the #PF in delivery */
	in_all(t, j, h, "L2 at RIP 0x10200, 64-bit mode, stopped by L0: EPT_VIOLATION, WRITE GLA_VALID GVA_TRANSLATED");
	in_all(t, j, h, "L1's last exit, before it resumed L2: CPUID");
	in_all(t, j, h, "vector=14(#PF) type=0x3(HW_EXCEPTION) DELIVER_ERROR_CODE VALID was being delivered to L2 when L0 "
		"exited (vmcs02's IDT-vectoring information)");
	/* vCPU 3: L1 told of L2's EPT violation during a #PF's delivery (vmcs12's IDT-vectoring information), re-injecting it */
	in_all(t, j, h, "L1 was told: EPT_VIOLATION, WRITE GLA_VALID GVA_TRANSLATED");
	in_all(t, j, h, "vector=14(#PF) type=0x3(HW_EXCEPTION) DELIVER_ERROR_CODE VALID was being delivered to L2 when it "
		"exited to L1, for L1 to re-inject (vmcs12's IDT-vectoring information)");
	in_all(t, j, h, "L1 injects vector=14(#PF) type=0x3(HW_EXCEPTION) DELIVER_ERROR_CODE VALID into L2 at the next entry "
		"(vmcs12)");
	must(t, "text", "vectoring    vector=14(#PF) type=0x3(HW_EXCEPTION) DELIVER_ERROR_CODE VALID, error code 0x2");
	must(j, "JSON", "\"idt_vectoring\":{\"valid\":true,\"info\":{\"value\":\"0x80000b0e\"");
	must(t, "text", "injection    vector=14(#PF) type=0x3(HW_EXCEPTION) DELIVER_ERROR_CODE VALID, error code 0x2");
	must(j, "JSON", "\"injection\":{\"pending\":true,\"info\":{\"value\":\"0x80000b0e\"");
	/* vCPU 4: the entry in flight, an external interrupt (type 0) of vector 0x20 in vmcs12 and vmcs02 */
	in_all(t, j, h, "a VMLAUNCH/VMRESUME is in flight: L2 not yet entered (nested_run_pending)");
	in_all(t, j, h, "L1 injects vector=32 type=0x0(EXT_INTR) VALID into L2 at the next entry (vmcs12)");
	in_all(t, j, h, "L0 injects vector=32 type=0x0(EXT_INTR) VALID into L2 at the next entry (vmcs02)");
	in_all(t, j, h, "stopped by L0: VMRESUME; L1's last exit");
	must(t, "text", "(KVM's exit reason 24; the loaded VMCS holds another exit's qualification)");
	must(h, "HTML", "(KVM's exit reason 24; the loaded VMCS holds another exit's qualification)");
	/* with a qualification: its copy and value, 0x182 by Table 28-7's bits 1, 7 and 8 */
	must(t, "text", "(KVM's exit reason 48, vmcs02's exit qualification 0x182)");
	must(h, "HTML", "(KVM's exit reason 48, vmcs02's exit qualification 0x182)");
	must(j, "JSON", "\"qualification\":null,\"qualification_text\":\"\",\"qualification_from\":null");
	/* VM 4243: L1 outside VMX operation, and one in VMX operation without a VMCS with an NMI (vector 2, type 2) for it */
	in_all(t, j, h, "L1 at RIP 0xffffffff81000000, 64-bit mode, stopped by L0: HLT; no event pending");
	in_all(t, j, h, "L0 injects vector=2(NMI) type=0x2(NMI) VALID into L1 at the next entry (vmcs01)");
	/* the same story fields in every vCPU's JSON and HTML panel */
	assert_int_equal(occurrences(j, "\"story\":{\"text\":"), 7);
	assert_int_equal(occurrences(h, "<span class=\"story-line\">"), 7);
	assert_int_equal(occurrences(t, "    story        "), 7);
	free(t), free(j), free(h);
	model_free(m);
}

/* The host summary: states, failed entries, problems first, and who was told */
static void host_summary(void **state)
{
	struct model *m = stories();
	char *t = render(m, TEXT), *j = render(m, JSON), *h = render(m, HTML);

	(void)state;
	must(t, "text", "host     4 VMs, 7 vCPUs: 2 in L2, 3 in L1 with a current vmcs12, 1 in L1 in VMX operation without a "
	     "VMCS, 1 in L1 not in VMX operation; 1 failed entry; 2 vCPUs and 2 VMs with problems");
	/* the problems in the report's order: VM 4242's vCPUs', then VM 4244's own */
	must(t, "text", "problems 4, first:\n  PROBLEM VM pid 4242 vCPU 0: the last VM entry to L2 failed\n");
	must(t, "text", "  PROBLEM VM pid 4244: " VCPUS_UNLISTED "\ncommon   ");
	/* text and HTML say it, JSON's VM has the finding's id (below) */
	must(t, "text", "  PROBLEM its vCPUs cannot be listed: " VCPUS_UNLISTED "\n");
	must(h, "HTML", "<p class=\"problem\">its vCPUs cannot be listed: " VCPUS_UNLISTED "</p>");
	in_all(t, j, h, VCPUS_UNLISTED);
	in_all(t, j, h, TDX_SKIPPED);
	must(j, "JSON", "\"problems\":[{\"id\":\"" NS_TRIAGE_ID_VCPUS_UNLISTED "\",\"message\":\"" VCPUS_UNLISTED "\"}]");
	must(j, "JSON", "\"vm_type\":5,\"skipped\":\"" TDX_SKIPPED "\"");
	must(t, "text", "\n4 VMs, 7 vCPUs: 6 in VMX operation, 2 in L2; 4 problems, 2 warnings\n");
	assert_int_equal(occurrences(h, "<section class=\"vm\""), 4);
	/* told: vCPUs 0 (the failed entry), 2, 3, 4; not told: vCPU 1 */
	must(t, "text", "of 5 vCPUs with a vmcs12, 4 have exited to L1, 1 not yet");
	must(j, "JSON", "\"states\":{\"l2\":2,\"l1_vmcs12\":3,\"l1_no_vmcs\":1,\"l1_no_vmx\":1},\"failed_entries\":1,"
	     "\"problem_vcpus\":2,\"problem_vms\":2,\"told_l1\":4,\"not_told_l1\":1");
	must(h, "HTML", "<tr><td>failed entries</td><td>1</td></tr>");
	must(h, "HTML", "<p class=\"problem\">4 problems:</p>");
	free(t), free(j), free(h);
	model_free(m);
}

/* Markup in the process and file names is text in the HTML report; non-UTF-8 bytes become character references */
static void hostile_names(void **state)
{
	struct model *m = stories();
	char *j = render(m, JSON), *h = render(m, HTML);

	(void)state;
	assert_null(strstr(h, "<script>document"));
	assert_null(strstr(h, "<img"));
	assert_null(strstr(h, "<script>\xff"));
	/* nothing past ASCII is written raw: every byte of the page is valid UTF-8 whatever the names hold */
	for (const unsigned char *p = (const unsigned char *)h; *p; p++)
		if (*p >= 0x80)
			fail_msg("a raw byte 0x%x in the HTML", *p);
	must(h, "HTML", "VM pid 4242 (&lt;script&gt;&#xff;&quot;&amp;&#39;x)");
	must(h, "HTML", "&lt;script&gt;document.title=&#39;PWNED&#39;&lt;/script&gt;&lt;img src=x onerror=&quot;");
	must(h, "HTML", "&amp;amp;&#xfe;&#xc3;.kdump");
	/*
	 * the same name in JSON: the same code points as the HTML's references; JSON is UTF-8 (RFC 8259) and
	 * json-c writes a code point past ASCII as its UTF-8 bytes, so the byte 0xff, not UTF-8, is U+00FF, C3 BF
	 */
	must(j, "JSON", "\"comm\":\"<script>\xc3\xbf\\\"&'x\"");
	for (const unsigned char *p = (const unsigned char *)j; *p; p++)
		if (*p == 0xff)
			fail_msg("the byte 0xff raw in the JSON");
	free(j), free(h);
	model_free(m);
}

/* 100 VMs of 2 vCPUs: the summary's counts, the three most frequent exits in order, the first 20 problems and the rest counted */
#define MANY_VMS 100
#define MANY_PROBLEM_EVERY 4   /* every 4th VM's L2 breaks a rule: 25 problems, 5 past the 20 kept */
#define MANY_CPUID_EVERY 5     /* every 5th VM's L1 vCPU last exited on CPUID, the others on HLT */

static void many_vms(void **state)
{
	struct model *m = model_new("many.kdump");
	char *t, *j, *h;

	(void)state;
	for (unsigned i = 0; i < MANY_VMS; i++) {
		char comm[17];
		struct ns_triage_vcpu *vt;

		snprintf(comm, sizeof(comm), "vm-%03u", i);
		add_vm(m, 5000 + (int32_t)i, comm, 2);
		vt = add_vcpu(m, NS_TRIAGE_L2);
		vt->story.told = ns_triage_told(vt->launch_state, vt->reason);
		rip(vt, 0x1015e, NS_TRIAGE_SRC_REGS);
		l0_exit(vt, SDM_EXIT_IO_INSTRUCTION, true, IO_QUAL_OUT_0x10_4_IMM);
		if (i % MANY_PROBLEM_EVERY == 0)
			fail_rule(vt, RULE_RFLAGS);
		vt = add_vcpu(m, NS_TRIAGE_NO_VMX);
		rip(vt, 0xffffffff81000000ull, NS_TRIAGE_SRC_REGS);
		l0_exit(vt, i % MANY_CPUID_EVERY == 0 ? SDM_EXIT_CPUID : SDM_EXIT_HLT, true, 0);
	}
	tally(m);
	t = render(m, TEXT);
	j = render(m, JSON);
	h = render(m, HTML);
	must(t, "text", "host     100 VMs, 200 vCPUs: 100 in L2, 0 in L1 with a current vmcs12, 0 in L1 in VMX operation "
	     "without a VMCS, 100 in L1 not in VMX operation; 0 failed entries; 25 vCPUs and 25 VMs with problems");
	must(t, "text", "problems 25, first:\n");
	must(t, "text", "  ... and 5 more, below\n");
	must(t, "text", "common   L0's last exit: IO_INSTRUCTION on 100 of 200 vCPUs, HLT on 80 of 200 vCPUs, CPUID on 20 of "
	     "200 vCPUs; of 100 vCPUs with a vmcs12, 0 have exited to L1, 100 not yet; SDM rule " RULE_RFLAGS " fails on 25 vCPUs");
	in_all(t, j, h, "L2 at RIP 0x1015e, 64-bit mode, stopped by L0: IO_INSTRUCTION, OUT to port 0x10, 4 bytes, immediate; "
		"L1 not told");
	assert_int_equal(occurrences(t, "  PROBLEM VM pid "), NS_TRIAGE_HOST_PROBLEMS);
	must(j, "JSON", "\"l0_exits\":[{\"basic_reason\":30,\"name\":\"IO_INSTRUCTION\",\"vcpu_count\":100},{\"basic_reason\":12,"
	     "\"name\":\"HLT\",\"vcpu_count\":80},{\"basic_reason\":10,\"name\":\"CPUID\",\"vcpu_count\":20}]");
	must(j, "JSON", "\"problem_count\":25");
	must(j, "JSON", "\"summary\":{\"vm_count\":100,\"vcpu_count\":200,\"in_vmx_operation\":100,\"in_l2\":100,"
	     "\"problem_count\":25,\"warning_count\":0}");
	assert_int_equal(occurrences(j, "\"story\":{"), 200);
	assert_int_equal(occurrences(h, "<details class=\"panel"), 200);
	assert_int_equal(occurrences(h, "<section class=\"vm\""), 100);
	assert_int_equal(occurrences(h, "<li class=\"problem\">VM pid "), NS_TRIAGE_HOST_PROBLEMS);
	must(h, "HTML", "<li>... and 5 more, in the panels below</li>");
	/* collapsed unless a problem: 25 open */
	assert_int_equal(occurrences(h, " open data-search="), 25);
	keep("many.json", j);
	keep("many.html", h);
	free(t), free(j), free(h);
	model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(failed_entry),
		cmocka_unit_test(instruction_error),
		cmocka_unit_test(events),
		cmocka_unit_test(host_summary),
		cmocka_unit_test(hostile_names),
		cmocka_unit_test(many_vms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
