/*
 * cutover resume / cutover abort: a paused rollout (deploy --pause-after)
 * continued from its next batch with the same plan, or reversed node by
 * node. The plan comes from the hosts: each got a note at the pause with
 * the rollout, its release, its own batch and the rollout's counters, so
 * any machine with the fleet file and keys can continue it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "err.h"
#include "log.h"

static const char *
res(const struct node *nd, const char *key)
{
	const char *v = kv_get(&nd->res, key);

	return v ? v : "";
}

static int
paused(const struct node *nd)
{
	return nd->st == NODE_LOCKED && strcmp(res(nd, "note_state"), "paused") == 0 && *res(nd, "note_rollout");
}

/* The newest paused note among the hosts, or NULL. */
static const struct node *
find_paused(const struct rollout *ro)
{
	const struct node *best = NULL;

	for (size_t i = 0; i < ro->n; i++)
		if (paused(&ro->nodes[i]) && (best == NULL ||
		    kv_get_int(&ro->nodes[i].res, "note_ts_ms", 0) > kv_get_int(&best->res, "note_ts_ms", 0)))
			best = &ro->nodes[i];
	return best;
}

/* Batches from each member's own note, in batch order; 0 or an exit code. */
static int
rebuild_plan(struct engine *e, const struct node *ref)
{
	struct rollout *ro = e->ro;
	size_t k = 0;

	e->nb = (size_t)kv_get_int(&ref->res, "note_batches", 0);
	e->batch = (size_t)kv_get_int(&ref->res, "note_next_batch", 1) - 1;
	e->max_fail = (size_t)kv_get_int(&ref->res, "note_max_fail", 0);
	e->failures = (size_t)kv_get_int(&ref->res, "note_failures", 0);
	e->order = calloc(ro->n ? ro->n : 1, sizeof(*e->order));
	e->starts = calloc(e->nb ? e->nb : 1, sizeof(*e->starts));
	e->member = calloc(ro->n ? ro->n : 1, 1);
	if (e->order == NULL || e->starts == NULL || e->member == NULL)
		return log_error("out of memory"), CUT_EXIT_REVERSED;
	if (e->nb == 0 || e->nb > ro->n || e->batch >= e->nb)
		return log_error("paused rollout %s: its note is not a plan (batch %zu of %zu)",
		    ro->id.rollout, e->batch + 1, e->nb), CUT_EXIT_BAD_INPUT;
	for (size_t b = 1; b <= e->nb; b++) {
		e->starts[b - 1] = k;
		for (size_t i = 0; i < ro->n; i++)
			if (paused(&ro->nodes[i]) && strcmp(res(&ro->nodes[i], "note_rollout"), ro->id.rollout) == 0 &&
			    (size_t)kv_get_int(&ro->nodes[i].res, "note_batch", 0) == b) {
				e->order[k++] = i;
				e->member[i] = 1;
				e->nmember++;
			}
	}
	/* Hosts outside the plan come last, never in a batch (not members). */
	for (size_t i = 0; i < ro->n; i++)
		if (!e->member[i])
			e->order[k++] = i;
	return 0;
}

/*
 * Where each member stands: switched by this rollout (a reversal target,
 * back to the release it ran before it), or still to switch (staged at
 * the start of the rollout).
 */
static void
place_members(struct engine *e)
{
	struct rollout *ro = e->ro;

	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];

		if (!e->member[i])
			continue;
		if (strcmp(res(nd, "current_rollout"), ro->id.rollout) == 0 &&
		    strcmp(res(nd, "current_op"), "rollback") != 0) {
			nd->inherited = 1;
			snprintf(nd->prev, sizeof(nd->prev), "%s", res(nd, "current_from"));
		} else {
			snprintf(nd->prev, sizeof(nd->prev), "%s", res(nd, "current"));
			/* Installed at the rollout's stage; an activate fails cleanly if it went. */
			node_set_state(nd, NODE_STAGED);
		}
	}
}

/* Connect, lock, read every host's status; the paused rollout's reference host, or NULL. */
static const struct node *
preflight(struct engine *e, const char *cmd)
{
	struct rollout *ro = e->ro;
	const struct node *ref;

	rollout_connect(ro);
	rollout_lock(ro, ro->n, e->o->wait);
	for (size_t i = 0; i < ro->n; i++)
		if (ro->nodes[i].st == NODE_LOCKED)
			node_request(&ro->nodes[i], "status", NULL);
	rollout_wait(ro, -1);
	if ((ref = find_paused(ro)) == NULL)
		log_error("%s: no paused rollout of %s on the selected hosts", cmd, ro->app);
	return ref;
}

static int
setup(struct engine *e, int abort)
{
	struct rollout *ro = e->ro;
	const char *cmd = abort ? "abort" : "resume";
	const struct node *ref;
	int rc;

	if ((rc = identity_new(&ro->id, abort ? "abort" : "deploy", e->o->actor)) != 0)
		return rc;
	if ((ref = preflight(e, cmd)) == NULL)
		return CUT_EXIT_BAD_INPUT;
	/* The same rollout goes on: its hosts' records keep one ID. */
	snprintf(ro->id.rollout, sizeof(ro->id.rollout), "%s", res(ref, "note_rollout"));
	snprintf(e->rel, sizeof(e->rel), "%s", res(ref, "note_release"));
	snprintf(e->sha, sizeof(e->sha), "%s", res(ref, "note_sha256"));
	ro->release = e->rel;
	if ((rc = rebuild_plan(e, ref)) != 0)
		return rc;
	place_members(e);
	rollout_event(ro, cmd, NULL, "rollout %s of %s, paused before batch %zu of %zu; %zu host(s) in its plan",
	    ro->id.rollout, e->rel, e->batch + 1, e->nb, e->nmember);
	if (rj_open(&ro->j, ro->g->fleet_file, ro->app) != CUT_OK)
		return CUT_EXIT_USAGE;
	engine_journal_start(e);
	return 0;
}

int
engine_resume(struct rollout *ro, const struct deploy_opts *o, int abort)
{
	struct deploy_opts plan_opts = *o;
	struct engine e;
	int rc;

	memset(&e, 0, sizeof(e));
	e.ro = ro;
	e.o = &plan_opts;
	e.mode = abort ? ENGINE_ABORT : ENGINE_RESUME;
	recompress_init(&e.rc);
	ro->app = o->app ? o->app : ro->app;
	if (ro->app == NULL || ro->app[0] == '\0') {
		log_error("%s: no app (set app in the fleet file or give --app)", abort ? "abort" : "resume");
		return CUT_EXIT_USAGE;
	}
	if ((rc = coord_check_files(&ro->run)) != 0)
		return rc;
	ro->user = &e;
	rollout_sigsetup(&e.stop);
	ro->stop = &e.stop;
	if ((rc = setup(&e, abort)) == 0) {
		/* The rollout's own bake; no second pause. */
		for (size_t i = 0; i < ro->n && !abort; i++)
			if (e.member[i])
				plan_opts.bake = kv_get_int(&ro->nodes[i].res, "note_bake", 0);
		plan_opts.pause_after = 0;
		e.code = abort ? CUT_ERR_REVERSED : CUT_OK;
		e.phase = abort ? RP_REVERSING : RP_SWITCH;
		rollout_phase(ro, "%s", abort ? "reverse" : "switch");
		while (engine_advance(&e))
			;
		rc = engine_finish(&e);
	} else
		rollout_finish(ro);
	rollout_sigsetup(NULL);
	ro->stop = NULL;
	ro->user = NULL;
	engine_free(&e);
	return rc;
}
