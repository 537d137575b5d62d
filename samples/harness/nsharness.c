/*
 * nsharness: makes KVM hold real nested-VMX state and records everything.
 *
 * It creates a VM whose vCPU runs l1.S in long mode with VMX exposed: an L1
 * hypervisor that does VMXON, VMCLEAR, VMPTRLD, a table of VMWRITEs and
 * VMLAUNCH of an L2.  At every step it takes KVM_GET_NESTED_STATE, and it
 * writes manifest.json: the capability MSRs KVM gave L1, every VMWRITE, every
 * exit L1 saw, each blob's header, L2's registers while in guest mode.
 *
 * usage: nsharness OUTDIR CONFIG [MOMENT]
 *   CONFIG  basic | rich
 *   MOMENT  none (default): run to the end.
 *           hold: at L2's first exit to userspace (its OUT), sync vmcs12 by
 *             taking KVM_GET_NESTED_STATE, create OUTDIR/holding and wait
 *             there with L2 active until killed: vmcs12 agrees with vmcs02.
 *           hold-io: the same after completing the OUT, as the KVM API asks
 *             before reading state: KVM's register cache then has L2's RIP
 *             past the OUT and the sync copies it into vmcs12, while vmcs02
 *             in memory keeps the exit RIP until the next VM entry writes
 *             it: vmcs12 is ahead of vmcs02.
 *           nosync: at L2's first exit to userspace, before anything syncs
 *             vmcs12, stop the whole machine with Bochs's magic breakpoint
 *             (xchg bx,bx) so its RAM can be dumped: vmcs02 is ahead of
 *             vmcs12, the realistic crash case.  Then run to the end.
 *           verdicts=FILE: L1 VMLAUNCHes once per case of FILE (lines of
 *             "ENCODING VALUE" pairs VMWRITten over the table, and
 *             "*GPA VALUE" pairs L1 stores into its memory, 8 bytes, before
 *             the VMLAUNCH; the harness puts those bytes back before the next
 *             case) and the manifest records each outcome: VMfail and its
 *             error, a failed VM entry and its reason and qualification, or
 *             an entry; and what L1 had: the CPUID leaves KVM_SET_CPUID2
 *             gave it and its IA32_EFER (L1 reads it with RDMSR).
 *           vcpus=M,M,...: one vCPU per M, each on its own thread with its
 *             own 2 MiB of L1 memory (page tables, VMXON and VMCS regions,
 *             stacks: vCPU i's at GPA i * 2 MiB, mapped by its page tables at
 *             the linear addresses l1.S uses), each stopping at its moment M:
 *             hold, nosync or none as above, or
 *             hold-l1-exit: in L1, in the exit handler of L2's first exit to
 *               L1 (its VMCALL), after KVM_GET_NESTED_STATE;
 *             hold-l1-vmcs: in L1 after its VMWRITEs, before VMLAUNCH;
 *             hold-l1-vmxon: in L1 after VMXON, with no current VMCS;
 *             hold-novmx: an L1 that never executes VMXON.
 *             Each vCPU writes OUTDIR/vcpuN/manifest-harness.json (no blob
 *             files: the manifest lists each KVM_GET_NESTED_STATE header) and
 *             OUTDIR/vcpuN/holding; the VM writes OUTDIR/manifest-vm.json
 *             and, once every vCPU holds or is done, OUTDIR/holding (its pid).
 *             The VM is a child process: nsharness itself exits once every
 *             vCPU holds or is done (status 0), or when the VM died (1).
 *   CONFIG novmx: VMX is not in the vCPUs' CPUID (every moment hold-novmx).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "l1_bin.h" /* l1_bin[], l1_bin_len, L1_EXIT_HANDLER, L2_START, L1_NOVMX */
#include "sdm/vmx_names.h" /* nestscope's tables as names: GUEST_RIP, CPU_BASED_*, MSR_IA32_VMX_* ... */

/* L1's memory map: linear addresses, and guest-physical ones for vCPU 0;
 * vCPU i's page tables map linear 0..2 MiB to its chunk at GPA i * CHUNK */
#define MEM_SIZE_MIN 0x400000ul
#define CHUNK 0x200000ul
#define MAX_VCPUS 64
#define PML4_GPA 0x1000
#define PDPT_GPA 0x2000
#define PD_GPA 0x3000
#define GDT_GPA 0x4000
#define TSS_GPA 0x5000
#define VMXON_GPA 0x6000
#define VMCS_GPA 0x7000
#define TABLE_GPA 0x8000
#define MAILBOX_GPA 0x9000
#define EPT_PML4_GPA 0xa000
#define EPT_PDPT_GPA 0xb000
#define EPT_PD_GPA 0xc000
#define MSR_BITMAP_GPA 0xd000
#define IO_BITMAP_A_GPA 0xe000
#define IO_BITMAP_B_GPA 0xf000
#define CODE_GPA 0x10000
#define VMREAD_BITMAP_GPA 0x11000
#define VMWRITE_BITMAP_GPA 0x12000
#define MSR_AREA_GPA 0x13000 /* entry-load +0, exit-store +0x100, exit-load +0x200 */
#define SHADOW_VMCS_GPA 0x14000
#define L1_STACK 0x20000
#define L2_STACK 0x30000

#define VMCS12_REVISION_FALLBACK 0x11e57ed0

enum moment {
	MOMENT_NONE, MOMENT_HOLD, MOMENT_HOLD_IO, MOMENT_NOSYNC, MOMENT_VERDICTS,
	MOMENT_HOLD_L1_EXIT, MOMENT_HOLD_L1_VMCS, MOMENT_HOLD_L1_VMXON, MOMENT_HOLD_NOVMX,
};
static const char *const moment_names[] = {
	"none", "hold", "hold-io", "nosync", "verdicts", "hold-l1-exit", "hold-l1-vmcs", "hold-l1-vmxon", "hold-novmx",
};

/* the VM's, shared by its vCPU threads */
static int kvm_fd, vm_fd, nstate_max;
static uint8_t *mem;
static size_t mem_size;
static const char *outdir;
static bool rich, novmx, vcpus_mode;
static const char *cases_file;
static unsigned nvcpus;
static sem_t settled; /* vcpus mode: one post per vCPU holding or done */
static int ready_fd = -1; /* vcpus mode: written once the VM settled, to the waiting parent */

/* each vCPU's, on its own thread */
static __thread int vcpu_fd;
static __thread struct kvm_run *run;
static __thread unsigned vindex;
static __thread enum moment moment;
static __thread uint64_t base; /* GPA of this vCPU's chunk: its linear 0 */
static __thread uint8_t *vmem; /* mem + base */
static __thread char vdir[400]; /* where this vCPU writes */
#define CASES_GPA 0x40000
#define CASE_STRIDE 512 /* u64 count, then up to 31 {encoding, value} pairs */
#define MAX_CASES 512
#define CASE_STORE (1ull << 63) /* in a pair's first word: not a VMCS encoding but a GPA L1 stores the value at */
#define MAX_STORES 64 /* distinct GPAs the cases store to, put back before each case */
#define MAX_RESETS 64 /* fields some case writes and the VMWRITE table does not */
static __thread char dump_note[768]; /* what the dump moment looked like, for the manifest */
static __thread FILE *manifest;
/* the capability MSRs nestscope's checks read: IA32_VMX_BASIC .. IA32_VMX_PROCBASED_CTLS3 */
#define NCAPS (MSR_IA32_VMX_PROCBASED_CTLS3 - MSR_IA32_VMX_BASIC + 1)
static __thread uint64_t msrs[NCAPS];

static void die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	fprintf(stderr, "nsharness: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (%s)\n", strerror(e));
	exit(1);
}

