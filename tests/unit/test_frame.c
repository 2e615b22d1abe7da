/* Unit tests of the resumable frame reader and the frame writer (proto/frame.c). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "frame.h"
#include "fsutil.h"
#include "proto.h"

/* Three frames of different sizes, one of them empty-bodied. */
static void
build_stream(struct buf *out)
{
	buf_init(out, PROTO_INBUF_MAX);
	assert_int_equal(frame_put(out, 1, "abc", 3), 0);
	assert_int_equal(frame_put(out, 2, NULL, 0), 0);
	assert_int_equal(frame_put(out, 22, "0123456789", 10), 0);
}

static void
expect_stream(struct frame_reader *fr, int *seen)
{
	struct frame f;
	int r;

	while ((r = frame_reader_next(fr, &f)) == 1) {
		switch (*seen) {
		case 0:
			assert_int_equal(f.type, 1);
			assert_int_equal(f.len, 3);
			assert_memory_equal(f.payload, "abc", 3);
			break;
		case 1:
			assert_int_equal(f.type, 2);
			assert_int_equal(f.len, 0);
			break;
		case 2:
			assert_int_equal(f.type, 22);
			assert_int_equal(f.len, 10);
			assert_memory_equal(f.payload, "0123456789", 10);
			break;
		default:
			fail_msg("extra frame");
		}
		(*seen)++;
	}
	assert_int_equal(r, 0);
}

/* Header bytes on the wire: big-endian length of type + payload. */
static void
test_writer_layout(void **state)
{
	struct buf out;

	(void)state;
	buf_init(&out, 64);
	assert_int_equal(frame_put(&out, 7, "xy", 2), 0);
	assert_int_equal(buf_len(&out), 7);
	assert_memory_equal(buf_ptr(&out), "\0\0\0\x03\x07xy", 7);
	buf_free(&out);
}

/* The stream split once at every byte boundary yields the same frames. */
static void
test_split_every_boundary(void **state)
{
	struct buf s;

	(void)state;
	build_stream(&s);
	for (size_t k = 0; k <= buf_len(&s); k++) {
		struct frame_reader fr;
		int seen = 0;

		frame_reader_init(&fr);
		assert_int_equal(frame_reader_feed(&fr, buf_ptr(&s), k), 0);
		expect_stream(&fr, &seen);
		assert_int_equal(frame_reader_feed(&fr, buf_ptr(&s) + k, buf_len(&s) - k), 0);
		expect_stream(&fr, &seen);
		assert_int_equal(seen, 3);
		assert_int_equal(frame_reader_buffered(&fr), 0);
		frame_reader_free(&fr);
	}
	buf_free(&s);
}

/* One byte at a time, the worst case for a resumable decoder. */
static void
test_byte_at_a_time(void **state)
{
	struct buf s;
	struct frame_reader fr;
	int seen = 0;

	(void)state;
	build_stream(&s);
	frame_reader_init(&fr);
	for (size_t i = 0; i < buf_len(&s); i++) {
		assert_int_equal(frame_reader_feed(&fr, buf_ptr(&s) + i, 1), 0);
		expect_stream(&fr, &seen);
	}
	assert_int_equal(seen, 3);
	frame_reader_free(&fr);
	buf_free(&s);
}

/* An oversized length fails on the header alone, and stays failed. */
static void
test_oversize_rejected_early(void **state)
{
	struct frame_reader fr;
	struct frame f;
	unsigned char hdr[4] = { 0x00, 0x10, 0x00, 0x01 };	/* 1 MiB + 1 */

	(void)state;
	frame_reader_init(&fr);
	assert_int_equal(frame_reader_feed(&fr, hdr, 3), 0);
	assert_int_equal(frame_reader_next(&fr, &f), 0);
	assert_int_equal(frame_reader_feed(&fr, hdr + 3, 1), 0);
	assert_int_equal(frame_reader_next(&fr, &f), CUT_ERR_TOO_LARGE);
	assert_null(f.payload);
	assert_int_equal(frame_reader_next(&fr, &f), CUT_ERR_TOO_LARGE);
	assert_int_equal(frame_reader_feed(&fr, "x", 1), CUT_ERR_TOO_LARGE);
	assert_true(fr.in.alloc < 1024);	/* nothing allocated for the body */
	frame_reader_free(&fr);
}

/* Exactly the maximum is fine; a zero length (no type byte) is not. */
static void
test_max_and_zero(void **state)
{
	struct frame_reader fr;
	struct buf out;
	struct frame f;
	unsigned char *big = calloc(1, PROTO_FRAME_MAX);

	(void)state;
	assert_non_null(big);
	buf_init(&out, 3 * PROTO_FRAME_MAX);
	assert_int_equal(frame_put(&out, 11, big, PROTO_FRAME_MAX - 1), 0);
	assert_int_equal(frame_put(&out, 11, big, PROTO_FRAME_MAX), CUT_ERR_TOO_LARGE);
	assert_int_equal(buf_len(&out), PROTO_FRAME_MAX + 4);	/* failed one removed */
	frame_reader_init(&fr);
	assert_int_equal(frame_reader_feed(&fr, buf_ptr(&out), buf_len(&out)), 0);
	assert_int_equal(frame_reader_next(&fr, &f), 1);
	assert_int_equal(f.len, PROTO_FRAME_MAX - 1);
	assert_int_equal(frame_reader_feed(&fr, "\0\0\0\0", 4), 0);
	assert_int_equal(frame_reader_next(&fr, &f), CUT_ERR_PROTOCOL);
	frame_reader_free(&fr);
	buf_free(&out);
	free(big);
}

