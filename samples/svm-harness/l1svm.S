/*
 * L1, a guest hypervisor for AMD SVM, and the L2 it runs: 64-bit code linked
 * flat at 0x10000, loaded by svmharness.c into L1's memory.  What L1 writes
 * into vmcb12 uses the AMD64 APM vol. 2 appendix B offsets directly (not
 * nestscope's tables), so the samples are an independent check of those.
 *
 * The configuration is the word at CONFIG (svmharness.c writes it):
 *   CFG_NPT   nested paging, with nCR3 at its own identity tables
 *   CFG_RICH  intercepts of an I/O port (IOPM), an MSR read (MSRPM), #UD and
 *             CR0 writes; an interrupt injected at the first VMRUN (EVENTINJ)
 *             that L2's IDT handles; a virtual interrupt left pending
 *             (int_ctl V_IRQ with V_INTR_MASKING, L2 runs with IF=0); a TSC
 *             offset, ASID 5 and a TLB flush
 *   CFG_PROT32  L2 in 32-bit protected mode (CS.D=1 from the GDT's 32-bit code
 *             descriptor, EFER.LME/LMA clear) with legacy 2-level paging (one
 *             4 MiB page, CR4.PSE) on its own page directory L1 builds; with
 *             CFG_NPT its page directory is reached through nCR3.  An IOIO
 *             intercept of PORT_L1_IO (IOPM)
 *   CFG_REAL  L2 in real mode (CR0.PE=0, no paging: KVM's nested checks,
 *             nested_vmcb_check_save, and the APM's VMRUN checks, 15.5.1, ask
 *             for PE only with EFER.LME and CR0.PG), CS = L1_LOAD >> 4 so that its base is the
 *             selector << 4 and L2's IP an offset in L1's image; the same
 *             IOIO intercept
 *   CFG_PENDING  the basic vmcb12, whose L2 loops on VMMCALL until the
 *             harness sets PENDING_STOP, L1 VMRUNs again at once (no
 *             PORT_EXIT for those exits): the harness sends the vCPU thread
 *             signals meanwhile, until one makes KVM_RUN return between
 *             KVM's emulation of VMRUN (nested_run_pending set) and the entry
 *             into L2 (where KVM clears it): the KVM_STATE_NESTED_RUN_PENDING
 *             blob
 *   CFG_HOLD  L2 stops at its first OUT to port 0x80 (the harness does not
 *             run the vCPU again): the moment an L0 dump is taken
 *   CFG_VERDICTS  the differential run (with CFG_RICH, the base vmcb12): at
 *             PORT_BUILT the harness moves L1 to `verdicts`; for each case
 *             of the table the harness put at CASES, from case
 *             CASE_CUR on, L1 copies the base vmcb12 back, applies the
 *             case's writes, VMRUNs, and keeps each #VMEXIT's EXITCODE in the
 *             case's RESULTS slot; L2 (l2_verdict) exits at once with
 *             VMMCALL, then HLT.  A case ends at VMEXIT_INVALID, VMMCALL,
 *             HLT, or after MAX_RUNS VMRUNs (a mutated intercept set may
 *             bring other exits: L1 VMRUNs again without skipping anything)
 *
 * L1 tells the harness where it is with OUTs L1 does not intercept for itself
 * (they exit to L0's userspace): PORT_BUILT after writing vmcb12, PORT_EXIT
 * with the exit code after each #VMEXIT while GIF is still clear, PORT_DONE
 * at the end, PORT_FAIL with the exit code of an exit it does not expect.
 * L2 does OUTs to PORT_L2 that neither L1 intercepts: the moments in L2.
 */
	.set CONFIG,   0x9000
	.set CFG_NPT,  1
	.set CFG_RICH, 2
	.set CFG_HOLD, 4
	.set CFG_VERDICTS, 8
	.set CFG_PROT32, 16
	.set CFG_REAL, 32
	.set CFG_PENDING, 64
	.set PENDING_STOP, 0x9020	/* u32: CFG_PENDING's L2 stops looping when the harness sets it */

	/* the differential run's words beside CONFIG (svmharness.c has the same) */
	.set NCASES,    0x9008		/* u32: cases in the table */
	.set CASE_CUR,  0x900c		/* u32: the case L1 is at (the harness sets the first) */
	.set CASE_RUNS, 0x9010		/* u32: VMRUNs of the current case so far */
	.set L1_EFER,   0x9018		/* u64: L1's EFER (RDMSR), for the predictions */
	.set VMCB12_BASE, 0x32000	/* the base vmcb12, copied back before every case */
	.set CASES,     0x100000	/* CASE_SIZE bytes a case: u64 count, then {u32 offset, u32 size, u64 value} */
	.set CASE_SIZE_SHIFT, 8
	.set CASE_WRITE, 16
	.set RESULTS,   0x200000	/* RESULT_SIZE bytes a case: u64 runs, MAX_RUNS exit codes, */
	.set RESULT_SIZE_SHIFT, 6	/* the first exit's EXITINFO1, EXITINFO2, EXITINTINFO */
	.set MAX_RUNS,  4
	.set R_CODES,   8
	.set R_INFO1,   8 + 8 * MAX_RUNS
	.set R_INFO2,   R_INFO1 + 8
	.set R_INTINFO, R_INFO2 + 8
	.set VMCB_QWORDS, 4096 / 8

	.set PML4,     0x1000		/* L1's and L2's page tables: identity, 2 MiB pages, U=1 */
	.set GDT,      0x4000
	.set NCR3,     0x6000		/* the nested page tables of CFG_NPT: identity too */
	.set L2_IDT,   0xa000
	.set L2_PD32,  0xb000		/* CFG_PROT32: L2's legacy page directory (one 4 MiB page) */
	.set L1_LOAD,  0x10000		/* where the harness loads this image (build.sh links it there) */
	.set L2_REAL_SS, 0x7000		/* CFG_REAL: SS, base 70000h; SP 0FFF0h is the stack's top at 7FFF0h */
	.set L2_REAL_SP, 0xfff0
	.set SEL_CODE32, 0x20		/* the harness's GDT: 32-bit code (D=1) at index 4 */
	.set VMCB12,   0x30000
	.set HSAVE,    0x31000
	.set IOPM,     0x40000		/* 12 KiB */
	.set MSRPM,    0x50000		/* 8 KiB */
	.set L2_STACK, 0x80000

	.set PORT_BUILT, 0x10
	.set PORT_EXIT,  0x11
	.set PORT_DONE,  0x12
	.set PORT_FAIL,  0x13
	.set PORT_L2,    0x80		/* L2's moments, not intercepted by L1 */
	.set PORT_L2_EVENT, 0x82	/* L2's handler of the injected interrupt */
	.set PORT_L1_IO, 0x81		/* intercepted by L1 through the IOPM (CFG_RICH) */
	.set MSR_L1,     0xc0000102	/* MSR_KERNEL_GS_BASE: reads intercepted through the MSRPM (CFG_RICH) */
	.set INJECT_VECTOR, 0x30
	.set VIRQ_VECTOR,   0x31

	/* control registers (APM vol. 2, 3.1) */
	.set CR0_PE, 1 << 0
	.set CR0_ET, 1 << 4
	.set CR0_NE, 1 << 5
	.set CR0_PG, 1 << 31
	.set CR4_PSE, 1 << 4
	/* a legacy PDE mapping 4 MiB (PS): present, writable, user, PS */
	.set PDE_4M, 0x87
	/* segment attributes (VMCB: descriptor bits 47:40 in 7:0, 55:52 in 11:8): type 3:0 (3 read/write
	 * accessed data, 0xb execute/read accessed code), S 4, P 7, L 9, D/B 10, G 11 */
	.set ATTR_CODE32, 0xc9b
	.set ATTR_REAL_CODE, 0x09b
	.set ATTR_REAL_DATA, 0x093

	/* MSRs (APM vol. 2, 15.30) */
	.set MSR_EFER,        0xc0000080
	.set EFER_SVME,       0x1000	/* KVM requires it in vmcb12's EFER too (nested_vmcb_check_save) */
	.set MSR_VM_HSAVE_PA, 0xc0010117

	/* vmcb12's control area (APM table B-1) */
	.set C_INTERCEPT_CR,   0x000
	.set C_INTERCEPT_EXC,  0x008
	.set C_INTERCEPT_W3,   0x00c
	.set C_INTERCEPT_W4,   0x010
	.set C_PAUSE_COUNT,    0x03e
	.set C_IOPM_BASE,      0x040
	.set C_MSRPM_BASE,     0x048
	.set C_TSC_OFFSET,     0x050
	.set C_ASID,           0x058
	.set C_TLB_CONTROL,    0x05c
	.set C_INT_CTL,        0x060
	.set C_INT_VECTOR,     0x064
	.set C_EXITCODE,       0x070
	.set C_EXITINFO1,      0x078
	.set C_EXITINFO2,      0x080
	.set C_EXITINTINFO,    0x088
	.set C_NP_ENABLE,      0x090
	.set C_EVENTINJ,       0x0a8
	.set C_N_CR3,          0x0b0
	/* intercept bits: CR0 write is bit 16 of word 0; #UD bit 6 of the exception word */
	.set I_CR0_WRITE,      1 << 16
	.set I_EXC_UD,         1 << 6
	/* word 3: HLT 24, IOIO_PROT 27, MSR_PROT 28, SHUTDOWN 31; word 4: VMRUN 0 (required), VMMCALL 1 */
	.set I_HLT,            1 << 24
	.set I_IOIO_PROT,      1 << 27
	.set I_MSR_PROT,       1 << 28
	.set I_SHUTDOWN,       1 << 31
	.set I_VMRUN,          1 << 0
	.set I_VMMCALL,        1 << 1
	/* int_ctl: V_TPR 3:0, V_IRQ 8, V_INTR_PRIO 19:16, V_INTR_MASKING 24 */
	.set INT_CTL_RICH,     (1 << 8) | (0xf << 16) | (1 << 24)
	/* EVENTINJ: vector 7:0, type 10:8 (0: external interrupt), valid 31 */
	.set EVENTINJ_RICH,    INJECT_VECTOR | (1 << 31)
	/* exit codes (APM appendix C) */
	.set VMEXIT_EXCP_UD,   0x046
	.set VMEXIT_CR0_WRITE, 0x010
	.set VMEXIT_HLT,       0x078
	.set VMEXIT_IOIO,      0x07b
	.set VMEXIT_MSR,       0x07c
	.set VMEXIT_VMMCALL,   0x081

	/* vmcb12's state save area (APM table B-2: 400h + offset) */
	.set S_ES,     0x400
	.set S_CS,     0x410
	.set S_SS,     0x420
	.set S_DS,     0x430
	.set S_FS,     0x440
	.set S_GS,     0x450
	.set S_GDTR,   0x460
	.set S_IDTR,   0x480
	.set S_TR,     0x490
	.set S_EFER,   0x4d0
	.set S_CR4,    0x548
	.set S_CR3,    0x550
	.set S_CR0,    0x558
	.set S_DR7,    0x560
	.set S_DR6,    0x568
	.set S_RFLAGS, 0x570
	.set S_RIP,    0x578
	.set S_RSP,    0x5d8
	.set S_RAX,    0x5f8
	.set S_G_PAT,  0x668
	/* a segment: selector +0, attributes +2, limit +4, base +8 */

	.code64
	.globl _start
