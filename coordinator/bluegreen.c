/*
 * Blue-green deploy, rollback and the status line (bluegreen.h). Each
 * command reads both pools' status first (bg-view.h); deploy then runs the
 * ordinary engine on the idle pool, re-reads both pools, and only when the
 * whole pool answers on the new release runs switch; rollback only runs
 * switch. A successful switch is recorded on every host of both pools
 * (note state=live): pool, release, from, from_release, and the identity.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg-switch.h"
#include "bg-view.h"
#include "bluegreen.h"
#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "rollout.h"

int
bg_configured(const struct copts *g)
{
	struct fleet_conf fc;
	char err[512];
	int on;

	if (fleet_conf_load(g->fleet_file, &fc, err, sizeof(err)) != CUT_OK)
		return 0;
	on = fc.pool[0] != NULL;
	fleet_conf_free(&fc);
	return on;
}

/* Connect to every host of both pools and read its status; exit code or 0. */
static int
bg_open(struct rollout *ro, const struct copts *g, const char *app, const char *exclude, const char *cmd,
    struct bg_view *v)
{
	struct incident_opts io = { .app = app, .exclude = exclude };
	struct fleet_conf fc;
	char err[512], *all;
	int rc;

	/* The selection is the pools' hosts: load once to name them. */
	if (fleet_conf_load(g->fleet_file, &fc, err, sizeof(err)) != CUT_OK) {
		log_error("%s", err);
		return CUT_EXIT_USAGE;
	}
	all = bg_all_hosts(&fc);
	fleet_conf_free(&fc);
	if (all == NULL)
		return log_error("out of memory"), CUT_EXIT_USAGE;
	io.hosts = all;
	rc = incident_open(ro, g, &io, cmd, "status");
	free(all);
	if (rc != 0)
		return rc;
	bg_view_read(ro, v);
	return 0;
}

/* What the live pool runs: its hosts' common release, else the record's. */
static void
live_release(const struct bg_view *v, char *out, size_t len)
{
	const struct bg_pool *p = &v->p[v->live];

	if (p->cur[0] && !p->mixed && p->down == 0)
		snprintf(out, len, "%s", p->cur);
	else if (v->rec && strcmp(bg_rec(v, "pool"), p->name) == 0)
		snprintf(out, len, "%s", bg_rec(v, "release"));
	else
		out[0] = '\0';
}

/* Send note args to every answering host (of pool, unless -1) whose agent lists cap; wait for them. */
static void
bg_note(struct rollout *ro, const struct kvlist *args, int pool, const char *cap)
{
	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];

		if (node_idle(nd) && nd->st == NODE_READY && sess_has_cap(&nd->s, cap) &&
		    (pool < 0 || bg_pool_of(ro, nd->h->name) == pool))
			node_request(nd, "note", args);
	}
	rollout_wait(ro, -1);
}

/* Record the switch to pool `to` on every host that answers; hosts that could not take it are named. */
static void
bg_record(struct rollout *ro, const struct bg_view *v, int to, const char *release, const char *from_release,
    long long switch_ms)
{
	struct kvlist a = KVLIST_INIT;
	char missed[4096] = "";

	kv_add(&a, "state", "live");
	kv_add(&a, "pool", v->p[to].name);
	kv_add(&a, "release", release);
	kv_add(&a, "from", v->p[1 - to].name);
	kv_add(&a, "from_release", from_release);
	if (strlen(v->p[to].hosts) <= 4096)	/* a note field's bound (proto/PROTOCOL); the pool is in the fleet file */
		kv_add(&a, "hosts", v->p[to].hosts);
	kv_addf(&a, "switch_ms", "%lld", switch_ms);
	kv_addf(&a, "at_ms", "%lld", now_ms());	/* one time for the whole switch, whatever the hosts' clocks */
	bg_note(ro, &a, -1, PROTO_CAP_LIVE);
	kv_free(&a);
	for (size_t i = 0; i < ro->n; i++) {
		const struct node *nd = &ro->nodes[i];
		size_t used = strlen(missed);

		if (nd->st != NODE_READY || !sess_has_cap(&nd->s, PROTO_CAP_LIVE) ||
		    strcmp(kv_get(&nd->res, "state") ? kv_get(&nd->res, "state") : "", "live") != 0)
			snprintf(missed + used, sizeof(missed) - used, "%s%s", used ? " " : "", nd->h->name);
	}
	if (missed[0])
		rollout_event(ro, "switch", NULL, "the switch is not recorded on %s (unreachable or an agent "
		    "before protocol 1.4); the newest record on the others wins", missed);
}

