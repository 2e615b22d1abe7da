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
#include "ops-common.h"
#include "release_id.h"

static int
newest_first(const void *a, const void *b)
{
	const struct release_info *x = a, *y = b;

	if (x->installed_seq != y->installed_seq)
		return x->installed_seq > y->installed_seq ? -1 : 1;
	return strcmp(y->id, x->id);
}

/*
 * Never removed: current, the rollback target, pinned releases, and
 * releases installed after the last switch that never ran (staged for the
 * next rollout). Bad and never-activated releases go first and do not count
 * toward keep; of the good ones the newest `keep` stay.
 */
int
op_prune(struct app *app, int keep, const struct sink *sink, struct kvlist *res)
{
	struct state st;
	struct kvlist rec = KVLIST_INIT;
	const char *prev;
	char *removed = NULL;
	size_t rlen = 0;
	long long good = 0, nremoved = 0;
	int r = CUT_OK;

	if (keep <= 0)
		keep = (int)app->conf.keep;
	if ((r = state_load(app, &st)) != CUT_OK)
		return op_fail(res, r, "cannot read state: %s", strerror(errno));
	if (st.nrel > 0)	/* qsort(NULL, 0) is undefined */
		qsort(st.rel, st.nrel, sizeof(*st.rel), newest_first);
	prev = state_rollback_target(&st);

	kv_add_int(&rec, "keep", keep);
	if ((r = journal_append(app, "prune", "begin", &rec)) != CUT_OK) {
		kv_free(&rec);
		state_free(&st);
		return op_fail(res, r, "cannot write journal: %s", strerror(errno));
	}
	kv_free(&rec);
	for (size_t i = 0; i < st.nrel; i++) {
		const struct release_info *ri = &st.rel[i];
		int protected = strcmp(ri->id, st.current) == 0 ||
		    (prev && strcmp(ri->id, prev) == 0) || ri->pinned ||
		    (!ri->activated && !ri->bad && ri->installed_seq > st.last_activation_seq);
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
			size_t add = strlen(ri->id) + 2;
			char *n = realloc(removed, rlen + add);

			if (n == NULL)
				break;
			removed = n;
			if (rlen)
				removed[rlen - 1] = ' ';
			memcpy(removed + rlen, ri->id, add - 1);
			rlen += add - 1;
			removed[rlen++] = '\0';
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
	state_free(&st);
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
