/*
 * Text and JSON rendering of decoded VMCS images and nested-state headers.
 * The text groups fields as KVM's dump_vmcs() does (Guest State, Host State,
 * Control State, VM-exit information), in the order kernel engineers know.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "render/common.h"
#include "render/report_doc.h"
#include "render/json.h"
#include "render/vmcb.h"
#include "nestscope/explain.h"
#include "nestscope/render.h"
#include "nestscope/session.h"
#include "sdm/vmx_names.h"

/* ---- the section layout, after dump_vmcs() ---- */

enum row_kind { ROW_FIELD, ROW_SEG, ROW_DTR, ROW_END };

struct row {
	enum row_kind kind;
	uint16_t enc;        /* ROW_FIELD */
	const char *seg;     /* ROW_SEG / ROW_DTR: "CS", "GDTR" */
	uint16_t sel, ar, limit, base;
};

#define F(e) { ROW_FIELD, e, NULL, 0, 0, 0, 0 }
/* a segment register's four fields, a descriptor-table register's two, by name */
#define SEG(s) { ROW_SEG, 0, #s, GUEST_##s##_SELECTOR, GUEST_##s##_AR_BYTES, GUEST_##s##_LIMIT, GUEST_##s##_BASE }
#define DTR(s) { ROW_DTR, 0, #s, 0, 0, GUEST_##s##_LIMIT, GUEST_##s##_BASE }
#define END { ROW_END, 0, NULL, 0, 0, 0, 0 }

static const struct row guest_rows[] = {
	F(GUEST_CR0), F(GUEST_CR4), F(GUEST_CR3),
	F(GUEST_PDPTR0), F(GUEST_PDPTR1), F(GUEST_PDPTR2), F(GUEST_PDPTR3),
	F(GUEST_RSP), F(GUEST_RIP), F(GUEST_RFLAGS), F(GUEST_DR7),
	F(GUEST_SYSENTER_ESP), F(GUEST_SYSENTER_CS), F(GUEST_SYSENTER_EIP),
	SEG(CS), SEG(DS), SEG(SS), SEG(ES), SEG(FS), SEG(GS),
	DTR(GDTR), SEG(LDTR), DTR(IDTR), SEG(TR),
	F(GUEST_IA32_EFER), F(GUEST_IA32_PAT), F(GUEST_IA32_DEBUGCTL), F(GUEST_IA32_PERF_GLOBAL_CTRL), F(GUEST_BNDCFGS),
	F(GUEST_INTERRUPTIBILITY_INFO), F(GUEST_ACTIVITY_STATE), F(GUEST_PENDING_DBG_EXCEPTIONS),
	F(GUEST_INTR_STATUS), F(GUEST_PML_INDEX),
	F(VMCS_LINK_POINTER), F(VMX_PREEMPTION_TIMER_VALUE),
	END,
};

static const struct row host_rows[] = {
	F(HOST_RIP), F(HOST_RSP),
	F(HOST_CS_SELECTOR), F(HOST_SS_SELECTOR), F(HOST_DS_SELECTOR), F(HOST_ES_SELECTOR), F(HOST_FS_SELECTOR),
	F(HOST_GS_SELECTOR), F(HOST_TR_SELECTOR),
	F(HOST_FS_BASE), F(HOST_GS_BASE), F(HOST_TR_BASE), F(HOST_GDTR_BASE), F(HOST_IDTR_BASE),
	F(HOST_CR0), F(HOST_CR3), F(HOST_CR4),
	F(HOST_IA32_SYSENTER_ESP), F(HOST_IA32_SYSENTER_CS), F(HOST_IA32_SYSENTER_EIP),
	F(HOST_IA32_EFER), F(HOST_IA32_PAT), F(HOST_IA32_PERF_GLOBAL_CTRL),
	END,
};

static const struct row ctrl_rows[] = {
	F(CPU_BASED_VM_EXEC_CONTROL), F(SECONDARY_VM_EXEC_CONTROL), F(TERTIARY_VM_EXEC_CONTROL),
	F(PIN_BASED_VM_EXEC_CONTROL), F(VM_ENTRY_CONTROLS), F(VM_EXIT_CONTROLS), F(SECONDARY_VM_EXIT_CONTROLS),
	F(EXCEPTION_BITMAP), F(PAGE_FAULT_ERROR_CODE_MASK), F(PAGE_FAULT_ERROR_CODE_MATCH),
	F(VM_ENTRY_INTR_INFO_FIELD), F(VM_ENTRY_EXCEPTION_ERROR_CODE), F(VM_ENTRY_INSTRUCTION_LEN),
	F(TSC_OFFSET), F(TSC_MULTIPLIER), F(TPR_THRESHOLD), F(APIC_ACCESS_ADDR), F(VIRTUAL_APIC_PAGE_ADDR),
	F(POSTED_INTR_NV), F(POSTED_INTR_DESC_ADDR),
	F(EPT_POINTER), F(PLE_GAP), F(PLE_WINDOW), F(VIRTUAL_PROCESSOR_ID),
	F(CR0_GUEST_HOST_MASK), F(CR0_READ_SHADOW), F(CR4_GUEST_HOST_MASK), F(CR4_READ_SHADOW),
	END,
};

