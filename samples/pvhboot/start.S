/*
 * Entry of the pvhboot loader.  Linux's real-mode setup code (kept from the
 * original bzImage) detected memory, switched to 32-bit protected mode with
 * flat segments and jumps here, to code32_start = 0x100000, with ESI
 * pointing at boot_params.
 */
	.code32
	.section .text.start, "ax"
	.globl _start
_start:
	cli
	/* .bss is not in the image SYSLINUX loaded: clear it (ESI holds boot_params) */
	cld
	mov	$__bss_start, %edi
	mov	$__bss_end, %ecx
	sub	%edi, %ecx
	xor	%eax, %eax
	rep stosb
	mov	$stack_top, %esp
	push	%esi
	call	loader_main
1:	hlt
	jmp	1b

/* pvh_enter(entry, start_info): the PVH boot ABI wants the start info in EBX,
 * 32-bit flat protected mode, paging off, CR4 clear, interrupts off. */
	.globl pvh_enter
pvh_enter:
	mov	4(%esp), %eax
	mov	8(%esp), %ebx
	xor	%ecx, %ecx
	mov	%ecx, %cr4
	jmp	*%eax

	.bss
	.balign 16
	.space 16384
stack_top:
	.section .note.GNU-stack, "", @progbits
