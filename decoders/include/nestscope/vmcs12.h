/* KVM's software VMCS for L1 (struct vmcs12), an ABI-stable layout. */
#ifndef NESTSCOPE_VMCS12_H
#define NESTSCOPE_VMCS12_H

#include "layout.h"

#define NS_VMCS12_REVISION 0x11e57ed0u /* VMCS12_REVISION */
#define NS_VMCS12_REGION_SIZE 0x1000u  /* VMCS12_SIZE */
#define NS_VMCS12_STRUCT_SIZE 998u      /* sizeof(struct vmcs12) */

const struct ns_layout *ns_vmcs12_layout(void);

/* Something worth a warning in a region that still decodes. */
enum ns_finding_kind {
	NS_FIND_SHADOW_BIT,     /* the shadow-VMCS indicator is set (clear, in a shadow vmcs12) */
	NS_FIND_PADDING,        /* non-zero padding: maybe a newer kernel's field */
	NS_FIND_DEAD_SPACE,     /* non-zero dead_space (old cr3_target_value0..3) */
	NS_FIND_TAIL,           /* non-zero bytes past the end of struct vmcs12 */
	NS_FIND_NEWER_FIELDS,   /* the CET block is in use: only newer kernels fill it */
	NS_FIND_REVISION,       /* revision id is not VMCS12_REVISION (forced decode) */
	NS_FIND_ABORT,          /* the VMX-abort indicator is non-zero */
	NS_FIND_LAUNCH_STATE,   /* launch_state neither 0 (clear) nor 1 (launched) */
};

struct ns_finding {
	enum ns_finding_kind kind;
	uint16_t offset, len;    /* the bytes concerned */
	char text[200];
};

#define NS_MAX_FINDINGS 16

struct ns_vmcs12_info {
	uint32_t revision;       /* hdr.revision_id (31 bits) */
	bool shadow;             /* hdr.shadow_vmcs */
	uint32_t abort;
	uint32_t launch_state;
	unsigned nfindings;
	struct ns_finding findings[NS_MAX_FINDINGS];
};

/*
 * Checks a vmcs12 region of len bytes (at least the struct, normally 4096).
 * A wrong revision id is an error (NS_ERR_REVISION) unless force is set, in
 * which case it becomes a finding.  Everything else unusual is a finding.
 * shadow: the region is L1's shadow VMCS (the link pointer's target), whose
 * shadow-VMCS indicator must be set; in an ordinary vmcs12 it must be clear.
 */
int ns_vmcs12_inspect(const uint8_t *data, size_t len, bool force, bool shadow,
		      struct ns_vmcs12_info *info, struct ns_error *err);

/* A vmcs12's launch state (its header word): "clear", "launched", or "invalid" for any other value. */
const char *ns_launch_state_str(uint32_t s);

/*
 * The i-th slot of struct vmcs12, in vmcs12_layout.def's order, for a
 * debugger's pretty-printer: the kernel's member name, the VMCS field it
 * holds (the catalog's name; NULL for the header, padding and dead space)
 * and that field's section (ns_ftype_name(), which is also the section's key
 * in a decode document: "control", "exit-info", "guest", "host"; "header" for
 * the revision id, abort and launch state; NULL for padding and dead space).
 * false past the last slot.
 */
bool ns_vmcs12_slot(size_t i, const char **member, const char **field, const char **section);

#endif
