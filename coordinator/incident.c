/*
 * The incident operations (incident.h): rollback (every selected host back
 * to its previous release or --to ID, all at once or in --batch steps),
 * status (one row per host, drift marked) and history (the hosts'
 * journals merged by time).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bluegreen.h"
#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "release_id.h"
#include "incident.h"
#include "rollout.h"

int
incident_open(struct rollout *ro, const struct copts *g, const struct incident_opts *o, const char *cmd,
    const char *first_op)
{
	int rc;

	if ((rc = rollout_open(ro, g, o->hosts, o->group, o->exclude)) != 0)
		return rc;
	if ((rc = coord_check_files(&ro->run)) != 0) {
		rollout_close(ro);
		return rc;
	}
	if (o->app)
		ro->app = o->app;
	if (ro->app == NULL || ro->app[0] == '\0') {
		log_error("%s: no app (set app in the fleet file or give --app)", cmd);
		rollout_close(ro);
		return CUT_EXIT_USAGE;
	}
	rollout_connect_then(ro, first_op);
	return 0;
}

int
incident_answered(const struct node *nd)
{
	return nd->st == NODE_READY || nd->st == NODE_REVERSED;
}

/* The exit code a failed node stands for: its agent's, or 5 for a lost host. */
static int
node_exit(const struct node *nd)
{
	if (nd->st == NODE_LOST)
		return nd->err == CUT_ERR_CONFIG ? CUT_EXIT_USAGE : CUT_EXIT_PARTIAL;
	return nd->exit_code ? nd->exit_code : cut_exit_code(nd->err);
}

/*
 * The exit code of a fleet command from how its hosts ended (cutover(1),
 * EXIT STATUS): when every failure is of one kind (configuration, lock,
 * bad input) that kind's code; when nothing moved and no host is
 * unaccounted for, 1; else 5.
 */
int
incident_exit(const struct rollout *ro, size_t moved)
{
	size_t failed = 0, by_code[6] = { 0 };

	for (size_t i = 0; i < ro->n; i++) {
		int c = node_exit(&ro->nodes[i]);

		if (incident_answered(&ro->nodes[i]))
			continue;
		failed++;
		by_code[c >= 0 && c <= 5 ? c : 1]++;
	}
	if (failed == 0)
		return CUT_EXIT_OK;
	if (by_code[CUT_EXIT_USAGE] == failed)
		return CUT_EXIT_USAGE;
	if (by_code[CUT_EXIT_LOCKED] == failed)
		return CUT_EXIT_LOCKED;
	if (by_code[CUT_EXIT_BAD_INPUT] == failed && moved == 0)
		return CUT_EXIT_BAD_INPUT;
	return moved == 0 && by_code[CUT_EXIT_PARTIAL] == 0 ? CUT_EXIT_REVERSED : CUT_EXIT_PARTIAL;
}

void
incident_print_json(const struct node *nd, const char *cmd)
{
	struct kvlist ev = KVLIST_INIT;

	kv_add(&ev, "event", cmd);
	kv_add(&ev, "host", nd->h->name);
	kv_add_bool(&ev, "reachable", nd->st != NODE_LOST);
	kv_add_bool(&ev, "ok", incident_answered(nd));
	for (size_t k = 0; incident_answered(nd) && k < nd->res.n; k++)
		if (kv_get(&ev, nd->res.v[k].key) == NULL)
			kv_add_typed(&ev, nd->res.v[k].key, nd->res.v[k].val, nd->res.v[k].type);
	if (nd->why[0])
		kv_add(&ev, "error", nd->why);
	kv_print_json(&ev, stdout);
	kv_free(&ev);
}

/*
 * The hosts whose app lock someone holds right now, from their status
 * RESULTs, space separated into out. The lock is an flock of a live
 * process: a rollout whose hosts are locked is running, not interrupted.
 */
void
incident_locked_hosts(const struct rollout *ro, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < ro->n && used < len; i++) {
		const char *lk = kv_get(&ro->nodes[i].res, "lock_holder");

		if (ro->nodes[i].st == NODE_READY && lk && *lk)
			used += (size_t)snprintf(out + used, len - used, "%s%s", used ? " " : "",
			    ro->nodes[i].h->name);
	}
}

/*
 * The newest rollout of our journal, when it did not finish: which hosts it
 * switched (or may have: activate sent, no answer recorded) and the release
 * each ran before. Printed after the host rows.
 */
