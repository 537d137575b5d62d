/* Hardware VMCS layouts: Bochs's built in, others parsed from layout files. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nestscope/hwlayout.h"
#include "formats/textline.h"
#include "sdm/vmx_names.h"

static void init(struct ns_hwlayout *l, const char *name, const char *origin, uint32_t revision, size_t size)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->origin, sizeof(l->origin), "%s", origin);
	l->layout.name = l->name;
	l->layout.revision = revision;
	l->layout.region_size = size;
	l->layout.struct_size = size;
	l->layout.slots = l->slots;
}

static bool add_slot(struct ns_hwlayout *l, uint32_t enc, unsigned off, unsigned size, enum ns_slot_kind kind,
		     const char *member, enum ns_slot_xform x)
{
	if (l->layout.nslots >= NS_HWLAYOUT_MAX_SLOTS)
		return false;
	l->slots[l->layout.nslots++] = (struct ns_slot){ (uint16_t)off, (uint16_t)size, member, enc, kind, x };
	return true;
}

static bool is_segment_ar(uint32_t enc)
{
	return enc >= GUEST_ES_AR_BYTES && enc <= GUEST_TR_AR_BYTES;
}

/*
 * Fields Bochs 2.7's corei7_skylake_x model does not have: its VMWRITE fails
 * with VM-instruction error 12, as the layout-discovery probe found
 * (samples/probe, tests/slow/probe_bochs.sh).
 */
static const enum vmcs_field bochs_missing[] = {
	POSTED_INTR_NV, HLAT_PREFIX_SIZE, LAST_PID_POINTER_INDEX, GUEST_UINV, POSTED_INTR_DESC_ADDR,
	ENCLS_EXITING_BITMAP, SPP_TABLE_POINTER, TERTIARY_VM_EXEC_CONTROL, ENCLV_EXITING_BITMAP,
	LOW_PASID_DIRECTORY, HIGH_PASID_DIRECTORY, SHARED_EPT_POINTER, PCONFIG_EXITING_BITMAP, HLAT_POINTER,
	PID_POINTER_TABLE, SECONDARY_VM_EXIT_CONTROLS, IA32_SPEC_CTRL_MASK, IA32_SPEC_CTRL_SHADOW,
	INJECTED_EVENT_DATA, ORIGINAL_EVENT_DATA, GUEST_BNDCFGS, GUEST_IA32_RTIT_CTL, GUEST_IA32_LBR_CTL,
	GUEST_IA32_PKRS, GUEST_IA32_FRED_CONFIG, GUEST_IA32_FRED_RSP1, GUEST_IA32_FRED_RSP2,
	GUEST_IA32_FRED_RSP3, GUEST_IA32_FRED_STKLVLS, GUEST_IA32_FRED_SSP1, GUEST_IA32_FRED_SSP2,
	GUEST_IA32_FRED_SSP3, HOST_IA32_PKRS, HOST_IA32_FRED_CONFIG, HOST_IA32_FRED_RSP1, HOST_IA32_FRED_RSP2,
	HOST_IA32_FRED_RSP3, HOST_IA32_FRED_STKLVLS, HOST_IA32_FRED_SSP1, HOST_IA32_FRED_SSP2,
	HOST_IA32_FRED_SSP3, NOTIFY_WINDOW, GUEST_S_CET, GUEST_SSP, GUEST_INTR_SSP_TABLE, HOST_S_CET, HOST_SSP,
	HOST_INTR_SSP_TABLE,
};

static bool bochs_has(uint32_t enc)
{
	for (size_t i = 0; i < sizeof(bochs_missing) / sizeof(bochs_missing[0]); i++)
		if (bochs_missing[i] == enc)
			return false;
	return true;
}

