/*
 * The serve loop: frames in, handlers, frames out. See serve.h for the
 * shape and proto/PROTOCOL for the rules it enforces.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>


#include "agent_conf.h"
#include "app.h"
#include "err.h"
#include "frame.h"
#include "fsutil.h"
#include "ident.h"
#include "interrupt.h"
#include "journal.h"
#include "log.h"
#include "msg.h"
#include "ops.h"
#include "proto.h"
#include "serve.h"
#include "sha256.h"
#include "sigcheck.h"
#include "state.h"
#include "unpack.h"

/* Output queue: several worst-case replies; input stops while it is this full. */
#define OBUF_MAX	(4 * (PROTO_FRAME_MAX + PROTO_HEADER_LEN))
/* Above this many queued bytes a sender waits for the peer to read. */
#define OBUF_HIGH	(256 * 1024)
#define IO_TIMEOUT_MS	(PROTO_IO_TIMEOUT * 1000)
#define WAIT_MAX	86400
/* The wait arg of a request (lock, and every op that locks): proto/PROTOCOL. */
#define WAIT_ARG_MAX	3600

enum upload_state {
	UP_NONE = 0,	/* no upload in progress */
	UP_ACTIVE,	/* install/deploy is pulling DATA frames */
	UP_DONE,	/* DATA_END seen and accepted */
	UP_FAILED	/* cut off, timed out, bad checksum: err says why */
};

struct serve {
	int in, out;
	const struct serve_opts *opts;
	struct frame_reader fr;
	struct buf obuf;
	int out_dead;		/* the peer stopped reading: drop output */
	int fatal;		/* protocol error seen: the session ends */
	char fatal_msg[512];
	int eof;		/* input closed */
	uint32_t req_id;	/* request being handled, echoed in EVENT/RECORD */
	int discard;		/* drop in-flight DATA/DATA_END of discard_id */
	uint32_t discard_id;
	/* the upload of the current install/deploy */
	enum upload_state up;
	int up_err;
	const char *up_want;	/* REQUEST sha256 (lower-case) or NULL */
	struct sha256 up_md;	/* hashing when no sha256 was given up front */
	/* the app locked for the session by `lock` */
	int have_lock;
	char *lock_name;
	struct app lock_app;
	struct sink sink;	/* every operation's EVENT/RECORD frames, for req_id */
	/* journal identity (ident.h): the session's (key) and the request's */
	struct kvlist session_who;
	struct kvlist who;
};

struct handler {
	const char *op;
	int flags;
#define H_LOCK		0x01	/* changes disk: runs under the app lock */
#define H_UPLOAD	0x02	/* reads the archive from DATA frames */
#define H_NOAPP		0x04	/* manages the session lock itself */
#define H_IDENT		0x08	/* journals: takes the rollout, kind, actor args */
#define H_SESSION	0x10	/* needs no app at all */
#define H_FORCE		0x20	/* switches: takes force_schema (the migration guard's override) */
	int (*fn)(struct serve *s, const struct msg *req, struct app *app,
	    struct kvlist *res);
	/* Checks the args before the app is opened or locked; may be NULL. */
	int (*pre)(const struct msg *req, struct kvlist *res);
};