/* ---- manifest.json, written as the run goes ---- */

static __thread bool first_in_list = true;

static void m_item(const char *fmt, ...)
{
	va_list ap;

	fputs(first_in_list ? "\n    " : ",\n    ", manifest);
	first_in_list = false;
	va_start(ap, fmt);
	vfprintf(manifest, fmt, ap);
	va_end(ap);
	fflush(manifest);
}

static void m_list_begin(const char *key)
{
	fprintf(manifest, ",\n  \"%s\": [", key);
	first_in_list = true;
}

static void m_list_end(void) { fputs("\n  ]", manifest); }

/* ---- KVM helpers ---- */

static uint64_t get_msr(uint32_t index, bool *ok)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = { { .nmsrs = 1 }, { .index = index } };
	int r = ioctl(vcpu_fd, KVM_GET_MSRS, &m);

	if (ok)
		*ok = r == 1;
	return m.e.data;
}

static void set_msr(uint32_t index, uint64_t v)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = { { .nmsrs = 1 }, { .index = index, .data = v } };

	if (ioctl(vcpu_fd, KVM_SET_MSRS, &m) != 1)
		die("KVM_SET_MSRS 0x%x", index);
}

static __thread unsigned steps;

/* Every exit L1 reported, listed in the manifest after the steps. */
struct exit_seen {
	unsigned step;      /* the snapshot taken right after it */
	uint32_t reason, qualification, l2_rax;
};
static __thread struct exit_seen exits_seen[64];
static __thread unsigned nexits;

static bool in_guest_mode(void)
{
	struct kvm_nested_state *ns = calloc(1, (size_t)nstate_max);
	bool g;

	ns->size = (uint32_t)nstate_max;
	if (ioctl(vcpu_fd, KVM_GET_NESTED_STATE, ns) < 0)
		die("KVM_GET_NESTED_STATE");
	g = ns->flags & KVM_STATE_NESTED_GUEST_MODE;
	free(ns);
	return g;
}

/* Takes KVM_GET_NESTED_STATE, writes it to OUTDIR/nested_TAG.bin, records it. */
static void snapshot(const char *tag)
{
	struct kvm_nested_state *ns = calloc(1, (size_t)nstate_max);
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	char path[512];
	FILE *f;

	ns->size = (uint32_t)nstate_max;
	if (ioctl(vcpu_fd, KVM_GET_NESTED_STATE, ns) < 0)
		die("KVM_GET_NESTED_STATE at %s", tag);
	/* in guest mode these are L2's registers, else L1's */
	if (ioctl(vcpu_fd, KVM_GET_REGS, &regs) < 0 || ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_REGS");
	snprintf(path, sizeof(path), "%s/nested_%02u_%s.bin", vdir, steps, tag);
	/* vcpus mode keeps the headers (in the manifest) but not the blobs */
	if (!vcpus_mode) {
		f = fopen(path, "wb");
		if (!f || fwrite(ns, 1, ns->size, f) != ns->size || fclose(f))
			die("writing %s", path);
	}
	m_item("{\"step\": %u, \"tag\": \"%s\", \"file\": %s%s%s, \"flags\": %u, \"format\": %u, \"size\": %u, "
	       "\"vmxon_pa\": \"0x%llx\", \"vmcs12_pa\": \"0x%llx\", \"smm_flags\": %u, \"vmx_flags\": %u, "
	       "\"rip\": \"0x%llx\", \"rsp\": \"0x%llx\", \"rflags\": \"0x%llx\", \"cr0\": \"0x%llx\", "
	       "\"cr3\": \"0x%llx\", \"cr4\": \"0x%llx\", \"efer\": \"0x%llx\"}",
	       steps, tag, vcpus_mode ? "" : "\"", vcpus_mode ? "null" : strrchr(path, '/') + 1, vcpus_mode ? "" : "\"",
	       ns->flags, ns->format, ns->size,
	       (unsigned long long)ns->hdr.vmx.vmxon_pa, (unsigned long long)ns->hdr.vmx.vmcs12_pa,
	       ns->hdr.vmx.smm.flags, ns->hdr.vmx.flags, (unsigned long long)regs.rip,
	       (unsigned long long)regs.rsp, (unsigned long long)regs.rflags, (unsigned long long)sregs.cr0,
	       (unsigned long long)sregs.cr3, (unsigned long long)sregs.cr4, (unsigned long long)sregs.efer);
	printf("[%s%s%s] flags=0x%x size=%u vmxon_pa=0x%llx vmcs12_pa=0x%llx rip=0x%llx\n", vcpus_mode ? vdir : "",
	       vcpus_mode ? " " : "", tag,
	       ns->flags, ns->size,
	       (unsigned long long)ns->hdr.vmx.vmxon_pa, (unsigned long long)ns->hdr.vmx.vmcs12_pa,
	       (unsigned long long)regs.rip);
	steps++;
	free(ns);
}

/* L1's memory as an image (its VMXON and VMCS regions included). */
static void save_l1_memory(const char *tag)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/l1-memory-%s.img", vdir, tag);
	f = fopen(path, "wb");
	if (!f || fwrite(mem, 1, mem_size, f) != mem_size || fclose(f))
		die("writing %s", path);
	printf("[%s] wrote L1 memory image %s\n", tag, path);
}

/* L2's RIP as KVM holds it now (KVM_GET_REGS syncs nothing into vmcs12). */
static uint64_t l2_rip(void)
{
	struct kvm_regs regs;

	if (ioctl(vcpu_fd, KVM_GET_REGS, &regs) < 0)
		die("KVM_GET_REGS");
	return regs.rip;
}

/* Stops the whole machine for a memory dump: Bochs's magic breakpoint. */
static void stop_for_dump(void)
{
	uint64_t rip = l2_rip();

	/* vmcs02 holds L2's RIP at its OUT; vmcs12 still holds what L1 wrote */
	snprintf(dump_note, sizeof(dump_note),
		 "{\"moment\": \"nosync\", \"level\": \"L2\", \"vmxon\": true, \"current_vmcs\": true, \"launch_state\": 0, "
		 "\"l2_rip\": \"0x%llx\", \"vmcs02_guest_rip\": \"0x%llx\", "
		 "\"vmcs12_guest_rip\": \"0x%llx\", \"vmcs12_vs_vmcs02\": \"vmcs12-behind\"}",
		 (unsigned long long)rip, (unsigned long long)rip, (unsigned long long)L2_START);
	printf("=== DUMP MOMENT nosync: L2 active at 0x%llx, stopping the machine\n", (unsigned long long)rip);
	fflush(stdout);
	__asm__ volatile("xchg %%bx, %%bx" ::: "memory");
	printf("=== DUMP MOMENT nosync: resumed\n");
}

/* This vCPU is where it stays: vdir/holding, and the VM's count in vcpus mode. */
static void settle(bool holding)
{
	char path[512];
	FILE *f;

	if (holding) {
		snprintf(path, sizeof(path), "%s/holding", vdir);
		f = fopen(path, "w");
		if (f)
			fclose(f);
	}
	if (vcpus_mode)
		sem_post(&settled);
}

/*
 * Stays at a moment until the machine is dumped, after KVM_GET_NESTED_STATE
 * (in L2 it syncs vmcs12 from vmcs02), whose header and vmcs12's launch state
 * must say what the moment is: in guest mode or not, VMXON region, current VMCS.
 * launched: the launch state KVM must show; KVM sets vmcs12's at L2's first
 * exit to L1 (prepare_vmcs12), not at VMLAUNCH: L2 at its first exit to L0 is
 * not launched yet.
 * L2 moments: exit_rip is L2's RIP when it exited (what vmcs02 in memory holds).
 */
