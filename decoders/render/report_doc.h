/*
 * One decode/2 document of the reports a command line produces, written as
 * they come (vmcs12 -a: one per vCPU; a migration stream: one per vCPU), so
 * that one command line prints one document.  Text output is the reports one
 * after the other.  Private to the core and the CLI.
 */
#ifndef NS_RENDER_REPORT_DOC_H
#define NS_RENDER_REPORT_DOC_H

#include "nestscope/render.h"
#include "render/json.h"

struct ns_report_doc {
	struct ns_out *o;
	bool json;
	struct ns_render_opts opt;
	unsigned n;          /* reports written */
	struct json j;       /* the document while it is open */
};

void ns_render_doc_begin(struct ns_report_doc *d, struct ns_out *o, bool json, const struct ns_render_opts *opt);
void ns_render_doc_add(struct ns_report_doc *d, const struct ns_report *r);
void ns_render_doc_end(struct ns_report_doc *d);

#endif
