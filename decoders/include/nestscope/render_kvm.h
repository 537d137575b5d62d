/* `kvm` / `kvm -v`: the VMs on vm_list and their vCPUs' nested state. */
#ifndef NESTSCOPE_RENDER_KVM_H
#define NESTSCOPE_RENDER_KVM_H

#include "locate.h"
#include "render.h"

/* kvm -j's document (docs/json-schema.md) */
#define NS_KVM_SCHEMA "nestscope/kvm/2"

/* vm_err[i]: why VM i's vCPUs could not be listed (code NS_OK when they were); NULL: none */
void ns_render_kvm_text(struct ns_out *o, const struct ns_vm *vms, const struct ns_error *vm_err, size_t nvms,
			const struct ns_vcpu *vcpus, size_t nvcpus, bool verbose);
void ns_render_kvm_json(struct ns_out *o, const struct ns_vm *vms, const struct ns_error *vm_err, size_t nvms,
			const struct ns_vcpu *vcpus, size_t nvcpus, bool verbose);

#endif