static const struct row exit_rows[] = {
	F(VM_EXIT_REASON), F(EXIT_QUALIFICATION), F(VM_EXIT_INTR_INFO), F(VM_EXIT_INTR_ERROR_CODE),
	F(VM_EXIT_INSTRUCTION_LEN), F(IDT_VECTORING_INFO_FIELD), F(IDT_VECTORING_ERROR_CODE),
	F(VM_INSTRUCTION_ERROR), F(GUEST_LINEAR_ADDRESS), F(GUEST_PHYSICAL_ADDRESS), F(VMX_INSTRUCTION_INFO),
	END,
};

struct section {
	unsigned flag;
	enum ns_ftype type;
	const char *title;   /* text heading */
	const char *key;     /* JSON section name */
	const struct row *rows;
};

static const struct section sections[] = {
	{ NS_SECT_GUEST, NS_GUEST, "*** Guest State ***", "guest", guest_rows },
	{ NS_SECT_HOST, NS_HOST, "*** Host State ***", "host", host_rows },
	{ NS_SECT_CTRL, NS_CTRL, "*** Control State ***", "control", ctrl_rows },
	{ NS_SECT_EXIT, NS_EXIT, "*** VM-Exit Information ***", "exit-info", exit_rows },
};

const char *ns_vmcs_section_key(size_t i)
{
	return i < sizeof(sections) / sizeof(sections[0]) ? sections[i].key : NULL;
}

static unsigned section_flag(enum ns_ftype t)
{
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (sections[i].type == t)
			return sections[i].flag;
	return 0;
}

/* ---- reading values ---- */

struct value {
	bool present;          /* the layout has the field and the bytes are there */
	uint64_t v;
	struct ns_slot slot;
};

static struct value get(const struct ns_vmcs *vm, uint32_t enc)
{
	struct value r = { 0 };

	if (!ns_layout_find(vm->layout, enc, &r.slot))
		return r;
	r.present = ns_vmcs_read(vm, enc, &r.v, NULL) == NS_OK;
	return r;
}

static void context_of(const struct ns_vmcs *vm, struct ns_context *ctx)
{
	struct value reason = get(vm, VM_EXIT_REASON), info = get(vm, VM_EXIT_INTR_INFO);

	memset(ctx, 0, sizeof(*ctx));
	ctx->have_exit_reason = reason.present;
	ctx->exit_reason = (uint32_t)reason.v;
	ctx->have_exit_intr_info = info.present;
	ctx->exit_intr_info = (uint32_t)info.v;
}

/* A field is shown when present and non-zero, or always with --all. */
static bool shown(const struct value *v, const struct ns_render_opts *opt)
{
	if (!v->present)
		return false;
	if (v->slot.kind == NS_SLOT_NEWER && !v->v)
		return false;  /* the CET block of a kernel that has none is padding */
	return v->v || opt->all;
}

/* ---- text ---- */

/* The value in hex at its field's width, then its decoding (if any) in a column. */
static void text_value(struct ns_out *o, enum ns_width w, uint64_t v, const char *decoding)
{
	char buf[24];

	switch (w) {
	case NS_W16: snprintf(buf, sizeof(buf), "0x%04llx", (unsigned long long)v); break;
	case NS_W32: snprintf(buf, sizeof(buf), "0x%08llx", (unsigned long long)v); break;
	default: snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)v); break;
	}
	if (decoding && *decoding)
		ns_printf(o, "%-18s  %s\n", buf, decoding);
	else
		ns_printf(o, "%s\n", buf);
}

void ns_render_field_line(struct ns_out *o, const struct ns_field *f, bool high, uint64_t v,
			  const struct ns_context *ctx)
{
	struct ns_decoding d;
	char text[1024] = "";

	ns_printf(o, "  %-29s ", f->name);
	if (high) {
		snprintf(text, sizeof(text), "(bits 63:32 of %s)", f->name);
		text_value(o, NS_W32, v, text);
		return;
	}
	if (ns_explain(f->decoder, v, ctx, &d) && d.n)
		ns_decoding_format(&d, text, sizeof(text));
	text_value(o, f->width, v, text);
}

static void text_field(struct ns_out *o, const struct ns_field *f, const struct value *v,
		       const struct ns_context *ctx)
{
	ns_render_field_line(o, f, false, v->v, ctx);
	if (v->slot.kind == NS_SLOT_NEWER)
		ns_printf(o, "  %-29s (nested CET on 6.18+; paddingl[] before, same revision id)\n", "");
}

