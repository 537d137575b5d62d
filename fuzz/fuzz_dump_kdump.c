/*
 * kdump-compressed dumps: dumpcheck.c's header checks, libkdumpfile's open
 * (VMCOREINFO, address translation, the page bitmaps) and its reads of
 * compressed pages, through ns_dump_open as the CLI opens a dump.  The
 * input keeps the kdump signature, so every execution is a kdump.
 */
#include "dumpfuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_dump_input(data, size, "KDUMP   ", 8);
}
