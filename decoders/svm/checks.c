/*
 * VMRUN's consistency checks on a vmcb12 (svm/checks.def), judged against
 * L1's CPUID and MAXPHYADDR.  Every rule reads the VMCB through vmcb.h;
 * one that needs a fact the input lacks (L1's CPUID, its MAXPHYADDR, the
 * save area of vmcb12 itself) is not judged and says what it needs.
 */
#include <stdio.h>
#include <string.h>

#include "sdm/cpu_features.h"
#include "sdm/verdict.h"
#include "nestscope/svm_checks.h"

#define SEC_CONSIST "Canonicalization and Consistency Checks"
#define SEC_EVENT "Event Injection"
#define SEC_NPT "Nested Paging"
#define SEC_VNMI "NMI Virtualization"

static const struct ns_svm_rule rules[] = {
#define SVM_CHECK(fn, id, sec, text, apm, kvm, fields) { id, SEC_##sec, text, apm, kvm, fields },
#include "svm/checks.def"
#undef SVM_CHECK
};

struct svm_chk {
	const struct ns_vmcb *v;
	const struct ns_vmx_caps *caps;   /* never NULL: an empty one when none was given */
	const char *save_not_judged;      /* NULL when the save area is vmcb12's */
};

#define WHY char *why, size_t n
#define CK(name) static enum ns_verdict chk_##name(const struct svm_chk *c, WHY)

/* The save-area rules need vmcb12's own save area: a blob's is L1's (vmcb01's). */
#define NEED_SAVE()                                                                                                    \
	do {                                                                                                           \
		if (c->save_not_judged) {                                                                              \
			snprintf(why, n, "%s", c->save_not_judged);                                                    \
			return NS_NOT_JUDGED;                                                                          \
		}                                                                                                      \
		if (!c->v->has_save) {                                                                                 \
			snprintf(why, n, "the input holds no save area (a VMCB page is 4 KiB)");                       \
			return NS_NOT_JUDGED;                                                                          \
		}                                                                                                      \
	} while (0)

static uint64_t get(const struct svm_chk *c, enum ns_vmcb_field_id f)
{
	return ns_vmcb_get(c->v, f);
}

static enum ns_verdict needs_cpuid(enum cpuid_feature f, const char *what, WHY)
{
	char where[96];

	cpuid_feature_where(f, where, sizeof(where));
	snprintf(why, n, "%s: needs L1's %s (give check -c FILE with cpuid lines)", what, where);
	return NS_NOT_JUDGED;
}

static enum ns_verdict needs_maxphyaddr(const char *what, WHY)
{
	snprintf(why, n, "%s: needs L1's MAXPHYADDR (CPUID 80000008h EAX[7:0]: give check -c FILE with a cpuid or maxphyaddr line)",
		 what);
	return NS_NOT_JUDGED;
}

/* Bits at or above MAXPHYADDR: KVM's kvm_vcpu_is_illegal_gpa for L1. */
static bool beyond_maxphyaddr(const struct svm_chk *c, uint64_t addr)
{
	return c->caps->maxphyaddr < 64 && (addr >> c->caps->maxphyaddr);
}

/* ---- save area ---- */

CK(efer_svme)
{
	NEED_SAVE();
	if (!(get(c, NS_VMCB_EFER) & EFER_SVME))
		return fail(why, n, "EFER 0x%llx has SVME (bit 12) clear", (unsigned long long)get(c, NS_VMCB_EFER));
	return NS_PASS;
}

CK(cr0_cd_nw)
{
	uint64_t cr0;

	NEED_SAVE();
	cr0 = get(c, NS_VMCB_CR0);
	if (!(cr0 & X86_CR0_CD) && (cr0 & X86_CR0_NW))
		return fail(why, n, "CR0 0x%llx sets NW (bit 29) with CD (bit 30) clear", (unsigned long long)cr0);
	return NS_PASS;
}