_start:
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_SVME, %eax
	wrmsr
	mov $MSR_VM_HSAVE_PA, %ecx
	mov $HSAVE, %eax
	xor %edx, %edx
	wrmsr

	mov $VMCB12, %rdi			/* vmcb12, the permission maps: zero */
	xor %eax, %eax
	mov $512, %ecx
	rep stosq
	mov $IOPM, %rdi
	mov $(3 * 4096 / 8), %ecx
	rep stosq
	mov $MSRPM, %rdi
	mov $(2 * 4096 / 8), %ecx
	rep stosq
	mov $VMCB12, %rbx

	/* ---- control area ---- */
	movl $I_HLT | I_SHUTDOWN, C_INTERCEPT_W3(%rbx)
	movl $I_VMRUN | I_VMMCALL, C_INTERCEPT_W4(%rbx)
	movq $IOPM, C_IOPM_BASE(%rbx)
	movq $MSRPM, C_MSRPM_BASE(%rbx)
	movl $1, C_ASID(%rbx)
	testl $CFG_NPT, CONFIG
	jz 1f
	movq $1, C_NP_ENABLE(%rbx)
	movq $NCR3, C_N_CR3(%rbx)
1:	testl $CFG_RICH, CONFIG
	jz 2f
	orl $I_IOIO_PROT | I_MSR_PROT, C_INTERCEPT_W3(%rbx)
	movl $I_CR0_WRITE, C_INTERCEPT_CR(%rbx)
	movl $I_EXC_UD, C_INTERCEPT_EXC(%rbx)
	/* IOPM: one bit per port; MSRPM: MSRs C000_0000h-C000_1FFFh from byte 800h, two bits each (read, write) */
	orb $(1 << (PORT_L1_IO & 7)), IOPM + (PORT_L1_IO >> 3)
	orb $(1 << (((MSR_L1 & 0x1fff) * 2) & 7)), MSRPM + 0x800 + (((MSR_L1 & 0x1fff) * 2) >> 3)
	movq $0x1000000, C_TSC_OFFSET(%rbx)
	movl $5, C_ASID(%rbx)
	movb $1, C_TLB_CONTROL(%rbx)
	movw $3000, C_PAUSE_COUNT(%rbx)
	movl $INT_CTL_RICH, C_INT_CTL(%rbx)
	movl $VIRQ_VECTOR, C_INT_VECTOR(%rbx)
	movl $EVENTINJ_RICH, C_EVENTINJ(%rbx)
