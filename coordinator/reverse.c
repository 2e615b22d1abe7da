/*
 * The REVERSING phase: every host that may be on the new release goes
 * back to the release it ran at preflight, newest first, one at a time,
 * so the fleet shrinks back the way it grew.
 */
#include "config.h"

#include <stdio.h>

#include "engine.h"
#include "err.h"

/* Back to prev; 0 when the node is there. */
static int
reverse_node(struct engine *e, struct node *nd)
{
	struct rollout *ro = e->ro;
	struct kvlist a = KVLIST_INIT;

	if (nd->st == NODE_LOST)
		return -1;
	if (nd->prev[0] == '\0') {
		node_fail(nd, CUT_ERR_NO_RELEASE, "no previous release to go back to");
		return -1;
	}
	/* A rollback, not an activate: the agent then drops the abandoned
	 * release from its history, so its next rollback cannot pick it. */
	kv_add(&a, "to", nd->prev);
	if (node_request(nd, "rollback", &a) == CUT_OK)
		rollout_wait(ro, -1);
	kv_free(&a);
	if (nd->st != NODE_REVERSED) {
		rollout_event(ro, "stuck", nd, "%s", nd->why);
		return -1;
	}
	rj_printf(&ro->j, "reversed name=%s release=%s", nd->h->name, nd->prev);
	rollout_event(ro, "reversed", nd, "back on %s", nd->prev);
	return 0;
}

enum rollout_phase
engine_reverse(struct engine *e)
{
	struct rollout *ro = e->ro;

	ro->on_settle = NULL;
	rollout_event(ro, "reverse", NULL, "switching hosts back, node by node");
	for (size_t k = ro->n; k-- > 0;) {
		struct node *nd = &ro->nodes[k];

		if (e->member[k] && node_reversal_target(nd) && reverse_node(e, nd) != 0)
			engine_leave(e, nd);
	}
	rollout_event(ro, "reversed", NULL, "reversal done");
	return e->left[0] ? RP_PARTIAL : RP_REVERSED;
}
