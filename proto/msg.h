/*
 * Encoding and decoding of protocol messages (proto.h, proto/PROTOCOL).
 *
 * Encoders append one whole frame to an output queue (a struct buf) and
 * return 0 or a CUT_ERR_*; on error nothing is appended.
 *
 *	msg_put_hello(out, PROTO_MAJOR, PROTO_MINOR, PROTO_CAPS);
 *	msg_put_request(out, 1, "deploy", "web", &args);
 *
 * The decoder turns one frame from a frame_reader into a struct msg:
 *
 *	struct msg m;
 *	r = msg_decode(&f, &m);		// CUT_ERR_PROTOCOL, _TOO_LARGE, _BUF_SHORT, _ALLOC
 *	... use m ...
 *	msg_free(&m);			// always safe after msg_decode, even on error
 *
 * A decoder reads only through buf_* getters, checks every length against
 * its cap in proto.h, refuses embedded NULs in text, unknown kv types and
 * malformed kv values, and fails when the payload holds more bytes than
 * the message uses ("consumed != declared length"). It never checks which
 * messages are allowed when; that is the session's job (serve.c, the
 * coordinator).
 */
#ifndef CUT_MSG_H
#define CUT_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "frame.h"
#include "kv.h"
#include "proto.h"

/* One decoded message; which fields are set depends on type. */
struct msg {
	enum msg_type type;
	uint32_t req_id;	/* REQUEST DATA DATA_END EVENT RECORD RESULT */
	uint32_t major;		/* HELLO */
	uint32_t minor;		/* HELLO */
	char *caps;		/* HELLO: space-separated capabilities */
	char *op;		/* REQUEST: install activate deploy ... */
	char *app;		/* REQUEST: app name or path */
	struct kvlist kv;	/* REQUEST args; EVENT, RECORD, RESULT fields */
	const unsigned char *data; /* DATA: points into the frame, not copied */
	size_t datalen;		/* DATA */
	char *sha256;		/* DATA_END: 64 lower-case hex digits, or "" */
	int32_t code;		/* RESULT (err) and ERROR: 0 or CUT_ERR_* */
	uint8_t exit_code;	/* RESULT: exit code, cutover-agent(8) EXIT STATUS */
	char *message;		/* ERROR: one line */
};

/* "HELLO", "REQUEST", ... or "unknown". */
const char *msg_type_name(int type);
/* 1 if caps (space separated) lists cap. */
int msg_caps_has(const char *caps, const char *cap);

int msg_put_hello(struct buf *out, uint32_t major, uint32_t minor, const char *caps);
int msg_put_error(struct buf *out, int32_t code, const char *message);
int msg_put_request(struct buf *out, uint32_t req_id, const char *op,
    const char *app, const struct kvlist *args);
int msg_put_data(struct buf *out, uint32_t req_id, const void *p, size_t len);
/* sha256hex: 64 hex digits or NULL/"" for "not given". */
int msg_put_data_end(struct buf *out, uint32_t req_id, const char *sha256hex);
int msg_put_event(struct buf *out, uint32_t req_id, const struct kvlist *kv);
int msg_put_record(struct buf *out, uint32_t req_id, const struct kvlist *kv);
int msg_put_result(struct buf *out, uint32_t req_id, int32_t err,
    uint8_t exit_code, const struct kvlist *kv);

/* Append a kvlist (u32 count + pairs) to an open frame; checked like the decoder. */
int msg_put_kvlist(struct buf *b, const struct kvlist *kv);
/* Read a kvlist; on error *kv is left empty. */
int msg_get_kvlist(struct buf *b, struct kvlist *kv);

int msg_decode(const struct frame *f, struct msg *m);
void msg_free(struct msg *m);

#endif
