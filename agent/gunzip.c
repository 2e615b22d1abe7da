/*
 * gzip (RFC 1952) over zlib's raw inflate: we parse the member header and
 * trailer ourselves, with caps, and check CRC-32 and ISIZE. See gunzip.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "gunzip.h"

#define GZ_OUT		(256 * 1024)	/* decompressed bytes per read */

/* RFC 1952, 2.3.1: FLG bits. */
#define GZ_FHCRC	0x02
#define GZ_FEXTRA	0x04
#define GZ_FNAME	0x08
#define GZ_FCOMMENT	0x10
#define GZ_FRESERVED	0xe0

enum gz_state { GZ_HEADER, GZ_BODY, GZ_TRAILER, GZ_NEXT, GZ_DONE, GZ_FAILED };

struct gunzip {
	gunzip_pull_fn pull;
	void *ctx;
	enum gz_state state;
	z_stream z;
	int zinit;
	const unsigned char *in;	/* unread raw bytes of the last pull */
	size_t inlen;
	int magic_read;		/* the next member's ID1 ID2 are already consumed */
	uLong hcrc;		/* CRC-32 of the header bytes (FHCRC) */
	uLong crc;		/* CRC-32 of the member's data so far */
	uint32_t isize;		/* its length, modulo 2^32 */
	long long member;	/* 1-based */
	int last;		/* the error GZ_FAILED repeats */
	char err[256];
	unsigned char out[GZ_OUT];
};

struct gunzip *
gunzip_new(gunzip_pull_fn pull, void *ctx)
{
	struct gunzip *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->pull = pull;
	g->ctx = ctx;
	g->state = GZ_HEADER;
	/* Raw deflate (negative window bits): the gzip framing is ours. */
	if (inflateInit2(&g->z, -MAX_WBITS) != Z_OK) {
		free(g);
		return NULL;
	}
	g->zinit = 1;
	return g;
}

void
gunzip_free(struct gunzip *g)
{
	if (g == NULL)
		return;
	if (g->zinit)
		inflateEnd(&g->z);
	free(g);
}

const char *
gunzip_error(const struct gunzip *g)
{
	return g->err;
}

size_t
gunzip_leftover(const struct gunzip *g)
{
	return g->inlen;
}

static ssize_t __attribute__((format(printf, 2, 3)))
gz_fail(struct gunzip *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->err, sizeof(g->err), fmt, ap);
	va_end(ap);
	g->state = GZ_FAILED;
	g->last = GUNZIP_ERR_DATA;
	return GUNZIP_ERR_DATA;
}

/* More raw input when none is left: 1, 0 at the end, or GUNZIP_ERR_SOURCE. */
static int
gz_fill(struct gunzip *g)
{
	ssize_t n;

	if (g->inlen > 0)
		return 1;
	n = g->pull(g->ctx, &g->in);
	if (n < 0) {
		g->state = GZ_FAILED;
		g->last = GUNZIP_ERR_SOURCE;
		return GUNZIP_ERR_SOURCE;
	}
	g->inlen = (size_t)n;
	return n > 0;
}

/* One raw byte into *c (added to the header CRC): 1, 0 at the end, or < 0. */
static int
gz_byte(struct gunzip *g, unsigned char *c)
{
	int r = gz_fill(g);

	if (r <= 0)
		return r;
	*c = *g->in++;
	g->inlen--;
	g->hcrc = crc32(g->hcrc, c, 1);
	return 1;
}

/* n header bytes, little-endian, into *v. */
static int
gz_le(struct gunzip *g, int n, uint32_t *v)
{
	unsigned char c;
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		int r = gz_byte(g, &c);

		if (r <= 0)
			return r;
		*v |= (uint32_t)c << (8 * i);
	}
	return 1;
}

/* Skip a zero-terminated field of at most max bytes. */
static int
gz_skip_string(struct gunzip *g, size_t max, const char *what)
{
	unsigned char c = 1;
	size_t n = 0;

	while (c != 0) {
		int r = gz_byte(g, &c);

		if (r <= 0)
			return r;
		if (++n > max) {
			gz_fail(g, "gzip header: %s field longer than %zu bytes", what, max);
			return GUNZIP_ERR_DATA;
		}
	}
	return 1;
}

/* Skip FEXTRA: its length is 16 bits, so at most 65535 bytes go by unstored. */
static int
gz_skip_extra(struct gunzip *g)
{
	uint32_t xlen;
	int r;

	if ((r = gz_le(g, 2, &xlen)) <= 0)
		return r;
	while (xlen > 0) {
		size_t k;

		if ((r = gz_fill(g)) <= 0)
			return r;
		k = g->inlen < xlen ? g->inlen : xlen;
		g->hcrc = crc32(g->hcrc, g->in, (uInt)k);
		g->in += k;
		g->inlen -= k;
		xlen -= (uint32_t)k;
	}
	return 1;
}

