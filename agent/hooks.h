/*
 * Hooks and health checks: shell commands run in the release directory
 * with CUTOVER_APP, CUTOVER_ROOT, CUTOVER_RELEASE and CUTOVER_PREVIOUS set,
 * stdin on /dev/null, a time limit (the whole process group is killed when
 * it passes), each output line sent to the sink as an event and the tail
 * of the output kept for the journal.
 */
#ifndef CUT_HOOKS_H
#define CUT_HOOKS_H

#include <stddef.h>

#include "app.h"
#include "manifest.h"
#include "sink.h"

/*
 * Grace between SIGTERM and SIGKILL for a command past its time limit: a
 * command can take this much longer than its timeout (op_worst_case_s).
 */
#define HOOK_KILL_GRACE_MS 2000
/*
 * How long the output pipe is still read after the command's shell exits:
 * what a daemon the hook started (and did not detach with setsid and its
 * own stdout/stderr) writes later is not waited for. cutover-agent.ini(5).
 */
#define HOOK_DRAIN_GRACE_MS 1000
/* Output lines sent as events per operation; more are counted in one line. */
#define HOOK_EVENT_LINES_MAX 2000

struct hook_ctx {
	struct app *app;
	const char *release;	/* the release the command runs in */
	const char *previous;	/* "" when none */
	const struct sink *sink;
	int finish_on_signal;	/* a reversal: run to the end even after SIGTERM */
	const struct manifest *man;	/* release's manifest (CUTOVER_SCHEMA, ...), or NULL */
	const char *action;	/* CUTOVER_ACTION: deploy, rollback or drill; NULL: unset */
	char output[4096];	/* tail of all output so far, NUL-terminated */
	size_t outlen;
	int lines_sent;		/* output events so far (HOOK_EVENT_LINES_MAX) */
};

/*
 * Run one command. 0 when it exited 0; CUT_ERR_FAILED (non-zero exit,
 * signal) or CUT_ERR_TIMEOUT otherwise, with a one-line reason in why.
 * An empty command succeeds without running anything.
 */
int hook_run(struct hook_ctx *h, const char *what, const char *cmd, int timeout_s,
    char *why, size_t whylen);

/* The configured health check with its retries and interval. */
int health_check(struct hook_ctx *h, char *why, size_t whylen);

#endif
