/*
 * struct kvm_nested_state (arch/x86/include/uapi/asm/kvm.h).  The blob is
 * read with explicit little-endian loads at the UAPI offsets, never cast to
 * a struct, so a hostile `size` cannot make us read past the buffer.  Its
 * header is then judged as KVM_SET_NESTED_STATE judges it (blob_rules.def).
 */
#include <stdio.h>
#include <string.h>

#include "nestscope/layout.h"
#include "nestscope/nested_state.h"
#include "nestscope/vmcs12.h"
#include "sdm/vmx_names.h"

/* Offsets in struct kvm_nested_state (the UAPI header). */
#define OFF_FLAGS 0
#define OFF_FORMAT 2
#define OFF_SIZE 4
#define OFF_VMXON_PA 8        /* hdr.vmx.vmxon_pa; hdr.svm.vmcb_pa */
#define OFF_VMCS12_PA 16      /* hdr.vmx.vmcs12_pa */
#define OFF_SMM_FLAGS 24      /* hdr.vmx.smm.flags */
#define OFF_VMX_PAD 26        /* hdr.vmx.pad */
#define OFF_VMX_FLAGS 28      /* hdr.vmx.flags */
#define OFF_DEADLINE 32       /* hdr.vmx.preemption_timer_deadline */
#define HDR_VMX_END 40        /* sizeof(struct kvm_vmx_nested_state_hdr) past hdr */

#define INVALID_GPA (~0ull)
#define PAGE_SIZE 4096u

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

/* ---- the flag table ---- */

static const struct {
	enum ns_nested_word word;
	unsigned bit;
	const char *shown, *macro;
} nested_flags[] = {
#define NESTED_FLAG(word, bit, cname, shown, kernel) { NS_NESTED_WORD_##word, bit, shown, kernel },
#include "nestscope/nested_flags.def"
#undef NESTED_FLAG
};

uint32_t ns_nested_known_flags(enum ns_nested_word w)
{
	uint32_t m = 0;

	for (size_t i = 0; i < sizeof(nested_flags) / sizeof(nested_flags[0]); i++)
		if (nested_flags[i].word == w)
			m |= 1u << nested_flags[i].bit;
	return m;
}

const char *ns_nested_flag_name(enum ns_nested_word w, unsigned bit)
{
	for (size_t i = 0; i < sizeof(nested_flags) / sizeof(nested_flags[0]); i++)
		if (nested_flags[i].word == w && nested_flags[i].bit == bit)
			return nested_flags[i].shown;
	return NULL;
}

const char *ns_nested_flag_macro(enum ns_nested_word w, unsigned bit)
{
	for (size_t i = 0; i < sizeof(nested_flags) / sizeof(nested_flags[0]); i++)
		if (nested_flags[i].word == w && nested_flags[i].bit == bit)
			return nested_flags[i].macro;
	return NULL;
}

void ns_nested_flags_join(enum ns_nested_word w, uint32_t mask, enum ns_nested_flags_style style, char *out, size_t n)
{
	const char *sep = style == NS_FLAGS_WORDS ? " " : ", ";
	const char *bit = style == NS_FLAGS_WORDS ? "bit" : "bit ";
	size_t pos = 0;

	out[0] = '\0';
	for (unsigned b = 0; b < 32 && pos < n; b++) {
		const char *name = style == NS_FLAGS_NUMBERS ? NULL : ns_nested_flag_name(w, b);
		int k;

		if (!(mask & (1u << b)))
			continue;
		k = name ? snprintf(out + pos, n - pos, "%s%s", pos ? sep : "", name)
			 : snprintf(out + pos, n - pos, "%s%s%u", pos ? sep : "", bit, b);
		if (k < 0)
			break;
		pos += (size_t)k;
	}
}

/* ---- parsing ---- */

