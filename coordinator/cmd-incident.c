/*
 * The incident commands: rollback (every selected host back to its previous
 * release or --to ID, all at once or in --batch steps), status (one row per
 * host, drift marked) and history (the hosts' journals merged by time).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "rollout.h"

struct iopts {
	const char *app, *hosts, *group, *to, *batch;
};

/* Options of rollback/status/history; -1 after --help was printed, else 0 or exit 2. */
static int
parse(const char *cmd, int argc, char **argv, struct iopts *o, int allow_to)
{
	static const struct option opts[] = {
		{ "app", required_argument, NULL, 'a' },
		{ "hosts", required_argument, NULL, 'H' },
		{ "group", required_argument, NULL, 'G' },
		{ "to", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			coord_help(cmd);
			return -1;
		case 'a': o->app = optarg; break;
		case 'H': o->hosts = optarg; break;
		case 'G': o->group = optarg; break;
		case 't': case 'b':
			if (!allow_to)
				return coord_usage(cmd);
			if (ch == 't')
				o->to = optarg;
			else
				o->batch = optarg;
			break;
		default:
			return coord_usage(cmd);
		}
	}
	if (optind != argc)
		return coord_usage(cmd);
	return 0;
}

/* Open the selection and connect every host; unreachable ones are reported. */
static int
open_all(struct rollout *ro, const struct copts *g, const struct iopts *o, const char *cmd)
{
	int rc;

	if ((rc = rollout_open(ro, g, o->hosts, o->group)) != 0)
		return rc;
	if (o->app)
		ro->app = o->app;
	if (ro->app == NULL || ro->app[0] == '\0') {
		log_error("%s: no app (set app in the fleet file or give --app)", cmd);
		rollout_close(ro);
		return CUT_EXIT_USAGE;
	}
	rollout_connect(ro);
	return 0;
}

static void
print_result_json(struct rollout *ro, struct node *nd, const char *cmd)
{
	struct kvlist ev = KVLIST_INIT;

	kv_add(&ev, "event", cmd);
	kv_add(&ev, "host", nd->h->name);
	kv_add_bool(&ev, "reachable", nd->st != N_LOST);
	kv_add_bool(&ev, "ok", nd->st == N_IDLE);
	for (size_t k = 0; nd->st == N_IDLE && k < nd->res.n; k++)
		if (kv_get(&ev, nd->res.v[k].key) == NULL)
			kv_add_typed(&ev, nd->res.v[k].key, nd->res.v[k].val, nd->res.v[k].type);
	if (nd->why[0])
		kv_add(&ev, "error", nd->why);
	kv_print_json(&ev, stdout);
	kv_free(&ev);
	(void)ro;
}

int
cmd_rollback(const struct copts *g, int argc, char **argv)
{
	struct kvlist a = KVLIST_INIT;
	struct rollout ro;
	struct iopts o;
	size_t bsize, failed = 0;
	int rc;

	if ((rc = parse("rollback", argc, argv, &o, 1)) != 0)
		return rc < 0 ? CUT_EXIT_OK : rc;
	if ((rc = open_all(&ro, g, &o, "rollback")) != 0)
		return rc;
	if (fleet_batch_size(o.batch ? o.batch : "100%", ro.n, &bsize) != CUT_OK) {
		log_error("rollback: --batch \"%s\" is not N or N%%", o.batch);
		rollout_close(&ro);
		return CUT_EXIT_USAGE;
	}
	if (o.to)
		kv_add(&a, "to", o.to);
	for (size_t s = 0; s < ro.n; s += bsize) {
		for (size_t i = s; i < ro.n && i < s + bsize; i++)
			if (ro.nodes[i].st == N_IDLE)
				node_request(&ro.nodes[i], "rollback", &a);
		rollout_wait(&ro, -1);
	}
	kv_free(&a);
	rollout_finish(&ro);
	for (size_t i = 0; i < ro.n; i++) {
		struct node *nd = &ro.nodes[i];

		if (nd->st != N_IDLE)
			failed++;
		if (g->json)
			print_result_json(&ro, nd, "rollback");
		else if (nd->st == N_IDLE)
			printf("%-16s rolled back: %s -> %s\n", nd->h->name,
			    kv_get(&nd->res, "previous") ? kv_get(&nd->res, "previous") : "?",
			    kv_get(&nd->res, "current") ? kv_get(&nd->res, "current") :
			    kv_get(&nd->res, "release") ? kv_get(&nd->res, "release") : "?");
		else
			printf("%-16s FAILED: %s\n", nd->h->name, nd->why);
	}
	fflush(stdout);
	rc = failed == 0 ? CUT_EXIT_OK : failed == ro.n ? CUT_EXIT_REVERSED : CUT_EXIT_PARTIAL;
	rollout_close(&ro);
	return rc;
}

