/*
 * nsmagic: stops the whole machine at Bochs's magic breakpoint (xchg bx,bx,
 * magic_break in bochsrc.in), where run-bochs.sh's debugger commands write
 * all RAM to a file, then exits when Bochs continues.  An unprivileged no-op
 * on anything else.  /init's live mode runs it right after nestscope read
 * the live kernel, so that the dump is taken a moment later.
 * Built without libc: cc -static -nostdlib -O2 -o nsmagic magicbreak.c
 */
void _start(void);

__attribute__((noreturn)) void _start(void)
{
	__asm__ volatile("xchg %%bx, %%bx" ::: "memory");
	__asm__ volatile("syscall" ::"a"(60), "D"(0) : "rcx", "r11", "memory"); /* exit(0) */
	__builtin_unreachable();
}
