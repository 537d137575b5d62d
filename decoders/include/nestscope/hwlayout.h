/*
 * Hardware VMCS layouts (vmcs01, vmcs02): the CPU's own, undocumented, keyed
 * by the region's revision id.  Bochs's is built in; others come from layout
 * files (docs/layout-format.md), e.g. written by the layout-discovery probe.
 */
#ifndef NESTSCOPE_HWLAYOUT_H
#define NESTSCOPE_HWLAYOUT_H

#include "layout.h"
#include "render.h"

#define NS_HWLAYOUT_MAX_SLOTS 512
#define NS_BOCHS_REVISION 0x2bu
#define NS_EVMCS_REVISION 1u  /* KVM_EVMCS_VERSION: a Hyper-V enlightened VMCS */

struct ns_hwlayout {
	struct ns_layout layout;      /* points into slots[] and name[] */
	struct ns_slot slots[NS_HWLAYOUT_MAX_SLOTS];
	char name[64];
	char origin[256];             /* "built in" or the file it came from */
};

/* Bochs 2.7's layout (Debian 12's bochs), revision 0x2b. */
void ns_hwlayout_bochs(struct ns_hwlayout *l);

/* The Hyper-V enlightened VMCS (TLFS), revision 1: what L1 writes when it uses eVMCS. */
void ns_hwlayout_evmcs(struct ns_hwlayout *l);
/* Parses a layout file (text); hostile input gives an error, never a bad layout. */
int ns_hwlayout_parse(const char *text, size_t len, const char *origin, struct ns_hwlayout *l, struct ns_error *err);

/* Writes a layout in the layout-file format. */
void ns_hwlayout_write(struct ns_out *o, const struct ns_hwlayout *l);

/*
 * The layout for a revision id: first the layout files in dirs (every
 * *.layout file, in order), then the built-in ones.  NS_ERR_ARG if none.
 */
int ns_hwlayout_for_revision(uint32_t revision, const char *const *dirs, size_t ndirs, struct ns_hwlayout *l,
			     struct ns_error *err);

/*
 * The layout for a region's revision id as the front ends look for it: FILE
 * if given (it must be for that revision), else the layout files in
 * ~/.config/nestscope/layouts and datadir/layouts, else a built-in one.
 */
int ns_hwlayout_lookup(uint32_t revision, const char *file, const char *datadir, struct ns_hwlayout *l,
		       struct ns_error *err);

/* The header of a hardware region: revision id, shadow bit, abort indicator, launch state. */
int ns_hwvmcs_inspect(const uint8_t *data, size_t len, const struct ns_layout *layout, bool force,
		      struct ns_vmcs12_info *info, struct ns_error *err);

#endif