static void hold(const char *name, bool l2, bool launched, uint64_t exit_rip)
{
	struct kvm_nested_state *ns = calloc(1, (size_t)nstate_max);
	uint64_t rip = l2_rip(); /* L2: what the sync copied into vmcs12; L1: where L1 stands */
	uint64_t vmxon_pa, vmcs12_pa;
	uint32_t launch_state = 0;
	bool vmxon, current, guest;
	size_t n;

	ns->size = (uint32_t)nstate_max;
	if (ioctl(vcpu_fd, KVM_GET_NESTED_STATE, ns) < 0)
		die("KVM_GET_NESTED_STATE at %s", name);
	vmxon_pa = ns->hdr.vmx.vmxon_pa;
	vmcs12_pa = ns->hdr.vmx.vmcs12_pa;
	vmxon = vmxon_pa != ~0ull;
	current = vmcs12_pa != ~0ull;
	guest = ns->flags & KVM_STATE_NESTED_GUEST_MODE;
	if (ns->size >= sizeof(*ns) + 12) /* struct vmcs12: revision, abort, launch_state */
		memcpy(&launch_state, (uint8_t *)ns + sizeof(*ns) + 8, 4);
	free(ns);
	if (guest != l2 || (l2 && (!vmxon || !current)) || (current && launch_state != launched) ||
	    (!strcmp(name, "hold-novmx") && vmxon) || (!strcmp(name, "hold-l1-vmxon") && (!vmxon || current)))
		die("at %s KVM says: guest mode %d, VMXON region 0x%llx, current VMCS 0x%llx, launch state %u", name, guest,
		    (unsigned long long)vmxon_pa, (unsigned long long)vmcs12_pa, launch_state);
	if (l2)
		n = (size_t)snprintf(dump_note, sizeof(dump_note),
				     "{\"moment\": \"%s\", \"level\": \"L2\", \"vmxon\": true, \"current_vmcs\": true, "
				     "\"launch_state\": %u, \"l2_rip\": \"0x%llx\", \"vmcs02_guest_rip\": \"0x%llx\", "
				     "\"vmcs12_guest_rip\": \"0x%llx\", \"vmcs12_vs_vmcs02\": \"%s\"",
				     name, launch_state, (unsigned long long)rip, (unsigned long long)exit_rip, (unsigned long long)rip,
				     rip == exit_rip ? "agree" : "vmcs12-ahead");
	else
		n = (size_t)snprintf(dump_note, sizeof(dump_note),
				     "{\"moment\": \"%s\", \"level\": \"%s\", \"vmxon\": %s, \"current_vmcs\": %s, "
				     "\"launch_state\": %s, \"l1_rip\": \"0x%llx\"",
				     name, vmxon ? "L1" : "no VMX", vmxon ? "true" : "false", current ? "true" : "false",
				     !current ? "null" : launch_state ? "1" : "0", (unsigned long long)rip);
	snprintf(dump_note + n, sizeof(dump_note) - n,
		 ", \"kvm_nested_state\": {\"guest_mode\": %s, \"vmxon_pa\": \"0x%llx\", \"vmcs12_pa\": \"0x%llx\", "
		 "\"launch_state\": %u}}",
		 guest ? "true" : "false", (unsigned long long)vmxon_pa, (unsigned long long)vmcs12_pa, launch_state);
	m_list_end();
	fprintf(manifest, ",\n  \"dump\": %s\n}\n", dump_note);
	fclose(manifest);
	settle(true);
	printf("=== HOLDING %s%s%s at 0x%llx\n", vcpus_mode ? vdir : "", vcpus_mode ? " " : "",
	       l2 ? "with L2 active, vmcs12 synced," : vmxon ? "in L1, in VMX operation," : "in L1, VMX never enabled,",
	       (unsigned long long)rip);
	for (;;)
		pause();
}

/* ---- L1's setup ---- */

static uint32_t adjust(uint64_t cap, uint32_t want)
{
	return (want | (uint32_t)cap) & (uint32_t)(cap >> 32);
}

static __thread uint64_t *table;
static __thread unsigned nwrites;

static void vmwrite(uint32_t enc, uint64_t v)
{
	table[2 * nwrites] = enc;
	table[2 * nwrites + 1] = v;
	table[2 * (nwrites + 1)] = ~0ull;
	nwrites++;
}

/* This vCPU's memory: linear addresses in l1.S are offsets in its chunk, but
 * what VMX instructions and VMCS fields take are guest-physical addresses. */
