/* Unit tests of the bounded buffer (proto/buf.c). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "err.h"

/* Every integer width survives a put/get round trip, big-endian on the wire. */
static void
test_ints_round_trip(void **state)
{
	struct buf b;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	int32_t i32;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_put_u8(&b, 0xab), 0);
	assert_int_equal(buf_put_u32(&b, 0x01020304), 0);
	assert_int_equal(buf_put_u64(&b, 0x0102030405060708ULL), 0);
	assert_int_equal(buf_put_i32(&b, -14), 0);
	assert_int_equal(buf_put_i32(&b, INT32_MIN), 0);
	assert_int_equal(buf_len(&b), 1 + 4 + 8 + 4 + 4);
	assert_memory_equal(buf_ptr(&b) + 1, "\x01\x02\x03\x04", 4);
	assert_int_equal(buf_get_u8(&b, &u8), 0);
	assert_int_equal(u8, 0xab);
	assert_int_equal(buf_get_u32(&b, &u32), 0);
	assert_int_equal(u32, 0x01020304);
	assert_int_equal(buf_get_u64(&b, &u64), 0);
	assert_true(u64 == 0x0102030405060708ULL);
	assert_int_equal(buf_get_i32(&b, &i32), 0);
	assert_int_equal(i32, -14);
	assert_int_equal(buf_get_i32(&b, &i32), 0);
	assert_int_equal(i32, INT32_MIN);
	assert_int_equal(buf_len(&b), 0);
	buf_free(&b);
}

/* A short read fails, zeroes the out-parameter and consumes nothing. */
static void
test_short_get_consumes_nothing(void **state)
{
	struct buf b;
	uint32_t u32 = 99;
	uint64_t u64 = 99;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_put(&b, "abc", 3), 0);
	assert_int_equal(buf_get_u32(&b, &u32), CUT_ERR_BUF_SHORT);
	assert_int_equal(u32, 0);
	assert_int_equal(buf_get_u64(&b, &u64), CUT_ERR_BUF_SHORT);
	assert_true(u64 == 0);
	assert_int_equal(buf_len(&b), 3);
	assert_int_equal(buf_consume(&b, 4), CUT_ERR_BUF_SHORT);
	assert_int_equal(buf_len(&b), 3);
	buf_free(&b);
}

/* The maximum holds for puts and reserves, and frees room as data is consumed. */
static void
test_max_enforced(void **state)
{
	struct buf b;
	unsigned char *p;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_put(&b, "0123456789", 10), 0);
	assert_int_equal(buf_put_u8(&b, 1), CUT_ERR_BUF_FULL);
	assert_int_equal(buf_check_reserve(&b, 1), CUT_ERR_BUF_FULL);
	assert_int_equal(buf_reserve(&b, 1, &p), CUT_ERR_BUF_FULL);
	assert_null(p);
	assert_int_equal(buf_consume(&b, 4), 0);
	assert_int_equal(buf_avail(&b), 4);
	assert_int_equal(buf_put(&b, "abcd", 4), 0);	/* compacts, no growth */
	assert_true(b.alloc <= 10);
	assert_memory_equal(buf_ptr(&b), "456789abcd", 10);
	assert_int_equal(buf_check_reserve(&b, SIZE_MAX), CUT_ERR_BUF_FULL);
	buf_free(&b);
}

/* Strings: declared length checked against the cap before the bytes. */
static void
test_string_caps(void **state)
{
	struct buf b;
	const unsigned char *p;
	size_t len;
	char *s = (char *)1;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(buf_put_cstring(&b, "hello"), 0);
	assert_int_equal(buf_get_cstring(&b, &s, 4), CUT_ERR_TOO_LARGE);
	assert_null(s);
	assert_int_equal(buf_len(&b), 9);
	assert_int_equal(buf_get_cstring(&b, &s, 5), 0);
	assert_string_equal(s, "hello");
	free(s);
	/* declared 1000, only 3 present */
	assert_int_equal(buf_put_u32(&b, 1000), 0);
	assert_int_equal(buf_put(&b, "abc", 3), 0);
	assert_int_equal(buf_get_string_direct(&b, &p, &len, 2000), CUT_ERR_BUF_SHORT);
	assert_null(p);
	assert_int_equal(len, 0);
	assert_int_equal(buf_len(&b), 7);
	/* huge declared length is refused by the cap, not by trying to read */
	buf_reset(&b);
	assert_int_equal(buf_put_u32(&b, 0xffffffff), 0);
	assert_int_equal(buf_get_cstring(&b, &s, 65536), CUT_ERR_TOO_LARGE);
	buf_free(&b);
}

