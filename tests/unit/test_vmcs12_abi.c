/*
 * The vmcs12 ABI check on struct vmcs12 layouts written out here by hand
 * from the kernel's arch/x86/kvm/vmx/vmcs12.h, member by member in
 * declaration order (the struct is __packed: each member starts where the
 * one before ends), not from nestscope's table:
 *
 *   - Linux 6.1: natural_width paddingl[8] after host_rip, at 680, 998 bytes;
 *   - Linux 6.18+ (Debian's 7.2): host_s_cet, host_ssp, host_ssp_tbl,
 *     guest_s_cet, guest_ssp, guest_ssp_tbl at 680..727 and paddingl[2] at
 *     728, same size, same VMCS12_REVISION;
 *   - the same with one member moved by 8 bytes, or resized: ABI breaks.
 */
#include "nestscope/vmcs12.h"
#include "nestscope/vmcs12_abi.h"
#include "testutil.h"

struct decl {
	const char *name;
	unsigned size;
};

/* Linux 6.1's struct vmcs12 up to host_rip, as declared (u64 and natural_width are 8 bytes). */
static const struct decl head[] = {
	{ "hdr", 4 }, { "abort", 4 }, { "launch_state", 4 }, { "padding[7]", 28 },
	{ "io_bitmap_a", 8 }, { "io_bitmap_b", 8 }, { "msr_bitmap", 8 }, { "vm_exit_msr_store_addr", 8 },
	{ "vm_exit_msr_load_addr", 8 }, { "vm_entry_msr_load_addr", 8 }, { "tsc_offset", 8 },
	{ "virtual_apic_page_addr", 8 }, { "apic_access_addr", 8 }, { "posted_intr_desc_addr", 8 },
	{ "ept_pointer", 8 }, { "eoi_exit_bitmap0", 8 }, { "eoi_exit_bitmap1", 8 }, { "eoi_exit_bitmap2", 8 },
	{ "eoi_exit_bitmap3", 8 }, { "xss_exit_bitmap", 8 }, { "guest_physical_address", 8 },
	{ "vmcs_link_pointer", 8 }, { "guest_ia32_debugctl", 8 }, { "guest_ia32_pat", 8 }, { "guest_ia32_efer", 8 },
	{ "guest_ia32_perf_global_ctrl", 8 }, { "guest_pdptr0", 8 }, { "guest_pdptr1", 8 }, { "guest_pdptr2", 8 },
	{ "guest_pdptr3", 8 }, { "guest_bndcfgs", 8 }, { "host_ia32_pat", 8 }, { "host_ia32_efer", 8 },
	{ "host_ia32_perf_global_ctrl", 8 }, { "vmread_bitmap", 8 }, { "vmwrite_bitmap", 8 },
	{ "vm_function_control", 8 }, { "eptp_list_address", 8 }, { "pml_address", 8 },
	{ "encls_exiting_bitmap", 8 }, { "tsc_multiplier", 8 }, { "padding64[1]", 8 },
	{ "cr0_guest_host_mask", 8 }, { "cr4_guest_host_mask", 8 }, { "cr0_read_shadow", 8 },
	{ "cr4_read_shadow", 8 }, { "dead_space[4]", 32 }, { "exit_qualification", 8 },
	{ "guest_linear_address", 8 }, { "guest_cr0", 8 }, { "guest_cr3", 8 }, { "guest_cr4", 8 },
	{ "guest_es_base", 8 }, { "guest_cs_base", 8 }, { "guest_ss_base", 8 }, { "guest_ds_base", 8 },
	{ "guest_fs_base", 8 }, { "guest_gs_base", 8 }, { "guest_ldtr_base", 8 }, { "guest_tr_base", 8 },
	{ "guest_gdtr_base", 8 }, { "guest_idtr_base", 8 }, { "guest_dr7", 8 }, { "guest_rsp", 8 },
	{ "guest_rip", 8 }, { "guest_rflags", 8 }, { "guest_pending_dbg_exceptions", 8 },
	{ "guest_sysenter_esp", 8 }, { "guest_sysenter_eip", 8 }, { "host_cr0", 8 }, { "host_cr3", 8 },
	{ "host_cr4", 8 }, { "host_fs_base", 8 }, { "host_gs_base", 8 }, { "host_tr_base", 8 },
	{ "host_gdtr_base", 8 }, { "host_idtr_base", 8 }, { "host_ia32_sysenter_esp", 8 },
	{ "host_ia32_sysenter_eip", 8 }, { "host_rsp", 8 }, { "host_rip", 8 },
};

