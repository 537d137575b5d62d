/*
 * The vmcb12/vmcb02 diff and its classification (rules in diff_rules.def):
 * for each field that differs, what KVM's nested_vmcb02_prepare_control()
 * and nested_vmcb02_prepare_save() put there, checked against vmcb01 where
 * vmcb02 takes vmcb01's value.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nestscope/vmcb_diff.h"

enum kind {
	K_OWN, K_VMCB01, K_VMLOAD, K_LIVE, K_EXIT,
	K_INTERCEPT, K_PAUSE, K_MSRPM, K_TSC, K_ASID, K_TLB_CTL, K_INT_CTL, K_INT_VECTOR, K_EVENT, K_NCR3,
	K_MISC_CTL2, K_EFER, K_CR4, K_CR3, K_CR0, K_DR7, K_DR6, K_RFLAGS, K_LBR, K_SPEC_CTRL, K_G_PAT,
};

struct rule {
	bool set;
	enum kind kind;
	const char *how;
};

static const struct rule rules[NS_VMCB__COUNT] = {
#define VMCB_RULE(F, KIND, how) [NS_VMCB_##F] = { true, K_##KIND, how },
#include "svm/diff_rules.def"
#undef VMCB_RULE
};

/* Architectural bits the rules name that svm_bits.def has no table for. */
#define INTERCEPT_CR_READ(n) (1ull << (n))        /* APM table B-1: reads of CRn at bit n ... */
#define INTERCEPT_CR_WRITE(n) (1ull << (16 + (n))) /* ... writes at bit 16 + n (as for the DRs) */
#define INTERCEPT_DR_WRITE(n) (1ull << (16 + (n)))
#define INT_CTL_V_TPR 0xfull                      /* bits 3:0 */
#define INT_CTL_V_INTR_PRIO (0xfull << 16)        /* bits 19:16 */
#define CR0_MP (1ull << 1)
#define CR0_TS (1ull << 3)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_MCE (1ull << 6)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define CR4_PKE (1ull << 22)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NX (1ull << 11)
#define EFER_SVME (1ull << 12)
#define RFLAGS_FIXED (1ull << 1)   /* X86_EFLAGS_FIXED */
#define RFLAGS_IF (1ull << 9)
#define DR7_FIXED_1 0x400ull
#define DR6_ACTIVE_LOW 0xffff0ff0ull
#define PAGE_OFFSET_MASK 0xfffull
#define MSR_PROT_IN_WORD3 NS_SVM_WORD3_MSR_PROT

const char *ns_vmcb_check_name(enum ns_vmcb_check c)
{
	return c == NS_VCHK_VERIFIED ? "verified" : c == NS_VCHK_NEEDS_VMCB01 ? "needs_vmcb01" : "uncheckable";
}

/* What a judgement has to know: the three pages (v01 may be NULL) and the vCPU's level. */
struct judge {
	const struct ns_vmcb *v12, *v02, *v01;
	bool l2;
	bool run_pending;  /* vmcb02 built for L1's VMRUN, L2 not entered yet */
};

static uint64_t f12(const struct judge *j, enum ns_vmcb_field_id id) { return ns_vmcb_get(j->v12, id); }
static uint64_t f02(const struct judge *j, enum ns_vmcb_field_id id) { return ns_vmcb_get(j->v02, id); }

