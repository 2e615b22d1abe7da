/*
 * A bounded byte buffer: every byte a peer sends is read through one of
 * these, and every frame we send is built in one.
 *
 *	struct buf b;
 *	buf_init(&b, PROTO_FRAME_MAX);		// never grows past the max
 *	r = buf_put_u32(&b, 7);			// appends, or CUT_ERR_BUF_FULL
 *	r = buf_get_u32(&b, &v);		// consumes, or CUT_ERR_BUF_SHORT
 *	buf_free(&b);
 *
 * Data lives between a read offset and the end; getters consume from the
 * front, putters append at the end. A read-only view (buf_view) wraps
 * foreign memory without copying; putting into it is an internal error.
 *
 * Error contract: functions return 0 or a negative CUT_ERR_*. A failed
 * getter consumes nothing and sets its out-parameters to 0/NULL, so a
 * caller can never use a half-read value. String getters reject a declared
 * length above their cap before touching the bytes, and the C-string getter
 * rejects embedded NULs (CUT_ERR_PROTOCOL).
 */
#ifndef CUT_BUF_H
#define CUT_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	unsigned char *d;	/* storage, NULL until first put */
	size_t off;		/* read position */
	size_t end;		/* end of data */
	size_t alloc;		/* bytes allocated at d */
	size_t max;		/* end - off never exceeds this */
	int readonly;		/* a view over memory we do not own */
};

void buf_init(struct buf *b, size_t max);
/* A read-only buffer over len bytes at p; nothing to free. */
void buf_view(struct buf *b, const void *p, size_t len);
void buf_free(struct buf *b);
/* Drop all data, keep the storage. */
void buf_reset(struct buf *b);

/* Bytes available to read, and where they start. */
size_t buf_len(const struct buf *b);
const unsigned char *buf_ptr(const struct buf *b);
/* Room left before the max. */
size_t buf_avail(const struct buf *b);

/* 0 if len more bytes would fit, else CUT_ERR_BUF_FULL; allocates nothing. */
int buf_check_reserve(const struct buf *b, size_t len);
/* Make room for len bytes at the end; *p points at them (already counted). */
int buf_reserve(struct buf *b, size_t len, unsigned char **p);
/* Give back the unused tail of the last reserve (len bytes at the end). */
int buf_unreserve(struct buf *b, size_t len);
/* Drop len bytes from the front. */
int buf_consume(struct buf *b, size_t len);

int buf_put(struct buf *b, const void *p, size_t len);
int buf_put_u8(struct buf *b, uint8_t v);
int buf_put_u32(struct buf *b, uint32_t v);
int buf_put_u64(struct buf *b, uint64_t v);
int buf_put_i32(struct buf *b, int32_t v);
/* u32 length + bytes. */
int buf_put_string(struct buf *b, const void *p, size_t len);
int buf_put_cstring(struct buf *b, const char *s);
/* Overwrite 4 bytes at absolute data offset pos (from buf_ptr) with v. */
int buf_poke_u32(struct buf *b, size_t pos, uint32_t v);

int buf_get(struct buf *b, void *p, size_t len);
int buf_get_u8(struct buf *b, uint8_t *v);
int buf_get_u32(struct buf *b, uint32_t *v);
int buf_get_u64(struct buf *b, uint64_t *v);
int buf_get_i32(struct buf *b, int32_t *v);
/* Peek a u32 at the front without consuming. */
int buf_peek_u32(const struct buf *b, uint32_t *v);
/*
 * A string without copying: *p points into the buffer (valid until the
 * buffer changes), *len its length. CUT_ERR_TOO_LARGE above max.
 */
int buf_get_string_direct(struct buf *b, const unsigned char **p, size_t *len,
    size_t max);
/* A string as a fresh NUL-terminated copy; embedded NUL -> CUT_ERR_PROTOCOL. */
int buf_get_cstring(struct buf *b, char **s, size_t max);

#endif
