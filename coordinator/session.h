/*
 * The wire protocol (proto/PROTOCOL) on top of one host's byte pipe: HELLO
 * exchange, one request at a time, RESULT/EVENT/RECORD handed to callbacks.
 *
 *	sess_attach(s, h, user);        // hooks h->on_open / h->on_read
 *	... fleet loop; once s->ready: sess_request(s, "status", app, &args)
 *	... s->on_result(s, &msg) when the RESULT arrives (s->busy cleared first)
 *	sess_upload(s, base, len, sha)  // after an install REQUEST: DATA frames
 *	                                // borrowing base (zero copy), then DATA_END
 *	sess_detach(s)
 *
 * A protocol error fails the host (host_fail) with the reason.
 */
#ifndef CUT_SESSION_H
#define CUT_SESSION_H

#include <stdint.h>

#include "frame.h"
#include "host.h"
#include "kv.h"
#include "msg.h"

struct sess;
typedef void (*sess_msg_fn)(struct sess *s, const struct msg *m);

struct sess {
	struct host *h;
	struct frame_reader fr;
	int ready;		/* peer HELLO received and compatible */
	int busy;		/* a request is outstanding */
	uint32_t next_id;
	uint32_t cur_id;
	uint32_t ping_id;	/* an outstanding ping's id, 0 none (sess_ping) */
	long long last_sent;	/* mono ms of the last request or ping */
	long long idle_s;	/* the agent leaves after this much silence (HELLO idle=S), 0 never */
	char *caps;		/* the agent's capabilities */
	sess_msg_fn on_result;	/* RESULT of the outstanding request */
	sess_msg_fn on_event;	/* EVENT and RECORD */
	void (*on_ready)(struct sess *s);
	void *user;
};

int sess_attach(struct sess *s, struct host *h, void *user);
void sess_detach(struct sess *s);
/* Send one REQUEST; op_timeout starts. Returns 0 or CUT_ERR_*. */
int sess_request(struct sess *s, const char *op, const char *app, const struct kvlist *args);
/*
 * Keep an idle agent from timing out (it leaves after idle_s of silence
 * while nothing runs): a ping once a third of that has passed. Its RESULT
 * is swallowed here; nothing else sees it.
 */
void sess_keepalive(struct sess *s, long long now);
/* The agent listed cap (a whole word) in its HELLO. */
int sess_has_cap(const struct sess *s, const char *cap);
/* Stream len bytes at base as DATA frames of the current request, then DATA_END. */
int sess_upload(struct sess *s, const unsigned char *base, size_t len, const char *sha256hex);

#endif