/*
 * A deploy whose switch failed: its hosts in pool `to` were switched but
 * never served. A note (state=aborted, switch=failed) on them tells
 * `report` not to count the rollout as a deployment until a switch record
 * (state=live) of the same release follows (cutover(1), report).
 */
static void
bg_record_failed(struct rollout *ro, const struct bg_view *v, int to, const char *release)
{
	struct kvlist a = KVLIST_INIT;

	kv_add(&a, "state", "aborted");
	kv_add(&a, "switch", "failed");
	kv_add(&a, "pool", v->p[to].name);
	kv_add(&a, "release", release);
	bg_note(ro, &a, to, PROTO_CAP_NOTE);
	kv_free(&a);
}

/* Run switch to make pool `to` live; 0 (*ms: how long it took), or exit 1 with what it printed. */
static int
bg_switch(struct rollout *ro, const struct bg_view *v, int to, const char *release, const char *action,
    long long *ms)
{
	struct bg_switch_env env = {
		.live = v->p[to].name, .live_hosts = v->p[to].hosts, .release = release,
		.previous_live = v->p[v->live].name, .app = ro->app, .action = action,
	};
	struct bg_switch_result r;
	long long t0 = mono_ms();
	int rc;

	rollout_event(ro, "switch", NULL, "making pool %s live (%s): %s", v->p[to].name, release,
	    ro->run.fc.switch_cmd);
	rc = bg_run_switch(ro, ro->run.fc.switch_cmd, &env, ro->run.sel.global.op_timeout, &r);
	if (rc != 0 || ro->g->verbose)
		bg_print_output(&r);
	if (rc != 0) {
		log_error("%s: switch to pool %s failed: %s; pool %s stays live", action, v->p[to].name, r.why,
		    v->p[v->live].name);
		return CUT_EXIT_REVERSED;
	}
	*ms = mono_ms() - t0;
	rollout_event(ro, "switch", NULL, "pool %s is live (%lld ms)", v->p[to].name, *ms);
	return 0;
}

/* The final line: which pool is live now, on what. */
static void
bg_result(struct rollout *ro, const struct bg_view *v, int to, const char *release, const char *idle_rel,
    const char *cmd)
{
	if (ro->g->json) {
		struct kvlist ev = KVLIST_INIT;

		kv_add(&ev, "event", cmd);
		kv_add(&ev, "live", v->p[to].name);
		kv_add(&ev, "release", release);
		kv_add(&ev, "idle", v->p[1 - to].name);
		kv_add(&ev, "idle_release", idle_rel);
		kv_add(&ev, "rollout", ro->id.rollout);
		kv_print_json(&ev, stdout);
		kv_free(&ev);
	} else
		printf("%s: pool %s is live on %s; pool %s is idle on %s\n", cmd, v->p[to].name, release,
		    v->p[1 - to].name, idle_rel[0] ? idle_rel : "-");
	fflush(stdout);
}

/* After the engine: the idle pool wholly on release, then switch and record; exit code. */
static int
bg_deploy_switch(const struct copts *g, const struct deploy_opts *o, const char *exclude, int to,
    const char *release, const struct identity *id)
{
	struct rollout ro;
	struct bg_view v;
	char from_rel[RELEASE_ID_MAX + 1];
	long long ms = 0;
	int rc;

	if ((rc = bg_open(&ro, g, o->app, exclude, "deploy", &v)) != 0)
		return rc;
	ro.id = *id;
	if (bg_pool_runs(&ro, &v, to, release) != 0) {
		log_error("deploy: pool %s is not wholly on %s (%s): not switched; pool %s stays live",
		    v.p[to].name, release, v.p[to].where, v.p[v.live].name);
		rc = CUT_EXIT_PARTIAL;
	} else if ((rc = bg_switch(&ro, &v, to, release, "deploy", &ms)) == 0) {
		/* --pool naming the live pool: it was redeployed in place; the other pool keeps its own. */
		if (v.live == to)
			snprintf(from_rel, sizeof(from_rel), "%s", v.p[1 - to].mixed || v.p[1 - to].down ? "" :
			    v.p[1 - to].cur);
		else
			live_release(&v, from_rel, sizeof(from_rel));
		bg_record(&ro, &v, to, release, from_rel, ms);
		bg_result(&ro, &v, to, release, from_rel, "deploy");
	} else
		bg_record_failed(&ro, &v, to, release);
	rollout_finish(&ro);
	rollout_close(&ro);
	return rc;
}

