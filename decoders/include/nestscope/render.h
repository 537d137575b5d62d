/*
 * Render: the only part of the core that prints.  Output goes through a
 * sink, so the CLI (stdio), crash (its fp) and gdb (a buffer) share it.
 */
#ifndef NESTSCOPE_RENDER_H
#define NESTSCOPE_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "decode.h"
#include "explain.h"
#include "vmcb.h"

struct ns_out {
	void (*write)(void *ctx, const char *s, size_t n);
	void *ctx;
};

struct ns_out ns_out_file(FILE *f);
void ns_printf(struct ns_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Which sections to show; all four by default. */
#define NS_SECT_GUEST 0x1
#define NS_SECT_HOST 0x2
#define NS_SECT_CTRL 0x4
#define NS_SECT_EXIT 0x8
#define NS_SECT_ALL 0xf

/*
 * The i-th section of a decoded VMCS in the order the text shows them
 * (dump_vmcs()'s: guest, host, control, exit-info), by its key (a decode
 * document's section name, the catalog's ns_ftype_name()); NULL past the last.
 */
const char *ns_vmcs_section_key(size_t i);

struct ns_render_opts {
	unsigned sections;  /* NS_SECT_* */
	bool all;           /* show zero fields too */
};

/* The version of the JSON document layout (docs/json-schema.md). */
#define NS_JSON_SCHEMA "nestscope/decode/2"

/* A report's text; its JSON is written in a decode/2 document (render/report_doc.h). */
void ns_render_text(struct ns_out *o, const struct ns_report *r, const struct ns_render_opts *opt);

/*
 * A VMCB as text: a line naming the copy (label, or the copy's name), then the
 * control area and the save area as KVM's dump_vmcb() orders them; zero
 * fields only with opt->all; -c/-x show the control area, -g the save area.
 */
void ns_render_vmcb_text(struct ns_out *o, const struct ns_vmcb *v, const char *label,
			 const struct ns_render_opts *opt);

/* `explain --json`: one value and its decoding (d may be NULL). */
void ns_render_explain_json(struct ns_out *o, const char *kind, uint64_t value, const struct ns_decoding *d);

/* A command's note beside its report, as a line of text; nothing in JSON, which holds documents only. */
void ns_render_note(struct ns_out *o, bool json, const char *text);

/* `explain` as text: "0x...  decoding" (d may be NULL). */
void ns_render_explain_text(struct ns_out *o, uint64_t value, const struct ns_decoding *d);

/* `fields`: the catalog, filtered as the user asked; returns how many fields it showed. */
struct ns_fields_query {
	const char *filter;  /* a substring of a name or SDM name, or an encoding (0x681e); NULL: all */
	int type;            /* enum ns_ftype, or -1: all */
	int in12;            /* 1: only fields struct vmcs12 has, 0: only those it lacks, -1: both */
	bool high;           /* also the HIGH halves of 64-bit fields */
};
unsigned ns_render_fields(struct ns_out *o, bool json, const struct ns_fields_query *q);

/* One field, as a line "NAME  0x...  decoding" (used by front ends). */
void ns_render_field_line(struct ns_out *o, const struct ns_field *f, bool high, uint64_t v,
			  const struct ns_context *ctx);

#endif