/* "[63:32] are not zero": CR0, DR6, DR7 */
static enum ns_verdict high_half(const struct svm_chk *c, enum ns_vmcb_field_id f, WHY)
{
	uint64_t v = get(c, f);

	if (v >> 32)
		return fail(why, n, "%s 0x%llx has bits 63:32 set", ns_vmcb_field(f)->name, (unsigned long long)v);
	return NS_PASS;
}

CK(cr0_high)
{
	NEED_SAVE();
	return high_half(c, NS_VMCB_CR0, why, n);
}

CK(dr6_high)
{
	NEED_SAVE();
	return high_half(c, NS_VMCB_DR6, why, n);
}

CK(dr7_high)
{
	NEED_SAVE();
	return high_half(c, NS_VMCB_DR7, why, n);
}

CK(cr3_mbz)
{
	uint64_t cr3;

	NEED_SAVE();
	cr3 = get(c, NS_VMCB_CR3);
	if (!c->caps->maxphyaddr)
		return needs_maxphyaddr("CR3", why, n);
	if (beyond_maxphyaddr(c, cr3))
		return fail(why, n, "CR3 0x%llx sets bits at or above L1's MAXPHYADDR %u", (unsigned long long)cr3,
			    c->caps->maxphyaddr);
	return NS_PASS;
}

/* KVM's is_pae_paging(): CR0.PG, CR4.PAE and not long mode; it then loads L2's PDPTEs without nested NPT */
CK(pdptes)
{
	NEED_SAVE();
	if (!(get(c, NS_VMCB_CR0) & X86_CR0_PG) || !(get(c, NS_VMCB_CR4) & X86_CR4_PAE) ||
	    (get(c, NS_VMCB_EFER) & EFER_LMA) || (get(c, NS_VMCB_MISC_CTL) & NS_SVM_MISC_CTL_NP_ENABLE))
		return NS_NA;
	snprintf(why, n, "PAE paging without NP_ENABLE: needs the four PDPTEs at CR3 0x%llx in L1's memory, which a vmcb12 "
			 "page does not hold", (unsigned long long)get(c, NS_VMCB_CR3));
	return NS_NOT_JUDGED;
}

CK(cr4_mbz)
{
	uint64_t cr4, defined = X86_CR4_TSD | X86_CR4_PCE; /* the two bits no CPUID feature gates */
	enum cpuid_feature need, alt;

	NEED_SAVE();
	cr4 = get(c, NS_VMCB_CR4);
	for (size_t i = 0; i < cr4_feature_count(); i++)
		defined |= cr4_feature_at(i, &need, &alt);
	if (cr4 & ~defined)
		return fail(why, n, "CR4 0x%llx sets reserved bits 0x%llx", (unsigned long long)cr4,
			    (unsigned long long)(cr4 & ~defined));
	for (size_t i = 0; i < cr4_feature_count(); i++) {
		uint64_t bit = cr4_feature_at(i, &need, &alt);

		if (!(cr4 & bit))
			continue;
		if (!c->caps->have_cpuid)
			return needs_cpuid(need, "CR4", why, n);
		if (!cpuid_caps_has(c->caps, need) && !cpuid_caps_has(c->caps, alt))
			return fail(why, n, "CR4 0x%llx sets bit 0x%llx, but L1's CPUID lacks %s", (unsigned long long)cr4,
				    (unsigned long long)bit, cpuid_feature_name(need));
	}
	return NS_PASS;
}

/*
 * EFER bits KVM accepts at all (kvm_valid_efer's efer_reserved_bits: SCE,
 * LME, LMA always; NXE, SVME, FFXSR, AutoIBRS when the host has them), and
 * the CPUID feature __kvm_valid_efer wants L1 to have for each.  SCE needs
 * none on the SVM path (KVM lets L1 set it without SYSCALL).
 */