/* 6.1: the padding after host_rip. */
static const struct decl padding_61[] = { { "paddingl[8]", 64 } };

/* 6.18+: the nested CET block took six of its eight u64. */
static const struct decl cet_block[] = {
	{ "host_s_cet", 8 }, { "host_ssp", 8 }, { "host_ssp_tbl", 8 }, { "guest_s_cet", 8 }, { "guest_ssp", 8 },
	{ "guest_ssp_tbl", 8 }, { "paddingl[2]", 16 },
};

/* The rest, the same in both. */
static const struct decl tail[] = {
	{ "pin_based_vm_exec_control", 4 }, { "cpu_based_vm_exec_control", 4 }, { "exception_bitmap", 4 },
	{ "page_fault_error_code_mask", 4 }, { "page_fault_error_code_match", 4 }, { "cr3_target_count", 4 },
	{ "vm_exit_controls", 4 }, { "vm_exit_msr_store_count", 4 }, { "vm_exit_msr_load_count", 4 },
	{ "vm_entry_controls", 4 }, { "vm_entry_msr_load_count", 4 }, { "vm_entry_intr_info_field", 4 },
	{ "vm_entry_exception_error_code", 4 }, { "vm_entry_instruction_len", 4 }, { "tpr_threshold", 4 },
	{ "secondary_vm_exec_control", 4 }, { "vm_instruction_error", 4 }, { "vm_exit_reason", 4 },
	{ "vm_exit_intr_info", 4 }, { "vm_exit_intr_error_code", 4 }, { "idt_vectoring_info_field", 4 },
	{ "idt_vectoring_error_code", 4 }, { "vm_exit_instruction_len", 4 }, { "vmx_instruction_info", 4 },
	{ "guest_es_limit", 4 }, { "guest_cs_limit", 4 }, { "guest_ss_limit", 4 }, { "guest_ds_limit", 4 },
	{ "guest_fs_limit", 4 }, { "guest_gs_limit", 4 }, { "guest_ldtr_limit", 4 }, { "guest_tr_limit", 4 },
	{ "guest_gdtr_limit", 4 }, { "guest_idtr_limit", 4 }, { "guest_es_ar_bytes", 4 }, { "guest_cs_ar_bytes", 4 },
	{ "guest_ss_ar_bytes", 4 }, { "guest_ds_ar_bytes", 4 }, { "guest_fs_ar_bytes", 4 }, { "guest_gs_ar_bytes", 4 },
	{ "guest_ldtr_ar_bytes", 4 }, { "guest_tr_ar_bytes", 4 }, { "guest_interruptibility_info", 4 },
	{ "guest_activity_state", 4 }, { "guest_sysenter_cs", 4 }, { "host_ia32_sysenter_cs", 4 },
	{ "vmx_preemption_timer_value", 4 }, { "padding32[7]", 28 }, { "virtual_processor_id", 2 },
	{ "posted_intr_nv", 2 }, { "guest_es_selector", 2 }, { "guest_cs_selector", 2 }, { "guest_ss_selector", 2 },
	{ "guest_ds_selector", 2 }, { "guest_fs_selector", 2 }, { "guest_gs_selector", 2 },
	{ "guest_ldtr_selector", 2 }, { "guest_tr_selector", 2 }, { "guest_intr_status", 2 },
	{ "host_es_selector", 2 }, { "host_cs_selector", 2 }, { "host_ss_selector", 2 }, { "host_ds_selector", 2 },
	{ "host_fs_selector", 2 }, { "host_gs_selector", 2 }, { "host_tr_selector", 2 }, { "guest_pml_index", 2 },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAXM 200

struct layout {
	struct ns_abi_member m[MAXM];
	size_t n;
	uint64_t size;
};

static void append(struct layout *l, const struct decl *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_true(l->n < MAXM);
		l->m[l->n++] = (struct ns_abi_member){ d[i].name, l->size, d[i].size };
		l->size += d[i].size;
	}
}