/* The input buffer is bounded; draining frames always makes room again. */
static void
test_space_bounded(void **state)
{
	struct frame_reader fr;
	struct frame f;
	unsigned char *chunk = calloc(1, 64 * 1024);
	size_t fed = 0;

	(void)state;
	assert_non_null(chunk);
	frame_reader_init(&fr);
	/* a stream of 1 MiB frames whose bytes are all zero but the headers */
	while (frame_reader_space(&fr) > 0) {
		size_t n = frame_reader_space(&fr) < 64 * 1024 ? frame_reader_space(&fr) : 64 * 1024;

		assert_int_equal(frame_reader_feed(&fr, chunk, n), 0);
		fed += n;
	}
	assert_int_equal(fed, PROTO_INBUF_MAX);
	assert_int_equal(frame_reader_feed(&fr, chunk, 1), CUT_ERR_BUF_FULL);
	/* zero length header: protocol error, not a hang */
	assert_int_equal(frame_reader_next(&fr, &f), CUT_ERR_PROTOCOL);
	frame_reader_free(&fr);
	free(chunk);
}

/* Feeding invalidates nothing the caller still holds: the pending frame goes first. */
static void
test_pending_dropped_on_feed(void **state)
{
	struct frame_reader fr;
	struct buf s;
	struct frame f;

	(void)state;
	buf_init(&s, 128);
	assert_int_equal(frame_put(&s, 1, "a", 1), 0);
	assert_int_equal(frame_put(&s, 2, "b", 1), 0);
	frame_reader_init(&fr);
	assert_int_equal(frame_reader_feed(&fr, buf_ptr(&s), 6), 0);
	assert_int_equal(frame_reader_next(&fr, &f), 1);
	assert_int_equal(frame_reader_buffered(&fr), 0);
	assert_int_equal(frame_reader_feed(&fr, buf_ptr(&s) + 6, 6), 0);
	assert_int_equal(frame_reader_next(&fr, &f), 1);
	assert_int_equal(f.type, 2);
	assert_int_equal(frame_reader_next(&fr, &f), 0);
	frame_reader_free(&fr);
	buf_free(&s);
}

/* Blocking helpers over a pipe: frames, a timeout, EOF between and inside frames. */
static void
test_fd_helpers(void **state)
{
	struct frame_reader fr;
	struct buf out;
	struct frame f;
	int p[2];
	long long t0;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	buf_init(&out, 4096);
	assert_int_equal(frame_put(&out, 1, "hello", 5), 0);
	assert_int_equal(frame_put(&out, 2, "x", 1), 0);
	assert_int_equal(frame_flush_fd(p[1], &out, 1000), 0);
	assert_int_equal(buf_len(&out), 0);
	frame_reader_init(&fr);
	assert_int_equal(frame_read_fd(p[0], &fr, &f, 1000), 0);
	assert_int_equal(f.type, 1);
	assert_memory_equal(f.payload, "hello", 5);
	assert_int_equal(frame_read_fd(p[0], &fr, &f, 1000), 0);
	assert_int_equal(f.type, 2);
	t0 = mono_ms();
	assert_int_equal(frame_read_fd(p[0], &fr, &f, 100), CUT_ERR_TIMEOUT);
	assert_true(mono_ms() - t0 < 5000);
	/* half a frame, then EOF */
	assert_int_equal(write(p[1], "\0\0\0\x05\x01", 5), 5);
	close(p[1]);
	assert_int_equal(frame_read_fd(p[0], &fr, &f, 1000), CUT_ERR_BUF_SHORT);
	close(p[0]);
	frame_reader_free(&fr);

	/* clean EOF between frames */
	assert_int_equal(pipe(p), 0);
	close(p[1]);
	frame_reader_init(&fr);
	assert_int_equal(frame_read_fd(p[0], &fr, &f, 1000), CUT_ERR_EOF);
	close(p[0]);
	frame_reader_free(&fr);

	/* writing to a closed reader is EOF, not a crash */
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	assert_int_equal(frame_put(&out, 1, "x", 1), 0);
	assert_int_equal(frame_flush_fd(p[1], &out, 1000), CUT_ERR_EOF);
	close(p[1]);
	buf_free(&out);
}

/* A full pipe with no reader: the flush times out instead of hanging. */
static void
test_flush_timeout(void **state)
{
	struct buf out;
	unsigned char *big = calloc(1, PROTO_DATA_MAX);
	int p[2];

	(void)state;
	assert_non_null(big);
	assert_int_equal(pipe(p), 0);
	buf_init(&out, PROTO_INBUF_MAX);
	assert_int_equal(frame_put(&out, 11, big, PROTO_DATA_MAX), 0);
	assert_int_equal(frame_put(&out, 11, big, PROTO_DATA_MAX), 0);
	assert_int_equal(frame_flush_fd(p[1], &out, 200), CUT_ERR_TIMEOUT);
	assert_true(buf_len(&out) > 0);
	close(p[0]);
	close(p[1]);
	buf_free(&out);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer_layout),
		cmocka_unit_test(test_split_every_boundary),
		cmocka_unit_test(test_byte_at_a_time),
		cmocka_unit_test(test_oversize_rejected_early),
		cmocka_unit_test(test_max_and_zero),
		cmocka_unit_test(test_space_bounded),
		cmocka_unit_test(test_pending_dropped_on_feed),
		cmocka_unit_test(test_fd_helpers),
		cmocka_unit_test(test_flush_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
