/* A VMCB in a decode/2 report (render/vmcb.c).  Private to render/. */
#ifndef NS_RENDER_VMCB_H
#define NS_RENDER_VMCB_H

#include "render/json.h"
#include "nestscope/model.h"
#include "nestscope/render.h"
#include "nestscope/vmcb.h"

/* decode/2's vmcb object {kind, copy, control_area, save_area, fields[]}, as a value. */
void ns_emit_vmcb(struct json *j, const struct ns_vmcb *v, const struct ns_copy_ref *ref,
		  const struct ns_render_opts *opt);

#endif