bool ns_nested_state_sniff(const uint8_t *buf, size_t len)
{
	uint16_t flags, format;
	uint32_t size;

	if (len < NS_NESTED_HDR_SIZE)
		return false;
	/*
	 * Only the words that identify the format.  A header whose size field
	 * lies upwards (a truncated blob) is still recognised, so that parsing
	 * can say what is wrong with it; one with unknown flag bits too when its
	 * size fits the bytes, so that they can be judged.  A size below the
	 * header is how a hardware VMCS region looks (abort indicator 0 where a
	 * blob has its size): --format nested-state forces those.
	 */
	flags = le16(buf + OFF_FLAGS);
	format = le16(buf + OFF_FORMAT);
	size = le32(buf + OFF_SIZE);
	if (format != NS_NESTED_FORMAT_VMX && format != NS_NESTED_FORMAT_SVM)
		return false;
	if (size < NS_NESTED_HDR_SIZE)
		return false;
	return !(flags & ~ns_nested_known_flags(NS_NESTED_WORD_FLAGS)) || size <= len;
}

/* One region of the payload: the bytes `size` covers, up to 4 KiB. */
static void region(const uint8_t *buf, uint32_t size, size_t at, const uint8_t **p, size_t *plen)
{
	size_t n;

	if (size <= at)
		return;
	n = size - at;
	if (n > NS_VMCS12_REGION_SIZE)
		n = NS_VMCS12_REGION_SIZE;
	/* KVM reads sizeof(struct vmcs12) of a region: less than that is no vmcs12 */
	if (n < NS_VMCS12_STRUCT_SIZE)
		return;
	*p = buf + at;
	*plen = n;
}

int ns_nested_state_parse(const uint8_t *buf, size_t len, struct ns_nested_state *ns, struct ns_error *err)
{
	memset(ns, 0, sizeof(*ns));
	if (len < 8)
		return ns_fail(err, NS_ERR_TRUNCATED,
			       "nested-state blob has %zu bytes; its header alone needs %u", len,
			       NS_NESTED_HDR_SIZE);
	ns->flags = le16(buf + OFF_FLAGS);
	ns->format = le16(buf + OFF_FORMAT);
	ns->size = le32(buf + OFF_SIZE);

	if (len < NS_NESTED_HDR_SIZE)
		return ns_fail(err, NS_ERR_TRUNCATED,
			       "nested-state blob has %zu bytes; its header alone needs %u", len,
			       NS_NESTED_HDR_SIZE);
	if (ns->size > len)
		return ns_fail(err, NS_ERR_TRUNCATED,
			       "nested-state size field says %u bytes but only %zu are present "
			       "(truncated blob?)", ns->size, len);
	ns->header = buf;
	ns->len = len;
	ns->trailing = len - (ns->size > NS_NESTED_HDR_SIZE ? ns->size : NS_NESTED_HDR_SIZE);

	if (ns->format == NS_NESTED_FORMAT_SVM) {
		ns->vmcb_pa = le64(buf + OFF_VMXON_PA);
		if (ns->size > NS_NESTED_HDR_SIZE) {
			size_t n = ns->size - NS_NESTED_HDR_SIZE;
			ns->vmcs12 = buf + NS_NESTED_HDR_SIZE;
			ns->vmcs12_len = n > NS_NESTED_SVM_VMCB_SIZE ? NS_NESTED_SVM_VMCB_SIZE : n;
		}
		return NS_OK;
	}
	if (ns->format != NS_NESTED_FORMAT_VMX)
		return NS_OK;  /* an unknown format: only the words every format shares */

	ns->vmxon_pa = le64(buf + OFF_VMXON_PA);
	ns->vmcs12_pa = le64(buf + OFF_VMCS12_PA);
	ns->smm_flags = le16(buf + OFF_SMM_FLAGS);
	ns->vmx_pad = le16(buf + OFF_VMX_PAD);
	ns->vmx_flags = le32(buf + OFF_VMX_FLAGS);
	ns->preemption_timer_deadline = le64(buf + OFF_DEADLINE);
	/* KVM writes 0, one or two whole 4 KiB regions after the header */
	region(buf, ns->size, NS_NESTED_HDR_SIZE, &ns->vmcs12, &ns->vmcs12_len);
	region(buf, ns->size, NS_NESTED_HDR_SIZE + NS_VMCS12_REGION_SIZE, &ns->shadow_vmcs12, &ns->shadow_len);
	return NS_OK;
}

