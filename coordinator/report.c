/* The end of a deploy: one line (or JSON object) per host, then the result. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "err.h"
#include "fsutil.h"
#include "log.h"

/* What happened to one host, in the report's words. */
static const char *
host_outcome(const struct engine *e, const struct node *nd)
{
	size_t i = (size_t)(nd - e->ro->nodes);

	switch (nd->st) {
	case NODE_REVERSED:
		return "reversed";
	case NODE_SWITCHED:
		return strcmp(nd->prev, e->rel) == 0 ? "unchanged" : "switched";
	case NODE_LOST:
		return "lost";
	case NODE_FAILED:
		return "failed";
	case NODE_STAGED:
		return "staged";
	default:
		return e->member[i] && nd->why[0] ? "failed" : "unchanged";
	}
}

static void
report_host(const struct engine *e, const struct node *nd)
{
	const char *o = host_outcome(e, nd);

	if (e->ro->g->json) {
		struct kvlist ev = KVLIST_INIT;

		kv_add(&ev, "event", "host");
		kv_add(&ev, "host", nd->h->name);
		kv_add(&ev, "outcome", o);
		kv_add(&ev, "previous", nd->prev);
		if (nd->why[0])
			kv_add(&ev, "error", nd->why);
		kv_print_json(&ev, stdout);
		kv_free(&ev);
	} else
		printf("%-16s %-10s previous=%s%s%s\n", nd->h->name, o, nd->prev[0] ? nd->prev : "-",
		    nd->why[0] ? "  " : "", nd->why);
}

/* Hosts fencing kept out of the rollout (--exclude, enabled = no): named, untouched. */
static void
report_excluded(const struct engine *e)
{
	const struct fleet_sel *sel = &e->ro->run.sel;

	for (size_t i = 0; i < sel->nexcl; i++) {
		if (e->ro->g->json) {
			struct kvlist ev = KVLIST_INIT;

			kv_add(&ev, "event", "host");
			kv_add(&ev, "host", sel->excl[i].name);
			kv_add(&ev, "outcome", "excluded");
			kv_add(&ev, "reason", sel->excl[i].reason);
			kv_print_json(&ev, stdout);
			kv_free(&ev);
		} else
			printf("%-16s %-10s (%s)\n", sel->excl[i].name, "excluded", sel->excl[i].reason);
	}
}

/* What the coordinator wrote to every agent (requests, uploads): a URL deploy sends no archive. */
static long long
sent_bytes(const struct rollout *ro)
{
	long long n = 0;

	for (size_t i = 0; i < ro->n; i++)
		n += ro->nodes[i].h->sent_bytes;
	return n;
}

int
engine_report(struct engine *e, const char *outcome, int code)
{
	struct rollout *ro = e->ro;
	long long ms = mono_ms() - ro->t0;

	progress_clear(&ro->pg);
	for (size_t i = 0; i < ro->n; i++)
		report_host(e, &ro->nodes[i]);
	report_excluded(e);
	if (ro->g->json) {
		struct kvlist ev = KVLIST_INIT;

		kv_add(&ev, "event", "result");
		kv_add(&ev, "outcome", outcome);
		kv_add(&ev, "app", ro->app);
		kv_add(&ev, "release", e->rel);
		kv_add_int(&ev, "exit", cut_exit_code(code));
		kv_add(&ev, "left_behind", e->left);
		kv_add_int(&ev, "duration_ms", ms);
		kv_add_int(&ev, "sent_bytes", sent_bytes(ro));
		kv_print_json(&ev, stdout);
		kv_free(&ev);
	} else
		printf("%s: %s (%.1fs)\n", e->rel, outcome, (double)ms / 1000.0);
	fflush(stdout);
	if (e->left[0])
		log_error("hosts not brought back to their previous release: %s", e->left);
	return cut_exit_code(code);
}