static void setup_memory(uint32_t revision)
{
	uint64_t *pml4 = (uint64_t *)(vmem + PML4_GPA), *pdpt = (uint64_t *)(vmem + PDPT_GPA);
	uint64_t *pd = (uint64_t *)(vmem + PD_GPA), *gdt = (uint64_t *)(vmem + GDT_GPA);

	pml4[0] = (base + PDPT_GPA) | 3;
	pdpt[0] = (base + PD_GPA) | 3;
	for (int i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83; /* 2 MiB, present, writable */
	pd[0] = base | 0x83;                      /* linear 0..2 MiB: this vCPU's chunk */
	gdt[1] = 0x00af9b000000ffffull;           /* 0x08: 64-bit code */
	gdt[2] = 0x00cf93000000ffffull;           /* 0x10: data */
	gdt[3] = 0x0000890000000067ull | ((uint64_t)TSS_GPA << 16); /* 0x18: 64-bit TSS */
	memcpy(vmem + VMXON_GPA, &revision, 4);
	memcpy(vmem + VMCS_GPA, &revision, 4);
	((uint64_t *)(vmem + MAILBOX_GPA))[0] = base + VMXON_GPA;
	((uint64_t *)(vmem + MAILBOX_GPA))[1] = base + VMCS_GPA;
	memcpy(vmem + CODE_GPA, l1_bin, l1_bin_len);
	if (rich) {
		uint64_t *e4 = (uint64_t *)(vmem + EPT_PML4_GPA), *e3 = (uint64_t *)(vmem + EPT_PDPT_GPA);
		uint64_t *e2 = (uint64_t *)(vmem + EPT_PD_GPA);
		uint32_t shadow = revision | 0x80000000u; /* a shadow VMCS: bit 31 of its revision dword */

		e4[0] = (base + EPT_PDPT_GPA) | 7;
		e3[0] = (base + EPT_PD_GPA) | 7;
		for (int i = 0; i < 512; i++) /* identity, 2 MiB pages, WB, RWX */
			e2[i] = ((uint64_t)i << 21) | (1u << 7) | (X86_MEMTYPE_WB << 3) | 7;
		/* I/O bitmap A: L1 intercepts port 0x18 only */
		vmem[IO_BITMAP_A_GPA + 0x18 / 8] |= 1u << (0x18 % 8);
		memcpy(vmem + SHADOW_VMCS_GPA, &shadow, 4);
		/* MSR areas: VM entry loads IA32_SYSENTER_ESP for L2, VM exit stores L2's
		 * and loads L1's.  struct { u32 index, reserved; u64 value; } */
		uint64_t entry_load[2] = { 0x175, 0x2222000 }, exit_store[2] = { 0x175, 0 },
			 exit_load[2] = { 0x175, 0x1111000 };
		memcpy(vmem + MSR_AREA_GPA, entry_load, 16);
		memcpy(vmem + MSR_AREA_GPA + 0x100, exit_store, 16);
		memcpy(vmem + MSR_AREA_GPA + 0x200, exit_load, 16);
		fprintf(manifest, ",\n  \"msr_areas\": {\"vm_entry_load\": {\"gpa\": \"0x%llx\", \"entries\": "
			"[{\"index\": \"0x175\", \"value\": \"0x2222000\"}]}, \"vm_exit_store\": {\"gpa\": \"0x%llx\", "
			"\"entries\": [{\"index\": \"0x175\"}]}, \"vm_exit_load\": {\"gpa\": \"0x%llx\", \"entries\": "
			"[{\"index\": \"0x175\", \"value\": \"0x1111000\"}]}}",
			(unsigned long long)(base + MSR_AREA_GPA), (unsigned long long)(base + MSR_AREA_GPA + 0x100),
			(unsigned long long)(base + MSR_AREA_GPA + 0x200));
	}
}

struct controls {
	uint32_t pin, proc, proc2, exit, entry;
	uint64_t cr0, cr4, efer;
};

static uint64_t cap(enum vmx_msr msr)
{
	return msrs[msr - MSR_IA32_VMX_BASIC];
}

/* L2 runs in long mode: protected mode with paging, PAE and long mode in EFER */
#define L2_CR0 (X86_CR0_PG | X86_CR0_NE | X86_CR0_ET | X86_CR0_MP | X86_CR0_PE)
#define L2_EFER (EFER_LMA | EFER_LME)

static struct controls choose_controls(void)
{
	bool true_ctls = cap(MSR_IA32_VMX_BASIC) & VMX_BASIC_TRUE_CONTROLS;
	uint64_t pin_cap = cap(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
	uint64_t proc_cap = cap(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS);
	uint64_t exit_cap = cap(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
	uint64_t entry_cap = cap(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
	struct controls c;

	c.cr0 = (L2_CR0 | cap(MSR_IA32_VMX_CR0_FIXED0)) & cap(MSR_IA32_VMX_CR0_FIXED1);
	c.cr4 = (X86_CR4_VMXE | X86_CR4_PAE | cap(MSR_IA32_VMX_CR4_FIXED0)) & cap(MSR_IA32_VMX_CR4_FIXED1);
	c.efer = L2_EFER;
	c.pin = adjust(pin_cap, 0);
	c.proc = adjust(proc_cap, 0);
	c.proc2 = 0;
	c.exit = adjust(exit_cap, VM_EXIT_HOST_ADDR_SPACE_SIZE);
	c.entry = adjust(entry_cap, VM_ENTRY_IA32E_MODE);
	if (rich) {
		c.proc = adjust(proc_cap, CPU_BASED_USE_TSC_OFFSETTING | CPU_BASED_HLT_EXITING | CPU_BASED_USE_IO_BITMAPS |
					  CPU_BASED_USE_MSR_BITMAPS | CPU_BASED_ACTIVATE_SECONDARY_CONTROLS);
		/* EPT, VPID and VMCS shadowing, each when KVM offers it */
		c.proc2 = adjust(cap(MSR_IA32_VMX_PROCBASED_CTLS2),
				 SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID | SECONDARY_EXEC_SHADOW_VMCS);
		c.exit = adjust(exit_cap, VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER);
		c.entry = adjust(entry_cap, VM_ENTRY_IA32E_MODE | VM_ENTRY_LOAD_IA32_EFER);
	}
	return c;
}

static void build_vmwrites(const struct controls *c)
{
#define SEGMENT(s) { GUEST_##s##_SELECTOR, GUEST_##s##_LIMIT, GUEST_##s##_AR_BYTES, GUEST_##s##_BASE }
	static const enum vmcs_field seg_fields[6][4] = {
		SEGMENT(ES), SEGMENT(CS), SEGMENT(SS), SEGMENT(DS), SEGMENT(FS), SEGMENT(GS),
	};
#undef SEGMENT
	static const uint64_t segs[6][4] = { /* selector, limit, access rights, base: ES CS SS DS FS GS */
		{ 0x10, 0xffffffff, 0xc093, 0 }, { 0x08, 0xffffffff, 0xa09b, 0 }, { 0x10, 0xffffffff, 0xc093, 0 },
		{ 0x10, 0xffffffff, 0xc093, 0 }, { 0x10, 0xffffffff, 0xc093, 0 }, { 0x10, 0xffffffff, 0xc093, 0 },
	};

	table = (uint64_t *)(vmem + TABLE_GPA);
	nwrites = 0;
	table[0] = ~0ull;
	vmwrite(PIN_BASED_VM_EXEC_CONTROL, c->pin);
	vmwrite(CPU_BASED_VM_EXEC_CONTROL, c->proc);
	if (rich) {
		vmwrite(SECONDARY_VM_EXEC_CONTROL, c->proc2);
		vmwrite(EPT_POINTER, (base + EPT_PML4_GPA) | (4 - 1) << 3 | X86_MEMTYPE_WB); /* walk length - 1 in 5:3 */
		vmwrite(VIRTUAL_PROCESSOR_ID, 1);                          /* VPID */
		vmwrite(MSR_BITMAP, base + MSR_BITMAP_GPA);
		vmwrite(IO_BITMAP_A, base + IO_BITMAP_A_GPA);
		vmwrite(IO_BITMAP_B, base + IO_BITMAP_B_GPA);
		vmwrite(TSC_OFFSET, 0x123456789ull);             /* TSC offset */
		vmwrite(GUEST_IA32_EFER, c->efer);
		vmwrite(HOST_IA32_EFER, c->efer);
		vmwrite(VM_ENTRY_MSR_LOAD_ADDR, base + MSR_AREA_GPA);        /* VM-entry MSR-load */
		vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 1);
		vmwrite(VM_EXIT_MSR_STORE_ADDR, base + MSR_AREA_GPA + 0x100); /* VM-exit MSR-store */
		vmwrite(VM_EXIT_MSR_STORE_COUNT, 1);
		vmwrite(VM_EXIT_MSR_LOAD_ADDR, base + MSR_AREA_GPA + 0x200); /* VM-exit MSR-load */
		vmwrite(VM_EXIT_MSR_LOAD_COUNT, 1);
		if (c->proc2 & SECONDARY_EXEC_SHADOW_VMCS) {
			vmwrite(VMREAD_BITMAP, base + VMREAD_BITMAP_GPA);
			vmwrite(VMWRITE_BITMAP, base + VMWRITE_BITMAP_GPA);
		}
	} else {
		vmwrite(VM_EXIT_MSR_STORE_COUNT, 0);
		vmwrite(VM_EXIT_MSR_LOAD_COUNT, 0);
		vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 0);
	}
	vmwrite(VM_EXIT_CONTROLS, c->exit);
	vmwrite(VM_ENTRY_CONTROLS, c->entry);
	vmwrite(EXCEPTION_BITMAP, rich ? 1u << X86_TRAP_UD | 1u << X86_TRAP_PF : 0);
	vmwrite(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmwrite(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmwrite(CR3_TARGET_COUNT, 0);
	vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmwrite(CR0_GUEST_HOST_MASK, rich ? X86_CR0_PG | X86_CR0_NE | X86_CR0_PE : 0);
	vmwrite(CR4_GUEST_HOST_MASK, rich ? X86_CR4_VMXE : 0);
	vmwrite(CR0_READ_SHADOW, c->cr0);
	vmwrite(CR4_READ_SHADOW, rich ? c->cr4 & ~X86_CR4_VMXE : c->cr4);
	/* host state: L1 itself */
	vmwrite(HOST_CR0, c->cr0);
	vmwrite(HOST_CR3, base + PML4_GPA);
	vmwrite(HOST_CR4, c->cr4);
	vmwrite(HOST_ES_SELECTOR, 0x10);
	vmwrite(HOST_CS_SELECTOR, 0x08);
	vmwrite(HOST_SS_SELECTOR, 0x10);
	vmwrite(HOST_DS_SELECTOR, 0x10);
	vmwrite(HOST_FS_SELECTOR, 0x10);
	vmwrite(HOST_GS_SELECTOR, 0x10);
	vmwrite(HOST_TR_SELECTOR, 0x18);
	vmwrite(HOST_FS_BASE, 0);
	vmwrite(HOST_GS_BASE, 0);
	vmwrite(HOST_TR_BASE, TSS_GPA);
	vmwrite(HOST_GDTR_BASE, GDT_GPA);
	vmwrite(HOST_IDTR_BASE, 0);
	vmwrite(HOST_IA32_SYSENTER_CS, 0);
	vmwrite(HOST_IA32_SYSENTER_ESP, rich ? 0x1111000 : 0);  /* host SYSENTER_ESP: the exit MSR-load sets it too */
	vmwrite(HOST_IA32_SYSENTER_EIP, 0);
	vmwrite(HOST_RSP, L1_STACK);
	vmwrite(HOST_RIP, L1_EXIT_HANDLER);
	/* guest state: L2, 64-bit, on L1's page tables */
	vmwrite(GUEST_CR0, c->cr0);
	vmwrite(GUEST_CR3, base + PML4_GPA);
	vmwrite(GUEST_CR4, c->cr4);
	vmwrite(GUEST_DR7, 0x400);
	vmwrite(GUEST_RSP, L2_STACK);
	vmwrite(GUEST_RIP, L2_START);
	vmwrite(GUEST_RFLAGS, 0x2);
	for (int i = 0; i < 6; i++) {
		vmwrite(seg_fields[i][0], segs[i][0]);
		vmwrite(seg_fields[i][1], segs[i][1]);
		vmwrite(seg_fields[i][2], segs[i][2]);
		vmwrite(seg_fields[i][3], segs[i][3]);
	}
	vmwrite(GUEST_LDTR_SELECTOR, 0);
	vmwrite(GUEST_LDTR_LIMIT, 0);
	vmwrite(GUEST_LDTR_AR_BYTES, VMX_AR_UNUSABLE);
	vmwrite(GUEST_LDTR_BASE, 0);
	vmwrite(GUEST_TR_SELECTOR, 0x18);
	vmwrite(GUEST_TR_LIMIT, 0x67);
	vmwrite(GUEST_TR_AR_BYTES, 0x8b);    /* busy 64-bit TSS */
	vmwrite(GUEST_TR_BASE, TSS_GPA);
	vmwrite(GUEST_GDTR_BASE, GDT_GPA);
	vmwrite(GUEST_GDTR_LIMIT, 0x27);
	vmwrite(GUEST_IDTR_BASE, 0);
	vmwrite(GUEST_IDTR_LIMIT, 0);
	vmwrite(GUEST_IA32_DEBUGCTL, 0);
	vmwrite(GUEST_SYSENTER_CS, 0);
	vmwrite(GUEST_SYSENTER_ESP, 0);
	vmwrite(GUEST_SYSENTER_EIP, 0);
	vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmwrite(GUEST_ACTIVITY_STATE, 0);
	vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	/* with VMCS shadowing the link pointer names the shadow VMCS */
	vmwrite(VMCS_LINK_POINTER, rich && (c->proc2 & SECONDARY_EXEC_SHADOW_VMCS) ? base + SHADOW_VMCS_GPA : ~0ull);

	m_list_begin("vmwrites");
	for (unsigned i = 0; i < nwrites; i++)
		m_item("{\"encoding\": \"0x%04llx\", \"value\": \"0x%llx\"}", (unsigned long long)table[2 * i],
		       (unsigned long long)table[2 * i + 1]);
	m_list_end();
}

static void setup_vcpu(const struct controls *c)
{
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = moment == MOMENT_HOLD_NOVMX ? L1_NOVMX : CODE_GPA, .rsp = L1_STACK, .rflags = 2 };
	struct kvm_segment code = { .base = 0, .limit = 0xffffffff, .selector = 0x08, .type = 11, .present = 1,
				    .s = 1, .l = 1, .g = 1 };
	struct kvm_segment data = { .base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 3, .present = 1,
				    .db = 1, .s = 1, .g = 1 };

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &s) < 0)
		die("KVM_GET_SREGS");
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.tr = (struct kvm_segment){ .base = TSS_GPA, .limit = 0x67, .selector = 0x18, .type = 11, .present = 1 };
	s.gdt.base = GDT_GPA;
	s.gdt.limit = 0x27;
	s.idt.base = 0;
	s.idt.limit = 0;
	s.cr0 = c->cr0;
	s.cr3 = base + PML4_GPA;
	s.cr4 = c->cr4;
	s.efer = c->efer;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &s) < 0)
		die("KVM_SET_SREGS");
	if (ioctl(vcpu_fd, KVM_SET_REGS, &r) < 0)
		die("KVM_SET_REGS");
}

