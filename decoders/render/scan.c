/* The scan's report (scan/2 and its text), and capture's (capture/2: the dump, the scan, each region decoded). */
#include <stdio.h>

#include "render/common.h"
#include "render/json.h"
#include "render/report_doc.h"
#include "nestscope/scan.h"
#include "nestscope/vmcb.h"

/* A VMCB's line: ASID, EXITCODE, RIP, and the rules it met (the ones it missed named) */
static void vmcb_text(struct ns_out *o, const struct ns_scan_hit *h)
{
	char name[40] = "";
	unsigned n = (unsigned)ns_vmcb_scan_rule_count(), met = (unsigned)__builtin_popcount(h->vmcb_rules);
	const char *sep = " (missed: ";

	ns_svm_exit_name(h->exit_code, name, sizeof(name), NULL);
	ns_printf(o, "ASID %u, exit code %#llx%s%s%s, guest RIP %#llx, %u of %u rules", h->asid,
		  (unsigned long long)h->exit_code, *name ? " (" : "", name, *name ? ")" : "",
		  (unsigned long long)h->guest_rip, met, n);
	for (unsigned i = 0; i < n; i++)
		if (!(h->vmcb_rules >> i & 1)) {
			ns_printf(o, "%s%s", sep, ns_vmcb_scan_rule_id(i));
			sep = ", ";
		}
	ns_printf(o, "%s\n", met < n ? ")" : "");
}

void ns_render_scan_text(struct ns_out *o, const char *image, const struct ns_scan *s)
{
	unsigned count[NS_SCAN__KINDS] = { 0 };

	ns_printf(o, "%-18s  %-14s %-10s  %s\n", "PHYSICAL", "KIND", "REVISION", "WHAT");
	for (size_t i = 0; i < s->n; i++) {
		const struct ns_scan_hit *h = &s->hit[i];

		count[h->kind]++;
		if (h->kind == NS_SCAN_VMCB) {
			/* a VMCB has no revision id */
			ns_printf(o, "%#018llx  %-14s %-10s  ", (unsigned long long)h->pa, ns_scan_kind_name(h->kind), "-");
		} else {
			ns_printf(o, "%#018llx  %-14s %#010x  ", (unsigned long long)h->pa, ns_scan_kind_name(h->kind),
				  h->revision);
		}
		switch (h->kind) {
		case NS_SCAN_VMCB:
			vmcb_text(o, h);
			break;
		case NS_SCAN__KINDS:
			ns_printf(o, "\n");
			break;
		case NS_SCAN_REVISION_ONLY:
			if (h->shadow_of != NS_SCAN_NO_PAIR)
				ns_printf(o, "only a revision id: the shadow VMCS of %#llx, no field written\n",
					  (unsigned long long)s->hit[h->shadow_of].pa);
			else
				ns_printf(o, "only a revision id: a VMXON region, or a VMCS never written\n");
			break;
		case NS_SCAN_VMCS12:
		case NS_SCAN_SHADOW_VMCS12:
			ns_printf(o, "launch state %u, guest RIP %#llx, host RIP %#llx", h->launch_state,
				  (unsigned long long)h->guest_rip, (unsigned long long)h->host_rip);
			if (h->link != ~0ull)
				ns_printf(o, ", link %#llx", (unsigned long long)h->link);
			if (h->shadow_of != NS_SCAN_NO_PAIR)
				ns_printf(o, ", the shadow VMCS of %#llx", (unsigned long long)s->hit[h->shadow_of].pa);
			if (h->pair != NS_SCAN_NO_PAIR)
				ns_printf(o, ", its vmcs02 is %#llx", (unsigned long long)s->hit[h->pair].pa);
			ns_printf(o, "\n");
			break;
		case NS_SCAN_HW_VMCS:
			ns_printf(o, "layout %s, host CR3 %#llx, guest RIP %#llx", h->hw ? h->hw->name : "?",
				  (unsigned long long)h->host_cr3, (unsigned long long)h->guest_rip);
			if (h->link != ~0ull)
				ns_printf(o, ", link %#llx", (unsigned long long)h->link);
			if (h->role)
				ns_printf(o, ", %s of the vmcs12 at %#llx", h->role, (unsigned long long)s->hit[h->pair].pa);
			ns_printf(o, "\n");
			break;
		case NS_SCAN_EVMCS:
			ns_printf(o, "Hyper-V enlightened VMCS, host CR3 %#llx, host RIP %#llx, guest RIP %#llx\n",
				  (unsigned long long)h->host_cr3, (unsigned long long)h->host_rip,
				  (unsigned long long)h->guest_rip);
			break;
		case NS_SCAN_HW_SHADOW:
			ns_printf(o, "layout %s, the shadow VMCS that %#llx links to\n", h->hw ? h->hw->name : "?",
				  (unsigned long long)s->hit[h->shadow_of].pa);
			break;
		}
	}
	ns_printf(o, "%s: %llu pages: %u vmcs12, %u shadow vmcs12, %u eVMCS, %u hardware VMCS, %u hardware shadow, "
		  "%u revision-only, %u VMCB%s\n", image, (unsigned long long)s->pages, count[NS_SCAN_VMCS12],
		  count[NS_SCAN_SHADOW_VMCS12], count[NS_SCAN_EVMCS], count[NS_SCAN_HW_VMCS], count[NS_SCAN_HW_SHADOW],
		  count[NS_SCAN_REVISION_ONLY], count[NS_SCAN_VMCB],
		  s->truncated ? " (more than the report holds)" : "");
	if (s->walks_exhausted)
		ns_printf(o, "warning: more hardware VMCS candidates than page walks allowed: some were not validated\n");
}

