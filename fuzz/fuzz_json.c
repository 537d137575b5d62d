/* The JSON reader profiles and migration-stream descriptions go through. */
#include "formats/jsonparse.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ns_error err;
	struct jp_doc d;
	uint64_t v;

	if (jp_parse((const char *)data, size, &d, &err) == NS_OK)
		for (uint32_t i = 0; i < d.nnodes; i++) {
			jp_str(&d, i);
			jp_key(&d, i);
			jp_uint(&d, i, &v);
			jp_get(&d, i, "name");
		}
	jp_free(&d);
	return 0;
}
