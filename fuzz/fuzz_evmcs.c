/* Enlightened VMCS pages: the scanner's eVMCS validation, with the input's first page made revision 1. */
#include <stdlib.h>

#define FUZZ_SCAN_NO_ENTRY
#include "fuzz_scan.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (size < 4096 || !(copy = malloc(size)))
		return 0;
	memcpy(copy, data, size);
	copy[0] = 1; /* KVM_EVMCS_VERSION */
	copy[1] = copy[2] = copy[3] = 0;
	fuzz_scan_memory(copy, size);
	free(copy);
	return 0;
}
