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
/* A report on a raw VMCB page (r: source and format "vmcb"), with the page and which copy it is. */
void ns_render_doc_add_vmcb(struct ns_report_doc *d, const struct ns_report *r, const struct ns_vmcb *v,
			    const struct ns_copy_ref *ref);

/*
 * capture's one document (nestscope/capture/2): what was dumped and the scan
 * (begin), a report per region decoded (add), written as they come; in text
 * the capture line, the scan's table, and the reports each after a blank line
 * (gap, before a region is decoded, whether or not it decodes).
 */
struct ns_scan;
struct ns_capture_info;
struct ns_capture_doc {
	struct ns_report_doc rep;  /* its JSON writer is the document's */
};

void ns_render_capture_begin(struct ns_capture_doc *d, struct ns_out *o, bool json, const struct ns_capture_info *c,
			     const struct ns_scan *s);
void ns_render_capture_gap(struct ns_capture_doc *d);
void ns_render_capture_add(struct ns_capture_doc *d, const struct ns_report *r);
/* A VMCB the scan found, as decode -f vmcb reports one (ns_render_doc_add_vmcb). */
void ns_render_capture_add_vmcb(struct ns_capture_doc *d, const struct ns_report *r, const struct ns_vmcb *v,
				const struct ns_copy_ref *ref);
void ns_render_capture_end(struct ns_capture_doc *d);

#endif
