/*
 * The AMD host's vCPU commands (vmcb12, vmcb02, vmcb01): pick the vCPU,
 * read the copy (svm_vcpu.c), say where it came from and what of it is
 * stale, and hand it to the VMCB renderer.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kvm/session_priv.h"
#include "nestscope/svm_vcpu.h"

/* The VMCB body as text: control area, then save area, as KVM's dump_vmcb() orders them. */
static void vmcb_text(struct ns_out *o, const struct ns_vmcb *v, unsigned sections, bool all)
{
	for (int area = NS_VMCB_CTRL; area <= NS_VMCB_SAVE; area++) {
		bool want = area == NS_VMCB_CTRL ? sections & NS_SECT_CTRL : sections & NS_SECT_GUEST;

		if (!want || !(area == NS_VMCB_CTRL ? v->has_control : v->has_save))
			continue;
		ns_printf(o, "%s area:\n", area == NS_VMCB_CTRL ? "Control" : "State save");
		for (size_t i = 0; i < ns_vmcb_field_count(); i++) {
			const struct ns_vmcb_field *f = ns_vmcb_field((enum ns_vmcb_field_id)i);
			uint64_t x;

			if ((int)f->area != area || !ns_vmcb_field_present(v, f) || f->size > 8)
				continue;
			x = ns_vmcb_get(v, f->id);
			if (!x && !all)
				continue;
			ns_printf(o, "  %-22s %#018llx\n", f->name, (unsigned long long)x);
		}
	}
}

int ns_cmd_vmcb(struct ns_session *s, const struct ns_vcpu_sel *vcpu, int which, const struct ns_cmd_opts *opt,
		struct ns_out *o, struct ns_error *err)
{
	struct ns_vcpu v;
	struct ns_vcpu_ref ref;
	struct ns_vmcb *vmcb = malloc(sizeof(*vmcb));
	char label[256];
	const char *stale;
	int rc;

	if (!vmcb)
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	if ((rc = ns_session_pick_svm_vcpu(s, vcpu, opt->json, &v, &ref, o, err)) ||
	    (rc = ns_svm_read_vmcb(s->t, &s->off, &v, (enum ns_vmcb_copy)which, vmcb, label, sizeof(label), err))) {
		free(vmcb);
		return rc;
	}
	stale = which == NS_VMCB_COPY_VMCB12_CACHED || which == NS_VMCB_COPY_VMCB12_MEMORY
		? ns_svm_vmcb12_stale_note(&v, (enum ns_vmcb_copy)which) : NULL;
	ns_printf(o, "%s: %s\n", ns_vmcb_copy_name(vmcb->copy), label);
	if (stale)
		ns_printf(o, "note: %s\n", stale);
	vmcb_text(o, vmcb, opt->sections ? opt->sections : NS_SECT_ALL, opt->all);
	free(vmcb);
	return NS_OK;
}
