/*
 * One host's protocol session: bytes from host_step() go through the
 * resumable frame reader, whole frames are decoded and dispatched. Frames
 * out are encoded into a scratch buf and queued on the host; archive bytes
 * are queued by reference so N hosts share one mapping of the archive.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fsutil.h"
#include "proto.h"
#include "session.h"
#include "untrusted.h"

/* Queue the frames in b on the host and empty b. */
static int
flush_buf(struct sess *s, struct buf *b)
{
	int r = host_write(s->h, buf_ptr(b), buf_len(b));

	buf_free(b);
	return r;
}

static int
on_open(struct host *h, void *user)
{
	struct sess *s = user;
	struct buf b;
	int r;

	/* The agent's HELLO is due within the connect timeout. */
	h->op_deadline = mono_ms() + h->conf->s.connect_timeout * 1000;
	h->awaiting_hello = 1;
	buf_init(&b, PROTO_FRAME_MAX);
	if ((r = msg_put_hello(&b, PROTO_MAJOR, PROTO_MINOR, PROTO_CAPS)) != CUT_OK) {
		buf_free(&b);
		return r;
	}
	return flush_buf(s, &b);
}

/* The agent's idle timeout from its HELLO ("idle=SECONDS"), 0 when it has none. */
static long long
caps_idle(const char *caps)
{
	const char *p = caps ? strstr(caps, "idle=") : NULL;

	if (p == NULL || (p != caps && p[-1] != ' '))
		return 0;
	return strtoll(p + 5, NULL, 10);
}

/* Act on one decoded message; a negative return fails the host. */
static int
dispatch(struct sess *s, const struct msg *m)
{
	if (!s->ready && m->type != MSG_HELLO && m->type != MSG_ERROR) {
		snprintf(s->h->msg, sizeof(s->h->msg), "agent sent %s before HELLO", msg_type_name(m->type));
		return CUT_ERR_PROTOCOL;
	}
	switch (m->type) {
	case MSG_HELLO:
		if (s->ready) {
			snprintf(s->h->msg, sizeof(s->h->msg), "agent sent a second HELLO");
			return CUT_ERR_PROTOCOL;
		}
		if (m->major != PROTO_MAJOR) {
			snprintf(s->h->msg, sizeof(s->h->msg),
			    "protocol version mismatch: agent speaks %u.%u, we speak %d.%d",
			    m->major, m->minor, PROTO_MAJOR, PROTO_MINOR);
			return CUT_ERR_VERSION;
		}
		free(s->caps);
		s->caps = strdup(m->caps ? m->caps : "");
		s->idle_s = caps_idle(s->caps);
		s->ready = 1;
		s->h->op_deadline = 0;
		s->h->awaiting_hello = 0;
		if (s->on_ready)
			s->on_ready(s);
		return CUT_OK;
	case MSG_ERROR:
		snprintf(s->h->msg, sizeof(s->h->msg), "agent: %s", m->message ? m->message : "error");
		return m->code < 0 ? m->code : CUT_ERR_PROTOCOL;
	case MSG_EVENT:
	case MSG_RECORD:
	case MSG_RESULT:
		if (s->ping_id != 0 && m->req_id == s->ping_id) {
			if (m->type == MSG_RESULT)
				s->ping_id = 0;
			return CUT_OK;
		}
		if (!s->busy || m->req_id != s->cur_id) {
			snprintf(s->h->msg, sizeof(s->h->msg), "agent sent %s for request %u, none outstanding",
			    msg_type_name(m->type), m->req_id);
			return CUT_ERR_PROTOCOL;
		}
		if (m->type != MSG_RESULT) {
			if (s->on_event)
				s->on_event(s, m);
			return CUT_OK;
		}
		s->busy = 0;
		s->h->op_deadline = 0;
		if (s->on_result)
			s->on_result(s, m);
		return CUT_OK;
	default:
		snprintf(s->h->msg, sizeof(s->h->msg), "agent sent unexpected %s", msg_type_name(m->type));
		return CUT_ERR_PROTOCOL;
	}
}

