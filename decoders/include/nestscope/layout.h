/*
 * A layout maps field encodings to bytes of a VMCS region.  KVM's vmcs12 is
 * the built-in one; hardware layouts keyed by revision id come later.
 */
#ifndef NESTSCOPE_LAYOUT_H
#define NESTSCOPE_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "error.h"

enum ns_slot_kind {
	NS_SLOT_FIELD,  /* a field every kernel with nested VMX fills */
	NS_SLOT_HDR,    /* revision/shadow bit, abort, launch state */
	NS_SLOT_PAD,    /* padding: zero unless a newer kernel put a field there */
	NS_SLOT_DEAD,   /* dead_space: once cr3_target_value0..3 */
	NS_SLOT_NEWER,  /* a field only newer kernels fill (nested CET) */
};

/* How a hardware layout stores a value, when not as-is. */
enum ns_slot_xform {
	NS_XFORM_NONE,
	NS_XFORM_ROL8,  /* stored rotated left by 8 (Bochs's segment access rights) */
};

struct ns_slot {
	uint16_t offset;
	uint16_t size;
	const char *member;    /* the kernel's struct member name */
	uint32_t encoding;     /* NS_NOENC when the slot holds no VMCS field */
	enum ns_slot_kind kind;
	enum ns_slot_xform xform;
};
#define NS_NOENC 0xffffffffu

struct ns_layout {
	const char *name;          /* "vmcs12" */
	uint32_t revision;         /* the region's revision id */
	size_t region_size;        /* bytes of the region (4096) */
	size_t struct_size;        /* bytes the layout defines (998 for vmcs12) */
	const struct ns_slot *slots;
	size_t nslots;
};

/* The slot that holds an encoding (HIGH halves map to offset+4, size 4). */
bool ns_layout_find(const struct ns_layout *l, uint32_t encoding, struct ns_slot *out);

/*
 * A VMCS image: bytes plus the layout that explains them, and which copy of
 * the VMCS they are ("vmcs12 from KVM_GET_NESTED_STATE", "raw file" ...).
 */
struct ns_vmcs {
	const struct ns_layout *layout;
	const uint8_t *data;
	size_t len;
	const char *copy;
};

/* Reads the value in one slot of the layout (false if past the bytes present). */
bool ns_vmcs_read_slot(const struct ns_vmcs *v, const struct ns_slot *s, uint64_t *value);

/* Reads one field.  NS_ERR_ARG if the layout has no slot for it. */
int ns_vmcs_read(const struct ns_vmcs *v, uint32_t encoding, uint64_t *value,
		 struct ns_error *err);

#endif
