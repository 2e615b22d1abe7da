/* Unit tests of message encoding and decoding (proto/msg.c). */
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
#include "frame.h"
#include "kv.h"
#include "msg.h"
#include "proto.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Decode the single frame in out into m; returns msg_decode's code. */
static int
decode_one(struct buf *out, struct msg *m)
{
	struct frame_reader fr;
	struct frame f;
	int r;

	frame_reader_init(&fr);
	assert_int_equal(frame_reader_feed(&fr, buf_ptr(out), buf_len(out)), 0);
	assert_int_equal(frame_reader_next(&fr, &f), 1);
	assert_int_equal(frame_reader_next(&fr, &f), 0);
	frame_reader_free(&fr);
	/* decode from out itself, so a DATA message's data stays valid */
	f.type = buf_ptr(out)[4];
	f.payload = buf_ptr(out) + 5;
	f.len = buf_len(out) - 5;
	r = msg_decode(&f, m);
	return r;
}

static void
sample_kv(struct kvlist *kv)
{
	assert_int_equal(kv_add(kv, "release", "web-1.4.2"), 0);
	assert_int_equal(kv_add_int(kv, "bytes", -1234567890123LL), 0);
	assert_int_equal(kv_add_bool(kv, "have", 1), 0);
	assert_int_equal(kv_add(kv, "line", "quote \" and \\ and \t tab"), 0);
}

static void
check_kv(const struct kvlist *kv)
{
	assert_int_equal(kv->n, 4);
	assert_string_equal(kv_get(kv, "release"), "web-1.4.2");
	assert_int_equal(kv->v[1].type, KV_INT);
	assert_true(kv_get_int(kv, "bytes", 0) == -1234567890123LL);
	assert_int_equal(kv->v[2].type, KV_BOOL);
	assert_string_equal(kv_get(kv, "have"), "true");
	assert_string_equal(kv_get(kv, "line"), "quote \" and \\ and \t tab");
}

static void
test_hello(void **state)
{
	struct buf out;
	struct msg m;

	(void)state;
	buf_init(&out, PROTO_INBUF_MAX);
	assert_int_equal(msg_put_hello(&out, PROTO_MAJOR, PROTO_MINOR, PROTO_CAPS), 0);
	assert_int_equal(decode_one(&out, &m), 0);
	assert_int_equal(m.type, MSG_HELLO);
	assert_int_equal(m.major, PROTO_MAJOR);
	assert_int_equal(m.minor, PROTO_MINOR);
	assert_string_equal(m.caps, PROTO_CAPS);
	assert_true(msg_caps_has(m.caps, "upload"));
	assert_true(msg_caps_has(m.caps, "lock"));
	assert_false(msg_caps_has(m.caps, "loc"));
	assert_false(msg_caps_has(m.caps, "unlock"));
	assert_false(msg_caps_has("", "lock"));
	msg_free(&m);
	buf_free(&out);
}

static void
test_error(void **state)
{
	struct buf out;
	struct msg m;

	(void)state;
	buf_init(&out, PROTO_INBUF_MAX);
	assert_int_equal(msg_put_error(&out, CUT_ERR_VERSION, "protocol version mismatch"), 0);
	assert_int_equal(decode_one(&out, &m), 0);
	assert_int_equal(m.type, MSG_ERROR);
	assert_int_equal(m.code, CUT_ERR_VERSION);
	assert_string_equal(m.message, "protocol version mismatch");
	msg_free(&m);
	assert_int_not_equal(msg_put_error(&out, 5, "positive code"), 0);
	buf_free(&out);
}

static void
test_request(void **state)
{
	struct buf out;
	struct kvlist kv = KVLIST_INIT;
	struct msg m;

	(void)state;
	buf_init(&out, PROTO_INBUF_MAX);
	sample_kv(&kv);
	assert_int_equal(msg_put_request(&out, 42, "deploy", "/srv/web", &kv), 0);
	assert_int_equal(decode_one(&out, &m), 0);
	assert_int_equal(m.type, MSG_REQUEST);
	assert_int_equal(m.req_id, 42);
	assert_string_equal(m.op, "deploy");
	assert_string_equal(m.app, "/srv/web");
	check_kv(&m.kv);
	msg_free(&m);
	/* empty args list */
	buf_reset(&out);
	assert_int_equal(msg_put_request(&out, 1, "status", "web", NULL), 0);
	assert_int_equal(decode_one(&out, &m), 0);
	assert_int_equal(m.kv.n, 0);
	msg_free(&m);
	assert_int_not_equal(msg_put_request(&out, 1, "Bad Op", "web", NULL), 0);
	kv_free(&kv);
	buf_free(&out);
}

