/*
 * The debugger commands, once for crash and gdb: resolve offsets, walk
 * vm_list, pick a vCPU, read the VMCS copies it names, decode, check,
 * diff, render.  Reads go through the front end's target; nothing writes.
 */
#include <stdlib.h>
#include <string.h>

#include "nestscope/nestscope.h"
#include "nestscope/session.h"
#include "kvm/session_priv.h"
#include "render/report_doc.h"
#include "sdm/vmx_names.h"

struct ns_session *ns_session_new(const struct ns_target *t, const char *datadir)
{
	struct ns_session *s = calloc(1, sizeof(*s));

	if (s) {
		s->t = t;
		s->datadir = datadir;
	}
	return s;
}

void ns_session_free(struct ns_session *s)
{
	free(s);
}

const struct ns_target *ns_session_target(const struct ns_session *s)
{
	return s->t;
}

const char *ns_session_datadir(const struct ns_session *s)
{
	return s->datadir;
}

int ns_session_ready(struct ns_session *s, bool need_vmx, struct ns_error *err)
{
	if (!s->resolved || (need_vmx && !s->off.have_vmx && !s->off.have_svm)) {
		bool svm_host = s->off.svm_host;
		int rc = ns_kvm_offsets_resolve(s->t, &s->off, err);

		s->off.svm_host = svm_host;

		if (rc || !ns_km_have(&s->off, NS_KM_KVM_VM_LIST))
			return rc ? rc : ns_fail(err, NS_ERR_KVM_TYPES, "struct kvm is unknown: kvm's debuginfo is not loaded");
		s->resolved = true;
	}
	/*
	 * On an AMD host the vCPUs are struct vcpu_svm: read with kvm_intel's
	 * types (a profile may have them whatever the host ran) they would
	 * decode as garbage VMX state.  kvm_amd loaded without kvm_intel makes
	 * the walker read struct vcpu_svm, with kvm_amd's types or not at all;
	 * no module list, or neither module on it (built into the kernel),
	 * says nothing, and the VMX types' own checks stay the guard.
	 */
	if (need_vmx && !s->vendor_checked) {
		struct ns_error e;

		s->off.svm_host = kvm_module_loaded(s->t, "kvm_amd", &e) == 1 && kvm_module_loaded(s->t, "kvm_intel", &e) == 0;
		s->vendor_checked = true;
	}
	if (need_vmx && s->off.svm_host && !s->off.have_svm)
		return ns_kvm_svm_missing(&s->off, err);
	if (need_vmx && !s->off.svm_host && !s->off.have_vmx)
		return ns_fail(err, NS_ERR_TYPES, "kvm_intel's types (struct vcpu_vmx, nested_vmx) are not loaded");
	return NS_OK;
}

int ns_session_walk(struct ns_session *s, struct ns_walk *w, struct ns_error *err)
{
	int rc = ns_kvm_vms(s->t, &s->off, w->vms, NS_MAX_VMS, &w->nvms, err);

	w->nvcpus = 0;
	if (rc)
		return rc;
	for (size_t i = 0; i < w->nvms; i++) {
		size_t n = 0;

		w->vm_err[i] = (struct ns_error){ NS_OK, "" };
		w->first[i] = w->nvcpus;
		/* one corrupt VM is that VM's error: the others are still walked */
		if (ns_kvm_vcpus(s->t, &s->off, &w->vms[i], w->vcpus + w->nvcpus, MAX_VCPUS - w->nvcpus, &n, &w->vm_err[i]))
			n = 0;
		w->count[i] = n;
		w->nvcpus += n;
	}
	return NS_OK;
}

/* A walk of the session's target into *out, on the heap (it is large): the caller frees it. */
static int walk_new(struct ns_session *s, bool need_vmx, struct ns_walk **out, struct ns_error *err)
{
	struct ns_walk *w;
	int rc = ns_session_ready(s, need_vmx, err);

	*out = NULL;
	if (rc)
		return rc;
	if (!(w = malloc(sizeof(*w))))
		return ns_fail(err, NS_ERR_NOMEM, "out of memory walking vm_list");
	if ((rc = ns_session_walk(s, w, err))) {
		free(w);
		return rc;
	}
	*out = w;
	return NS_OK;
}

