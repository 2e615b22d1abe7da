/* activate, deploy and rollback: everything that moves `current`. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "ops.h"
#include "ops-common.h"
#include "release_id.h"

static int
release_present(struct app *app, const char *id)
{
	struct stat sb;

	return fstatat(app->releasesfd, id, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode);
}

/* Switch to id unless it is already current. op: "activate" or "rollback". */
static int
switch_checked(struct app *app, const char *op, const char *id, const struct sink *sink,
    struct kvlist *res)
{
	char cur[RELEASE_ID_MAX + 1];
	int r;

	if (!release_id_valid(id))
		return op_fail(res, CUT_ERR_BAD_ID, "invalid release ID \"%.200s\"", id);
	if (!release_present(app, id))
		return op_fail(res, CUT_ERR_NO_RELEASE, "release %s is not installed", id);
	if ((r = read_current(app, cur)) != CUT_OK)
		return op_fail(res, r, "cannot read current: %s", strerror(errno));
	if (strcmp(cur, id) == 0) {
		kv_set(res, "release", id);
		kv_add_bool(res, "unchanged", 1);
		kv_addf(res, "message", "%s is already current", id);
		return CUT_OK;
	}
	r = switch_release(app, op, id, cur, sink, res);
	if (r == CUT_OK)
		kv_addf(res, "message", "%s %s (was %s)",
		    strcmp(op, "rollback") == 0 ? "rolled back to" : "activated", id,
		    cur[0] ? cur : "none");
	return r;
}

int
op_activate(struct app *app, const char *id, const struct sink *sink, struct kvlist *res)
{
	return switch_checked(app, "activate", id, sink, res);
}

int
op_deploy(struct app *app, const struct install_req *req, const struct sink *sink,
    struct kvlist *res)
{
	struct kvlist sub = KVLIST_INIT;
	char id[RELEASE_ID_MAX + 1];
	const char *msg;
	int r;

	if ((r = op_install(app, req, sink, &sub)) != CUT_OK) {
		kv_copy(res, &sub);
		kv_free(&sub);
		return r;
	}
	snprintf(id, sizeof(id), "%s", kv_get(&sub, "release"));
	kv_set(res, "sha256", kv_get(&sub, "sha256"));
	if (kv_get(&sub, "stream_sha256") != NULL)
		kv_set(res, "stream_sha256", kv_get(&sub, "stream_sha256"));
	kv_free(&sub);
	if ((r = switch_checked(app, "activate", id, sink, &sub)) != CUT_OK) {
		kv_copy(res, &sub);
		kv_free(&sub);
		return r;
	}
	msg = kv_get(&sub, "message");
	kv_set(res, "release", id);
	kv_set(res, "previous", kv_get(&sub, "previous"));
	kv_set(res, "message", msg ? msg : "");
	kv_free(&sub);
	prune_after_deploy(app, sink, res);
	return CUT_OK;
}

/* Pruning is housekeeping: its failure must not turn a good deploy into a failed one. */
void
prune_after_deploy(struct app *app, const struct sink *sink, struct kvlist *res)
{
	struct kvlist sub = KVLIST_INIT;

	if (op_prune(app, 0, sink, &sub) != CUT_OK)
		emit_message(sink, "prune", "prune after deploy failed: %s", kv_get(&sub, "error"));
	else if (kv_get(&sub, "removed") && *kv_get(&sub, "removed"))
		kv_set(res, "pruned", kv_get(&sub, "removed"));
	kv_free(&sub);
}

int
op_rollback(struct app *app, const char *to, const struct sink *sink, struct kvlist *res)
{
	const struct state *st;
	char target[RELEASE_ID_MAX + 1];
	const char *t;
	int r;

	if (to != NULL)
		return switch_checked(app, "rollback", to, sink, res);
	if ((r = app_state(app, &st)) != CUT_OK)
		return op_fail(res, r, "cannot read state: %s", strerror(errno));
	if ((t = state_rollback_target(st)) == NULL)
		return op_fail(res, CUT_ERR_NO_RELEASE,
		    "no previous good release to roll back to (current: %s)",
		    st->current[0] ? st->current : "none");
	/* A copy: the switch's journal records change the state under t. */
	snprintf(target, sizeof(target), "%s", t);
	return switch_checked(app, "rollback", target, sink, res);
}
