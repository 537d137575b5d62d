/*
 * The session's state and its readers, shared by the debugger commands
 * (session.c) and the triage report (triage.c); private to the core.
 */
#ifndef NESTSCOPE_SESSION_PRIV_H
#define NESTSCOPE_SESSION_PRIV_H

#include "nestscope/nestscope.h"
#include "nestscope/session.h"

#define MAX_VCPUS 4096

/*
 * A session holds only what every command shares and nothing a command
 * returns: the target, where layout files are, and the offsets resolved
 * once.  What a command reads (the walk, a vmcs12, a hardware VMCS, a diff)
 * is the caller's, in the structs below.
 */
struct ns_session {
	const struct ns_target *t;
	const char *datadir;
	struct ns_kvm_offsets off;
	bool resolved;
	bool vendor_checked;  /* kvm_amd without kvm_intel was looked for (ns_session_ready) */
};

/* Whether a module of that name is on the target's module list: 1 yes, 0 no, <0 the list cannot be walked (modsyms.c). */
int kvm_module_loaded(const struct ns_target *t, const char *module, struct ns_error *err);

/*
 * The one vCPU walker's result: every VM on vm_list and its vCPUs.  A VM
 * whose vCPUs cannot be listed keeps its error (vm_err[i].code != NS_OK) and
 * no vCPUs; the other VMs are still walked.  VM i's vCPUs are
 * vcpus[first[i]] .. vcpus[first[i] + count[i] - 1].
 */
struct ns_walk {
	struct ns_vm vms[NS_MAX_VMS];
	struct ns_error vm_err[NS_MAX_VMS];
	size_t first[NS_MAX_VMS], count[NS_MAX_VMS];
	size_t nvms;
	struct ns_vcpu vcpus[MAX_VCPUS];
	size_t nvcpus;
};

/*
 * Walks vm_list and every VM's vCPUs into w (large: allocate it).  Fails
 * only when vm_list itself cannot be walked.
 */
int ns_session_walk(struct ns_session *s, struct ns_walk *w, struct ns_error *err);

/* The vCPU sel names, which must be an AMD host's (struct vcpu_svm); ref as the VMX commands fill it. */
int ns_session_pick_svm_vcpu(struct ns_session *s, const struct ns_vcpu_sel *sel, bool json, struct ns_vcpu *v,
			     struct ns_vcpu_ref *ref, struct ns_out *o, struct ns_error *err);

/* One copy of a vCPU's vmcs12, read and decoded: vr's report points into region. */
struct ns_vmcs12_read {
	uint8_t region[NS_VMCS12_REGION_SIZE];
	struct ns_vcpu_report vr;
};
int ns_session_read_vmcs12(struct ns_session *s, const struct ns_vcpu *v, enum ns_vmcs12_copy which, bool force,
			   struct ns_vmcs12_read *out, struct ns_error *err);

/* A vCPU's hardware VMCS region read with the layout for its revision id: rep points into the rest. */
struct ns_hw_read {
	uint8_t region[4096];
	struct ns_hwlayout hw;
	char copy[256], source[128];
	struct ns_copy_ref ref;  /* name, region and layout; label: copy */
	struct ns_report rep;
};
int ns_session_read_hw(struct ns_session *s, const struct ns_vcpu *v, uint64_t region, const char *name,
		       const char *layout_file, struct ns_hw_read *out, struct ns_error *err);

/* vmcs02 / vmcs01 of a vCPU: hw.rep is the report (its kvm_copies points to view) */
struct ns_loaded_vmcs_read {
	struct ns_hw_read hw;
	struct ns_loaded_vmcs_view view;
};
int ns_session_loaded_vmcs(struct ns_session *s, const struct ns_vcpu *v, bool is02, const char *layout_file,
			   struct ns_loaded_vmcs_read *out, struct ns_error *err);

/* cached_vmcs12 (read into v12) against vmcs02 (into v02): the diff. */
int ns_session_diff(struct ns_session *s, const struct ns_vcpu *v, const char *layout_file, struct ns_vmcs12_read *v12,
		    struct ns_hw_read *v02, struct ns_diff *diff, struct ns_error *err);

/* The SDM checks on cached_vmcs12 (read into v12) against nested.msrs (caps). */
int ns_session_checks(struct ns_session *s, const struct ns_vcpu *v, struct ns_vmcs12_read *v12,
		      struct ns_vmx_caps *caps, struct ns_check_report *checks, struct ns_error *err);

#endif
