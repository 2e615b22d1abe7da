/*
 * Frames: u32 big-endian length (type byte + payload), u8 type, payload.
 *
 * Reading is resumable: bytes arrive in any split (a libssh2 channel read,
 * a pipe read) and are fed in; complete frames come out one at a time.
 *
 *	struct frame_reader fr;
 *	struct frame f;
 *	frame_reader_init(&fr);
 *	n = min(got, frame_reader_space(&fr));
 *	r = frame_reader_feed(&fr, bytes, n);	// or frame_reader_read_fd()
 *	while ((r = frame_reader_next(&fr, &f)) == 1)
 *		handle(&f);			// f.payload valid until the next
 *						// frame_reader_* call
 *	if (r < 0) fail;			// CUT_ERR_TOO_LARGE, CUT_ERR_PROTOCOL
 *	frame_reader_free(&fr);
 *
 * A declared length is checked against PROTO_FRAME_MAX as soon as its four
 * bytes are in, before anything for the body is stored: an oversized or
 * zero-length frame fails at once (and the reader stays failed). The input
 * buffer never exceeds PROTO_INBUF_MAX, so after draining frames there is
 * always room for at least one more complete maximum-size frame.
 *
 * Writing appends whole frames to a struct buf (the output queue), which
 * the caller drains: buf_ptr/buf_len/buf_consume, or frame_flush_fd().
 *
 *	frame_begin(out, MSG_RESULT, &mark);	// header placeholder
 *	buf_put_u32(out, ...); ...		// payload
 *	r = frame_end(out, mark);		// patch length; on error the
 *						// partial frame is removed
 *
 * All functions return 0 (frame_reader_next: 1 or 0) or a negative CUT_ERR_*.
 */
#ifndef CUT_FRAME_H
#define CUT_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

struct frame {
	uint8_t type;			/* enum msg_type, not yet checked */
	const unsigned char *payload;	/* points into the reader's buffer */
	size_t len;			/* payload bytes (length field - 1) */
};

struct frame_reader {
	struct buf in;		/* bytes received, not yet handed out */
	size_t pending;		/* size of the frame last returned, dropped on the next call */
	int err;		/* sticky error once the stream is known bad */
};

void frame_reader_init(struct frame_reader *fr);
void frame_reader_free(struct frame_reader *fr);
/* Bytes frame_reader_feed() accepts now. */
size_t frame_reader_space(const struct frame_reader *fr);
/* Bytes buffered that are not yet part of a returned frame. */
size_t frame_reader_buffered(const struct frame_reader *fr);
/* Append received bytes; CUT_ERR_BUF_FULL if len > frame_reader_space(). */
int frame_reader_feed(struct frame_reader *fr, const void *p, size_t len);
/* 1 and *f filled when a whole frame is buffered, 0 when more is needed. */
int frame_reader_next(struct frame_reader *fr, struct frame *f);
/*
 * One read(2) from fd straight into the reader: bytes read (> 0), 0 if it
 * would block or the reader is full, CUT_ERR_EOF at end of file.
 */
ssize_t frame_reader_read_fd(struct frame_reader *fr, int fd);
/*
 * Blocking: the next frame from fd, waiting at most timeout_ms (< 0: no
 * limit) in total. CUT_ERR_TIMEOUT, CUT_ERR_EOF (closed between frames),
 * CUT_ERR_BUF_SHORT (closed in the middle of a frame), or a reader error.
 */
int frame_read_fd(int fd, struct frame_reader *fr, struct frame *f, int timeout_ms);

/* Start a frame of type at the end of out; *mark remembers where. */
int frame_begin(struct buf *out, uint8_t type, size_t *mark);
/* Patch the length of the frame started at mark; too long -> removed, CUT_ERR_TOO_LARGE. */
int frame_end(struct buf *out, size_t mark);
/* Remove a frame started at mark (after a failed put). */
void frame_abort(struct buf *out, size_t mark);
/* A whole frame in one call. */
int frame_put(struct buf *out, uint8_t type, const void *payload, size_t len);

/*
 * Write as much of out to fd as it takes without blocking (poll first);
 * bytes written, 0 if none could be.
 */
ssize_t frame_write_some_fd(int fd, struct buf *out);
/* Write all of out to fd within timeout_ms (< 0: no limit). */
int frame_flush_fd(int fd, struct buf *out, int timeout_ms);

#endif