static const struct {
	uint64_t bit;
	enum cpuid_feature need;
	bool gated;
} efer_bits[] = {
	{ EFER_SCE, X86_FEATURE_SYSCALL, false },
	{ EFER_LME, X86_FEATURE_LM, true },
	{ EFER_LMA, X86_FEATURE_LM, true },
	{ EFER_NXE, X86_FEATURE_NX, true },
	{ EFER_SVME, X86_FEATURE_SVM, true },
	{ EFER_FFXSR, X86_FEATURE_FXSR_OPT, true },
	{ EFER_AUTOIBRS, X86_FEATURE_AUTOIBRS, true },
};

CK(efer_mbz)
{
	uint64_t efer, defined = 0;

	NEED_SAVE();
	efer = get(c, NS_VMCB_EFER);
	for (size_t i = 0; i < sizeof(efer_bits) / sizeof(efer_bits[0]); i++)
		defined |= efer_bits[i].bit;
	if (efer & ~defined)
		return fail(why, n, "EFER 0x%llx sets bits 0x%llx KVM never accepts", (unsigned long long)efer,
			    (unsigned long long)(efer & ~defined));
	return NS_PASS;
}

/* EFER's feature bits, long mode (its own APM item) or the others. */
static enum ns_verdict efer_features(const struct svm_chk *c, bool long_mode, WHY)
{
	uint64_t efer = get(c, NS_VMCB_EFER);

	for (size_t i = 0; i < sizeof(efer_bits) / sizeof(efer_bits[0]); i++) {
		bool lm = efer_bits[i].need == X86_FEATURE_LM;

		if (!efer_bits[i].gated || lm != long_mode || !(efer & efer_bits[i].bit))
			continue;
		if (!c->caps->have_cpuid)
			return needs_cpuid(efer_bits[i].need, "EFER", why, n);
		if (!cpuid_caps_has(c->caps, efer_bits[i].need))
			return fail(why, n, "EFER 0x%llx sets 0x%llx, but L1's CPUID lacks %s", (unsigned long long)efer,
				    (unsigned long long)efer_bits[i].bit, cpuid_feature_name(efer_bits[i].need));
	}
	return NS_PASS;
}

CK(efer_features)
{
	NEED_SAVE();
	return efer_features(c, false, why, n);
}

CK(efer_long_mode)
{
	NEED_SAVE();
	return efer_features(c, true, why, n);
}

static bool lme_pg(const struct svm_chk *c)
{
	return (get(c, NS_VMCB_EFER) & EFER_LME) && (get(c, NS_VMCB_CR0) & X86_CR0_PG);
}

CK(long_mode_pae)
{
	NEED_SAVE();
	if (!lme_pg(c))
		return NS_NA;
	if (!(get(c, NS_VMCB_CR4) & X86_CR4_PAE))
		return fail(why, n, "EFER.LME and CR0.PG are set, CR4 0x%llx has PAE (bit 5) clear",
			    (unsigned long long)get(c, NS_VMCB_CR4));
	return NS_PASS;
}

CK(long_mode_pe)
{
	NEED_SAVE();
	if (!lme_pg(c))
		return NS_NA;
	if (!(get(c, NS_VMCB_CR0) & X86_CR0_PE))
		return fail(why, n, "EFER.LME and CR0.PG are set, CR0 0x%llx has PE (bit 0) clear",
			    (unsigned long long)get(c, NS_VMCB_CR0));
	return NS_PASS;
}

/* The VMCB's segment attributes pack descriptor bits 55:52 at 11:8: L is bit 9, D/B bit 10 (KVM: SVM_SELECTOR_L_SHIFT, _DB_SHIFT). */
#define SVM_SEG_ATTRIB_L (1u << 9)
#define SVM_SEG_ATTRIB_DB (1u << 10)

CK(long_mode_cs)
{
	uint64_t attrib;

	NEED_SAVE();
	if (!lme_pg(c) || !(get(c, NS_VMCB_CR4) & X86_CR4_PAE))
		return NS_NA;
	attrib = get(c, NS_VMCB_CS_ATTRIB);
	if ((attrib & SVM_SEG_ATTRIB_L) && (attrib & SVM_SEG_ATTRIB_DB))
		return fail(why, n, "EFER.LME, CR0.PG and CR4.PAE are set and CS_ATTRIB 0x%llx sets both L and D",
			    (unsigned long long)attrib);
	return NS_PASS;
}

