/*
 * Rendering the vmcs12 ABI check (nestscope abi; vmcs12-abi in gdb and
 * crash): one line per finding, then the verdict; JSON with the same
 * sentences (docs/json-schema.md: nestscope/abi/2).
 */
#include <stdio.h>
#include <string.h>

#include "render/json.h"
#include "nestscope/catalog.h"
#include "nestscope/vmcs12.h"
#include "nestscope/vmcs12_abi.h"

static unsigned long long u(uint64_t v)
{
	return (unsigned long long)v;
}

/* The last byte of a range, for "680..743". */
static unsigned long long last(uint64_t off, uint64_t size)
{
	return size ? u(off + size - 1) : u(off);
}

static const char *field_name(uint32_t encoding)
{
	struct ns_field_ref ref;

	return encoding != NS_NOENC && ns_field_lookup(encoding, &ref) ? ref.field->name : NULL;
}

/* The finding as one sentence (without its kind). */
static void sentence(const struct ns_abi_finding *f, const struct ns_abi_report *r, char *buf, size_t n)
{
	const char *field = field_name(f->encoding);

	switch (f->kind) {
	case NS_ABI_ADDED:
		if (f->table_member && f->table_newer)
			snprintf(buf, n, "%s at %llu, %llu bytes, in former padding: the table has it as %s (NEWER: "
				 "filled by kernels with nested CET only)", f->member, u(f->offset), u(f->size),
				 field ? field : f->table_member);
		else if (f->table_member)
			snprintf(buf, n, "%s at %llu, %llu bytes, in former padding (the table's %s, %llu..%llu): "
				 "the table does not decode it", f->member, u(f->offset), u(f->size), f->table_member,
				 u(f->table_offset), last(f->table_offset, f->table_size));
		else
			snprintf(buf, n, "%s at %llu, %llu bytes, past the end of the table's struct (%llu bytes), "
				 "inside the 4 KiB region: the table does not decode it", f->member, u(f->offset),
				 u(f->size), u(r->table_size));
		break;
	case NS_ABI_ABSENT: {
		char where[128];

		if (f->padding[0])
			snprintf(where, sizeof(where), "its padding member %s (%llu..%llu) holds the bytes", f->padding,
				 u(f->padding_offset), last(f->padding_offset, f->padding_size));
		else
			snprintf(where, sizeof(where), "its bytes are past the end of the struct");
		snprintf(buf, n, "%s (%s%s%llu..%llu) is not in this kernel: %s, as on %s", f->table_member,
			 field ? field : "", field ? ", " : "", u(f->table_offset), last(f->table_offset, f->table_size),
			 where, f->table_newer ? "kernels without nested CET" : "kernels older than this field");
		break;
	}
	case NS_ABI_PADDING:
		snprintf(buf, n, "%s is %llu..%llu (%llu bytes) here, %llu..%llu (%llu bytes) in the table", f->member,
			 u(f->offset), last(f->offset, f->size), u(f->size), u(f->table_offset),
			 last(f->table_offset, f->table_size), u(f->table_size));
		break;
	case NS_ABI_DEAD:
		snprintf(buf, n, "%s at %llu, %llu bytes: inside the table's %s (%llu..%llu), which nestscope does not "
			 "decode (KVM's former cr3_target_value0..3)", f->member, u(f->offset), u(f->size),
			 f->table_member, u(f->table_offset), last(f->table_offset, f->table_size));
		break;
	case NS_ABI_SIZE:
		snprintf(buf, n, "sizeof(struct vmcs12) is %llu here, %llu in the table (both inside the 4 KiB region)",
			 u(f->size), u(r->table_size));
		break;
	case NS_ABI_UNLISTED:
		snprintf(buf, n, "this debugger looks members up by name: members the kernel added under names the "
			 "table does not know cannot be listed");
		break;
	case NS_ABI_MOVED:
		snprintf(buf, n, "%s is at %llu (%llu bytes) here, at %llu (%llu bytes) in the table", f->member,
			 u(f->offset), u(f->size), u(f->table_offset), u(f->table_size));
		break;
	case NS_ABI_RESIZED:
		snprintf(buf, n, "%s (at %llu) is %llu bytes here, %llu in the table", f->member, u(f->offset),
			 u(f->size), u(f->table_size));
		break;
	case NS_ABI_OVERLAP:
		snprintf(buf, n, "%s at %llu, %llu bytes, is not in the table and lies over its %s%s%s%s (%llu..%llu)",
			 f->member, u(f->offset), u(f->size), f->table_member, field ? " (" : "", field ? field : "",
			 field ? ")" : "", u(f->table_offset), last(f->table_offset, f->table_size));
		break;
	case NS_ABI_MISSING:
		snprintf(buf, n, "%s%s%s%s (%llu..%llu) is not in this kernel, and its bytes are not padding here",
			 f->table_member, field ? " (" : "", field ? field : "", field ? ")" : "", u(f->table_offset),
			 last(f->table_offset, f->table_size));
		break;
	case NS_ABI_TOO_BIG:
		snprintf(buf, n, "sizeof(struct vmcs12) is %llu: more than the %u-byte vmcs12 region", u(f->size),
			 NS_VMCS12_REGION_SIZE);
		break;
	default:
		snprintf(buf, n, "?");
	}
}