/* ---- verdict runs ---- */

static __thread unsigned ncases, cur_case;
/* the 8-byte words of L1's memory that some case stores to, with their content
 * before any case ran: put back before each case, so each starts from the
 * same memory (the MSR-load list at MSR_AREA_GPA as setup_memory wrote it) */
static __thread struct { uint64_t gpa, value; } stores[MAX_STORES];
static __thread unsigned nstores;
static __thread uint64_t l1_efer;
static __thread bool have_l1_efer;

static void remember_store(uint64_t gpa)
{
	for (unsigned i = 0; i < nstores; i++)
		if (stores[i].gpa == gpa)
			return;
	if (nstores == MAX_STORES)
		die("the cases store to more than %d places in L1's memory", MAX_STORES);
	if (gpa + 8 > CHUNK || (gpa >= CASES_GPA && gpa < CASES_GPA + (uint64_t)MAX_CASES * CASE_STRIDE) ||
	    (gpa < CODE_GPA + l1_bin_len && gpa + 8 > CODE_GPA))
		die("a case stores to 0x%llx: outside L1's memory, or L1's code or case table", (unsigned long long)gpa);
	stores[nstores].gpa = gpa;
	memcpy(&stores[nstores].value, vmem + gpa, 8);
	nstores++;
}

static void restore_stores(void)
{
	for (unsigned i = 0; i < nstores; i++)
		memcpy(vmem + stores[i].gpa, &stores[i].value, 8);
}

/* A VMCLEAR keeps the VMCS's data, so a field a case VMWRITEs keeps its value
 * in the next cases unless the table writes it: each field some case writes
 * and the table does not joins the table with 0, the value it has in the
 * fresh VMCS of a normal run (the base the checks are predicted from).  They
 * join once L1 has made its first pass over the table, which stops at a
 * failing VMWRITE: a field KVM does not offer fails its VMWRITE, which the
 * case loop ignores as it does for the cases' own. */
static __thread uint32_t resets[MAX_RESETS];
static __thread unsigned nresets;

static void find_case_field_resets(void)
{
	m_list_begin("case_field_resets");
	for (unsigned k = 0; k < ncases; k++) {
		uint64_t *c = (uint64_t *)(vmem + CASES_GPA + (size_t)k * CASE_STRIDE);

		for (uint64_t j = 0; j < c[0]; j++) {
			uint64_t e = c[1 + 2 * j];
			bool known = e & CASE_STORE;

			for (unsigned i = 0; i < nwrites && !known; i++)
				known = table[2 * i] == e;
			for (unsigned i = 0; i < nresets && !known; i++)
				known = resets[i] == e;
			if (known)
				continue;
			if (nresets == MAX_RESETS ||
			    2 * (nwrites + nresets + 1) >= (MAILBOX_GPA - TABLE_GPA) / sizeof(uint64_t))
				die("the VMWRITE table has no room to reset field 0x%llx", (unsigned long long)e);
			resets[nresets++] = (uint32_t)e;
			m_item("\"0x%04llx\"", (unsigned long long)e);
		}
	}
	m_list_end();
}