/* ---- the rules ---- */

static const struct ns_blob_rule blob_rules[] = {
#define BLOB_RULE(fn, id, kind, kernel, text) { id, NS_BLOB_##kind, kernel, text },
#include "nestscope/blob_rules.def"
#undef BLOB_RULE
};

size_t ns_blob_rule_count(void) { return NS_BLOB_RULES; }

const struct ns_blob_rule *ns_blob_rule_at(size_t i)
{
	return i < NS_BLOB_RULES ? &blob_rules[i] : NULL;
}

const char *ns_blob_kind_name(enum ns_blob_kind k)
{
	return k == NS_BLOB_REFUSED ? "refused" : "ignored";
}

/* What every rule reads, worked out once. */
struct judge {
	const struct ns_nested_state *ns;
	unsigned maxphy;
	bool given;
	bool vmx, svm;
	bool vmxon;          /* in VMX operation: vmxon_pa is not -1 */
	bool guest;          /* flags has GUEST_MODE */
};

static const char *limit_text(const struct judge *j)
{
	return j->given ? "L1's MAXPHYADDR, as given" : "the architectural limit; --maxphyaddr gives L1's";
}

/* page_address_valid(): PAGE_ALIGNED and kvm_vcpu_is_legal_gpa */
static bool beyond(const struct judge *j, uint64_t gpa)
{
	return j->maxphy < 64 && (gpa >> j->maxphy);
}

static bool misaligned(uint64_t gpa) { return gpa & (PAGE_SIZE - 1); }

static bool addr_aligned(const char *what, uint64_t gpa, char *d, size_t n)
{
	if (!misaligned(gpa))
		return false;
	snprintf(d, n, "%s 0x%llx is not 4-KByte aligned (low bits 0x%03llx)", what, (unsigned long long)gpa,
		 (unsigned long long)(gpa & (PAGE_SIZE - 1)));
	return true;
}

static bool addr_range(const struct judge *j, const char *what, uint64_t gpa, char *d, size_t n)
{
	if (!beyond(j, gpa))
		return false;
	snprintf(d, n, "%s 0x%llx has bits at or above bit %u (MAXPHYADDR %u: %s)", what, (unsigned long long)gpa,
		 j->maxphy, j->maxphy, limit_text(j));
	return true;
}

/* vmx_has_valid_vmcs12(), as the header says it: something needs a vmcs12 */
static bool needs_vmcs12(const struct judge *j)
{
	return j->guest || (j->ns->flags & NS_NESTED_EVMCS) || j->ns->vmcs12_pa != INVALID_GPA;
}

#define RULE(fn) static bool r_##fn(const struct judge *j, char *d, size_t n)

RULE(size_header)
{
	if (j->ns->size >= NS_NESTED_HDR_SIZE)
		return false;
	snprintf(d, n, "size is %u, less than the %u-byte header", j->ns->size, NS_NESTED_HDR_SIZE);
	return true;
}

RULE(flags_unknown)
{
	uint32_t bad = j->ns->flags & ~ns_nested_known_flags(NS_NESTED_WORD_FLAGS);
	char bits[160];

	if (!bad)
		return false;
	ns_nested_flags_join(NS_NESTED_WORD_FLAGS, bad, NS_FLAGS_NUMBERS, bits, sizeof(bits));
	snprintf(d, n, "flags 0x%04x has unknown %s (0x%04x)", j->ns->flags, bits, bad);
	return true;
}

RULE(flags_run_pending)
{
	if (!(j->ns->flags & NS_NESTED_RUN_PENDING) || j->guest)
		return false;
	snprintf(d, n, "flags 0x%04x has RUN_PENDING without GUEST_MODE", j->ns->flags);
	return true;
}

RULE(format)
{
	if (j->vmx || j->svm)
		return false;
	snprintf(d, n, "format is %u: neither VMX (0) nor SVM (1); only flags and size were decoded", j->ns->format);
	return true;
}

