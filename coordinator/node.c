/*
 * The node state machine (node.h): requests out, RESULTs in, the session
 * lost. Every change of nd->st goes through node_set_state(); the rollout
 * hears of each settled request through rollout_settled().
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "proto.h"
#include "rollout.h"
#include "untrusted.h"

static const char *const state_names[NODE_STATE_MAX_] = {
	[NODE_NEW] = "new", [NODE_READY] = "ready", [NODE_LOCKING] = "locking",
	[NODE_LOCKED] = "locked", [NODE_STAGING] = "staging", [NODE_STAGED] = "staged",
	[NODE_SWITCHING] = "switching", [NODE_SWITCHED] = "switched",
	[NODE_REVERSING] = "reversing", [NODE_REVERSED] = "reversed",
	[NODE_QUERYING] = "querying", [NODE_FAILED] = "failed", [NODE_LOST] = "lost",
};

/*
 * Each request's in-flight state, the state its success leads to (0: back
 * to `from`), and whether it changes the host (then it carries the
 * rollout's identity into the host's journal).
 */
static const struct {
	const char *op;
	enum node_state busy, done;
	int changes;
} requests[] = {
	{ "lock", NODE_LOCKING, NODE_LOCKED, 0 },
	{ "install", NODE_STAGING, NODE_STAGED, 1 },
	{ "activate", NODE_SWITCHING, NODE_SWITCHED, 1 },
	{ "rollback", NODE_REVERSING, NODE_REVERSED, 1 },
	{ "status", NODE_QUERYING, 0, 0 },
	{ "have", NODE_QUERYING, 0, 0 },
	{ "history", NODE_QUERYING, 0, 0 },
	{ "check", NODE_QUERYING, 0, 1 },
	{ "note", NODE_QUERYING, 0, 1 },
	{ "prune", NODE_QUERYING, 0, 1 },
	{ "pin", NODE_QUERYING, 0, 1 },
	{ "unpin", NODE_QUERYING, 0, 1 },
	{ "drill", NODE_QUERYING, 0, 1 },
};

const char *
node_state_name(enum node_state st)
{
	return st < NODE_STATE_MAX_ && state_names[st] ? state_names[st] : "?";
}

static int
in_flight(enum node_state st)
{
	return st == NODE_NEW || st == NODE_LOCKING || st == NODE_STAGING || st == NODE_SWITCHING ||
	    st == NODE_REVERSING || st == NODE_QUERYING;
}

/*
 * Keep the rollout's progress counts (rollout_progress) with each change of
 * state, so the live view costs O(1) per redraw, not a walk of every node.
 */
static void
count_node(const struct node *nd, int sign)
{
	struct rollout *ro = nd->ro;
	size_t staged = node_reached(nd, NODE_STAGED) != 0, switched = node_stand(nd) == NODE_SWITCHED;
	size_t reversed = nd->st == NODE_REVERSED, failed = nd->st == NODE_FAILED || nd->st == NODE_LOST;

	if (sign > 0) {
		ro->n_staged += staged, ro->n_switched += switched;
		ro->n_reversed += reversed, ro->n_failed += failed;
	} else {
		ro->n_staged -= staged, ro->n_switched -= switched;
		ro->n_reversed -= reversed, ro->n_failed -= failed;
	}
}

void
node_set_state(struct node *nd, enum node_state st)
{
	if (nd->st == st)
		return;
	log_debug("%s: node %s -> %s", nd->h->name, node_state_name(nd->st), node_state_name(st));
	if (nd->ro)
		count_node(nd, -1);
	/* FAILED/LOST keep where the node stood: a query's origin, else the state left. */
	if (st == NODE_QUERYING)
		nd->from = nd->st;
	else if (st == NODE_FAILED || st == NODE_LOST)
		nd->from = nd->st == NODE_QUERYING || nd->st == NODE_FAILED ? nd->from : nd->st;
	nd->st = st;
	if (nd->ro)
		count_node(nd, 1);
}

enum node_state
node_stand(const struct node *nd)
{
	return nd->st == NODE_QUERYING || nd->st == NODE_FAILED || nd->st == NODE_LOST ? nd->from : nd->st;
}

int
node_reached(const struct node *nd, enum node_state st)
{
	return node_stand(nd) >= st;
}

int
node_idle(const struct node *nd)
{
	return !in_flight(nd->st) && nd->st != NODE_LOST;
}

int
node_reversal_target(const struct node *nd)
{
	enum node_state at = node_stand(nd);

	if (nd->st == NODE_REVERSED)
		return 0;
	/*
	 * A failed activate was the agent's own to undo (it restores prev
	 * itself). A host that switched and then failed a check is taken back
	 * whatever it says (a rollback to the release it is on changes nothing).
	 */
	return nd->inherited || at == NODE_SWITCHED || (nd->st == NODE_LOST && at == NODE_SWITCHING);
}

void
node_fail(struct node *nd, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(nd->why, sizeof(nd->why), fmt, ap);
	va_end(ap);
	nd->err = err;
	node_set_state(nd, NODE_FAILED);
}