/* An embedded NUL would truncate a C string silently: refused. */
static void
test_cstring_embedded_nul(void **state)
{
	struct buf b;
	const unsigned char *p;
	size_t len;
	char *s = NULL;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_put_string(&b, "ab\0cd", 5), 0);
	assert_int_equal(buf_get_cstring(&b, &s, 64), CUT_ERR_PROTOCOL);
	assert_null(s);
	assert_int_equal(buf_len(&b), 9);
	/* the raw getter allows any bytes */
	assert_int_equal(buf_get_string_direct(&b, &p, &len, 64), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(p, "ab\0cd", 5);
	buf_free(&b);
}

/* The last string of a buffer can be read (consume resets offsets). */
static void
test_cstring_last_field(void **state)
{
	struct buf b;
	char *s = NULL;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_put_cstring(&b, ""), 0);
	assert_int_equal(buf_get_cstring(&b, &s, 64), 0);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(buf_len(&b), 0);
	buf_free(&b);
}

/* A view reads foreign memory and refuses writes. */
static void
test_view(void **state)
{
	static const unsigned char data[] = { 0, 0, 0, 2, 'o', 'k' };
	struct buf b;
	char *s = NULL;

	(void)state;
	buf_view(&b, data, sizeof(data));
	assert_int_equal(buf_avail(&b), 0);
	assert_int_not_equal(buf_put_u8(&b, 1), 0);
	assert_int_equal(buf_get_cstring(&b, &s, 10), 0);
	assert_string_equal(s, "ok");
	free(s);
	buf_free(&b);
}

/* poke patches in place; unreserve gives back a tail. */
static void
test_poke_unreserve(void **state)
{
	struct buf b;
	unsigned char *p;
	uint32_t v;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_put_u32(&b, 0), 0);
	assert_int_equal(buf_poke_u32(&b, 0, 0xdeadbeef), 0);
	assert_int_not_equal(buf_poke_u32(&b, 1, 1), 0);
	assert_int_equal(buf_reserve(&b, 20, &p), 0);
	assert_int_equal(buf_len(&b), 24);
	assert_int_equal(buf_unreserve(&b, 20), 0);
	assert_int_not_equal(buf_unreserve(&b, 20), 0);
	assert_int_equal(buf_get_u32(&b, &v), 0);
	assert_true(v == 0xdeadbeef);
	buf_free(&b);
}

/* Growth across many small puts never exceeds max and keeps the bytes. */
static void
test_growth(void **state)
{
	struct buf b;
	uint32_t v;

	(void)state;
	buf_init(&b, 40000);
	for (uint32_t i = 0; i < 10000; i++)
		assert_int_equal(buf_put_u32(&b, i), 0);
	assert_int_equal(buf_put_u8(&b, 0), CUT_ERR_BUF_FULL);
	assert_true(b.alloc <= 40000);
	for (uint32_t i = 0; i < 10000; i++) {
		assert_int_equal(buf_get_u32(&b, &v), 0);
		assert_int_equal(v, i);
	}
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ints_round_trip),
		cmocka_unit_test(test_short_get_consumes_nothing),
		cmocka_unit_test(test_max_enforced),
		cmocka_unit_test(test_string_caps),
		cmocka_unit_test(test_cstring_embedded_nul),
		cmocka_unit_test(test_cstring_last_field),
		cmocka_unit_test(test_view),
		cmocka_unit_test(test_poke_unreserve),
		cmocka_unit_test(test_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