static void text_segment(struct ns_out *o, const struct ns_vmcs *vm, const struct row *r,
			 const struct ns_render_opts *opt)
{
	struct value sel = { 0 }, ar = { 0 }, lim = get(vm, r->limit), base = get(vm, r->base);
	struct ns_decoding d;
	char text[512] = "";

	if (r->kind == ROW_SEG) {
		sel = get(vm, r->sel);
		ar = get(vm, r->ar);
	}
	if (!lim.present || !base.present)
		return;
	if (!opt->all && !sel.v && !ar.v && !lim.v && !base.v)
		return;
	if (r->kind == ROW_DTR) {
		ns_printf(o, "  %-5s %-25s limit=0x%08llx base=0x%016llx\n", r->seg, "",
			  (unsigned long long)lim.v, (unsigned long long)base.v);
		return;
	}
	if (ns_explain(NS_DEC_AR, ar.v, NULL, &d))
		ns_decoding_format(&d, text, sizeof(text));
	ns_printf(o, "  %-5s sel=0x%04llx attr=0x%05llx  limit=0x%08llx base=0x%016llx  %s\n", r->seg,
		  (unsigned long long)sel.v, (unsigned long long)ar.v, (unsigned long long)lim.v,
		  (unsigned long long)base.v, text);
}

/* Marks which catalog fields a section's rows already printed. */
static void mark(bool *done, uint32_t enc)
{
	for (size_t i = 0; i < ns_field_count(); i++)
		if (ns_field_at(i)->encoding == enc)
			done[i] = true;
}

static void text_section(struct ns_out *o, const struct ns_decoded_vmcs *dv, const struct section *s,
			 const struct ns_render_opts *opt, const struct ns_context *ctx)
{
	const struct ns_vmcs *vm = &dv->vmcs;
	bool done[512] = { false };
	struct ns_field_ref ref;

	ns_printf(o, "%s%s\n", s->title, dv->stale_sections & s->flag ? "  (stale: see above)" : "");
	for (const struct row *r = s->rows; r->kind != ROW_END; r++) {
		if (r->kind == ROW_FIELD) {
			struct value v = get(vm, r->enc);
			mark(done, r->enc);
			if (shown(&v, opt) && ns_field_lookup(r->enc, &ref))
				text_field(o, ref.field, &v, ctx);
			continue;
		}
		mark(done, r->sel);
		mark(done, r->ar);
		mark(done, r->limit);
		mark(done, r->base);
		text_segment(o, vm, r, opt);
	}
	/* Then every other field of this type the layout holds, in catalog order. */
	for (size_t i = 0; i < ns_field_count(); i++) {
		const struct ns_field *f = ns_field_at(i);
		struct value v;

		if (done[i] || f->type != s->type)
			continue;
		v = get(vm, f->encoding);
		if (shown(&v, opt))
			text_field(o, f, &v, ctx);
	}
}

static const char *format_name(uint16_t format)
{
	return format == NS_NESTED_FORMAT_VMX ? "VMX" : format == NS_NESTED_FORMAT_SVM ? "SVM" : "unknown";
}

static const char *blob_consequence(enum ns_blob_kind k)
{
	return k == NS_BLOB_REFUSED ? "KVM_SET_NESTED_STATE refuses this"
				    : "KVM never writes this; KVM_SET_NESTED_STATE ignores it";
}

static void text_blob_verdict(struct ns_out *o, const struct ns_blob_verdict *v)
{
	char broken[32];

	if (!v->judged)
		return;
	if (v->n)
		snprintf(broken, sizeof(broken), "%u of %zu rules broken", v->n, ns_blob_rule_count());
	else
		snprintf(broken, sizeof(broken), "none of %zu rules broken", ns_blob_rule_count());
	ns_printf(o, "  KVM's header checks: %s; addresses judged against MAXPHYADDR %u (%s)\n", broken, v->maxphyaddr,
		  v->maxphyaddr_given ? "L1's, as given" : "the architectural limit; --maxphyaddr gives L1's");
	for (unsigned i = 0; i < v->n; i++)
		ns_printf(o, "  warning: %s: %s (%s)\n", v->v[i].rule->id, v->v[i].detail,
			  blob_consequence(v->v[i].rule->kind));
}

