/*
 * The L1 guest hypervisor the sample harness runs under KVM, and its L2.
 * Flat 64-bit code loaded at guest-physical 0x10000, entered in long mode.
 *
 * L1 talks to the harness (KVM userspace) through port I/O:
 *   0x11  exit reason it saw      0x15  that exit's qualification
 *   0x16  L2's RAX at that exit   0x12  milestone (see nsharness.c)
 *   0x13  VM-instruction error after a VMfail
 *   0x14  failure stage (0x100 + n: the n-th VMWRITE failed)
 *   0x17  verdict runs: the case about to run
 *   0x19, 0x1a  verdict runs: L1's IA32_EFER, bits 31:0 and 63:32
 * The mailbox at 0x9000 holds the VMXON, VMCS and shadow-VMCS addresses; the
 * table at 0x8000 holds {u64 encoding, u64 value} pairs ending with -1.
 *
 * L2 exits to L0 userspace with OUT 0x10 (L1 does not intercept that port),
 * and to L1 with VMCALL, CPUID, HLT (rich: HLT exiting) and OUT 0x18 (rich:
 * I/O bitmap).  Its last VMCALL carries RAX = 0xd0e: L1 then VMCLEARs its VMCS
 * and halts.
 */
	.intel_syntax noprefix
	.code64
	.text

	.set MAILBOX_VMXON, 0x9000
	.set MAILBOX_VMCS, 0x9008
	.set L2_RAX_SAVE, 0x9010
	.set MAILBOX_CASES, 0x9018	/* verdict runs: the case table (0: a normal run) */
	.set MAILBOX_NCASES, 0x9020
	.set MAILBOX_CUR, 0x9028
	.set CASE_STRIDE, 512		/* a case: u64 count, then {u64 encoding, u64 value} pairs */
	.set CASE_STORE_BIT, 63		/* set in a pair's first word: a GPA to store the value at */
	.set MSR_IA32_EFER, 0xc0000080
	.set VMWRITE_TABLE, 0x8000

	/* VMCS field encodings by name (GUEST_RIP ...): nestscope's catalog, each field an assembler symbol */
#define FIELD(enc, name, linux, sdm, width, type, dec) .set name, enc
#include "sdm/fields.def"
#undef FIELD

	.globl _start
_start:
	mov	eax, 0x10
	vmxon	qword ptr [MAILBOX_VMXON]
	jbe	fail
	mov	eax, 1
	out	0x12, eax
	mov	eax, 0x20
	vmclear	qword ptr [MAILBOX_VMCS]
	jbe	fail
	mov	eax, 2
	out	0x12, eax
	mov	eax, 0x30
	vmptrld	qword ptr [MAILBOX_VMCS]
	jbe	fail
	mov	eax, 3
	out	0x12, eax

	/* every VMWRITE of the table, in order */
	mov	rsi, VMWRITE_TABLE
	xor	ecx, ecx
1:	mov	rax, [rsi]
	cmp	rax, -1
	je	2f
	mov	rbx, [rsi + 8]
	vmwrite	rax, rbx
	lea	eax, [ecx + 0x100]
	jbe	fail
	add	rsi, 16
	inc	ecx
	jmp	1b
2:	mov	eax, 4
	out	0x12, eax
	cmp	qword ptr [MAILBOX_CASES], 0
	jne	run_cases

	vmlaunch
	/* only reached when VMLAUNCH fails */
	jmp	vmfail

	/*
	 * Verdict runs: for each case, a fresh VMCS with the VMWRITE table and
	 * the case's own VMWRITEs on top, and the case's stores into memory
	 * (the VM-entry MSR-load list), then VMLAUNCH.  A VMfail is reported on
	 * port 0x13, a VM exit (a failed entry included) by the exit handler;
	 * both come back to case_end.  First, L1's IA32_EFER as VMLAUNCH will
	 * find it (the host address-space rules depend on it).
	 */
run_cases:
	mov	ecx, MSR_IA32_EFER
	rdmsr
	out	0x19, eax
	mov	eax, edx
	out	0x1a, eax
	mov	qword ptr [MAILBOX_CUR], 0
next_case:
	mov	rax, [MAILBOX_CUR]
	cmp	rax, [MAILBOX_NCASES]
	jae	cases_done
	out	0x17, eax
	vmclear	qword ptr [MAILBOX_VMCS]
	vmptrld	qword ptr [MAILBOX_VMCS]
	mov	rsi, VMWRITE_TABLE