2:	testl $CFG_PROT32 | CFG_REAL, CONFIG
	jz 3f
	orl $I_IOIO_PROT, C_INTERCEPT_W3(%rbx)
	orb $(1 << (PORT_L1_IO & 7)), IOPM + (PORT_L1_IO >> 3)
3:
	/* ---- state save area: L2 starts in 64-bit mode on L1's page tables ---- */
	mov $0x10, %ax
	lea S_ES(%rbx), %rsi
	call data_segment
	lea S_SS(%rbx), %rsi
	call data_segment
	lea S_DS(%rbx), %rsi
	call data_segment
	lea S_FS(%rbx), %rsi
	call data_segment
	lea S_GS(%rbx), %rsi
	call data_segment
	movw $0x08, S_CS(%rbx)
	movw $0xa9b, S_CS + 2(%rbx)		/* present, code, read, accessed, L, G */
	movl $0xffffffff, S_CS + 4(%rbx)
	movl $0x27, S_GDTR + 4(%rbx)
	movq $GDT, S_GDTR + 8(%rbx)
	movl $0xfff, S_IDTR + 4(%rbx)
	movq $L2_IDT, S_IDTR + 8(%rbx)
	movw $0x18, S_TR(%rbx)
	movw $0x8b, S_TR + 2(%rbx)		/* busy 64-bit TSS */
	movl $0x67, S_TR + 4(%rbx)
	movq $0x5000, S_TR + 8(%rbx)
	mov $MSR_EFER, %ecx
	rdmsr
	shl $32, %rdx
	or %rdx, %rax
	mov %rax, S_EFER(%rbx)
	mov %cr4, %rax
	mov %rax, S_CR4(%rbx)
	mov %cr3, %rax
	mov %rax, S_CR3(%rbx)
	mov %cr0, %rax
	mov %rax, S_CR0(%rbx)
	movq $0x400, S_DR7(%rbx)
	movl $0xffff0ff0, S_DR6(%rbx)		/* DR6: the upper half stays 0 */
	movq $0x2, S_RFLAGS(%rbx)		/* IF clear: a pending V_IRQ stays pending */
	movq $l2_start, S_RIP(%rbx)
	movq $L2_STACK, S_RSP(%rbx)
	movq $0x1234, S_RAX(%rbx)
	mov $0x0007040600070406, %rax
	mov %rax, S_G_PAT(%rbx)
	/* L2's IDT: the injected vector's gate */
	mov $l2_event, %rax
	mov $L2_IDT + INJECT_VECTOR * 16, %rdi
	mov %ax, (%rdi)
	movw $0x08, 2(%rdi)
	movw $0x8e00, 4(%rdi)			/* present, DPL 0, 64-bit interrupt gate */
	shr $16, %rax
	mov %ax, 6(%rdi)
	shr $16, %rax
	mov %eax, 8(%rdi)
	movl $0, 12(%rdi)
	testl $CFG_PROT32, CONFIG
	jnz prot32_state
	testl $CFG_REAL, CONFIG
	jnz real_state
	testl $CFG_PENDING, CONFIG
	jz built
	movq $l2_pending, S_RIP(%rbx)