/* PAT memory types per byte (KVM: kvm_pat_valid): bits 7:3 clear, and not 2 or 3 */
#define PAT_RESERVED_BITS 0xf8f8f8f8f8f8f8f8ull
#define PAT_TYPE_BIT1 0x0202020202020202ull

CK(g_pat)
{
	uint64_t pat;

	NEED_SAVE();
	if (!(get(c, NS_VMCB_MISC_CTL) & NS_SVM_MISC_CTL_NP_ENABLE))
		return NS_NA;
	pat = get(c, NS_VMCB_G_PAT);
	/* types 2 and 3 are the values with bit 1 set and bit 2 clear: "(pat | (bit1 << 1)) == pat" keeps 6 and 7 */
	if ((pat & PAT_RESERVED_BITS) || (pat | ((pat & PAT_TYPE_BIT1) << 1)) != pat)
		return fail(why, n, "G_PAT 0x%llx has a byte that is no memory type", (unsigned long long)pat);
	return NS_PASS;
}

/* ---- control area ---- */

CK(intercept_vmrun)
{
	if (!(get(c, NS_VMCB_INTERCEPT_WORD4) & NS_SVM_WORD4_VMRUN))
		return fail(why, n, "INTERCEPT_WORD4 0x%llx has VMRUN (bit 0) clear",
			    (unsigned long long)get(c, NS_VMCB_INTERCEPT_WORD4));
	return NS_PASS;
}

/* KVM's MSRPM_SIZE and IOPM_SIZE (arch/x86/kvm/svm/svm.h): the maps' sizes, as the APM's figures give them */
#define SVM_MSRPM_SIZE 0x2000u
#define SVM_IOPM_SIZE 0x3000u
/* "Bits 11:0 of bitmap address are ignored by hardware" (KVM masks them before nested_svm_check_bitmap_pa) */
#define SVM_BITMAP_IGNORED 0xfffull

static enum ns_verdict bitmap(const struct svm_chk *c, enum ns_vmcb_field_id f, uint32_t size, WHY)
{
	uint64_t pa = get(c, f), base = pa & ~SVM_BITMAP_IGNORED, last = base + size - 1;
	const char *name = ns_vmcb_field(f)->name;

	if (!c->caps->maxphyaddr)
		return needs_maxphyaddr(name, why, n);
	if (last < base || beyond_maxphyaddr(c, base) || beyond_maxphyaddr(c, last))
		return fail(why, n, "%s 0x%llx: the map's last byte 0x%llx is at or above L1's MAXPHYADDR %u",
			    name, (unsigned long long)pa, (unsigned long long)last, c->caps->maxphyaddr);
	return NS_PASS;
}

CK(msrpm)
{
	return bitmap(c, NS_VMCB_MSRPM_BASE_PA, SVM_MSRPM_SIZE, why, n);
}

CK(iopm)
{
	return bitmap(c, NS_VMCB_IOPM_BASE_PA, SVM_IOPM_SIZE, why, n);
}

/* EVENTINJ: vector 7:0, type 10:8 (APM "Event Injection"; KVM: SVM_EVTINJ_VEC_MASK, SVM_EVTINJ_TYPE_MASK) */
#define SVM_EVENT_VECTOR(e) ((unsigned)((e) & 0xffu))
#define SVM_EVENT_TYPE(e) ((unsigned)(((e) >> 8) & 7u))

CK(event_inj_type)
{
	uint64_t e = get(c, NS_VMCB_EVENT_INJ);
	unsigned t = SVM_EVENT_TYPE(e);

	if (!(e & NS_SVM_EVENT_VALID))
		return NS_NA;
	if (!ns_svm_value_name(NS_SVMT_EVENT_TYPE, t))
		return fail(why, n, "EVENT_INJ 0x%llx has type %u, which the APM does not define", (unsigned long long)e, t);
	return NS_PASS;
}

