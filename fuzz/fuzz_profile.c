/* A profile (ISF JSON) from anywhere: read, then asked what the walker asks. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char names[NS_KSTRUCT_MAX][NS_KSTRUCT_NAME];
	size_t n = ns_kernel_structs(names, NS_KSTRUCT_MAX);
	struct ns_error err;
	struct ns_types t;

	ns_types_init(&t);
	if (ns_profile_parse((const char *)data, size, "fuzz", &t, &err) == NS_OK) {
		for (size_t k = 0; k < n && k < NS_KSTRUCT_MAX; k++) {
			const struct ns_tstruct *st = ns_types_find(&t, names[k]);

			ns_types_size(&t, names[k]);
			for (size_t i = 0; st && i < st->n; i++)
				ns_types_member_size(&t, names[k], st->m[i].name);
		}
		ns_types_symbol(&t, "modules");
	}
	ns_types_free(&t);
	return 0;
}
