/* Unit tests of proto/'s small shared helpers: sha256.c and strv.c. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "err.h"
#include "hexdigest.h"
#include "sha256.h"
#include "strv.h"

/* FIPS 180-2's "abc" vector, in one buffer and fed in pieces. */
static void
test_sha256_known_vector(void **state)
{
	static const char want[] =
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	unsigned char d[SHA256_LEN];
	char hex[65];
	struct sha256 h;

	(void)state;
	assert_int_equal(sha256_buf("abc", 3, d), CUT_OK);
	sha256_hex(d, hex);
	assert_string_equal(hex, want);
	memset(d, 0, sizeof(d));
	assert_int_equal(sha256_init(&h), CUT_OK);
	assert_int_equal(sha256_update(&h, "a", 1), CUT_OK);
	assert_int_equal(sha256_update(&h, "", 0), CUT_OK);
	assert_int_equal(sha256_update(&h, "bc", 2), CUT_OK);
	assert_int_equal(sha256_final(&h, d), CUT_OK);
	sha256_hex(d, hex);
	assert_string_equal(hex, want);
	/* Final frees the context: a second final or an update fails cleanly. */
	assert_null(h.md);
	assert_int_equal(sha256_update(&h, "x", 1), CUT_ERR_INTERNAL);
	assert_int_equal(sha256_final(&h, d), CUT_ERR_INTERNAL);
	sha256_free(&h);
}

/* Words split on any separator; empty words vanish; empty lists are empty vectors. */
static void
test_strv_split(void **state)
{
	char **v;

	(void)state;
	assert_int_equal(strv_split(" web01, web02,,\tweb03 ", " \t,", &v), CUT_OK);
	assert_int_equal(strv_len(v), 3);
	assert_string_equal(v[0], "web01");
	assert_string_equal(v[1], "web02");
	assert_string_equal(v[2], "web03");
	assert_null(v[3]);
	strv_free(v);
	assert_int_equal(strv_split(" ,, ", " \t,", &v), CUT_OK);
	assert_non_null(v);
	assert_int_equal(strv_len(v), 0);
	strv_free(v);
	assert_int_equal(strv_split("", " ", &v), CUT_OK);
	assert_null(v[0]);
	strv_free(v);
	strv_free(NULL);
	assert_int_equal(strv_len(NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_known_vector),
		cmocka_unit_test(test_strv_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