void
node_lose(struct node *nd)
{
	const struct host *h = nd->h;

	if (nd->st == NODE_LOST)
		return;
	if (in_flight(nd->st) || h->state == HOST_FAILED) {
		const char *src;
		char line[sizeof(nd->why)];
		size_t len;

		/* Exit 2 before any answer: the agent refused its configuration (cutover-agent(8)). */
		nd->err = h->err ? h->err : h->state == HOST_DONE && h->exit_status == CUT_EXIT_USAGE ?
		    CUT_ERR_CONFIG : CUT_ERR_EOF;
		src = h->msg[0] ? h->msg : h->stderr_len ? h->stderr_tail : "agent closed the session";
		/* One line: cut the agent's stderr at its first newline; escape the rest (untrusted.h). */
		len = strcspn(src, "\n");
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, src, len);
		line[len] = '\0';
		untrusted_escape(line, nd->why, sizeof(nd->why));
	}
	node_set_state(nd, NODE_LOST);
}

static void
on_ready(struct sess *s)
{
	struct node *nd = s->user;

	node_set_state(nd, NODE_READY);
	if (nd->ro->first_op)
		node_request(nd, nd->ro->first_op, nd->ro->first_args);
}

static void
on_result(struct sess *s, const struct msg *m)
{
	struct node *nd = s->user;
	enum node_state done = nd->from;

	kv_free(&nd->res);
	kv_copy(&nd->res, &m->kv);
	if (kv_get(&m->kv, "worst_case_s"))
		nd->worst_s = kv_get_int(&m->kv, "worst_case_s", 0);
	nd->err = m->code;
	nd->exit_code = m->exit_code;
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		if (requests[i].busy == nd->st && requests[i].done)
			done = requests[i].done;
	if (m->code != 0) {
		const char *why = kv_get(&m->kv, "error");

		if (why == NULL)
			why = kv_get(&m->kv, "message");
		snprintf(nd->why, sizeof(nd->why), "%s", why ? why : cut_err(m->code));
		node_set_state(nd, NODE_FAILED);
	} else
		node_set_state(nd, done);
	rollout_settled(nd->ro, nd);
}

static void
on_event(struct sess *s, const struct msg *m)
{
	struct node *nd = s->user;
	struct kvlist *nr;

	if (m->type == MSG_RECORD) {
		if (nd->ro->on_record != NULL) {
			/* report: folded in as they stream, so memory does not grow with the journals. */
			nd->ro->on_record(nd->ro, nd, &m->kv);
			return;
		}
		if (nd->nrecords >= 100000)
			return;
		if ((nr = realloc(nd->records, (nd->nrecords + 1) * sizeof(*nr))) == NULL)
			return;
		nd->records = nr;
		memset(&nr[nd->nrecords], 0, sizeof(*nr));
		if (kv_copy(&nr[nd->nrecords], &m->kv) == CUT_OK)
			nd->nrecords++;
		return;
	}
	if (nd->ro->g->verbose) {
		const char *ev = kv_get(&m->kv, "event");
		const char *msg = kv_get(&m->kv, "message");

		log_info("%s: %s%s%s", nd->h->name, ev ? ev : "event", msg ? ": " : "", msg ? msg : "");
	}
}

void
node_attach(struct node *nd, struct rollout *ro, struct host *h)
{
	nd->h = h;
	nd->ro = ro;
	sess_attach(&nd->s, h, nd);
	nd->s.on_ready = on_ready;
	nd->s.on_result = on_result;
	nd->s.on_event = on_event;
}

void
node_detach(struct node *nd)
{
	sess_detach(&nd->s);
	kv_free(&nd->res);
	for (size_t k = 0; k < nd->nrecords; k++)
		kv_free(&nd->records[k]);
	free(nd->records);
	nd->records = NULL;
	nd->nrecords = 0;
}

/* args plus the rollout's identity, for an agent that journals it (capability "note"). */
static int
with_identity(const struct node *nd, const struct kvlist *args, struct kvlist *out)
{
	const struct identity *id = &nd->ro->id;

	if (args && kv_copy(out, args) != CUT_OK)
		return CUT_ERR_ALLOC;
	if (id->rollout[0] == '\0' || !sess_has_cap(&nd->s, PROTO_CAP_NOTE))
		return CUT_OK;
	if (kv_get(out, "rollout") == NULL && kv_add(out, "rollout", id->rollout) != CUT_OK)
		return CUT_ERR_ALLOC;
	if (kv_get(out, "kind") == NULL && kv_add(out, "kind", id->kind) != CUT_OK)
		return CUT_ERR_ALLOC;
	return kv_add(out, "actor", id->actor);
}

int
node_request(struct node *nd, const char *op, const struct kvlist *args)
{
	enum node_state busy = NODE_STATE_MAX_;
	struct kvlist full = KVLIST_INIT;
	int changes = 0, r;

	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		if (strcmp(requests[i].op, op) == 0) {
			busy = requests[i].busy;
			changes = requests[i].changes;
		}
	if (busy == NODE_STATE_MAX_)
		BUG("unknown request");
	/* A failed node is only ever sent a rollback: a query could not say where to return. */
	if (!node_idle(nd) || (nd->st == NODE_FAILED && busy == NODE_QUERYING))
		return CUT_ERR_HOST;
	if (changes && (r = with_identity(nd, args, &full)) == CUT_OK)
		args = &full;
	r = sess_request(&nd->s, op, nd->ro->app, args);
	kv_free(&full);
	if (r != CUT_OK) {
		node_fail(nd, r, "cannot send %s: %s", op, cut_err(r));
		return r;
	}
	/* Never give up on a switch sooner than the agent's own hooks and checks may take. */
	if (changes && nd->worst_s > nd->h->conf->s.op_timeout)
		nd->h->op_deadline = mono_ms() + nd->worst_s * 1000;
	nd->why[0] = '\0';
	nd->err = 0;
	node_set_state(nd, busy);
	return CUT_OK;
}
