#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"
#include "hooks.h"
#include "interrupt.h"
#include "log.h"

#define LINE_MAX_LEN 1024
/* SIGTERM-to-SIGKILL grace for a hook stopped by our own signal (cutover-agent(8), SIGNALS). */
#define HOOK_STOP_GRACE_MS 500

static void
keep_tail(struct hook_ctx *h, const char *s, size_t n)
{
	size_t cap = sizeof(h->output) - 1;

	if (n >= cap) {
		s += n - cap;
		n = cap;
	}
	if (h->outlen + n > cap) {
		size_t drop = h->outlen + n - cap;

		memmove(h->output, h->output + drop, h->outlen - drop);
		h->outlen -= drop;
	}
	memcpy(h->output + h->outlen, s, n);
	h->outlen += n;
	h->output[h->outlen] = '\0';
}

static void
emit_line(struct hook_ctx *h, const char *what, const char *line)
{
	struct kvlist ev = KVLIST_INIT;

	/* A flood stays bounded: the journal keeps the tail (keep_tail) anyway. */
	if (h->lines_sent > HOOK_EVENT_LINES_MAX)
		return;
	kv_add(&ev, "event", "output");
	kv_add(&ev, "hook", what);
	if (++h->lines_sent > HOOK_EVENT_LINES_MAX)
		kv_addf(&ev, "line", "[cutover-agent: more than %d lines of output; the rest "
		    "is not shown, the journal keeps its tail]", HOOK_EVENT_LINES_MAX);
	else
		kv_add(&ev, "line", line);
	sink_event(h->sink, &ev);
	kv_free(&ev);
}

/* Split what was read into lines (at most LINE_MAX_LEN bytes each) for the sink. */
static void
take_output(struct hook_ctx *h, const char *what, const char *buf, size_t n,
    char *line, size_t *linelen)
{
	keep_tail(h, buf, n);
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || *linelen == LINE_MAX_LEN) {
			line[*linelen] = '\0';
			emit_line(h, what, line);
			*linelen = 0;
			if (buf[i] == '\n')
				continue;
		}
		line[(*linelen)++] = buf[i];
	}
}