static void
print_unsettled(const struct copts *g, const char *app, const char *locked)
{
	struct rj_rollout r;
	char ts[32], *sw = NULL, *maybe = NULL, *prev = NULL;
	size_t swlen = 0, maybelen = 0, prevlen = 0;
	FILE *fs, *fm, *fp;

	if (rj_last(g->fleet_file, app, &r) != CUT_OK || !rj_unsettled(&r)) {
		rj_rollout_free(&r);
		return;
	}
	fs = open_memstream(&sw, &swlen);
	fm = open_memstream(&maybe, &maybelen);
	fp = open_memstream(&prev, &prevlen);
	for (size_t i = 0; fs && fm && fp && i < r.n; i++) {
		const struct rj_host *h = &r.hosts[i];

		if (!h->switching || h->reversed)
			continue;
		fprintf(h->switched ? fs : fm, "%s%s", ftell(h->switched ? fs : fm) ? " " : "", h->name);
		fprintf(fp, "%s%s=%s", ftell(fp) ? " " : "", h->name, h->prev[0] ? h->prev : "-");
	}
	if (fs)
		fclose(fs);
	if (fm)
		fclose(fm);
	if (fp)
		fclose(fp);
	format_time(r.ts, ts);
	if (g->json) {
		struct kvlist ev = KVLIST_INIT;

		kv_add(&ev, "event", "unfinished_rollout");
		kv_add(&ev, "release", r.release);
		kv_add(&ev, "sha256", r.sha256);
		kv_add(&ev, "started", ts);
		kv_add(&ev, "state", r.ended ? r.outcome : *locked ? "running" : "interrupted");
		kv_add(&ev, "locked", locked);
		kv_add(&ev, "switched", sw ? sw : "");
		kv_add(&ev, "maybe_switched", maybe ? maybe : "");
		kv_add(&ev, "previous", prev ? prev : "");
		kv_add(&ev, "journal", r.path);
		kv_add(&ev, "phase", r.phase);
		kv_add_int(&ev, "batch", r.batch);
		kv_print_json(&ev, stdout);
		kv_free(&ev);
	} else {
		printf("\nrollout of %s started %s %s (journal %s)\n", r.release, ts,
		    r.ended ? "ended partial" : *locked ? "is running" : "was interrupted: no end record", r.path);
		if (!r.ended && r.phase[0] && r.batch > 0)
			printf("  last phase:     %s, batch %lld of %lld\n", r.phase, r.batch, r.nbatches);
		else if (!r.ended && r.phase[0])
			printf("  last phase:     %s\n", r.phase);
		printf("  switched:       %s\n", sw && *sw ? sw : "-");
		if (maybe && *maybe)
			printf("  maybe switched: %s (activation sent, no answer recorded)\n", maybe);
		printf("  previous:       %s\n", prev && *prev ? prev : "-");
		if (*locked)
			printf("  locked now:     %s (its coordinator is still at work)\n", locked);
		else
			printf("  converge with `cutover deploy` of the same archive, or go back with `cutover rollback`\n");
	}
	free(sw);
	free(maybe);
	free(prev);
	rj_rollout_free(&r);
}

/* A rollout paused on the hosts (its notes): what, since when, and how to go on. */
static void
print_paused(struct rollout *ro)
{
	const struct node *p = NULL;
	char ts[32];

	for (size_t i = 0; i < ro->n; i++) {
		const struct node *nd = &ro->nodes[i];
		const char *st = kv_get(&nd->res, "note_state");

		if (nd->st == NODE_READY && st && strcmp(st, "paused") == 0 &&
		    (p == NULL || kv_get_int(&nd->res, "note_ts_ms", 0) > kv_get_int(&p->res, "note_ts_ms", 0)))
			p = nd;
	}
	if (p == NULL)
		return;
	format_time(kv_get_int(&p->res, "note_ts_ms", 0), ts);
	if (ro->g->json) {
		struct kvlist ev = KVLIST_INIT;

		kv_add(&ev, "event", "paused_rollout");
		kv_add(&ev, "rollout", kv_get(&p->res, "note_rollout") ? kv_get(&p->res, "note_rollout") : "");
		kv_add(&ev, "release", kv_get(&p->res, "note_release") ? kv_get(&p->res, "note_release") : "");
		kv_add_int(&ev, "next_batch", kv_get_int(&p->res, "note_next_batch", 0));
		kv_add_int(&ev, "batches", kv_get_int(&p->res, "note_batches", 0));
		kv_add(&ev, "since", ts);
		kv_add(&ev, "actor", kv_get(&p->res, "note_actor") ? kv_get(&p->res, "note_actor") : "");
		kv_print_json(&ev, stdout);
		kv_free(&ev);
		return;
	}
	printf("\nrollout %s of %s is PAUSED before batch %lld of %lld (since %s, by %s)\n"
	    "  `cutover resume` continues it; `cutover abort` reverses it; a new deploy is refused until then\n",
	    kv_get(&p->res, "note_rollout") ? kv_get(&p->res, "note_rollout") : "?",
	    kv_get(&p->res, "note_release") ? kv_get(&p->res, "note_release") : "?",
	    kv_get_int(&p->res, "note_next_batch", 0), kv_get_int(&p->res, "note_batches", 0), ts,
	    kv_get(&p->res, "note_actor") ? kv_get(&p->res, "note_actor") : "?");
}

