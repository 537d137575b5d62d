/*
 * The concepts several documents share, each written by one function so that
 * every document spells it the same way (docs/json-schema/common-v1.json's
 * $defs of the same names).  Private to render/.
 */
#ifndef NS_RENDER_COMMON_H
#define NS_RENDER_COMMON_H

#include "render/json.h"
#include "nestscope/checks.h"
#include "nestscope/diff.h"
#include "nestscope/explain.h"
#include "nestscope/locate.h"
#include "nestscope/model.h"
#include "nestscope/vmcs12.h"  /* ns_launch_state_str */

/* key: vcpu_ref, or null when r is NULL or not known */
void ns_emit_vcpu_ref(struct json *j, const char *key, const struct ns_vcpu_ref *r);
/* key: copy_ref */
void ns_emit_copy_ref(struct json *j, const char *key, const struct ns_copy_ref *c);
/* key: finding {id, message} */
void ns_emit_finding(struct json *j, const char *key, const char *id, const char *message);
/* key: check_counts {rules, pass, fail, not_applicable} */
void ns_emit_check_counts(struct json *j, const char *key, const struct ns_check_report *r);
/* the same from the five numbers */
void ns_emit_check_count_values(struct json *j, const char *key, unsigned rules, unsigned pass, unsigned fail,
				unsigned not_judged, unsigned na);
/* key: capabilities {source, maxphyaddr, msrs[]}; caps may be NULL (source says why) */
void ns_emit_capabilities(struct json *j, const char *key, const char *source, const struct ns_vmx_caps *caps);
/* diff_counts' members {compared, equal, differ, counts{}} into the object being written */
void ns_emit_diff_counts(struct json *j, const struct ns_diff *d);
/* the same from the counts alone (count: by enum ns_diff_class) */
void ns_emit_diff_count_members(struct json *j, unsigned compared, unsigned equal, unsigned differ,
				const unsigned count[4]);
/* a decoding {text, flags, values, reserved, notes}, as a value (no key) */
void ns_emit_decoding(struct json *j, const struct ns_decoding *d);
/* key: decoded_value {value, decoded}; decoded null when the decoder says nothing of value */
void ns_emit_decoded_value(struct json *j, const char *key, enum ns_decoder dec, uint64_t value,
			   const struct ns_context *ctx);
/* A VM's members {kvm, pid, comm, online_vcpus, vm_type, skipped} into the object being written (kvm/2, triage/2) */
void ns_emit_vm_members(struct json *j, const struct ns_vm *vm);
/*
 * A vCPU's members into the object being written, the same in kvm/2 and
 * triage/2: index, kvm_vcpu, vcpu_vmx, mode, state, hflags, hflags_agrees,
 * vmxon, vmxon_pa, vmcs12_pa, nested_run_pending, the copies' addresses,
 * loaded_copy and l0_last_exit_reason.
 */
void ns_emit_vcpu_members(struct json *j, const struct ns_vcpu *v);
/* The same for an AMD host's vCPU (struct vcpu_svm): common-v1's $defs/vcpu_svm. */
void ns_emit_svm_vcpu_members(struct json *j, const struct ns_vcpu *v);
const char *ns_svm_state_str(enum ns_svm_state s);      /* "l1_no_svm", "l1_svm", "l2" */
const char *ns_svm_current_str(const struct ns_vcpu *v); /* "vmcb01", "vmcb02", "unknown" */

/* The names JSON gives the copy and address-space enums, and verdicts (never "n/a") */
const char *ns_copy_name_str(enum ns_copy_name n);
const char *ns_addr_space_str(enum ns_addr_space s);
const char *ns_verdict_str(enum ns_verdict v);
const char *ns_vmx_state_str(enum ns_vmx_state s);
/* which of its VMCSs the vCPU has loaded: "vmcs01", "vmcs02" or "unknown" */
const char *ns_loaded_copy_str(const struct ns_vcpu *v);

#endif
