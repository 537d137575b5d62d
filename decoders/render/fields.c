/*
 * `fields`: the catalog of VMCS fields (fields/1 and its table), with the
 * view the user chose (a filter, a type, vmcs12 or not, the HIGH halves).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "render/json.h"
#include "nestscope/catalog.h"
#include "nestscope/layout.h"
#include "nestscope/render.h"
#include "nestscope/vmcs12.h"

static bool matches(const struct ns_field *f, const char *filter)
{
	char *end;
	unsigned long enc;

	if (!filter)
		return true;
	enc = strtoul(filter, &end, 16);
	if (*filter && !*end && (!strncasecmp(filter, "0x", 2)))
		return f->encoding == (enc & ~1ul);
	return strcasestr(f->name, filter) || strcasestr(f->sdm_name, filter);
}

static void vmcs12_column(const struct ns_field *f, bool high, char *buf, size_t n)
{
	struct ns_slot s;

	if (!ns_layout_find(ns_vmcs12_layout(), f->encoding | (high ? 1 : 0), &s))
		snprintf(buf, n, "-");
	else if (s.kind == NS_SLOT_NEWER)
		snprintf(buf, n, "cet@%u", s.offset);
	else
		snprintf(buf, n, "%u", s.offset);
}

static void json_field(struct json *j, const struct ns_field *f, bool h, bool has, const struct ns_slot *s)
{
	char enc[8], name[96], sdm[160];

	snprintf(enc, sizeof(enc), "0x%04x", f->encoding | h);
	snprintf(name, sizeof(name), "%s%s", f->name, h ? "_HIGH" : "");
	snprintf(sdm, sizeof(sdm), "%s%s", f->sdm_name, h ? " (high 32 bits)" : "");
	json_obj_begin(j);
	json_kv_str(j, "encoding", enc);
	json_kv_str(j, "name", name);
	json_kv_str(j, "sdm_name", sdm);
	json_kv_str(j, "width", h ? "32" : ns_width_name(f->width));
	json_kv_str(j, "type", ns_ftype_name(f->type));
	json_kv_bool(j, "in_linux", f->in_linux);
	json_key(j, "vmcs12_offset");
	if (has)
		json_uint(j, s->offset + 4 * h);
	else
		json_null(j);
	json_key(j, "vmcs12_kernels");
	if (has)
		json_str(j, s->kind == NS_SLOT_NEWER ? "newer" : "all");
	else
		json_null(j);
	json_obj_end(j);
}

unsigned ns_render_fields(struct ns_out *o, bool json, const struct ns_fields_query *q)
{
	struct json j;
	unsigned shown = 0;

	if (json) {
		json_init(&j, o);
		json_obj_begin(&j);
		json_kv_str(&j, "schema", "nestscope/fields/1");
		json_key(&j, "fields");
		json_arr_begin(&j);
	}
	for (size_t i = 0; i < ns_field_count(); i++) {
		const struct ns_field *f = ns_field_at(i);
		struct ns_slot s;
		bool has = ns_layout_find(ns_vmcs12_layout(), f->encoding, &s);

		if (!matches(f, q->filter) || (q->type >= 0 && (int)f->type != q->type) ||
		    (q->in12 >= 0 && has != (bool)q->in12))
			continue;
		for (int h = 0; h <= (q->high && f->width == NS_W64); h++) {
			char col[16];

			shown++;
			if (json) {
				json_field(&j, f, h, has, &s);
				continue;
			}
			vmcs12_column(f, h, col, sizeof(col));
			if (shown == 1)
				ns_printf(o, "%-6s  %-30s %-7s %-9s %-7s %-5s %s\n", "ENC", "NAME", "WIDTH", "TYPE",
					  "VMCS12", "LINUX", "SDM NAME");
			ns_printf(o, "0x%04x  %-30s %-7s %-9s %-7s %-5s %s%s\n", f->encoding | h, h ? "" : f->name,
				  h ? "32" : ns_width_name(f->width), ns_ftype_name(f->type), col,
				  f->in_linux ? "y" : "-", h ? "  HIGH half of " : "", h ? f->name : f->sdm_name);
		}
	}
	if (json) {
		json_arr_end(&j);
		json_obj_end(&j);
	}
	return shown;
}