int
incident_status(const struct copts *g, const struct incident_opts *o)
{
	char locked[4096];
	struct rollout ro;
	const char *major = NULL;
	size_t best = 0, down = 0;
	int rc;

	if ((rc = incident_open(&ro, g, o, "status", "status")) != 0)
		return rc;
	rollout_finish(&ro);
	/* The majority release; hosts on anything else are drift. */
	for (size_t i = 0; i < ro.n; i++) {
		const char *c = kv_get(&ro.nodes[i].res, "current");
		size_t cnt = 0;

		if (ro.nodes[i].st != NODE_READY || c == NULL)
			continue;
		for (size_t k = 0; k < ro.n; k++)
			if (ro.nodes[k].st == NODE_READY && kv_get(&ro.nodes[k].res, "current") &&
			    strcmp(kv_get(&ro.nodes[k].res, "current"), c) == 0)
				cnt++;
		if (cnt > best) {
			best = cnt;
			major = c;
		}
	}
	if (!g->json)
		printf("%-16s %-24s %-24s %-8s %s\n", "HOST", "CURRENT", "PREVIOUS", "LOCK", "REACHABLE");
	for (size_t i = 0; i < ro.n; i++) {
		struct node *nd = &ro.nodes[i];
		const char *c = kv_get(&nd->res, "current"), *p = kv_get(&nd->res, "previous");
		const char *lk = kv_get(&nd->res, "lock_holder");
		int drift = nd->st == NODE_READY && major && (c == NULL || strcmp(c, major) != 0);

		if (nd->st != NODE_READY)
			down++;
		if (g->json) {
			incident_print_json(nd, "status");
			continue;
		}
		if (nd->st != NODE_READY)
			printf("%-16s %-24s %-24s %-8s no: %s\n", nd->h->name, "?", "?", "?", nd->why);
		else
			printf("%-16s %-24s %-24s %-8s yes%s\n", nd->h->name, c && *c ? c : "-",
			    p && *p ? p : "-", lk && *lk ? "locked" : "free", drift ? "  DRIFT" : "");
	}
	if (!g->json) {
		schema_status_lines(&ro);
		dedupe_status_lines(&ro);
	}
	incident_locked_hosts(&ro, locked, sizeof(locked));
	bg_status_print(&ro);
	print_paused(&ro);
	print_unsettled(g, ro.app, locked);
	fflush(stdout);
	/* Before rollout_close: incident_exit reads the nodes it frees. */
	rc = incident_exit(&ro, 0) == CUT_EXIT_USAGE ? CUT_EXIT_USAGE : down == 0 ? CUT_EXIT_OK : CUT_EXIT_PARTIAL;
	rollout_close(&ro);
	return rc;
}

struct hrow {
	const char *host;
	const struct kvlist *kv;
};

static int
by_time(const void *x, const void *y)
{
	const struct hrow *a = x, *b = y;
	long long ma = kv_get_int(a->kv, "ts_ms", 0), mb = kv_get_int(b->kv, "ts_ms", 0);
	const char *ta = kv_get(a->kv, "time"), *tb = kv_get(b->kv, "time");

	if (ma != mb)
		return ma < mb ? -1 : 1;
	return strcmp(ta ? ta : "", tb ? tb : "");
}

int
incident_history(const struct copts *g, const struct incident_opts *o)
{
	struct rollout ro;
	struct hrow *rows;
	size_t n = 0, down = 0;
	int rc;

	if ((rc = incident_open(&ro, g, o, "history", "history")) != 0)
		return rc;
	rollout_finish(&ro);
	for (size_t i = 0; i < ro.n; i++)
		n += ro.nodes[i].nrecords;
	if ((rows = calloc(n ? n : 1, sizeof(*rows))) == NULL) {
		rollout_close(&ro);
		return CUT_EXIT_REVERSED;
	}
	n = 0;
	for (size_t i = 0; i < ro.n; i++) {
		if (ro.nodes[i].st != NODE_READY) {
			down++;
			log_error("%s: %s", ro.nodes[i].h->name, ro.nodes[i].why);
		}
		for (size_t k = 0; k < ro.nodes[i].nrecords; k++) {
			rows[n].host = ro.nodes[i].h->name;
			rows[n++].kv = &ro.nodes[i].records[k];
		}
	}
	if (n > 1)
		qsort(rows, n, sizeof(*rows), by_time);
	for (size_t i = 0; i < n; i++) {
		struct kvlist ev = KVLIST_INIT;

		kv_add(&ev, "host", rows[i].host);
		for (size_t k = 0; k < rows[i].kv->n; k++)
			kv_add_typed(&ev, rows[i].kv->v[k].key, rows[i].kv->v[k].val, rows[i].kv->v[k].type);
		if (g->json)
			kv_print_json(&ev, stdout);
		else {
			for (size_t k = 0; k < ev.n; k++) {
				printf("%s%s=", k ? " " : "", ev.v[k].key);
				kv_print_field_value(ev.v[k].val, stdout);
			}
			printf("\n");
		}
		kv_free(&ev);
	}
	fflush(stdout);
	free(rows);
	rollout_close(&ro);
	return down == 0 ? CUT_EXIT_OK : CUT_EXIT_PARTIAL;
}