static void text_nested_state(struct ns_out *o, const struct ns_nested_state *ns, const struct ns_blob_verdict *v)
{
	char words[256];

	ns_printf(o, "KVM_GET_NESTED_STATE blob: format %u (%s), size %u\n", ns->format, format_name(ns->format),
		  ns->size);
	ns_nested_flags_join(NS_NESTED_WORD_FLAGS, ns->flags, NS_FLAGS_WORDS, words, sizeof(words));
	ns_printf(o, "  %-29s 0x%04x%s%s\n", "flags", ns->flags, *words ? "              " : "", words);
	if (ns->format == NS_NESTED_FORMAT_SVM) {
		ns_printf(o, "  %-29s 0x%016llx\n", "vmcb_pa", (unsigned long long)ns->vmcb_pa);
	} else if (ns->format == NS_NESTED_FORMAT_VMX) {
		ns_printf(o, "  %-29s 0x%016llx%s\n", "vmxon_pa", (unsigned long long)ns->vmxon_pa,
			  ns->vmxon_pa == ~0ull ? "  not in VMX operation (-1)" : "");
		ns_printf(o, "  %-29s 0x%016llx%s\n", "vmcs12_pa", (unsigned long long)ns->vmcs12_pa,
			  ns->vmcs12_pa == ~0ull ? "  no current VMCS (-1)" : "");
		ns_nested_flags_join(NS_NESTED_WORD_SMM, ns->smm_flags, NS_FLAGS_WORDS, words, sizeof(words));
		ns_printf(o, "  %-29s 0x%04x%s%s\n", "smm.flags", ns->smm_flags, *words ? "              " : "", words);
		ns_nested_flags_join(NS_NESTED_WORD_VMX, ns->vmx_flags, NS_FLAGS_WORDS, words, sizeof(words));
		ns_printf(o, "  %-29s 0x%08x%s%s\n", "vmx.flags", ns->vmx_flags, *words ? "          " : "", words);
		if ((ns->vmx_flags & NS_NESTED_VMX_PREEMPTION_TIMER_DEADLINE) || ns->preemption_timer_deadline)
			ns_printf(o, "  %-29s 0x%016llx\n", "preemption_timer_deadline",
				  (unsigned long long)ns->preemption_timer_deadline);
	} else {
		ns_printf(o, "  An unknown format: only flags and size are common to all formats.\n");
	}
	text_blob_verdict(o, v);
}

static void text_vmcs(struct ns_out *o, const struct ns_decoded_vmcs *dv, const struct ns_render_opts *opt)
{
	const struct ns_vmcs12_info *in = &dv->info;
	struct ns_context ctx;

	context_of(&dv->vmcs, &ctx);
	ns_printf(o, "\n%s (%s): revision 0x%08x%s%s, abort %u, launch_state %u (%s)\n", dv->title,
		  dv->vmcs.copy, in->revision, in->revision == NS_VMCS12_REVISION ? " (VMCS12_REVISION)" : "",
		  in->shadow ? " +shadow" : "", in->abort, in->launch_state, ns_launch_state_str(in->launch_state));
	for (unsigned i = 0; i < in->nfindings; i++)
		ns_printf(o, "  warning: %s\n", in->findings[i].text);
	if (dv->stale_note)
		ns_printf(o, "  note: %s\n", dv->stale_note);
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (opt->sections & sections[i].flag)
			text_section(o, dv, &sections[i], opt, &ctx);
}

/* ---- vmcs02 / vmcs01: KVM's software copies of a hardware VMCS's state ---- */

/* loaded_vmcs.controls_shadow's words, in the order text and JSON show them */
static const struct {
	uint16_t enc;
	const char *key;
	size_t off;
} shadow_rows[] = {
	{ PIN_BASED_VM_EXEC_CONTROL, "pin", offsetof(struct ns_controls_shadow, pin) },
	{ CPU_BASED_VM_EXEC_CONTROL, "exec", offsetof(struct ns_controls_shadow, exec) },
	{ SECONDARY_VM_EXEC_CONTROL, "secondary_exec", offsetof(struct ns_controls_shadow, secondary_exec) },
	{ VM_EXIT_CONTROLS, "vm_exit", offsetof(struct ns_controls_shadow, vm_exit) },
	{ VM_ENTRY_CONTROLS, "vm_entry", offsetof(struct ns_controls_shadow, vm_entry) },
};

static uint32_t shadow_value(const struct ns_controls_shadow *cs, size_t i)
{
	uint32_t v;

	memcpy(&v, (const char *)cs + shadow_rows[i].off, sizeof(v));
	return v;
}

static void text_loaded_head(struct ns_out *o, const struct ns_loaded_vmcs_view *lv)
{
	ns_printf(o, "%s of vCPU %u (pid %d): loaded_vmcs %016llx  region %016llx%s\n", lv->name, lv->vcpu_idx, lv->pid,
		  (unsigned long long)lv->loaded_vmcs, (unsigned long long)lv->region, lv->loaded ? "  (loaded)" : "");
	if (lv->have_header)
		ns_printf(o, "  revision id 0x%x%s, abort indicator %u\n", lv->revision & 0x7fffffff,
			  lv->revision >> 31 ? " (shadow)" : "", lv->abort);
	else
		ns_printf(o, "  the region cannot be read from this target\n");
}

