/*
 * Fleet operations over sessions: deploy (plan, preflight, stage, switch in
 * batches, reverse node by node), rollback, status, history.
 *
 * Every host of the selection gets a struct node: its session, what it was
 * running at preflight (the rollback target) and where it stands now.
 * Phases run one after another; within a phase every host moves in
 * parallel in the one fleet loop.
 */
#ifndef CUT_ROLLOUT_H
#define CUT_ROLLOUT_H

#include <stddef.h>

#include "cmd.h"
#include "common.h"
#include "fleet.h"
#include "kv.h"
#include "progress.h"
#include "rjournal.h"
#include "session.h"

enum node_state {
	N_NEW = 0,	/* not yet connected */
	N_BUSY,		/* a request is outstanding */
	N_IDLE,		/* connected, HELLO done, waiting for the next phase */
	N_FAILED,	/* this phase failed on this node (reason in why) */
	N_LOST		/* the ssh session is gone */
};

struct node {
	struct host *h;
	struct sess s;
	struct rollout *ro;
	enum node_state st;
	int locked;		/* holds the app lock for the session */
	int staged;		/* release installed */
	int switched;		/* activated the new release (a reversal target) */
	int reversed;		/* switched back to prev */
	int have;		/* had the release already */
	char prev[160];		/* current release at preflight ("" none) */
	char now[160];		/* last known current */
	int err;		/* CUT_ERR_* of the last failure */
	int exit_code;		/* agent exit code of the last RESULT */
	char why[512];		/* last failure, one line */
	struct kvlist res;	/* fields of the last RESULT */
	const char *op;		/* last request sent */
	struct kvlist *records;	/* history RECORDs */
	size_t nrecords;
	long long t_done;
};

struct rollout {
	const struct copts *g;
	struct coord_run run;
	struct fleet f;
	struct node *nodes;
	size_t n;
	const char *app;
	const char *release;
	long long t0;
	volatile int *stop;	/* set by SIGINT/SIGTERM */
	int closing;		/* rollout_finish: sessions closed on purpose */
	const char *phase;	/* shown by the progress view */
	struct progress pg;	/* live view on a terminal (progress.c) */
	struct rjournal j;	/* our rollout journal (deploy/rollback), fd -1 when closed */
};

int rollout_open(struct rollout *ro, const struct copts *g, const char *hosts, const char *group);
void rollout_close(struct rollout *ro);
/* Emit one event: human line on stderr or JSON on stdout. */
void rollout_event(struct rollout *ro, const char *event, struct node *nd, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Connect + HELLO every node (in parallel); 0 when every node made it. */
int rollout_connect(struct rollout *ro);
/*
 * Take the app lock on every idle node: the first in host-name order alone,
 * then the rest. Stops early (CUT_ERR_LOCKED) when more than max_fail nodes
 * fail before one is held; nodes never asked stay unlocked.
 */
int rollout_lock(struct rollout *ro, size_t max_fail);
/* Send one request to an idle node; the node is N_BUSY until its RESULT. */
int node_request(struct node *nd, const char *op, const struct kvlist *args);
/* Run the fleet loop until no node is busy, or for at most max_ms (>= 0). */
void rollout_wait(struct rollout *ro, long long max_ms);
/* Close every session (EOF to the agents, which release their locks). */
void rollout_finish(struct rollout *ro);
/* Redraw the progress view (throttled unless force); no-op off a terminal. */
void rollout_progress(struct rollout *ro, int force);
/* SIGINT/SIGTERM set *flag instead of killing us. */
void rollout_sigsetup(volatile int *flag);


#endif