/* The kernel's layout: newer picks the CET block over paddingl[8]. */
static void build(struct layout *l, bool newer)
{
	memset(l, 0, sizeof(*l));
	append(l, head, N(head));
	assert_int_equal(l->size, 680);   /* host_rip ends at 680 (vmx_check_vmcs12_offsets: host_rip at 672) */
	if (newer)
		append(l, cet_block, N(cet_block));
	else
		append(l, padding_61, N(padding_61));
	assert_int_equal(l->size, 744);   /* pin_based_vm_exec_control at 744 */
	append(l, tail, N(tail));
	assert_int_equal(l->size, 998);   /* sizeof(struct vmcs12) */
}

static struct ns_abi_member *named(struct layout *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->m[i].name, name))
			return &l->m[i];
	fail_msg("no member %s", name);
	return NULL;
}

static unsigned count(const struct ns_abi_report *r, enum ns_abi_kind k)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->nfindings; i++)
		n += r->findings[i].kind == k;
	return n;
}

static const struct ns_abi_finding *first(const struct ns_abi_report *r, enum ns_abi_kind k)
{
	for (unsigned i = 0; i < r->nfindings; i++)
		if (r->findings[i].kind == k)
			return &r->findings[i];
	return NULL;
}

static struct ns_abi_report rep;
static struct layout lay;

static void compare(struct layout *l)
{
	struct ns_error err;

	assert_int_equal(ns_vmcs12_abi_compare(l->m, l->n, l->size, &rep, &err), NS_OK);
}

static const char *const cet_names[] = { "host_s_cet", "host_ssp", "host_ssp_tbl", "guest_s_cet", "guest_ssp",
					 "guest_ssp_tbl" };

/* 6.1: compatible; nothing added; the six CET members absent, in paddingl[8] at 680. */
static void linux_6_1_is_compatible(void **state)
{
	(void)state;
	build(&lay, false);
	assert_int_equal(lay.n, 149);
	compare(&lay);
	assert_int_equal(rep.breaks, 0);
	assert_int_equal(rep.added, 0);
	assert_int_equal(rep.absent, 6);
	assert_int_equal(rep.kernel_size, 998);
	for (unsigned i = 0, k = 0; i < rep.nfindings; i++) {
		const struct ns_abi_finding *f = &rep.findings[i];

		if (f->kind != NS_ABI_ABSENT)
			continue;
		assert_string_equal(f->table_member, cet_names[k]);
		assert_int_equal(f->table_offset, 680 + 8 * k);
		assert_true(f->table_newer);
		assert_string_equal(f->padding, "paddingl");
		assert_int_equal(f->padding_offset, 680);
		assert_int_equal(f->padding_size, 64);
		k++;
	}
	/* paddingl has other bounds than the 6.18 layout's: said, not a break */
	assert_int_equal(count(&rep, NS_ABI_PADDING), 1);
	assert_string_equal(first(&rep, NS_ABI_PADDING)->member, "paddingl");
	assert_int_equal(first(&rep, NS_ABI_PADDING)->size, 64);
	assert_int_equal(rep.nfindings, 7);
}

/* 6.18+: compatible; the six CET members named as added in former padding. */
static void linux_cet_is_compatible_and_names_the_block(void **state)
{
	(void)state;
	build(&lay, true);
	assert_int_equal(lay.n, 155);
	compare(&lay);
	assert_int_equal(rep.breaks, 0);
	assert_int_equal(rep.absent, 0);
	assert_int_equal(rep.added, 6);
	assert_int_equal(count(&rep, NS_ABI_PADDING), 0);
	for (unsigned k = 0; k < 6; k++) {
		const struct ns_abi_finding *f = &rep.findings[k];

		assert_int_equal(f->kind, NS_ABI_ADDED);
		assert_string_equal(f->member, cet_names[k]);
		assert_int_equal(f->offset, 680 + 8 * k);
		assert_int_equal(f->size, 8);
		assert_true(f->table_newer);
	}
	assert_int_equal(rep.same, rep.table_members);
}

