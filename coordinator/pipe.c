/*
 * The pipe transport: a host whose agent is a local child process on a
 * socketpair instead of an ssh channel (host_use_pipe). The engine's unit
 * tests drive scripted fake agents through it, so every path from the
 * host state machine up is the one a real rollout takes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"
#include "host.h"
#include "pipe.h"

#define PIPE_READ_CHUNK	65536

void
host_use_pipe(struct host *h, const char *command)
{
	h->pipe = 1;
	h->command = command;
}

int
pipe_start(struct host *h)
{
	int sv[2];

	h->t_start = mono_ms();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return host_fail(h, CUT_ERR_SYSTEM, "socketpair: %s", strerror(errno));
	if ((h->pid = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		return host_fail(h, CUT_ERR_SYSTEM, "fork: %s", strerror(errno));
	}
	if (h->pid == 0) {
		if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", h->command, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	h->fd = sv[0];
	if (fcntl(h->fd, F_SETFL, fcntl(h->fd, F_GETFL) | O_NONBLOCK) != 0)
		return host_fail(h, CUT_ERR_SYSTEM, "nonblocking socket: %s", strerror(errno));
	h->t_open = mono_ms();
	host_set_state(h, HOST_RUNNING);
	if (h->on_open && h->on_open(h, h->user) < 0)
		return host_fail(h, CUT_ERR_PROTOCOL, "%s", h->msg[0] ? h->msg : "session setup failed");
	return CUT_OK;
}

/* Collect the child once its end is closed; -1 when it had to be killed. */
static int
reap_child(struct host *h, int kill_it)
{
	int status = 0;

	if (h->pid <= 0)
		return h->exit_status;
	if (kill_it && waitpid(h->pid, &status, WNOHANG) == 0)
		kill(h->pid, SIGKILL);
	if (waitpid(h->pid, &status, 0) == h->pid)
		h->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	h->pid = 0;
	return h->exit_status;
}

void
pipe_teardown(struct host *h)
{
	if (h->fd >= 0) {
		close(h->fd);
		h->fd = -1;
	}
	reap_child(h, 1);
}

/* Drain the write queue as far as the socket takes it. */
static int
pipe_flush(struct host *h)
{
	while (h->wq_head) {
		struct host_wseg *w = h->wq_head;
		ssize_t n = write(h->fd, w->p + w->off, w->len - w->off);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return CUT_OK;
		if (n < 0)
			return host_fail(h, CUT_ERR_HOST, "write to agent: %s", strerror(errno));
		host_wq_sent(h, (size_t)n);
	}
	if (h->want_eof && !h->eof_sent) {
		shutdown(h->fd, SHUT_WR);
		h->eof_sent = 1;
	}
	return CUT_OK;
}

void
pipe_step(struct host *h)
{
	unsigned char buf[PIPE_READ_CHUNK];

	if (h->state != HOST_RUNNING || pipe_flush(h) != CUT_OK)
		return;
	for (;;) {
		ssize_t n = read(h->fd, buf, sizeof(buf));
		int r;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			host_fail(h, CUT_ERR_HOST, "read from agent: %s", strerror(errno));
			return;
		}
		if (n == 0)
			break;
		if (h->on_read && (r = h->on_read(h, buf, (size_t)n, h->user)) < 0) {
			host_fail_read(h, r);
			return;
		}
		if (host_is_final(h))
			return;
	}
	/* The agent closed its end: the session is over. */
	close(h->fd);
	h->fd = -1;
	reap_child(h, 1);
	host_set_state(h, HOST_DONE);
}

short
pipe_poll_events(const struct host *h)
{
	return (short)(POLLIN | (h->wq_head || (h->want_eof && !h->eof_sent) ? POLLOUT : 0));
}
