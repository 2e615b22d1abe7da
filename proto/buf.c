#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

#define BUF_MIN_ALLOC 256

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

/* Decoders work on a frame already in memory; a view avoids a copy. */
void
buf_view(struct buf *b, const void *p, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->d = (unsigned char *)(uintptr_t)p;
	b->end = b->alloc = b->max = len;
	b->readonly = 1;
}

void
buf_free(struct buf *b)
{
	if (!b->readonly)
		free(b->d);
	memset(b, 0, sizeof(*b));
}

void
buf_reset(struct buf *b)
{
	b->off = b->end = 0;
}

size_t
buf_len(const struct buf *b)
{
	return b->end - b->off;
}

const unsigned char *
buf_ptr(const struct buf *b)
{
	return b->d == NULL ? (const unsigned char *)"" : b->d + b->off;
}

size_t
buf_avail(const struct buf *b)
{
	return b->readonly ? 0 : b->max - buf_len(b);
}

/* The one place that decides whether len more bytes may be stored. */
int
buf_check_reserve(const struct buf *b, size_t len)
{
	if (b->readonly)
		return CUT_ERR_INTERNAL;
	if (len > b->max || buf_len(b) > b->max - len)
		return CUT_ERR_BUF_FULL;
	return CUT_OK;
}

/* Compact before growing so a long-lived buffer stays within max bytes. */
int
buf_reserve(struct buf *b, size_t len, unsigned char **p)
{
	size_t have = buf_len(b), need;
	unsigned char *nd;
	int r;

	if (p != NULL)
		*p = NULL;
	if ((r = buf_check_reserve(b, len)) != CUT_OK)
		return r;
	need = have + len;
	if (b->alloc - b->end < len) {
		if (b->off > 0) {
			if (have > 0)
				memmove(b->d, b->d + b->off, have);
			b->off = 0;
			b->end = have;
		}
		if (b->alloc < need) {
			size_t nalloc = b->alloc < BUF_MIN_ALLOC ? BUF_MIN_ALLOC : b->alloc;
			while (nalloc < need)
				nalloc = nalloc > b->max / 2 ? b->max : nalloc * 2;
			if (nalloc > b->max)
				nalloc = b->max;
			if ((nd = realloc(b->d, nalloc)) == NULL)
				return CUT_ERR_ALLOC;
			b->d = nd;
			b->alloc = nalloc;
		}
	}
	if (p != NULL)
		*p = b->d + b->end;
	b->end += len;
	return CUT_OK;
}

/* A reader reserves a whole read's worth and gives back what did not arrive. */
int
buf_unreserve(struct buf *b, size_t len)
{
	if (b->readonly || len > buf_len(b))
		return CUT_ERR_INTERNAL;
	b->end -= len;
	return CUT_OK;
}

int
buf_consume(struct buf *b, size_t len)
{
	if (len > buf_len(b))
		return CUT_ERR_BUF_SHORT;
	b->off += len;
	if (b->off == b->end)
		b->off = b->end = 0;
	return CUT_OK;
}

int
buf_put(struct buf *b, const void *p, size_t len)
{
	unsigned char *dst;
	int r;

	if ((r = buf_reserve(b, len, &dst)) != CUT_OK)
		return r;
	if (len > 0)
		memcpy(dst, p, len);
	return CUT_OK;
}

int
buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_put(b, &v, 1);
}

int
buf_put_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = {
		(unsigned char)(v >> 24), (unsigned char)(v >> 16),
		(unsigned char)(v >> 8), (unsigned char)v
	};

	return buf_put(b, x, sizeof(x));
}

int
buf_put_u64(struct buf *b, uint64_t v)
{
	int r;

	if ((r = buf_check_reserve(b, 8)) != CUT_OK)
		return r;
	if ((r = buf_put_u32(b, (uint32_t)(v >> 32))) != CUT_OK)
		return r;
	return buf_put_u32(b, (uint32_t)v);
}

int
buf_put_i32(struct buf *b, int32_t v)
{
	return buf_put_u32(b, (uint32_t)v);
}