static void add_case_field_resets(void)
{
	for (unsigned i = 0; i < nresets; i++)
		vmwrite(resets[i], 0);
	printf("verdict run: %u fields some case writes reset to 0 before each case\n", nresets);
}

/* Each line of the cases file: ENCODING VALUE pairs and *GPA VALUE stores, written into L1's case table. */
static void load_cases(void)
{
	char line[4096];
	FILE *f = fopen(cases_file, "r");

	if (!f)
		die("opening %s", cases_file);
	while (fgets(line, sizeof(line), f) && ncases < MAX_CASES) {
		uint64_t *c = (uint64_t *)(vmem + CASES_GPA + (size_t)ncases * CASE_STRIDE);
		char *p = line, *end;

		if (line[0] == '#')
			continue;
		c[0] = 0;
		for (;;) {
			bool store;
			uint64_t e, v;

			while (*p == ' ' || *p == '\t')
				p++;
			if (!*p || *p == '\n')
				break;
			if (c[0] == (CASE_STRIDE / 16) - 1)
				die("case %u has more VMWRITEs and stores than a case slot holds (%d)", ncases,
				    CASE_STRIDE / 16 - 1);
			store = *p == '*';
			e = strtoull(p + store, &end, 16);
			if (end == p + store)
				die("case %u: '%s' is not ENCODING VALUE or *GPA VALUE", ncases, p);
			p = end;
			v = strtoull(p, &end, 16);
			if (end == p)
				die("case %u: a value is missing after 0x%llx", ncases, (unsigned long long)e);
			p = end;
			if (store)
				remember_store(e);
			c[1 + 2 * c[0]] = store ? e | CASE_STORE : e;
			c[2 + 2 * c[0]] = v;
			c[0]++;
		}
		ncases++;
	}
	fclose(f);
	find_case_field_resets();
	((uint64_t *)(vmem + MAILBOX_GPA))[3] = CASES_GPA;
	((uint64_t *)(vmem + MAILBOX_GPA))[4] = ncases;
	printf("verdict run: %u cases\n", ncases);
}

static void verdict(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void verdict(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	m_item("{\"case\": %u, %s}", cur_case, buf);
}

/* ---- the run ---- */

static void read_capabilities(void)
{
	m_list_begin("capability_msrs");
	for (unsigned i = 0; i < NCAPS; i++) {
		bool ok;

		msrs[i] = get_msr(MSR_IA32_VMX_BASIC + i, &ok);
		if (ok)
			m_item("{\"msr\": \"0x%x\", \"name\": \"%s\", \"value\": \"0x%016llx\"}", MSR_IA32_VMX_BASIC + i,
			       vmx_msr_name(MSR_IA32_VMX_BASIC + i), (unsigned long long)msrs[i]);
		else
			msrs[i] = 0;
	}
	m_list_end();
}

/* The kernel addresses userspace can learn: symbols from /proc/kallsyms. */
static void record_kernel_symbols(void)
{
	static const char *const wanted[] = { "vm_list", "kvm_lock", "vmx_vmexit", "vmx_x86_ops" };
	char line[512];
	FILE *f = fopen("/proc/kallsyms", "r");

	m_list_begin("kernel_symbols");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type, name[256], module[128] = "";

		if (sscanf(line, "%llx %c %255s %127s", &addr, &type, name, module) < 3)
			continue;
		for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
			if (!strcmp(name, wanted[i]))
				m_item("{\"name\": \"%s\", \"address\": \"0x%llx\", \"module\": \"%s\"}", name, addr, module);
	}
	if (f)
		fclose(f);
	m_list_end();
}

static enum moment parse_moment(const char *m)
{
	for (unsigned i = 0; i < sizeof(moment_names) / sizeof(moment_names[0]); i++)
		if (!strcmp(m, moment_names[i]) && i != MOMENT_VERDICTS)
			return (enum moment)i;
	if (!strncmp(m, "verdicts=", 9))
		return MOMENT_VERDICTS;
	fprintf(stderr, "nsharness: unknown moment '%s'\n", m);
	exit(2);
}

