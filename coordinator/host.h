/*
 * One remote host of a rollout: an ssh session (libssh2, non-blocking) and
 * an exec channel running the host's agent_command, seen as a byte pipe.
 *
 * A host moves through enum host_state only via host_set_state(), which
 * traces old -> new. fleet.c drives every host from one poll() loop:
 *
 *	h = host_new(conf, idx);            WAITING
 *	host_start(h)                       -> CONNECTING (fleet does this when a slot frees)
 *	host_step(h, revents)               advances as far as the socket allows
 *	host_write(h, buf, n)               queue bytes (copied); host_write_ref() borrows
 *	host_shutdown_write(h)              send EOF once the queue is drained
 *	... on_read(h, bytes, n, user) for every chunk the agent writes
 *	DONE (exit_status set) or FAILED (err, msg set)
 *	host_free(h)
 *
 * Functions return 0 or a negative CUT_ERR_*; a host failure is recorded in
 * the host (err + msg "what failed: why") and reported once by the caller.
 */
#ifndef CUT_HOST_H
#define CUT_HOST_H

#include <stddef.h>
#include <poll.h>
#include <sys/types.h>
#include <libssh2.h>

#include "fleet_conf.h"

enum host_state {
	HOST_WAITING = 0,	/* not started: waiting for a connection slot */
	HOST_CONNECTING,	/* non-blocking connect(2) in progress */
	HOST_HANDSHAKE,		/* ssh key exchange, then the host key check */
	HOST_AUTH,		/* public key auth: ssh-agent identities, then identity file */
	HOST_CHANNEL,		/* opening the session channel */
	HOST_EXEC,		/* exec request for agent_command */
	HOST_RUNNING,		/* byte pipe open: queue drains, reads go to on_read */
	HOST_CLOSING,		/* remote EOF seen: closing, collecting the exit status */
	HOST_DONE,		/* channel closed; exit_status valid */
	HOST_FAILED,		/* connect/key/auth/io error or timeout; err and msg set */
	HOST_STATE_MAX_
};

struct host;
/* Bytes from the agent's stdout; a negative return fails the host with that code. */
typedef int (*host_read_fn)(struct host *h, const unsigned char *buf, size_t len, void *user);
/* Called once when the pipe opens (RUNNING); a negative return fails the host. */
typedef int (*host_open_fn)(struct host *h, void *user);

/* One queued write: either owned (freed when sent) or borrowed. */
struct host_wseg {
	struct host_wseg *next;
	const unsigned char *p;
	size_t len;
	size_t off;
	int owned;
};

#define HOST_MSG_MAX	320
#define HOST_STDERR_MAX	2048

struct host {
	const struct fleet_host *conf;	/* name, address, effective settings */
	const char *name;
	size_t idx;			/* position in the selection */
	enum host_state state;
	int fd;
	LIBSSH2_SESSION *ssh;
	LIBSSH2_CHANNEL *ch;
	LIBSSH2_AGENT *agent;
	struct libssh2_agent_publickey *agent_id;
	int auth_stage;			/* 0 ssh-agent, 1 identity file */
	const char *command;		/* what the channel execs (agent_command by default) */

	long long phase_deadline;	/* mono ms: connect..exec must finish by then; 0 none */
	long long op_deadline;		/* mono ms: set by the caller per request; 0 none */
	int awaiting_hello;		/* op_deadline is the agent's HELLO's (session.c) */
	long long keepalive_next;	/* mono ms of the next keepalive */
	short revents;			/* last poll() result for its fds, 0 once stepped */
	int kick;			/* queued bytes or a start since the last host_step() */
	long long last_step;		/* mono ms of the last host_step() */

	struct host_wseg *wq_head, *wq_tail;
	size_t wq_bytes;
	long long sent_bytes;		/* protocol bytes written to the agent (cutover(1) --json result) */
	int want_eof, eof_sent;

	int exit_status;		/* valid in DONE; -1 when unknown */
	int err;			/* CUT_ERR_* of a failure */
	char msg[HOST_MSG_MAX];		/* "connect to 1.2.3.4 port 22: refused" */
	char stderr_tail[HOST_STDERR_MAX];	/* last bytes of the agent's stderr */
	size_t stderr_len;

	host_read_fn on_read;
	host_open_fn on_open;
	void *user;
	long long t_start, t_open;	/* mono ms: started, pipe open */
	int reported;			/* handed out by fleet_info_read */
	int verbose;

	/*
	 * jump = HOST: the session runs over a direct-tcpip channel of a
	 * session to the jump host. libssh2 wants a socket, so h->fd is one
	 * end of a socketpair and host_step() pumps bytes between the other
	 * end (pump_fd) and the channel.
	 */
	struct host *jump;		/* the jump host's session; NULL when direct */
	int tunnel_only;		/* this host IS a jump session: stop before CHANNEL */
	LIBSSH2_CHANNEL *tunnel;	/* direct-tcpip on jump->ssh */
	int pump_fd;
	unsigned char *pump_buf;	/* [0, PUMP) channel -> pump_fd, [PUMP, 2*PUMP) the other way */
	size_t down_off, down_len, up_off, up_len;
	int down_eof, up_eof;		/* EOF passed on in that direction */

	/* host_use_pipe(): command runs as a local child on a socketpair (pipe.c). */
	int pipe;
	pid_t pid;
};

const char *host_state_name(enum host_state s);
struct host *host_new(const struct fleet_host *conf, size_t idx);
void host_free(struct host *h);
/* The one setter of h->state; traces old -> new at debug level. */
void host_set_state(struct host *h, enum host_state s);
/* Record a failure (first one wins), tear the session down, state FAILED. */
int host_fail(struct host *h, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* host_fail() with the reason the read callback left in h->msg (else the error's name). */
int host_fail_read(struct host *h, int err);

int host_start(struct host *h);
/*
 * Run command as a local child speaking on its stdin/stdout instead of
 * over ssh (the engine's unit tests); call before the host starts.
 */
void host_use_pipe(struct host *h, const char *command);
/* Advance h; never blocks. */
void host_step(struct host *h);
/* poll() events h waits for (0 when it has no socket). */
short host_poll_events(const struct host *h);
/* Extra descriptors of a jump tunnel (jump session, pump end) into p[0..1]; returns how many. */
size_t host_poll_extra(const struct host *h, struct pollfd *p);
/* Earliest deadline of h in mono ms, 0 for none. */
long long host_next_deadline(const struct host *h);
/* Fail h if one of its deadlines has passed. */
void host_check_deadlines(struct host *h, long long now);

int host_write(struct host *h, const void *buf, size_t len);
/* Queue len bytes at buf without copying; buf must outlive the host's queue. */
int host_write_ref(struct host *h, const void *buf, size_t len);
void host_shutdown_write(struct host *h);
/* Close the session now (no error); state DONE when it was RUNNING. */
void host_close(struct host *h);
int host_is_final(const struct host *h);

#endif
