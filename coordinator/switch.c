/*
 * The SWITCH and BAKE phases: activate one batch (each host runs its
 * hooks and health check), then optionally let it bake, re-run each
 * host's health check, and ask the fleet's gate. Every host's result is
 * reported and journalled the moment it arrives, and a batch stops
 * baking as soon as max_fail is exceeded.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "err.h"
#include "gate.h"
#include "plan.h"

static int
in_batch(const struct engine *e, const struct node *nd)
{
	size_t i = (size_t)(nd - e->ro->nodes);

	return e->member[i] && plan_batch_of(e, i) == e->batch;
}

static void
count_failure(struct engine *e, struct node *nd)
{
	e->failures++;
	rollout_event(e->ro, "failed", nd, "%s", nd->why[0] ? nd->why : "not on the new release");
	engine_journal(e, "failed name=%s", nd->h->name);
	/* Failed, but its agent put the previous release back itself (exit 1). */
	if (nd->st == NODE_FAILED && nd->err == CUT_ERR_REVERSED)
		engine_journal(e, "reversed name=%s release=%s", nd->h->name, nd->prev);
}

/* A batch host answered (or was lost): judge it now, not at the end of the batch. */
static void
on_settle(struct rollout *ro, struct node *nd)
{
	struct engine *e = ro->user;
	/* After the bake: `check` names the release it checked, `status` only current. */
	const char *key = e->phase == RP_BAKE && !sess_has_cap(&nd->s, PROTO_CAP_CHECK) ? "current" : "release";
	const char *on = kv_get(&nd->res, key);

	if (!in_batch(e, nd))
		return;
	if (nd->st == NODE_SWITCHED && on && strcmp(on, e->rel) == 0) {
		if (e->phase == RP_SWITCH) {
			rollout_event(ro, "switched", nd, "%s %s",
			    kv_get(&nd->res, "unchanged") ? "already on" : "now on", e->rel);
			engine_journal(e, "switched name=%s", nd->h->name);
		}
		return;
	}
	if (nd->st == NODE_SWITCHED)	/* answered, but not on the release */
		node_fail(nd, CUT_ERR_FAILED, "reports %s, not %s", on ? on : "no release", e->rel);
	count_failure(e, nd);
}

static int
over_budget(struct rollout *ro)
{
	const struct engine *e = ro->user;

	return e->failures > e->max_fail;
}

/* Where a batch leads: reversal, its bake, a pause, the next batch, or the end. */
static enum rollout_phase
after_batch(struct engine *e)
{
	struct rollout *ro = e->ro;

	engine_journal_flush(e);
	if (e->failures > e->max_fail || e->stop || e->gate_failed) {
		e->code = CUT_ERR_REVERSED;
		if (e->stop && e->failures <= e->max_fail)
			rollout_event(ro, "interrupt", NULL, "signal received; stop switching");
		return RP_REVERSING;
	}
	if (e->phase == RP_SWITCH && (e->o->bake > 0 || engine_gate_set(e)))
		return RP_BAKE;
	if (++e->batch < e->nb) {
		if (e->o->pause_after > 0 && e->batch == (size_t)e->o->pause_after)
			return RP_PAUSED;
		return RP_SWITCH;
	}
	/* Every batch through: a switched host lost since cannot be vouched for. */
	for (size_t i = 0; i < ro->n; i++)
		if (ro->nodes[i].st == NODE_LOST && node_reversal_target(&ro->nodes[i]))
			engine_leave(e, &ro->nodes[i]);
	return e->left[0] ? RP_PARTIAL : RP_DONE;
}

enum rollout_phase
engine_switch(struct engine *e)
{
	struct rollout *ro = e->ro;
	struct kvlist a = KVLIST_INIT;
	size_t end = plan_batch_end(e, e->batch);

	ro->on_settle = on_settle;
	ro->cut_short = over_budget;
	rollout_event(ro, "batch", NULL, "batch %zu/%zu", e->batch + 1, e->nb);
	kv_add(&a, "release", e->rel);
	for (size_t k = e->starts[e->batch]; k < end; k++) {
		size_t i = e->order[k];
		struct node *nd = &ro->nodes[i];

		if (e->member[i] && nd->st == NODE_STAGED && node_request(nd, "activate", &a) == CUT_OK)
			engine_journal(e, "switching name=%s", nd->h->name);
	}
	kv_free(&a);
	/* On disk before the requests leave (they go out in the wait below). */
	engine_journal_flush(e);
	rollout_wait(ro, -1);
	return after_batch(e);
}

enum rollout_phase
engine_bake(struct engine *e)
{
	struct rollout *ro = e->ro;
	size_t end = plan_batch_end(e, e->batch);

	/* Cut short by a signal, or by a batch host lost beyond max_fail. */
	if (e->o->bake > 0)
		rollout_wait(ro, e->o->bake * 1000);
	if (!e->stop && e->failures <= e->max_fail && e->o->bake > 0) {
		/* Each host's health check again (older agents: its current release). */
		for (size_t k = e->starts[e->batch]; k < end; k++) {
			struct node *nd = &ro->nodes[e->order[k]];

			if (e->member[e->order[k]] && nd->st == NODE_SWITCHED)
				node_request(nd, sess_has_cap(&nd->s, PROTO_CAP_CHECK) ? "check" : "status", NULL);
		}
		rollout_wait(ro, -1);
	}
	if (!e->stop && e->failures <= e->max_fail)
		engine_gate(e);
	return after_batch(e);
}