built:
	mov $PORT_BUILT, %al
	out %al, $PORT_BUILT			/* vmcb12 is built, VMRUN comes next */

vmrun_loop:
	clgi
	mov %rbx, %rax
	vmrun
	/* #VMEXIT: only RAX and RSP are L1's again; GIF is clear */
	mov $VMCB12, %rbx
	mov C_EXITCODE(%rbx), %eax
	testl $CFG_PENDING, CONFIG		/* CFG_PENDING's VMMCALLs: straight back to VMRUN */
	jz 1f
	cmp $VMEXIT_VMMCALL, %eax
	je 2f
1:	out %eax, $PORT_EXIT
2:	stgi
	movl $0, C_EVENTINJ(%rbx)		/* the injection was for the first VMRUN */
	mov C_EXITCODE(%rbx), %eax
	/* TCG has no NRIP save: L1 knows its L2's instruction lengths */
	mov $3, %ecx
	cmp $VMEXIT_VMMCALL, %eax
	je skip
	mov $2, %ecx
	cmp $VMEXIT_IOIO, %eax			/* OUT imm8, AL */
	je skip
	cmp $VMEXIT_MSR, %eax			/* RDMSR */
	je skip
	cmp $VMEXIT_EXCP_UD, %eax		/* UD2 */
	je skip
	mov $3, %ecx
	cmp $VMEXIT_CR0_WRITE, %eax		/* MOV CR0, RAX */
	je skip
	cmp $VMEXIT_HLT, %eax
	je done
	out %eax, $PORT_FAIL
	jmp stop
