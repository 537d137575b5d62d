/*
 * Reading an AMD host vCPU's VMCBs (svm_vcpu.h).  The VMCB pages are
 * architectural and decode with the VMCB table; KVM's cache of vmcb12 is
 * its own structs (vmcb_ctrl_area_cached, vmcb_save_area_cached), whose
 * members KVM names as the VMCB's: each table field is found there by its
 * KVM name through the types, so a cache that gains or loses a member
 * needs no change here.
 */
#include <stdio.h>
#include <string.h>

#include "nestscope/svm_vcpu.h"

#define CTL_CACHED "vmcb_ctrl_area_cached"
#define SAVE_CACHED "vmcb_save_area_cached"
#define VMCB_SEG "vmcb_seg"

/*
 * Older kernels' names for a control-area member (the VMCB table has
 * today's): misc_ctl and misc_ctl2 were nested_ctl and virt_ext up to
 * their rename in 6.x.
 */
static const struct { const char *now, *before; } renamed[] = {
	{ "misc_ctl", "nested_ctl" },
	{ "misc_ctl2", "virt_ext" },
};

static long member(const struct ns_target *t, const char *type, const char *name, long *size)
{
	long off = t->member_offset(t->ctx, type, name);

	*size = off >= 0 && t->member_size ? t->member_size(t->ctx, type, name) : -1;
	for (size_t i = 0; off < 0 && i < sizeof(renamed) / sizeof(renamed[0]); i++)
		if (!strcmp(name, renamed[i].now)) {
			off = t->member_offset(t->ctx, type, renamed[i].before);
			*size = off >= 0 && t->member_size ? t->member_size(t->ctx, type, renamed[i].before) : -1;
		}
	return off;
}

static void mark_known(struct ns_vmcb *v, enum ns_vmcb_field_id id)
{
	v->known[id / 64] |= 1ull << (id % 64);
}

/* Copies size bytes of the cache at off into the field's place in the page (little-endian both). */
static void put(struct ns_vmcb *v, const struct ns_vmcb_field *f, const uint8_t *cache, size_t cache_len, long off,
		unsigned size, unsigned at)
{
	if (off < 0 || (size_t)off + size > cache_len || at + size > f->size)
		return;
	memcpy(&v->bytes[ns_vmcb_field_offset(f) + at], cache + off, size);
	mark_known(v, f->id);
}

/* One table field from KVM's cache (control or save) into v, if the cache has it. */
static void cached_field(const struct ns_target *t, struct ns_vmcb *v, const struct ns_vmcb_field *f,
			 const uint8_t *cache, size_t len)
{
	const char *type = f->area == NS_VMCB_SAVE ? SAVE_CACHED : CTL_CACHED;
	const char *dot = strchr(f->kvm, '.');
	long off, size;

	if (!strncmp(f->kvm, "intercepts[", 11)) {
		/* KVM's intercepts[] holds the VMCB's intercept words in their order, 4 bytes each from 000h */
		off = member(t, type, "intercepts", &size);
		if (off >= 0 && (long)f->offset + 4 <= size)
			put(v, f, cache, len, off + f->offset, 4, 0);
		return;
	}
	if (dot) {
		/* a segment's part: "cs.base" is member cs (a struct vmcb_seg), then its base */
		char seg[16];
		long seg_off, part;

		if ((size_t)(dot - f->kvm) >= sizeof(seg))
			return;
		memcpy(seg, f->kvm, (size_t)(dot - f->kvm));
		seg[dot - f->kvm] = '\0';
		if ((seg_off = member(t, type, seg, &size)) < 0 || (part = member(t, VMCB_SEG, dot + 1, &size)) < 0)
			return;
		if (size == f->size)
			put(v, f, cache, len, seg_off + part, (unsigned)size, 0);
		return;
	}
	if ((off = member(t, type, f->kvm, &size)) < 0)
		return;
	if (size == f->size) {
		put(v, f, cache, len, off, (unsigned)size, 0);
	} else if (size > 0 && size < f->size) {
		/* older kernels split a 64-bit field in two 32-bit members: exit_code and exit_code_hi */
		char hi[48];
		long hoff, hsize;

		snprintf(hi, sizeof(hi), "%s_hi", f->kvm);
		if ((hoff = member(t, type, hi, &hsize)) >= 0 && size + hsize == f->size) {
			put(v, f, cache, len, off, (unsigned)size, 0);
			put(v, f, cache, len, hoff, (unsigned)hsize, (unsigned)size);
		} else if (f->size > 8 || size < 1) {
			return;
		} else {
			/* a narrower member (tlb_ctl as a u8 of a wider field): the low bytes */
			put(v, f, cache, len, off, (unsigned)size, 0);
		}
	}
}

static int read_cached(const struct ns_target *t, const struct ns_kvm_offsets *o, const struct ns_vcpu *v,
		       struct ns_vmcb *out, char *label, size_t n, struct ns_error *err)
{
	uint8_t ctl[1024], save[1024];
	long ctl_len = o->v[NS_KM_SVM_CTL_CACHED_SIZE];
	long save_len = v->s.save_cached ? o->v[NS_KM_SVM_SAVE_CACHED_SIZE] : -1;

