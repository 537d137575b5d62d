/*
 * A /dev/kvm VMM for the nested-SVM samples: one VM, one vCPU, 4 MiB of
 * memory holding L1 (l1svm.S), which runs an L2 with VMRUN under KVM's
 * nested SVM.  At every exit to userspace it records, in OUTDIR:
 *
 *   steps.txt           a line per step: the exit (port, value), the
 *                       KVM_GET_NESTED_STATE flags, the registers KVM_GET_REGS
 *                       and KVM_GET_SREGS give (L2's while the vCPU is in
 *                       guest mode: the blob's save area is L1's), and which
 *                       VMCB the vCPU ran on last;
 *   NN-nested-state.bin the blob;
 *   NN-vmcb12.bin       the page at vmcb12's GPA in L1's memory, as L1 left it;
 *   NN-vmcb01.bin, NN-vmcb02.bin
 *                       KVM's own VMCBs, read through /proc/kcore at the
 *                       kernel addresses a kprobe on svm_vcpu_run recorded
 *                       (its fetch arguments come from the kernel's debuginfo:
 *                       samples/gen/svm/generate.sh);
 *   cpuid.txt           the CPUID KVM_SET_CPUID2 gave L1 (SVM's leaf 8000000Ah
 *                       is what the APM checks are judged against).
 *
 * usage: svmharness OUTDIR CONFIG [verdicts=CASES]   CONFIG: l1svm.S's CFG_* bits
 * With CFG_PENDING it sends itself SIGALRM every PENDING_TICK_US from L1's
 * PORT_BUILT on, while L1 VMRUNs its L2 again and again; at each KVM_RUN the
 * signal interrupts it looks at the nested state, and the first time KVM
 * says KVM_STATE_NESTED_RUN_PENDING (the signal came between KVM's emulation
 * of L1's VMRUN and the entry into L2) records the step "run-pending", stops
 * the timer and lets L2 stop (PENDING_STOP).  After PENDING_MAX_TRIES
 * interrupted runs without it, it records "no-run-pending" and stops as well.
 * With CFG_HOLD it stops at L2's first OUT to PORT_L2, prints
 * "=== NS HOLD pid" and sleeps: the vCPU stays in guest mode, in userspace,
 * for the L0 dump.
 *
 * verdicts=CASES (with CFG_VERDICTS | CFG_RICH) is the differential run: CASES
 * (samples/gen/svm/cases.py's output) has a line per case of "OFFSET SIZE
 * VALUE" writes into vmcb12; the harness copies the table into L1's memory
 * and L1 runs every case through VMRUN (l1svm.S).  The results go to
 * OUTDIR/verdicts.txt, a line per case: how the case ended (vmexit: L1 saw
 * its exits; shutdown: the vCPU shut down; halt: it halted with nothing to
 * wake it; hang: no progress for CASE_TIMEOUT_S; unexpected: another exit
 * to userspace), the exit codes of its VMRUNs and the first exit's
 * EXITINFO1/2 and EXITINTINFO; L1's EFER to OUTDIR/l1-efer.txt.  After any
 * of those but vmexit the harness makes a new VM and goes on with the next
 * case, so that one case cannot stop the others.
 */
#include <errno.h>
#include <fcntl.h>
#include <elf.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "l1svm_bin.h"

#define MEM_SIZE (4u << 20)
#define PAGE 4096u
#define L1_LOAD 0x10000u
#define CONFIG_GPA 0x9000u
#define VMCB12_GPA 0x30000u
#define CFG_HOLD 4
#define CFG_VERDICTS 8
#define CFG_PENDING 64
#define PENDING_STOP_GPA 0x9020u  /* l1svm.S's PENDING_STOP */
#define PENDING_TICK_US 200       /* a signal this often: each KVM_RUN it interrupts is one try */
#define PENDING_MAX_TRIES 20000
/* the differential run's words and tables in L1's memory (l1svm.S has the same) */
#define NCASES_GPA 0x9008u
#define CASE_CUR_GPA 0x900cu
#define CASE_RUNS_GPA 0x9010u
#define L1_EFER_GPA 0x9018u
#define CASES_GPA 0x100000u
#define CASE_SIZE 256u
#define CASE_WRITE 16u
#define MAX_WRITES ((CASE_SIZE - 8) / CASE_WRITE)
#define RESULTS_GPA 0x200000u
#define RESULT_WORDS 8u             /* runs, MAX_RUNS exit codes, EXITINFO1, EXITINFO2, EXITINTINFO */
#define MAX_RUNS 4u
#define MAX_CASES ((RESULTS_GPA - CASES_GPA) / CASE_SIZE)
#define CASE_TIMEOUT_S 5            /* no new case or VMRUN for this long (a case takes ~15 ms): the case hangs */
#define PORT_BUILT 0x10
#define PORT_EXIT 0x11
#define PORT_DONE 0x12
#define PORT_FAIL 0x13
#define PORT_L2 0x80
#define TRACE "/sys/kernel/tracing/trace"
#define PROBE_EVENT "nssvm:"  /* the kprobe /init defines: svm=, v01=, v02=, cur= */