/* The plan's blue-green line (before the engine's own plan). */
static void
bg_plan(const struct copts *g, const struct bg_view *v, int to)
{
	const struct bg_pool *l = &v->p[v->live], *t = &v->p[to];

	if (g->json) {
		struct kvlist ev = KVLIST_INIT;

		kv_add(&ev, "event", "blue_green");
		kv_add(&ev, "live", l->name);
		kv_add(&ev, "live_hosts", l->hosts);
		kv_add(&ev, "target", t->name);
		kv_add(&ev, "target_hosts", t->hosts);
		kv_print_json(&ev, stdout);
		kv_free(&ev);
	} else
		printf("blue-green: live pool %s (%s)%s; deploying to %s pool %s (%s), then `switch` makes it live\n",
		    l->name, l->hosts, v->rec ? "" : " (no switch recorded yet: the first pool is live)",
		    to == v->live ? "the LIVE" : "idle", t->name, t->hosts);
	fflush(stdout);
}

int
bg_deploy(const struct copts *g, const struct deploy_opts *o, const char *exclude, const char *pool)
{
	struct rollout ro;
	struct bg_view v;
	struct identity id;
	char target[256];
	char rel[RELEASE_ID_MAX + 1];
	int rc, to;

	if (o->hosts || o->group || o->pause_after) {
		log_error("deploy: --hosts, --group and --pause-after do not apply with blue_green (the idle "
		    "pool is the selection; --pool NAME names another)");
		return CUT_EXIT_USAGE;
	}
	if (o->release)
		snprintf(rel, sizeof(rel), "%s", o->release);
	else if (deploy_release_id(o, rel) != CUT_OK)
		rel[0] = '\0';	/* the engine says why */
	if ((rc = bg_open(&ro, g, o->app, exclude, "deploy", &v)) != 0)
		return rc;
	to = pool ? bg_pool_index(&ro, pool) : 1 - v.live;
	if (to < 0 || (v.nocap[0] && !o->dry_run)) {
		if (to < 0)
			log_error("deploy: --pool %s: not a pool of blue_green (%s %s)", pool, v.p[0].name, v.p[1].name);
		else
			log_error("deploy: %s: the agent cannot record blue-green switches (protocol 1.4 needed)",
			    v.nocap);
		rollout_close(&ro);
		return CUT_EXIT_USAGE;
	}
	bg_plan(g, &v, to);
	snprintf(target, sizeof(target), "%s", v.p[to].name);
	rollout_finish(&ro);
	rollout_close(&ro);
	if ((rc = rollout_open(&ro, g, NULL, target, exclude)) != 0)
		return rc;
	rc = engine_deploy(&ro, o);
	id = ro.id;
	rollout_close(&ro);
	if (o->dry_run || rc != 0) {
		if (rc != 0 && !o->dry_run)
			log_error("deploy: not switched: pool %s did not finish on %s", target, rel);
		return rc;
	}
	return bg_deploy_switch(g, o, exclude, to, rel, &id);
}

/* --to ID: a rolling rollback within the live pool, as without blue_green. */
static int
bg_rollback_within(const struct copts *g, const struct incident_opts *o)
{
	struct incident_opts io = *o;
	struct rollout ro;
	struct bg_view v;
	char live[256];
	int rc;

	if ((rc = bg_open(&ro, g, o->app, o->exclude, "rollback", &v)) != 0)
		return rc;
	snprintf(live, sizeof(live), "%s", v.p[v.live].name);
	rollout_finish(&ro);
	rollout_close(&ro);
	io.group = live;
	printf("rollback: --to %s within the live pool %s (no switch)\n", o->to, live);
	fflush(stdout);
	return incident_rollback(g, &io);
}

/* Why switching to pool `to` is refused (exit 3), or 0. */
static int
bg_refuse(struct rollout *ro, struct bg_view *v, int to, const char *want, int force_schema)
{
	char why[1024];

	if (want[0] == '\0')
		snprintf(why, sizeof(why), "no switch recorded that left pool %s on a known release", v->p[to].name);
	else if (bg_pool_runs(ro, v, to, want) != 0)
		snprintf(why, sizeof(why), "pool %s no longer runs %s (%s)", v->p[to].name, want, v->p[to].where);
	else if (!force_schema && v->floor >= 0 && v->p[to].min_schema >= 0 && v->p[to].min_schema < v->floor)
		snprintf(why, sizeof(why), "migration guard: %s runs against schema %lld, but the applied schema "
		    "runs releases from schema %lld on (--force-schema overrides)", want, v->p[to].min_schema,
		    v->floor);
	else
		return 0;
	log_error("rollback: refused: %s; nothing switched", why);
	return CUT_EXIT_BAD_INPUT;
}