/* Child side: never returns. */
static void
exec_child(struct hook_ctx *h, const char *cmd, int outfd)
{
	int devnull = open("/dev/null", O_RDONLY);
	int relfd;

	/* Own process group, so a timeout kills everything the hook started. */
	setpgid(0, 0);
	if (devnull == -1 || dup2(devnull, STDIN_FILENO) == -1 ||
	    dup2(outfd, STDOUT_FILENO) == -1 || dup2(outfd, STDERR_FILENO) == -1)
		_exit(126);
	relfd = openat(h->app->releasesfd, h->release, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (relfd == -1 || fchdir(relfd) == -1) {
		dprintf(STDERR_FILENO, "cannot enter release %s: %s\n", h->release, strerror(errno));
		_exit(126);
	}
	setenv("CUTOVER_APP", h->app->conf.name, 1);
	setenv("CUTOVER_ROOT", h->app->conf.root, 1);
	setenv("CUTOVER_RELEASE", h->release, 1);
	setenv("CUTOVER_PREVIOUS", h->previous ? h->previous : "", 1);
	manifest_setenv(h->man);
	if (h->action != NULL)
		setenv("CUTOVER_ACTION", h->action, 1);
	else
		unsetenv("CUTOVER_ACTION");
	signal(SIGPIPE, SIG_DFL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

static void
kill_group(pid_t pid, int sig)
{
	if (kill(-pid, sig) == -1)
		kill(pid, sig);
}

/*
 * The state of one command while it runs: when to signal it, and when to
 * stop reading its output pipe.
 */
struct run {
	pid_t pid;
	int status, exited, timed_out;
	long long deadline, kill_at;
	/* After the shell exits: the end of HOOK_DRAIN_GRACE_MS of reading. */
	long long drain_until;
};

/* Reap, and signal the process group when the time limit (or a signal) says so. */
static void
watch(struct hook_ctx *h, struct run *rn)
{
	long long now = mono_ms();

	if (!rn->exited && waitpid(rn->pid, &rn->status, WNOHANG) == rn->pid) {
		rn->exited = 1;
		rn->drain_until = now + HOOK_DRAIN_GRACE_MS;
	}
	if (rn->exited)
		return;
	if (!rn->timed_out && (now >= rn->deadline || (interrupted() && !h->finish_on_signal))) {
		rn->timed_out = 1;
		kill_group(rn->pid, SIGTERM);
		/* Stopped by a signal: the operator waits, so a short grace. */
		rn->kill_at = now + (now < rn->deadline ? HOOK_STOP_GRACE_MS : HOOK_KILL_GRACE_MS);
	}
	if (rn->timed_out && now >= rn->kill_at) {
		kill_group(rn->pid, SIGKILL);
		rn->kill_at = now + 60000;
	}
}

/*
 * Read the command's output until its shell has exited and the pipe is
 * at EOF, or HOOK_DRAIN_GRACE_MS after the exit: whatever the hook left
 * running (a daemon without setsid and its own output) may hold the pipe
 * open, or keep writing into it, for ever. cutover-agent.ini(5), hooks.
 */
static void
pump(struct hook_ctx *h, const char *what, int rfd, struct run *rn)
{
	char line[LINE_MAX_LEN + 1], buf[4096];
	size_t linelen = 0;
	int pipe_open = 1;

	for (;;) {
		struct pollfd pfd = { rfd, POLLIN, 0 };
		long long left;
		ssize_t n;

		watch(h, rn);
		if (rn->exited && (!pipe_open || mono_ms() >= rn->drain_until))
			break;
		if (!pipe_open) {
			struct timespec ts = { 0, 20 * 1000 * 1000 };

			nanosleep(&ts, NULL);
			continue;
		}
		left = rn->exited ? rn->drain_until - mono_ms() : 50;
		if (poll(&pfd, 1, left < 0 ? 0 : left > 50 ? 50 : (int)left) <= 0)
			continue;
		if ((n = read(rfd, buf, sizeof(buf))) <= 0) {
			if (n == 0 || errno != EINTR)
				pipe_open = 0;
			continue;
		}
		take_output(h, what, buf, (size_t)n, line, &linelen);
	}
	if (linelen > 0) {
		line[linelen] = '\0';
		emit_line(h, what, line);
	}
}

int
hook_run(struct hook_ctx *h, const char *what, const char *cmd, int timeout_s,
    char *why, size_t whylen)
{
	struct run rn = { .deadline = mono_ms() + (long long)timeout_s * 1000 };
	int pipefd[2];

	if (cmd == NULL || cmd[0] == '\0')
		return CUT_OK;
	if (pipe2(pipefd, O_CLOEXEC) == -1)
		return CUT_ERR_SYSTEM;
	fflush(NULL);
	if ((rn.pid = fork()) == -1) {
		close(pipefd[0]);
		close(pipefd[1]);
		return CUT_ERR_SYSTEM;
	}
	if (rn.pid == 0)
		exec_child(h, cmd, pipefd[1]);
	close(pipefd[1]);
	pump(h, what, pipefd[0], &rn);
	/* A writer left behind gets EPIPE (or SIGPIPE) from now on, never blocks us. */
	close(pipefd[0]);
	if (!rn.exited)
		waitpid(rn.pid, &rn.status, 0);
	if (rn.timed_out && interrupted() && !h->finish_on_signal) {
		snprintf(why, whylen, "%s stopped: interrupted by signal %d", what, interrupted());
		return CUT_ERR_FAILED;
	}
	if (rn.timed_out) {
		snprintf(why, whylen, "%s timed out after %d s", what, timeout_s);
		return CUT_ERR_TIMEOUT;
	}
	if (WIFEXITED(rn.status) && WEXITSTATUS(rn.status) == 0)
		return CUT_OK;
	if (WIFEXITED(rn.status))
		snprintf(why, whylen, "%s exited with status %d", what, WEXITSTATUS(rn.status));
	else
		snprintf(why, whylen, "%s killed by signal %d", what, WTERMSIG(rn.status));
	return CUT_ERR_FAILED;
}

int
health_check(struct hook_ctx *h, char *why, size_t whylen)
{
	const struct app_conf *c = &h->app->conf;
	int r = CUT_OK;

	if (c->health == NULL || c->health[0] == '\0')
		return CUT_OK;
	for (long long attempt = 1; attempt <= c->health_retries; attempt++) {
		struct kvlist ev = KVLIST_INIT;

		r = hook_run(h, "health", c->health, (int)c->health_timeout, why, whylen);
		kv_add(&ev, "event", "health");
		kv_add(&ev, "release", h->release);
		kv_add_int(&ev, "attempt", attempt);
		kv_add_int(&ev, "of", c->health_retries);
		kv_add_bool(&ev, "ok", r == CUT_OK);
		kv_addf(&ev, "message", "health check %lld/%lld: %s", attempt,
		    c->health_retries, r == CUT_OK ? "ok" : why);
		sink_event(h->sink, &ev);
		kv_free(&ev);
		if (r == CUT_OK)
			return CUT_OK;
		/* In slices, so that a signal is noticed within 100 ms. */
		for (long long ms = attempt < c->health_retries ? c->health_interval * 1000 : 0;
		    ms > 0 && !interrupted(); ms -= 100) {
			struct timespec ts = { 0, 100 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
		if (interrupted())
			break;
	}
	snprintf(why + strlen(why), whylen - strlen(why), " (%lld attempts)", c->health_retries);
	return r;
}
