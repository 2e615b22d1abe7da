/*
 * cutover drill (drill.h). The hosts to drill are picked first (the
 * canary by default), and only they are connected: a drill must not
 * touch, or wait for, the rest of the fleet. Each gets a status (its
 * starting release and worst-case switch time), then the agent's drill
 * op; the agent does both legs itself and reports its measured times.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "drill.h"
#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "proto.h"
#include "rollout.h"

static const char *
field(const struct node *nd, const char *key)
{
	const char *v = kv_get(&nd->res, key);

	return v ? v : "";
}

static long
sel_index(const struct fleet_sel *sel, const char *name)
{
	for (size_t i = 0; i < sel->n; i++)
		if (strcmp(sel->hosts[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* Mark the drilled hosts of sel: --canary N / GROUP / LIST; all of them with --hosts/--group alone. */
static int
pick(const struct coord_run *run, const struct drill_opts *o, unsigned char *is)
{
	const struct fleet_sel *sel = &run->sel;
	const char *c = o->canary;
	char *end, *copy, *save = NULL;
	long long n;

	if (c == NULL && (o->hosts || o->group)) {
		memset(is, 1, sel->n);
		return 0;
	}
	if (c == NULL)
		c = "1";
	n = strtoll(c, &end, 10);
	if (*end == '\0' && end != c) {
		if (n < 1)
			return log_error("drill: --canary %s: want at least 1 host", c), CUT_EXIT_USAGE;
		for (size_t i = 0; i < sel->n && i < (size_t)n; i++)
			is[i] = 1;
		return 0;
	}
	for (size_t s = 0; s < run->fc.nsec; s++) {
		const struct fleet_section *sec = &run->fc.sec[s];

		if (sec->kind != FSEC_GROUP || strcmp(sec->name, c) != 0)
			continue;
		for (char **h = sec->hosts; h && *h; h++)
			if (sel_index(sel, *h) >= 0)
				is[sel_index(sel, *h)] = 1;
		return 0;
	}
	if ((copy = strdup(c)) == NULL)
		return CUT_EXIT_REVERSED;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (sel_index(sel, t) < 0) {
			log_error("drill: --canary %s: %s is neither a group nor a selected host", c, t);
			free(copy);
			return CUT_EXIT_USAGE;
		}
		is[sel_index(sel, t)] = 1;
	}
	free(copy);
	return 0;
}

/* The drilled hosts' names, comma-separated, into *out (malloc'd). */
static int
drilled_names(const struct copts *g, const struct drill_opts *o, char **out)
{
	struct coord_run run;
	unsigned char *is;
	int rc;

	*out = NULL;
	if ((rc = coord_load(g, o->hosts, o->group, o->exclude, &run)) != 0)
		return rc;
	if ((is = calloc(run.sel.n ? run.sel.n : 1, 1)) == NULL ||
	    (*out = calloc(1, 1)) == NULL) {
		free(is);
		coord_unload(&run);
		return log_error("out of memory"), CUT_EXIT_REVERSED;
	}
	if ((rc = pick(&run, o, is)) == 0) {
		size_t len = 0;

		for (size_t i = 0; i < run.sel.n; i++) {
			char *n;

			if (!is[i])
				continue;
			if ((n = realloc(*out, len + strlen(run.sel.hosts[i].name) + 2)) == NULL) {
				rc = CUT_EXIT_REVERSED;
				break;
			}
			*out = n;
			len += (size_t)sprintf(n + len, "%s%s", len ? "," : "", run.sel.hosts[i].name);
		}
		if (rc == 0 && len == 0) {
			log_error("drill: no host to drill (--canary %s selects none)", o->canary);
			rc = CUT_EXIT_USAGE;
		}
	}
	free(is);
	coord_unload(&run);
	return rc;
}

/* Send each reachable host its drill; sent[i] says which got one. */
static void
send_drills(struct rollout *ro, unsigned char *sent)
{
	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];
		long long budget;

		if (nd->st != NODE_READY)
			continue;
		if (!sess_has_cap(&nd->s, PROTO_CAP_DRILL)) {
			node_fail(nd, CUT_ERR_USAGE, "its agent has no drill (protocol 1.3): upgrade it");
			continue;
		}
		if (!*field(nd, "current")) {
			node_fail(nd, CUT_ERR_NO_RELEASE, "nothing is current: nothing to drill");
			continue;
		}
		if (node_request(nd, "drill", NULL) != CUT_OK)
			continue;
		sent[i] = 1;
		/* Two switches, each up to the agent's worst case, plus the usual slack. */
		budget = 2 * nd->worst_s + nd->h->conf->s.op_timeout;
		nd->h->op_deadline = mono_ms() + budget * 1000;
		rollout_event(ro, "drilling", nd, "drilling: %s -> %s and back", field(nd, "current"),
		    *field(nd, "previous") ? field(nd, "previous") : "?");
	}
}