int
cmd_status(const struct copts *g, int argc, char **argv)
{
	struct rollout ro;
	struct iopts o;
	const char *major = NULL;
	size_t best = 0, down = 0;
	int rc;

	if ((rc = parse("status", argc, argv, &o, 0)) != 0)
		return rc < 0 ? CUT_EXIT_OK : rc;
	if ((rc = open_all(&ro, g, &o, "status")) != 0)
		return rc;
	for (size_t i = 0; i < ro.n; i++)
		if (ro.nodes[i].st == N_IDLE)
			node_request(&ro.nodes[i], "status", NULL);
	rollout_wait(&ro, -1);
	rollout_finish(&ro);
	/* The majority release; hosts on anything else are drift. */
	for (size_t i = 0; i < ro.n; i++) {
		const char *c = kv_get(&ro.nodes[i].res, "current");
		size_t cnt = 0;

		if (ro.nodes[i].st != N_IDLE || c == NULL)
			continue;
		for (size_t k = 0; k < ro.n; k++)
			if (ro.nodes[k].st == N_IDLE && kv_get(&ro.nodes[k].res, "current") &&
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
		int drift = nd->st == N_IDLE && major && (c == NULL || strcmp(c, major) != 0);

		if (nd->st != N_IDLE)
			down++;
		if (g->json) {
			print_result_json(&ro, nd, "status");
			continue;
		}
		if (nd->st != N_IDLE)
			printf("%-16s %-24s %-24s %-8s no: %s\n", nd->h->name, "?", "?", "?", nd->why);
		else
			printf("%-16s %-24s %-24s %-8s yes%s\n", nd->h->name, c && *c ? c : "-",
			    p && *p ? p : "-", lk && *lk ? "locked" : "free", drift ? "  DRIFT" : "");
	}
	fflush(stdout);
	rollout_close(&ro);
	return down == 0 ? CUT_EXIT_OK : CUT_EXIT_PARTIAL;
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
cmd_history(const struct copts *g, int argc, char **argv)
{
	struct rollout ro;
	struct iopts o;
	struct hrow *rows;
	size_t n = 0, down = 0;
	int rc;

	if ((rc = parse("history", argc, argv, &o, 0)) != 0)
		return rc < 0 ? CUT_EXIT_OK : rc;
	if ((rc = open_all(&ro, g, &o, "history")) != 0)
		return rc;
	for (size_t i = 0; i < ro.n; i++)
		if (ro.nodes[i].st == N_IDLE)
			node_request(&ro.nodes[i], "history", NULL);
	rollout_wait(&ro, -1);
	rollout_finish(&ro);
	for (size_t i = 0; i < ro.n; i++)
		n += ro.nodes[i].nrecords;
	if ((rows = calloc(n ? n : 1, sizeof(*rows))) == NULL) {
		rollout_close(&ro);
		return CUT_EXIT_REVERSED;
	}
	n = 0;
	for (size_t i = 0; i < ro.n; i++) {
		if (ro.nodes[i].st != N_IDLE) {
			down++;
			log_error("%s: %s", ro.nodes[i].h->name, ro.nodes[i].why);
		}
		for (size_t k = 0; k < ro.nodes[i].nrecords; k++) {
			rows[n].host = ro.nodes[i].h->name;
			rows[n++].kv = &ro.nodes[i].records[k];
		}
	}
	qsort(rows, n, sizeof(*rows), by_time);
	for (size_t i = 0; i < n; i++) {
		struct kvlist ev = KVLIST_INIT;

		kv_add(&ev, "host", rows[i].host);
		for (size_t k = 0; k < rows[i].kv->n; k++)
			kv_add_typed(&ev, rows[i].kv->v[k].key, rows[i].kv->v[k].val, rows[i].kv->v[k].type);
		if (g->json)
			kv_print_json(&ev, stdout);
		else {
			for (size_t k = 0; k < ev.n; k++)
				printf("%s%s=%s", k ? " " : "", ev.v[k].key, ev.v[k].val);
			printf("\n");
		}
		kv_free(&ev);
	}
	fflush(stdout);
	free(rows);
	rollout_close(&ro);
	return down == 0 ? CUT_EXIT_OK : CUT_EXIT_PARTIAL;
}
