/* A command's note beside its report (a debugger command's, in text only). */
#include <stdio.h>

#include "nestscope/render.h"

void ns_render_note(struct ns_out *o, bool json, const char *text)
{
	if (!json)
		ns_printf(o, "%s\n", text);
}