RULE(vmxon_flags)
{
	uint32_t bad = j->ns->flags & ~(uint32_t)NS_NESTED_EVMCS;
	char bits[160];

	if (!j->vmx || j->vmxon || !bad)
		return false;
	ns_nested_flags_join(NS_NESTED_WORD_FLAGS, bad, NS_FLAGS_LIST, bits, sizeof(bits));
	snprintf(d, n, "vmxon_pa is -1 (not in VMX operation) but flags 0x%04x has %s", j->ns->flags, bits);
	return true;
}

RULE(vmxon_smm)
{
	char bits[160];

	if (!j->vmx || j->vmxon || !j->ns->smm_flags)
		return false;
	ns_nested_flags_join(NS_NESTED_WORD_SMM, j->ns->smm_flags, NS_FLAGS_LIST, bits, sizeof(bits));
	snprintf(d, n, "vmxon_pa is -1 (not in VMX operation) but smm.flags 0x%04x has %s", j->ns->smm_flags, bits);
	return true;
}

RULE(vmxon_vmcs12)
{
	if (!j->vmx || j->vmxon || j->ns->vmcs12_pa == INVALID_GPA)
		return false;
	snprintf(d, n, "vmxon_pa is -1 (not in VMX operation) but vmcs12_pa is 0x%llx",
		 (unsigned long long)j->ns->vmcs12_pa);
	return true;
}

RULE(vmxon_pa_aligned)
{
	return j->vmx && j->vmxon && addr_aligned("vmxon_pa", j->ns->vmxon_pa, d, n);
}

RULE(vmxon_pa_range)
{
	return j->vmx && j->vmxon && addr_range(j, "vmxon_pa", j->ns->vmxon_pa, d, n);
}

RULE(smm_guest_mode)
{
	uint32_t bad = j->ns->flags & (NS_NESTED_GUEST_MODE | NS_NESTED_RUN_PENDING);
	char bits[160];

	if (!j->vmx || !j->ns->smm_flags || !bad)
		return false;
	ns_nested_flags_join(NS_NESTED_WORD_FLAGS, bad, NS_FLAGS_LIST, bits, sizeof(bits));
	snprintf(d, n, "smm.flags 0x%04x (the vCPU is in SMM, or KVM refuses any SMM flag) with %s in flags",
		 j->ns->smm_flags, bits);
	return true;
}

RULE(smm_unknown)
{
	uint32_t bad = j->ns->smm_flags & ~ns_nested_known_flags(NS_NESTED_WORD_SMM);
	char bits[160];

	if (!j->vmx || !bad)
		return false;
	ns_nested_flags_join(NS_NESTED_WORD_SMM, bad, NS_FLAGS_NUMBERS, bits, sizeof(bits));
	snprintf(d, n, "smm.flags 0x%04x has unknown %s (0x%04x)", j->ns->smm_flags, bits, bad);
	return true;
}

RULE(vmx_flags_unknown)
{
	uint32_t bad = j->ns->vmx_flags & ~ns_nested_known_flags(NS_NESTED_WORD_VMX);
	char bits[160];

	if (!j->vmx || !bad)
		return false;
	ns_nested_flags_join(NS_NESTED_WORD_VMX, bad, NS_FLAGS_NUMBERS, bits, sizeof(bits));
	snprintf(d, n, "vmx.flags 0x%08x has unknown %s (0x%08x)", j->ns->vmx_flags, bits, bad);
	return true;
}

RULE(smm_vmxon)
{
	if (!j->vmx || !(j->ns->smm_flags & NS_NESTED_SMM_GUEST_MODE) || (j->ns->smm_flags & NS_NESTED_SMM_VMXON))
		return false;
	snprintf(d, n, "smm.flags 0x%04x has SMM_GUEST_MODE without SMM_VMXON", j->ns->smm_flags);
	return true;
}