int
bg_rollback(const struct copts *g, const struct incident_opts *o, const char *pool)
{
	struct rollout ro;
	struct bg_view v;
	char want[RELEASE_ID_MAX + 1], from_rel[RELEASE_ID_MAX + 1];
	long long ms = 0;
	int rc, to;

	if (o->hosts || o->group || o->batch) {
		log_error("rollback: --hosts, --group and --batch do not apply with blue_green (--to ID rolls the "
		    "live pool back; --pool NAME names the pool to make live)");
		return CUT_EXIT_USAGE;
	}
	if (o->to)
		return bg_rollback_within(g, o);
	if ((rc = bg_open(&ro, g, o->app, o->exclude, "rollback", &v)) != 0)
		return rc;
	to = pool ? bg_pool_index(&ro, pool) : 1 - v.live;
	if (to < 0 || to == v.live) {
		if (to < 0)
			log_error("rollback: --pool %s: not a pool of blue_green (%s %s)", pool, v.p[0].name,
			    v.p[1].name);
		else
			log_error("rollback: pool %s is already live; nothing switched", v.p[to].name);
		rollout_close(&ro);
		return to < 0 ? CUT_EXIT_USAGE : CUT_EXIT_REVERSED;
	}
	/* The release that pool ran when it was last live: the newest record names it. */
	snprintf(want, sizeof(want), "%s", v.rec && strcmp(bg_rec(&v, "from"), v.p[to].name) == 0 ?
	    bg_rec(&v, "from_release") : "");
	live_release(&v, from_rel, sizeof(from_rel));
	if ((rc = bg_refuse(&ro, &v, to, want, o->force_schema)) != 0 ||
	    (rc = identity_new(&ro.id, "rollback", o->actor)) != 0) {
		rollout_close(&ro);
		return rc;
	}
	if (o->dry_run) {
		printf("rollback: would switch from pool %s (%s) to pool %s (%s); no host changes\n",
		    v.p[v.live].name, from_rel[0] ? from_rel : "-", v.p[to].name, want);
		rollout_close(&ro);
		return CUT_EXIT_OK;
	}
	if ((rc = bg_switch(&ro, &v, to, want, "rollback", &ms)) == 0) {
		bg_record(&ro, &v, to, want, from_rel, ms);
		bg_result(&ro, &v, to, want, from_rel, "rollback");
	}
	rollout_finish(&ro);
	rollout_close(&ro);
	return rc;
}

void
bg_status_print(struct rollout *ro)
{
	struct bg_view v;
	char since[32], rel[RELEASE_ID_MAX + 1];
	int idle;

	if (ro->run.fc.pool[0] == NULL)
		return;
	bg_view_read(ro, &v);
	idle = 1 - v.live;
	live_release(&v, rel, sizeof(rel));
	format_time(v.rec ? kv_get_int(&v.rec->res, "live_ts_ms", 0) : 0, since);
	if (ro->g->json) {
		struct kvlist ev = KVLIST_INIT;

		kv_add(&ev, "event", "live_pool");
		kv_add(&ev, "pool", v.p[v.live].name);
		kv_add(&ev, "release", rel);
		kv_add(&ev, "idle", v.p[idle].name);
		kv_add(&ev, "idle_release", v.p[idle].mixed ? "" : v.p[idle].cur);
		kv_add_bool(&ev, "recorded", v.rec != NULL);
		kv_add(&ev, "from", bg_rec(&v, "from"));
		kv_add(&ev, "from_release", bg_rec(&v, "from_release"));
		kv_add(&ev, "kind", bg_rec(&v, "kind"));
		kv_add(&ev, "actor", bg_rec(&v, "actor"));
		kv_add(&ev, "rollout", bg_rec(&v, "rollout"));
		kv_add(&ev, "since", v.rec ? since : "");
		kv_add(&ev, "stale", v.stale);
		kv_print_json(&ev, stdout);
		kv_free(&ev);
		return;
	}
	if (v.rec)
		printf("\nlive pool: %s on %s (switched from %s by %s, %s, %s)\n", v.p[v.live].name,
		    rel[0] ? rel : "-", bg_rec(&v, "from"), bg_rec(&v, "kind"), bg_rec(&v, "actor"), since);
	else
		printf("\nlive pool: %s on %s (no switch recorded: the first pool is live)\n", v.p[v.live].name,
		    rel[0] ? rel : "-");
	printf("idle pool: %s on %s\n", v.p[idle].name, v.p[idle].mixed ? "mixed releases" :
	    v.p[idle].cur[0] ? v.p[idle].cur : "-");
	if (v.rec && v.stale[0])
		printf("  older switch record on: %s (the newest record wins)\n", v.stale);
}
