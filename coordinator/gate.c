/* The gate command between batches (gate.h). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"
#include "gate.h"
#include "log.h"
#include "plan.h"

int
engine_gate_set(const struct engine *e)
{
	const char *g = e->ro->run.sel.global.gate;

	return g != NULL && *g != '\0';
}

/* The batch's host names, space separated. */
static void
batch_hosts(const struct engine *e, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t k = e->starts[e->batch]; k < plan_batch_end(e, e->batch) && used < len; k++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", used ? " " : "",
		    e->ro->nodes[e->order[k]].h->name);
}

/* Child: the gate's environment, its stdout onto our stderr (stdout may be JSON), then exec. */
static void
gate_child(const struct engine *e, const char *cmd)
{
	char num[24], hosts[8192];

	batch_hosts(e, hosts, sizeof(hosts));
	setenv("CUTOVER_RELEASE", e->rel, 1);
	setenv("CUTOVER_APP", e->ro->app, 1);
	setenv("CUTOVER_ROLLOUT", e->ro->id.rollout, 1);
	setenv("CUTOVER_BATCH_HOSTS", hosts, 1);
	snprintf(num, sizeof(num), "%zu", e->batch + 1);
	setenv("CUTOVER_BATCH", num, 1);
	snprintf(num, sizeof(num), "%zu", e->nb);
	setenv("CUTOVER_BATCHES", num, 1);
	if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

void
engine_gate(struct engine *e)
{
	struct rollout *ro = e->ro;
	const char *cmd = ro->run.sel.global.gate;
	long long deadline = mono_ms() + ro->run.sel.global.op_timeout * 1000;
	int status = 0;
	pid_t pid, w = 0;

	if (!engine_gate_set(e))
		return;
	rollout_event(ro, "gate", NULL, "batch %zu/%zu: %s", e->batch + 1, e->nb, cmd);
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		rollout_event(ro, "gate", NULL, "cannot start the gate: %s", strerror(errno));
		e->gate_failed = 1;
		return;
	}
	if (pid == 0)
		gate_child(e, cmd);
	/* The fleet loop keeps running meanwhile: sessions stay alive, losses are seen. */
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 && !e->stop && e->failures <= e->max_fail &&
	    mono_ms() < deadline)
		rollout_wait(ro, 100);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		rollout_event(ro, "gate", NULL, "%s; the gate was stopped", e->stop ? "interrupted" :
		    e->failures > e->max_fail ? "hosts failed meanwhile" : "timed out (op_timeout)");
		e->gate_failed = 1;
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		rollout_event(ro, "gate", NULL, "batch %zu/%zu passed", e->batch + 1, e->nb);
		return;
	}
	e->gate_failed = 1;
	rollout_event(ro, "gate", NULL, "batch %zu/%zu refused: gate %s %d", e->batch + 1, e->nb,
	    WIFEXITED(status) ? "exited" : "killed by signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}
