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

	kv_add(&ev, "event", "output");
	kv_add(&ev, "hook", what);
	kv_add(&ev, "line", line);
	sink_event(h->sink, &ev);
	kv_free(&ev);
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

int
hook_run(struct hook_ctx *h, const char *what, const char *cmd, int timeout_s,
    char *why, size_t whylen)
{
	long long deadline = mono_ms() + (long long)timeout_s * 1000, kill_at = 0;
	char line[LINE_MAX_LEN + 1];
	size_t linelen = 0;
	int pipefd[2], status = 0, exited = 0, timed_out = 0, pipe_open = 1;
	pid_t pid;

	if (cmd == NULL || cmd[0] == '\0')
		return CUT_OK;
	if (pipe2(pipefd, O_CLOEXEC) == -1)
		return CUT_ERR_SYSTEM;
	fflush(NULL);
	if ((pid = fork()) == -1) {
		close(pipefd[0]);
		close(pipefd[1]);
		return CUT_ERR_SYSTEM;
	}
	if (pid == 0)
		exec_child(h, cmd, pipefd[1]);
	close(pipefd[1]);

	/* Read output until the child exits (a daemon it left behind may keep
	 * the pipe open forever, so the child's exit, not EOF, ends the wait). */
	while (!exited || pipe_open) {
		struct pollfd pfd = { pipefd[0], POLLIN, 0 };
		long long now = mono_ms();
		pid_t w;

		if (!exited && (w = waitpid(pid, &status, WNOHANG)) == pid)
			exited = 1;
		if (exited && pipe_open) {
			/* Drain what is already there, then stop. */
			pfd.events = POLLIN;
			if (poll(&pfd, 1, 0) <= 0 || (pfd.revents & (POLLIN | POLLHUP)) == 0)
				break;
		} else if (!exited) {
			if (!timed_out && (now >= deadline || (interrupted() && !h->finish_on_signal))) {
				timed_out = 1;
				kill_group(pid, SIGTERM);
				kill_at = now + HOOK_KILL_GRACE_MS;
			}
			if (timed_out && now >= kill_at) {
				kill_group(pid, SIGKILL);
				kill_at = now + 60000;
			}
			if (!pipe_open) {
				struct timespec ts = { 0, 20 * 1000 * 1000 };

				nanosleep(&ts, NULL);
				continue;
			}
			if (poll(&pfd, 1, 50) <= 0)
				continue;
		}
		{
			char buf[4096];
			ssize_t n = read(pipefd[0], buf, sizeof(buf));

			if (n <= 0) {
				if (n < 0 && errno == EINTR)
					continue;
				pipe_open = 0;
				continue;
			}
			keep_tail(h, buf, (size_t)n);
			for (ssize_t i = 0; i < n; i++) {
				if (buf[i] == '\n' || linelen == LINE_MAX_LEN) {
					line[linelen] = '\0';
					emit_line(h, what, line);
					linelen = 0;
					if (buf[i] == '\n')
						continue;
				}
				line[linelen++] = buf[i];
			}
		}
	}
	if (linelen > 0) {
		line[linelen] = '\0';
		emit_line(h, what, line);
	}
	close(pipefd[0]);
	if (!exited)
		waitpid(pid, &status, 0);
	/* The hook is done; nothing it started may outlive its time limit unseen. */
	if (timed_out && interrupted() && !h->finish_on_signal) {
		snprintf(why, whylen, "%s stopped: interrupted by signal %d", what, interrupted());
		return CUT_ERR_FAILED;
	}
	if (timed_out) {
		snprintf(why, whylen, "%s timed out after %d s", what, timeout_s);
		return CUT_ERR_TIMEOUT;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return CUT_OK;
	if (WIFEXITED(status))
		snprintf(why, whylen, "%s exited with status %d", what, WEXITSTATUS(status));
	else
		snprintf(why, whylen, "%s killed by signal %d", what, WTERMSIG(status));
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
		if (interrupted())
			break;
		if (attempt < c->health_retries && c->health_interval > 0) {
			struct timespec ts = { (time_t)c->health_interval, 0 };

			nanosleep(&ts, NULL);
		}
	}
	snprintf(why + strlen(why), whylen - strlen(why), " (%lld attempts)", c->health_retries);
	return r;
}