static uint8_t *mem;
static int vcpu;
static const char *outdir;
static FILE *steps;
static int nested_size;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "svmharness: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(errno));
	va_end(ap);
	exit(1);
}

static void save(int step, const char *what, const void *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%02d-%s.bin", outdir, step, what);
	if (!(f = fopen(path, "wb")) || fwrite(p, 1, n, f) != n || fclose(f))
		die("write %s", path);
}

static int kcore_read(uint64_t va, void *buf, size_t n)
{
	int fd = open("/proc/kcore", O_RDONLY);
	Elf64_Ehdr eh;
	int rc = -1;

	if (fd < 0)
		return -1;
	if (pread(fd, &eh, sizeof(eh), 0) == sizeof(eh))
		for (int i = 0; i < eh.e_phnum && rc; i++) {
			Elf64_Phdr ph;

			if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) != sizeof(ph))
				break;
			if (ph.p_type == PT_LOAD && va >= ph.p_vaddr && va + n <= ph.p_vaddr + ph.p_memsz)
				rc = pread(fd, buf, n, (off_t)(ph.p_offset + (va - ph.p_vaddr))) == (ssize_t)n ? 0 : -1;
		}
	close(fd);
	return rc;
}

/* The last svm_vcpu_run of this process the kprobe saw: the vcpu_svm and its VMCBs. */
struct probe {
	uint64_t svm, v01, v02, cur, v01_pa, v02_pa, cur_pa;
};

static uint64_t arg(const char *line, const char *name)
{
	const char *p = strstr(line, name);

	return p ? strtoull(p + strlen(name), NULL, 16) : 0;
}

static int last_probe(struct probe *pr)
{
	char line[1024], me[32];
	FILE *f = fopen(TRACE, "r");
	int found = 0;

	if (!f)
		return 0;
	snprintf(me, sizeof(me), "-%d ", (int)getpid());
	while (fgets(line, sizeof(line), f))
		if (strstr(line, PROBE_EVENT) && strstr(line, me)) {
			*pr = (struct probe){ arg(line, " svm="), arg(line, " v01="), arg(line, " v02="), arg(line, " cur="),
					      arg(line, " v01pa="), arg(line, " v02pa="), arg(line, " curpa=") };
			found = 1;
		}
	fclose(f);
	return found;
}

static void record(int step, const char *what, uint32_t port, uint32_t value)
{
	struct kvm_nested_state *ns = calloc(1, (size_t)nested_size);
	struct kvm_regs r;
	struct kvm_sregs s;
	struct probe pr;
	uint8_t page[PAGE];

	if (!ns)
		die("calloc");
	ns->size = (uint32_t)nested_size;
	if (ioctl(vcpu, KVM_GET_NESTED_STATE, ns) < 0)
		die("KVM_GET_NESTED_STATE");
	if (ioctl(vcpu, KVM_GET_REGS, &r) < 0 || ioctl(vcpu, KVM_GET_SREGS, &s) < 0)
		die("KVM_GET_REGS");
	save(step, "nested-state", ns, ns->size);
	save(step, "vmcb12", mem + VMCB12_GPA, PAGE);
	fprintf(steps,
		"step=%02d what=%s port=0x%x value=0x%x flags=0x%x format=%u size=%u vmcb_pa=0x%llx "
		"rip=0x%llx rsp=0x%llx rax=0x%llx rflags=0x%llx cr0=0x%llx cr3=0x%llx cr4=0x%llx efer=0x%llx "
		"cs=0x%x cs_base=0x%llx",
		step, what, port, value, ns->flags, ns->format, ns->size, (unsigned long long)ns->hdr.svm.vmcb_pa,
		(unsigned long long)r.rip, (unsigned long long)r.rsp, (unsigned long long)r.rax,
		(unsigned long long)r.rflags, (unsigned long long)s.cr0, (unsigned long long)s.cr3,
		(unsigned long long)s.cr4, (unsigned long long)s.efer, s.cs.selector, (unsigned long long)s.cs.base);
	if (last_probe(&pr)) {
		fprintf(steps, " vcpu_svm=0x%llx vmcb01=0x%llx vmcb01_pa=0x%llx vmcb02=0x%llx vmcb02_pa=0x%llx current=%s",
			(unsigned long long)pr.svm, (unsigned long long)pr.v01, (unsigned long long)pr.v01_pa,
			(unsigned long long)pr.v02, (unsigned long long)pr.v02_pa,
			pr.cur == pr.v02 && pr.v02 ? "vmcb02" : pr.cur == pr.v01 ? "vmcb01" : "other");
		if (pr.v01 && !kcore_read(pr.v01, page, PAGE))
			save(step, "vmcb01", page, PAGE);
		if (pr.v02 && !kcore_read(pr.v02, page, PAGE))
			save(step, "vmcb02", page, PAGE);
	}
	fprintf(steps, "\n");
	fflush(steps);
	free(ns);
}