static void text_loaded_copies(struct ns_out *o, const struct ns_loaded_vmcs_view *lv)
{
	const struct ns_controls_shadow *cs = &lv->controls;
	const struct ns_host_state *hs = &lv->host;
	const struct ns_reg_cache *rc = &lv->regs;
	struct ns_field_ref ref;
	struct ns_context ctx = { 0 };

	if (lv->decoded)
		ns_printf(o, "\nKVM's software copies of this VMCS's state (independent of the layout):\n");
	else
		ns_printf(o, "  %s\n  The region's field layout is the CPU's own (undocumented); below are KVM's\n"
			     "  software copies of its controls (loaded_vmcs.controls_shadow).\n",
			  lv->region_error);
	if (!cs->have) {
		ns_printf(o, "  this kernel keeps no controls_shadow\n");
		return;
	}
	for (size_t i = 0; i < sizeof(shadow_rows) / sizeof(shadow_rows[0]); i++)
		if (ns_field_lookup(shadow_rows[i].enc, &ref))
			ns_render_field_line(o, ref.field, false, shadow_value(cs, i), &ctx);
	if (cs->have_tertiary && cs->tertiary_exec && ns_field_lookup(TERTIARY_VM_EXEC_CONTROL, &ref))
		ns_render_field_line(o, ref.field, false, cs->tertiary_exec, &ctx);
	if (hs->have)
		ns_printf(o, "  host state KVM last wrote here (loaded_vmcs.host_state, L0's own):\n"
			     "    CR3 0x%llx  CR4 0x%llx  RSP 0x%llx  FS base 0x%llx  GS base 0x%llx\n",
			  (unsigned long long)hs->cr3, (unsigned long long)hs->cr4, (unsigned long long)hs->rsp,
			  (unsigned long long)hs->fs_base, (unsigned long long)hs->gs_base);
	if (rc->have)
		ns_printf(o, "  KVM's register cache (vcpu->arch.regs: %s's, the level the vCPU is at):\n"
			     "    RIP 0x%llx%s  RSP 0x%llx%s\n",
			  lv->regs_l2 ? "L2" : "L1", (unsigned long long)rc->rip,
			  rc->rip_dirty ? " (dirty: KVM writes it into this VMCS at the next VM entry)"
			  : rc->rip_avail ? " (read from this VMCS)"
					  : " (not cached: the VMCS has it)",
			  (unsigned long long)rc->rsp, rc->rsp_dirty ? " (dirty)" : "");
}

/*
 * The VMCB a report holds: the one given (a raw page), else a format-1 blob's
 * data; false when there is none.  ref: which copy it is.
 */
struct vmcb_view {
	const struct ns_vmcb *given;
	const struct ns_copy_ref *given_ref;
};

static bool report_vmcb(const struct ns_report *r, const struct vmcb_view *vv, struct ns_vmcb *buf,
			const struct ns_vmcb **v, struct ns_copy_ref *ref)
{
	if (vv && vv->given) {
		*v = vv->given;
		*ref = *vv->given_ref;
		return true;
	}
	if (!r->ns || !ns_vmcb_from_nested_state(buf, r->ns))
		return false;
	*v = buf;
	/* inside KVM_GET_NESTED_STATE's data: no address of its own (vmcb_pa is vmcb12's in L1) */
	*ref = (struct ns_copy_ref){ NS_CP_BLOB_VMCB12, NS_AS_NONE, 0, NS_VMCB_LAYOUT_NAME, NS_LAYOUT_BUILT_IN,
				     ns_vmcb_copy_name(NS_VMCB_COPY_BLOB) };
	return true;
}

static bool is_svm(const struct ns_report *r, const struct vmcb_view *vv)
{
	return (vv && vv->given) || (r->ns && r->ns->format == NS_NESTED_FORMAT_SVM);
}

static void text_report(struct ns_out *o, const struct ns_report *r, const struct ns_render_opts *opt,
			const struct vmcb_view *vv)
{
	struct ns_vmcb buf;
	const struct ns_vmcb *v;
	struct ns_copy_ref ref;

	ns_printf(o, "source: %s\n", r->source);
	if (r->ns)
		text_nested_state(o, r->ns, &r->blob);
	for (unsigned i = 0; i < r->nvmcs; i++)
		text_vmcs(o, &r->vmcs[i], opt);
	if (r->ns && r->ns->format == NS_NESTED_FORMAT_VMX && !r->nvmcs)
		ns_printf(o, "no vmcs12 in this blob (size %u: the vCPU had no current VMCS)\n", r->ns->size);
	if (is_svm(r, vv)) {
		if (report_vmcb(r, vv, &buf, &v, &ref))
			ns_render_vmcb_text(o, v, ref.label, opt);
		else
			ns_printf(o, "no vmcb12 in this blob (size %u: KVM writes it only while the vCPU is in guest mode)\n",
				  r->ns->size);
	}
}

void ns_render_text(struct ns_out *o, const struct ns_report *r, const struct ns_render_opts *opt)
{
	if (!r->kvm_copies) {
		text_report(o, r, opt, NULL);
		return;
	}
	text_loaded_head(o, r->kvm_copies);
	if (r->kvm_copies->decoded)
		text_report(o, r, opt, NULL);
	text_loaded_copies(o, r->kvm_copies);
}

/* ---- JSON ---- */

static const char *slot_kind_name(enum ns_slot_kind k)
{
	switch (k) {
	case NS_SLOT_NEWER: return "newer-kernels";
	default: return "all-kernels";
	}
}

