/*
 * x86-64 4-level page walks (ns_phys_translate, decoders/pagewalk.c over
 * libaddrxlat) on page tables built here in a small physical memory: each
 * expected address is the one the entries written map, by the SDM's
 * 4-level paging (Vol. 3A, "Paging": the entry formats, 4 KiB, 2 MiB and
 * 1 GiB pages, the bits reserved in each entry).  And the scan's search of
 * the kernel address at which a hypervisor's page tables map a VMCS
 * (ns_scan_relate), with its walk budget; a VMM's user memory through its
 * page tables (ns_kvm_read_user).
 */
#include "nestscope/locate.h"
#include "nestscope/scan.h"
#include "pagewalk.h"
#include "testutil.h"

#define PAGES 16
#define PAGE 4096ull
#define P 0x1ull             /* present */
#define RW 0x2ull
#define PS 0x80ull           /* a page, not a table */
#define PAT_LARGE 0x1000ull  /* bit 12 of a 2 MiB or 1 GiB entry: PAT, not an address bit */
#define XD (1ull << 63)
#define GIB (1ull << 30)
#define MIB2 (2ull << 20)

/* physical pages: the tables' frames */
enum { PML4 = 1, PDPT = 2, PD = 3, PT = 4, DATA = 7 };

static uint8_t mem[PAGES * PAGE];
static unsigned reads;

static bool rd(void *ctx, uint64_t pa, void *buf, size_t len)
{
	(void)ctx;
	reads++;
	if (pa > sizeof(mem) || len > sizeof(mem) - pa)
		return false;
	memcpy(buf, mem + pa, len);
	return true;
}

static const struct ns_phys phys = { NULL, rd };

static void set(unsigned frame, unsigned idx, uint64_t entry)
{
	memcpy(mem + frame * PAGE + 8 * idx, &entry, 8);
}

/* The virtual address of table indexes (PML4, PDPT, PD, PT) and an offset, sign-extended from bit 47. */
static uint64_t va(uint64_t i4, uint64_t i3, uint64_t i2, uint64_t i1, uint64_t off)
{
	uint64_t v = i4 << 39 | i3 << 30 | i2 << 21 | i1 << 12 | off;

	return v & (1ull << 47) ? v | 0xffff000000000000ull : v;
}

static void build(void)
{
	memset(mem, 0, sizeof(mem));
	set(PML4, 273, PDPT * PAGE | P | RW);           /* 0xffff888000000000: where Linux's direct map starts */
	set(PML4, 0, PDPT * PAGE | P | RW);             /* the lower half shares the PDPT */
	set(PML4, 300, PDPT * PAGE | P | RW | PS);      /* PS in a PML4E: reserved */
	set(PML4, 400, PML4 * PAGE | P | RW);           /* a cycle: the PML4 as its own lower tables */
	set(PML4, 500, (1ull << 40) | P | RW);          /* a PDPT far past memory */
	set(PDPT, 0, PD * PAGE | P | RW);
	set(PDPT, 1, 5 * GIB | P | RW | PS | PAT_LARGE); /* a 1 GiB page at 5 GiB */
	set(PDPT, 2, 6 * GIB | P | RW | PS | (1ull << 13)); /* 1 GiB page, bit 13 set: reserved */
	set(PDPT, 3, PD * PAGE | RW);                   /* not present */
	set(PD, 0, PT * PAGE | P | RW);
	set(PD, 1, 3 * MIB2 | P | RW | PS | PAT_LARGE);  /* a 2 MiB page at 6 MiB */
	set(PD, 2, 4 * MIB2 | P | RW | PS | (1ull << 20)); /* 2 MiB page, bit 20 set: reserved */
	set(PD, 3, 3 * MIB2 | P | RW | PS);              /* 6 MiB again, at its own offset: a direct map's */
	set(PT, 5, DATA * PAGE | P | RW | XD);          /* a 4 KiB page, not executable */
	set(PT, 6, DATA * PAGE | RW);                   /* not present */
}

static bool xlat(uint64_t cr3, uint64_t v, uint64_t *pa)
{
	*pa = 0xdeadull;
	return ns_phys_translate(&phys, cr3, v, pa);
}