void ns_hwlayout_bochs(struct ns_hwlayout *l)
{
	init(l, "bochs-2.7-skylake-x", "built in", NS_BOCHS_REVISION, 4096);
	/* Bochs keeps revision, VMX-abort indicator and launch state first */
	add_slot(l, NS_NOENC, 0, 4, NS_SLOT_HDR, "revision", NS_XFORM_NONE);
	add_slot(l, NS_NOENC, 4, 4, NS_SLOT_HDR, "abort", NS_XFORM_NONE);
	add_slot(l, NS_NOENC, 8, 4, NS_SLOT_HDR, "launch_state", NS_XFORM_NONE);
	/*
	 * Bochs 2.7's generic mapping: 4-byte slots, 64 per (width, type) block,
	 * field E at 0x10 + 4 * (64 * (width * 4 + type) + (E & 0x3f)).  Only
	 * field indexes below 32 fit; segment access rights are kept rotated.
	 */
	for (size_t i = 0; i < ns_field_count(); i++) {
		const struct ns_field *f = ns_field_at(i);
		unsigned off;

		if (ns_enc_index(f->encoding) >= 32 || !bochs_has(f->encoding))
			continue;
		off = 0x10 + 4 * (64 * (ns_enc_width(f->encoding) * 4 + ns_enc_type(f->encoding)) + (f->encoding & 0x3f));
		add_slot(l, f->encoding, off, ns_width_bytes(f->width), NS_SLOT_FIELD, f->name,
			 is_segment_ar(f->encoding) ? NS_XFORM_ROL8 : NS_XFORM_NONE);
	}
}

/* The Hyper-V enlightened VMCS (evmcs_layout.def): the layout L1 writes when it uses eVMCS. */
void ns_hwlayout_evmcs(struct ns_hwlayout *l)
{
	static const struct {
		const char *name;
		uint16_t offset, size;
	} table[] = {
#define EVMCS(name, offset, size) { #name, offset, size },
#include "formats/evmcs_layout.def"
#undef EVMCS
	};

	init(l, "hyperv-evmcs-1", "built in: Hyper-V TLFS struct hv_enlightened_vmcs", NS_EVMCS_REVISION, 4096);
	l->layout.struct_size = 1024;
	add_slot(l, NS_NOENC, 0, 4, NS_SLOT_HDR, "revision", NS_XFORM_NONE);
	add_slot(l, NS_NOENC, 4, 4, NS_SLOT_HDR, "abort", NS_XFORM_NONE);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct ns_field_ref ref;

		/* every name is in the catalog: test_hwlayout checks the table resolves whole */
		if (ns_field_by_name(table[i].name, &ref) && !ref.high)
			add_slot(l, ref.field->encoding, table[i].offset, table[i].size, NS_SLOT_FIELD, ref.field->name,
				 NS_XFORM_NONE);
	}
}

/* ---- layout files ---- */

static const char *field_member(uint32_t enc)
{
	struct ns_field_ref ref;

	return ns_field_lookup(enc, &ref) && !ref.high ? ref.field->name : "unknown";
}

