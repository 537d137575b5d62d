/*
 * Profiles (ISF JSON).  A profile written and read back answers the walker's
 * questions the same; the bundled 6.1 profile gives the sizes and offsets an
 * independent reader printed for the same kernel's kvm-intel.ko (the
 * project's toolchain study: a libdwarf probe whose vmcs12 offsets matched
 * pahole's: vcpu_vmx 9088 bytes with nested at 7952, nested_vmx 720 with
 * cached_vmcs12 at 32); kernel addresses keep all 64 bits; hostile profiles
 * are refused with a message, never a crash.  The JSON is read by json-c:
 * its own descriptions of an error (json_tokener_error_desc) are the
 * expected messages.
 */
#include <json-c/json.h>

#include "nestscope/types.h"
#include "testutil.h"

#define ISF_WITH_SYMBOL(addr) \
	"{\"metadata\": {}, \"base_types\": {}, \"user_types\": {}, \"symbols\": {\"s\": {\"address\": " addr "}}}"

static void written_profiles_read_back(void **state)
{
	struct ns_types t, r;
	struct ns_tstruct *s;
	struct ns_tref *ul, *arr, *ptr, *bf;
	struct ns_error err;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	ns_types_init(&t);
	assert_true(ns_types_base_add(&t, "long unsigned int", 8, false, "int"));
	assert_true(ns_types_base_add(&t, "unsigned char", 1, false, "char"));
	ul = ns_types_ref(&t, NS_TK_BASE, "long unsigned int", NULL);
	arr = ns_types_ref(&t, NS_TK_ARRAY, NULL, ul);
	arr->count = 64;
	ptr = ns_types_ref(&t, NS_TK_POINTER, NULL, ns_types_ref(&t, NS_TK_STRUCT, "kvm", NULL));
	bf = ns_types_ref(&t, NS_TK_BITFIELD, NULL, ns_types_ref(&t, NS_TK_BASE, "unsigned char", NULL));
	bf->bit_pos = 3;
	bf->bit_len = 2;
	s = ns_types_struct_get(&t, "xa_node", NS_TK_STRUCT);
	s->size = 576;
	s->complete = true;
	assert_true(ns_types_member_add(&t, s, "shift", 0, 1, ns_types_ref(&t, NS_TK_BASE, "unsigned char", NULL)));
	assert_true(ns_types_member_add(&t, s, "flags", 1, 1, bf));
	assert_true(ns_types_member_add(&t, s, "array", 16, 8, ptr));
	assert_true(ns_types_member_add(&t, s, "slots", 40, 512, arr));
	s = ns_types_struct_get(&t, "kvm", NS_TK_STRUCT);
	s->size = 40504;
	s->complete = true;
	assert_true(ns_types_symbol_add(&t, "modules", 0xffffffff82b292a0ull));
	ns_types_set_banner(&t, "Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) #1 SMP\n");
	assert_int_equal(ns_profile_write(&t, f, &err), NS_OK);
	fclose(f);

	ns_types_init(&r);
	assert_int_equal(ns_profile_parse(buf, len, "mem", &r, &err), NS_OK);
	assert_string_equal(r.release, "6.1.0-56-amd64");
	assert_int_equal(ns_types_member_offset(&r, "xa_node", "slots"), 40);
	assert_int_equal(ns_types_member_size(&r, "xa_node", "slots"), 512);  /* 64 x 8, from the types */
	assert_int_equal(ns_types_member_size(&r, "xa_node", "array"), 8);
	assert_int_equal(ns_types_member_size(&r, "xa_node", "flags"), 1);
	assert_int_equal(ns_types_member_offset(&r, "xa_node", "nope"), -1);
	assert_int_equal(ns_types_size(&r, "kvm"), 40504);
	assert_true(ns_types_symbol(&r, "modules") == 0xffffffff82b292a0ull);
	free(buf);
	ns_types_free(&t);
	ns_types_free(&r);
}

static void bundled_profile_has_pahole_offsets(void **state)
{
	struct ns_types t;
	struct ns_error err;

	(void)state;
	ns_types_init(&t);
	assert_int_equal(ns_profile_read(test_path("profiles/6.1.0-56-amd64.json"), &t, &err), NS_OK);
	assert_int_equal(ns_types_size(&t, "vcpu_vmx"), 9088);
	assert_int_equal(ns_types_member_offset(&t, "vcpu_vmx", "nested"), 7952);
	assert_int_equal(ns_types_size(&t, "nested_vmx"), 720);
	assert_int_equal(ns_types_member_offset(&t, "nested_vmx", "cached_vmcs12"), 32);
	/* linux_banner at a kernel address past 2^63: exact, as JSON numbers go through 64-bit integers */
	assert_true(ns_types_symbol(&t, "linux_banner") >> 63);
	assert_string_equal(t.release, "6.1.0-56-amd64");
	ns_types_free(&t);
}