static void test_mapped(void **state)
{
	uint64_t cr3 = PML4 * PAGE, pa;

	(void)state;
	build();
	assert_true(xlat(cr3, va(273, 0, 0, 5, 0x123), &pa));
	assert_int_equal(pa, DATA * PAGE + 0x123);
	assert_true(xlat(cr3, va(0, 0, 0, 5, 0xfff), &pa));     /* the lower half, through the same tables */
	assert_int_equal(pa, DATA * PAGE + 0xfff);
	assert_true(xlat(cr3, va(273, 0, 1, 0x1ab, 0x456), &pa)); /* a 2 MiB page: 21 bits of offset */
	assert_int_equal(pa, 3 * MIB2 + (0x1abull << 12) + 0x456);
	assert_true(xlat(cr3, va(273, 1, 0x155, 0x1ab, 0x456), &pa)); /* a 1 GiB page: 30 bits of offset */
	assert_int_equal(pa, 5 * GIB + (0x155ull << 21) + (0x1abull << 12) + 0x456);
	/* a cycle is four reads like any walk: the PML4 reached as the page */
	assert_true(xlat(cr3, va(400, 400, 400, 400, 0x10), &pa));
	assert_int_equal(pa, PML4 * PAGE + 0x10);
	/* CR3's bits 11:0 (PCID, PWT, PCD) are no address bits */
	assert_true(xlat(cr3 | 0x018, va(273, 0, 0, 5, 8), &pa));
	assert_int_equal(pa, DATA * PAGE + 8);
}

static void test_not_mapped(void **state)
{
	uint64_t cr3 = PML4 * PAGE, pa;

	(void)state;
	build();
	assert_false(xlat(cr3, va(273, 0, 0, 6, 0), &pa));       /* PTE not present */
	assert_false(xlat(cr3, va(273, 0, 0, 7, 0), &pa));       /* PTE zero */
	assert_false(xlat(cr3, va(273, 3, 0, 0, 0), &pa));       /* PDPTE not present */
	assert_false(xlat(cr3, va(274, 0, 0, 0, 0), &pa));       /* PML4E zero */
	assert_false(xlat(cr3, va(300, 0, 0, 5, 0), &pa));       /* PS in a PML4E */
	assert_false(xlat(cr3, va(273, 2, 0, 0, 0), &pa));       /* 1 GiB entry with bit 13 */
	assert_false(xlat(cr3, va(273, 0, 2, 0, 0), &pa));       /* 2 MiB entry with bit 20 */
	assert_false(xlat(cr3, va(500, 0, 0, 0, 0), &pa));       /* a table outside memory */
	assert_false(xlat(cr3, 0x0000800000000000ull, &pa));     /* not canonical */
	assert_false(xlat(cr3, 0xff00888000007000ull, &pa));     /* not canonical either */
	assert_false(xlat(cr3 | (1ull << 52), va(273, 0, 0, 5, 0), &pa)); /* CR3 bits above 51 */
	assert_false(xlat(cr3 | (1ull << 63), va(273, 0, 0, 5, 0), &pa));
	assert_false(xlat(1ull << 40, va(273, 0, 0, 5, 0), &pa)); /* a root outside memory */
	assert_int_equal(pa, 0xdeadull);                         /* a failed walk leaves *pa alone */
}

/* Why a walk fails, as the VMM's user reads report it. */
static void test_reasons(void **state)
{
	struct pgwalk *w = pgwalk_new(&phys);
	uint64_t cr3 = PML4 * PAGE, pa;

	(void)state;
	build();
	assert_non_null(w);
	assert_int_equal(pgwalk_translate(w, cr3, va(273, 0, 0, 6, 0), &pa), PGWALK_NOT_MAPPED);
	assert_non_null(strstr(pgwalk_error(w), "not present"));
	assert_int_equal(pgwalk_translate(w, cr3, va(273, 0, 2, 0, 0), &pa), PGWALK_NOT_MAPPED);
	assert_non_null(strstr(pgwalk_error(w), "level-2 entry 0x900083 has reserved bits 0x100000 set"));
	assert_int_equal(pgwalk_translate(w, cr3, va(300, 0, 0, 5, 0), &pa), PGWALK_NOT_MAPPED);
	assert_non_null(strstr(pgwalk_error(w), "level-4 entry"));
	assert_int_equal(pgwalk_translate(w, cr3, va(500, 0, 0, 0, 0), &pa), PGWALK_NO_DATA);
	assert_non_null(strstr(pgwalk_error(w), "0x10000000000"));
	assert_int_equal(pgwalk_translate(w, cr3, 0x0000800000000000ull, &pa), PGWALK_BAD_ADDRESS);
	assert_int_equal(pgwalk_translate(w, cr3 | (1ull << 52), 0, &pa), PGWALK_BAD_ADDRESS);
	pgwalk_free(w);
}

