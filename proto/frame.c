#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>

#include "err.h"
#include "frame.h"
#include "fsutil.h"
#include "proto.h"

/* One read never asks for more than a DATA frame and its headers. */
#define FRAME_READ_CHUNK	(PROTO_DATA_MAX + 64)
/* Writes after POLLOUT of at most PIPE_BUF bytes never block on a pipe. */
#define FRAME_WRITE_CHUNK	PIPE_BUF

void
frame_reader_init(struct frame_reader *fr)
{
	buf_init(&fr->in, PROTO_INBUF_MAX);
	fr->pending = 0;
	fr->err = 0;
}

void
frame_reader_free(struct frame_reader *fr)
{
	buf_free(&fr->in);
	fr->pending = 0;
}

/* The last frame handed out stays readable until the caller comes back. */
static void
drop_pending(struct frame_reader *fr)
{
	if (fr->pending > 0) {
		(void)buf_consume(&fr->in, fr->pending);
		fr->pending = 0;
	}
}

size_t
frame_reader_space(const struct frame_reader *fr)
{
	return buf_avail(&fr->in) + fr->pending;
}

size_t
frame_reader_buffered(const struct frame_reader *fr)
{
	return buf_len(&fr->in) - fr->pending;
}

int
frame_reader_feed(struct frame_reader *fr, const void *p, size_t len)
{
	if (fr->err)
		return fr->err;
	drop_pending(fr);
	return buf_put(&fr->in, p, len);
}

/* Length checks happen on the header alone, so a body is never awaited in vain. */
int
frame_reader_next(struct frame_reader *fr, struct frame *f)
{
	uint32_t len;

	f->type = 0;
	f->payload = NULL;
	f->len = 0;
	if (fr->err)
		return fr->err;
	drop_pending(fr);
	if (buf_peek_u32(&fr->in, &len) != CUT_OK)
		return 0;
	if (len == 0)
		return fr->err = CUT_ERR_PROTOCOL;
	if (len > PROTO_FRAME_MAX)
		return fr->err = CUT_ERR_TOO_LARGE;
	if (buf_len(&fr->in) - PROTO_HEADER_LEN < len)
		return 0;
	f->type = buf_ptr(&fr->in)[PROTO_HEADER_LEN];
	f->payload = buf_ptr(&fr->in) + PROTO_HEADER_LEN + 1;
	f->len = (size_t)len - 1;
	fr->pending = PROTO_HEADER_LEN + (size_t)len;
	return 1;
}

ssize_t
frame_reader_read_fd(struct frame_reader *fr, int fd)
{
	size_t want;
	unsigned char *p;
	ssize_t n;
	int r;

	if (fr->err)
		return fr->err;
	drop_pending(fr);
	want = buf_avail(&fr->in);
	if (want > FRAME_READ_CHUNK)
		want = FRAME_READ_CHUNK;
	if (want == 0)
		return 0;
	if ((r = buf_reserve(&fr->in, want, &p)) != CUT_OK)
		return r;
	do {
		n = read(fd, p, want);
	} while (n < 0 && errno == EINTR);
	(void)buf_unreserve(&fr->in, n > 0 ? want - (size_t)n : want);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : CUT_ERR_SYSTEM;
	if (n == 0)
		return CUT_ERR_EOF;
	return n;
}

/* Milliseconds left before deadline (-1: none), never negative otherwise. */
static int
remaining_ms(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - mono_ms();
	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* Wait for one of events on fd; 1 ready, CUT_ERR_TIMEOUT, CUT_ERR_SYSTEM. */
static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		int n = poll(&pfd, 1, remaining_ms(deadline));

		if (n > 0)
			return 1;
		if (n == 0)
			return CUT_ERR_TIMEOUT;
		if (errno != EINTR && errno != EAGAIN)
			return CUT_ERR_SYSTEM;
	}
}

int
frame_read_fd(int fd, struct frame_reader *fr, struct frame *f, int timeout_ms)
{
	long long deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;

	for (;;) {
		ssize_t n;
		int r;

		if ((r = frame_reader_next(fr, f)) != 0)
			return r < 0 ? r : CUT_OK;
		if ((r = wait_fd(fd, POLLIN, deadline)) < 0)
			return r;
		n = frame_reader_read_fd(fr, fd);
		if (n == CUT_ERR_EOF)
			return frame_reader_buffered(fr) > 0 ? CUT_ERR_BUF_SHORT : CUT_ERR_EOF;
		if (n < 0)
			return (int)n;
	}
}

int
frame_begin(struct buf *out, uint8_t type, size_t *mark)
{
	int r;

	*mark = buf_len(out);
	if ((r = buf_check_reserve(out, PROTO_HEADER_LEN + 1)) != CUT_OK)
		return r;
	(void)buf_put_u32(out, 0);
	return buf_put_u8(out, type);
}

void
frame_abort(struct buf *out, size_t mark)
{
	if (mark <= buf_len(out))
		(void)buf_unreserve(out, buf_len(out) - mark);
}

int
frame_end(struct buf *out, size_t mark)
{
	size_t len;

	if (mark > buf_len(out) || buf_len(out) - mark < PROTO_HEADER_LEN + 1)
		return CUT_ERR_INTERNAL;
	len = buf_len(out) - mark - PROTO_HEADER_LEN;
	if (len > PROTO_FRAME_MAX) {
		frame_abort(out, mark);
		return CUT_ERR_TOO_LARGE;
	}
	return buf_poke_u32(out, mark, (uint32_t)len);
}

int
frame_put(struct buf *out, uint8_t type, const void *payload, size_t len)
{
	size_t mark;
	int r;

	if ((r = frame_begin(out, type, &mark)) != CUT_OK)
		return r;
	if ((r = buf_put(out, payload, len)) != CUT_OK) {
		frame_abort(out, mark);
		return r;
	}
	return frame_end(out, mark);
}

ssize_t
frame_write_some_fd(int fd, struct buf *out)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t total = 0;

	while (buf_len(out) > 0) {
		size_t chunk;
		ssize_t n;

		if (poll(&pfd, 1, 0) <= 0 || (pfd.revents & POLLOUT) == 0) {
			if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
				return total > 0 ? total : CUT_ERR_EOF;
			break;
		}
		chunk = buf_len(out) < FRAME_WRITE_CHUNK ? buf_len(out) : FRAME_WRITE_CHUNK;
		n = write(fd, buf_ptr(out), chunk);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return errno == EPIPE ? CUT_ERR_EOF : CUT_ERR_SYSTEM;
		}
		(void)buf_consume(out, (size_t)n);
		total += n;
	}
	return total;
}

int
frame_flush_fd(int fd, struct buf *out, int timeout_ms)
{
	long long deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;

	while (buf_len(out) > 0) {
		ssize_t n;
		int r;

		if ((r = wait_fd(fd, POLLOUT, deadline)) < 0)
			return r;
		if ((n = frame_write_some_fd(fd, out)) < 0)
			return (int)n;
	}
	return CUT_OK;
}
