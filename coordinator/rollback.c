/*
 * cutover rollback, convergent (cutover(1), "rollback"): the hosts hold
 * the truth. Every host says which rollout made its current release, of
 * what kind, and what it ran before. The rollback undoes the most recent
 * deploy rollout still in effect on any selected host: the hosts it
 * switched go back to the release each ran before it, every other host is
 * untouched. Hosts that do not move are told which rollout this rollback
 * undid (a note), so a re-run after a partial rollback (exit 5) finishes
 * the same rollback, and a re-run after a complete one finds nothing to
 * do: no host ever goes back twice. Agents that predate the fields fall
 * back to the coordinator's own journal, then to each agent's previous.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fsutil.h"
#include "incident.h"
#include "log.h"
#include "release_id.h"
#include "rollout.h"

struct plan {
	char (*target)[RELEASE_ID_MAX + 1];	/* where each node goes */
	unsigned char *move;			/* 1: send it there */
	unsigned char *paused;			/* 1: it holds the undone rollout as paused */
	char undo[ROLLOUT_ID_MAX + 1];		/* the deploy rollout undone ("" none) */
	long long undo_ts;
	int legacy;				/* no host tells what made current */
	struct rj_rollout last;			/* legacy: our journal's unfinished rollout */
	int from_journal;
};

static const char *
res(const struct node *nd, const char *key)
{
	const char *v = kv_get(&nd->res, key);

	return v ? v : "";
}

/* nd's current release came from a switch by a deploy rollout (not a rollback). */
static int
deployed_by_rollout(const struct node *nd)
{
	return nd->st == NODE_READY && *res(nd, "current_rollout") && strcmp(res(nd, "current_kind"), "deploy") == 0 &&
	    strcmp(res(nd, "current_op"), "rollback") != 0;
}

/*
 * The deploy to undo: the newest deploy in effect on any host, unless an
 * earlier rollback already undid a deploy at least as new (the note the
 * unmoved hosts got): then only a deploy from that one on counts.
 */
static void
find_undo(const struct rollout *ro, struct plan *p)
{
	long long floor = 0;

	for (size_t i = 0; i < ro->n; i++) {
		const struct node *nd = &ro->nodes[i];

		if (nd->st == NODE_READY && strcmp(res(nd, "note_kind"), "rollback") == 0)
			if (kv_get_int(&nd->res, "note_undoes_ts", 0) > floor)
				floor = kv_get_int(&nd->res, "note_undoes_ts", 0);
	}
	p->undo[0] = '\0';
	p->undo_ts = 0;
	for (size_t i = 0; i < ro->n; i++) {
		const struct node *nd = &ro->nodes[i];
		long long ts = kv_get_int(&nd->res, "current_ts_ms", 0);

		if (deployed_by_rollout(nd) && ts >= floor && ts > p->undo_ts) {
			p->undo_ts = ts;
			snprintf(p->undo, sizeof(p->undo), "%s", res(nd, "current_rollout"));
		}
	}
	/* The rollout's own start: its earliest switch among the hosts. */
	for (size_t i = 0; i < ro->n; i++) {
		const struct node *nd = &ro->nodes[i];
		long long ts = kv_get_int(&nd->res, "current_ts_ms", 0);

		if (deployed_by_rollout(nd) && strcmp(res(nd, "current_rollout"), p->undo) == 0 && ts < p->undo_ts)
			p->undo_ts = ts;
	}
}

/* Hosts tell what made current: the deploy to undo, and each host's way back. */
static void
plan_from_hosts(struct rollout *ro, struct plan *p)
{
	find_undo(ro, p);
	for (size_t i = 0; i < ro->n; i++) {
		const struct node *nd = &ro->nodes[i];

		p->paused[i] = strcmp(res(nd, "note_state"), "paused") == 0 && p->undo[0] &&
		    strcmp(res(nd, "note_rollout"), p->undo) == 0;
		if (p->undo[0] && deployed_by_rollout(nd) && strcmp(res(nd, "current_rollout"), p->undo) == 0) {
			p->move[i] = 1;
			snprintf(p->target[i], sizeof(p->target[i]), "%s", res(nd, "current_from"));
		}
	}
	if (p->undo[0])
		rollout_event(ro, "undo", NULL, "undoing rollout %s", p->undo);
	else
		rollout_event(ro, "undo", NULL, "no deploy rollout is in effect on the selected hosts: nothing to undo "
		    "(cutover rollback --to ID goes to a given release)");
}