skip:
	add %rcx, S_RIP(%rbx)
	jmp vmrun_loop
done:
	out %eax, $PORT_DONE
stop:
	hlt
	jmp stop

/* CFG_PROT32: the 64-bit state above made 32-bit protected mode with legacy paging */
prot32_state:
	movw $SEL_CODE32, S_CS(%rbx)
	movw $ATTR_CODE32, S_CS + 2(%rbx)	/* D=1, L=0 */
	movq $EFER_SVME, S_EFER(%rbx)		/* LME and LMA clear */
	movq $CR4_PSE, S_CR4(%rbx)
	movq $L2_PD32, S_CR3(%rbx)
	mov $CR0_PG | CR0_NE | CR0_ET | CR0_PE, %eax	/* bit 31: not a sign-extended immediate */
	mov %rax, S_CR0(%rbx)
	movq $l2_prot32, S_RIP(%rbx)
	mov $L2_PD32, %rdi			/* L2's page directory: the first 4 MiB, identity */
	xor %eax, %eax
	mov $512, %ecx
	rep stosq
	movl $PDE_4M, L2_PD32
	jmp built

/* CFG_REAL: real mode, no paging; the segments' bases are their selectors << 4 */
real_state:
	lea S_ES(%rbx), %rsi
	mov $6, %ecx				/* ES, CS, SS, DS, FS, GS: 16 bytes apart */