/* vmx_set_nested_state's size checks, shared with blob.size.regions */
static bool short_of_vmcs12(const struct judge *j)
{
	const struct ns_nested_state *ns = j->ns;

	return j->vmx && j->vmxon && ns->size >= NS_NESTED_HDR_SIZE &&
	       ns->size < NS_NESTED_HDR_SIZE + NS_VMCS12_STRUCT_SIZE && needs_vmcs12(j);
}

RULE(size_vmcs12)
{
	const struct ns_nested_state *ns = j->ns;

	if (!short_of_vmcs12(j))
		return false;
	snprintf(d, n, "size %u holds no vmcs12 (it needs %u) but %s", ns->size,
		 NS_NESTED_HDR_SIZE + NS_VMCS12_STRUCT_SIZE,
		 j->guest ? "flags has GUEST_MODE" : ns->vmcs12_pa != INVALID_GPA ? "vmcs12_pa is set" : "flags has EVMCS");
	return true;
}

RULE(vmcs12_pa_vmxon)
{
	if (!j->vmx || !j->vmxon || j->ns->vmcs12_pa == INVALID_GPA || j->ns->vmcs12_pa != j->ns->vmxon_pa)
		return false;
	snprintf(d, n, "vmcs12_pa and vmxon_pa are both 0x%llx", (unsigned long long)j->ns->vmcs12_pa);
	return true;
}

RULE(vmcs12_pa_aligned)
{
	return j->vmx && j->vmxon && j->ns->vmcs12_pa != INVALID_GPA &&
	       addr_aligned("vmcs12_pa", j->ns->vmcs12_pa, d, n);
}

RULE(vmcs12_pa_range)
{
	return j->vmx && j->vmxon && j->ns->vmcs12_pa != INVALID_GPA && addr_range(j, "vmcs12_pa", j->ns->vmcs12_pa, d, n);
}

static bool vmcs12_unowned(const struct judge *j)
{
	const struct ns_nested_state *ns = j->ns;

	return j->vmx && j->vmxon && ns->size >= NS_NESTED_HDR_SIZE + NS_VMCS12_STRUCT_SIZE &&
	       ns->vmcs12_pa == INVALID_GPA && !(ns->flags & NS_NESTED_EVMCS);
}

RULE(vmcs12_pointer)
{
	if (!vmcs12_unowned(j))
		return false;
	snprintf(d, n, "size %u holds a vmcs12 but vmcs12_pa is -1 and flags has no EVMCS", j->ns->size);
	return true;
}

/* nested_cpu_has_shadow_vmcs(vmcs12) && vmcs12->vmcs_link_pointer != INVALID_GPA */
static bool uses_shadow_vmcs(const struct ns_nested_state *ns)
{
	struct ns_vmcs v = { ns_vmcs12_layout(), ns->vmcs12, ns->vmcs12_len, "vmcs12" };
	uint64_t proc, proc2, link;

	if (!ns->vmcs12 || ns_vmcs_read(&v, CPU_BASED_VM_EXEC_CONTROL, &proc, NULL) ||
	    ns_vmcs_read(&v, SECONDARY_VM_EXEC_CONTROL, &proc2, NULL) || ns_vmcs_read(&v, VMCS_LINK_POINTER, &link, NULL))
		return false;
	return (proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) && (proc2 & SECONDARY_EXEC_SHADOW_VMCS) && link != INVALID_GPA;
}

static bool short_of_shadow(const struct judge *j)
{
	const struct ns_nested_state *ns = j->ns;

	return j->vmx && j->vmxon && j->guest &&
	       ns->size < NS_NESTED_HDR_SIZE + NS_VMCS12_REGION_SIZE + NS_VMCS12_STRUCT_SIZE && uses_shadow_vmcs(ns);
}

RULE(size_shadow)
{
	if (!short_of_shadow(j))
		return false;
	snprintf(d, n, "size %u holds no shadow vmcs12 (it needs %u) but the vmcs12 is in guest mode with VMCS "
		 "shadowing and a link pointer", j->ns->size,
		 NS_NESTED_HDR_SIZE + NS_VMCS12_REGION_SIZE + NS_VMCS12_STRUCT_SIZE);
	return true;
}