static const char *section_key(enum ns_ftype t)
{
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (sections[i].type == t)
			return sections[i].key;
	return "?";
}

static void json_field_entry(struct json *j, const struct ns_field *f, const struct value *v, bool stale,
			     const struct ns_context *ctx)
{
	struct ns_decoding d;
	char enc[8];

	snprintf(enc, sizeof(enc), "0x%04x", f->encoding);
	json_obj_begin(j);
	json_kv_str(j, "encoding", enc);
	json_kv_str(j, "name", f->name);
	json_kv_str(j, "sdm_name", f->sdm_name);
	json_kv_str(j, "section", section_key(f->type));
	json_kv_str(j, "width", ns_width_name(f->width));
	json_kv_uint(j, "offset", v->slot.offset);
	json_kv_str(j, "kernels", slot_kind_name(v->slot.kind));
	json_kv_bool(j, "stale", stale);
	json_kv_hex(j, "value", v->v);
	json_key(j, "decoded");
	if (ns_explain(f->decoder, v->v, ctx, &d) && d.n)
		ns_emit_decoding(j, &d);
	else
		json_null(j);
	json_obj_end(j);
}

static const char *finding_kind_name(enum ns_finding_kind k)
{
	switch (k) {
	case NS_FIND_SHADOW_BIT: return "shadow-bit";
	case NS_FIND_PADDING: return "padding";
	case NS_FIND_DEAD_SPACE: return "dead-space";
	case NS_FIND_TAIL: return "tail";
	case NS_FIND_NEWER_FIELDS: return "newer-fields";
	case NS_FIND_REVISION: return "revision";
	case NS_FIND_ABORT: return "abort";
	case NS_FIND_LAUNCH_STATE: return "launch-state";
	}
	return "?";
}

/* decode/2's VMCS kinds: scan's words ("shadow-vmcs12", "hardware-vmcs", "evmcs") */
static const char *kind_name(const char *title)
{
	return !strcmp(title, "shadow vmcs12") ? "shadow-vmcs12" : title;
}

/* The copy a view decodes; a view whose analysis named no copy is a region known by its label only */
static void json_copy(struct json *j, const struct ns_decoded_vmcs *dv)
{
	struct ns_copy_ref ref = dv->ref;

	if (!ref.label) {
		ref = (struct ns_copy_ref){ NS_CP_REGION, NS_AS_NONE, 0, dv->vmcs.layout->name, NULL, NULL };
		ref.label = dv->vmcs.copy;
	}
	ns_emit_copy_ref(j, "copy", &ref);
}

static void json_vmcs(struct json *j, const struct ns_decoded_vmcs *dv, const struct ns_render_opts *opt)
{
	const struct ns_vmcs12_info *in = &dv->info;
	struct ns_context ctx;

	context_of(&dv->vmcs, &ctx);
	json_obj_begin(j);
	json_kv_str(j, "kind", kind_name(dv->title));
	json_copy(j, dv);
	json_kv_hex(j, "revision_id", in->revision);
	json_kv_bool(j, "shadow", in->shadow);
	json_kv_uint(j, "abort", in->abort);
	json_kv_str(j, "launch_state", ns_launch_state_str(in->launch_state));
	json_key(j, "staleness");
	if (dv->stale_sections) {
		json_obj_begin(j);
		json_key(j, "sections");
		json_arr_begin(j);
		for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
			if (dv->stale_sections & sections[i].flag)
				json_str(j, sections[i].key);
		json_arr_end(j);
		json_kv_str(j, "explanation", dv->stale_note ? dv->stale_note : "");
		json_obj_end(j);
	} else {
		json_null(j);
	}
	json_key(j, "findings");
	json_arr_begin(j);
	for (unsigned i = 0; i < in->nfindings; i++) {
		json_obj_begin(j);
		json_kv_str(j, "id", finding_kind_name(in->findings[i].kind));
		json_kv_uint(j, "offset", in->findings[i].offset);
		json_kv_uint(j, "length", in->findings[i].len);
		json_kv_str(j, "message", in->findings[i].text);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "fields");
	json_arr_begin(j);
	for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		if (!(opt->sections & sections[s].flag))
			continue;
		for (size_t i = 0; i < ns_field_count(); i++) {
			const struct ns_field *f = ns_field_at(i);
			struct value v;

			if (f->type != sections[s].type)
				continue;
			v = get(&dv->vmcs, f->encoding);
			if (shown(&v, opt))
				json_field_entry(j, f, &v, dv->stale_sections & section_flag(f->type), &ctx);
		}
	}
	json_arr_end(j);
	json_obj_end(j);
}

/* The names of a word's known bits that are set. */
static void json_flag_names(struct json *j, enum ns_nested_word w, uint32_t v)
{
	json_arr_begin(j);
	for (unsigned b = 0; b < 32; b++)
		if ((v & (1u << b)) && ns_nested_flag_name(w, b))
			json_str(j, ns_nested_flag_name(w, b));
	json_arr_end(j);
}