int ns_cmd_kvm(struct ns_session *s, bool verbose, bool json, struct ns_out *o, struct ns_error *err)
{
	struct ns_walk *w;
	int rc = walk_new(s, verbose, &w, err);

	if (rc)
		return rc;
	if (json)
		ns_render_kvm_json(o, w->vms, w->vm_err, w->nvms, w->vcpus, w->nvcpus, verbose);
	else
		ns_render_kvm_text(o, w->vms, w->vm_err, w->nvms, w->vcpus, w->nvcpus, verbose);
	free(w);
	return NS_OK;
}

/* The error of the VM of pid, if its vCPUs could not be listed: why a vCPU of it is not found. */
static int vm_error(const struct ns_walk *w, int32_t pid, struct ns_error *err)
{
	for (size_t i = 0; i < w->nvms; i++)
		if (w->vms[i].pid == pid && w->vm_err[i].code != NS_OK)
			return ns_fail(err, w->vm_err[i].code, "the vCPUs of the VM of pid %d cannot be listed: %.250s", pid,
				       w->vm_err[i].msg);
	return NS_OK;
}

/* In VMX operation, or (an AMD host's vCPU) using nested SVM. */
static bool vcpu_active(const struct ns_vcpu *v)
{
	return v->svm ? ns_vcpu_svm_state(v) != NS_SVM_OFF : v->vmxon;
}

/* The one vCPU in VMX operation (nested SVM on AMD) among those of pid (any pid: -1), or the VM's only vCPU. */
static int one_vcpu(const struct ns_walk *w, int32_t pid, struct ns_vcpu *v, struct ns_error *err)
{
	size_t vmx = 0, all = 0, last_vmx = 0, last = 0;
	int rc;

	for (size_t i = 0; i < w->nvcpus; i++) {
		if (pid >= 0 && w->vcpus[i].pid != pid)
			continue;
		all++;
		last = i;
		if (vcpu_active(&w->vcpus[i])) {
			vmx++;
			last_vmx = i;
		}
	}
	if (vmx == 1 || (pid >= 0 && all == 1)) {
		*v = w->vcpus[vmx == 1 ? last_vmx : last];
		return NS_OK;
	}
	if (pid < 0)
		return ns_fail(err, vmx ? NS_ERR_ARG : NS_ERR_NO_VCPU,
			       "%s: name a vCPU (PID:INDEX or an address; 'kvm -v' lists them)",
			       vmx ? (w->vcpus[last].svm ? "several vCPUs use nested SVM" : "several vCPUs are in VMX operation")
				   : all && w->vcpus[last].svm ? "no vCPU uses nested SVM" : "no vCPU is in VMX operation");
	if (!all && (rc = vm_error(w, pid, err)))
		return rc;
	if (!all)
		return ns_fail(err, NS_ERR_NO_VCPU, "no VM of pid %d ('kvm' lists them)", pid);
	return ns_fail(err, NS_ERR_ARG, "the VM of pid %d has %zu vCPUs, %zu %s: name one as %d:INDEX",
		       pid, all, vmx, w->vcpus[last].svm ? "using nested SVM" : "in VMX operation", pid);
}

/*
 * The vCPU sel names, found in w; an address not on vm_list is read as a struct kvm_vcpu anyway, and said so
 * (*on_list false: the documents' vcpu_ref carries it as on_vm_list).
 */
static int find_vcpu(struct ns_session *s, const struct ns_walk *w, const struct ns_vcpu_sel *sel, bool json,
		     struct ns_vcpu *v, bool *on_list, struct ns_out *o, struct ns_error *err)
{
	char note[128];
	int rc;