RULE(svm_flags)
{
	uint32_t bad = j->ns->flags & ns_nested_known_flags(NS_NESTED_WORD_FLAGS) &
		       ~(uint32_t)(NS_NESTED_GUEST_MODE | NS_NESTED_RUN_PENDING | NS_NESTED_GIF_SET);
	char bits[160];

	if (!j->svm || !bad)
		return false;
	ns_nested_flags_join(NS_NESTED_WORD_FLAGS, bad, NS_FLAGS_LIST, bits, sizeof(bits));
	snprintf(d, n, "an SVM blob with %s in flags 0x%04x", bits, j->ns->flags);
	return true;
}

RULE(svm_vmcb_pa_aligned)
{
	return j->svm && j->guest && addr_aligned("vmcb_pa", j->ns->vmcb_pa, d, n);
}

RULE(svm_vmcb_pa_range)
{
	return j->svm && j->guest && addr_range(j, "vmcb_pa", j->ns->vmcb_pa, d, n);
}

RULE(svm_size)
{
	if (!j->svm || !j->guest || j->ns->size < NS_NESTED_HDR_SIZE ||
	    j->ns->size >= NS_NESTED_HDR_SIZE + NS_NESTED_SVM_VMCB_SIZE)
		return false;
	snprintf(d, n, "size %u holds no vmcb12 (it needs %u) but flags has GUEST_MODE", j->ns->size,
		 NS_NESTED_HDR_SIZE + NS_NESTED_SVM_VMCB_SIZE);
	return true;
}

RULE(evmcs_vmcs12_pa)
{
	if (!j->vmx || !j->vmxon || !(j->ns->flags & NS_NESTED_EVMCS) || j->ns->vmcs12_pa == INVALID_GPA)
		return false;
	snprintf(d, n, "flags has EVMCS and vmcs12_pa is 0x%llx", (unsigned long long)j->ns->vmcs12_pa);
	return true;
}

RULE(flags_mtf_pending)
{
	if (!j->vmx || !j->vmxon || !(j->ns->flags & NS_NESTED_MTF_PENDING) || j->guest)
		return false;
	snprintf(d, n, "flags 0x%04x has MTF_PENDING without GUEST_MODE", j->ns->flags);
	return true;
}

RULE(flags_gif_set)
{
	if (!j->vmx || !j->vmxon || !(j->ns->flags & NS_NESTED_GIF_SET))
		return false;
	snprintf(d, n, "a VMX blob with GIF_SET in flags 0x%04x", j->ns->flags);
	return true;
}

RULE(vmx_deadline)
{
	const struct ns_nested_state *ns = j->ns;
	bool flag = ns->vmx_flags & NS_NESTED_VMX_PREEMPTION_TIMER_DEADLINE;

	if (!j->vmx)
		return false;
	if (flag && !j->guest) {
		snprintf(d, n, "vmx.flags has PREEMPTION_TIMER_DEADLINE without GUEST_MODE (deadline 0x%llx)",
			 (unsigned long long)ns->preemption_timer_deadline);
		return true;
	}
	if (!flag && ns->preemption_timer_deadline) {
		snprintf(d, n, "preemption_timer_deadline is 0x%llx without PREEMPTION_TIMER_DEADLINE in vmx.flags",
			 (unsigned long long)ns->preemption_timer_deadline);
		return true;
	}
	return false;
}

RULE(padding)
{
	const struct ns_nested_state *ns = j->ns;
	unsigned first = 0, count = 0;

	if (!j->vmx)
		return false;
	for (unsigned i = HDR_VMX_END; i < NS_NESTED_HDR_SIZE; i++)
		if (ns->header[i] && !count++)
			first = i;
	if (!ns->vmx_pad && !count)
		return false;
	if (ns->vmx_pad && count)
		snprintf(d, n, "hdr.vmx.pad is 0x%04x and %u header bytes past hdr.vmx are not 0 (the first at offset %u)",
			 ns->vmx_pad, count, first);
	else if (ns->vmx_pad)
		snprintf(d, n, "hdr.vmx.pad (offset %u) is 0x%04x", OFF_VMX_PAD, ns->vmx_pad);
	else
		snprintf(d, n, "%u header bytes past hdr.vmx (40..127) are not 0, the first at offset %u (0x%02x)", count,
			 first, ns->header[first]);
	return true;
}