static void
test_data(void **state)
{
	struct buf out;
	struct msg m;
	unsigned char *big = malloc(PROTO_DATA_MAX + 1);

	(void)state;
	assert_non_null(big);
	for (size_t i = 0; i <= PROTO_DATA_MAX; i++)
		big[i] = (unsigned char)i;	/* includes NUL bytes */
	buf_init(&out, PROTO_INBUF_MAX);
	assert_int_equal(msg_put_data(&out, 7, big, PROTO_DATA_MAX), 0);
	assert_int_equal(decode_one(&out, &m), 0);
	assert_int_equal(m.type, MSG_DATA);
	assert_int_equal(m.req_id, 7);
	assert_int_equal(m.datalen, PROTO_DATA_MAX);
	assert_memory_equal(m.data, big, PROTO_DATA_MAX);
	msg_free(&m);
	buf_reset(&out);
	assert_int_equal(msg_put_data(&out, 7, big, PROTO_DATA_MAX + 1), CUT_ERR_TOO_LARGE);
	assert_int_equal(buf_len(&out), 0);
	/* hand-built DATA one byte over the cap */
	{
		size_t mark;

		assert_int_equal(frame_begin(&out, MSG_DATA, &mark), 0);
		assert_int_equal(buf_put_u32(&out, 7), 0);
		assert_int_equal(buf_put_string(&out, big, PROTO_DATA_MAX + 1), 0);
		assert_int_equal(frame_end(&out, mark), 0);
		assert_int_equal(decode_one(&out, &m), CUT_ERR_TOO_LARGE);
		msg_free(&m);
	}
	buf_free(&out);
	free(big);
}

static void
test_data_end(void **state)
{
	struct buf out;
	struct msg m;

	(void)state;
	buf_init(&out, PROTO_INBUF_MAX);
	assert_int_equal(msg_put_data_end(&out, 9, SHA), 0);
	assert_int_equal(decode_one(&out, &m), 0);
	assert_int_equal(m.type, MSG_DATA_END);
	assert_int_equal(m.req_id, 9);
	assert_string_equal(m.sha256, SHA);
	msg_free(&m);
	buf_reset(&out);
	assert_int_equal(msg_put_data_end(&out, 9, NULL), 0);
	assert_int_equal(decode_one(&out, &m), 0);
	assert_string_equal(m.sha256, "");
	msg_free(&m);
	buf_reset(&out);
	assert_int_equal(msg_put_data_end(&out, 9, "ABCD"), CUT_ERR_CHECKSUM);
	assert_int_equal(buf_len(&out), 0);
	buf_free(&out);
}

static void
test_event_record_result(void **state)
{
	struct buf out;
	struct kvlist kv = KVLIST_INIT;
	struct msg m;

	(void)state;
	buf_init(&out, PROTO_INBUF_MAX);
	sample_kv(&kv);
	assert_int_equal(msg_put_event(&out, 3, &kv), 0);
	assert_int_equal(decode_one(&out, &m), 0);
	assert_int_equal(m.type, MSG_EVENT);
	assert_int_equal(m.req_id, 3);
	check_kv(&m.kv);
	msg_free(&m);
	buf_reset(&out);
	assert_int_equal(msg_put_record(&out, 4, &kv), 0);
	assert_int_equal(decode_one(&out, &m), 0);
	assert_int_equal(m.type, MSG_RECORD);
	assert_int_equal(m.req_id, 4);
	check_kv(&m.kv);
	msg_free(&m);
	buf_reset(&out);
	assert_int_equal(msg_put_result(&out, 5, CUT_ERR_LOCKED, 4, &kv), 0);
	assert_int_equal(decode_one(&out, &m), 0);
	assert_int_equal(m.type, MSG_RESULT);
	assert_int_equal(m.req_id, 5);
	assert_int_equal(m.code, CUT_ERR_LOCKED);
	assert_int_equal(m.exit_code, 4);
	check_kv(&m.kv);
	msg_free(&m);
	kv_free(&kv);
	buf_free(&out);
}