1:	movw $0, 0(%rsi)
	movw $ATTR_REAL_DATA, 2(%rsi)
	movl $0xffff, 4(%rsi)
	movq $0, 8(%rsi)
	add $16, %rsi
	loop 1b
	movw $L1_LOAD >> 4, S_CS(%rbx)
	movw $ATTR_REAL_CODE, S_CS + 2(%rbx)
	movq $L1_LOAD, S_CS + 8(%rbx)
	movw $L2_REAL_SS, S_SS(%rbx)
	movq $L2_REAL_SS << 4, S_SS + 8(%rbx)
	movl $0x3ff, S_IDTR + 4(%rbx)		/* the real-mode IVT at 0 */
	movq $0, S_IDTR + 8(%rbx)
	movq $EFER_SVME, S_EFER(%rbx)
	movq $0, S_CR4(%rbx)
	movq $0, S_CR3(%rbx)
	movq $CR0_NE | CR0_ET, S_CR0(%rbx)	/* PE and PG clear */
	movq $l2_real - L1_LOAD, S_RIP(%rbx)
	movq $L2_REAL_SP, S_RSP(%rbx)
	jmp built

data_segment: /* rsi: the segment; selector ax, writable data, 4 GiB, base 0 */
	movw %ax, 0(%rsi)
	movw $0xc93, 2(%rsi)
	movl $0xffffffff, 4(%rsi)
	movq $0, 8(%rsi)
	ret

	.balign 16
	.globl l2_start
l2_start:
	mov $0x42, %al
	out %al, $PORT_L2			/* the moment in L2 (exits to L0's userspace, guest mode) */
	testl $CFG_RICH, CONFIG
	jz 1f
	out %al, $PORT_L1_IO			/* #VMEXIT IOIO to L1 */
	mov $MSR_L1, %ecx
	rdmsr					/* #VMEXIT MSR to L1 */
	mov %cr0, %rax
	mov %rax, %cr0				/* #VMEXIT CR0 write to L1 */
	ud2					/* #VMEXIT exception #UD to L1 */
1:	cpuid					/* not intercepted by L1: L0 handles it in L2 */
	vmmcall					/* #VMEXIT VMMCALL to L1 */
	hlt					/* #VMEXIT HLT to L1: the end */
	ud2

	.balign 16
l2_pending: /* CFG_PENDING: VMMCALL to L1 until the harness says stop */
	vmmcall
	cmpl $0, PENDING_STOP
	je l2_pending
	hlt					/* #VMEXIT HLT to L1: the end */
	ud2

	.code32
	.balign 16
l2_prot32: /* CFG_PROT32: the same moments as 32-bit code */
	mov $0x42, %al
	out %al, $PORT_L2			/* in L2 (exits to L0's userspace) */
	out %al, $PORT_L1_IO			/* #VMEXIT IOIO to L1 */
	cpuid					/* L0 handles it in L2 */
	vmmcall					/* #VMEXIT VMMCALL to L1 */
	hlt					/* #VMEXIT HLT to L1: the end */
	ud2

	.code16
	.balign 16
l2_real: /* CFG_REAL: the same as 16-bit code, at IP = its address - L1_LOAD in CS = L1_LOAD >> 4 */
	mov $0x42, %al
	out %al, $PORT_L2
	out %al, $PORT_L1_IO
	cpuid
	vmmcall
	hlt
	ud2
	.code64

	.balign 16
