/*
 * ELF cores (QEMU's, makedumpfile's, /proc/kcore's kind): dumpcheck.c's
 * header and program header checks, libkdumpfile's open (notes, VMCOREINFO,
 * PT_LOAD segments) and its reads, through ns_dump_open as the CLI opens a
 * dump.  The input keeps the ELF magic, so every execution is an ELF file.
 */
#include "dumpfuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_dump_input(data, size, "\177ELF", 4);
}