/* One member 8 bytes further: a break naming it, with both offsets. */
static void a_moved_member_breaks(void **state)
{
	const struct ns_abi_finding *f;

	(void)state;
	build(&lay, false);
	named(&lay, "guest_rip")->offset += 8;
	compare(&lay);
	assert_true(rep.breaks >= 1);
	assert_int_equal(count(&rep, NS_ABI_MOVED), 1);
	f = first(&rep, NS_ABI_MOVED);
	assert_string_equal(f->member, "guest_rip");
	assert_int_equal(f->offset, 552);
	assert_int_equal(f->table_offset, 544);
	assert_true(ns_abi_kind_breaks(NS_ABI_MOVED));
}

/* One member of another size: a break. */
static void a_resized_member_breaks(void **state)
{
	const struct ns_abi_finding *f;

	(void)state;
	build(&lay, true);
	named(&lay, "vm_exit_reason")->size = 2;
	compare(&lay);
	assert_int_equal(rep.breaks, 1);
	f = first(&rep, NS_ABI_RESIZED);
	assert_non_null(f);
	assert_string_equal(f->member, "vm_exit_reason");
	assert_int_equal(f->size, 2);
	assert_int_equal(f->table_size, 4);
}

/* A field the table does not know: fine in former padding (named), a break over a table field. */
static void unknown_members(void **state)
{
	(void)state;
	build(&lay, true);
	/* a future kernel: a u32 out of padding32[7] at 932, padding32[6] after it */
	named(&lay, "padding32[7]")->name = "future_field";
	named(&lay, "future_field")->size = 4;
	assert_true(lay.n < MAXM);
	lay.m[lay.n++] = (struct ns_abi_member){ "padding32[6]", 936, 24 };
	compare(&lay);
	assert_int_equal(rep.breaks, 0);
	assert_int_equal(rep.added, 7);
	assert_string_equal(first(&rep, NS_ABI_PADDING)->member, "padding32");
	for (unsigned i = 0; i < rep.nfindings; i++)
		if (rep.findings[i].kind == NS_ABI_ADDED && !rep.findings[i].table_newer) {
			assert_string_equal(rep.findings[i].member, "future_field");
			assert_string_equal(rep.findings[i].table_member, "padding32");
		}

	/* a renamed field is not the table's: over guest_cr3, it breaks */
	build(&lay, true);
	named(&lay, "guest_cr3")->name = "guest_cr3_renamed";
	compare(&lay);
	assert_int_equal(count(&rep, NS_ABI_OVERLAP), 1);
	assert_string_equal(first(&rep, NS_ABI_OVERLAP)->table_member, "guest_cr3");
	assert_true(rep.breaks >= 1);

	/* past the end of the table's struct, inside the 4 KiB region: added */
	build(&lay, true);
	lay.m[lay.n++] = (struct ns_abi_member){ "newest", 998, 8 };
	compare(&lay);
	assert_int_equal(rep.breaks, 0);
	assert_int_equal(count(&rep, NS_ABI_ADDED), 7);
	assert_int_equal(count(&rep, NS_ABI_SIZE), 0);  /* the struct size given is still 998 */
}

/* A table member the kernel lacks with no padding there breaks; a struct over 4 KiB too. */
static void missing_and_too_big(void **state)
{
	(void)state;
	build(&lay, false);
	for (size_t i = 0; i < lay.n; i++)
		if (!strcmp(lay.m[i].name, "tsc_offset"))
			lay.m[i] = lay.m[--lay.n];
	compare(&lay);
	assert_int_equal(count(&rep, NS_ABI_MISSING), 1);
	assert_string_equal(first(&rep, NS_ABI_MISSING)->table_member, "tsc_offset");

	build(&lay, false);
	lay.size = NS_VMCS12_REGION_SIZE + 8;
	compare(&lay);
	assert_int_equal(count(&rep, NS_ABI_TOO_BIG), 1);
	assert_true(rep.breaks >= 1);
}

static void bad_lists(void **state)
{
	struct ns_error err;
	struct ns_abi_member m = { "guest_rip", 544, -1 };

	(void)state;
	assert_int_equal(ns_vmcs12_abi_compare(NULL, 0, 998, &rep, &err), NS_ERR_ARG);
	assert_int_equal(ns_vmcs12_abi_compare(&m, 1, 998, &rep, &err), NS_ERR_ARG);
	assert_non_null(strstr(err.msg, "guest_rip"));
}