static void setup_memory(int vm, uint32_t config)
{
	struct kvm_userspace_memory_region reg = { .slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE };
	uint64_t *pml4, *pdpt, *pd, *gdt;

	if (mem)
		munmap(mem, MEM_SIZE);
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	reg.userspace_addr = (uint64_t)(uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &reg) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
	/* identity map of the 4 MiB in 2 MiB pages, user-accessible so that they also serve as nested page tables */
	for (uint64_t root = 0x1000; root <= 0x6000; root += 0x5000) {
		pml4 = (uint64_t *)(mem + root);
		pdpt = (uint64_t *)(mem + root + 0x1000);
		pd = (uint64_t *)(mem + root + 0x2000);
		pml4[0] = (root + 0x1000) | 7;  /* present, writable, user */
		pdpt[0] = (root + 0x2000) | 7;
		pd[0] = 0x000000 | 0x87;        /* and a 2 MiB page */
		pd[1] = 0x200000 | 0x87;
	}
	gdt = (uint64_t *)(mem + 0x4000);
	gdt[1] = 0x00af9b000000ffffull;         /* 0x08: 64-bit code */
	gdt[2] = 0x00cf93000000ffffull;         /* 0x10: data */
	gdt[3] = 0x00008b0050000067ull;         /* 0x18: the TSS at 0x5000 */
	gdt[4] = 0x00cf9b000000ffffull;         /* 0x20: 32-bit code (D=1), CFG_PROT32's L2 */
	memcpy(mem + L1_LOAD, l1svm_bin, l1svm_bin_len);
	memcpy(mem + CONFIG_GPA, &config, sizeof(config));
}

/* L1's CPUID: what KVM supports, with SVM (8000_0001h ECX bit 2) so that L1 may use it */
static void setup_cpuid(int kvm)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[256];
	} cp = { .c.nent = 256 };
	char path[512];
	FILE *f;

	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cp) < 0)
		die("KVM_GET_SUPPORTED_CPUID");
	for (unsigned i = 0; i < cp.c.nent; i++)
		if (cp.e[i].function == 0x80000001)
			cp.e[i].ecx |= 1u << 2;
	if (ioctl(vcpu, KVM_SET_CPUID2, &cp) < 0)
		die("KVM_SET_CPUID2");
	snprintf(path, sizeof(path), "%s/cpuid.txt", outdir);
	if (!(f = fopen(path, "w")))
		die("%s", path);
	for (unsigned i = 0; i < cp.c.nent; i++)
		fprintf(f, "cpuid 0x%x %u 0x%x 0x%x 0x%x 0x%x\n", cp.e[i].function, cp.e[i].index, cp.e[i].eax,
			cp.e[i].ebx, cp.e[i].ecx, cp.e[i].edx);
	fclose(f);
}

static void setup_registers(void)
{
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = L1_LOAD, .rsp = 0x70000, .rflags = 2 };
	struct kvm_segment code = { .limit = 0xffffffff, .selector = 0x08, .type = 11, .present = 1, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment data = { .limit = 0xffffffff, .selector = 0x10, .type = 3, .present = 1, .s = 1, .db = 1, .g = 1 };
	struct kvm_segment tss = { .base = 0x5000, .limit = 0x67, .selector = 0x18, .type = 11, .present = 1 };

	if (ioctl(vcpu, KVM_GET_SREGS, &s) < 0)
		die("KVM_GET_SREGS");
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.tr = tss;
	s.gdt.base = 0x4000;
	s.gdt.limit = 0x27;
	s.cr0 = 0x80050033;  /* PG, AM, WP, NE, ET, MP, PE */
	s.cr3 = 0x1000;
	s.cr4 = 0x20;        /* PAE */
	s.efer = 0x500;      /* LMA, LME */
	if (ioctl(vcpu, KVM_SET_SREGS, &s) < 0 || ioctl(vcpu, KVM_SET_REGS, &r) < 0)
		die("KVM_SET_SREGS");
}