/* The size vmx_get_nested_state writes for this header (and vmcs12). */
static uint32_t vmx_written_size(const struct judge *j)
{
	uint32_t size = NS_NESTED_HDR_SIZE;

	if (!j->vmxon || !needs_vmcs12(j))
		return size;
	size += NS_VMCS12_REGION_SIZE;
	if (j->guest && uses_shadow_vmcs(j->ns))
		size += NS_VMCS12_REGION_SIZE;
	return size;
}

RULE(size_regions)
{
	uint32_t s = j->ns->size, want;

	if (s < NS_NESTED_HDR_SIZE)
		return false;  /* blob.size.header */
	if (j->svm) {
		want = NS_NESTED_HDR_SIZE + (j->guest ? NS_NESTED_SVM_VMCB_SIZE : 0);
		if (s == want || (j->guest && s < want))  /* too short: blob.svm.size */
			return false;
		snprintf(d, n, "size %u where svm_get_nested_state writes %u (%s)", s, want,
			 j->guest ? "the header and the 4 KiB vmcb12, in guest mode" : "the header alone, outside guest mode");
		return true;
	}
	if (!j->vmx)
		return false;
	/* what KVM refuses is said by the rules that refuse it */
	want = vmx_written_size(j);
	if (s == want || short_of_vmcs12(j) || short_of_shadow(j) || vmcs12_unowned(j) ||
	    (!j->vmxon && j->ns->vmcs12_pa != INVALID_GPA))
		return false;
	snprintf(d, n, "size %u where vmx_get_nested_state writes %u (%s)", s, want,
		 want == NS_NESTED_HDR_SIZE ? (j->vmxon ? "the header alone: no current VMCS" : "the header alone: no VMXON")
		 : want == NS_NESTED_HDR_SIZE + NS_VMCS12_REGION_SIZE ? "the header and the 4 KiB vmcs12"
								   : "the header, the vmcs12 and the shadow vmcs12");
	return true;
}

RULE(size_file)
{
	if (!j->ns->trailing)
		return false;
	snprintf(d, n, "%zu bytes follow the %u bytes size says (the input has %zu)", j->ns->trailing,
		 j->ns->size > NS_NESTED_HDR_SIZE ? j->ns->size : NS_NESTED_HDR_SIZE, j->ns->len);
	return true;
}

#undef RULE

static bool (*const rule_fn[NS_BLOB_RULES])(const struct judge *, char *, size_t) = {
#define BLOB_RULE(fn, id, kind, kernel, text) r_##fn,
#include "nestscope/blob_rules.def"
#undef BLOB_RULE
};

void ns_nested_state_judge(const struct ns_nested_state *ns, unsigned maxphyaddr, struct ns_blob_verdict *out)
{
	struct judge j = {
		.ns = ns,
		.maxphy = maxphyaddr ? maxphyaddr : NS_MAXPHYADDR_ARCH,
		.given = maxphyaddr != 0,
		.vmx = ns->format == NS_NESTED_FORMAT_VMX,
		.svm = ns->format == NS_NESTED_FORMAT_SVM,
		.vmxon = ns->vmxon_pa != INVALID_GPA,
		.guest = ns->flags & NS_NESTED_GUEST_MODE,
	};

	memset(out, 0, sizeof(*out));
	out->judged = true;
	out->maxphyaddr = j.maxphy;
	out->maxphyaddr_given = j.given;
	for (size_t i = 0; i < NS_BLOB_RULES; i++) {
		struct ns_blob_violation *v = &out->v[out->n];

		if (rule_fn[i](&j, v->detail, sizeof(v->detail))) {
			v->rule = &blob_rules[i];
			out->n++;
		}
	}
}