	*on_list = true;
	switch (sel->by) {
	case NS_VCPU_DEFAULT:
		/* the current context's process, when it owns a VM */
		for (size_t i = 0; sel->pid >= 0 && i < w->nvms; i++)
			if (w->vms[i].pid == sel->pid)
				return one_vcpu(w, sel->pid, v, err);
		return one_vcpu(w, -1, v, err);
	case NS_VCPU_PID:
		return one_vcpu(w, sel->pid, v, err);
	case NS_VCPU_PID_INDEX:
		for (size_t i = 0; i < w->nvcpus; i++)
			if (w->vcpus[i].pid == sel->pid && w->vcpus[i].idx == sel->idx) {
				*v = w->vcpus[i];
				return NS_OK;
			}
		if ((rc = vm_error(w, sel->pid, err)))
			return rc;
		return ns_fail(err, NS_ERR_NO_VCPU, "no vCPU %u in a VM of pid %d ('kvm -v' lists them)", sel->idx,
			       sel->pid);
	case NS_VCPU_ADDR:
		break;
	}
	for (size_t i = 0; i < w->nvcpus; i++)
		if (w->vcpus[i].vcpu == sel->addr || w->vcpus[i].vmx == sel->addr) {
			*v = w->vcpus[i];
			return NS_OK;
		}
	/* not on vm_list (a VM being created or destroyed?): read it as a vCPU anyway */
	if ((rc = ns_kvm_vcpu_read(s->t, &s->off, sel->addr, v, err)))
		return rc;
	/* a JSON output is documents only: there, pid -1 in the vCPU's label says it */
	snprintf(note, sizeof(note), "note: 0x%llx is not a vCPU of any VM on vm_list; reading it as a struct kvm_vcpu",
		 (unsigned long long)sel->addr);
	ns_render_note(o, json, note);
	v->pid = -1;
	*on_list = false;
	return NS_OK;
}

static int pick_vcpu(struct ns_session *s, const struct ns_vcpu_sel *sel, bool json, struct ns_vcpu *v,
		     struct ns_vcpu_ref *ref, struct ns_out *o, struct ns_error *err)
{
	struct ns_walk *w;
	bool on_list;
	int rc = walk_new(s, true, &w, err);

	if (rc)
		return rc;
	rc = find_vcpu(s, w, sel, json, v, &on_list, o, err);
	if (!rc && ref)
		*ref = ns_vcpu_ref_of(v, on_list);
	free(w);
	return rc;
}

/* pick_vcpu for a command of one vendor: a vCPU of the other is refused, naming the command that reads it. */
static int pick_vendor_vcpu(struct ns_session *s, const struct ns_vcpu_sel *sel, bool json, bool svm,
			    struct ns_vcpu *v, struct ns_vcpu_ref *ref, struct ns_out *o, struct ns_error *err)
{
	int rc = pick_vcpu(s, sel, json, v, ref, o, err);

	if (!rc && v->svm != svm)
		return ns_fail(err, NS_ERR_ARG,
			       svm ? "vCPU %u of pid %d is an Intel VMX vCPU (struct vcpu_vmx): vmcs12, vmcs02 and vmcs01 read it"
				   : "vCPU %u of pid %d is an AMD SVM vCPU (struct vcpu_svm; this host's KVM is kvm_amd): "
				     "vmcb12, vmcb02 and vmcb01 read it",
			       v->idx, v->pid);
	return rc;
}

int ns_session_pick_svm_vcpu(struct ns_session *s, const struct ns_vcpu_sel *sel, bool json, struct ns_vcpu *v,
			     struct ns_vcpu_ref *ref, struct ns_out *o, struct ns_error *err)
{
	return pick_vendor_vcpu(s, sel, json, true, v, ref, o, err);
}

/* One report: a decode/2 document of it, or its text. */
static void print_report(const struct ns_report *r, const struct ns_cmd_opts *opt, struct ns_out *o)
{
	struct ns_render_opts ro = { opt->sections ? opt->sections : NS_SECT_ALL, opt->all };
	struct ns_report_doc doc;

	ns_render_doc_begin(&doc, o, opt->json, &ro);
	ns_render_doc_add(&doc, r);
	ns_render_doc_end(&doc);
}

int ns_session_read_vmcs12(struct ns_session *s, const struct ns_vcpu *v, enum ns_vmcs12_copy which, bool force,
			   struct ns_vmcs12_read *out, struct ns_error *err)
{
	uint8_t *region = out->region;
	uint64_t addr = which == NS_COPY_SHADOW ? v->cached_shadow_vmcs12 : v->cached_vmcs12;
	int rc;