static int kvm, vm;
static struct kvm_run *run;

/* A new VM with L1 loaded, its vCPU, CPUID and registers (an earlier VM is closed first). */
static void create_vm(uint32_t config)
{
	if (vm > 0) {
		munmap(run, (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0));
		close(vcpu);
		close(vm);
	}
	if ((vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0)
		die("KVM_CREATE_VM");
	setup_memory(vm, config);
	if ((vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0)
		die("KVM_CREATE_VCPU");
	run = mmap(NULL, (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");
	setup_cpuid(kvm);
	setup_registers();
}

static uint32_t mem32(uint32_t gpa)
{
	uint32_t v;

	memcpy(&v, mem + gpa, sizeof(v));
	return v;
}

static void on_alarm(int sig)
{
	(void)sig;  /* only there so that KVM_RUN returns EINTR */
}

struct verdict {
	uint64_t words[RESULT_WORDS];
	const char *end;
	char state[128];  /* when the case did not end in L1 (shutdown, halt, hang): where the vCPU was */
};

/* Where the vCPU stopped: in L2 (guest mode) or L1, at which RIP, with which RAX. */
static void vcpu_state(char *buf, size_t n)
{
	struct kvm_nested_state *ns = calloc(1, (size_t)nested_size);
	struct kvm_regs r;

	if (!ns)
		die("calloc");
	ns->size = (uint32_t)nested_size;
	if (ioctl(vcpu, KVM_GET_NESTED_STATE, ns) < 0 || ioctl(vcpu, KVM_GET_REGS, &r) < 0)
		die("KVM_GET_NESTED_STATE");
	snprintf(buf, n, "guest_mode=%d rip=0x%llx rax=0x%llx", !!(ns->flags & KVM_STATE_NESTED_GUEST_MODE),
		 (unsigned long long)r.rip, (unsigned long long)r.rax);
	free(ns);
}

/* The case file: its cases as the table L1 reads (CASE_SIZE bytes each). */
static uint8_t *load_cases(const char *path, uint32_t *n)
{
	uint8_t *table = calloc(MAX_CASES, CASE_SIZE);
	char line[4096];
	FILE *f = fopen(path, "r");
	int lineno = 0;

	if (!f || !table)
		die("%s", path);
	*n = 0;
	while (fgets(line, sizeof(line), f)) {
		uint8_t *c = table + (size_t)*n * CASE_SIZE;
		uint64_t count = 0;
		char *p = line;

		lineno++;
		if (line[0] == '#')
			continue;
		if (*n == MAX_CASES) {
			errno = E2BIG;
			die("%s: more than %u cases", path, MAX_CASES);
		}
		for (;;) {
			unsigned long off, size;
			unsigned long long value;
			int used;

			if (sscanf(p, "%lx %lx %llx%n", &off, &size, &value, &used) != 3)
				break;
			if (count == MAX_WRITES || off + size > PAGE || (size != 1 && size != 2 && size != 4 && size != 8)) {
				errno = EINVAL;
				die("%s:%d: a write the harness cannot make", path, lineno);
			}
			uint32_t o32 = (uint32_t)off, s32 = (uint32_t)size;
			memcpy(c + 8 + count * CASE_WRITE, &o32, 4);
			memcpy(c + 8 + count * CASE_WRITE + 4, &s32, 4);
			memcpy(c + 8 + count * CASE_WRITE + 8, &value, 8);
			count++;
			p += used;
		}
		memcpy(c, &count, 8);
		(*n)++;
	}
	fclose(f);
	return table;
}

/* The differential run: every case, each VM from where the last one stopped. */
static int verdicts(uint32_t config, const char *cases_path)
{
	struct sigaction sa = { .sa_handler = on_alarm };  /* no SA_RESTART: KVM_RUN returns EINTR */
	struct itimerval tick = { { CASE_TIMEOUT_S, 0 }, { CASE_TIMEOUT_S, 0 } };
	uint32_t ncases, next = 0;
	int vms = 0;
	uint8_t *table = load_cases(cases_path, &ncases);
	struct verdict *v = calloc(ncases ? ncases : 1, sizeof(*v));
	uint64_t efer = 0;
	char path[512];
	FILE *f;

	if (!v)
		die("calloc");
	if (sigaction(SIGALRM, &sa, NULL) < 0 || setitimer(ITIMER_REAL, &tick, NULL) < 0)
		die("the timer");
	while (next < ncases) {
		uint32_t cur, seen_cur = next, seen_runs = 0;
		const char *end = NULL;

		create_vm(config);
		memcpy(mem + CASES_GPA, table, (size_t)ncases * CASE_SIZE);
		memcpy(mem + NCASES_GPA, &ncases, 4);
		memcpy(mem + CASE_CUR_GPA, &next, 4);
		fprintf(stderr, "svmharness: VM %d from case %u of %u\n", ++vms, next, ncases);
		while (!end) {
			if (ioctl(vcpu, KVM_RUN, 0) < 0) {
				if (errno != EINTR)
					die("KVM_RUN");
				if (mem32(CASE_CUR_GPA) == seen_cur && mem32(CASE_RUNS_GPA) == seen_runs)
					end = "hang";
				seen_cur = mem32(CASE_CUR_GPA);
				seen_runs = mem32(CASE_RUNS_GPA);
				continue;
			}
			if (run->exit_reason == KVM_EXIT_IO && run->io.port == PORT_BUILT) {
				/* vmcb12 is built: L1 goes on at its differential loop instead of its VMRUN (KVM
				 * does not complete the OUT once userspace has moved RIP) */
				struct kvm_regs r;

				if (ioctl(vcpu, KVM_GET_REGS, &r) < 0)
					die("KVM_GET_REGS");
				r.rip = L1_VERDICTS_ENTRY;
				if (ioctl(vcpu, KVM_SET_REGS, &r) < 0)
					die("KVM_SET_REGS");
			} else if (run->exit_reason == KVM_EXIT_IO && run->io.port == PORT_DONE)
				end = "done";
			else if (run->exit_reason == KVM_EXIT_SHUTDOWN)
				end = "shutdown";
			else if (run->exit_reason == KVM_EXIT_HLT)  /* no in-kernel irqchip: a HLT nobody intercepts */
				end = "halt";
			else if (run->exit_reason != KVM_EXIT_IO && run->exit_reason != KVM_EXIT_MMIO)
				end = "unexpected";  /* L2's OUTs to L0 (the injected event's) and a mutated L2's
						      * accesses outside memory go on: the timer stops a loop */
		}
		cur = mem32(CASE_CUR_GPA);
		memcpy(&efer, mem + L1_EFER_GPA, 8);
		for (uint32_t i = next; i <= cur && i < ncases; i++) {
			memcpy(v[i].words, mem + RESULTS_GPA + (size_t)i * RESULT_WORDS * 8, sizeof(v[i].words));
			v[i].end = i < cur ? "vmexit" : end;
		}
		if (strcmp(end, "done") && cur < ncases) {
			vcpu_state(v[cur].state, sizeof(v[cur].state));
			fprintf(stderr, "svmharness: case %u: %s (exit reason %u) %s\n", cur, end, run->exit_reason,
				v[cur].state);
		}
		next = !strcmp(end, "done") ? ncases : cur + 1;
	}
	snprintf(path, sizeof(path), "%s/verdicts.txt", outdir);
	if (!(f = fopen(path, "w")))
		die("%s", path);
	for (uint32_t i = 0; i < ncases; i++) {
		uint64_t runs = v[i].words[0];

		fprintf(f, "case=%u end=%s runs=%llu codes=", i, v[i].end, (unsigned long long)runs);
		for (uint64_t r = 0; r < runs && r < MAX_RUNS; r++)
			fprintf(f, "%s0x%llx", r ? "," : "", (unsigned long long)v[i].words[1 + r]);
		fprintf(f, " info1=0x%llx info2=0x%llx intinfo=0x%llx%s%s\n", (unsigned long long)v[i].words[1 + MAX_RUNS],
			(unsigned long long)v[i].words[2 + MAX_RUNS], (unsigned long long)v[i].words[3 + MAX_RUNS],
			v[i].state[0] ? " " : "", v[i].state);
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/l1-efer.txt", outdir);
	if (!(f = fopen(path, "w")))
		die("%s", path);
	fprintf(f, "l1_efer 0x%llx\n", (unsigned long long)efer);
	fclose(f);
	printf("=== NS VERDICTS %u cases\n", ncases);
	return 0;
}

/* CFG_PENDING's signals: SIGALRM every us microseconds (0: none); no SA_RESTART, so KVM_RUN returns EINTR */
static void pending_timer(long us)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval t = { { 0, us }, { 0, us } };

	if (sigaction(SIGALRM, &sa, NULL) < 0 || setitimer(ITIMER_REAL, &t, NULL) < 0)
		die("the timer");
}

static uint32_t nested_flags(void)
{
	struct kvm_nested_state *ns = calloc(1, (size_t)nested_size);
	uint32_t flags;

	if (!ns)
		die("calloc");
	ns->size = (uint32_t)nested_size;
	if (ioctl(vcpu, KVM_GET_NESTED_STATE, ns) < 0)
		die("KVM_GET_NESTED_STATE");
	flags = ns->flags;
	free(ns);
	return flags;
}

int main(int argc, char **argv)
{
	int pending_tries = 0;  /* CFG_PENDING: interrupted runs so far, from PORT_BUILT on (0: not looking) */
	uint32_t config;
	int step = 0;
	char path[512];

	if (argc != 3 && !(argc == 4 && !strncmp(argv[3], "verdicts=", 9))) {
		fprintf(stderr, "usage: svmharness OUTDIR CONFIG [verdicts=CASES]\n");
		return 2;
	}
	outdir = argv[1];
	config = (uint32_t)strtoul(argv[2], NULL, 0);
	if ((argc == 4) != !!(config & CFG_VERDICTS)) {
		fprintf(stderr, "svmharness: verdicts=CASES goes with CONFIG's CFG_VERDICTS bit (%d)\n", CFG_VERDICTS);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/steps.txt", outdir);
	if (!(steps = fopen(path, "w")))
		die("%s", path);
	if ((kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0)
		die("/dev/kvm");
	if ((nested_size = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_NESTED_STATE)) <= 0)
		die("KVM_CAP_NESTED_STATE is %d", nested_size);
	if (argc == 4)
		return verdicts(config, argv[3] + 9);
	create_vm(config);
	record(step++, "start", 0, 0);
	for (int n = 0; n < 100; n++) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno != EINTR || !(config & CFG_PENDING))
				die("KVM_RUN");
			/* CFG_PENDING: a signal interrupted KVM_RUN (KVM_EXIT_INTR); in between VMRUN and L2? */
			n--;
			if (!pending_tries)
				continue;  /* a signal of the timer just stopped */
			if (nested_flags() & KVM_STATE_NESTED_RUN_PENDING || ++pending_tries > PENDING_MAX_TRIES) {
				int got = pending_tries <= PENDING_MAX_TRIES;
				uint32_t stop = 1;

				pending_timer(0);
				record(step++, got ? "run-pending" : "no-run-pending", 0, pending_tries);
				fprintf(stderr, "svmharness: %s after %d interrupted runs\n",
					got ? "KVM_STATE_NESTED_RUN_PENDING" : "no KVM_STATE_NESTED_RUN_PENDING", pending_tries);
				pending_tries = 0;
				memcpy(mem + PENDING_STOP_GPA, &stop, sizeof(stop));
			}
			continue;
		}
		if (run->exit_reason == KVM_EXIT_IO) {
			uint32_t v = 0;
			uint16_t port = run->io.port;

			memcpy(&v, (uint8_t *)run + run->io.data_offset, run->io.size < 4 ? run->io.size : 4);
			if (port == PORT_BUILT && (config & CFG_PENDING)) {
				pending_tries = 1;
				pending_timer(PENDING_TICK_US);
			}
			record(step++, port == PORT_BUILT ? "built" : port == PORT_EXIT ? "l1-after-vmexit"
				       : port == PORT_DONE ? "done" : port == PORT_FAIL ? "fail" : "l2", port, v);
			if (port == PORT_FAIL)
				return 3;
			if (port == PORT_L2 && (config & CFG_HOLD)) {
				printf("=== NS HOLD %d\n", (int)getpid());
				fflush(stdout);
				for (;;)
					pause();
			}
			continue;
		}
		if (run->exit_reason == KVM_EXIT_HLT) {
			record(step++, "hlt", 0, 0);
			return 0;
		}
		record(step++, "unexpected", run->exit_reason, 0);
		fprintf(stderr, "svmharness: exit reason %u\n", run->exit_reason);
		return 3;
	}
	fprintf(stderr, "svmharness: no end after 100 exits\n");
	return 4;
}