static void hostile_profiles_are_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"{",
		"[1,]",
		"{\"a\" 1}",
		"\"\\ud800\"",
		"{\"metadata\": {}, \"base_types\": {}, \"user_types\": {}, \"symbols\": {\"x\": {}}}",
		"{\"metadata\": {}, \"base_types\": {}, \"user_types\": {\"s\": {\"size\": 8, \"fields\": "
		"{\"f\": {\"offset\": 9, \"type\": {\"kind\": \"base\", \"name\": \"int\"}}}}}, \"symbols\": {}}",
		"{\"metadata\": {}, \"base_types\": {}, \"user_types\": {\"s\": {\"size\": 8, \"fields\": "
		"{\"f\": {\"offset\": 0, \"type\": {\"kind\": \"warp\"}}}}}, \"symbols\": {}}",
		"{\"metadata\": {}, \"base_types\": {}, \"user_types\": {\"s\": {\"size\": 99999999999, \"fields\": {}}}, "
		"\"symbols\": {}}",
		"{\"metadata\": {}, \"base_types\": {\"int\": {\"kind\": \"int\", \"size\": -4}}, \"user_types\": {}, "
		"\"symbols\": {}}",
		"{\"metadata\": {}, \"base_types\": {}, \"user_types\": {}, \"symbols\": {}} trailing",
		/* a NUL byte ends json-c's parse early: the bytes after it are still text after the value */
		"{\"metadata\": {}, \"base_types\": {}, \"user_types\": {}, \"symbols\": {}}\0{",
		/* an address must be an integer from 0 to 2^64-1: not negative (json-c would read -1 as 0 as a
		   uint64), not a fraction, not past 64 bits (json-c saturates 2^64 to 2^64-1, so that is refused too) */
		ISF_WITH_SYMBOL("-1"),
		ISF_WITH_SYMBOL("1.5"),
		ISF_WITH_SYMBOL("1e3"),
		ISF_WITH_SYMBOL("18446744073709551616"),
		ISF_WITH_SYMBOL("18446744073709551615"),
		ISF_WITH_SYMBOL("\"0xffffffff81000000\""),
		/* RFC 8259, which json-c's strict mode holds to: no leading zero, comment or single quote */
		ISF_WITH_SYMBOL("01"),
		ISF_WITH_SYMBOL("1 /* c */"),
		"{'metadata': {}}",
	};
	static const struct { const char *addr; uint64_t want; } good[] = {
		/* past 2^63 (json-c keeps it a uint64), the largest that is not refused, and 0 */
		{ "18446744071562067968", 0xffffffff80000000ull },
		{ "18446744073709551614", 0xfffffffffffffffeull },
		{ "0", 0 },
	};
	char text[256];
	char deep[4000];
	struct ns_types t;
	struct ns_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* the case with the NUL goes on past it, to its end */
		size_t len = strlen(bad[i]) + (strstr(bad[i], "}}\0") ? 2 : 0);

		ns_types_init(&t);
		err.msg[0] = '\0';
		assert_int_not_equal(ns_profile_parse(bad[i], len, "bad", &t, &err), NS_OK);
		assert_true(err.msg[0] != '\0');
		ns_types_free(&t);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), ISF_WITH_SYMBOL("%s"), good[i].addr);
		ns_types_init(&t);
		assert_int_equal(ns_profile_parse(text, strlen(text), "good", &t, &err), NS_OK);
		assert_true(ns_types_symbol(&t, "s") == good[i].want);
		ns_types_free(&t);
	}
	/* one message: the profile, json-c's reason, the byte it stopped at */
	memset(deep, '[', sizeof(deep));
	ns_types_init(&t);
	assert_int_not_equal(ns_profile_parse(deep, sizeof(deep), "deep", &t, &err), NS_OK);
	assert_non_null(strstr(err.msg, "profile deep: JSON: "));
	assert_non_null(strstr(err.msg, json_tokener_error_desc(json_tokener_error_depth)));
	ns_types_free(&t);
	ns_types_init(&t);
	/* byte 5 of {"a" 1} is the 1 where the ':' should be */
	assert_int_not_equal(ns_profile_parse("{\"a\" 1}", 8, "colon", &t, &err), NS_OK);
	snprintf(text, sizeof(text), "profile colon: JSON: %s at byte 5",
		 json_tokener_error_desc(json_tokener_error_parse_object_key_sep));
	assert_string_equal(err.msg, text);
	ns_types_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(written_profiles_read_back),
		cmocka_unit_test(bundled_profile_has_pahole_offsets),
		cmocka_unit_test(hostile_profiles_are_refused),
	};

	return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