/* A provider that answers lookups by name only (crash), over a layout: "member" finds "member" and "member[N]". */
static const struct ns_abi_member *lookup(void *ctx, const char *type, const char *member)
{
	struct layout *l = ctx;
	size_t n = strlen(member);

	if (strcmp(type, "vmcs12"))
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		if (!strncmp(l->m[i].name, member, n) && (!l->m[i].name[n] || l->m[i].name[n] == '['))
			return &l->m[i];
	return NULL;
}

static long lookup_offset(void *ctx, const char *type, const char *member)
{
	const struct ns_abi_member *m = lookup(ctx, type, member);

	return m ? (long)m->offset : -1;
}

static long lookup_size(void *ctx, const char *type, const char *member)
{
	const struct ns_abi_member *m = lookup(ctx, type, member);

	return m ? (long)m->size : -1;
}

static long lookup_type_size(void *ctx, const char *type)
{
	return strcmp(type, "vmcs12") ? -1 : (long)((struct layout *)ctx)->size;
}

static void lookup_only(void **state)
{
	struct ns_target t = { &lay, NULL, lookup_offset, lookup_size, NULL, lookup_type_size };
	struct ns_error err;

	(void)state;
	build(&lay, false);
	assert_int_equal(ns_vmcs12_abi_lookup(&t, &rep, &err), NS_OK);
	assert_true(rep.lookup_only);
	assert_int_equal(rep.breaks, 0);
	assert_int_equal(rep.absent, 6);
	assert_int_equal(count(&rep, NS_ABI_UNLISTED), 1);

	build(&lay, true);
	assert_int_equal(ns_vmcs12_abi_lookup(&t, &rep, &err), NS_OK);
	assert_int_equal(rep.added, 6);
	assert_int_equal(rep.breaks, 0);

	build(&lay, true);
	named(&lay, "guest_rip")->offset += 8;
	assert_int_equal(ns_vmcs12_abi_lookup(&t, &rep, &err), NS_OK);
	assert_int_equal(count(&rep, NS_ABI_MOVED), 1);

	lay.n = 0;  /* kvm_intel's types not loaded */
	assert_int_equal(ns_vmcs12_abi_lookup(&t, &rep, &err), NS_ERR_TYPES);
}

/* The renderers say the verdict and name the added fields. */
static char outbuf[65536];
static size_t outlen;

static void sink(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	if (outlen + n < sizeof(outbuf)) {
		memcpy(outbuf + outlen, s, n);
		outlen += n;
	}
	outbuf[outlen] = '\0';
}

static void rendering(void **state)
{
	struct ns_out o = { sink, NULL };

	(void)state;
	build(&lay, true);
	compare(&lay);
	outlen = 0;
	ns_render_abi_text(&o, &rep, "7.2.13+deb14-amd64", "DWARF of kvm-intel.ko");
	assert_non_null(strstr(outbuf, "Linux 7.2.13+deb14-amd64"));
	assert_non_null(strstr(outbuf, "verdict   compatible"));
	for (unsigned k = 0; k < 6; k++)
		assert_non_null(strstr(outbuf, cet_names[k]));
	outlen = 0;
	ns_render_abi_json(&o, &rep, NULL, NULL);
	assert_non_null(strstr(outbuf, "\"schema\":\"nestscope/abi/2\""));
	assert_non_null(strstr(outbuf, "\"release\":null"));
	assert_non_null(strstr(outbuf, "\"compatible\":true"));

	build(&lay, false);
	named(&lay, "guest_rip")->offset += 8;
	compare(&lay);
	outlen = 0;
	ns_render_abi_text(&o, &rep, NULL, NULL);
	assert_non_null(strstr(outbuf, "ABI BREAK"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(linux_6_1_is_compatible),
		cmocka_unit_test(linux_cet_is_compatible_and_names_the_block),
		cmocka_unit_test(a_moved_member_breaks),
		cmocka_unit_test(a_resized_member_breaks),
		cmocka_unit_test(unknown_members),
		cmocka_unit_test(missing_and_too_big),
		cmocka_unit_test(bad_lists),
		cmocka_unit_test(lookup_only),
		cmocka_unit_test(rendering),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
