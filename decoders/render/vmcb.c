/*
 * Text and JSON rendering of a VMCB (AMD SVM): the control area, then the
 * state save area, as KVM's dump_vmcb() groups them, each field with the
 * table's name, its value and its decoding (svm/explain.c).
 */
#include <stdio.h>
#include <string.h>

#include "render/common.h"
#include "render/vmcb.h"
#include "nestscope/render.h"
#include "nestscope/svm_explain.h"

/* What each area of a copy holds: KVM_GET_NESTED_STATE mixes two VMCBs (svm_get_nested_state). */
static const char *area_note(const struct ns_vmcb *v, enum ns_vmcb_area a)
{
	if (v->copy != NS_VMCB_COPY_BLOB)
		return NULL;
	return a == NS_VMCB_CTRL
		       ? "vmcb12's control area as KVM cached it at VMRUN (svm->nested.ctl), not L1's page itself"
		       : "L1's state (vmcb01's save area), not vmcb12's: L2's registers are in vmcb02";
}

/* The kind of VMCB, as decode/2's vmcb[].kind says it. */
static const char *kind_word(enum ns_vmcb_copy c)
{
	switch (c) {
	case NS_VMCB_COPY_VMCB12_MEMORY: case NS_VMCB_COPY_VMCB12_CACHED: case NS_VMCB_COPY_BLOB: return "vmcb12";
	case NS_VMCB_COPY_VMCB02: return "vmcb02";
	case NS_VMCB_COPY_VMCB01: return "vmcb01";
	case NS_VMCB_COPY_REGION: return "vmcb";
	}
	return "vmcb";
}

static bool area_shown(enum ns_vmcb_area a, const struct ns_render_opts *opt)
{
	/* -c and -x: the control area (controls and exit information); -g: the save area (guest state) */
	return a == NS_VMCB_CTRL ? opt->sections & (NS_SECT_CTRL | NS_SECT_EXIT) : opt->sections & NS_SECT_GUEST;
}

/* A field's value is non-zero (the instruction bytes: any byte). */
static bool nonzero(const struct ns_vmcb *v, const struct ns_vmcb_field *f)
{
	const uint8_t *b = ns_vmcb_bytes(v, f->id);

	for (unsigned i = 0; b && i < f->size; i++)
		if (b[i])
			return true;
	return false;
}

/* The bytes of a field wider than 8 (the instruction bytes) in memory order, as "0x0f01d9...". */
static void bytes_hex(const struct ns_vmcb *v, const struct ns_vmcb_field *f, char *out, size_t n)
{
	const uint8_t *b = ns_vmcb_bytes(v, f->id);
	size_t pos = (size_t)snprintf(out, n, "0x");

	for (unsigned i = 0; b && i < f->size && pos + 3 <= n; i++)
		pos += (size_t)snprintf(out + pos, n - pos, "%02x", b[i]);
}

/* ---- text ---- */

static void text_field(struct ns_out *o, const struct ns_vmcb *v, const struct ns_vmcb_field *f)
{
	char val[40], text[1024] = "";
	uint64_t x;

	if (f->size > 8) {
		bytes_hex(v, f, val, sizeof(val));
		ns_printf(o, "  %-22s %s  (in memory order)\n", f->name, val);
		return;
	}
	ns_vmcb_read(v, f->id, &x);
	snprintf(val, sizeof(val), "0x%0*llx", 2 * f->size, (unsigned long long)x);
	ns_vmcb_explain(v, f->id, text, sizeof(text));
	if (*text)
		ns_printf(o, "  %-22s %-18s  %s\n", f->name, val, text);
	else
		ns_printf(o, "  %-22s %s\n", f->name, val);
}

/* A segment's four fields (selector, attrib, limit, base: the table's consecutive rows) on one line. */
static void text_segment(struct ns_out *o, const struct ns_vmcb *v, const struct ns_vmcb_field *sel,
			 const struct ns_render_opts *opt)
{
	uint64_t s = ns_vmcb_get(v, sel->id), a = ns_vmcb_get(v, sel->id + 1);
	uint64_t l = ns_vmcb_get(v, sel->id + 2), b = ns_vmcb_get(v, sel->id + 3);
	size_t len = strcspn(sel->name, "_");
	char text[512] = "";

	if (!opt->all && !s && !a && !l && !b)
		return;
	if (a)  /* GDTR and IDTR have no attributes: a zero says nothing */
		ns_vmcb_explain(v, sel->id + 1, text, sizeof(text));
	ns_printf(o, "  %-5.*s sel=0x%04llx attr=0x%04llx limit=0x%08llx base=0x%016llx  %s\n", (int)len, sel->name,
		  (unsigned long long)s, (unsigned long long)a, (unsigned long long)l, (unsigned long long)b, text);
}