/* Exception vectors (KVM: nested_svm_event_inj_valid_exept): every defined one, #CP and #VC with their feature. */
#define EXC(v) (1u << (v))
static const uint32_t valid_exceptions = EXC(0) | EXC(1) | EXC(3) | EXC(4) | EXC(5) | EXC(6) | EXC(7) | EXC(8) | EXC(10) |
					 EXC(11) | EXC(12) | EXC(13) | EXC(14) | EXC(16) | EXC(17) | EXC(18) | EXC(19) |
					 EXC(28) | EXC(30);
#define VECTOR_CP 21u
#define VECTOR_VC 29u

CK(event_inj_vector)
{
	uint64_t e = get(c, NS_VMCB_EVENT_INJ);
	unsigned v = SVM_EVENT_VECTOR(e);
	enum cpuid_feature need;

	if (!(e & NS_SVM_EVENT_VALID) || SVM_EVENT_TYPE(e) != NS_SVM_EVENT_TYPE_EXCEPTION)
		return NS_NA;
	if (v < 32 && (valid_exceptions & EXC(v)))
		return NS_PASS;
	if (v != VECTOR_CP && v != VECTOR_VC)
		return fail(why, n, "EVENT_INJ 0x%llx injects an exception with vector %u, which is no exception",
			    (unsigned long long)e, v);
	need = v == VECTOR_CP ? X86_FEATURE_SHSTK : X86_FEATURE_SEV_ES;
	if (!c->caps->have_cpuid)
		return needs_cpuid(need, "EVENT_INJ", why, n);
	if (!cpuid_caps_has(c->caps, need))
		return fail(why, n, "EVENT_INJ 0x%llx injects vector %u, but L1's CPUID lacks %s", (unsigned long long)e, v,
			    cpuid_feature_name(need));
	return NS_PASS;
}

CK(asid)
{
	if (!get(c, NS_VMCB_ASID))
		return fail(why, n, "ASID is 0, the host's");
	return NS_PASS;
}

CK(np_enable)
{
	if (!(get(c, NS_VMCB_MISC_CTL) & NS_SVM_MISC_CTL_NP_ENABLE))
		return NS_NA;
	if (!c->caps->have_cpuid)
		return needs_cpuid(X86_FEATURE_NPT, "NP_ENABLE", why, n);
	if (!cpuid_caps_has(c->caps, X86_FEATURE_NPT)) {
		snprintf(why, n, "NP_ENABLE is set and L1's CPUID lacks NPT: KVM 6.1 refuses only if L0 runs without "
				 "npt_enabled (kvm_amd.npt), which L1's CPUID does not tell; 7.2 ignores NP_ENABLE then");
		return NS_NOT_JUDGED;
	}
	return NS_PASS;
}

CK(nested_cr3)
{
	uint64_t cr3 = get(c, NS_VMCB_NESTED_CR3);

	if (!(get(c, NS_VMCB_MISC_CTL) & NS_SVM_MISC_CTL_NP_ENABLE))
		return NS_NA;
	if (!c->caps->maxphyaddr)
		return needs_maxphyaddr("NESTED_CR3", why, n);
	if (!beyond_maxphyaddr(c, cr3))
		return NS_PASS;
	if (!c->caps->have_cpuid)
		return needs_cpuid(X86_FEATURE_NPT, "NESTED_CR3 beyond MAXPHYADDR with NP_ENABLE", why, n);
	if (!cpuid_caps_has(c->caps, X86_FEATURE_NPT)) {
		/* 6.1 judges NP_ENABLE as L1 wrote it; 7.2 clears it first when L1 was not offered NP, and N_CR3 goes unused */
		snprintf(why, n, "NESTED_CR3 0x%llx is beyond L1's MAXPHYADDR %u, but L1's CPUID lacks NPT: 6.1 refuses it, "
				 "7.2 clears NP_ENABLE and never uses N_CR3", (unsigned long long)cr3, c->caps->maxphyaddr);
		return NS_NOT_JUDGED;
	}
	return fail(why, n, "NESTED_CR3 0x%llx sets bits at or above L1's MAXPHYADDR %u", (unsigned long long)cr3,
		    c->caps->maxphyaddr);
}