int ns_hwlayout_parse(const char *text, size_t len, const char *origin, struct ns_hwlayout *l, struct ns_error *err)
{
	char line[256];
	size_t pos = 0;
	unsigned lineno = 0;
	bool have_rev = false;

	init(l, "unnamed", origin, 0, 4096);
	while (ns_text_next_line(text, len, &pos, line, sizeof(line))) {
		char name[64], x[16] = "";
		unsigned long a, b, c;
		int k;

		lineno++;
		if (!line[0] || line[0] == '#')
			continue;
		if (sscanf(line, "name %63s", name) == 1) {
			snprintf(l->name, sizeof(l->name), "%s", name);
		} else if (sscanf(line, "revision %lx", &a) == 1) {
			l->layout.revision = (uint32_t)(a & 0x7fffffff);
			have_rev = true;
		} else if (sscanf(line, "size %li", (long *)&a) == 1) {
			if (a < 16 || a > 4096)
				return ns_fail(err, NS_ERR_FORMAT, "%s:%u: region size %lu is not 16..4096", origin, lineno, a);
			l->layout.region_size = l->layout.struct_size = a;
		} else if ((k = sscanf(line, "field %lx %lx %lu %15s", &a, &b, &c, x)) >= 3) {
			if (a > 0x7fff || (a & 1) || !ns_enc_reserved_clear((uint32_t)a))
				return ns_fail(err, NS_ERR_FORMAT, "%s:%u: 0x%lx is not a VMCS field encoding", origin, lineno, a);
			/* b > size first: b + c may wrap (sscanf gives ULONG_MAX for a huge number) */
			if (!(c == 2 || c == 4 || c == 8) || b > l->layout.region_size || c > l->layout.region_size - b)
				return ns_fail(err, NS_ERR_FORMAT, "%s:%u: field 0x%lx at 0x%lx, %lu bytes: outside the region",
					       origin, lineno, a, b, c);
			if (k == 4 && strcmp(x, "rol8"))
				return ns_fail(err, NS_ERR_FORMAT, "%s:%u: unknown storage '%s'", origin, lineno, x);
			if (!add_slot(l, (uint32_t)a, (unsigned)b, (unsigned)c, NS_SLOT_FIELD, field_member((uint32_t)a),
				      k == 4 ? NS_XFORM_ROL8 : NS_XFORM_NONE))
				return ns_fail(err, NS_ERR_FORMAT, "%s: more than %d fields", origin, NS_HWLAYOUT_MAX_SLOTS);
		} else if (sscanf(line, "header %63s %lx %lu", name, &b, &c) == 3) {
			static const char *const hdr[] = { "revision", "abort", "launch_state" };
			const char *m = NULL;

			for (int i = 0; i < 3; i++)
				if (!strcmp(name, hdr[i]))
					m = hdr[i];
			if (!m || c != 4 || b > l->layout.region_size || c > l->layout.region_size - b)
				return ns_fail(err, NS_ERR_FORMAT, "%s:%u: bad header line", origin, lineno);
			if (!add_slot(l, NS_NOENC, (unsigned)b, 4, NS_SLOT_HDR, m, NS_XFORM_NONE))
				return ns_fail(err, NS_ERR_FORMAT, "%s: too many slots", origin);
		} else {
			return ns_fail(err, NS_ERR_FORMAT, "%s:%u: cannot read '%.60s'", origin, lineno, line);
		}
	}
	if (!have_rev)
		return ns_fail(err, NS_ERR_FORMAT, "%s: no 'revision' line", origin);
	/* a 'size' line after the slots may have shrunk the region under them */
	for (size_t i = 0; i < l->layout.nslots; i++)
		if ((size_t)l->layout.slots[i].offset + l->layout.slots[i].size > l->layout.region_size)
			return ns_fail(err, NS_ERR_FORMAT, "%s: slot %s at 0x%x is outside the %zu-byte region", origin,
				       l->layout.slots[i].member, l->layout.slots[i].offset, l->layout.region_size);
	return NS_OK;
}

void ns_hwlayout_write(struct ns_out *o, const struct ns_hwlayout *l)
{
	ns_printf(o, "# nestscope hardware VMCS layout (docs/layout-format.md)\n");
	ns_printf(o, "name %s\nrevision 0x%x\nsize %zu\n", l->name, l->layout.revision, l->layout.region_size);
	for (size_t i = 0; i < l->layout.nslots; i++) {
		const struct ns_slot *s = &l->slots[i];

		if (s->kind == NS_SLOT_HDR)
			ns_printf(o, "header %s 0x%x %u\n", s->member, s->offset, s->size);
		else
			ns_printf(o, "field 0x%04x 0x%x %u%s\n", s->encoding, s->offset, s->size,
				  s->xform == NS_XFORM_ROL8 ? " rol8" : "");
	}
}