/* Every prefix of every message fails cleanly, and so does one extra byte. */
static void
test_truncated_and_trailing(void **state)
{
	struct buf all;
	struct kvlist kv = KVLIST_INIT;
	struct frame_reader fr;
	struct frame f;
	struct msg m;
	int count = 0;

	(void)state;
	sample_kv(&kv);
	buf_init(&all, PROTO_INBUF_MAX);
	assert_int_equal(msg_put_hello(&all, 1, 0, "upload"), 0);
	assert_int_equal(msg_put_error(&all, -14, "bad"), 0);
	assert_int_equal(msg_put_request(&all, 1, "install", "web", &kv), 0);
	assert_int_equal(msg_put_data(&all, 1, "abc", 3), 0);
	assert_int_equal(msg_put_data_end(&all, 1, SHA), 0);
	assert_int_equal(msg_put_event(&all, 1, &kv), 0);
	assert_int_equal(msg_put_record(&all, 1, &kv), 0);
	assert_int_equal(msg_put_result(&all, 1, 0, 0, &kv), 0);
	frame_reader_init(&fr);
	assert_int_equal(frame_reader_feed(&fr, buf_ptr(&all), buf_len(&all)), 0);
	while (frame_reader_next(&fr, &f) == 1) {
		unsigned char *copy = malloc(f.len + 1);

		assert_non_null(copy);
		memcpy(copy, f.payload, f.len);
		for (size_t n = 0; n < f.len; n++) {
			struct frame t = { .type = f.type, .payload = copy, .len = n };

			assert_true(msg_decode(&t, &m) < 0);
			msg_free(&m);
		}
		copy[f.len] = 0;
		{
			struct frame t = { .type = f.type, .payload = copy, .len = f.len + 1 };

			assert_int_equal(msg_decode(&t, &m), CUT_ERR_PROTOCOL);
			msg_free(&m);
		}
		{
			struct frame t = { .type = f.type, .payload = copy, .len = f.len };

			assert_int_equal(msg_decode(&t, &m), 0);
			msg_free(&m);
		}
		free(copy);
		count++;
	}
	assert_int_equal(count, 8);
	frame_reader_free(&fr);
	kv_free(&kv);
	buf_free(&all);
}

/* Build an EVENT by hand: req_id, one pair (type, key, value). */
static void
hand_event(struct buf *out, uint8_t type, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	size_t mark;

	buf_reset(out);
	assert_int_equal(frame_begin(out, MSG_EVENT, &mark), 0);
	assert_int_equal(buf_put_u32(out, 1), 0);
	assert_int_equal(buf_put_u32(out, 1), 0);
	assert_int_equal(buf_put_u8(out, type), 0);
	assert_int_equal(buf_put_string(out, key, klen), 0);
	assert_int_equal(buf_put_string(out, val, vlen), 0);
	assert_int_equal(frame_end(out, mark), 0);
}

static void
test_bad_kv(void **state)
{
	struct buf out;
	struct msg m;
	char longkey[PROTO_KEY_MAX + 2];

	(void)state;
	buf_init(&out, PROTO_INBUF_MAX);
	hand_event(&out, KV_STR, "k", 1, "v", 1);
	assert_int_equal(decode_one(&out, &m), 0);
	msg_free(&m);
	hand_event(&out, 3, "k", 1, "v", 1);		/* unknown kv type */
	assert_int_equal(decode_one(&out, &m), CUT_ERR_PROTOCOL);
	assert_int_equal(m.kv.n, 0);
	msg_free(&m);
	hand_event(&out, KV_STR, "k\0x", 3, "v", 1);	/* NUL in key */
	assert_int_equal(decode_one(&out, &m), CUT_ERR_PROTOCOL);
	msg_free(&m);
	hand_event(&out, KV_STR, "k", 1, "v\0x", 3);	/* NUL in value */
	assert_int_equal(decode_one(&out, &m), CUT_ERR_PROTOCOL);
	msg_free(&m);
	hand_event(&out, KV_STR, "", 0, "v", 1);	/* empty key */
	assert_int_equal(decode_one(&out, &m), CUT_ERR_PROTOCOL);
	msg_free(&m);
	hand_event(&out, KV_STR, "a\"b", 3, "v", 1);	/* key not an identifier */
	assert_int_equal(decode_one(&out, &m), CUT_ERR_PROTOCOL);
	msg_free(&m);
	hand_event(&out, KV_INT, "n", 1, "1,\"x\":2", 7);	/* JSON smuggling */
	assert_int_equal(decode_one(&out, &m), CUT_ERR_PROTOCOL);
	msg_free(&m);
	hand_event(&out, KV_INT, "n", 1, "", 0);
	assert_int_equal(decode_one(&out, &m), CUT_ERR_PROTOCOL);
	msg_free(&m);
	hand_event(&out, KV_BOOL, "b", 1, "yes", 3);
	assert_int_equal(decode_one(&out, &m), CUT_ERR_PROTOCOL);
	msg_free(&m);
	memset(longkey, 'k', sizeof(longkey));
	hand_event(&out, KV_STR, longkey, PROTO_KEY_MAX + 1, "v", 1);
	assert_int_equal(decode_one(&out, &m), CUT_ERR_TOO_LARGE);
	msg_free(&m);
	buf_free(&out);
}