static bool newer_involved(const struct ns_abi_report *r)
{
	for (unsigned i = 0; i < r->nfindings; i++)
		if (r->findings[i].table_newer &&
		    (r->findings[i].kind == NS_ABI_ADDED || r->findings[i].kind == NS_ABI_ABSENT))
			return true;
	return false;
}

/* "a, b, c" of the findings of one kind: kernel names, or the table's for ABSENT. */
static void names_of(const struct ns_abi_report *r, enum ns_abi_kind k, char *buf, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < r->nfindings && used < n; i++) {
		const struct ns_abi_finding *f = &r->findings[i];
		const char *name = k == NS_ABI_ABSENT || k == NS_ABI_MISSING ? f->table_member : f->member;
		int w;

		if (f->kind != k)
			continue;
		w = snprintf(buf + used, n - used, "%s%s", used ? ", " : "", name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

void ns_render_abi_text(struct ns_out *o, const struct ns_abi_report *r, const char *release, const char *origin)
{
	char text[512], names[1024];

	ns_printf(o, "struct vmcs12 of %s%s%s%s%s against nestscope's table\n", release && *release ? "Linux " : "",
		  release && *release ? release : "this kernel", origin ? " (" : "", origin ? origin : "",
		  origin ? ")" : "");
	if (r->kernel_size)
		ns_printf(o, "%-9s %llu bytes, %u %s\n", "kernel", u(r->kernel_size), r->kernel_members,
			  r->lookup_only ? "of the table's members found by name" : "members");
	else
		ns_printf(o, "%-9s size unknown, %u %s\n", "kernel", r->kernel_members,
			  r->lookup_only ? "of the table's members found by name" : "members");
	ns_printf(o, "%-9s %llu bytes, %u members, VMCS12_REVISION 0x%08x\n", "table", u(r->table_size),
		  r->table_members, NS_VMCS12_REVISION);
	ns_printf(o, "%-9s %u of the table's %u members at the kernel's offset and size\n", "same", r->same,
		  r->table_members);
	for (unsigned i = 0; i < r->nfindings; i++) {
		sentence(&r->findings[i], r, text, sizeof(text));
		ns_printf(o, "%-9s %s\n", ns_abi_kind_name(r->findings[i].kind), text);
	}
	if (!r->added && !r->lookup_only)
		ns_printf(o, "%-9s none: no member in the table's padding or past its end\n", "added");
	if (r->dropped)
		ns_printf(o, "%-9s %u more findings not listed\n", "...", r->dropped);
	if (newer_involved(r))
		ns_printf(o, "%-9s VMCS12_REVISION is 0x%08x with and without the nested CET fields: a vmcs12 alone does "
			  "not say which of the two layouts it has\n", "note", NS_VMCS12_REVISION);
	if (r->breaks) {
		ns_printf(o, "%-9s ABI BREAK: %u finding%s (moved, resized, overlapping or missing members): the "
			  "built-in table decodes this kernel's vmcs12 wrongly there\n", "verdict", r->breaks,
			  r->breaks == 1 ? "" : "s");
		return;
	}
	ns_printf(o, "%-9s compatible: no member moved, resized or over a table member", "verdict");
	if (r->added) {
		names_of(r, NS_ABI_ADDED, names, sizeof(names));
		ns_printf(o, "; %u added in former padding (%s)", r->added, names);
	}
	if (r->absent) {
		names_of(r, NS_ABI_ABSENT, names, sizeof(names));
		ns_printf(o, "; %u table members not in this kernel, padding in their place (%s)", r->absent, names);
	}
	ns_printf(o, "\n");
}

static void json_names(struct json *j, const char *key, const struct ns_abi_report *r, enum ns_abi_kind k)
{
	json_key(j, key);
	json_arr_begin(j);
	for (unsigned i = 0; i < r->nfindings; i++)
		if (r->findings[i].kind == k)
			json_str(j, k == NS_ABI_ABSENT ? r->findings[i].table_member : r->findings[i].member);
	json_arr_end(j);
}

void ns_render_abi_json(struct ns_out *o, const struct ns_abi_report *r, const char *release, const char *origin)
{
	struct json j;
	char text[512];

	json_init(&j, o);
	json_obj_begin(&j);
	json_kv_str(&j, "schema", NS_ABI_SCHEMA);
	json_key(&j, "release");
	if (release && *release)
		json_str(&j, release);
	else
		json_null(&j);
	json_key(&j, "types");
	if (origin)
		json_str(&j, origin);
	else
		json_null(&j);
	json_kv_bool(&j, "lookup_only", r->lookup_only);
	json_key(&j, "kernel");
	json_obj_begin(&j);
	json_key(&j, "size");
	if (r->kernel_size)
		json_uint(&j, r->kernel_size);
	else
		json_null(&j);
	json_kv_uint(&j, "members", r->kernel_members);
	json_obj_end(&j);
	json_key(&j, "table");
	json_obj_begin(&j);
	json_kv_uint(&j, "size", r->table_size);
	json_kv_uint(&j, "members", r->table_members);
	json_kv_hex(&j, "revision", NS_VMCS12_REVISION);
	json_obj_end(&j);
	json_kv_uint(&j, "same", r->same);
	json_kv_bool(&j, "compatible", !r->breaks);
	json_kv_uint(&j, "break_count", r->breaks);
	json_names(&j, "added", r, NS_ABI_ADDED);
	json_names(&j, "absent", r, NS_ABI_ABSENT);
	json_key(&j, "findings");
	json_arr_begin(&j);
	for (unsigned i = 0; i < r->nfindings; i++) {
		const struct ns_abi_finding *f = &r->findings[i];
		const char *field = field_name(f->encoding);

		json_obj_begin(&j);
		json_kv_str(&j, "kind", ns_abi_kind_name(f->kind));
		json_kv_bool(&j, "breaks", ns_abi_kind_breaks(f->kind));
		json_key(&j, "member");
		if (f->member[0]) {
			json_str(&j, f->member);
			json_kv_uint(&j, "offset", f->offset);
			json_kv_uint(&j, "size", f->size);
		} else {
			json_null(&j);
		}
		json_key(&j, "table_member");
		if (f->table_member) {
			json_str(&j, f->table_member);
			json_kv_uint(&j, "table_offset", f->table_offset);
			json_kv_uint(&j, "table_size", f->table_size);
			json_kv_bool(&j, "newer", f->table_newer);
		} else {
			json_null(&j);
		}
		json_key(&j, "field");
		if (field)
			json_str(&j, field);
		else
			json_null(&j);
		if (f->kind == NS_ABI_SIZE || f->kind == NS_ABI_TOO_BIG)
			json_kv_uint(&j, "struct_size", f->size);
		if (f->kind == NS_ABI_ABSENT) {
			json_key(&j, "padding");
			if (f->padding[0]) {
				json_obj_begin(&j);
				json_kv_str(&j, "member", f->padding);
				json_kv_uint(&j, "offset", f->padding_offset);
				json_kv_uint(&j, "size", f->padding_size);
				json_obj_end(&j);
			} else {
				json_null(&j);  /* past the end of the kernel's struct */
			}
		}
		sentence(f, r, text, sizeof(text));
		json_kv_str(&j, "text", text);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_kv_uint(&j, "dropped", r->dropped);
	json_obj_end(&j);
}
