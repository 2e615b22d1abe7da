/*
 * libFuzzer target for the frame reader and the message decoder: the input
 * is a raw byte stream as a peer would send it.
 *
 * Checks beyond "no crash, no sanitizer report":
 *  - the same stream fed whole and fed in odd-sized pieces yields the same
 *    frames and the same final reader state (resumability);
 *  - every message that decodes re-encodes to exactly the same frame bytes
 *    (the encoder and decoder agree, the encoding is canonical).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "frame.h"
#include "msg.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Re-encode m into out; CUT_OK or the encoder's error. */
static int
encode(struct buf *out, const struct msg *m)
{
	switch (m->type) {
	case MSG_HELLO:
		return msg_put_hello(out, m->major, m->minor, m->caps);
	case MSG_ERROR:
		return msg_put_error(out, m->code, m->message);
	case MSG_REQUEST:
		return msg_put_request(out, m->req_id, m->op, m->app, &m->kv);
	case MSG_DATA:
		return msg_put_data(out, m->req_id, m->data, m->datalen);
	case MSG_DATA_END:
		return msg_put_data_end(out, m->req_id, m->sha256);
	case MSG_EVENT:
		return msg_put_event(out, m->req_id, &m->kv);
	case MSG_RECORD:
		return msg_put_record(out, m->req_id, &m->kv);
	case MSG_RESULT:
		return msg_put_result(out, m->req_id, m->code, m->exit_code, &m->kv);
	default:
		abort();
	}
}

static void
check_frame(const struct frame *f)
{
	struct msg m;
	struct buf out;

	if (msg_decode(f, &m) != CUT_OK) {
		msg_free(&m);
		return;
	}
	buf_init(&out, PROTO_INBUF_MAX);
	if (encode(&out, &m) != CUT_OK)
		abort();	/* decoder accepted what the encoder refuses */
	if (buf_len(&out) != f->len + 5 || buf_ptr(&out)[4] != f->type ||
	    memcmp(buf_ptr(&out) + 5, f->payload, f->len) != 0)
		abort();	/* not canonical */
	buf_free(&out);
	msg_free(&m);
}

/* A tiny fixed-size frame summary, to compare the two readings. */
struct seen {
	size_t n;
	uint8_t type[64];
	size_t len[64];
	int end;
};

static void
drain(struct frame_reader *fr, struct seen *s, int check)
{
	struct frame f;
	int r;

	while ((r = frame_reader_next(fr, &f)) == 1) {
		if (s->n < 64) {
			s->type[s->n] = f.type;
			s->len[s->n] = f.len;
		}
		s->n++;
		if (check)
			check_frame(&f);
	}
	s->end = r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t steps[] = { 1, 2, 3, 5, 8, 13, 4096, 7 };
	struct frame_reader whole, pieces;
	struct seen a, b;
	size_t off = 0, i = 0;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	frame_reader_init(&whole);
	frame_reader_init(&pieces);

	/* whole: feed as much as fits, drain, repeat */
	while (off < size && a.end == 0) {
		size_t n = frame_reader_space(&whole);

		if (n > size - off)
			n = size - off;
		if (frame_reader_feed(&whole, data + off, n) != CUT_OK)
			abort();	/* never more than space() */
		off += n;
		drain(&whole, &a, 1);
	}

	off = 0;
	while (off < size && b.end == 0) {
		size_t n = steps[i++ % (sizeof(steps) / sizeof(steps[0]))];

		if (n > size - off)
			n = size - off;
		if (n > frame_reader_space(&pieces))
			n = frame_reader_space(&pieces);
		if (frame_reader_feed(&pieces, data + off, n) != CUT_OK)
			abort();
		off += n;
		drain(&pieces, &b, 0);
	}
	if (a.n != b.n || a.end != b.end)
		abort();	/* split-dependent result */
	for (size_t k = 0; k < a.n && k < 64; k++)
		if (a.type[k] != b.type[k] || a.len[k] != b.len[k])
			abort();
	frame_reader_free(&whole);
	frame_reader_free(&pieces);
	return 0;
}