	if (which == NS_COPY_MEMORY) {
		/* L1's region at current_vmptr: GPA -> the VMM's HVA -> its page */
		if (!v->vmxon || v->current_vmptr == ~0ull)
			return ns_fail(err, NS_ERR_ARG, "vCPU %u of pid %d has no current VMCS in L1", v->idx, v->pid);
		if ((rc = ns_kvm_gpa_to_hva(s->t, &s->off, v->kvm, v->current_vmptr, &addr, err)) ||
		    (rc = ns_kvm_read_user(s->t, &s->off, v->kvm, addr, region, NS_VMCS12_REGION_SIZE, err))) {
			char why[sizeof(err->msg)];

			memcpy(why, err->msg, sizeof(why));
			return ns_fail(err, rc, "L1's vmcs12 at GPA 0x%llx (vCPU %u, pid %d): %.200s",
				       (unsigned long long)v->current_vmptr, v->idx, v->pid, why);
		}
	} else {
		if (!addr)
			return ns_fail(err, NS_ERR_ARG, "vCPU %u of pid %d has no %s", v->idx, v->pid,
				       which == NS_COPY_SHADOW ? "cached_shadow_vmcs12"
							       : "cached_vmcs12 (L1 never ran VMXON)");
		if (!s->t->read(s->t->ctx, addr, region, NS_VMCS12_REGION_SIZE))
			return ns_fail(err, NS_ERR_IO, "vmcs12 at 0x%llx cannot be read from this target",
				       (unsigned long long)addr);
	}
	if ((rc = ns_decode_vcpu_vmcs12(region, NS_VMCS12_REGION_SIZE, addr, v, which, force, &out->vr, err))) {
		char why[sizeof(err->msg)];

		memcpy(why, err->msg, sizeof(why));
		return ns_fail(err, rc, "%.100s: %.200s", out->vr.copy, why);
	}
	return NS_OK;
}

int ns_cmd_vmcs12(struct ns_session *s, const struct ns_vcpu_sel *vcpu, const struct ns_cmd_opts *opt, struct ns_out *o,
		  struct ns_error *err)
{
	struct ns_vmcs12_read *c = malloc(sizeof(*c));
	struct ns_vcpu_ref ref;
	struct ns_vcpu v;
	int rc;

	if (!c)
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	if (!(rc = pick_vendor_vcpu(s, vcpu, opt->json, false, &v, &ref, o, err)) &&
	    !(rc = ns_session_read_vmcs12(s, &v, (enum ns_vmcs12_copy)opt->copy, opt->force, c, err))) {
		c->vr.r.vcpu = ref;
		print_report(&c->vr.r, opt, o);
	}
	free(c);
	return rc;
}

