/*
 * The fleet's notify command (cutover.ini(5), notify): run on the
 * coordinator at a rollout's start, pause, finish and failure with the
 * event as one JSON object on its stdin, e.g. a curl to a chat webhook.
 * A notification is a courtesy: a notify that fails or hangs is reported
 * and the rollout goes on (it is killed after NOTIFY_TIMEOUT_S); the fleet
 * loop keeps the sessions alive meanwhile, as for the gate.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "notify.h"

#define NOTIFY_TIMEOUT_S 30

/* The event as one JSON line (malloc'd), or NULL. */
static char *
event_json(const struct engine *e, const char *event, const char *outcome, int code)
{
	const struct rollout *ro = e->ro;
	struct kvlist ev = KVLIST_INIT;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		return NULL;
	kv_add(&ev, "event", event);
	kv_add(&ev, "rollout", ro->id.rollout);
	kv_add(&ev, "kind", ro->id.kind ? ro->id.kind : "deploy");
	kv_add(&ev, "actor", ro->id.actor);
	kv_add(&ev, "app", ro->app ? ro->app : "");
	kv_add(&ev, "release", e->rel);
	kv_add_int(&ev, "hosts", (long long)e->nmember);
	if (outcome != NULL) {
		kv_add(&ev, "outcome", outcome);
		kv_add_int(&ev, "exit", cut_exit_code(code));
		kv_add_int(&ev, "duration_ms", mono_ms() - ro->t0);
	}
	if (e->left[0])
		kv_add(&ev, "left_behind", e->left);
	kv_add_int(&ev, "ts_ms", now_ms());
	kv_add(&ev, "fleet", ro->g->fleet_file ? ro->g->fleet_file : "");
	kv_print_json(&ev, f);
	kv_free(&ev);
	fclose(f);
	return out;
}

/* Child: stdin from the pipe, stdout onto our stderr (our stdout may be JSON), own group. */
static void
notify_child(const char *cmd, int in, const char *event)
{
	setpgid(0, 0);
	if (dup2(in, STDIN_FILENO) < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		_exit(127);
	setenv("CUTOVER_EVENT", event, 1);
	signal(SIGPIPE, SIG_DFL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* Wait for pid with the fleet loop running; 0 timed out (killed), else 1 with status set. */
static int
await(struct rollout *ro, pid_t pid, int *status)
{
	long long deadline = mono_ms() + NOTIFY_TIMEOUT_S * 1000LL;
	pid_t w;

	while ((w = waitpid(pid, status, WNOHANG)) == 0 && mono_ms() < deadline) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		rollout_wait(ro, 50);
		nanosleep(&ts, NULL);	/* rollout_wait returns at once with nothing in flight */
	}
	if (w != 0)
		return 1;
	kill(-pid, SIGKILL);
	waitpid(pid, status, 0);
	return 0;
}

void
engine_notify(struct engine *e, const char *event, const char *outcome, int code)
{
	struct rollout *ro = e->ro;
	const char *cmd = ro->run.sel.global.notify;
	char *json;
	int fds[2], status = 0;
	pid_t pid;

	if (cmd == NULL || *cmd == '\0' || (json = event_json(e, event, outcome, code)) == NULL)
		return;
	fflush(stdout);
	fflush(stderr);
	if (pipe2(fds, O_CLOEXEC) == -1 || (pid = fork()) < 0) {
		rollout_event(ro, "notify", NULL, "%s: cannot run notify: %s (not fatal)", event, strerror(errno));
		free(json);
		return;
	}
	if (pid == 0)
		notify_child(cmd, fds[0], event);
	close(fds[0]);
	/* Small enough for the pipe's buffer; a notify that reads nothing gets EPIPE, not us stuck. */
	if (write(fds[1], json, strlen(json)) < 0)
		log_debug("notify: stdin not written: %s", strerror(errno));
	close(fds[1]);
	free(json);
	if (!await(ro, pid, &status))
		rollout_event(ro, "notify", NULL, "%s: notify timed out after %d s and was killed (not fatal)",
		    event, NOTIFY_TIMEOUT_S);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		rollout_event(ro, "notify", NULL, "%s: notify %s %d (not fatal)", event,
		    WIFEXITED(status) ? "exited with status" : "killed by signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	else
		log_debug("notify: %s sent", event);
}