int ns_hwlayout_for_revision(uint32_t revision, const char *const *dirs, size_t ndirs, struct ns_hwlayout *l,
			     struct ns_error *err)
{
	revision &= 0x7fffffff;
	for (size_t d = 0; d < ndirs; d++) {
		DIR *dir = dirs[d] ? opendir(dirs[d]) : NULL;
		struct dirent *e;

		while (dir && (e = readdir(dir))) {
			char path[512], *text;
			size_t n = strlen(e->d_name), got;
			FILE *f;

			if (n < 8 || strcmp(e->d_name + n - 7, ".layout"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[d], e->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			text = malloc(1 << 20);
			got = text ? fread(text, 1, (1 << 20) - 1, f) : 0;
			fclose(f);
			if (text && ns_hwlayout_parse(text, got, path, l, NULL) == NS_OK && l->layout.revision == revision) {
				free(text);
				closedir(dir);
				return NS_OK;
			}
			free(text);
		}
		if (dir)
			closedir(dir);
	}
	if (revision == NS_BOCHS_REVISION) {
		ns_hwlayout_bochs(l);
		return NS_OK;
	}
	if (revision == NS_EVMCS_REVISION) {
		ns_hwlayout_evmcs(l);
		return NS_OK;
	}
	return ns_fail(err, NS_ERR_ARG,
		       "no layout for VMCS revision id 0x%x: add a layout file (nestscope-probe makes one on that CPU)",
		       revision);
}

/* ---- the header of a hardware region ---- */

int ns_hwvmcs_inspect(const uint8_t *data, size_t len, const struct ns_layout *layout, bool force,
		      struct ns_vmcs12_info *info, struct ns_error *err)
{
	memset(info, 0, sizeof(*info));
	if (len < 16)
		return ns_fail(err, NS_ERR_TRUNCATED, "a VMCS region needs more than %zu bytes", len);
	info->revision = (uint32_t)(data[0] | data[1] << 8 | data[2] << 16 | (uint32_t)data[3] << 24);
	info->shadow = info->revision >> 31;
	info->revision &= 0x7fffffff;
	info->abort = (uint32_t)(data[4] | data[5] << 8 | data[6] << 16 | (uint32_t)data[7] << 24);
	for (size_t i = 0; i < layout->nslots; i++)
		if (layout->slots[i].kind == NS_SLOT_HDR && !strcmp(layout->slots[i].member, "launch_state")) {
			const uint8_t *p = data + layout->slots[i].offset;

			if ((size_t)layout->slots[i].offset + 4 > len)
				continue; /* the region is shorter than the layout says: no launch state */
			info->launch_state = (uint32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
		}
	if (info->revision != layout->revision && !force)
		return ns_fail(err, NS_ERR_REVISION, "revision id 0x%x is not layout %s's 0x%x", info->revision,
			       layout->name, layout->revision);
	return NS_OK;
}

int ns_hwlayout_lookup(uint32_t revision, const char *file, const char *datadir, struct ns_hwlayout *l,
		       struct ns_error *err)
{
	char home[512], share[512];
	const char *dirs[2] = { home, share };

	revision &= 0x7fffffff;
	if (file) {
		FILE *f = fopen(file, "r");
		char *text = malloc(1 << 20);
		size_t n = f && text ? fread(text, 1, (1 << 20) - 1, f) : 0;
		int rc;

		if (f)
			fclose(f);
		if (!f || !text) {
			free(text);
			return ns_fail(err, NS_ERR_IO, "cannot read layout file %s", file);
		}
		rc = ns_hwlayout_parse(text, n, file, l, err);
		free(text);
		if (rc)
			return rc;
		if (l->layout.revision != revision)
			return ns_fail(err, NS_ERR_REVISION, "layout file %s is for revision 0x%x, the region has 0x%x", file,
				       l->layout.revision, revision);
		return NS_OK;
	}
	snprintf(home, sizeof(home), "%s/.config/nestscope/layouts", getenv("HOME") ? getenv("HOME") : "/root");
	snprintf(share, sizeof(share), "%s/layouts", datadir);
	return ns_hwlayout_for_revision(revision, dirs, 2, l, err);
}