/*
 * One context for many walks (a raw image's reads, the scan's search): its
 * cache holds entries a bounded number at a time, and a failure leaves it
 * usable; the upper entries of walks in one region are read once.
 */
static void test_reuse(void **state)
{
	struct pgwalk *w = pgwalk_new(&phys);
	uint64_t cr3 = PML4 * PAGE, pa;

	(void)state;
	build();
	assert_non_null(w);
	reads = 0;
	for (unsigned i = 0; i < 10000; i++) {
		assert_int_equal(pgwalk_translate(w, cr3, va(273, 0, 1, i % 512, 0x10), &pa), PGWALK_OK);
		assert_int_equal(pa, 3 * MIB2 + (uint64_t)(i % 512) * PAGE + 0x10);
		if (i % 100 == 0)
			assert_int_equal(pgwalk_translate(w, cr3, va(500, 0, 0, 0, 0), &pa), PGWALK_NO_DATA);
	}
	/* a walk costs three reads (PML4E, PDPTE, the 2 MiB PDE) uncached */
	assert_true(reads < 10000);
	pgwalk_free(w);
}

static struct ns_scan *scan_with_host(uint64_t cr3, uint64_t vmcs12_pa)
{
	struct ns_scan *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->n = 2;
	s->hit[0] = (struct ns_scan_hit){ .pa = 0x100000, .kind = NS_SCAN_HW_VMCS, .link = ~0ull, .host_cr3 = cr3,
					  .shadow_of = NS_SCAN_NO_PAIR, .pair = NS_SCAN_NO_PAIR };
	s->hit[1] = (struct ns_scan_hit){ .pa = vmcs12_pa, .kind = NS_SCAN_VMCS12, .link = ~0ull,
					  .shadow_of = NS_SCAN_NO_PAIR, .pair = NS_SCAN_NO_PAIR };
	return s;
}

/*
 * The kernel address of a vmcs12, through the host's page tables: the
 * first present 1 GiB window of the upper half that maps it at its offset.
 * Here PML4E 256's window 0 maps 5 GiB (not it), PML4E 273's window 0 maps
 * 6 MiB at 6 MiB; PML4E 300 (PS), 400 (the cycle) and 500 (outside memory)
 * give nothing.
 */
static void test_scan_mapped_at(void **state)
{
	struct ns_scan *s;
	uint64_t cr3 = PML4 * PAGE;

	(void)state;
	build();
	set(PML4, 256, 8 * PAGE | P | RW);
	set(8, 0, 5 * GIB | P | RW | PS);
	s = scan_with_host(cr3, 3 * MIB2 + 0x3000);
	ns_scan_relate(s, &phys);
	assert_int_equal(s->hit[1].va, va(273, 0, 3, 3, 0));
	assert_false(s->walks_exhausted);
	free(s);
	/* not mapped anywhere in the upper half: no address */
	s = scan_with_host(cr3, 9 * MIB2);
	ns_scan_relate(s, &phys);
	assert_int_equal(s->hit[1].va, 0);
	assert_false(s->walks_exhausted);
	free(s);
	/* one walk left in the budget: the first window takes it, the second finds it spent */
	s = scan_with_host(cr3, 3 * MIB2 + 0x3000);
	s->walks = NS_SCAN_MAX_WALKS - 1;
	ns_scan_relate(s, &phys);
	assert_int_equal(s->hit[1].va, 0);
	assert_true(s->walks_exhausted);
	free(s);
	/* hostile host tables: a garbage CR3 gives no address, and no walk */
	s = scan_with_host(~0ull, 3 * MIB2);
	ns_scan_relate(s, &phys);
	assert_int_equal(s->hit[1].va, 0);
	assert_int_equal(s->walks, 0);
	free(s);
}