l2_event: /* the interrupt L1 injected: L2 says so and returns */
	push %rax
	mov $INJECT_VECTOR, %al
	out %al, $PORT_L2_EVENT
	pop %rax
	iretq

/*
 * The differential run.  The harness moves L1 here at PORT_BUILT (so that
 * the code above, and the samples made with it, stay as they were).
 * #VMEXIT gives L1 back only RAX, RSP and RIP (the other registers hold
 * what L2 left), so the loop's state lives in memory.
 */
	.globl verdicts
verdicts:
	mov $VMCB12, %rbx
	mov $MSR_EFER, %ecx
	rdmsr
	mov %eax, L1_EFER
	mov %edx, L1_EFER + 4
	movq $l2_verdict, S_RIP(%rbx)
	mov $VMCB12, %rsi
	mov $VMCB12_BASE, %rdi
	mov $VMCB_QWORDS, %ecx
	rep movsq
case_loop:
	mov CASE_CUR, %eax
	cmp NCASES, %eax
	jae cases_done
	mov $VMCB12_BASE, %rsi			/* the base vmcb12 back: no earlier case's writes or exit */
	mov $VMCB12, %rdi
	mov $VMCB_QWORDS, %ecx
	rep movsq
	mov CASE_CUR, %eax
	shl $CASE_SIZE_SHIFT, %rax
	lea CASES(%rax), %rsi
	mov (%rsi), %rcx			/* the case's writes */
	add $8, %rsi
write:
	test %rcx, %rcx
	jz written
	mov (%rsi), %edi
	add $VMCB12, %rdi
	mov 4(%rsi), %edx
	mov 8(%rsi), %rax
	cmp $1, %edx
	jne 1f
	mov %al, (%rdi)
	jmp 4f
1:	cmp $2, %edx
	jne 2f
	mov %ax, (%rdi)
	jmp 4f
2:	cmp $4, %edx
	jne 3f
	mov %eax, (%rdi)
	jmp 4f
3:	mov %rax, (%rdi)
4:	add $CASE_WRITE, %rsi
	dec %rcx
	jmp write
written:
	movl $0, CASE_RUNS
case_vmrun:
	clgi
	mov $VMCB12, %rax
	vmrun
	mov $VMCB12, %rbx
	mov CASE_CUR, %eax
	shl $RESULT_SIZE_SHIFT, %rax
	lea RESULTS(%rax), %rdi
	mov CASE_RUNS, %ecx
	mov C_EXITCODE(%rbx), %rax
	mov %rax, R_CODES(%rdi,%rcx,8)
	test %ecx, %ecx
	jnz 1f
	mov C_EXITINFO1(%rbx), %rdx
	mov %rdx, R_INFO1(%rdi)
	mov C_EXITINFO2(%rbx), %rdx
	mov %rdx, R_INFO2(%rdi)
	mov C_EXITINTINFO(%rbx), %rdx
	mov %rdx, R_INTINFO(%rdi)
1:	inc %ecx
	mov %ecx, CASE_RUNS
	mov %rcx, (%rdi)
	stgi
	movl $0, C_EVENTINJ(%rbx)		/* the injection was for the case's first VMRUN */
	/* VMEXIT_INVALID is all ones; the emulated CPU's has only the low half (docs/check-deviations.md) */
	cmp $0xffffffff, %eax
	je next_case
	cmp $VMEXIT_VMMCALL, %rax
	je next_case
	cmp $VMEXIT_HLT, %rax
	je next_case
	cmp $MAX_RUNS, %ecx
	jb case_vmrun
next_case:
	incl CASE_CUR
	jmp case_loop
cases_done:
	out %al, $PORT_DONE
	jmp stop

	.balign 16
l2_verdict: /* the differential run's L2: out to L1 at once */
	vmmcall
	hlt
	ud2