/* pages, truncated and regions[]: the members scan/2 and capture/2's scan share */
static void scan_members(struct json *j, const struct ns_scan *s)
{
	json_kv_uint(j, "pages", s->pages);
	json_kv_bool(j, "truncated", s->truncated || s->walks_exhausted);
	json_key(j, "regions");
	json_arr_begin(j);
	for (size_t i = 0; i < s->n; i++) {
		const struct ns_scan_hit *h = &s->hit[i];

		json_obj_begin(j);
		json_kv_hex(j, "physical", h->pa);
		json_kv_str(j, "kind", ns_scan_kind_name(h->kind));
		if (h->kind == NS_SCAN_VMCB) {
			/* no revision id, launch state or host state: what the VMCB's own fields say, and the rules met */
			json_kv_hex(j, "asid", h->asid);
			json_kv_hex(j, "exit_code", h->exit_code);
			json_kv_hex(j, "guest_rip", h->guest_rip);
			json_key(j, "vmcb_rules");
			json_arr_begin(j);
			for (size_t r = 0; r < ns_vmcb_scan_rule_count(); r++)
				if (h->vmcb_rules >> r & 1)
					json_str(j, ns_vmcb_scan_rule_id(r));
			json_arr_end(j);
			json_obj_end(j);
			continue;
		}
		json_kv_hex(j, "revision", h->revision);
		if (h->kind != NS_SCAN_REVISION_ONLY && h->kind != NS_SCAN_HW_SHADOW) {
			/* an eVMCS keeps no launch state in its page (Hyper-V's TLFS layout has none) */
			if (h->kind != NS_SCAN_EVMCS)
				json_kv_str(j, "launch_state", ns_launch_state_str(h->launch_state));
			json_kv_hex(j, "link_pointer", h->link);
			json_kv_hex(j, "guest_rip", h->guest_rip);
			json_kv_hex(j, "host_rip", h->host_rip);
			json_kv_hex(j, "host_cr3", h->host_cr3);
		}
		if (h->hw)
			json_kv_str(j, "layout", h->hw->name);
		if (h->va)
			json_kv_hex(j, "kernel_address", h->va);
		if (h->shadow_of != NS_SCAN_NO_PAIR)
			json_kv_hex(j, "shadow_of", s->hit[h->shadow_of].pa);
		if (h->kind == NS_SCAN_VMCS12 && h->pair != NS_SCAN_NO_PAIR)
			json_kv_hex(j, "vmcs02_address", s->hit[h->pair].pa);
		if (h->role) {
			json_kv_str(j, "role", h->role);
			json_kv_hex(j, "vmcs12_address", s->hit[h->pair].pa);
		}
		json_obj_end(j);
	}
	json_arr_end(j);
}

void ns_render_scan_json(struct ns_out *o, const char *image, const struct ns_scan *s)
{
	struct json j;

	json_init(&j, o);
	json_obj_begin(&j);
	json_kv_str(&j, "schema", NS_SCAN_SCHEMA);
	json_kv_str(&j, "image", image);
	scan_members(&j, s);
	json_obj_end(&j);
}

static const char *const capture_format[] = {
	[NS_CAPTURE_LIVE] = "migration-stream", [NS_CAPTURE_KDUMP] = "kdump", [NS_CAPTURE_ELF] = "elf",
};

static const char *const capture_text[] = {
	[NS_CAPTURE_LIVE] = "live dump (a migration stream: its RAM)",
	[NS_CAPTURE_KDUMP] = "memory-only dump (kdump)",
	[NS_CAPTURE_ELF] = "memory-only dump (ELF)",
};

void ns_render_capture_begin(struct ns_capture_doc *d, struct ns_out *o, bool json, const struct ns_capture_info *c,
			     const struct ns_scan *s)
{
	struct json *j = &d->rep.j;

	/* the regions' reports: every section, the fields that are not zero */
	d->rep = (struct ns_report_doc){ .o = o, .json = json, .opt = { NS_SECT_ALL, false } };
	if (!json) {
		ns_printf(o, "%s: %s in %.3f s%s%s\n", c->domain, capture_text[c->kind], c->seconds,
			  c->kept ? ", kept in " : "", c->kept ? c->kept : "");
		ns_render_scan_text(o, c->domain, s);
		return;
	}
	json_init(j, o);
	json_obj_begin(j);
	json_kv_str(j, "schema", NS_CAPTURE_SCHEMA);
	json_kv_str(j, "domain", c->domain);
	json_kv_bool(j, "live", c->kind == NS_CAPTURE_LIVE);
	json_kv_str(j, "format", capture_format[c->kind]);
	json_kv_uint(j, "milliseconds", (uint64_t)(c->seconds * 1000));
	json_kv_uint(j, "bytes", c->bytes);
	json_key(j, "kept");
	if (c->kept)
		json_str(j, c->kept);
	else
		json_null(j);
	json_key(j, "scan");
	json_obj_begin(j);
	scan_members(j, s);
	json_obj_end(j);
	json_key(j, "reports");
	json_arr_begin(j);
}

void ns_render_capture_gap(struct ns_capture_doc *d)
{
	if (!d->rep.json)
		ns_printf(d->rep.o, "\n");
}

void ns_render_capture_add(struct ns_capture_doc *d, const struct ns_report *r)
{
	ns_render_doc_add(&d->rep, r);
}

void ns_render_capture_add_vmcb(struct ns_capture_doc *d, const struct ns_report *r, const struct ns_vmcb *v,
				const struct ns_copy_ref *ref)
{
	ns_render_doc_add_vmcb(&d->rep, r, v, ref);
}

void ns_render_capture_end(struct ns_capture_doc *d)
{
	/* closes reports[] and the document */
	ns_render_doc_end(&d->rep);
}