/* One vCPU, from its CPUID to its moment (or the end of the run). */
static void run_vcpu(int fd, unsigned index, enum moment m, const char *moment_arg)
{
	struct kvm_cpuid2 *cpuid;
	struct controls c = { 0 };
	struct utsname u;
	char path[512];
	uint32_t revision;
	unsigned l2_outs = 0, exits = 0, last_reason = 0, last_qual = 0;
	bool have_reason = false;
	int mmap_size;

	vcpu_fd = fd;
	vindex = index;
	moment = m;
	base = vcpus_mode ? index * CHUNK : 0;
	vmem = mem + base;
	if (vcpus_mode) {
		snprintf(vdir, sizeof(vdir), "%s/vcpu%u", outdir, index);
		mkdir(vdir, 0755);
	} else {
		snprintf(vdir, sizeof(vdir), "%s", outdir);
	}
	mmap_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");

	snprintf(path, sizeof(path), "%s/manifest-harness.json", vdir);
	manifest = fopen(path, "w");
	if (!manifest)
		die("creating %s", path);
	uname(&u);
	fprintf(manifest, "{\n  \"generator\": \"nsharness\",\n  \"config\": \"%s\",\n  \"moment\": \"%s\",\n"
		"  \"kernel_release\": \"%s\",\n  \"kernel_version\": \"%s\",\n  \"harness_pid\": %d",
		rich ? "rich" : novmx ? "novmx" : "basic", moment_arg, u.release, u.version, getpid());
	if (vcpus_mode)
		fprintf(manifest, ",\n  \"vcpu\": %u,\n  \"vcpus\": %u", index, nvcpus);
	fprintf(manifest, ",\n  \"kvm_cap_nested_state\": %d", nstate_max);
	fprintf(manifest, ",\n  \"l1_memory\": {\"gpa\": \"0x0\", \"size\": \"0x%zx\", \"hva\": \"0x%llx\"}", mem_size,
		(unsigned long long)(uintptr_t)mem);

	/* CPUID: what KVM supports, with VMX (CPUID.1:ECX[5]) for L1 unless the VM has none */
	cpuid = calloc(1, sizeof(*cpuid) + 256 * sizeof(struct kvm_cpuid_entry2));
	cpuid->nent = 256;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0)
		die("KVM_GET_SUPPORTED_CPUID");
	for (unsigned i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == 1) {
			if (novmx)
				cpuid->entries[i].ecx &= ~(1u << 5);
			else
				cpuid->entries[i].ecx |= 1u << 5;
		}
	if (ioctl(vcpu_fd, KVM_SET_CPUID2, cpuid) < 0)
		die("KVM_SET_CPUID2");
	if (moment == MOMENT_VERDICTS) {
		/* the CPUID rules are judged against what L1 was given: every leaf */
		m_list_begin("cpuid");
		for (unsigned i = 0; i < cpuid->nent; i++) {
			struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

			m_item("{\"function\": \"0x%x\", \"index\": \"0x%x\", \"flags\": \"0x%x\", \"eax\": \"0x%x\", "
			       "\"ebx\": \"0x%x\", \"ecx\": \"0x%x\", \"edx\": \"0x%x\"}",
			       e->function, e->index, e->flags, e->eax, e->ebx, e->ecx, e->edx);
		}
		m_list_end();
	}
	free(cpuid);

	read_capabilities();
	if (!novmx)
		set_msr(0x3a, 0x5); /* IA32_FEATURE_CONTROL: locked, VMX outside SMX */
	revision = cap(MSR_IA32_VMX_BASIC) ? (uint32_t)(cap(MSR_IA32_VMX_BASIC) & 0x7fffffff) : VMCS12_REVISION_FALLBACK;
	setup_memory(revision);
	if (moment != MOMENT_HOLD_NOVMX)
		c = choose_controls();
	else
		c = (struct controls){ .cr0 = L2_CR0, .cr4 = X86_CR4_PAE, .efer = L2_EFER }; /* long mode, no VMX */
	fprintf(manifest, ",\n  \"addresses\": {\"vmxon_pa\": \"0x%llx\", \"vmcs12_pa\": \"0x%llx\", "
		"\"shadow_vmcs_pa\": \"0x%llx\", \"l1_code\": \"0x%x\", \"l1_exit_handler\": \"0x%llx\", "
		"\"l2_start\": \"0x%llx\"", (unsigned long long)(base + VMXON_GPA), (unsigned long long)(base + VMCS_GPA),
		(unsigned long long)(base + SHADOW_VMCS_GPA), CODE_GPA, (unsigned long long)L1_EXIT_HANDLER,
		(unsigned long long)L2_START);
	if (vcpus_mode) /* linear 0..2 MiB of this vCPU is its chunk at GPA base */
		fprintf(manifest, ", \"chunk_gpa\": \"0x%llx\", \"l1_cr3\": \"0x%llx\", \"l1_novmx\": \"0x%llx\"",
			(unsigned long long)base, (unsigned long long)(base + PML4_GPA), (unsigned long long)L1_NOVMX);
	fputs("}", manifest);
	if (moment != MOMENT_HOLD_NOVMX)
		fprintf(manifest, ",\n  \"controls\": {\"pin\": \"0x%x\", \"proc\": \"0x%x\", \"proc2\": \"0x%x\", "
			"\"exit\": \"0x%x\", \"entry\": \"0x%x\", \"cr0\": \"0x%llx\", \"cr4\": \"0x%llx\", \"efer\": \"0x%llx\"}",
			c.pin, c.proc, c.proc2, c.exit, c.entry, (unsigned long long)c.cr0, (unsigned long long)c.cr4,
			(unsigned long long)c.efer);
	/* reading kallsyms costs Bochs seconds: in vcpus mode only the vCPU that stops the machine does */
	if (!vcpus_mode || moment == MOMENT_NOSYNC)
		record_kernel_symbols();
	if (moment != MOMENT_HOLD_NOVMX)
		build_vmwrites(&c);
	setup_vcpu(&c);
	if (moment == MOMENT_VERDICTS)
		load_cases();

	m_list_begin(moment == MOMENT_VERDICTS ? "verdicts" : "steps");
	if (moment != MOMENT_VERDICTS)
		snapshot("before_vmxon");
	for (unsigned iter = 0; iter < (moment == MOMENT_VERDICTS ? 20000u : 200u); iter++) {
		if (ioctl(vcpu_fd, KVM_RUN, 0) < 0)
			die("KVM_RUN");
		if (run->exit_reason == KVM_EXIT_HLT) {
			if (in_guest_mode()) {
				/* basic: L1 does not intercept HLT, so L2's HLT comes to L0 */
				if (moment != MOMENT_VERDICTS)
					snapshot("l2_hlt_in_l0");
				continue;
			}
			printf("L1 halted: the run is over\n");
			break;
		}
		if (run->exit_reason != KVM_EXIT_IO) {
			fprintf(stderr, "nsharness: unexpected KVM exit %u\n", run->exit_reason);
			break;
		}
		uint32_t val = 0;
		memcpy(&val, (uint8_t *)run + run->io.data_offset, run->io.size < 4 ? run->io.size : 4);
		switch (run->io.port) {
		case 0x12: /* L1 milestones */
			if (moment == MOMENT_VERDICTS) {
				if (val == 4) /* L1 wrote the table once: the cases begin */
					add_case_field_resets();
				break; /* the verdicts list is the record of this run */
			}
			if (val == 1)
				snapshot("after_vmxon");
			else if (val == 3)
				snapshot("after_vmptrld");
			else if (val == 4)
				snapshot("after_vmwrites");
			else if (val == 9)
				snapshot("running_without_vmx");
			else if (val == 7) {
				snapshot("after_vmclear");
				save_l1_memory("after_vmclear");
			}
			if ((val == 1 && moment == MOMENT_HOLD_L1_VMXON) || (val == 4 && moment == MOMENT_HOLD_L1_VMCS) ||
			    (val == 9 && moment == MOMENT_HOLD_NOVMX))
				hold(moment_names[moment], false, false, 0);
			break;
		case 0x17: /* a case begins: L1's memory as before any case */
			cur_case = val;
			restore_stores();
			break;
		case 0x19: l1_efer = val; break; /* L1's IA32_EFER, bits 31:0 then 63:32, before its first case */
		case 0x1a:
			l1_efer |= (uint64_t)val << 32;
			have_l1_efer = true;
			break;
		case 0x11: last_reason = val; have_reason = true; break;
		case 0x15: last_qual = val; break;
		case 0x16: { /* L2's RAX: the last word of an exit report */
			char tag[64];

			if (moment == MOMENT_VERDICTS) {
				if (last_reason & VMX_EXIT_REASONS_FAILED_VMENTRY)
					verdict("\"result\": \"entry-failed\", \"exit_reason\": %u, \"qualification\": \"0x%x\"",
						last_reason, last_qual);
				else
					verdict("\"result\": \"entered\", \"exit_reason\": %u", last_reason);
				have_reason = false;
				break;
			}

			printf("L1 saw exit reason %u qualification 0x%x (L2 rax 0x%x)\n", last_reason, last_qual, val);
			snprintf(tag, sizeof(tag), "l1_exit_%u_reason_%u", ++exits, last_reason & 0xffff);
			if (have_reason && nexits < 64) {
				exits_seen[nexits++] = (struct exit_seen){ steps, last_reason, last_qual, val };
				snapshot(tag);
			}
			have_reason = false;
			if (exits == 1 && moment == MOMENT_HOLD_L1_EXIT) {
				/* in L1's exit handler: the exits so far go in the manifest before it closes */
				m_list_end();
				m_list_begin("exits");
				for (unsigned i = 0; i < nexits; i++)
					m_item("{\"step\": %u, \"reason\": %u, \"qualification\": \"0x%x\", \"l2_rax\": \"0x%x\"}",
					       exits_seen[i].step, exits_seen[i].reason, exits_seen[i].qualification,
					       exits_seen[i].l2_rax);
				hold(moment_names[moment], false, true, 0);
			}
			break;
		}
		case 0x10: { /* L2's OUT to L0 userspace: L2 is active in guest mode */
			char tag[64];
			uint64_t exit_rip;

			if (moment == MOMENT_VERDICTS)
				break; /* the next KVM_RUN completes it */
			exit_rip = l2_rip();

			l2_outs++;
			snprintf(tag, sizeof(tag), "l2_out_%u", l2_outs);
			if (l2_outs == 1 && moment == MOMENT_NOSYNC)
				stop_for_dump(); /* nothing has synced vmcs12 from vmcs02 */
			if (l2_outs == 1 && moment == MOMENT_HOLD) {
				snapshot(tag); /* syncs vmcs12 from vmcs02, the OUT still pending */
				hold("hold", true, false, exit_rip);
			}
			/* complete the OUT before reading state, as the KVM API asks */
			run->immediate_exit = 1;
			if (ioctl(vcpu_fd, KVM_RUN, 0) < 0 && errno != EINTR)
				die("KVM_RUN (immediate exit)");
			run->immediate_exit = 0;
			snapshot(tag);
			if (l2_outs == 1 && moment == MOMENT_HOLD_IO)
				hold("hold-io", true, false, exit_rip);
			break;
		}
		case 0x18: printf("L2's OUT 0x18 reached L0 (L1 does not intercept it)\n"); break;
		case 0x13:
			if (moment == MOMENT_VERDICTS)
				verdict("\"result\": \"vmfail\", \"error\": %u", val);
			else
				printf("L1: VMfail, VM-instruction error %u\n", val);
			break;
		case 0x14: printf("L1: failed at stage 0x%x\n", val); break;
		default: printf("unexpected OUT 0x%x 0x%x\n", run->io.port, val);
		}
	}
	m_list_end();
	m_list_begin("exits");
	for (unsigned i = 0; i < nexits; i++)
		m_item("{\"step\": %u, \"reason\": %u, \"qualification\": \"0x%x\", \"l2_rax\": \"0x%x\"}",
		       exits_seen[i].step, exits_seen[i].reason, exits_seen[i].qualification, exits_seen[i].l2_rax);
	m_list_end();
	if (*dump_note)
		fprintf(manifest, ",\n  \"dump\": %s", dump_note);
	if (have_l1_efer)
		fprintf(manifest, ",\n  \"l1_efer\": \"0x%llx\"", (unsigned long long)l1_efer);
	fprintf(manifest, ",\n  \"vmwrite_count\": %u,\n  \"l2_outs_to_l0\": %u,\n  \"exits_to_l1\": %u\n}\n", nwrites,
		l2_outs, exits);
	fclose(manifest);
	printf("nsharness: %s%s%s done, %u steps\n", rich ? "rich" : novmx ? "novmx" : "basic", vcpus_mode ? " " : "",
	       vcpus_mode ? vdir : "", steps);
}

