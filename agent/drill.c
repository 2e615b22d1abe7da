/*
 * drill: rehearse a rollback on this host (cutover-agent(8), "drill";
 * cutover(1), "drill"). Under one lock: roll back to the previous good
 * release with its hooks and health check, then switch back to the
 * release that was current, with its hooks and health check. Both legs
 * are journalled as ordinary switches with via=drill (hooks see
 * CUTOVER_ACTION=drill), then one op=drill record with the measured times.
 *
 * The whole drill runs here, not step by step from the coordinator, so a
 * coordinator or network lost mid-drill cannot strand the host on the old
 * release: the agent finishes the way back by itself (a vanished client
 * only makes its output go nowhere).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "activation.h"
#include "cli.h"
#include "cmds.h"
#include "err.h"
#include "fsutil.h"
#include "journal.h"
#include "ops.h"
#include "state.h"

struct drill {
	char start[RELEASE_ID_MAX + 1], target[RELEASE_ID_MAX + 1], now[RELEASE_ID_MAX + 1];
	char why[1024];
	const char *outcome;
	long long restore_ms, forward_ms, total_ms;
	int back_r, fwd_r;
};

/* The leg's error line into d->why (first one wins). */
static void
leg_error(struct drill *d, const char *leg, const struct kvlist *sub)
{
	const char *e = kv_get(sub, "error");

	if (d->why[0] == '\0')
		snprintf(d->why, sizeof(d->why), "%s: %s", leg, e ? e : "failed");
}

/* Roll back, then forward; fills the outcome. */
static void
run_legs(struct app *app, struct drill *d, const struct sink *sink)
{
	struct kvlist sub = KVLIST_INIT;
	long long t0 = mono_ms();

	emit_message(sink, "drill", "drill: rolling back %s -> %s", d->start, d->target);
	d->back_r = switch_checked(app, "rollback", "drill", d->target, sink, &sub);
	d->restore_ms = mono_ms() - t0;
	if (d->back_r != CUT_OK)
		leg_error(d, "rollback", &sub);
	kv_free(&sub);
	if (read_current(app, d->now) == CUT_OK && strcmp(d->now, d->start) != 0) {
		long long t1 = mono_ms();

		emit_message(sink, "drill", "drill: rolling forward %s -> %s", d->target, d->start);
		d->fwd_r = switch_checked(app, "activate", "drill", d->start, sink, &sub);
		d->forward_ms = mono_ms() - t1;
		if (d->fwd_r != CUT_OK)
			leg_error(d, "roll forward", &sub);
		kv_free(&sub);
	}
	d->total_ms = mono_ms() - t0;
	if (read_current(app, d->now) != CUT_OK)
		snprintf(d->now, sizeof(d->now), "?");
	if (strcmp(d->now, d->start) != 0)
		d->outcome = "stranded";	/* not back: `cutover drill` exits 5 */
	else if (d->fwd_r != CUT_OK)
		d->outcome = "unhealthy";	/* back, but its health check fails now */
	else if (d->back_r == CUT_ERR_BAD_ID)
		d->outcome = "refused";		/* the migration guard: nothing changed */
	else if (d->back_r != CUT_OK)
		d->outcome = "failed";		/* the rollback path is broken; back on start */
	else
		d->outcome = "ok";
}

static int
drill_code(const struct drill *d)
{
	if (strcmp(d->outcome, "ok") == 0)
		return CUT_OK;
	if (strcmp(d->outcome, "refused") == 0)
		return CUT_ERR_BAD_ID;
	if (strcmp(d->outcome, "failed") == 0)
		return CUT_ERR_REVERSED;
	/* Exit 5 is the coordinator's alone (cutover-agent(8)): 1, and outcome says which. */
	return CUT_ERR_FAILED;
}

int
op_drill(struct app *app, const struct sink *sink, struct kvlist *res)
{
	const struct state *st;
	const char *t;
	struct drill d;
	struct kvlist rec = KVLIST_INIT;
	int r;

	memset(&d, 0, sizeof(d));
	if ((r = app_state(app, &st)) != CUT_OK)
		return op_fail(res, r, "cannot read state: %s", strerror(errno));
	if (st->current[0] == '\0')
		return op_fail(res, CUT_ERR_NO_RELEASE, "nothing is current: nothing to drill");
	if ((t = state_rollback_target(st)) == NULL)
		return op_fail(res, CUT_ERR_NO_RELEASE,
		    "no previous good release to drill a rollback to (current: %s)", st->current);
	snprintf(d.start, sizeof(d.start), "%s", st->current);
	snprintf(d.target, sizeof(d.target), "%s", t);
	run_legs(app, &d, sink);

	kv_add(&rec, "release", d.start);
	kv_add(&rec, "target", d.target);
	kv_add(&rec, "outcome", d.outcome);
	kv_add_int(&rec, "restore_ms", d.restore_ms);
	kv_add_int(&rec, "forward_ms", d.forward_ms);
	kv_add_int(&rec, "duration_ms", d.total_ms);
	if (d.why[0])
		kv_add(&rec, "error", d.why);
	if (journal_append(app, "drill", "end", &rec) != CUT_OK)
		emit_message(sink, "drill", "cannot journal the drill: %s", strerror(errno));
	kv_free(&rec);

	kv_set(res, "release", d.start);
	kv_set(res, "target", d.target);
	kv_set(res, "current", d.now);
	kv_set(res, "outcome", d.outcome);
	kv_add_int(res, "restore_ms", d.restore_ms);
	kv_add_int(res, "forward_ms", d.forward_ms);
	kv_add_int(res, "duration_ms", d.total_ms);
	if ((r = drill_code(&d)) != CUT_OK)
		return op_fail(res, r, "%s (%s; current: %s)", d.why, d.outcome, d.now);
	kv_addf(res, "message", "drill ok: %s -> %s in %lld ms, back on %s in %lld ms", d.start,
	    d.target, d.restore_ms, d.start, d.total_ms);
	return CUT_OK;
}

static int
run_drill(struct app *app, char **args, const struct sink *sink, struct kvlist *res)
{
	(void)args;
	return op_drill(app, sink, res);
}

int
agent_cmd_drill(const struct global_opts *g, int argc, char **argv)
{
	return cli_run_simple(g, argc, argv, "APP", 0, 1, run_drill);
}