/*
 * A VMM's user memory (ns_kvm_read_user): its page tables (kvm->mm->pgd)
 * read through the kernel's direct map.  Here the direct map starts at
 * DIRECT, struct kvm and struct mm_struct sit in page KVM_PAGE, the VMM's
 * PML4 is page PML4 (the tables built above), and page_offset_base (a kernel
 * variable holding DIRECT) at its own address.
 */
#define DIRECT 0xffff888000000000ull
#define PAGE_OFFSET_BASE 0xffffffff82000000ull
#define KVM_PAGE 9
#define KVM_MM 0x10  /* kvm->mm, at a made-up offset */
#define MM_PGD 0x50  /* mm->pgd */

static bool kread(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr == PAGE_OFFSET_BASE && len == 8) {
		uint64_t d = DIRECT;

		memcpy(buf, &d, 8);
		return true;
	}
	return addr >= DIRECT && rd(NULL, addr - DIRECT, buf, len);
}

static uint64_t ksym(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "page_offset_base") ? 0 : PAGE_OFFSET_BASE;
}

static int read_user(uint64_t pgd, uint64_t hva, void *buf, size_t len, struct ns_error *err)
{
	static struct ns_kvm_offsets o;
	struct ns_target t = { .read = kread, .symbol = ksym };
	uint64_t kvm = DIRECT + KVM_PAGE * PAGE, mm = kvm + 0x800;

	for (size_t i = 0; i < NS_KM_COUNT; i++)
		o.v[i] = -1;
	o.v[NS_KM_KVM_MM] = KVM_MM;
	o.v[NS_KM_MM_PGD] = MM_PGD;
	memcpy(mem + KVM_PAGE * PAGE + KVM_MM, &mm, 8);
	memcpy(mem + KVM_PAGE * PAGE + 0x800 + MM_PGD, &pgd, 8);
	return ns_kvm_read_user(&t, &o, kvm, hva, buf, len, err);
}

static void test_read_user(void **state)
{
	struct ns_error err;
	uint64_t pgd = DIRECT + PML4 * PAGE, got = 0, want = 0x1122334455667788ull;

	(void)state;
	build();
	memcpy(mem + DATA * PAGE + 0x40, &want, 8);
	assert_int_equal(read_user(pgd, va(0, 0, 0, 5, 0x40), &got, 8, &err), NS_OK);
	assert_int_equal(got, want);
	/* mapped, but its page (at 6 MiB) is past this memory */
	assert_int_equal(read_user(pgd, va(0, 0, 1, 0, 0), &got, 8, &err), NS_ERR_IO);
	assert_non_null(strstr(err.msg, "(physical 0x600000) is mapped but its page is not in this dump"));
	assert_int_equal(read_user(pgd, va(0, 0, 0, 6, 0), &got, 8, &err), NS_ERR_IO);
	assert_non_null(strstr(err.msg, "is not mapped in the VMM"));
	assert_int_equal(read_user(pgd, va(0, 0, 2, 0, 0), &got, 8, &err), NS_ERR_IO);
	assert_non_null(strstr(err.msg, "reserved bits"));
	assert_int_equal(read_user(pgd, 0x0000900000000000ull, &got, 8, &err), NS_ERR_IO);
	assert_non_null(strstr(err.msg, "not a canonical address"));
	/* the VMM's PML4 entry 500 names a table past memory */
	assert_int_equal(read_user(pgd, va(500, 0, 0, 0, 0), &got, 8, &err), NS_ERR_IO);
	assert_non_null(strstr(err.msg, "cannot be read"));
	/* hostile pgd values: below the direct map, not page-aligned, not a kernel address */
	assert_int_equal(read_user(DIRECT - PAGE, 0x1000, &got, 8, &err), NS_ERR_FORMAT);
	assert_int_equal(read_user(pgd + 8, 0x1000, &got, 8, &err), NS_ERR_FORMAT);
	assert_int_equal(read_user(0x1000, 0x1000, &got, 8, &err), NS_ERR_IO);
	assert_int_equal(got, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapped),
		cmocka_unit_test(test_not_mapped),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_scan_mapped_at),
		cmocka_unit_test(test_read_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
