/* The vmcs12/vmcs02 diff and its classification (rules in diff_rules.def). */
#include <stdio.h>
#include <string.h>

#include "nestscope/diff.h"
#include "sdm/vmx_names.h"

struct rule {
	uint16_t enc;
	const char *reason;
};

static const struct rule rules[] = {
#define RULE(e, r) { e, r },
#include "analyses/diff_rules.def"
#undef RULE
};

static const char *rule_for(uint32_t enc)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].enc == enc)
			return rules[i].reason;
	return NULL;
}

/* Guest fields KVM copies from vmcs02 lazily (sync_vmcs02_to_vmcs12_rare). */
static bool synced_lazily(uint32_t enc)
{
	/* the catalog's encoding order: each range holds every segment's field, GDTR's and IDTR's included */
	return (enc >= GUEST_ES_SELECTOR && enc <= GUEST_TR_SELECTOR) ||
	       (enc >= GUEST_ES_LIMIT && enc <= GUEST_TR_AR_BYTES) ||  /* limits, then access rights */
	       (enc >= GUEST_ES_BASE && enc <= GUEST_IDTR_BASE) ||
	       enc == GUEST_PENDING_DBG_EXCEPTIONS || enc == GUEST_SYSENTER_ESP || enc == GUEST_SYSENTER_EIP ||
	       enc == GUEST_BNDCFGS;
}

const char *ns_diff_class_name(enum ns_diff_class c)
{
	static const char *const n[] = { "expected", "stale", "unexplained", "changed" };
	return n[c];
}

/*
 * CR0/CR4: bits in vmcs02's guest/host mask that L1's mask leaves to L2 are
 * L0's: the hardware value carries L0's choice there (L2 reads vmcs12's value
 * through the read shadow).  Only a difference confined to those bits is
 * expected.
 */
static bool l0_owned_bits_only(const struct ns_vmcs *a, const struct ns_vmcs *b, enum vmcs_field mask,
			       uint64_t diff)
{
	uint64_t mask12 = 0, mask02 = 0;

	if (ns_vmcs_read(a, mask, &mask12, NULL) || ns_vmcs_read(b, mask, &mask02, NULL))
		return false;
	return !(diff & ~(mask02 & ~mask12));
}

static void classify(const struct ns_vmcs *a, const struct ns_vmcs *b, const struct ns_field *f,
		     const struct ns_diff_context *ctx, struct ns_diff_entry *e)
{
	const char *rule;

	if (!ctx->vmcs12_vs_vmcs02) {
		e->cls = NS_DIFF_CHANGED;
		e->reason = "the copies differ (two copies of one VMCS: no construction rules apply)";
		return;
	}
	e->cls = NS_DIFF_UNEXPLAINED;
	e->reason = "no rule explains this difference: vmcs02 is not what KVM builds from this vmcs12";
	if (f->type == NS_HOST) {
		e->cls = NS_DIFF_EXPECTED;
		e->reason = "host state: vmcs02's is L0's own; vmcs12's is L1's, which KVM loads on an exit to L1";
		return;
	}
	if ((f->encoding == GUEST_RIP && ctx->rip_dirty) || (f->encoding == GUEST_RSP && ctx->rsp_dirty)) {
		e->cls = NS_DIFF_STALE;
		e->reason = "vmcs02 is behind KVM's register cache: the dirty value reaches vmcs02 at the next VM entry";
		return;
	}
	if ((f->encoding == GUEST_CR0 && l0_owned_bits_only(a, b, CR0_GUEST_HOST_MASK, e->a ^ e->b)) ||
	    (f->encoding == GUEST_CR4 && l0_owned_bits_only(a, b, CR4_GUEST_HOST_MASK, e->a ^ e->b))) {
		e->cls = NS_DIFF_EXPECTED;
		e->reason = "differs only in bits L0 owns (in vmcs02's guest/host mask, not L1's): L0's choice in "
			    "hardware, L2 reads vmcs12's value through the read shadow";
		return;
	}
	rule = rule_for(f->encoding);
	if (rule) {
		e->cls = NS_DIFF_EXPECTED;
		e->reason = rule;
		return;
	}
	if (ctx->guest_mode && f->type == NS_GUEST) {
		e->cls = NS_DIFF_STALE;
		e->reason = synced_lazily(f->encoding)
			? "L2 runs: KVM copies this guest field into vmcs12 lazily (sync_vmcs02_to_vmcs12_rare)"
			: "L2 runs: KVM copies this guest field into vmcs12 at the next exit to L1 (sync_vmcs02_to_vmcs12)";
		return;
	}
	if (ctx->guest_mode && f->type == NS_EXIT) {
		e->cls = NS_DIFF_STALE;
		e->reason = "L2 runs: vmcs02 has the last exit to L0, vmcs12 the last exit to L1 (prepare_vmcs12 copies it "
			    "at the next exit to L1)";
		return;
	}
	/* in L1, vmcs02 is not what vmcs12 says now, and no rule can say it should be */
	if (ctx->in_l1) {
		e->cls = NS_DIFF_STALE;
		e->reason = "L1 runs: vmcs02 holds what L2's last run left (KVM copied only part of it into vmcs12 at the "
			    "exit to L1, and L1 may have written vmcs12 since); KVM rebuilds vmcs02 at the next VM entry";
	}
}

void ns_diff_vmcs(const struct ns_vmcs *a, const struct ns_vmcs *b, const struct ns_diff_context *ctx,
		  struct ns_diff *d)
{
	memset(d, 0, sizeof(*d));
	d->ctx = *ctx;
	for (size_t i = 0; i < ns_field_count(); i++) {
		const struct ns_field *f = ns_field_at(i);
		struct ns_diff_entry *e;
		uint64_t va, vb;

		if (ns_vmcs_read(a, f->encoding, &va, NULL) || ns_vmcs_read(b, f->encoding, &vb, NULL))
			continue; /* not in both layouts */
		d->compared++;
		if (va == vb) {
			d->equal++;
			continue;
		}
		if (d->n >= NS_DIFF_MAX)
			continue;
		e = &d->e[d->n++];
		e->field = f;
		e->a = va;
		e->b = vb;
		classify(a, b, f, ctx, e);
		d->count[e->cls]++;
	}
}
