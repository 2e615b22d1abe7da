/*
 * One host of a fleet command as the rollout sees it: its protocol
 * session and one state machine. The state says both where the host
 * stands in the rollout and whether a request is outstanding; it changes
 * only through node_set_state(), which traces old -> new (cutover -vv).
 *
 *	NEW -> READY                     connected, HELLO done
 *	READY -> LOCKING -> LOCKED       the app lock (deploy preflight)
 *	LOCKED -> STAGING -> STAGED      install (+ upload)
 *	STAGED -> SWITCHING -> SWITCHED  activate, health check on the host
 *	any -> REVERSING -> REVERSED     rollback to the previous release
 *	X -> QUERYING -> X               status, have, history: back to X
 *	in flight -> FAILED              the request failed (why, err set)
 *	any -> LOST                      the session is gone
 *
 * The forward states are ordered: a node that got further has a larger
 * value (node_reached()). FAILED and LOST remember the state they left in
 * `from`; QUERYING remembers the state to go back to in `from` as well.
 */
#ifndef CUT_NODE_H
#define CUT_NODE_H

#include <stddef.h>

#include "kv.h"
#include "release_id.h"
#include "session.h"

enum node_state {
	NODE_NEW = 0,	/* not connected yet: ssh and HELLO under way */
	NODE_READY,	/* connected, nothing outstanding, app not locked by us */
	NODE_LOCKING,	/* lock request outstanding */
	NODE_LOCKED,	/* holds the app lock for the session */
	NODE_STAGING,	/* install request (and upload) outstanding */
	NODE_STAGED,	/* the release is installed on the host */
	NODE_SWITCHING,	/* activate request outstanding: may switch any moment */
	NODE_SWITCHED,	/* activated and health checked on the new release */
	NODE_REVERSING,	/* rollback request outstanding */
	NODE_REVERSED,	/* back on the release it ran before */
	NODE_QUERYING,	/* a read-only request outstanding; returns to `from` */
	NODE_FAILED,	/* the last request failed; why and err say how */
	NODE_LOST,	/* the session is gone; why says how */
	NODE_STATE_MAX_
};

struct rollout;

struct node {
	struct host *h;
	struct sess s;
	struct rollout *ro;
	enum node_state st;
	enum node_state from;	/* QUERYING: state to return to; FAILED/LOST: state left */
	int inherited;		/* an unfinished earlier rollout left it off prev: a reversal target */
	char prev[RELEASE_ID_MAX + 1];	/* current release at preflight ("" none) */
	int err;		/* CUT_ERR_* of the last failure */
	int exit_code;		/* agent exit code of the last RESULT */
	char why[512];		/* last failure, one line */
	struct kvlist res;	/* fields of the last RESULT */
	long long worst_s;	/* the agent's worst case for a switch of this app (lock RESULT), 0 unknown */
	struct kvlist *records;	/* history RECORDs */
	size_t nrecords;
};

const char *node_state_name(enum node_state st);
/* The one setter of nd->st; keeps `from` for QUERYING, FAILED and LOST. */
void node_set_state(struct node *nd, enum node_state st);
/* Wire a node to its host's session (callbacks into the rollout). */
void node_attach(struct node *nd, struct rollout *ro, struct host *h);
void node_detach(struct node *nd);
/*
 * Send one request (lock, status, have, history, install, activate,
 * rollback, prune, pin, unpin) to a node that has none outstanding; its state shows the
 * request until the RESULT. On a send failure the node is FAILED.
 */
int node_request(struct node *nd, const char *op, const struct kvlist *args);
/* Fail a node that has nothing outstanding, with a reason (e.g. a check of its RESULT). */
void node_fail(struct node *nd, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The session is gone (host failed or closed under a request): LOST, why from the host. */
void node_lose(struct node *nd);
/* Nothing outstanding and still connected. */
int node_idle(const struct node *nd);
/* Has nd got at least as far as st (FAILED/LOST: where it was; QUERYING: where it returns)? */
int node_reached(const struct node *nd, enum node_state st);
/* The forward state nd stands in: `from` for QUERYING, FAILED, LOST; else st. */
enum node_state node_stand(const struct node *nd);
/* Is nd possibly on the new release, so a reversal must take it back? */
int node_reversal_target(const struct node *nd);

#endif