/* The numbers of the set bits no name is known for: shown, never dropped. */
static void json_unknown_bits(struct json *j, enum ns_nested_word w, uint32_t v)
{
	json_arr_begin(j);
	for (unsigned b = 0; b < 32; b++)
		if ((v & (1u << b)) && !ns_nested_flag_name(w, b))
			json_uint(j, b);
	json_arr_end(j);
}

static void json_blob_verdict(struct json *j, const struct ns_blob_verdict *v)
{
	json_obj_begin(j);
	json_kv_uint(j, "rules", ns_blob_rule_count());
	json_kv_uint(j, "maxphyaddr", v->maxphyaddr);
	json_kv_str(j, "maxphyaddr_source", v->maxphyaddr_given ? "given" : "architectural");
	json_key(j, "violations");
	json_arr_begin(j);
	for (unsigned i = 0; i < v->n; i++) {
		json_obj_begin(j);
		json_kv_str(j, "id", v->v[i].rule->id);
		json_kv_str(j, "effect", ns_blob_kind_name(v->v[i].rule->kind));
		json_kv_str(j, "kernel_check", v->v[i].rule->kernel);
		json_kv_str(j, "message", v->v[i].detail);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void json_nested_state(struct json *j, const struct ns_nested_state *ns, const struct ns_blob_verdict *v)
{
	json_obj_begin(j);
	json_kv_str(j, "format", ns->format == NS_NESTED_FORMAT_VMX   ? "vmx"
				 : ns->format == NS_NESTED_FORMAT_SVM ? "svm"
								      : "unknown");
	json_kv_uint(j, "format_number", ns->format);
	json_kv_uint(j, "size", ns->size);
	/* nested_flags: a decoding's flags is an array of names */
	json_kv_hex(j, "nested_flags", ns->flags);
	json_key(j, "nested_flag_names");
	json_flag_names(j, NS_NESTED_WORD_FLAGS, ns->flags);
	json_key(j, "unknown_nested_flag_bits");
	json_unknown_bits(j, NS_NESTED_WORD_FLAGS, ns->flags);
	if (ns->format == NS_NESTED_FORMAT_SVM) {
		json_kv_hex(j, "vmcb_pa", ns->vmcb_pa);
	} else if (ns->format == NS_NESTED_FORMAT_VMX) {
		json_kv_hex(j, "vmxon_pa", ns->vmxon_pa);
		json_kv_hex(j, "vmcs12_pa", ns->vmcs12_pa);
		json_kv_hex(j, "smm_flags", ns->smm_flags);
		json_key(j, "smm_flag_names");
		json_flag_names(j, NS_NESTED_WORD_SMM, ns->smm_flags);
		json_key(j, "unknown_smm_flag_bits");
		json_unknown_bits(j, NS_NESTED_WORD_SMM, ns->smm_flags);
		json_kv_hex(j, "vmx_flags", ns->vmx_flags);
		json_key(j, "vmx_flag_names");
		json_flag_names(j, NS_NESTED_WORD_VMX, ns->vmx_flags);
		json_key(j, "unknown_vmx_flag_bits");
		json_unknown_bits(j, NS_NESTED_WORD_VMX, ns->vmx_flags);
		json_key(j, "preemption_timer_deadline");
		if (ns->vmx_flags & NS_NESTED_VMX_PREEMPTION_TIMER_DEADLINE)
			json_hex(j, ns->preemption_timer_deadline);
		else
			json_null(j);
	}
	json_key(j, "kvm_checks");
	json_blob_verdict(j, v);
	json_obj_end(j);
}

static void json_kvm_copies(struct json *j, const struct ns_loaded_vmcs_view *lv)
{
	const struct ns_controls_shadow *cs = &lv->controls;
	const struct ns_host_state *hs = &lv->host;
	const struct ns_reg_cache *rc = &lv->regs;

	json_obj_begin(j);
	json_kv_hex(j, "loaded_vmcs", lv->loaded_vmcs);
	json_kv_hex(j, "region", lv->region);
	json_kv_bool(j, "loaded", lv->loaded);
	json_key(j, "header");
	if (lv->have_header) {
		json_obj_begin(j);
		json_kv_hex(j, "revision_id", lv->revision & 0x7fffffff);
		json_kv_bool(j, "shadow", lv->revision >> 31);
		json_kv_uint(j, "abort", lv->abort);
		json_obj_end(j);
	} else {
		json_null(j);
	}
	json_key(j, "region_error");
	if (lv->decoded)
		json_null(j);
	else
		json_str(j, lv->region_error);
	json_key(j, "controls");
	if (cs->have) {
		struct ns_field_ref ref;

		json_obj_begin(j);
		for (size_t i = 0; i < sizeof(shadow_rows) / sizeof(shadow_rows[0]); i++)
			if (ns_field_lookup(shadow_rows[i].enc, &ref))
				ns_emit_decoded_value(j, ref.field->name, ref.field->decoder, shadow_value(cs, i), NULL);
		if (cs->have_tertiary && ns_field_lookup(TERTIARY_VM_EXEC_CONTROL, &ref))
			ns_emit_decoded_value(j, ref.field->name, ref.field->decoder, cs->tertiary_exec, NULL);
		json_obj_end(j);
	} else {
		json_null(j);
	}
	json_key(j, "host_state");
	if (hs->have) {
		json_obj_begin(j);
		json_kv_hex(j, "cr3", hs->cr3);
		json_kv_hex(j, "cr4", hs->cr4);
		json_kv_hex(j, "rsp", hs->rsp);
		json_kv_hex(j, "fs_base", hs->fs_base);
		json_kv_hex(j, "gs_base", hs->gs_base);
		json_obj_end(j);
	} else {
		json_null(j);
	}
	json_key(j, "register_cache");
	if (rc->have) {
		json_obj_begin(j);
		json_kv_str(j, "mode", lv->regs_l2 ? "L2" : "L1");
		json_kv_hex(j, "rip", rc->rip);
		json_kv_bool(j, "rip_available", rc->rip_avail);
		json_kv_bool(j, "rip_dirty", rc->rip_dirty);
		json_kv_hex(j, "rsp", rc->rsp);
		json_kv_bool(j, "rsp_dirty", rc->rsp_dirty);
		json_obj_end(j);
	} else {
		json_null(j);
	}
	json_obj_end(j);
}

static void json_report(struct json *j, const struct ns_report *r, const struct ns_render_opts *opt,
			const struct vmcb_view *vv)
{
	struct ns_vmcb buf;
	const struct ns_vmcb *v;
	struct ns_copy_ref ref;

	json_obj_begin(j);
	json_kv_str(j, "source", r->source);
	ns_emit_vcpu_ref(j, "vcpu", &r->vcpu);
	json_kv_str(j, "format", r->format);
	json_key(j, "nested_state");
	if (r->ns)
		json_nested_state(j, r->ns, &r->blob);
	else
		json_null(j);
	json_key(j, "vmcs");
	json_arr_begin(j);
	for (unsigned i = 0; i < r->nvmcs; i++)
		json_vmcs(j, &r->vmcs[i], opt);
	json_arr_end(j);
	if (is_svm(r, vv)) {
		/* SVM: the VMCB, or none (a blob written outside guest mode) */
		json_key(j, "vmcb");
		json_arr_begin(j);
		if (report_vmcb(r, vv, &buf, &v, &ref))
			ns_emit_vmcb(j, v, &ref, opt);
		json_arr_end(j);
	}
	if (r->kvm_copies) {
		json_key(j, "kvm_copies");
		json_kvm_copies(j, r->kvm_copies);
	}
	json_obj_end(j);
}

void ns_render_doc_begin(struct ns_report_doc *d, struct ns_out *o, bool json, const struct ns_render_opts *opt)
{
	d->o = o;
	d->json = json;
	d->opt = *opt;
	d->n = 0;
	if (!json)
		return;
	json_init(&d->j, o);
	json_obj_begin(&d->j);
	json_kv_str(&d->j, "schema", NS_JSON_SCHEMA);
	json_key(&d->j, "reports");
	json_arr_begin(&d->j);
}

void ns_render_doc_add(struct ns_report_doc *d, const struct ns_report *r)
{
	if (d->json)
		json_report(&d->j, r, &d->opt, NULL);
	else
		ns_render_text(d->o, r, &d->opt);
	d->n++;
}

void ns_render_doc_add_vmcb(struct ns_report_doc *d, const struct ns_report *r, const struct ns_vmcb *v,
			    const struct ns_copy_ref *ref)
{
	struct vmcb_view vv = { v, ref };

	if (d->json)
		json_report(&d->j, r, &d->opt, &vv);
	else
		text_report(d->o, r, &d->opt, &vv);
	d->n++;
}

void ns_render_doc_end(struct ns_report_doc *d)
{
	if (!d->json)
		return;
	json_arr_end(&d->j);
	json_obj_end(&d->j);
}

void ns_render_explain_json(struct ns_out *o, const char *kind, uint64_t value, const struct ns_decoding *d)
{
	struct json j;

	json_init(&j, o);
	json_obj_begin(&j);
	json_kv_str(&j, "schema", "nestscope/explain/1");
	json_kv_str(&j, "kind", kind);
	json_kv_hex(&j, "value", value);
	json_key(&j, "decoded");
	if (d && d->n)
		ns_emit_decoding(&j, d);
	else
		json_null(&j);
	json_obj_end(&j);
}

void ns_render_explain_text(struct ns_out *o, uint64_t value, const struct ns_decoding *d)
{
	char text[2048];

	if (d && d->n)
		ns_decoding_format(d, text, sizeof(text));
	ns_printf(o, "0x%llx  %s\n", (unsigned long long)value, d && d->n ? text : "(no symbolic decoding)");
}