int ns_cmd_vmcs12_all(struct ns_session *s, const struct ns_cmd_opts *opt, struct ns_out *o, struct ns_error *err)
{
	struct ns_render_opts ro = { opt->sections ? opt->sections : NS_SECT_ALL, opt->all };
	struct ns_walk *w;
	struct ns_vmcs12_read *c = NULL;
	struct ns_report_doc doc;
	int rc = walk_new(s, true, &w, err);

	if (rc)
		return rc;
	if (s->off.svm_host) {
		free(w);
		return ns_fail(err, NS_ERR_ARG, "this host's KVM is kvm_amd (AMD SVM): its vCPUs have no vmcs12; vmcb12 reads them");
	}
	if (!(c = malloc(sizeof(*c)))) {
		rc = ns_fail(err, NS_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* one document, a report per vCPU; a copy that cannot be read ends it, still whole, and is the error */
	ns_render_doc_begin(&doc, o, opt->json, &ro);
	for (size_t i = 0; i < w->nvcpus; i++) {
		const struct ns_vcpu *v = &w->vcpus[i];

		if (!v->vmxon || !v->cached_vmcs12 || v->current_vmptr == ~0ull)
			continue;
		if ((rc = ns_session_read_vmcs12(s, v, (enum ns_vmcs12_copy)opt->copy, opt->force, c, err)))
			break;
		ns_render_doc_add(&doc, &c->vr.r);
	}
	ns_render_doc_end(&doc);
	/* JSON: a document with no report is the empty answer; text says why it is empty */
	if (!rc && !doc.n)
		ns_render_note(o, opt->json, "no vCPU in VMX operation has a current vmcs12");
out:
	free(c);
	free(w);
	return rc;
}

int ns_cmd_vmcs12_at(struct ns_session *s, uint64_t addr, const char *label, const struct ns_cmd_opts *opt,
		     struct ns_out *o, struct ns_error *err)
{
	struct at {
		uint8_t region[NS_VMCS12_REGION_SIZE];
		struct ns_nested_state ns;
		struct ns_report r;
	} *a = malloc(sizeof(*a));
	int rc;

	if (!a)
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	if (!s->t->read(s->t->ctx, addr, a->region, NS_VMCS12_REGION_SIZE))
		rc = ns_fail(err, NS_ERR_IO, "%s: cannot read a 4 KiB region there", label);
	else if (!(rc = ns_decode_buffer(a->region, NS_VMCS12_REGION_SIZE, NS_INPUT_VMCS12, opt->force, label, &a->ns,
					 &a->r, err))) {
		a->r.vmcs[0].ref.space = NS_AS_KERNEL;
		a->r.vmcs[0].ref.address = addr;
		print_report(&a->r, opt, o);
	}
	free(a);
	return rc;
}

/* The report on a hardware VMCS region decoded with layout hw; the labels are the caller's. */
static int hw_report(const uint8_t *buf, size_t len, const struct ns_hwlayout *hw, const char *title, const char *copy,
		     const char *source, struct ns_report *rep, struct ns_error *err)
{
	int rc;

	memset(rep, 0, sizeof(*rep));
	if ((rc = ns_hwvmcs_inspect(buf, len, &hw->layout, false, &rep->vmcs[0].info, err)))
		return rc;
	rep->source = source;
	rep->format = title;
	rep->vmcs[0].title = title;
	rep->vmcs[0].vmcs = (struct ns_vmcs){ &hw->layout, buf, len, copy };
	rep->nvmcs = 1;
	return NS_OK;
}

int ns_session_read_hw(struct ns_session *s, const struct ns_vcpu *v, uint64_t region, const char *name,
		       const char *layout_file, struct ns_hw_read *out, struct ns_error *err)
{
	uint32_t rev;
	int rc;

	memset(&out->rep, 0, sizeof(out->rep));
	snprintf(out->source, sizeof(out->source), "vCPU %u of pid %d (vcpu_vmx 0x%llx)", v->idx, v->pid,
		 (unsigned long long)v->vmx);
	if (!region || !s->t->read(s->t->ctx, region, out->region, sizeof(out->region)))
		return ns_fail(err, NS_ERR_IO, "the %s region at 0x%llx cannot be read from this target", name,
			       (unsigned long long)region);
	memcpy(&rev, out->region, 4);
	if ((rc = ns_hwlayout_lookup(rev, layout_file, s->datadir, &out->hw, err)))
		return rc;
	snprintf(out->copy, sizeof(out->copy), "%s region 0x%llx (layout %.60s, %.100s)", name,
		 (unsigned long long)region, out->hw.name, out->hw.origin);
	out->ref = (struct ns_copy_ref){ !strcmp(name, "vmcs01") ? NS_CP_VMCS01 : NS_CP_VMCS02, NS_AS_KERNEL, region,
					 out->hw.name, out->hw.origin, out->copy };
	if ((rc = hw_report(out->region, sizeof(out->region), &out->hw, name, out->copy, out->source, &out->rep, err)))
		return rc;
	out->rep.vmcs[0].ref = out->ref;
	out->rep.vcpu = ns_vcpu_ref_of(v, true);
	return NS_OK;
}

int ns_session_diff(struct ns_session *s, const struct ns_vcpu *v, const char *layout_file, struct ns_vmcs12_read *v12,
		    struct ns_hw_read *v02, struct ns_diff *diff, struct ns_error *err)
{
	struct ns_diff_context ctx = { .vmcs12_vs_vmcs02 = true };
	struct ns_reg_cache rc_;
	struct ns_error ignored;
	int rc;

	if ((rc = ns_session_read_vmcs12(s, v, NS_COPY_CACHED, false, v12, err)) ||
	    (rc = ns_session_read_hw(s, v, v->vmcs02, "vmcs02", layout_file, v02, err)))
		return rc;
	ctx.guest_mode = v->guest_mode;
	ctx.in_l1 = !v->guest_mode && v->loaded_is_vmcs01;
	/* while in L2, KVM's register cache may hold a RIP/RSP vmcs02 does not have yet */
	if (v->guest_mode && ns_kvm_reg_cache(s->t, &s->off, v->vcpu, &rc_, &ignored) == NS_OK && rc_.have) {
		ctx.rip_dirty = rc_.rip_dirty;
		ctx.rsp_dirty = rc_.rsp_dirty;
	}
	ns_diff_vmcs(&v12->vr.r.vmcs[0].vmcs, &v02->rep.vmcs[0].vmcs, &ctx, diff);
	return NS_OK;
}

int ns_cmd_diff(struct ns_session *s, const struct ns_vcpu_sel *vcpu, const struct ns_cmd_opts *opt, struct ns_out *o,
		struct ns_error *err)
{
	struct diff_work {
		struct ns_vmcs12_read v12;
		struct ns_hw_read v02;
		struct ns_diff diff;
	} *d = malloc(sizeof(*d));
	struct ns_vcpu v;
	struct ns_vcpu_ref ref;
	int rc;

	if (!d)
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	if ((rc = pick_vendor_vcpu(s, vcpu, opt->json, false, &v, &ref, o, err)) ||
	    (rc = ns_session_diff(s, &v, opt->layout_file, &d->v12, &d->v02, &d->diff, err)))
		goto out;
	if (opt->json)
		ns_render_diff_json(o, &d->v12.vr.ref, &d->v02.ref, &ref, &d->diff);
	else
		ns_render_diff_text(o, &d->v12.vr.ref, &d->v02.ref, &d->diff, opt->all);
out:
	free(d);
	return rc;
}

/*
 * L1's memory for the checks: an L1 GPA through the VM's memslots to the
 * VMM's page, a whole page at a time.  A page that reads as all zeros is
 * not taken as data: makedumpfile -d 1 leaves zero pages out and a raw
 * image made from such a dump holds zeros where any left-out page was, so
 * a rule would judge the zeros of a missing page (a VMCS region of
 * revision 0, an MSR-load entry for MSR 0).
 */
struct l1_reader {
	const struct ns_session *s;
	uint64_t kvm;
	uint8_t page[4096];
};

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static int read_l1(void *ctx, uint64_t gpa, void *buf, size_t len, char *why, size_t whylen)
{
	struct l1_reader *r = ctx;
	uint8_t *out = buf;
	struct ns_error err;

	while (len) {
		size_t chunk = 4096 - (gpa & 0xfff) < len ? 4096 - (gpa & 0xfff) : len;
		uint64_t hva;

		if (ns_kvm_gpa_to_hva(r->s->t, &r->s->off, r->kvm, gpa & ~0xfffull, &hva, &err) ||
		    ns_kvm_read_user(r->s->t, &r->s->off, r->kvm, hva, r->page, sizeof(r->page), &err)) {
			snprintf(why, whylen, "%s", err.msg);
			return -1;
		}
		if (all_zero(r->page, sizeof(r->page))) {
			snprintf(why, whylen, "its page (HVA 0x%llx) reads as zeros, as a page a dump left out does "
				 "(makedumpfile -d 1, or a raw image made from such a dump): not taken as data",
				 (unsigned long long)hva);
			return -1;
		}
		memcpy(out, r->page + (gpa & 0xfff), chunk);
		gpa += chunk;
		out += chunk;
		len -= chunk;
	}
	return 0;
}

int ns_session_checks(struct ns_session *s, const struct ns_vcpu *v, struct ns_vmcs12_read *v12,
		      struct ns_vmx_caps *caps, struct ns_check_report *checks, struct ns_error *err)
{
	struct l1_reader *r = malloc(sizeof(*r));
	struct ns_guest_memory mem = { .read = read_l1, .ctx = r };
	int rc;

	if (!r)
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	r->s = s;
	r->kvm = v->kvm;
	if ((rc = ns_session_read_vmcs12(s, v, NS_COPY_CACHED, false, v12, err)) ||
	    (rc = ns_kvm_nested_caps(s->t, &s->off, v, caps, err)))
		goto out;
	ns_check_vmcs12(&v12->vr.r.vmcs[0].vmcs, caps, &mem, checks);
out:
	free(r);
	return rc;
}

int ns_cmd_checks(struct ns_session *s, const struct ns_vcpu_sel *vcpu, const struct ns_cmd_opts *opt, struct ns_out *o,
		  struct ns_error *err)
{
	struct checks_work {
		struct ns_vmcs12_read v12;
		struct ns_vmx_caps caps;
		struct ns_check_report checks;
	} *c = malloc(sizeof(*c));
	struct ns_vcpu v;
	struct ns_vcpu_ref ref;
	int rc;

	if (!c)
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	if ((rc = pick_vendor_vcpu(s, vcpu, opt->json, false, &v, &ref, o, err)) ||
	    (rc = ns_session_checks(s, &v, &c->v12, &c->caps, &c->checks, err)))
		goto out;
	if (opt->json)
		ns_render_checks_json(o, &c->v12.vr.ref, &ref, &c->checks);
	else
		ns_render_checks_text(o, &c->v12.vr.ref, &c->checks, opt->all);
out:
	free(c);
	return rc;
}

/* ---- vmcs02 / vmcs01 ---- */

int ns_session_loaded_vmcs(struct ns_session *s, const struct ns_vcpu *v, bool is02, const char *layout_file,
			   struct ns_loaded_vmcs_read *out, struct ns_error *err)
{
	struct ns_loaded_vmcs_view *lv = &out->view;
	struct ns_error lerr;
	uint32_t hdr[2] = { 0, 0 };
	int r;

	memset(lv, 0, sizeof(*lv));
	lv->name = is02 ? "vmcs02" : "vmcs01";
	lv->vcpu_idx = v->idx;
	lv->pid = v->pid;
	lv->loaded_vmcs = is02 ? v->vmcs02_loaded_vmcs : v->vmcs01_loaded_vmcs;
	lv->region = is02 ? v->vmcs02 : v->vmcs01;
	lv->loaded = v->loaded_vmcs == lv->loaded_vmcs;
	lv->have_header = lv->region && s->t->read(s->t->ctx, lv->region, hdr, sizeof(hdr));
	lv->revision = hdr[0];
	lv->abort = hdr[1];
	/* the register cache belongs to the level the vCPU is at: vmcs02's while in L2 */
	lv->regs_l2 = v->guest_mode;
	if ((r = ns_kvm_controls_shadow(s->t, &s->off, lv->loaded_vmcs, &lv->controls, err)) ||
	    (r = ns_kvm_host_state(s->t, &s->off, lv->loaded_vmcs, &lv->host, err)) ||
	    (is02 == v->guest_mode && (r = ns_kvm_reg_cache(s->t, &s->off, v->vcpu, &lv->regs, err))))
		return r;
	lv->decoded = ns_session_read_hw(s, v, lv->region, lv->name, layout_file, &out->hw, &lerr) == NS_OK;
	if (!lv->decoded) {
		/* no layout decodes the region: a report with no VMCS, KVM's copies only */
		memcpy(lv->region_error, lerr.msg, sizeof(lv->region_error));
		memset(&out->hw.rep, 0, sizeof(out->hw.rep));
		out->hw.rep.source = out->hw.source;
		out->hw.rep.format = lv->name;
		out->hw.rep.vcpu = ns_vcpu_ref_of(v, true);
	}
	out->hw.rep.kvm_copies = lv;
	return NS_OK;
}

int ns_cmd_loaded_vmcs(struct ns_session *s, const struct ns_vcpu_sel *vcpu, bool is02, const struct ns_cmd_opts *opt,
		       struct ns_out *o, struct ns_error *err)
{
	/* the hardware VMCS is shown whole, whatever -s says: its sections are for vmcs12 */
	struct ns_render_opts ro = { NS_SECT_ALL, false };
	struct ns_loaded_vmcs_read *lr = malloc(sizeof(*lr));
	struct ns_report_doc doc;
	struct ns_vcpu_ref ref;
	struct ns_vcpu v;
	int rc;

	if (!lr)
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	if (!(rc = pick_vendor_vcpu(s, vcpu, opt->json, false, &v, &ref, o, err)) &&
	    !(rc = ns_session_loaded_vmcs(s, &v, is02, opt->layout_file, lr, err))) {
		lr->hw.rep.vcpu = ref;
		ns_render_doc_begin(&doc, o, opt->json, &ro);
		ns_render_doc_add(&doc, &lr->hw.rep);
		ns_render_doc_end(&doc);
	}
	free(lr);
	return rc;
}

/* ---- a region the front end read ---- */

int ns_region_decode(const uint8_t *buf, size_t len, const char *label, const char *datadir,
		     const struct ns_cmd_opts *opt, struct ns_region_read *w, struct ns_error *err)
{
	uint32_t rev;
	int rc;

	if (len < 8)
		return ns_fail(err, NS_ERR_TRUNCATED, "%s: %zu bytes are not a VMCS region", label, len);
	memcpy(&rev, buf, 4);
	/*
	 * A kvm_nested_state in guest mode starts with flags 1, format 0 (VMX):
	 * the same dword as an eVMCS's revision.  A blob whose header holds is
	 * a blob; an eVMCS has its abort indicator (0) where a blob has its size,
	 * which the sniffer wants to be at least the header.
	 */
	if (rev == NS_EVMCS_REVISION && ns_nested_state_sniff(buf, len) &&
	    ns_decode_buffer(buf, len, NS_INPUT_NESTED_STATE, opt->force, label, &w->ns, &w->r, NULL) == NS_OK)
		return NS_OK;
	if ((rev & 0x7fffffff) != NS_VMCS12_REVISION && !opt->force &&
	    ns_hwlayout_lookup(rev, opt->layout_file, datadir, &w->hw, err) == NS_OK) {
		/* a hardware VMCS (L1 on real VMX, or an L1 hypervisor's own region) */
		snprintf(w->copy, sizeof(w->copy), "%.80s (layout %.60s, %.100s)", label, w->hw.name, w->hw.origin);
		/* named as scan names such a region */
		if ((rc = hw_report(buf, len, &w->hw, rev == NS_EVMCS_REVISION ? "evmcs" : "hardware-vmcs", w->copy,
				    label, &w->r, err)))
			return rc;
		w->r.vmcs[0].ref = (struct ns_copy_ref){ NS_CP_REGION, NS_AS_NONE, 0, w->hw.name, w->hw.origin, w->copy };
		return NS_OK;
	}
	/* a vmcs12, or a kvm_nested_state blob */
	return ns_decode_buffer(buf, len, NS_INPUT_AUTO, opt->force, label, &w->ns, &w->r, err);
}

int ns_cmd_region(const uint8_t *buf, size_t len, const char *label, const char *datadir,
		  const struct ns_cmd_opts *opt, struct ns_out *o, struct ns_error *err)
{
	struct ns_region_read *w;
	int rc;

	if (!(w = malloc(sizeof(*w))))
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	if (!(rc = ns_region_decode(buf, len, label, datadir, opt, w, err)))
		print_report(&w->r, opt, o);
	free(w);
	return rc;
}

int ns_vmcs12_field(const uint8_t *buf, size_t len, const char *name, uint64_t *value, struct ns_error *err)
{
	struct ns_field_ref ref;
	struct ns_vmcs v = { ns_vmcs12_layout(), buf, len, "vmcs12" };
	uint32_t rev;

	if (!ns_field_by_name(name, &ref))
		return ns_fail(err, NS_ERR_ARG, "%s: no such VMCS field ('nestscope fields' lists them)", name);
	if (len < 4)
		return ns_fail(err, NS_ERR_TRUNCATED, "a vmcs12 region is 4 KiB, not %zu bytes", len);
	memcpy(&rev, buf, 4);
	if ((rev & 0x7fffffff) != NS_VMCS12_REVISION)
		return ns_fail(err, NS_ERR_REVISION, "revision id 0x%x is not vmcs12's 0x%x", rev & 0x7fffffff,
			       NS_VMCS12_REVISION);
	return ns_vmcs_read(&v, ref.field->encoding | ref.high, value, err);
}

int ns_region_text(const uint8_t *buf, size_t len, const char *label, const char *datadir, struct ns_out *o,
		   struct ns_error *err)
{
	struct ns_cmd_opts opt = { 0 };

	return ns_cmd_region(buf, len, label, datadir, &opt, o, err);
}