/* A kv count over the cap is refused before any pair is read. */
static void
test_kv_count_cap(void **state)
{
	struct buf out;
	struct kvlist kv = KVLIST_INIT;
	struct msg m;
	size_t mark;

	(void)state;
	buf_init(&out, PROTO_INBUF_MAX);
	assert_int_equal(frame_begin(&out, MSG_RECORD, &mark), 0);
	assert_int_equal(buf_put_u32(&out, 1), 0);
	assert_int_equal(buf_put_u32(&out, 0xffffffff), 0);
	assert_int_equal(frame_end(&out, mark), 0);
	assert_int_equal(decode_one(&out, &m), CUT_ERR_TOO_LARGE);
	msg_free(&m);
	for (int i = 0; i <= PROTO_KV_MAX; i++)
		assert_int_equal(kv_add_int(&kv, "n", i), 0);
	buf_reset(&out);
	assert_int_equal(msg_put_record(&out, 1, &kv), CUT_ERR_TOO_LARGE);
	assert_int_equal(buf_len(&out), 0);
	kv_free(&kv);
	buf_free(&out);
}

/* Text fields: op and caps refuse NUL and oversize; unknown types are refused. */
static void
test_bad_fields_and_types(void **state)
{
	struct buf out;
	struct msg m;
	size_t mark;
	char big[PROTO_OP_MAX + 1];

	(void)state;
	buf_init(&out, PROTO_INBUF_MAX);
	/* REQUEST with NUL in op */
	assert_int_equal(frame_begin(&out, MSG_REQUEST, &mark), 0);
	assert_int_equal(buf_put_u32(&out, 1), 0);
	assert_int_equal(buf_put_string(&out, "sta\0tus", 7), 0);
	assert_int_equal(buf_put_cstring(&out, "web"), 0);
	assert_int_equal(buf_put_u32(&out, 0), 0);
	assert_int_equal(frame_end(&out, mark), 0);
	assert_int_equal(decode_one(&out, &m), CUT_ERR_PROTOCOL);
	msg_free(&m);
	/* op too long */
	memset(big, 'a', sizeof(big));
	buf_reset(&out);
	assert_int_equal(frame_begin(&out, MSG_REQUEST, &mark), 0);
	assert_int_equal(buf_put_u32(&out, 1), 0);
	assert_int_equal(buf_put_string(&out, big, sizeof(big)), 0);
	assert_int_equal(buf_put_cstring(&out, "web"), 0);
	assert_int_equal(buf_put_u32(&out, 0), 0);
	assert_int_equal(frame_end(&out, mark), 0);
	assert_int_equal(decode_one(&out, &m), CUT_ERR_TOO_LARGE);
	msg_free(&m);
	/* unknown types, including the gaps between ranges */
	for (int t = 0; t < 256; t++) {
		if (t == MSG_HELLO || t == MSG_ERROR || t == MSG_REQUEST ||
		    t == MSG_DATA || t == MSG_DATA_END || t == MSG_EVENT ||
		    t == MSG_RECORD || t == MSG_RESULT)
			continue;
		buf_reset(&out);
		assert_int_equal(frame_put(&out, (uint8_t)t, "\0\0\0\0", 4), 0);
		assert_int_equal(decode_one(&out, &m), CUT_ERR_PROTOCOL);
		msg_free(&m);
	}
	/* DATA_END with upper-case hex */
	buf_reset(&out);
	assert_int_equal(frame_begin(&out, MSG_DATA_END, &mark), 0);
	assert_int_equal(buf_put_u32(&out, 1), 0);
	assert_int_equal(buf_put_cstring(&out, "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"), 0);
	assert_int_equal(frame_end(&out, mark), 0);
	assert_int_equal(decode_one(&out, &m), CUT_ERR_PROTOCOL);
	msg_free(&m);
	/* RESULT with a positive error code */
	buf_reset(&out);
	assert_int_equal(frame_begin(&out, MSG_RESULT, &mark), 0);
	assert_int_equal(buf_put_u32(&out, 1), 0);
	assert_int_equal(buf_put_i32(&out, 3), 0);
	assert_int_equal(buf_put_u8(&out, 0), 0);
	assert_int_equal(buf_put_u32(&out, 0), 0);
	assert_int_equal(frame_end(&out, mark), 0);
	assert_int_equal(decode_one(&out, &m), CUT_ERR_PROTOCOL);
	msg_free(&m);
	assert_string_equal(msg_type_name(MSG_DATA_END), "DATA_END");
	assert_string_equal(msg_type_name(99), "unknown");
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_data),
		cmocka_unit_test(test_data_end),
		cmocka_unit_test(test_event_record_result),
		cmocka_unit_test(test_truncated_and_trailing),
		cmocka_unit_test(test_bad_kv),
		cmocka_unit_test(test_kv_count_cap),
		cmocka_unit_test(test_bad_fields_and_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