/*
 * Agents without the fields: our journal's unfinished rollout (its
 * switched hosts, to the releases it recorded), else every host to its
 * agent's previous release.
 */
static void
plan_legacy(struct rollout *ro, struct plan *p)
{
	p->legacy = 1;
	if (rj_last(ro->g->fleet_file, ro->app, &p->last) == CUT_OK && rj_unsettled(&p->last))
		p->from_journal = 1;
	for (size_t i = 0; i < ro->n; i++) {
		const struct rj_host *h = p->from_journal ? rj_find(&p->last, ro->nodes[i].h->name) : NULL;

		p->move[i] = !p->from_journal && ro->nodes[i].st == NODE_READY;
		p->target[i][0] = '\0';
		if (h && h->switching && !h->reversed) {
			p->move[i] = 1;
			snprintf(p->target[i], sizeof(p->target[i]), "%s", h->prev);
		}
	}
	if (p->from_journal)
		rollout_event(ro, "journal", NULL, "the rollout of %s was not finished; going back to the "
		    "previous releases recorded in %s", p->last.release, p->last.path);
}

static void
plan_targets(struct rollout *ro, const struct incident_opts *o, struct plan *p)
{
	int informed = 0;

	for (size_t i = 0; i < ro->n; i++)
		informed |= ro->nodes[i].st == NODE_READY && kv_get(&ro->nodes[i].res, "current_op") != NULL;
	if (o->to) {
		/* Hosts already on it stay put: a re-run moves nobody twice. */
		for (size_t i = 0; i < ro->n; i++) {
			p->move[i] = ro->nodes[i].st == NODE_READY && strcmp(res(&ro->nodes[i], "current"), o->to) != 0;
			snprintf(p->target[i], sizeof(p->target[i]), "%s", o->to);
		}
	} else if (informed)
		plan_from_hosts(ro, p);
	else
		plan_legacy(ro, p);
}

/* A host that must move is locked by someone: a rollout is running there. Refuse, moving nothing. */
static int
refuse_if_running(const struct rollout *ro, const struct plan *p)
{
	char locked[4096] = "";
	size_t used = 0;

	for (size_t i = 0; i < ro->n; i++)
		if (p->move[i] && *res(&ro->nodes[i], "lock_holder") && used < sizeof(locked))
			used += (size_t)snprintf(locked + used, sizeof(locked) - used, "%s%s", used ? " " : "",
			    ro->nodes[i].h->name);
	if (used == 0)
		return 0;
	log_error("rollback: %s: another operation holds the lock (a rollout still running?); stop its "
	    "coordinator (SIGINT reverses it) or let it finish, then roll back", locked);
	return 1;
}

/* Where nd would go: its planned target, else (legacy) its agent's previous. */
static const char *
dest(const struct node *nd, const struct plan *p, size_t i)
{
	return p->target[i][0] ? p->target[i] : res(nd, "previous");
}

/*
 * The migration guard for every host that would move, before any does:
 * one refusal refuses the whole rollback (exit 3), unless --force-schema.
 */
static int
guard_schema(struct rollout *ro, const struct plan *p, const struct incident_opts *o)
{
	char why[512];
	size_t refused = 0;

	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];

		if (!p->move[i] || nd->st != NODE_READY || !schema_refuses(nd, dest(nd, p, i), why, sizeof(why)))
			continue;
		refused++;
		if (o->force_schema)
			rollout_event(ro, "schema", nd, "--force-schema: %s", why);
		else
			log_error("rollback: %s: %s", nd->h->name, why);
	}
	if (refused == 0 || o->force_schema)
		return 0;
	log_error("rollback refused: %zu host(s) would run a release older than their database schema "
	    "admits; no host was moved (--force-schema overrides; cutover(1), MIGRATION GUARD)", refused);
	return CUT_EXIT_BAD_INPUT;
}

