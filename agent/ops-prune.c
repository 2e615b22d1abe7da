/* prune, pin and unpin: which releases stay on disk. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "journal.h"
#include "ops.h"
#include "release_id.h"
#include "state.h"

static int
newest_first(const void *a, const void *b)
{
	const struct release_info *x = a, *y = b;

	if (x->installed_seq != y->installed_seq)
		return x->installed_seq > y->installed_seq ? -1 : 1;
	return strcmp(y->id, x->id);
}

/*
 * Never removed: current, the rollback target, pinned releases, a paused
 * rollout's release (its note), and releases installed after the last
 * switch that never ran (staged for the next rollout). Bad and never-activated releases go first and do not count
 * toward keep; of the good ones the newest `keep` stay.
 */
int
op_prune(struct app *app, int keep, const struct sink *sink, struct kvlist *res)
{
	const struct state *st;
	struct release_info *rel = NULL;
	struct kvlist rec = KVLIST_INIT;
	char cur[RELEASE_ID_MAX + 1], prev[RELEASE_ID_MAX + 1] = "", paused[RELEASE_ID_MAX + 1] = "";
	char *removed = NULL;
	size_t rlen = 0, nrel;
	long long good = 0, nremoved = 0, last_activation_seq;
	int r = CUT_OK;

	if (keep <= 0)
		keep = (int)app->conf.keep;
	if ((r = app_state(app, &st)) != CUT_OK)
		return op_fail(res, r, "cannot read state: %s", strerror(errno));
	/* A copy to sort and keep: our own journal records change the state. */
	if ((nrel = st->nrel) > 0) {	/* qsort(NULL, 0) is undefined */
		if ((rel = malloc(nrel * sizeof(*rel))) == NULL)
			return op_fail(res, CUT_ERR_ALLOC, "cannot read state: %s", strerror(errno));
		memcpy(rel, st->rel, nrel * sizeof(*rel));
		qsort(rel, nrel, sizeof(*rel), newest_first);
	}
	snprintf(cur, sizeof(cur), "%s", st->current);
	if (state_rollback_target(st) != NULL)
		snprintf(prev, sizeof(prev), "%s", state_rollback_target(st));
	last_activation_seq = st->last_activation_seq;
	/* A paused rollout's release waits here for `cutover resume` (cutover(1)). */
	if (st->has_note && kv_get(&st->note, "state") && strcmp(kv_get(&st->note, "state"), "paused") == 0 &&
	    kv_get(&st->note, "release"))
		snprintf(paused, sizeof(paused), "%s", kv_get(&st->note, "release"));

	kv_add_int(&rec, "keep", keep);
	if ((r = journal_append(app, "prune", "begin", &rec)) != CUT_OK) {
		kv_free(&rec);
		free(rel);
		return op_fail(res, r, "cannot write journal: %s", strerror(errno));
	}
	kv_free(&rec);
	for (size_t i = 0; i < nrel; i++) {
		const struct release_info *ri = &rel[i];
		int protected = strcmp(ri->id, cur) == 0 ||
		    (prev[0] && strcmp(ri->id, prev) == 0) || ri->pinned || (paused[0] && strcmp(ri->id, paused) == 0) ||
		    (!ri->activated && !ri->bad && ri->installed_seq > last_activation_seq);
		int is_good = ri->activated && !ri->bad;

		if (!ri->on_disk)
			continue;
		if (is_good)
			good++;
		if (protected || (is_good && good <= keep))
			continue;
		emit_message(sink, "prune", "removing %s%s", ri->id,
		    ri->bad ? " (bad)" : !ri->activated ? " (never activated)" : "");
		if ((r = remove_release(app, ri->id)) != CUT_OK) {
			op_fail(res, r, "cannot remove release %s: %s", ri->id, strerror(errno));
			break;
		}
		nremoved++;
		{
			/* "ID ID ID": one space between IDs, one NUL at the end. */
			size_t idlen = strlen(ri->id);
			char *n = realloc(removed, rlen + idlen + 2);

			if (n == NULL) {
				r = op_fail(res, CUT_ERR_ALLOC, "out of memory after removing %s",
				    ri->id);
				break;
			}
			removed = n;
			if (rlen)
				removed[rlen++] = ' ';
			memcpy(removed + rlen, ri->id, idlen + 1);
			rlen += idlen;
		}
	}
	kv_add(&rec, "outcome", r == CUT_OK ? "ok" : "failed");
	kv_add(&rec, "removed", removed ? removed : "");
	if (journal_append(app, "prune", "end", &rec) != CUT_OK && r == CUT_OK)
		r = op_fail(res, CUT_ERR_SYSTEM, "cannot write journal: %s", strerror(errno));
	kv_free(&rec);
	kv_set(res, "removed", removed ? removed : "");
	if (r == CUT_OK)
		kv_addf(res, "message", "pruned %lld release%s%s%s", nremoved,
		    nremoved == 1 ? "" : "s", nremoved ? ": " : "", removed ? removed : "");
	free(removed);
	free(rel);
	return r;
}

int
op_pin(struct app *app, const char *id, int pin, const struct sink *sink, struct kvlist *res)
{
	struct kvlist rec = KVLIST_INIT;
	const char *op = pin ? "pin" : "unpin";
	int r;

	(void)sink;
	if (!release_id_valid(id))
		return op_fail(res, CUT_ERR_BAD_ID, "invalid release ID \"%.200s\"", id);
	if (pin && faccessat(app->releasesfd, id, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
		return op_fail(res, CUT_ERR_NO_RELEASE, "release %s is not installed", id);
	kv_add(&rec, "release", id);
	kv_add(&rec, "outcome", "ok");
	/* One record suffices: pinning has no intermediate state to recover. */
	r = journal_append(app, op, "end", &rec);
	kv_free(&rec);
	if (r != CUT_OK)
		return op_fail(res, r, "cannot write journal: %s", strerror(errno));
	kv_set(res, "release", id);
	kv_addf(res, "message", "%s %s", pin ? "pinned" : "unpinned", id);
	return CUT_OK;
}
