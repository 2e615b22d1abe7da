/*
 * What every fleet command runs on: the selected hosts as nodes (node.h),
 * requests sent to nodes, and one wait loop that runs the fleet until
 * every outstanding request has its RESULT or its host is gone. The deploy
 * state machine (engine.h) and the incident commands (incident.h) are
 * built from these; within a step every host moves in parallel in the one
 * fleet loop.
 */
#ifndef CUT_ROLLOUT_H
#define CUT_ROLLOUT_H

#include <signal.h>
#include <stddef.h>

#include "cmd.h"
#include "common.h"
#include "fleet.h"
#include "identity.h"
#include "kv.h"
#include "node.h"
#include "progress.h"
#include "rjournal.h"
#include "session.h"

struct rollout {
	const struct copts *g;
	struct coord_run run;
	struct fleet f;
	struct node *nodes;
	size_t n;
	const char *app;
	const char *release;
	long long t0;
	volatile sig_atomic_t *stop;	/* set by SIGINT/SIGTERM */
	int closing;		/* rollout_finish: sessions closed on purpose */
	char phase[32];		/* shown by the progress view */
	/* Called once a node's request settles (RESULT or session lost); may be NULL. */
	void (*on_settle)(struct rollout *ro, struct node *nd);
	void *user;		/* for on_settle */
	/* Given each RECORD as it arrives instead of keeping it in the node; may be NULL. */
	void (*on_record)(struct rollout *ro, const struct node *nd, const struct kvlist *rec);
	/* Sent to each node the moment its HELLO arrives (rollout_connect_then); NULL none. */
	const char *first_op;
	const struct kvlist *first_args;	/* its args; NULL none */
	/* A timed rollout_wait returns early when this says so (max_fail exceeded); may be NULL. */
	int (*cut_short)(struct rollout *ro);
	struct identity id;	/* rollout ID, kind, actor: sent with every changing request */
	struct progress pg;	/* live view on a terminal (progress.c) */
	size_t n_staged, n_switched, n_reversed, n_failed;	/* its counts, kept by node_set_state() */
	struct rjournal j;	/* our rollout journal (deploy/rollback), fd -1 when closed */
};

int rollout_open(struct rollout *ro, const struct copts *g, const char *hosts, const char *group,
    const char *exclude);
/*
 * Called at the end of every rollout_open when set: the engine's unit
 * tests put each host on the pipe transport here (host_use_pipe). NULL in
 * the programs.
 */
extern void (*rollout_open_hook)(struct rollout *ro);
void rollout_close(struct rollout *ro);
/* Emit one event: human line on stderr or JSON on stdout. */
void rollout_event(struct rollout *ro, const char *event, struct node *nd, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Connect + HELLO every node (in parallel); 0 when every node made it. */
int rollout_connect(struct rollout *ro);
/*
 * The same, and each node is sent op (status, history) as soon as it is
 * connected, overlapping the answers with the slower hosts' handshakes.
 */
int rollout_connect_then(struct rollout *ro, const char *op);
/*
 * Take the app lock on every idle node: the first in host-name order alone,
 * then the rest. Stops early (CUT_ERR_LOCKED) when more than max_fail nodes
 * fail before one is held; nodes never asked stay unlocked. wait > 0:
 * each agent queues up to wait seconds behind another holder (--wait).
 */
int rollout_lock(struct rollout *ro, size_t max_fail, long long wait);
/* node.c: nd's request settled (its state says how); hands it to on_settle. */
void rollout_settled(struct rollout *ro, struct node *nd);
/* The progress view's phase name (printf-style). */
void rollout_phase(struct rollout *ro, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Run the fleet loop until no node has a request outstanding; or, with
 * max_ms >= 0, for max_ms at most, returning early on a stop signal or
 * when cut_short says so.
 */
void rollout_wait(struct rollout *ro, long long max_ms);
/* Close every session (EOF to the agents, which release their locks). */
void rollout_finish(struct rollout *ro);
/* Redraw the progress view (throttled unless force); no-op off a terminal. */
void rollout_progress(struct rollout *ro, int force);
/* SIGINT/SIGTERM set *flag instead of killing us. */
void rollout_sigsetup(volatile sig_atomic_t *flag);
/* Nodes in state st. */
size_t rollout_count(const struct rollout *ro, enum node_state st);


#endif