	memset(out, 0, sizeof(*out));
	out->copy = NS_VMCB_COPY_VMCB12_CACHED;
	out->partial = true;
	if (ctl_len <= 0 || ctl_len > (long)sizeof(ctl) || save_len > (long)sizeof(save))
		return ns_fail(err, NS_ERR_LAYOUT, "struct vmcb_ctrl_area_cached is %ld bytes, vmcb_save_area_cached %ld: "
			       "not a layout nestscope reads", ctl_len, save_len);
	if (!t->read(t->ctx, v->s.ctl_cached, ctl, (size_t)ctl_len))
		return ns_fail(err, NS_ERR_IO, "svm->nested.ctl at 0x%llx cannot be read", (unsigned long long)v->s.ctl_cached);
	if (save_len > 0 && !t->read(t->ctx, v->s.save_cached, save, (size_t)save_len))
		return ns_fail(err, NS_ERR_IO, "svm->nested.save at 0x%llx cannot be read",
			       (unsigned long long)v->s.save_cached);
	out->has_control = true;
	out->has_save = save_len > 0;
	for (size_t i = 0; i < ns_vmcb_field_count(); i++) {
		const struct ns_vmcb_field *f = ns_vmcb_field((enum ns_vmcb_field_id)i);

		if (f->area == NS_VMCB_CTRL)
			cached_field(t, out, f, ctl, (size_t)ctl_len);
		else if (save_len > 0)
			cached_field(t, out, f, save, (size_t)save_len);
	}
	snprintf(label, n, "KVM's cache of vmcb12 (svm->nested.ctl at 0x%llx, .save at 0x%llx), vCPU %u of pid %d",
		 (unsigned long long)v->s.ctl_cached, (unsigned long long)v->s.save_cached, v->idx, v->pid);
	return NS_OK;
}

int ns_svm_read_vmcb(const struct ns_target *t, const struct ns_kvm_offsets *o, const struct ns_vcpu *v,
		     enum ns_vmcb_copy which, struct ns_vmcb *out, char *label, size_t n, struct ns_error *err)
{
	uint8_t page[NS_VMCB_SIZE];  /* ns_vmcb_from_page clears out before it copies */
	uint64_t addr, hva;
	int rc;

	if (!v->svm)
		return ns_fail(err, NS_ERR_ARG, "vCPU %u of pid %d is not an AMD SVM vCPU (struct vcpu_svm)", v->idx, v->pid);
	switch (which) {
	case NS_VMCB_COPY_VMCB12_CACHED:
		return read_cached(t, o, v, out, label, n, err);
	case NS_VMCB_COPY_VMCB12_MEMORY:
		if (ns_vcpu_svm_state(v) == NS_SVM_OFF)
			return ns_fail(err, NS_ERR_ARG, "vCPU %u of pid %d: L1 does not use nested SVM (no vmcb12)", v->idx, v->pid);
		if ((rc = ns_kvm_gpa_to_hva(t, o, v->kvm, v->s.vmcb12_gpa, &hva, err)) ||
		    (rc = ns_kvm_read_user(t, o, v->kvm, hva, page, NS_VMCB_SIZE, err))) {
			char why[sizeof(err->msg)];

			memcpy(why, err->msg, sizeof(why));
			return ns_fail(err, rc, "L1's vmcb12 at GPA 0x%llx (vCPU %u, pid %d): %.200s",
				       (unsigned long long)v->s.vmcb12_gpa, v->idx, v->pid, why);
		}
		ns_vmcb_from_page(out, which, page, NS_VMCB_SIZE);
		snprintf(label, n, "vmcb12 in L1's memory at GPA 0x%llx (VMM address 0x%llx), vCPU %u of pid %d",
			 (unsigned long long)v->s.vmcb12_gpa, (unsigned long long)hva, v->idx, v->pid);
		return NS_OK;
	case NS_VMCB_COPY_VMCB02:
	case NS_VMCB_COPY_VMCB01:
		addr = which == NS_VMCB_COPY_VMCB02 ? v->s.vmcb02 : v->s.vmcb01;
		if (!addr)
			return ns_fail(err, NS_ERR_ARG, "vCPU %u of pid %d has no %s (KVM allocates vmcb02 when L1 sets EFER.SVME)",
				       v->idx, v->pid, ns_vmcb_copy_name(which));
		if (!t->read(t->ctx, addr, page, NS_VMCB_SIZE))
			return ns_fail(err, NS_ERR_IO, "%s at 0x%llx cannot be read from this target", ns_vmcb_copy_name(which),
				       (unsigned long long)addr);
		ns_vmcb_from_page(out, which, page, NS_VMCB_SIZE);
		snprintf(label, n, "%s at 0x%llx (physical 0x%llx), vCPU %u of pid %d%s", ns_vmcb_copy_name(which),
			 (unsigned long long)addr,
			 (unsigned long long)(which == NS_VMCB_COPY_VMCB02 ? v->s.vmcb02_pa : v->s.vmcb01_pa), v->idx, v->pid,
			 (which == NS_VMCB_COPY_VMCB02) == v->guest_mode ? ", the VMCB the vCPU runs on" : "");
		return NS_OK;
	case NS_VMCB_COPY_BLOB:
	case NS_VMCB_COPY_REGION:
		break;
	}
	return ns_fail(err, NS_ERR_ARG, "%s is not a copy a vCPU holds", ns_vmcb_copy_name(which));
}

const char *ns_svm_vmcb12_stale_note(const struct ns_vcpu *v, enum ns_vmcb_copy which)
{
	if (!v->guest_mode)
		return NULL;
	if (which == NS_VMCB_COPY_VMCB12_MEMORY)
		return "the vCPU is in L2: KVM writes L2's state and the exit information back to vmcb12 only at the #VMEXIT "
		       "to L1 (nested_svm_vmexit), so this page's save area and EXITCODE/EXITINFO are L1's last view; "
		       "vmcb02 has L2's current state";
	if (which == NS_VMCB_COPY_VMCB12_CACHED)
		return "the vCPU is in L2: KVM cached vmcb12 at VMRUN; L2's state since then is in vmcb02";
	return NULL;
}
