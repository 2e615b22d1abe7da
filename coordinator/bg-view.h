/*
 * What the hosts of both blue-green pools say (bg-view.c): the live pool
 * from the newest switch record any answering host holds (the first pool
 * before any), each pool's hosts and common current release, and the
 * migration guard's floor. Read from the status RESULTs of an open
 * rollout over both pools; the strings point into it.
 */
#ifndef CUT_BG_VIEW_H
#define CUT_BG_VIEW_H

#include <stddef.h>

#include "fleet_conf.h"
#include "release_id.h"

struct rollout;
struct node;

struct bg_pool {
	const char *name;
	char hosts[65536];		/* its selected hosts, space separated */
	size_t n, down;			/* selected, not answering */
	char cur[RELEASE_ID_MAX + 1];	/* the current release all its answering hosts share; "" none */
	int mixed;			/* they do not share one */
	char where[1024];		/* "b1 unreachable; b2 runs R3" against an expected release */
	long long min_schema;		/* lowest current_schema of its hosts, -1 unknown */
};

struct bg_view {
	struct bg_pool p[2];
	int live;			/* index of the live pool */
	const struct node *rec;		/* the host holding the newest switch record; NULL none */
	char stale[4096];		/* answering hosts whose record is older or missing */
	long long floor;		/* highest schema_floor of any host, -1 none */
	char nocap[1024];		/* answering hosts whose agent has no blue-green record (1.4) */
};

/* Index of the pool named name, or -1. */
int bg_pool_index(const struct rollout *ro, const char *name);
/* The pool (index) host belongs to, or -1. */
int bg_pool_of(const struct rollout *ro, const char *host);
/* The view from ro's nodes (each sent status and settled). */
void bg_view_read(const struct rollout *ro, struct bg_view *v);
/* Field KEY of the newest record (live_KEY of its host's status); "" none. */
const char *bg_rec(const struct bg_view *v, const char *key);
/*
 * Check that pool k's hosts all answer and run release; 0, or -1 with
 * p[k].where saying which do not.
 */
int bg_pool_runs(const struct rollout *ro, struct bg_view *v, int k, const char *release);
/* "b1 b2 g1 g2": the hosts of both pools for a selection, malloc'ed; NULL out of memory. */
char *bg_all_hosts(const struct fleet_conf *fc);

#endif