static void say(struct ns_vmcb_diff_entry *e, enum ns_diff_class cls, enum ns_vmcb_check chk, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void say(struct ns_vmcb_diff_entry *e, enum ns_diff_class cls, enum ns_vmcb_check chk, const char *fmt, ...)
{
	va_list ap;

	e->cls = cls;
	e->check = chk;
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
}

/* KVM has nested paging (npt_enabled): vmcb02's NP_ENABLE, which KVM copies from vmcb01. */
static bool kvm_npt(const struct judge *j) { return f02(j, NS_VMCB_MISC_CTL) & NS_SVM_MISC_CTL_NP_ENABLE; }

/* L2's live state: stale while L2 runs, else nothing explains it. */
static void live(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	if (j->run_pending)
		/* L2 has not run: vmcb12 is not behind, vmcb02 is; KVM writes part of L2's state into it only at the
		 * entry (CR3 in svm_load_mmu_pgd, DR6 in svm_vcpu_run: the 6.1 pending sample's vmcb02 has both 0) */
		say(e, NS_DIFF_STALE, NS_VCHK_VERIFIED, "run pending, L2 not entered yet: KVM writes some of L2's "
		    "state into vmcb02 only at the entry (CR3: svm_load_mmu_pgd, DR6: svm_vcpu_run); %s", how);
	else if (j->l2)
		say(e, NS_DIFF_STALE, NS_VCHK_VERIFIED, "L2 runs, vmcb12 is behind: %s", how);
	else
		say(e, NS_DIFF_UNEXPLAINED, NS_VCHK_VERIFIED,
		    "L2's state would explain this, but the vCPU is not known to run L2 (--l2): %s", how);
}

static void unexplained(struct ns_vmcb_diff_entry *e, const char *how, const char *why)
{
	say(e, NS_DIFF_UNEXPLAINED, NS_VCHK_VERIFIED, "%s; KVM puts %s", why, how);
}

/* vmcb02 takes vmcb01's value: verified with vmcb01, unexplained if it is not vmcb01's. */
static void from_vmcb01(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	if (!j->v01)
		say(e, NS_DIFF_EXPECTED, NS_VCHK_NEEDS_VMCB01, "%s", how);
	else if (e->b == e->c)
		say(e, NS_DIFF_EXPECTED, NS_VCHK_VERIFIED, "%s", how);
	else
		unexplained(e, how, "vmcb02's is not vmcb01's");
}

/*
 * The intercept words: vmcb02 = (vmcb01's minus what KVM drops for L2) | vmcb12's,
 * minus SMI without intercept_smi, plus VMLOAD/VMSAVE without virtual VMLOAD/VMSAVE.
 * Every vmcb12 bit must be there (else L2 would skip an exit L1 asked for); with
 * vmcb01, every other bit must be vmcb01's or one KVM adds.
 */
static void intercepts(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	enum ns_vmcb_field_id id = e->field->id;
	bool vintr_masking = f12(j, NS_VMCB_INT_CTL) & NS_SVM_INT_CTL_V_INTR_MASKING;
	uint64_t may_drop = 0, may_add = 0, need, have01, missing, extra;

	if (id == NS_VMCB_INTERCEPT_CR && vintr_masking)
		may_drop = INTERCEPT_CR_READ(8) | INTERCEPT_CR_WRITE(8);    /* 6.1 and 7.x drop the write, older kernels both */
	if (id == NS_VMCB_INTERCEPT_WORD3) {
		may_drop = NS_SVM_WORD3_SMI;                                  /* !intercept_smi drops vmcb12's too */
		if (vintr_masking)
			may_drop |= NS_SVM_WORD3_VINTR;
	}
	if (id == NS_VMCB_INTERCEPT_WORD4) {
		may_drop = NS_SVM_WORD4_VMMCALL;
		may_add = NS_SVM_WORD4_VMLOAD | NS_SVM_WORD4_VMSAVE;
	}
	need = e->a & ~(id == NS_VMCB_INTERCEPT_WORD3 ? (uint64_t)NS_SVM_WORD3_SMI : 0);
	missing = need & ~e->b;
	if (missing) {
		say(e, NS_DIFF_UNEXPLAINED, NS_VCHK_VERIFIED,
		    "vmcb02 lacks intercepts vmcb12 sets (0x%llx): L2 would skip exits L1 asked for; KVM puts %s",
		    (unsigned long long)missing, how);
		return;
	}
	if (!j->v01) {
		say(e, NS_DIFF_EXPECTED, NS_VCHK_NEEDS_VMCB01, "%s (vmcb12's are all there; the others, 0x%llx, "
		    "would be vmcb01's)", how, (unsigned long long)(e->b & ~e->a));
		return;
	}
	have01 = e->c & ~may_drop;
	missing = have01 & ~e->b;
	extra = e->b & ~(e->a | e->c | may_add);
	if (missing || extra)
		say(e, NS_DIFF_UNEXPLAINED, NS_VCHK_VERIFIED,
		    "vmcb02 is not vmcb01's OR vmcb12's: vmcb01's 0x%llx missing, 0x%llx in neither; KVM puts %s",
		    (unsigned long long)missing, (unsigned long long)extra, how);
	else
		say(e, NS_DIFF_EXPECTED, NS_VCHK_VERIFIED, "%s", how);
}

static void tsc(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	if (!j->v01)
		say(e, NS_DIFF_EXPECTED, NS_VCHK_NEEDS_VMCB01, "%s", how);
	else if (e->b == e->c + e->a)  /* the offsets add modulo 2^64, as KVM's u64 sum */
		say(e, NS_DIFF_EXPECTED, NS_VCHK_VERIFIED, "%s: 0x%llx + 0x%llx", how, (unsigned long long)e->c,
		    (unsigned long long)e->a);
	else
		say(e, NS_DIFF_UNEXPLAINED, NS_VCHK_VERIFIED,
		    "vmcb02's offset is not vmcb01's + vmcb12's (0x%llx), which only a TSC ratio L1 set (MSR_AMD64_TSC_RATIO, "
		    "not in the VMCBs) would explain; KVM puts %s",
		    (unsigned long long)(e->c + e->a), how);
}

static void msrpm(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	if (f12(j, NS_VMCB_INTERCEPT_WORD3) & MSR_PROT_IN_WORD3) {
		say(e, NS_DIFF_EXPECTED, NS_VCHK_UNCHECKABLE,
		    "%s (vmcb12 intercepts MSRs: the merged map, whose address is in no VMCB)", how);
		return;
	}
	from_vmcb01(j, e, how);
}

static void pause_filter(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	if (!j->v01) {
		say(e, NS_DIFF_EXPECTED, NS_VCHK_NEEDS_VMCB01, "%s", how);
		return;
	}
	if (e->b == e->c || e->b == 0)
		say(e, NS_DIFF_EXPECTED, NS_VCHK_VERIFIED, "%s: vmcb02's is %s", how, e->b == e->c ? "vmcb01's" : "0");
	else if (e->field->id == NS_VMCB_PAUSE_FILTER_COUNT && e->c)
		say(e, NS_DIFF_EXPECTED, NS_VCHK_UNCHECKABLE, "%s: KVM's PAUSE window for L2 moved from vmcb01's", how);
	else
		unexplained(e, how, "vmcb02's is neither vmcb01's, 0 nor vmcb12's");
}

static void int_ctl(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	uint64_t x = e->a ^ e->b;
	bool vgif12 = e->a & NS_SVM_INT_CTL_V_GIF_ENABLE, vnmi12 = e->a & NS_SVM_INT_CTL_V_NMI_ENABLE;
	/* L0 intercepts VINTR and L1 does not: KVM asks for an interrupt window for L1 (svm_set_vintr) */
	bool l0_window = (f02(j, NS_VMCB_INTERCEPT_WORD3) & NS_SVM_WORD3_VINTR) &&
			 !(f12(j, NS_VMCB_INTERCEPT_WORD3) & NS_SVM_WORD3_VINTR);
	uint64_t live_bits = INT_CTL_V_TPR | NS_SVM_INT_CTL_V_IRQ | (vgif12 ? NS_SVM_INT_CTL_V_GIF : 0) |
			     (vnmi12 ? NS_SVM_INT_CTL_V_NMI_PENDING | NS_SVM_INT_CTL_V_NMI_BLOCKING : 0) |
			     (l0_window ? INT_CTL_V_INTR_PRIO : 0);
	uint64_t from01 = NS_SVM_INT_CTL_V_INTR_MASKING | (vgif12 ? 0 : NS_SVM_INT_CTL_V_GIF_ENABLE);
	uint64_t gif = vgif12 ? 0 : NS_SVM_INT_CTL_V_GIF;   /* the vCPU's GIF, set by VMRUN (svm_set_gif) */
	uint64_t kvm_own = NS_SVM_INT_CTL_X2APIC_MODE | NS_SVM_INT_CTL_AVIC_ENABLE |
			   (vnmi12 ? 0 : NS_SVM_INT_CTL_V_NMI_PENDING | NS_SVM_INT_CTL_V_NMI_BLOCKING |
					 NS_SVM_INT_CTL_V_NMI_ENABLE);
	uint64_t other = x & ~(live_bits | from01 | gif | kvm_own);
	bool need01 = x & from01;

	if (other) {
		say(e, NS_DIFF_UNEXPLAINED, NS_VCHK_VERIFIED, "bits 0x%llx differ, which KVM copies from vmcb12; KVM puts %s",
		    (unsigned long long)other, how);
		return;
	}
	if (need01 && j->v01 && ((e->b ^ e->c) & from01)) {
		say(e, NS_DIFF_UNEXPLAINED, NS_VCHK_VERIFIED,
		    "vmcb02's V_INTR_MASKING/V_GIF_ENABLE (0x%llx) are not vmcb01's; KVM puts %s",
		    (unsigned long long)(x & from01), how);
		return;
	}
	if ((x & live_bits) && !j->l2) {
		say(e, NS_DIFF_UNEXPLAINED, NS_VCHK_VERIFIED, "bits 0x%llx change while L2 runs, but the vCPU is not "
		    "known to run L2 (--l2); KVM puts %s", (unsigned long long)(x & live_bits), how);
		return;
	}
	say(e, (x & live_bits) ? NS_DIFF_STALE : NS_DIFF_EXPECTED, need01 && !j->v01 ? NS_VCHK_NEEDS_VMCB01 : NS_VCHK_VERIFIED,
	    "%s%s%s%s%s", how,
	    (x & live_bits) ? "; L2 runs: the CPU (and KVM's interrupt window for L1, svm_set_vintr) change V_TPR/V_IRQ"
			      " in vmcb02, nested_sync_control_from_vmcb02 copies them to vmcb12 at #VMEXIT" : "",
	    (x & from01) ? "; V_INTR_MASKING/V_GIF_ENABLE are vmcb01's" : "",
	    (x & gif) ? "; V_GIF is the vCPU's GIF, which VMRUN set (svm_set_gif on the running VMCB)" : "",
	    (x & kvm_own) ? "; AVIC and vNMI bits are KVM's own" : "");
}

static void int_vector(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	if ((f02(j, NS_VMCB_INTERCEPT_WORD3) & NS_SVM_WORD3_VINTR) && !(f12(j, NS_VMCB_INTERCEPT_WORD3) & NS_SVM_WORD3_VINTR) &&
	    e->b == 0)
		say(e, NS_DIFF_EXPECTED, NS_VCHK_VERIFIED,
		    "KVM asks for an interrupt window for L1 (svm_set_vintr: VINTR intercepted, vector 0); otherwise %s", how);
	else
		unexplained(e, how, "vmcb02's vector is not vmcb12's");
}

static void event(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	uint64_t ev02 = f02(j, NS_VMCB_EVENT_INJ), ev12 = f12(j, NS_VMCB_EVENT_INJ);

	if (!j->l2)
		live(j, e, how);
	else if (!(ev02 & NS_SVM_EVENT_VALID))
		say(e, NS_DIFF_STALE, NS_VCHK_VERIFIED, "L2 runs: the VMRUN that entered L2 delivered the event and "
		    "cleared vmcb02's; vmcb12 gets that at the next #VMEXIT to L1 (%s)", how);
	else if (ev02 != ev12)
		say(e, NS_DIFF_EXPECTED, NS_VCHK_UNCHECKABLE, "L0 injects an event into L2: one whose delivery an exit "
		    "interrupted (svm_complete_interrupts) or its own (svm_inject_irq, svm_inject_exception); at VMRUN %s", how);
	else
		unexplained(e, how, "vmcb02 injects vmcb12's event with another error code");
}

static void ncr3(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	if (!kvm_npt(j))
		say(e, NS_DIFF_EXPECTED, NS_VCHK_VERIFIED, "vmcb02 has no NP_ENABLE (KVM without NPT): the CPU ignores it");
	else if (e->b && !(e->b & PAGE_OFFSET_MASK))
		say(e, NS_DIFF_EXPECTED, NS_VCHK_UNCHECKABLE, "%s", how);
	else
		unexplained(e, how, "vmcb02's is no page-aligned root");
}

static void misc_ctl2(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	uint64_t x = e->a ^ e->b, lbr = NS_SVM_MISC_CTL2_LBR_VIRTUALIZATION, vls = NS_SVM_MISC_CTL2_V_VMLOAD_VMSAVE;

	(void)j;
	/* vmcb02's V_VMLOAD_VMSAVE needs vmcb12's; KVM may withhold it (no vls, no nested NPT) */
	if ((x & ~(lbr | vls)) || ((x & vls) && (e->b & vls)))
		unexplained(e, how, "vmcb02 has bits KVM takes from no VMCB");
	else
		say(e, NS_DIFF_EXPECTED, NS_VCHK_UNCHECKABLE, "%s", how);
}

/*
 * CR0, CR4, EFER: the bits KVM's setter changes (set_in_02 must be set in
 * vmcb02, clear_in_02 clear), then L2's own writes when L1 does not
 * intercept them (l2_may_write).
 */
static void control_register(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how, uint64_t set_in_02,
			     uint64_t clear_in_02, uint64_t l2_may_write, const char *l2_note)
{
	uint64_t x = e->a ^ e->b;
	uint64_t kvm = x & ((set_in_02 & e->b) | (clear_in_02 & ~e->b));
	uint64_t rest = x & ~kvm;

	if (!rest)
		say(e, NS_DIFF_EXPECTED, NS_VCHK_VERIFIED, "%s", how);
	else if (rest & ~l2_may_write)
		say(e, NS_DIFF_UNEXPLAINED, NS_VCHK_VERIFIED, "bits 0x%llx differ, which neither KVM's setter changes nor L2 "
		    "can write without an exit to L1 (%s); KVM puts %s", (unsigned long long)(rest & ~l2_may_write), l2_note, how);
	else
		live(j, e, l2_note);
}

static void cr0(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	uint64_t icr = f12(j, NS_VMCB_INTERCEPT_CR), w3 = f12(j, NS_VMCB_INTERCEPT_WORD3);
	uint64_t may = ~0ull;
	const char *note = "vmcb12 intercepts no CR0 write: L2 may change its CR0 itself, or KVM emulates it (svm_set_cr0)";

	if (icr & INTERCEPT_CR_WRITE(0)) {
		may = 0;
		note = "vmcb12 intercepts CR0 writes";
	} else if (w3 & NS_SVM_WORD3_SELECTIVE_CR0) {
		may = CR0_TS | CR0_MP;  /* the selective intercept lets writes of TS and MP through */
		note = "vmcb12's selective CR0 intercept lets L2 change only TS and MP";
	}
	control_register(j, e, how, kvm_npt(j) ? 0 : CR0_PG | CR0_WP, CR0_CD | CR0_NW, may, note);
}

static void cr4(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	bool npt = kvm_npt(j), w = f12(j, NS_VMCB_INTERCEPT_CR) & INTERCEPT_CR_WRITE(4);

	control_register(j, e, how, CR4_MCE | (npt ? 0 : CR4_PAE), npt ? 0 : CR4_SMEP | CR4_SMAP | CR4_PKE, w ? 0 : ~0ull,
			 w ? "vmcb12 intercepts CR4 writes"
			   : "vmcb12 intercepts no CR4 write: KVM emulates L2's (svm_set_cr4)");
}

static void efer(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	bool npt = kvm_npt(j);
	/* LMA/LME follow CR0.PG (svm_set_cr0); L2's WRMSR EFER reaches L1 only through L1's MSR map */
	bool l1_msrs = f12(j, NS_VMCB_INTERCEPT_WORD3) & MSR_PROT_IN_WORD3;

	control_register(j, e, how, EFER_SVME | (npt ? 0 : EFER_NX), npt ? 0 : EFER_LME, ~0ull,
			 l1_msrs ? "L2 may write EFER: KVM emulates the WRMSR unless L1's MSR map (in L1's memory, not "
				   "checked here) intercepts it"
				 : "vmcb12 intercepts no MSR: KVM emulates L2's WRMSR EFER (svm_set_efer)");
}

static void cr3(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	if (!kvm_npt(j)) {
		say(e, NS_DIFF_EXPECTED, NS_VCHK_UNCHECKABLE, "%s: KVM without NPT runs L2 on its shadow page table", how);
		return;
	}
	if (f12(j, NS_VMCB_INTERCEPT_CR) & INTERCEPT_CR_WRITE(3))
		unexplained(e, how, "vmcb12 intercepts CR3 writes, so L2 cannot have loaded another");
	else
		live(j, e, "vmcb12 intercepts no CR3 write: L2 loads its CR3 itself under NPT");
}

static void dr7(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	if ((e->a ^ e->b) == DR7_FIXED_1 && (e->b & DR7_FIXED_1))
		say(e, NS_DIFF_EXPECTED, NS_VCHK_VERIFIED, "%s", how);
	else if (f12(j, NS_VMCB_INTERCEPT_DR) & INTERCEPT_DR_WRITE(7))
		unexplained(e, how, "vmcb12 intercepts DR7 writes, so L2 cannot have written another");
	else
		live(j, e, "vmcb12 intercepts no DR7 write: KVM emulates L2's (kvm_set_dr)");
}

static void dr6(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	if (e->b == DR6_ACTIVE_LOW)
		say(e, NS_DIFF_EXPECTED, NS_VCHK_VERIFIED, "%s", how);
	else
		live(j, e, "a #DB in L2, or the guest's own debug registers, change DR6");
}

static void rflags(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	if ((e->a ^ e->b) == RFLAGS_FIXED && (e->b & RFLAGS_FIXED))
		say(e, NS_DIFF_EXPECTED, NS_VCHK_VERIFIED, "%s", how);
	else
		live(j, e, how);
}

static void lbr(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	if (!(f02(j, NS_VMCB_MISC_CTL2) & NS_SVM_MISC_CTL2_LBR_VIRTUALIZATION))
		say(e, NS_DIFF_EXPECTED, NS_VCHK_VERIFIED, "vmcb02 has no LBR virtualization: the CPU neither loads nor "
		    "saves these (%s)", how);
	else if (j->v01 && e->b == e->c)
		say(e, NS_DIFF_EXPECTED, NS_VCHK_VERIFIED, "%s: vmcb01's", how);
	else
		live(j, e, "the CPU records L2's branches in vmcb02 under LBR virtualization");
}

static void spec_ctrl(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	if (!j->v01)
		say(e, NS_DIFF_EXPECTED, NS_VCHK_NEEDS_VMCB01, "%s", how);
	else if (e->b == e->c)
		say(e, NS_DIFF_EXPECTED, NS_VCHK_VERIFIED, "%s", how);
	else
		live(j, e, how);
}

/* vmcb01's; under nested NPT, kernels with nested gPAT take vmcb12's, and L2's WRMSR PAT changes it */
static void g_pat(const struct judge *j, struct ns_vmcb_diff_entry *e, const char *how)
{
	if (!j->v01)
		say(e, NS_DIFF_EXPECTED, NS_VCHK_NEEDS_VMCB01, "%s", how);
	else if (e->b == e->c)
		say(e, NS_DIFF_EXPECTED, NS_VCHK_VERIFIED, "%s", how);
	else if (f12(j, NS_VMCB_MISC_CTL) & NS_SVM_MISC_CTL_NP_ENABLE)
		live(j, e, "nested NPT with nested gPAT: vmcb12's G_PAT at VMRUN, then L2's WRMSR PAT");
	else
		unexplained(e, how, "vmcb02's is not vmcb01's, and vmcb12 has no nested NPT");
}

static void classify(const struct judge *j, struct ns_vmcb_diff_entry *e)
{
	const struct rule *r = &rules[e->field->id];
	const char *how = r->how;

	switch (r->kind) {
	case K_OWN: say(e, NS_DIFF_EXPECTED, NS_VCHK_UNCHECKABLE, "%s", how); break;
	case K_VMLOAD: say(e, NS_DIFF_EXPECTED, NS_VCHK_VERIFIED, "%s", how); break;
	case K_VMCB01: from_vmcb01(j, e, how); break;
	case K_LIVE: case K_EXIT: live(j, e, how); break;
	case K_INTERCEPT: intercepts(j, e, how); break;
	case K_PAUSE: pause_filter(j, e, how); break;
	case K_MSRPM: msrpm(j, e, how); break;
	case K_TSC: tsc(j, e, how); break;
	case K_ASID:
		/* ASID 0 is the host's: VMRUN refuses it */
		if (e->b)
			say(e, NS_DIFF_EXPECTED, NS_VCHK_UNCHECKABLE, "%s", how);
		else if (j->run_pending)
			/* KVM gives a VMCB its ASID in pre_svm_run, just before each entry; with the entry into L2
			 * still to come (KVM_STATE_NESTED_RUN_PENDING) a vmcb02 that never ran holds 0 (the
			 * samples' pending configuration on 6.1; 7.2 assigns vmcb02's ASID when it is allocated) */
			say(e, NS_DIFF_EXPECTED, NS_VCHK_UNCHECKABLE, "vmcb02 has not run yet (run pending): KVM "
			    "puts its ASID at the entry into L2 (pre_svm_run); %s", how);
		else
			unexplained(e, how, "vmcb02's ASID is 0, the host's");
		break;
	case K_TLB_CTL:
		if (ns_svm_value_name(NS_SVMT_TLB_CTL, e->b))
			say(e, NS_DIFF_EXPECTED, NS_VCHK_UNCHECKABLE, "%s", how);
		else
			unexplained(e, how, "vmcb02's is no TLB_CONTROL value");
		break;
	case K_INT_CTL: int_ctl(j, e, how); break;
	case K_INT_VECTOR: int_vector(j, e, how); break;
	case K_EVENT: event(j, e, how); break;
	case K_NCR3: ncr3(j, e, how); break;
	case K_MISC_CTL2: misc_ctl2(j, e, how); break;
	case K_EFER: efer(j, e, how); break;
	case K_CR4: cr4(j, e, how); break;
	case K_CR3: cr3(j, e, how); break;
	case K_CR0: cr0(j, e, how); break;
	case K_DR7: dr7(j, e, how); break;
	case K_DR6: dr6(j, e, how); break;
	case K_RFLAGS: rflags(j, e, how); break;
	case K_LBR: lbr(j, e, how); break;
	case K_SPEC_CTRL: spec_ctrl(j, e, how); break;
	case K_G_PAT: g_pat(j, e, how); break;
	}
}

/* A value as printed: a number in hex, INSN_BYTES its bytes in memory order. */
static void hex_of(const struct ns_vmcb *v, const struct ns_vmcb_field *f, uint64_t val, char *out, size_t n)
{
	const uint8_t *p;
	size_t at;

	if (f->size <= sizeof(uint64_t) || !(p = ns_vmcb_bytes(v, f->id))) {
		snprintf(out, n, "0x%llx", (unsigned long long)val);
		return;
	}
	at = (size_t)snprintf(out, n, "0x");
	for (unsigned i = 0; i < f->size && at + 2 < n; i++)
		at += (size_t)snprintf(out + at, n - at, "%02x", p[i]);
}

void ns_diff_vmcb(const struct ns_vmcb *v12, const struct ns_vmcb *v02, const struct ns_vmcb *v01, bool guest_mode,
		  struct ns_vmcb_diff *d)
{
	struct ns_vmcb_diff_context ctx = { .guest_mode = guest_mode };

	ns_diff_vmcb_ctx(v12, v02, v01, &ctx, d);
}

void ns_diff_vmcb_ctx(const struct ns_vmcb *v12, const struct ns_vmcb *v02, const struct ns_vmcb *v01,
		      const struct ns_vmcb_diff_context *ctx, struct ns_vmcb_diff *d)
{
	/* a pending run is in guest mode too: KVM set it with vmcb02 (enter_svm_guest_mode) */
	struct judge j = { v12, v02, v01, ctx->guest_mode || ctx->run_pending, ctx->run_pending };

	memset(d, 0, sizeof(*d));
	d->ctx.guest_mode = j.l2;
	d->ctx.run_pending = ctx->run_pending;
	d->ctx.have_vmcb01 = v01 != NULL;
	for (size_t i = 0; i < ns_vmcb_field_count(); i++) {
		const struct ns_vmcb_field *f = ns_vmcb_field((enum ns_vmcb_field_id)i);
		struct ns_vmcb_diff_entry *e;
		const uint8_t *pa = ns_vmcb_bytes(v12, f->id), *pb = ns_vmcb_bytes(v02, f->id);

		if (!pa || !pb)
			continue; /* an area one page lacks */
		d->compared++;
		if (!memcmp(pa, pb, f->size)) {
			d->equal++;
			continue;
		}
		e = &d->e[d->n++];
		e->field = f;
		/* INSN_BYTES (15 bytes): its first 8 as the number; the hex text has all */
		if (f->size > sizeof(uint64_t)) {
			memcpy(&e->a, pa, sizeof(e->a));
			memcpy(&e->b, pb, sizeof(e->b));
		} else {
			e->a = ns_vmcb_get(v12, f->id);
			e->b = ns_vmcb_get(v02, f->id);
		}
		hex_of(v12, f, e->a, e->a_hex, sizeof(e->a_hex));
		hex_of(v02, f, e->b, e->b_hex, sizeof(e->b_hex));
		if (v01) {
			e->c = f->size > sizeof(uint64_t) ? 0 : ns_vmcb_get(v01, f->id);
			if (f->size > sizeof(uint64_t) && ns_vmcb_bytes(v01, f->id))
				memcpy(&e->c, ns_vmcb_bytes(v01, f->id), sizeof(e->c));
			hex_of(v01, f, e->c, e->c_hex, sizeof(e->c_hex));
		}
		if (!rules[f->id].set)
			say(e, NS_DIFF_UNEXPLAINED, NS_VCHK_VERIFIED, "no rule for this field (decoders/svm/diff_rules.def)");
		else
			classify(&j, e);
		d->count[e->cls]++;
		if (e->check == NS_VCHK_NEEDS_VMCB01)
			d->needs_vmcb01++;
	}
}