/* The member header (RFC 1952, 2.3), checked; 1 when the body may start. */
static int
gz_member_header(struct gunzip *g)
{
	unsigned char b[10];
	uint32_t want;
	int i = 0, r;

	g->hcrc = crc32(0L, Z_NULL, 0);
	if (g->magic_read) {
		b[0] = 0x1f;
		b[1] = 0x8b;
		g->hcrc = crc32(g->hcrc, b, 2);
		i = 2;
	}
	for (; i < 10; i++)
		if ((r = gz_byte(g, &b[i])) <= 0)
			goto short_header;
	if (b[0] != 0x1f || b[1] != 0x8b)
		return (int)gz_fail(g, "not gzip data");
	if (b[2] != Z_DEFLATED)
		return (int)gz_fail(g, "gzip: compression method %u is not deflate", b[2]);
	if (b[3] & GZ_FRESERVED)
		return (int)gz_fail(g, "gzip header: reserved flag bits set (0x%02x)", b[3]);
	if ((b[3] & GZ_FEXTRA) && (r = gz_skip_extra(g)) <= 0)
		goto short_header;
	if ((b[3] & GZ_FNAME) &&
	    (r = gz_skip_string(g, GUNZIP_NAME_MAX, "file name")) <= 0)
		goto short_header;
	if ((b[3] & GZ_FCOMMENT) &&
	    (r = gz_skip_string(g, GUNZIP_COMMENT_MAX, "comment")) <= 0)
		goto short_header;
	if (b[3] & GZ_FHCRC) {
		uLong got = g->hcrc & 0xffff;

		if ((r = gz_le(g, 2, &want)) <= 0)
			goto short_header;
		if (got != want)
			return (int)gz_fail(g, "gzip header: header CRC mismatch");
	}
	return 1;
short_header:
	if (r == 0)
		return (int)gz_fail(g, "gzip data truncated in a member header");
	return r;
}

/* The trailer: CRC-32 and ISIZE of what we inflated. */
static int
gz_trailer(struct gunzip *g)
{
	uint32_t crc, isize;
	int r;

	if ((r = gz_le(g, 4, &crc)) <= 0 || (r = gz_le(g, 4, &isize)) <= 0) {
		if (r == 0)
			return (int)gz_fail(g, "gzip data truncated in member %lld's trailer",
			    g->member);
		return r;
	}
	if (crc != (uint32_t)g->crc)
		return (int)gz_fail(g, "gzip member %lld: CRC-32 mismatch (data corrupt)",
		    g->member);
	if (isize != g->isize)
		return (int)gz_fail(g, "gzip member %lld: length mismatch (%u bytes "
		    "decompressed, trailer says %u)", g->member, (unsigned)g->isize,
		    (unsigned)isize);
	return 1;
}

/* After a member: another one (1f 8b), the end, or trailing bytes (also the end). */
static int
gz_next(struct gunzip *g)
{
	int r;

	if ((r = gz_fill(g)) <= 0)
		return r < 0 ? r : 0;
	if (g->in[0] != 0x1f)
		return 0;
	if (g->inlen >= 2 && g->in[1] != 0x8b)
		return 0;
	g->in++;
	g->inlen--;
	if ((r = gz_fill(g)) <= 0)
		return r < 0 ? r : 0;
	if (g->in[0] != 0x8b)
		return 0;	/* one byte of junk went by unseen: it was hashed */
	g->in++;
	g->inlen--;
	g->magic_read = 1;
	return 1;
}

/* Inflate until some output or the member's end. */
static ssize_t
gz_body(struct gunzip *g, const void **buf)
{
	for (;;) {
		size_t used, made;
		int r;

		if ((r = gz_fill(g)) < 0)
			return r;
		if (r == 0)
			return gz_fail(g, "gzip data truncated (member %lld has no end)",
			    g->member);
		g->z.next_in = (Bytef *)(uintptr_t)g->in;
		g->z.avail_in = g->inlen > UINT32_MAX ? UINT32_MAX : (uInt)g->inlen;
		g->z.next_out = g->out;
		g->z.avail_out = sizeof(g->out);
		used = g->z.avail_in;
		r = inflate(&g->z, Z_NO_FLUSH);
		used -= g->z.avail_in;
		g->in += used;
		g->inlen -= used;
		made = sizeof(g->out) - g->z.avail_out;
		if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
			return gz_fail(g, "gzip member %lld: corrupt deflate data (%s)",
			    g->member, g->z.msg != NULL ? g->z.msg : "zlib error");
		if (made == 0 && used == 0 && r != Z_STREAM_END)
			return gz_fail(g, "gzip member %lld: inflate makes no progress",
			    g->member);
		g->crc = crc32(g->crc, g->out, (uInt)made);
		g->isize += (uint32_t)made;
		if (r == Z_STREAM_END)
			g->state = GZ_TRAILER;
		if (made > 0) {
			*buf = g->out;
			return (ssize_t)made;
		}
		if (r == Z_STREAM_END)
			return 0;
	}
}

ssize_t
gunzip_read(struct gunzip *g, const void **buf)
{
	ssize_t n;
	int r;

	*buf = NULL;
	for (;;) {
		switch (g->state) {
		case GZ_HEADER:
			if ((r = gz_member_header(g)) <= 0)
				return r < 0 ? r : gz_fail(g, "gzip data truncated");
			g->magic_read = 0;
			g->member++;
			g->crc = crc32(0L, Z_NULL, 0);
			g->isize = 0;
			if (inflateReset(&g->z) != Z_OK)
				return gz_fail(g, "gzip: cannot reset the inflater");
			g->state = GZ_BODY;
			break;
		case GZ_BODY:
			if ((n = gz_body(g, buf)) != 0)
				return n;
			break;
		case GZ_TRAILER:
			if ((r = gz_trailer(g)) <= 0)
				return r;
			g->state = GZ_NEXT;
			break;
		case GZ_NEXT:
			if ((r = gz_next(g)) < 0)
				return r;
			g->state = r == 1 ? GZ_HEADER : GZ_DONE;
			break;
		case GZ_DONE:
			return 0;
		case GZ_FAILED:
		default:
			return g->last != 0 ? g->last : GUNZIP_ERR_DATA;
		}
	}
}