CK(v_nmi)
{
	if (!(get(c, NS_VMCB_INT_CTL) & NS_SVM_INT_CTL_V_NMI_ENABLE))
		return NS_NA;
	if (!(get(c, NS_VMCB_INTERCEPT_WORD3) & NS_SVM_WORD3_NMI))
		return fail(why, n, "INT_CTL 0x%llx sets V_NMI_ENABLE and INTERCEPT_WORD3 0x%llx has NMI (bit 1) clear",
			    (unsigned long long)get(c, NS_VMCB_INT_CTL), (unsigned long long)get(c, NS_VMCB_INTERCEPT_WORD3));
	return NS_PASS;
}

typedef enum ns_verdict (*svm_check_fn)(const struct svm_chk *, char *, size_t);

static const svm_check_fn fns[] = {
#define SVM_CHECK(fn, id, sec, text, apm, kvm, fields) chk_##fn,
#include "svm/checks.def"
#undef SVM_CHECK
};

_Static_assert(sizeof(rules) / sizeof(rules[0]) <= NS_SVM_MAX_RULES, "the report holds every rule");

size_t ns_svm_rule_count(void) { return sizeof(rules) / sizeof(rules[0]); }
const struct ns_svm_rule *ns_svm_rule_at(size_t i) { return i < ns_svm_rule_count() ? &rules[i] : NULL; }

/*
 * A copy that holds some fields only (KVM's cache of vmcb12): a rule is
 * judged only when every field it reads ("EFER, CR0", the table's names) is
 * in it, else it says which one is missing.
 */
static bool fields_present(const struct ns_vmcb *v, const char *list, char *why, size_t n)
{
	char name[32];

	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ", ");
		const struct ns_vmcb_field *f;

		if (len && len < sizeof(name)) {
			memcpy(name, p, len);
			name[len] = '\0';
			f = ns_vmcb_field_by_name(name);
			if (f && !ns_vmcb_field_present(v, f)) {
				snprintf(why, n, "%s is not in this copy (KVM's cache of vmcb12 keeps the fields KVM checks)", name);
				return false;
			}
		}
		p += len;
		p += strspn(p, ", ");
	}
	return true;
}

void ns_check_vmcb12(const struct ns_vmcb *v, const struct ns_vmx_caps *caps, const char *save_not_judged,
		     struct ns_svm_check_report *out)
{
	static const struct ns_vmx_caps none; /* no CPUID, MAXPHYADDR unknown */
	struct svm_chk c = { v, caps ? caps : &none, save_not_judged };

	memset(out, 0, sizeof(*out));
	out->caps = caps;
	out->caps_source = caps ? caps->source : "none";
	if (save_not_judged)
		snprintf(out->save_not_judged, sizeof(out->save_not_judged), "%s", save_not_judged);
	for (size_t i = 0; i < ns_svm_rule_count(); i++) {
		struct ns_svm_check_result *r = &out->r[out->n++];

		r->rule = &rules[i];
		if (!v->has_control && !strncmp(rules[i].id, "svm.ctrl.", 9)) {
			snprintf(r->detail, sizeof(r->detail), "the input holds no control area");
			r->verdict = NS_NOT_JUDGED;
		} else if (v->partial && !fields_present(v, rules[i].fields, r->detail, sizeof(r->detail))) {
			r->verdict = NS_NOT_JUDGED;
		} else {
			r->verdict = fns[i](&c, r->detail, sizeof(r->detail));
		}
		out->pass += r->verdict == NS_PASS;
		out->fail += r->verdict == NS_FAIL;
		out->na += r->verdict == NS_NA;
		out->not_judged += r->verdict == NS_NOT_JUDGED;
	}
}
