/* A profile (ISF JSON) from anywhere: read, then asked what the walker asks. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ns_error err;
	struct ns_types t;

	ns_types_init(&t);
	if (ns_profile_parse((const char *)data, size, "fuzz", &t, &err) == NS_OK) {
		for (const char *const *s = ns_walker_structs; *s; s++) {
			const struct ns_tstruct *st = ns_types_find(&t, *s);

			ns_types_size(&t, *s);
			for (size_t i = 0; st && i < st->n; i++)
				ns_types_member_size(&t, *s, st->m[i].name);
		}
		ns_types_symbol(&t, "modules");
	}
	ns_types_free(&t);
	return 0;
}