/* --dry-run: where each host would go and whether the migration guard admits it; nothing moves. */
static int
dry_run(const struct copts *g, struct rollout *ro, const struct plan *p, const struct incident_opts *o)
{
	size_t refused = 0;

	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];
		char why[512] = "";
		int bad = nd->st == NODE_READY && p->move[i] && schema_refuses(nd, dest(nd, p, i), why, sizeof(why));

		refused += bad;
		if (g->json) {
			struct kvlist ev = KVLIST_INIT;

			kv_add(&ev, "event", "rollback_plan");
			kv_add(&ev, "host", nd->h->name);
			kv_add_bool(&ev, "reachable", nd->st == NODE_READY);
			kv_add_bool(&ev, "move", nd->st == NODE_READY && p->move[i]);
			kv_add(&ev, "current", res(nd, "current"));
			kv_add(&ev, "to", p->move[i] ? dest(nd, p, i) : "");
			kv_add_bool(&ev, "safe", !bad);
			if (why[0] || nd->why[0])
				kv_add(&ev, "error", why[0] ? why : nd->why);
			kv_print_json(&ev, stdout);
			kv_free(&ev);
		} else if (nd->st != NODE_READY)
			printf("%-16s FAILED: %s\n", nd->h->name, nd->why);
		else if (!p->move[i])
			printf("%-16s unchanged: on %s\n", nd->h->name, *res(nd, "current") ? res(nd, "current") : "-");
		else
			printf("%-16s would roll back: %s -> %s (%s%s)\n", nd->h->name, res(nd, "current"),
			    *dest(nd, p, i) ? dest(nd, p, i) : "?", bad ? "REFUSED by the migration guard: " : "schema safe",
			    why);
	}
	fflush(stdout);
	return refused && !o->force_schema ? CUT_EXIT_BAD_INPUT : CUT_EXIT_OK;
}

static void
send_rollbacks(struct rollout *ro, struct plan *p, size_t bsize, const char *to, int force)
{
	struct kvlist a = KVLIST_INIT;

	for (size_t s = 0; s < ro->n; s += bsize) {
		for (size_t i = s; i < ro->n && i < s + bsize; i++) {
			struct node *nd = &ro->nodes[i];

			if (nd->st != NODE_READY || !p->move[i])
				continue;
			kv_free(&a);
			if (p->legacy && !p->from_journal) {
				if (to)
					kv_add(&a, "to", to);
			} else if (p->target[i][0] == '\0') {
				node_fail(nd, CUT_ERR_NO_RELEASE, "no previous release recorded (it had none)");
				continue;
			} else
				kv_add(&a, "to", p->target[i]);
			if (force)
				kv_add(&a, "force_schema", "1");
			node_request(nd, "rollback", &a);
		}
		rollout_wait(ro, -1);
	}
	kv_free(&a);
}

/*
 * The hosts that stay put learn which deploy this rollback undid (see
 * find_undo); so do moved hosts that hold it as paused: undone, it can no
 * longer be resumed.
 */
static void
note_unmoved(struct rollout *ro, const struct plan *p)
{
	struct kvlist a = KVLIST_INIT;

	if (p->undo[0] == '\0')
		return;
	kv_add(&a, "state", "done");
	kv_add(&a, "undoes", p->undo);
	kv_add_int(&a, "undoes_ts", p->undo_ts);
	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];

		if (((nd->st == NODE_READY && !p->move[i]) || (nd->st == NODE_REVERSED && p->paused[i])) &&
		    sess_has_cap(&nd->s, PROTO_CAP_NOTE))
			node_request(nd, "note", &a);
	}
	rollout_wait(ro, -1);
	kv_free(&a);
}

static void
print_host(const struct copts *g, const struct node *nd, const struct plan *p, size_t i)
{
	if (g->json)
		incident_print_json(nd, "rollback");
	else if (!incident_answered(nd))
		printf("%-16s FAILED: %s\n", nd->h->name, nd->why);
	else if (!p->move[i] && p->legacy)
		printf("%-16s unchanged: not switched by the unfinished rollout of %s\n", nd->h->name, p->last.release);
	else if (!p->move[i])
		printf("%-16s unchanged: on %s%s%s\n", nd->h->name, *res(nd, "current") ? res(nd, "current") : "-",
		    p->undo[0] ? ", not from rollout " : "", p->undo);
	else if (kv_get(&nd->res, "unchanged"))
		printf("%-16s unchanged: already on %s\n", nd->h->name, res(nd, "release"));
	else
		printf("%-16s rolled back: %s -> %s\n", nd->h->name, *res(nd, "previous") ? res(nd, "previous") : "?",
		    *res(nd, "current") ? res(nd, "current") : *res(nd, "release") ? res(nd, "release") : "?");
}