/* A protocol error: remember the first one; the loop sends ERROR and ends. */
static int
proto_fail(struct serve *s, int code, const char *fmt, ...)
{
	if (!s->fatal) {
		va_list ap;

		s->fatal = code;
		va_start(ap, fmt);
		vsnprintf(s->fatal_msg, sizeof(s->fatal_msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

/*
 * Wait until a frame is complete, meanwhile writing queued output. Input
 * is not read while the output queue could not take a worst-case reply.
 * timeout_ms < 0 waits for ever; with idle set, every byte that arrives
 * starts the timeout again (the idle timeout counts silence, not frames).
 */
static int
next_frame(struct serve *s, struct frame *f, int timeout_ms, int idle)
{
	long long deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;

	for (;;) {
		struct pollfd pfd[2];
		int r, n, ms = -1;

		if ((r = frame_reader_next(&s->fr, f)) == 1)
			return CUT_OK;
		if (r < 0)
			return proto_fail(s, r, "bad frame: %s", cut_err(r));
		/* SIGTERM/SIGINT/SIGHUP: leave (an upload fails and is undone). */
		if (interrupted())
			return CUT_ERR_FAILED;
		if (s->out_dead)
			buf_reset(&s->obuf);
		if (deadline >= 0) {
			long long left = deadline - mono_ms();

			if (left <= 0)
				return CUT_ERR_TIMEOUT;
			ms = left > 86400000 ? 86400000 : (int)left;
		}
		/* A signal just before poll() is seen at the next wake-up. */
		if (ms < 0 || ms > 250)
			ms = 250;
		/* fd -1: poll ignores it, so a hung-up idle side cannot spin us */
		pfd[0].fd = buf_avail(&s->obuf) >= PROTO_FRAME_MAX + PROTO_HEADER_LEN &&
		    frame_reader_space(&s->fr) > 0 ? s->in : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = buf_len(&s->obuf) > 0 ? s->out : -1;
		pfd[1].events = POLLOUT;
		pfd[0].revents = pfd[1].revents = 0;
		n = poll(pfd, 2, ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return CUT_ERR_SYSTEM;
		}
		if (n == 0)
			continue;	/* deadline and signals re-checked above */
		if (pfd[1].revents != 0 && frame_write_some_fd(s->out, &s->obuf) < 0)
			s->out_dead = 1;
		if (pfd[0].revents != 0) {
			ssize_t got = frame_reader_read_fd(&s->fr, s->in);

			if (got == CUT_ERR_EOF) {
				s->eof = 1;
				return frame_reader_buffered(&s->fr) > 0 ?
				    proto_fail(s, CUT_ERR_BUF_SHORT, "stream ended inside a frame") :
				    CUT_ERR_EOF;
			}
			if (got < 0)
				return (int)got;
			if (idle && got > 0 && deadline >= 0)
				deadline = mono_ms() + timeout_ms;
		}
	}
}

/* Write everything queued, waiting at most timeout_ms. */
static int
flush_out(struct serve *s, int timeout_ms)
{
	int r;

	if (s->out_dead) {
		buf_reset(&s->obuf);
		return CUT_ERR_EOF;
	}
	if ((r = frame_flush_fd(s->out, &s->obuf, timeout_ms)) != CUT_OK) {
		s->out_dead = 1;
		buf_reset(&s->obuf);
		log_error("serve: cannot write to the client: %s", cut_err(r));
	}
	return r;
}

/* Keep the queue bounded: past the high mark, wait for the peer to read. */
static void
queued(struct serve *s)
{
	if (buf_len(&s->obuf) > OBUF_HIGH)
		(void)flush_out(s, IO_TIMEOUT_MS);
}

/*
 * Progress goes out as it happens, not with the RESULT: the coordinator
 * shows hook output and health attempts live and stamps them when they
 * arrive. Write what the pipe takes now without waiting; queued() bounds
 * the rest.
 */
static void
sink_event_frame(void *ctx, const struct kvlist *ev)
{
	struct serve *s = ctx;
	int r;

	if (s->out_dead)
		return;
	if ((r = msg_put_event(&s->obuf, s->req_id, ev)) != CUT_OK)
		log_debug("serve: event not sent: %s", cut_err(r));
	if (frame_write_some_fd(s->out, &s->obuf) < 0)
		s->out_dead = 1;
	queued(s);
}

static void
sink_record_frame(void *ctx, const struct kvlist *rec)
{
	struct serve *s = ctx;
	int r;

	if (s->out_dead)
		return;
	if ((r = msg_put_record(&s->obuf, s->req_id, rec)) != CUT_OK)
		log_debug("serve: record not sent: %s", cut_err(r));
	queued(s);
}

/* The end of the stream: check DATA_END's digest against what arrived. */
static int
upload_finish(struct serve *s, const char *sha)
{
	unsigned char md[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];

	if (sha[0] == '\0')
		return CUT_OK;
	if (s->up_want != NULL) {
		if (strcmp(sha, s->up_want) == 0)
			return CUT_OK;
		log_error("serve: DATA_END sha256 %s differs from the request's %s", sha, s->up_want);
		return CUT_ERR_CHECKSUM;
	}
	if (sha256_final(&s->up_md, md) != CUT_OK)
		return CUT_ERR_INTERNAL;
	sha256_hex(md, hex);
	if (strcmp(hex, sha) != 0) {
		log_error("serve: upload sha256 is %s, DATA_END says %s", hex, sha);
		return CUT_ERR_CHECKSUM;
	}
	return CUT_OK;
}

/*
 * byte_source read() of an upload: the next DATA frame's bytes, straight
 * out of the frame reader (valid until the next call), 0 after DATA_END.
 * Anything else, EOF or silence for PROTO_IO_TIMEOUT cuts the upload off
 * with an error, so the install fails and leaves nothing behind.
 */
static ssize_t
upload_read(void *ctx, const void **bufp)
{
	struct serve *s = ctx;
	struct frame f;
	struct msg m;
	int r;

	*bufp = NULL;
	if (s->up == UP_DONE)
		return 0;
	if (s->up != UP_ACTIVE)
		return s->up_err;
	for (;;) {
		if ((r = next_frame(s, &f, IO_TIMEOUT_MS, 0)) != CUT_OK)
			goto cut;
		if ((r = msg_decode(&f, &m)) != CUT_OK) {
			proto_fail(s, r, "malformed %s frame during upload: %s",
			    msg_type_name(f.type), cut_err(r));
			goto cut;
		}
		if ((m.type != MSG_DATA && m.type != MSG_DATA_END) || m.req_id != s->req_id) {
			proto_fail(s, CUT_ERR_PROTOCOL, "%s for request %u during the upload "
			    "of request %u", msg_type_name(m.type), m.req_id, s->req_id);
			msg_free(&m);
			r = CUT_ERR_PROTOCOL;
			goto cut;
		}
		if (m.type == MSG_DATA_END) {
			r = upload_finish(s, m.sha256);
			msg_free(&m);
			if (r != CUT_OK)
				goto cut;
			s->up = UP_DONE;
			return 0;
		}
		if (m.datalen == 0) {
			msg_free(&m);
			continue;
		}
		if (s->up_md.md != NULL && sha256_update(&s->up_md, m.data, m.datalen) != CUT_OK) {
			msg_free(&m);
			r = CUT_ERR_INTERNAL;
			goto cut;
		}
		*bufp = m.data;		/* lives in the reader until the next frame */
		r = (int)m.datalen;
		msg_free(&m);
		return r;
	}
cut:
	if (r == CUT_ERR_EOF)
		log_error("serve: upload of request %u cut off: client closed the stream", s->req_id);
	else if (r == CUT_ERR_TIMEOUT)
		log_error("serve: upload of request %u cut off: no data for %d s",
		    s->req_id, PROTO_IO_TIMEOUT);
	s->up = UP_FAILED;
	s->up_err = r;
	return r;
}

static const char *
arg(const struct msg *req, const char *key)
{
	const char *v = kv_get(&req->kv, key);

	return v != NULL && *v != '\0' ? v : NULL;
}

/*
 * The (locked) app's releases/ID when it was unpacked from this very
 * archive, else NULL.
 */
static const struct release_info *
have_release(struct app *app, const char *id, const char *sha)
{
	const struct state *st;
	const struct release_info *ri;

	if (app_state(app, &st) != CUT_OK)
		return NULL;
	ri = state_find(st, id);
	return ri != NULL && ri->on_disk && strcmp(ri->sha256, sha) == 0 ? ri : NULL;
}

/*
 * A digest arg (sha256, archive_sha256) into out as lower-case hex. 0 when
 * absent (out empty), 1 when set, or a CUT_ERR_CHECKSUM naming the key.
 */
static int
digest_arg(const struct msg *req, const char *key, char out[PROTO_SHA256_HEX + 1],
    struct kvlist *res)
{
	const char *p = arg(req, key);
	size_t i;

	out[0] = '\0';
	if (p == NULL)
		return 0;
	for (i = 0; i < PROTO_SHA256_HEX && isxdigit((unsigned char)p[i]); i++)
		out[i] = (char)tolower((unsigned char)p[i]);
	out[i] = '\0';
	if (p[i] != '\0' || i != PROTO_SHA256_HEX) {
		out[0] = '\0';
		return op_fail(res, CUT_ERR_CHECKSUM, "%s: \"%.100s\" is not 64 hex digits",
		    key, p);
	}
	return 1;
}

/*
 * install and deploy: shortcut when the release is here, else stream DATA.
 * The release's identity is archive_sha256 when given (a recompressed
 * upload, PROTOCOL section 5), else sha256.
 */
static int
h_upload(struct serve *s, const struct msg *req, struct app *app, struct kvlist *res)
{
	int deploy = strcmp(req->op, "deploy") == 0;
	struct install_req ir = { 0 };
	struct byte_source src = { upload_read, s };
	char sha[PROTO_SHA256_HEX + 1], orig[PROTO_SHA256_HEX + 1];
	const char *ident;
	const struct release_info *ri;
	int r;

	ir.release = arg(req, "release");
	ir.signature = arg(req, "signature");
	ir.url = arg(req, "url");
	ir.archive_name = arg(req, "archive_name");
	if (ir.archive_name == NULL)
		ir.archive_name = ir.url;
	if (ir.archive_name == NULL)
		ir.archive_name = ir.release;
	if (ir.archive_name == NULL)
		return op_fail(res, CUT_ERR_USAGE, "%s needs a release or an archive_name", req->op);
	if ((r = digest_arg(req, "sha256", sha, res)) < 0 ||
	    (r = digest_arg(req, "archive_sha256", orig, res)) < 0)
		return r;
	ir.sha256 = sha[0] ? sha : NULL;
	ir.archive_sha256 = orig[0] ? orig : NULL;
	ident = orig[0] ? orig : sha[0] ? sha : NULL;
	if (ir.release != NULL && ident != NULL && (ri = have_release(app, ir.release, ident)) != NULL) {
		char why[512];

		/* No bytes to check: under require_signature its install must have verified one. */
		if ((r = sigcheck_installed(&app->conf, ir.release, ri->signature_key, ir.signature,
		    why, sizeof(why))) != CUT_OK)
			return op_fail(res, r, "%s", why);
		if (deploy) {
			/* The same deploy as with an upload, prune included. */
			r = op_deploy_installed(app, ir.release, &s->sink, res);
		} else {
			r = CUT_OK;
			kv_set(res, "release", ir.release);
			kv_add_bool(res, "unchanged", 1);
			kv_addf(res, "message", "%s already installed (same sha256)", ir.release);
		}
		kv_set(res, "sha256", ident);
		kv_add_bool(res, "have", 1);
		return r;
	}
	if (ir.url != NULL) {
		/* 1.4: the agent fetches the archive itself; no DATA follows. */
		s->up = UP_DONE;
		r = (deploy ? op_deploy : op_install)(app, &ir, &s->sink, res);
		if (r == CUT_OK)
			kv_add_bool(res, "have", 0);
		return r;
	}
	s->up = UP_ACTIVE;
	s->up_err = 0;
	s->up_want = ir.sha256;
	if (ir.sha256 == NULL) {
		if ((r = sha256_init(&s->up_md)) != CUT_OK)
			return op_fail(res, r, "cannot start SHA-256");
	}
	ir.src = &src;
	r = (deploy ? op_deploy : op_install)(app, &ir, &s->sink, res);
	if (r == CUT_OK)
		kv_add_bool(res, "have", 0);
	return r;
}

/* force_schema (1.3): the request's --force-schema; only "1", "true" or "yes" set it. */
static int
force_arg(const struct msg *req)
{
	const char *v = arg(req, "force_schema");

	return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "yes") == 0);
}

static int
h_activate(struct serve *s, const struct msg *req, struct app *app, struct kvlist *res)
{
	if (arg(req, "release") == NULL)
		return op_fail(res, CUT_ERR_USAGE, "activate needs a release");
	return op_activate(app, arg(req, "release"), &s->sink, res);
}

static int
h_rollback(struct serve *s, const struct msg *req, struct app *app, struct kvlist *res)
{
	return op_rollback(app, arg(req, "to"), &s->sink, res);
}

static int
h_drill(struct serve *s, const struct msg *req, struct app *app, struct kvlist *res)
{
	(void)req;
	return op_drill(app, &s->sink, res);
}

static int
h_status(struct serve *s, const struct msg *req, struct app *app, struct kvlist *res)
{
	(void)req;
	return op_status(app, &s->sink, res);
}

static int
h_history(struct serve *s, const struct msg *req, struct app *app, struct kvlist *res)
{
	const char *e = arg(req, "ends_only"), *fields = arg(req, "fields");
	int ends = e != NULL && (strcmp(e, "1") == 0 || strcmp(e, "true") == 0);

	/* 1.3: the report's projection (agent/history.c). */
	if (ends || fields != NULL)
		return op_history_filtered(app, ends, fields, &s->sink, res);
	return op_history(app, &s->sink, res);
}

static int
h_prune(struct serve *s, const struct msg *req, struct app *app, struct kvlist *res)
{
	long long keep = kv_get_int(&req->kv, "keep", 0);

	if (keep < 0 || keep > 100000)
		return op_fail(res, CUT_ERR_USAGE, "keep: %lld is out of range", keep);
	return op_prune(app, (int)keep, &s->sink, res);
}

static int
h_pin(struct serve *s, const struct msg *req, struct app *app, struct kvlist *res)
{
	if (arg(req, "release") == NULL)
		return op_fail(res, CUT_ERR_USAGE, "%s needs a release", req->op);
	return op_pin(app, arg(req, "release"), strcmp(req->op, "pin") == 0, &s->sink, res);
}

/* have: is there a release unpacked from an archive with this sha256? */
static int
h_have(struct serve *s, const struct msg *req, struct app *app, struct kvlist *res)
{
	const char *want = arg(req, "sha256");
	struct state st;
	const char *found = NULL;
	int r;

	(void)s;
	if (want == NULL || strlen(want) != PROTO_SHA256_HEX)
		return op_fail(res, CUT_ERR_USAGE, "have needs a sha256 (64 hex digits)");
	if ((r = state_load(app, &st)) != CUT_OK)
		return op_fail(res, r, "cannot read state: %s", strerror(errno));
	for (size_t i = 0; i < st.nrel && found == NULL; i++)
		if (st.rel[i].on_disk && strcasecmp(st.rel[i].sha256, want) == 0)
			found = st.rel[i].id;
	kv_add_bool(res, "have", found != NULL);
	if (found != NULL) {
		kv_add(res, "release", found);
		kv_addf(res, "message", "have %s (sha256 %.12s)", found, want);
	} else {
		kv_addf(res, "message", "no release with sha256 %.12s", want);
	}
	state_free(&st);
	return CUT_OK;
}

static int
wait_arg_valid(const char *v)
{
	size_t n = strlen(v);

	return n >= 1 && n <= 4 && strspn(v, "0123456789") == n && atoi(v) <= WAIT_ARG_MAX;
}

/* A wait arg is 0-3600 seconds: anything else is refused before any lock is tried. */
static int
pre_wait(const struct msg *req, struct kvlist *res)
{
	const char *v = kv_get(&req->kv, "wait");

	if (v == NULL || wait_arg_valid(v))
		return CUT_OK;
	return op_fail(res, CUT_ERR_BAD_ID, "wait: \"%.40s\" is not a number of seconds (0-%d)",
	    v, WAIT_ARG_MAX);
}

/* Seconds to wait for the app lock: the wait arg (checked by pre_wait), else serve's --wait. */
static int
lock_wait(const struct serve *s, const struct msg *req)
{
	const char *v = kv_get(&req->kv, "wait");
	int w = s->opts->wait;

	if (v != NULL && wait_arg_valid(v))
		w = atoi(v);
	return w < 0 ? 0 : w > WAIT_MAX ? WAIT_MAX : w;
}

/* Open and lock an app, then finish any killed operation, as the CLI does. */
static int
open_locked(struct serve *s, const struct msg *req, struct app *app, int lock,
    struct kvlist *res)
{
	char err[1200];
	int r;

	/* Read-only ops (no H_LOCK) create nothing on disk. */
	r = op_enter(app, s->opts->config, req->app, lock, lock_wait(s, req), &s->sink,
	    err, sizeof(err));
	return r == CUT_OK ? CUT_OK : op_fail(res, r, "%s", err);
}

/* lock: hold the app's lock for the rest of the session (or until unlock). */
static int
h_lock(struct serve *s, const struct msg *req, struct app *app, struct kvlist *res)
{
	int r;

	(void)app;
	if (s->have_lock) {
		if (strcmp(s->lock_name, req->app) == 0) {
			kv_add_int(res, "worst_case_s", op_worst_case_s(&s->lock_app));
			kv_addf(res, "message", "%s is already locked by this session", req->app);
			return CUT_OK;
		}
		return op_fail(res, CUT_ERR_USAGE, "this session already holds the lock of %s",
		    s->lock_name);
	}
	if ((r = open_locked(s, req, &s->lock_app, 1, res)) != CUT_OK)
		return r;
	if ((s->lock_name = strdup(req->app)) == NULL) {
		app_close(&s->lock_app);
		return op_fail(res, CUT_ERR_ALLOC, "out of memory");
	}
	s->have_lock = 1;
	/* The coordinator sizes its per-operation timeout from this (PROTOCOL, lock). */
	kv_add_int(res, "worst_case_s", op_worst_case_s(&s->lock_app));
	kv_addf(res, "message", "locked %s", req->app);
	return CUT_OK;
}

static void
release_session_lock(struct serve *s)
{
	if (!s->have_lock)
		return;
	app_close(&s->lock_app);
	free(s->lock_name);
	s->lock_name = NULL;
	s->have_lock = 0;
}

static int
h_unlock(struct serve *s, const struct msg *req, struct app *app, struct kvlist *res)
{
	(void)app;
	if (!s->have_lock || strcmp(s->lock_name, req->app) != 0)
		return op_fail(res, CUT_ERR_USAGE, "%s is not locked by this session", req->app);
	release_session_lock(s);
	kv_addf(res, "message", "unlocked %s", req->app);
	return CUT_OK;
}

/* ping: the coordinator's keep-alive against the idle timeout; touches nothing. */
static int
h_ping(struct serve *s, const struct msg *req, struct app *app, struct kvlist *res)
{
	(void)s;
	(void)req;
	(void)app;
	kv_add(res, "message", "pong");
	return CUT_OK;
}

static int
h_check(struct serve *s, const struct msg *req, struct app *app, struct kvlist *res)
{
	(void)req;
	return op_check(app, &s->sink, res);
}

/* note: rollout and state are required; the rest is checked by op_note_args. */
static int
pre_note(const struct msg *req, struct kvlist *res)
{
	struct kvlist extra = KVLIST_INIT;
	const char *state;
	char why[256];
	int r;

	if (arg(req, "rollout") == NULL)
		return op_fail(res, CUT_ERR_USAGE, "note needs a rollout");
	if (arg(req, "state") == NULL)
		return op_fail(res, CUT_ERR_USAGE, "note needs a state");
	if ((r = op_note_args(&req->kv, &state, &extra, why, sizeof(why))) != CUT_OK)
		op_fail(res, r, "%s", why);
	kv_free(&extra);
	return r != CUT_OK ? r : pre_wait(req, res);
}

static int
h_note(struct serve *s, const struct msg *req, struct app *app, struct kvlist *res)
{
	struct kvlist extra = KVLIST_INIT;
	const char *state;
	char why[256];
	int r;

	(void)s;
	if ((r = op_note_args(&req->kv, &state, &extra, why, sizeof(why))) == CUT_OK)
		r = op_note(app, state, &extra, res);
	else
		op_fail(res, r, "%s", why);
	kv_free(&extra);
	return r;
}

#define IDENT	(H_LOCK | H_IDENT)
static const struct handler handlers[] = {
	{ "install",	IDENT | H_UPLOAD,	h_upload,	pre_wait },
	{ "deploy",	IDENT | H_UPLOAD | H_FORCE,	h_upload,	pre_wait },
	{ "activate",	IDENT | H_FORCE,	h_activate,	pre_wait },
	{ "rollback",	IDENT | H_FORCE,	h_rollback,	pre_wait },
	{ "prune",	IDENT,			h_prune,	pre_wait },
	{ "pin",	IDENT,			h_pin,		pre_wait },
	{ "unpin",	IDENT,			h_pin,		pre_wait },
	{ "check",	IDENT,			h_check,	pre_wait },
	{ "note",	IDENT,			h_note,		pre_note },
	{ "drill",	IDENT,			h_drill,	pre_wait },
	{ "status",	0,			h_status,	NULL },
	{ "history",	0,			h_history,	NULL },
	{ "have",	0,			h_have,		NULL },
	{ "lock",	H_NOAPP,		h_lock,		pre_wait },
	{ "unlock",	H_NOAPP,		h_unlock,	NULL },
	{ "ping",	H_SESSION,		h_ping,		NULL },
	{ NULL, 0, NULL, NULL }
};
#undef IDENT

/*
 * The journal identity of a request (ident.h): its rollout, kind and actor
 * args, checked, plus the session's key. Ops without H_IDENT journal with
 * the session's alone.
 */
static int
request_identity(struct serve *s, const struct msg *req, struct kvlist *res)
{
	char why[256];
	int r;

	kv_free(&s->who);
	if ((r = ident_from_args(&req->kv, &s->who, why, sizeof(why))) != CUT_OK ||
	    (r = kv_copy(&s->who, &s->session_who)) != CUT_OK) {
		kv_free(&s->who);
		return op_fail(res, r, "%s", r == CUT_ERR_ALLOC ? "out of memory" : why);
	}
	journal_identity(&s->who);
	return CUT_OK;
}

/*
 * May this session touch app? Only a configured name (and, with serve
 * --app, one of those), or a path with serve --allow-paths: a deploy key
 * must not reach a directory its apps' config does not name, with default
 * settings (no hooks, no health check). Asked before anything is opened,
 * so a refusal creates nothing. cutover-agent(8), serve.
 */
static int
app_allowed(const struct serve *s, const char *app, struct kvlist *res)
{
	char err[600];
	int r;

	if (s->opts->apps != NULL) {
		char **p;

		for (p = s->opts->apps; *p != NULL && strcmp(*p, app) != 0; p++)
			;
		if (*p == NULL)
			return op_fail(res, CUT_ERR_BAD_ID, "app \"%.200s\" is not served to this "
			    "key (serve --app)", app);
	}
	if (strchr(app, '/') != NULL) {
		if (!s->opts->allow_paths)
			return op_fail(res, CUT_ERR_BAD_ID, "app \"%.200s\": a path is not an app "
			    "name; serve takes paths only with --allow-paths", app);
		return CUT_OK;
	}
	if ((r = agent_conf_has_app(s->opts->config, app, err, sizeof(err))) < 0)
		return op_fail(res, r, "%s", err);
	if (r == 0)
		return op_fail(res, CUT_ERR_BAD_ID, "app \"%.200s\" is not configured in %s",
		    app, s->opts->config);
	return CUT_OK;
}

/* Queue the RESULT; a result too big for a frame still ends the request. */
static void
send_result(struct serve *s, uint32_t id, int r, struct kvlist *res)
{
	int pr;

	if (r != CUT_OK && kv_get(res, "error") == NULL)
		kv_add(res, "error", cut_err(r));
	pr = msg_put_result(&s->obuf, id, r, (uint8_t)cut_exit_code(r), res);
	if (pr != CUT_OK) {
		struct kvlist small = KVLIST_INIT;

		log_error("serve: result of request %u not sendable: %s", id, cut_err(pr));
		kv_addf(&small, "error", "result not sendable: %s", cut_err(pr));
		if (kv_get(res, "release") != NULL)
			kv_add(&small, "release", kv_get(res, "release"));
		(void)msg_put_result(&s->obuf, id, r == CUT_OK ? CUT_ERR_INTERNAL : r,
		    (uint8_t)cut_exit_code(r == CUT_OK ? CUT_ERR_INTERNAL : r), &small);
		kv_free(&small);
	}
}

static void
handle_request(struct serve *s, const struct msg *req)
{
	const struct handler *h;
	struct kvlist res = KVLIST_INIT;
	struct app app, *ap = NULL;
	int r, opened = 0;

	s->req_id = req->req_id;
	s->discard = 0;
	for (h = handlers; h->op != NULL; h++)
		if (strcmp(h->op, req->op) == 0)
			break;
	if (h->op == NULL) {
		r = op_fail(&res, CUT_ERR_USAGE, "unknown op \"%s\"", req->op);
		goto done;
	}
	log_debug("serve: request %u: %s %s", req->req_id, req->op, req->app);
	if (h->flags & H_SESSION) {
		r = h->fn(s, req, NULL, &res);
		goto done;
	}
	if (req->app[0] == '\0') {
		r = op_fail(&res, CUT_ERR_USAGE, "%s needs an app", req->op);
		goto done;
	}
	if ((r = app_allowed(s, req->app, &res)) != CUT_OK)
		goto done;
	/* Bad args change nothing: refused before the app is opened or locked. */
	if ((h->flags & H_IDENT) && (r = request_identity(s, req, &res)) != CUT_OK)
		goto done;
	if (h->pre != NULL && (r = h->pre(req, &res)) != CUT_OK)
		goto done;
	if (h->flags & H_NOAPP) {
		r = h->fn(s, req, NULL, &res);
		goto done;
	}
	if (s->have_lock && strcmp(s->lock_name, req->app) == 0) {
		ap = &s->lock_app;
	} else {
		if ((r = open_locked(s, req, &app, (h->flags & H_LOCK) != 0, &res)) != CUT_OK)
			goto done;
		ap = &app;
		opened = 1;
	}
	ap->force_schema = (h->flags & H_FORCE) && force_arg(req);
	r = h->fn(s, req, ap, &res);
	ap->force_schema = 0;	/* the session's locked app serves later requests too */
done:
	if ((h->op == NULL || (h->flags & H_UPLOAD)) && s->up != UP_DONE && !s->fatal) {
		/* DATA the client sent before seeing this RESULT is dropped. */
		s->discard = 1;
		s->discard_id = req->req_id;
	}
	if (opened)
		app_close(&app);
	journal_identity(&s->session_who);
	kv_free(&s->who);
	sha256_free(&s->up_md);
	s->up = UP_NONE;
	s->up_want = NULL;
	if (r != CUT_OK)
		log_error("serve: %s %s: %s", req->op, req->app,
		    kv_get(&res, "error") ? kv_get(&res, "error") : cut_err(r));
	if (!s->fatal)
		send_result(s, req->req_id, r, &res);
	kv_free(&res);
	if (!s->fatal && !s->eof)
		(void)flush_out(s, IO_TIMEOUT_MS);
}

/*
 * Our HELLO caps: zstd only when the libarchive we were built against decodes
 * it itself (configure asks it; not an external zstd program, which we do not
 * count on). Not asked at run time: libarchive is loaded only to unpack
 * (archive-dl.h), and every session starts with a HELLO.
 */
static const char *
agent_caps(void)
{
#ifdef CUT_LIBARCHIVE_ZSTD
#define CAPS_ZSTD " " PROTO_CAP_ZSTD
#else
#define CAPS_ZSTD ""
#endif
#ifdef CUT_FAULT_INJECTION
	/* Tests play an agent from before 1.4 (no fetch) with CUTOVER_FAULT=serve.no_fetch. */
	if (getenv("CUTOVER_FAULT") && strcmp(getenv("CUTOVER_FAULT"), "serve.no_fetch") == 0)
		return PROTO_CAPS CAPS_ZSTD;
#endif
	return PROTO_CAPS " " PROTO_CAP_FETCH CAPS_ZSTD;
#undef CAPS_ZSTD
}

/* Our caps plus idle=SECONDS when the idle timeout is on, so the client pings in time. */
static void
hello_caps(const struct serve *s, char *caps, size_t len)
{
	if (s->opts->idle_timeout > 0)
		snprintf(caps, len, "%s idle=%d", agent_caps(), s->opts->idle_timeout);
	else
		snprintf(caps, len, "%s", agent_caps());
}

/* Exchange HELLOs: ours goes out first; theirs must be the first frame in. */
static int
hello(struct serve *s)
{
	struct frame f;
	struct msg m;
	char caps[PROTO_CAPS_MAX];
	int r;

	hello_caps(s, caps, sizeof(caps));
	if ((r = msg_put_hello(&s->obuf, PROTO_MAJOR, PROTO_MINOR, caps)) != CUT_OK)
		return r;
	if ((r = next_frame(s, &f, IO_TIMEOUT_MS, 0)) != CUT_OK) {
		if (r == CUT_ERR_TIMEOUT)
			return proto_fail(s, r, "no HELLO from the client within %d s",
			    PROTO_IO_TIMEOUT);
		return r;
	}
	if (f.type != MSG_HELLO)
		return proto_fail(s, CUT_ERR_PROTOCOL, "expected HELLO, got %s",
		    msg_type_name(f.type));
	if ((r = msg_decode(&f, &m)) != CUT_OK)
		return proto_fail(s, r, "malformed HELLO: %s", cut_err(r));
	if (m.major != PROTO_MAJOR) {
		proto_fail(s, CUT_ERR_VERSION, "protocol version mismatch: agent speaks %d.%d, "
		    "client %u.%u", PROTO_MAJOR, PROTO_MINOR, m.major, m.minor);
		msg_free(&m);
		return CUT_ERR_VERSION;
	}
	log_debug("serve: client speaks %u.%u (%s)", m.major, m.minor, m.caps);
	msg_free(&m);
	return CUT_OK;
}

/* One frame between requests: a REQUEST, or a straggler of a finished upload. */
static int
dispatch(struct serve *s, const struct frame *f)
{
	struct msg m;
	int r;

	if ((r = msg_decode(f, &m)) != CUT_OK)
		return proto_fail(s, r, "malformed %s frame: %s", msg_type_name(f->type),
		    cut_err(r));
	switch (m.type) {
	case MSG_REQUEST:
		handle_request(s, &m);
		break;
	case MSG_DATA:
	case MSG_DATA_END:
		if (s->discard && m.req_id == s->discard_id) {
			if (m.type == MSG_DATA_END)
				s->discard = 0;
			break;
		}
		r = proto_fail(s, CUT_ERR_PROTOCOL, "%s for request %u, which takes no upload",
		    msg_type_name(m.type), m.req_id);
		break;
	case MSG_ERROR:
		log_error("serve: client sent error %d: %s", m.code, m.message);
		r = CUT_ERR_EOF;
		s->eof = 1;
		break;
	default:
		r = proto_fail(s, CUT_ERR_PROTOCOL, "unexpected %s frame from the client",
		    msg_type_name(m.type));
		break;
	}
	msg_free(&m);
	return r;
}

/*
 * Wait for the next frame between requests. No request runs now, so with
 * an idle timeout a silent client is given up on: the session lock goes
 * with us and other operations can run (cutover-agent(8), serve).
 */
static int
wait_request(struct serve *s, struct frame *f)
{
	int idle = s->opts->idle_timeout;
	int r = next_frame(s, f, idle > 0 ? idle * 1000 : -1, 1);

	if (r != CUT_ERR_TIMEOUT || idle <= 0)
		return r;
	if (s->have_lock)
		log_error("serve: no word from the client for %d s (idle timeout): releasing the "
		    "lock of %s and exiting", idle, s->lock_name);
	else
		log_error("serve: no word from the client for %d s (idle timeout): exiting", idle);
	return CUT_ERR_EOF;
}

int
serve_run(int infd, int outfd, const struct serve_opts *o)
{
	struct serve s;
	struct frame f;
	int r;

	memset(&s, 0, sizeof(s));
	s.in = infd;
	s.out = outfd;
	s.opts = o;
	s.sink.event = sink_event_frame;
	s.sink.record = sink_record_frame;
	s.sink.ctx = &s;
	frame_reader_init(&s.fr);
	buf_init(&s.obuf, OBUF_MAX);
	/* The key sshd saw is the same for every request of the session. */
	ident_add_ssh_key(&s.session_who);
	journal_identity(&s.session_who);

	r = hello(&s);
	while (r == CUT_OK && !s.fatal && !s.eof) {
		if ((r = wait_request(&s, &f)) != CUT_OK)
			break;
		r = dispatch(&s, &f);
	}
	if (s.fatal) {
		log_error("serve: %s", s.fatal_msg);
		if (msg_put_error(&s.obuf, s.fatal, s.fatal_msg) == CUT_OK)
			(void)flush_out(&s, 5000);
		r = s.fatal;
	} else {
		if (!s.out_dead)
			(void)flush_out(&s, IO_TIMEOUT_MS);
		if (r == CUT_ERR_EOF)
			r = CUT_OK;
		else if (interrupted())
			log_error("serve: stopped by signal %d", interrupted());
		else if (r != CUT_OK)
			log_error("serve: %s", cut_err(r));
	}
	release_session_lock(&s);
	journal_identity(NULL);
	kv_free(&s.session_who);
	kv_free(&s.who);
	frame_reader_free(&s.fr);
	buf_free(&s.obuf);
	return cut_exit_code(r);
}