struct vcpu_start {
	pthread_t thread;
	int fd;
	unsigned index;
	enum moment moment;
	const char *name;
};

static void *vcpu_thread(void *p)
{
	struct vcpu_start *v = p;

	run_vcpu(v->fd, v->index, v->moment, v->name);
	settle(false); /* the run ended without holding */
	return NULL;
}

int main(int argc, char **argv)
{
	static struct vcpu_start vcpus[MAX_VCPUS];
	struct kvm_userspace_memory_region region;
	char path[512], *list = NULL;
	const char *moment_arg = argc > 3 ? argv[3] : "none";

	if (argc < 3) {
		fprintf(stderr, "usage: nsharness OUTDIR basic|rich|novmx [MOMENT | vcpus=MOMENT,MOMENT...]\n");
		return 2;
	}
	outdir = argv[1];
	rich = !strcmp(argv[2], "rich");
	novmx = !strcmp(argv[2], "novmx");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strncmp(moment_arg, "vcpus=", 6)) {
		vcpus_mode = true;
		list = strdup(moment_arg + 6);
		for (char *save = NULL, *m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
			if (nvcpus == MAX_VCPUS) {
				fprintf(stderr, "nsharness: at most %d vCPUs\n", MAX_VCPUS);
				return 2;
			}
			vcpus[nvcpus] = (struct vcpu_start){ .index = nvcpus, .moment = parse_moment(m), .name = m };
			nvcpus++;
		}
	} else {
		vcpus[0] = (struct vcpu_start){ .index = 0, .moment = parse_moment(moment_arg), .name = moment_arg };
		nvcpus = 1;
	}
	for (unsigned i = 0; i < nvcpus; i++)
		if ((vcpus[i].moment == MOMENT_VERDICTS && nvcpus > 1) || (novmx && vcpus[i].moment != MOMENT_HOLD_NOVMX)) {
			fprintf(stderr, "nsharness: moment %s is not for %s\n", vcpus[i].name,
				novmx ? "a VM without VMX" : "one of several vCPUs");
			return 2;
		}
	if (vcpus[0].moment == MOMENT_VERDICTS)
		cases_file = moment_arg + 9;
	if (vcpus_mode) {
		/* the VM is the child's: this process waits until it settles, which
		 * /init learns without polling (guest time runs slow in Bochs) */
		int p[2];
		pid_t child;
		char c;

		if (pipe(p))
			die("pipe");
		child = fork();
		if (child < 0)
			die("fork");
		if (child) {
			close(p[1]);
			if (read(p[0], &c, 1) == 1)
				return 0;
			fprintf(stderr, "nsharness: the VM in %s (pid %d) died before its vCPUs settled\n", outdir, child);
			return 1;
		}
		close(p[0]);
		ready_fd = p[1];
	}

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("open /dev/kvm");
	nstate_max = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NESTED_STATE);
	if (nstate_max <= 0)
		die("KVM_CAP_NESTED_STATE");
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		die("KVM_CREATE_VM");
	if (ioctl(vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul) < 0)
		die("KVM_SET_TSS_ADDR");
	mem_size = vcpus_mode && nvcpus * CHUNK > MEM_SIZE_MIN ? nvcpus * CHUNK : MEM_SIZE_MIN;
	mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	region = (struct kvm_userspace_memory_region){ .slot = 0, .guest_phys_addr = 0, .memory_size = mem_size,
						       .userspace_addr = (uint64_t)(uintptr_t)mem };
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
	/* in order, here: KVM numbers vCPUs (vcpu_idx) as they are created */
	for (unsigned i = 0; i < nvcpus; i++) {
		vcpus[i].fd = ioctl(vm_fd, KVM_CREATE_VCPU, i);
		if (vcpus[i].fd < 0)
			die("KVM_CREATE_VCPU %u", i);
	}
	if (!vcpus_mode) {
		run_vcpu(vcpus[0].fd, 0, vcpus[0].moment, moment_arg);
		return 0;
	}

	/* the VM's record, then one thread per vCPU */
	snprintf(path, sizeof(path), "%s/manifest-vm.json", outdir);
	FILE *f = fopen(path, "w");
	if (!f)
		die("creating %s", path);
	fprintf(f, "{\n  \"generator\": \"nsharness\",\n  \"config\": \"%s\",\n  \"harness_pid\": %d,\n  \"vcpus\": %u,\n"
		"  \"l1_memory\": {\"gpa\": \"0x0\", \"size\": \"0x%zx\", \"hva\": \"0x%llx\", \"chunk\": \"0x%lx\"},\n"
		"  \"moments\": [", argv[2], getpid(), nvcpus, mem_size, (unsigned long long)(uintptr_t)mem, CHUNK);
	for (unsigned i = 0; i < nvcpus; i++)
		fprintf(f, "%s\"%s\"", i ? ", " : "", vcpus[i].name);
	fprintf(f, "],\n  \"vcpu_manifests\": [");
	for (unsigned i = 0; i < nvcpus; i++)
		fprintf(f, "%s\"vcpu%u/manifest-harness.json\"", i ? ", " : "", i);
	fprintf(f, "]\n}\n");
	if (fclose(f))
		die("writing %s", path);
	if (sem_init(&settled, 0, 0))
		die("sem_init");
	for (unsigned i = 0; i < nvcpus; i++)
		if ((errno = pthread_create(&vcpus[i].thread, NULL, vcpu_thread, &vcpus[i])))
			die("pthread_create");
	for (unsigned i = 0; i < nvcpus; i++)
		while (sem_wait(&settled) && errno == EINTR)
			;
	snprintf(path, sizeof(path), "%s/holding", outdir);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%d\n", getpid());
		fclose(f);
	}
	printf("=== VM %s: %u vCPUs settled\n", outdir, nvcpus);
	if (write(ready_fd, "1", 1) != 1)
		die("telling the parent");
	close(ready_fd);
	/* vCPUs that hold never return: this waits until the VM is killed */
	for (unsigned i = 0; i < nvcpus; i++)
		pthread_join(vcpus[i].thread, NULL);
	free(list);
	return 0;
}