/*
 * Our own journal's record of the undone rollout, when it is the one left
 * unfinished there: its hosts are back, so it is settled (status stops
 * calling it interrupted). A cache of the hosts' truth, never its source.
 */
static void
settle_journal(struct rollout *ro, struct plan *p)
{
	if (p->legacy || p->undo[0] == '\0' ||
	    rj_last(ro->g->fleet_file, ro->app, &p->last) != CUT_OK || !rj_unsettled(&p->last) ||
	    strcmp(p->last.id, p->undo) != 0 || rj_open(&ro->j, ro->g->fleet_file, ro->app) != CUT_OK)
		return;
	p->from_journal = 1;
}

/* Report, journal what moved, and the exit code. */
static int
finish(const struct copts *g, struct rollout *ro, struct plan *p)
{
	size_t moved = 0, failed = 0;

	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];

		failed += !incident_answered(nd);
		moved += incident_answered(nd) && p->move[i];
		if (p->from_journal && p->move[i] && incident_answered(nd))
			rj_printf(&ro->j, "reversed name=%s release=%s", nd->h->name, p->target[i]);
		print_host(g, nd, p, i);
	}
	if (p->from_journal && failed == 0)
		rj_printf(&ro->j, "end ts=%lld outcome=rolled-back", now_ms());
	fflush(stdout);
	return incident_exit(ro, moved);
}

int
incident_rollback(const struct copts *g, const struct incident_opts *o)
{
	struct rollout ro;
	struct plan p;
	size_t bsize;
	int rc, dry = 0;

	/* Checked here, before any host is asked: one error line, not one per host. */
	if (o->to && !release_id_valid(o->to))
		return log_error("rollback: --to \"%s\" is not a valid release ID", o->to), CUT_EXIT_BAD_INPUT;
	/* Each host's status goes out the moment it is connected. */
	if ((rc = incident_open(&ro, g, o, "rollback", "status")) != 0)
		return rc;
	memset(&p, 0, sizeof(p));
	p.target = calloc(ro.n ? ro.n : 1, sizeof(*p.target));
	p.move = calloc(ro.n ? ro.n : 1, 1);
	p.paused = calloc(ro.n ? ro.n : 1, 1);
	if ((rc = identity_new(&ro.id, "rollback", o->actor)) == 0 && (p.target == NULL || p.move == NULL ||
	    p.paused == NULL)) {
		log_error("out of memory");
		rc = CUT_EXIT_REVERSED;
	}
	if (rc == 0 && fleet_batch_size(o->batch ? o->batch : "100%", ro.n, &bsize) != CUT_OK) {
		log_error("rollback: --batch \"%s\" is not N or N%%", o->batch);
		rc = CUT_EXIT_USAGE;
	}
	if (rc == 0) {
		plan_targets(&ro, o, &p);
		if (refuse_if_running(&ro, &p))
			rc = CUT_EXIT_LOCKED;
	}
	if (rc == 0 && o->dry_run) {
		rc = dry_run(g, &ro, &p, o);
		dry = 1;
	} else if (rc == 0) {
		rc = guard_schema(&ro, &p, o);
	}
	if (rc == 0 && !dry) {
		if (p.from_journal && rj_open(&ro.j, g->fleet_file, ro.app) != CUT_OK)
			log_error("rollback: going on without recording it");
		send_rollbacks(&ro, &p, bsize, o->to, o->force_schema);
		note_unmoved(&ro, &p);
		settle_journal(&ro, &p);
		rollout_finish(&ro);
		rc = finish(g, &ro, &p);
	}
	free(p.target);
	free(p.move);
	free(p.paused);
	rj_rollout_free(&p.last);
	rollout_close(&ro);
	return rc;
}