int
buf_put_string(struct buf *b, const void *p, size_t len)
{
	int r;

	if (len > UINT32_MAX)
		return CUT_ERR_TOO_LARGE;
	if (len > SIZE_MAX - 4 || (r = buf_check_reserve(b, 4 + len)) != CUT_OK)
		return CUT_ERR_BUF_FULL;
	if ((r = buf_put_u32(b, (uint32_t)len)) != CUT_OK)
		return r;
	return buf_put(b, p, len);
}

int
buf_put_cstring(struct buf *b, const char *s)
{
	return buf_put_string(b, s == NULL ? "" : s, s == NULL ? 0 : strlen(s));
}

/* Frame writers patch the length once the payload is known. */
int
buf_poke_u32(struct buf *b, size_t pos, uint32_t v)
{
	unsigned char *p;

	if (b->readonly || pos > buf_len(b) || buf_len(b) - pos < 4)
		return CUT_ERR_INTERNAL;
	p = b->d + b->off + pos;
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return CUT_OK;
}

int
buf_get(struct buf *b, void *p, size_t len)
{
	if (len > buf_len(b)) {
		if (p != NULL && len > 0)
			memset(p, 0, len);
		return CUT_ERR_BUF_SHORT;
	}
	if (p != NULL && len > 0)
		memcpy(p, buf_ptr(b), len);
	return buf_consume(b, len);
}

int
buf_get_u8(struct buf *b, uint8_t *v)
{
	return buf_get(b, v, 1);
}

int
buf_peek_u32(const struct buf *b, uint32_t *v)
{
	const unsigned char *p = buf_ptr(b);

	*v = 0;
	if (buf_len(b) < 4)
		return CUT_ERR_BUF_SHORT;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
	return CUT_OK;
}

int
buf_get_u32(struct buf *b, uint32_t *v)
{
	int r;

	if ((r = buf_peek_u32(b, v)) != CUT_OK)
		return r;
	return buf_consume(b, 4);
}

int
buf_get_u64(struct buf *b, uint64_t *v)
{
	uint32_t hi, lo;

	*v = 0;
	if (buf_len(b) < 8)
		return CUT_ERR_BUF_SHORT;
	(void)buf_get_u32(b, &hi);
	(void)buf_get_u32(b, &lo);
	*v = (uint64_t)hi << 32 | lo;
	return CUT_OK;
}

int
buf_get_i32(struct buf *b, int32_t *v)
{
	uint32_t u;
	int r;

	r = buf_get_u32(b, &u);
	/* two's complement without implementation-defined conversion */
	*v = u <= INT32_MAX ? (int32_t)u : -(int32_t)(UINT32_MAX - u) - 1;
	return r;
}

/* Check the declared length against the cap and the data before consuming. */
int
buf_get_string_direct(struct buf *b, const unsigned char **p, size_t *len,
    size_t max)
{
	uint32_t n;
	int r;

	*p = NULL;
	*len = 0;
	if ((r = buf_peek_u32(b, &n)) != CUT_OK)
		return r;
	if (n > max)
		return CUT_ERR_TOO_LARGE;
	if (buf_len(b) - 4 < n)
		return CUT_ERR_BUF_SHORT;
	*p = buf_ptr(b) + 4;
	*len = n;
	return buf_consume(b, 4 + (size_t)n);
}

/* Text fields must be C strings on our side, so a NUL inside is hostile. */
int
buf_get_cstring(struct buf *b, char **s, size_t max)
{
	struct buf tmp = *b;	/* consume from a copy; commit on success */
	const unsigned char *p;
	size_t len;
	int r;

	*s = NULL;
	if ((r = buf_get_string_direct(&tmp, &p, &len, max)) != CUT_OK)
		return r;
	if (memchr(p, '\0', len) != NULL)
		return CUT_ERR_PROTOCOL;
	if ((*s = malloc(len + 1)) == NULL)
		return CUT_ERR_ALLOC;
	memcpy(*s, p, len);
	(*s)[len] = '\0';
	b->off = tmp.off;
	b->end = tmp.end;
	return CUT_OK;
}
