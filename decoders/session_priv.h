/*
 * The session's state and its readers, shared by the debugger commands
 * (session.c) and the triage report (triage.c); private to the core.
 */
#ifndef NESTSCOPE_SESSION_PRIV_H
#define NESTSCOPE_SESSION_PRIV_H

#include "nestscope/nestscope.h"
#include "nestscope/session.h"

#define MAX_VCPUS 4096

struct ns_session {
	const struct ns_target *t;
	const char *datadir;
	struct ns_kvm_offsets off;
	bool resolved;
	struct ns_vm vms[NS_MAX_VMS];
	struct ns_vcpu vcpus[MAX_VCPUS];
	size_t nvms, nvcpus;
	/* buffers the reports point into: two regions may be alive at once (a diff) */
	uint8_t region[2][NS_VMCS12_REGION_SIZE];
	struct ns_hwlayout hw[2];
	char copy[2][256], source[2][128];
	struct ns_vcpu_report vr;
	struct ns_report rep02;
	struct ns_diff diff;
	struct ns_check_report checks;
	struct ns_vmx_caps caps;
	struct ns_nested_state ns;
	struct ns_report raw;
};

/* Walks vm_list and every VM's vCPUs into s->vms and s->vcpus. */
int ns_session_walk(struct ns_session *s, struct ns_error *err);

/* One copy of a vCPU's vmcs12, read and decoded into s->vr. */
int ns_session_read_vmcs12(struct ns_session *s, const struct ns_vcpu *v, enum ns_vmcs12_copy which, bool force,
			   struct ns_error *err);

/*
 * A vCPU's hardware VMCS region read with the layout for its revision id
 * into rep; which (0 or 1) picks the buffers, as two may be alive at once.
 */
int ns_session_read_hw(struct ns_session *s, int which, const struct ns_vcpu *v, uint64_t region, const char *name,
		       const char *layout_file, struct ns_report *rep, struct ns_error *err);

/* cached_vmcs12 (into s->vr) against vmcs02 (s->rep02): s->diff. */
int ns_session_diff(struct ns_session *s, const struct ns_vcpu *v, const char *layout_file, struct ns_error *err);

/* The SDM checks on cached_vmcs12 against nested.msrs: s->checks (s->vr holds the vmcs12). */
int ns_session_checks(struct ns_session *s, const struct ns_vcpu *v, struct ns_error *err);

#endif