3:	mov	rax, [rsi]
	cmp	rax, -1
	je	4f
	mov	rbx, [rsi + 8]
	vmwrite	rax, rbx
	add	rsi, 16
	jmp	3b
4:	mov	rsi, [MAILBOX_CUR]
	imul	rsi, rsi, CASE_STRIDE
	add	rsi, [MAILBOX_CASES]
	mov	rcx, [rsi]
	add	rsi, 8
5:	test	rcx, rcx
	jz	6f
	mov	rax, [rsi]
	mov	rbx, [rsi + 8]
	btr	rax, CASE_STORE_BIT
	jc	7f
	vmwrite	rax, rbx
	jmp	8f
7:	mov	[rax], rbx		/* linear = guest-physical in L1's first 1 GiB */
8:	add	rsi, 16
	dec	rcx
	jmp	5b
6:	vmlaunch
	mov	rax, VM_INSTRUCTION_ERROR
	vmread	rbx, rax
	mov	eax, ebx
	out	0x13, eax
case_end:
	inc	qword ptr [MAILBOX_CUR]
	jmp	next_case
cases_done:
	mov	eax, 8
	out	0x12, eax
	hlt
	jmp	.

	.globl l1_exit_handler
l1_exit_handler:
	/* L2's general registers are still live: keep its RAX before using any */
	mov	[L2_RAX_SAVE], rax
	mov	rax, VM_EXIT_REASON
	vmread	rbx, rax
	mov	eax, ebx
	out	0x11, eax
	mov	r12d, ebx
	mov	rax, EXIT_QUALIFICATION
	vmread	rbx, rax
	mov	eax, ebx
	out	0x15, eax
	mov	rax, [L2_RAX_SAVE]
	out	0x16, eax
	cmp	qword ptr [MAILBOX_CASES], 0
	jne	case_end

	and	r12d, 0xffff
	cmp	r12d, 18		/* VMCALL */
	je	vmcall_exit
	cmp	r12d, 10		/* CPUID */
	je	skip_instruction
	cmp	r12d, 12		/* HLT */
	je	skip_instruction
	cmp	r12d, 30		/* I/O instruction */
	je	skip_instruction
	mov	eax, 0x200		/* an exit L1 does not expect */
	add	eax, r12d
	jmp	fail

vmcall_exit:
	cmp	qword ptr [L2_RAX_SAVE], 0xd0e
	je	finish

skip_instruction:
	mov	rax, GUEST_RIP
	vmread	rbx, rax
	mov	rax, VM_EXIT_INSTRUCTION_LEN
	vmread	rcx, rax
	add	rbx, rcx
	mov	rax, GUEST_RIP
	vmwrite	rax, rbx
	mov	eax, 5
	out	0x12, eax
	vmresume
	jmp	vmfail

finish:
	/* L2 is done: VMCLEAR writes vmcs12 back to this region in L1 memory */
	mov	eax, 6
	out	0x12, eax
	mov	eax, 0x40
	vmclear	qword ptr [MAILBOX_VMCS]
	jbe	fail
	mov	eax, 7
	out	0x12, eax
	hlt
	jmp	.

vmfail:
	mov	rax, VM_INSTRUCTION_ERROR
	vmread	rbx, rax
	mov	eax, ebx
	out	0x13, eax
	hlt
	jmp	.

fail:
	out	0x14, eax
	hlt
	jmp	.

	/* ---- L2 ---- */
	.globl l2_start
l2_start:
	mov	eax, 0x1234
	out	0x10, eax		/* to L0 userspace, in guest mode */
	vmcall				/* to L1 */
	cpuid				/* to L1 (CPUID always exits) */
	mov	eax, 0x5678
	out	0x10, eax		/* to L0 userspace again */
	mov	al, 0x5a
	out	0x18, al		/* rich: to L1 through its I/O bitmap; basic: to L0 */
	hlt				/* rich: to L1 (HLT exiting); basic: L0 */
	mov	eax, 0xd0e
	vmcall				/* to L1: "done" */
	jmp	.

	/* ---- an L1 that never enables VMX ---- */
	.globl l1_novmx
l1_novmx:
	mov	eax, 9
	out	0x12, eax
	hlt
	jmp	l1_novmx
