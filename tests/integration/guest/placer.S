/*
 * A guest kernel that places pages in its memory and waits: booted by QEMU
 * as a multiboot kernel, it copies its first module (the pages, given as
 * the initrd) to physical address 0x400000, says "PLACED" on the first
 * serial port and halts.  The capture test gives it real vmcs12 pages and
 * finds them again in a dump of the domain's memory.
 */
	.set MB_MAGIC, 0x1badb002
	.set MB_FLAGS, 0x1          /* modules page-aligned */
	.set DEST, 0x400000
	.set COM1, 0x3f8

	.section .text
	.code32
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.globl _start
_start:
	cli
	movl 20(%ebx), %ecx         /* mods_count */
	testl %ecx, %ecx
	jz say
	movl 24(%ebx), %eax         /* mods_addr: { mod_start, mod_end, string, reserved } */
	movl 0(%eax), %esi
	movl 4(%eax), %ecx
	subl %esi, %ecx
	movl $DEST, %edi
	cld
	rep movsb
say:
	movl $msg, %esi
1:	lodsb
	testb %al, %al
	jz halt
	movw $COM1, %dx
	outb %al, %dx
	jmp 1b
halt:
	hlt
	jmp halt

	.section .rodata
msg:	.asciz "PLACED\n"
