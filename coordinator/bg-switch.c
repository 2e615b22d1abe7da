/*
 * The fleet's switch command (cutover.ini(5), switch): run on the
 * coordinator with the pool to make live in its environment, its output
 * (stdout and stderr) kept up to a bound for the report, the open
 * sessions kept alive meanwhile, and killed after op_timeout.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bg-switch.h"
#include "fsutil.h"
#include "rollout.h"

/* Child: the environment, output into the pipe, then the command. */
static void
switch_child(int wfd, const char *cmd, const struct bg_switch_env *env)
{
	setenv("CUTOVER_LIVE", env->live, 1);
	setenv("CUTOVER_LIVE_HOSTS", env->live_hosts, 1);
	setenv("CUTOVER_RELEASE", env->release, 1);
	setenv("CUTOVER_PREVIOUS_LIVE", env->previous_live, 1);
	setenv("CUTOVER_APP", env->app, 1);
	setenv("CUTOVER_ACTION", env->action, 1);
	if (dup2(wfd, STDOUT_FILENO) < 0 || dup2(wfd, STDERR_FILENO) < 0)
		_exit(127);
	if (wfd > STDERR_FILENO)
		close(wfd);
	signal(SIGPIPE, SIG_DFL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* Read what the pipe has into out (bounded; the rest counted in *lost); 0 at EOF. */
static int
drain(int fd, struct bg_switch_result *r)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		size_t room = sizeof(r->output) - 1 - r->len, take = (size_t)n < room ? (size_t)n : room;

		memcpy(r->output + r->len, buf, take);
		r->len += take;
		r->output[r->len] = '\0';
		r->lost += (size_t)n - take;
	}
	return n == 0 ? 0 : 1;
}

int
bg_run_switch(struct rollout *ro, const char *cmd, const struct bg_switch_env *env, long long timeout_s,
    struct bg_switch_result *r)
{
	long long deadline = mono_ms() + timeout_s * 1000;
	int p[2], status = 0, open_pipe = 1, werr = 0;
	pid_t pid, w = 0;

	memset(r, 0, sizeof(*r));
	fflush(stdout);
	fflush(stderr);
	if (pipe(p) != 0) {
		snprintf(r->why, sizeof(r->why), "cannot start the switch command: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		snprintf(r->why, sizeof(r->why), "cannot start the switch command: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		switch_child(p[1], cmd, env);
	}
	close(p[1]);
	(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
	/* Until it exits (a backgrounded grandchild keeping the pipe open does not hold us). */
	for (;;) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };

		if (poll(open_pipe ? &pf : NULL, open_pipe ? 1 : 0, 20) > 0)
			open_pipe = drain(p[0], r);
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR)) {
			werr = errno;
			if (open_pipe)
				(void)drain(p[0], r);
			break;
		}
		if (ro)
			rollout_wait(ro, 0);	/* sessions stay alive */
		if (mono_ms() >= deadline || (ro && ro->stop && *ro->stop)) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(p[0]);
			snprintf(r->why, sizeof(r->why), "%s", ro && ro->stop && *ro->stop ? "interrupted" :
			    "timed out (op_timeout)");
			return -1;
		}
	}
	close(p[0]);
	if (w < 0) {
		snprintf(r->why, sizeof(r->why), "cannot wait for the switch command: %s", strerror(werr));
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	snprintf(r->why, sizeof(r->why), "%s %d", WIFEXITED(status) ? "exited with status" : "killed by signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return -1;
}

void
bg_print_output(const struct bg_switch_result *r)
{
	const char *p = r->output;

	while (*p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		fprintf(stderr, "switch: | %.*s\n", len, p);
		p += len + (nl != NULL);
	}
	if (r->lost)
		fprintf(stderr, "switch: | ... (%zu more bytes not shown)\n", r->lost);
}