/* 0 ok, 1 rollback path broken (host back), 5 not back or unknown. */
static int
host_verdict(const struct node *nd, int sent)
{
	const char *outcome = field(nd, "outcome");

	if (nd->st == NODE_READY)
		return 0;
	/* Sent, and no RESULT came back: the session broke mid-drill; we cannot say it is back. */
	if (nd->st == NODE_LOST || (sent && *outcome == '\0'))
		return sent ? 5 : 1;
	if (strcmp(outcome, "stranded") == 0 || strcmp(outcome, "unhealthy") == 0)
		return 5;
	return 1;
}

static void
print_host(const struct copts *g, const struct node *nd, int verdict)
{
	if (g->json) {
		struct kvlist ev = KVLIST_INIT;

		kv_add(&ev, "event", "drill_host");
		kv_add(&ev, "host", nd->h->name);
		kv_add_bool(&ev, "ok", verdict == 0);
		kv_add_bool(&ev, "back", verdict != 5);
		for (size_t k = 0; k < nd->res.n; k++)
			if (kv_get(&ev, nd->res.v[k].key) == NULL && strcmp(nd->res.v[k].key, "message") != 0)
				kv_add_typed(&ev, nd->res.v[k].key, nd->res.v[k].val, nd->res.v[k].type);
		if (nd->why[0])
			kv_set(&ev, "error", nd->why);
		kv_print_json(&ev, stdout);
		kv_free(&ev);
	} else if (verdict == 0) {
		printf("%-16s ok: %s -> %s restored in %lld ms, back on %s after %lld ms\n", nd->h->name,
		    field(nd, "release"), field(nd, "target"), kv_get_int(&nd->res, "restore_ms", 0),
		    field(nd, "release"), kv_get_int(&nd->res, "duration_ms", 0));
	} else if (verdict == 5 && *field(nd, "outcome") == '\0') {
		printf("%-16s LOST mid-drill: %s (its agent finishes the drill by itself; check with "
		    "cutover status)\n", nd->h->name, nd->why);
	} else {
		printf("%-16s %s: %s\n", nd->h->name, verdict == 5 ? "NOT BACK" : "FAILED", nd->why);
	}
}

/* Per host, then the fleet's time to restore; the exit code. */
static int
report(const struct copts *g, struct rollout *ro, const unsigned char *sent, long long wall_ms)
{
	long long worst = 0;
	size_t ok = 0;
	int rc = CUT_EXIT_OK;

	for (size_t i = 0; i < ro->n; i++) {
		const struct node *nd = &ro->nodes[i];
		int v = host_verdict(nd, sent[i]);

		print_host(g, nd, v);
		ok += v == 0;
		if (v == 0 && kv_get_int(&nd->res, "restore_ms", 0) > worst)
			worst = kv_get_int(&nd->res, "restore_ms", 0);
		if (v > rc)
			rc = v;
	}
	if (g->json) {
		printf("{\"event\":\"drill\",\"rollout\":\"%s\",\"hosts\":%zu,\"ok\":%zu,"
		    "\"time_to_restore_ms\":%lld,\"duration_ms\":%lld,\"exit\":%d}\n",
		    ro->id.rollout, ro->n, ok, worst, wall_ms, rc);
	} else {
		printf("drill %s: %zu of %zu host(s) ok; time to restore %lld ms (slowest host), "
		    "drill %lld ms in all\n", ro->id.rollout, ok, ro->n, worst, wall_ms);
	}
	fflush(stdout);
	return rc;
}

int
drill_run(const struct copts *g, const struct drill_opts *o)
{
	struct rollout ro;
	unsigned char *sent = NULL;
	char *names;
	long long t0;
	int rc;

	if ((rc = drilled_names(g, o, &names)) != 0) {
		free(names);
		return rc;
	}
	rc = rollout_open(&ro, g, names, o->group, NULL);
	free(names);
	if (rc != 0)
		return rc;
	if (o->app)
		ro.app = o->app;
	if ((rc = coord_check_files(&ro.run)) == 0 && (ro.app == NULL || ro.app[0] == '\0')) {
		log_error("drill: no app (set app in the fleet file or give --app)");
		rc = CUT_EXIT_USAGE;
	}
	if (rc == 0)
		rc = identity_new(&ro.id, "drill", o->actor);
	if (rc == 0 && (sent = calloc(ro.n ? ro.n : 1, 1)) == NULL)
		rc = CUT_EXIT_REVERSED;
	if (rc != 0) {
		free(sent);
		rollout_close(&ro);
		return rc;
	}
	t0 = mono_ms();
	rollout_connect_then(&ro, "status");
	send_drills(&ro, sent);
	rollout_wait(&ro, -1);
	rollout_finish(&ro);
	rc = report(g, &ro, sent, mono_ms() - t0);
	free(sent);
	rollout_close(&ro);
	return rc;
}