static int
on_read(struct host *h, const unsigned char *p, size_t len, void *user)
{
	struct sess *s = user;
	struct frame f;
	struct msg m;

	while (len > 0) {
		size_t n = frame_reader_space(&s->fr);
		if (n == 0)
			return CUT_ERR_BUF_FULL;
		if (n > len)
			n = len;
		int r;

		if ((r = frame_reader_feed(&s->fr, p, n)) != CUT_OK)
			return r;
		p += n;
		len -= n;
		while ((r = frame_reader_next(&s->fr, &f)) == 1) {
			r = msg_decode(&f, &m);
			if (r != CUT_OK)
				snprintf(h->msg, sizeof(h->msg), "malformed frame from agent: %s", cut_err(r));
			else if ((r = untrusted_check(&m, h->msg, sizeof(h->msg))) == CUT_OK)
				r = dispatch(s, &m);
			msg_free(&m);
			if (r != CUT_OK)
				return r;
			if (host_is_final(h))
				return CUT_OK;
		}
		if (r < 0) {
			snprintf(h->msg, sizeof(h->msg), "bad frame from agent: %s", cut_err(r));
			return r;
		}
	}
	return CUT_OK;
}

int
sess_attach(struct sess *s, struct host *h, void *user)
{
	memset(s, 0, sizeof(*s));
	s->h = h;
	s->user = user;
	s->next_id = 1;
	frame_reader_init(&s->fr);
	h->on_open = on_open;
	h->on_read = on_read;
	h->user = s;
	return CUT_OK;
}

void
sess_detach(struct sess *s)
{
	frame_reader_free(&s->fr);
	free(s->caps);
	s->caps = NULL;
}

int
sess_request(struct sess *s, const char *op, const char *app, const struct kvlist *args)
{
	struct kvlist empty = KVLIST_INIT;
	struct buf b;
	int r;

	if (!s->ready || s->busy || host_is_final(s->h))
		return CUT_ERR_INTERNAL;
	buf_init(&b, PROTO_FRAME_MAX);
	s->cur_id = s->next_id++;
	if ((r = msg_put_request(&b, s->cur_id, op, app, args ? args : &empty)) != CUT_OK) {
		buf_free(&b);
		return r;
	}
	if ((r = flush_buf(s, &b)) != CUT_OK)
		return r;
	s->busy = 1;
	s->last_sent = mono_ms();
	s->h->op_deadline = s->last_sent + s->h->conf->s.op_timeout * 1000;
	return CUT_OK;
}

void
sess_keepalive(struct sess *s, long long now)
{
	struct kvlist none = KVLIST_INIT;
	struct buf b;

	if (!s->ready || s->busy || s->ping_id != 0 || s->idle_s <= 0 || host_is_final(s->h) ||
	    now - s->last_sent < s->idle_s * 1000 / 3)
		return;
	buf_init(&b, PROTO_FRAME_MAX);
	if (msg_put_request(&b, s->next_id, "ping", "", &none) == CUT_OK && flush_buf(s, &b) == CUT_OK) {
		s->ping_id = s->next_id++;
		s->last_sent = now;
	} else
		buf_free(&b);
}

/* Big-endian u32 into p. */
static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

int
sess_upload(struct sess *s, const unsigned char *base, size_t len, const char *sha256hex)
{
	unsigned char hdr[13];
	struct buf b;
	size_t off, n;
	int r;

	for (off = 0; off < len; off += n) {
		n = len - off < PROTO_DATA_MAX ? len - off : PROTO_DATA_MAX;
		/* length = type + req_id + string length + bytes */
		put_be32(hdr, (uint32_t)(1 + 4 + 4 + n));
		hdr[4] = MSG_DATA;
		put_be32(hdr + 5, s->cur_id);
		put_be32(hdr + 9, (uint32_t)n);
		if ((r = host_write(s->h, hdr, sizeof(hdr))) != CUT_OK ||
		    (r = host_write_ref(s->h, base + off, n)) != CUT_OK)
			return r;
	}
	buf_init(&b, PROTO_FRAME_MAX);
	if ((r = msg_put_data_end(&b, s->cur_id, sha256hex)) != CUT_OK) {
		buf_free(&b);
		return r;
	}
	return flush_buf(s, &b);
}

int
sess_has_cap(const struct sess *s, const char *cap)
{
	return msg_caps_has(s->caps, cap);
}