void ns_render_vmcb_text(struct ns_out *o, const struct ns_vmcb *v, const char *label, const struct ns_render_opts *opt)
{
	static const struct { enum ns_vmcb_area a; const char *title; } areas[] = {
		{ NS_VMCB_CTRL, "VMCB Control Area:" }, { NS_VMCB_SAVE, "VMCB State Save Area:" },
	};

	ns_printf(o, "\n%s (%s)\n", kind_word(v->copy), label ? label : ns_vmcb_copy_name(v->copy));
	for (size_t i = 0; i < sizeof(areas) / sizeof(areas[0]); i++) {
		bool present = areas[i].a == NS_VMCB_CTRL ? v->has_control : v->has_save;

		if (!area_shown(areas[i].a, opt))
			continue;
		ns_printf(o, "%s\n", areas[i].title);
		if (area_note(v, areas[i].a))
			ns_printf(o, "  note: %s\n", area_note(v, areas[i].a));
		if (!present) {
			ns_printf(o, "  (not in this copy)\n");
			continue;
		}
		for (size_t k = 0; k < ns_vmcb_field_count(); k++) {
			const struct ns_vmcb_field *f = ns_vmcb_field((enum ns_vmcb_field_id)k);

			if (f->area != areas[i].a)
				continue;
			if (f->decoder == NS_VDEC_SELECTOR) {
				text_segment(o, v, f, opt);
				k += 3;  /* attrib, limit, base: shown on the selector's line */
				continue;
			}
			if (opt->all || nonzero(v, f))
				text_field(o, v, f);
		}
	}
}

/* ---- JSON ---- */

static void json_field(struct json *j, const struct ns_vmcb *v, const struct ns_vmcb_field *f)
{
	struct ns_decoding d;
	char val[40];
	uint64_t x = 0;

	json_obj_begin(j);
	json_kv_str(j, "name", f->name);
	json_kv_str(j, "kvm_name", f->kvm);
	json_kv_str(j, "apm_name", f->apm);
	json_kv_str(j, "section", ns_vmcb_area_name(f->area));
	json_kv_uint(j, "offset", ns_vmcb_field_offset(f));
	json_kv_uint(j, "size", f->size);
	if (f->size > 8) {
		bytes_hex(v, f, val, sizeof(val));
		json_kv_str(j, "value", val);
	} else {
		ns_vmcb_read(v, f->id, &x);
		json_kv_hex(j, "value", x);
	}
	json_key(j, "decoded");
	if (ns_vmcb_decode_field(v, f->id, &d) && d.n)
		ns_emit_decoding(j, &d);
	else
		json_null(j);
	json_obj_end(j);
}

static void json_area(struct json *j, const char *key, const struct ns_vmcb *v, enum ns_vmcb_area a, bool present)
{
	json_key(j, key);
	json_obj_begin(j);
	json_kv_bool(j, "present", present);
	json_key(j, "note");
	if (area_note(v, a))
		json_str(j, area_note(v, a));
	else
		json_null(j);
	json_obj_end(j);
}

void ns_emit_vmcb(struct json *j, const struct ns_vmcb *v, const struct ns_copy_ref *ref, const struct ns_render_opts *opt)
{
	json_obj_begin(j);
	json_kv_str(j, "kind", kind_word(v->copy));
	ns_emit_copy_ref(j, "copy", ref);
	json_area(j, "control_area", v, NS_VMCB_CTRL, v->has_control);
	json_area(j, "save_area", v, NS_VMCB_SAVE, v->has_save);
	json_key(j, "fields");
	json_arr_begin(j);
	for (size_t k = 0; k < ns_vmcb_field_count(); k++) {
		const struct ns_vmcb_field *f = ns_vmcb_field((enum ns_vmcb_field_id)k);

		if (ns_vmcb_field_present(v, f) && area_shown(f->area, opt) && (opt->all || nonzero(v, f)))
			json_field(j, v, f);
	}
	json_arr_end(j);
	json_obj_end(j);
}
