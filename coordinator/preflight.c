/*
 * The PREFLIGHT phase: every host reachable, locked by us, its current
 * release recorded; then the rollout's start record. Nothing changes on
 * any host before this phase has passed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "proto.h"
#include "notify.h"
#include "err.h"
#include "fsutil.h"

/*
 * An earlier rollout of this app that never finished (coordinator killed,
 * or partial) recorded what each host ran before it. A host that is not
 * back on that release keeps it as its previous release: it is where a
 * reversal, or a later rollback, must take it.
 */
static void
inherit(struct engine *e)
{
	struct rollout *ro = e->ro;
	struct rj_rollout last;
	size_t n = 0;

	if (rj_last(ro->g->fleet_file, ro->app, &last) != CUT_OK || !rj_unsettled(&last)) {
		rj_rollout_free(&last);
		return;
	}
	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];
		const struct rj_host *h = rj_find(&last, nd->h->name);

		if (!e->member[i] || h == NULL || !h->switching || h->reversed || strcmp(nd->prev, h->prev) == 0)
			continue;
		snprintf(nd->prev, sizeof(nd->prev), "%s", h->prev);
		nd->inherited = 1;
		n++;
	}
	if (n > 0)
		rollout_event(ro, "resume", NULL,
		    "the rollout of %s was not finished (%s); %zu host(s) keep their recorded previous release",
		    last.release, last.ended ? last.outcome : "interrupted", n);
	rj_rollout_free(&last);
}

/* The start record: release, checksum, and every member's previous release, in one write. */
void
engine_journal_start(struct engine *e)
{
	struct rollout *ro = e->ro;
	size_t n = 0;

	for (size_t i = 0; i < ro->n; i++)
		n += e->member[i];
	engine_journal(e, "start ts=%lld release=%s sha256=%s hosts=%zu id=%s", now_ms(), e->rel, e->sha, n,
	    e->ro->id.rollout);
	for (size_t i = 0; i < ro->n; i++) {
		const struct node *nd = &ro->nodes[i];

		if (!e->member[i])
			continue;
		engine_journal(e, "host name=%s prev=%s", nd->h->name, nd->prev);
		if (nd->inherited)
			engine_journal(e, "switched name=%s", nd->h->name);
	}
	engine_journal_flush(e);
	e->started = 1;
	engine_notify(e, "start", NULL, 0);
}

/* A paused rollout of this app on any host: it must be resumed or aborted first. */
static int
refuse_if_paused(struct engine *e)
{
	for (size_t i = 0; i < e->ro->n; i++) {
		const struct node *nd = &e->ro->nodes[i];
		const char *st = kv_get(&nd->res, "note_state"), *id = kv_get(&nd->res, "note_rollout");

		if (!e->member[i] || st == NULL || strcmp(st, "paused") != 0)
			continue;
		e->code = CUT_ERR_LOCKED;
		rollout_event(e->ro, "abort", NULL, "rollout %s of %s is paused (%s): `cutover resume` or "
		    "`cutover abort` it first; nothing changed", id ? id : "?",
		    kv_get(&nd->res, "note_release") ? kv_get(&nd->res, "note_release") : "?", nd->h->name);
		return 1;
	}
	return 0;
}

/* An archive URL: an agent that cannot fetch (before protocol 1.4) fails here, before anything changes. */
static void
refuse_no_fetch(struct rollout *ro)
{
	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];

		if (nd->st == NODE_LOCKED && !sess_has_cap(&nd->s, PROTO_CAP_FETCH))
			node_fail(nd, CUT_ERR_USAGE, "its agent cannot fetch an archive URL (protocol 1.4, cap "
			    "fetch): upgrade it, or deploy the archive file");
	}
}

enum rollout_phase
engine_preflight(struct engine *e)
{
	struct rollout *ro = e->ro;
	size_t unasked = 0;

	rollout_event(ro, "start", NULL, "deploy %s %s (sha256 %.12s) to %zu hosts", ro->app, e->rel, e->sha,
	    ro->n);
	rollout_connect(ro);
	rollout_lock(ro, e->max_fail, e->o->wait);
	for (size_t i = 0; i < ro->n; i++)
		if (ro->nodes[i].st == NODE_LOCKED)
			node_request(&ro->nodes[i], "status", NULL);
	rollout_wait(ro, -1);
	if (e->o->url)
		refuse_no_fetch(ro);
	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];
		const char *cur = kv_get(&nd->res, "current");

		if (nd->st == NODE_LOCKED) {
			snprintf(nd->prev, sizeof(nd->prev), "%s", cur ? cur : "");
			e->member[i] = 1;
		} else if (nd->st == NODE_READY)
			unasked++;	/* the lock order stopped before this host */
		else {
			e->failures++;
			e->locked |= nd->err == CUT_ERR_LOCKED;
			rollout_event(ro, "preflight", nd, "%s", nd->why[0] ? nd->why : "failed");
		}
	}
	if (e->failures > e->max_fail || unasked > 0 || e->stop) {
		e->code = !e->stop && e->locked ? CUT_ERR_LOCKED : CUT_ERR_FAILED;
		rollout_event(ro, "abort", NULL, "preflight: %zu host(s) failed (max_fail %zu)%s; nothing changed",
		    e->failures, e->max_fail, e->stop ? ", interrupted" : "");
		return RP_ABORTED;
	}
	rollout_event(ro, "preflight", NULL, "%zu hosts locked", ro->n - e->failures);
	if (refuse_if_paused(e))
		return RP_ABORTED;
	inherit(e);
	engine_journal_start(e);
	return RP_STAGE;
}
