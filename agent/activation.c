/*
 * Activation: everything that moves `current` (activate, deploy, rollback)
 * and the pieces they share: the atomic swap of the link, reading it back,
 * and the switch with hooks, health check and reversal. The behaviour is
 * described in cutover-agent(8) under activate and rollback.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activation.h"
#include "dirtree.h"
#include "err.h"
#include "fault.h"
#include "fsutil.h"
#include "hooks.h"
#include "journal.h"
#include "manifest.h"
#include "ops.h"
#include "release_id.h"
#include "state.h"

int
swap_current(struct app *app, const char *id)
{
	char tmp[64], target[RELEASE_ID_MAX + 16];
	int r = CUT_OK;

	if (id == NULL) {
		if (unlinkat(app->rootfd, CURRENT_LINK, 0) == -1 && errno != ENOENT)
			return CUT_ERR_SYSTEM;
		return fsync_dir(app->rootfd);
	}
	snprintf(tmp, sizeof(tmp), ".current.%ld.tmp", (long)getpid());
	snprintf(target, sizeof(target), RELEASES_DIR "/%s", id);
	/* A leftover from a killed process with our pid: it is never `current`. */
	(void)unlinkat(app->rootfd, tmp, 0);
	if (symlinkat(target, app->rootfd, tmp) == -1)
		return CUT_ERR_SYSTEM;
	FAULT_POINT("swap.before_rename");
	if (renameat(app->rootfd, tmp, app->rootfd, CURRENT_LINK) == -1) {
		int saved = errno;

		(void)unlinkat(app->rootfd, tmp, 0);
		errno = saved;
		return CUT_ERR_SYSTEM;
	}
	FAULT_POINT("swap.after_rename");
	r = fsync_dir(app->rootfd);
	return r;
}

int
read_current(struct app *app, char id[RELEASE_ID_MAX + 1])
{
	char buf[RELEASE_ID_MAX + sizeof(RELEASES_DIR) + 2];
	ssize_t n;

	id[0] = '\0';
	if (app->rootfd == -1)
		return CUT_OK;	/* read-only open of a missing ROOT: no current */
	n = readlinkat(app->rootfd, CURRENT_LINK, buf, sizeof(buf) - 1);
	if (n < 0)
		return errno == ENOENT ? CUT_OK : CUT_ERR_SYSTEM;
	buf[n] = '\0';
	if (strncmp(buf, RELEASES_DIR "/", sizeof(RELEASES_DIR)) != 0 ||
	    !release_id_valid(buf + sizeof(RELEASES_DIR))) {
		errno = EINVAL;	/* somebody else's symlink; do not guess */
		return CUT_ERR_SYSTEM;
	}
	strcpy(id, buf + sizeof(RELEASES_DIR));
	return CUT_OK;
}

static void
add_outcome(struct kvlist *end, const char *id, const char *prev, const char *outcome,
    long long started, const char *error, const struct hook_ctx *h)
{
	kv_add(end, "release", id);
	kv_add(end, "previous", prev);
	kv_add(end, "outcome", outcome);
	kv_add_int(end, "duration_ms", mono_ms() - started);
	if (error != NULL) {
		kv_add(end, "bad", id);
		kv_add(end, "error", error);
	}
	if (h != NULL && h->outlen > 0)
		kv_add(end, "output", h->output);
}

/* The checksum and manifest the journal recorded when id was installed ("", none if unknown). */
static void
release_sha256(struct app *app, const char *id, char sha[SHA256_HEX_LEN + 1],
    struct manifest *man)
{
	const struct state *st;
	const struct release_info *ri;

	sha[0] = '\0';
	memset(man, 0, sizeof(*man));
	if (app_state(app, &st) != CUT_OK)
		return;
	if ((ri = state_find(st, id)) != NULL) {
		memcpy(sha, ri->sha256, sizeof(ri->sha256));
		*man = ri->man;
	}
}

/* CUTOVER_ACTION for the hooks: a migration hook runs only on deploy. */
static const char *
hook_action(const char *op, const char *via)
{
	if (via != NULL && strcmp(via, "drill") == 0)
		return "drill";
	return strcmp(op, "rollback") == 0 ? "rollback" : "deploy";
}

int
switch_release(struct app *app, const char *op, const char *via, const char *id,
    const char *prev, const struct sink *sink, struct kvlist *res)
{
	struct manifest man;
	struct hook_ctx h = { .app = app, .release = id, .previous = prev, .sink = sink,
	    .man = &man, .action = hook_action(op, via) };
	struct kvlist rec = KVLIST_INIT;
	long long started = mono_ms();
	char why[512] = "", backwhy[512] = "", sha[SHA256_HEX_LEN + 1] = "";
	int r, back = CUT_OK, timeout = (int)app->conf.hook_timeout;
	/* A drill's way back never reverses: the host must end on the release it started on. */
	int keep = strcmp(op, "activate") == 0 && via != NULL && strcmp(via, "drill") == 0;
	int swapped = 0, kept;

	release_sha256(app, id, sha, &man);
	kv_add(&rec, "release", id);
	kv_add(&rec, "previous", prev);
	if (sha[0])
		kv_add(&rec, "sha256", sha);
	if (via != NULL)
		kv_add(&rec, "via", via);
	if ((r = journal_append(app, op, "begin", &rec)) != CUT_OK) {
		kv_free(&rec);
		return op_fail(res, r, "cannot write journal: %s", strerror(errno));
	}
	kv_free(&rec);
	FAULT_POINT("activate.begun");

	r = hook_run(&h, "before_activate", app->conf.before_activate, timeout, why, sizeof(why));
	if (r == CUT_OK || keep) {
		int before = r;

		if ((r = swap_current(app, id)) != CUT_OK)
			snprintf(why, sizeof(why), "cannot switch current: %s", strerror(errno));
		swapped = r == CUT_OK;
		FAULT_POINT("activate.switched");
		if (r == CUT_OK)
			r = hook_run(&h, "after_activate", app->conf.after_activate, timeout,
			    why, sizeof(why));
		if (r == CUT_OK)
			r = health_check(&h, why, sizeof(why));
		if (r == CUT_OK)
			r = before;	/* keep: a failed before_activate still fails the leg */
		FAULT_POINT("activate.checked");
		if (r != CUT_OK && !(keep && swapped)) {
			/* Put the previous release back, and let its services reload. */
			struct hook_ctx hb = { .app = app, .release = prev, .previous = id, .sink = sink,
			    .finish_on_signal = 1, .action = "rollback" };

			emit_message(sink, "reverse", "%s failed: %s; switching back to %s",
			    id, why, prev[0] ? prev : "(no release)");
			back = swap_current(app, prev[0] ? prev : NULL);
			if (back == CUT_OK && prev[0])
				back = hook_run(&hb, "after_activate", app->conf.after_activate,
				    timeout, backwhy, sizeof(backwhy));
			if (back != CUT_OK && backwhy[0] == '\0')
				snprintf(backwhy, sizeof(backwhy), "%s", strerror(errno));
		}
	}
	kept = r != CUT_OK && keep && swapped;
	add_outcome(&rec, id, prev, r == CUT_OK || kept ? "ok" : "reversed", started,
	    r == CUT_OK || kept ? NULL : why, &h);
	if (kept)
		kv_add(&rec, "health_error", why);
	if (sha[0])
		kv_add(&rec, "sha256", sha);
	if (via != NULL)
		kv_add(&rec, "via", via);
	if (back != CUT_OK)
		kv_add(&rec, "reverse_error", backwhy);
	if (journal_append(app, op, "end", &rec) != CUT_OK && r == CUT_OK)
		r = op_fail(res, CUT_ERR_SYSTEM, "cannot write journal: %s", strerror(errno));
	kv_free(&rec);

	kv_set(res, "release", id);
	kv_set(res, "previous", prev);
	if (r == CUT_OK) {
		kv_add_int(res, "duration_ms", mono_ms() - started);
		return CUT_OK;
	}
	if (kept) {
		kv_set(res, "current", id);
		return op_fail(res, CUT_ERR_FAILED, "%s is current again, but: %s", id, why);
	}
	kv_set(res, "current", prev);
	if (back != CUT_OK)
		return op_fail(res, CUT_ERR_SYSTEM, "%s: %s; switching back to %s also failed: %s",
		    id, why, prev, backwhy);
	return op_fail(res, CUT_ERR_REVERSED, "%s: %s; %s is current again (%s marked bad)",
	    id, why, prev[0] ? prev : "no release", id);
}

static int
release_present(struct app *app, const char *id)
{
	struct stat sb;

	return fstatat(app->releasesfd, id, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode);
}

/* The migration guard (manifest.h) unless --force-schema: exit 3, nothing changed. */
static int
guard(struct app *app, const char *id, const struct sink *sink, struct kvlist *res)
{
	const struct state *st;
	char why[512];
	int r;

	if ((r = app_state(app, &st)) != CUT_OK)
		return op_fail(res, r, "cannot read state: %s", strerror(errno));
	if (!schema_guard(st, id, why, sizeof(why)))
		return CUT_OK;
	if (app->force_schema) {
		emit_message(sink, "schema", "--force-schema: %s", why);
		return CUT_OK;
	}
	kv_add_bool(res, "schema_refused", 1);
	return op_fail(res, CUT_ERR_BAD_ID, "%s", why);
}

/*
 * Switch to id unless it is already current. op: "activate" or "rollback";
 * via: "deploy" for a deploy's activation (status reports it as a deploy).
 */
int
switch_checked(struct app *app, const char *op, const char *via, const char *id,
    const struct sink *sink, struct kvlist *res)
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
	if ((r = guard(app, id, sink, res)) != CUT_OK)
		return r;
	r = switch_release(app, op, via, id, cur, sink, res);
	if (r == CUT_OK)
		kv_addf(res, "message", "%s %s (was %s)",
		    strcmp(op, "rollback") == 0 ? "rolled back to" : "activated", id,
		    cur[0] ? cur : "none");
	return r;
}

int
op_activate(struct app *app, const char *id, const struct sink *sink, struct kvlist *res)
{
	return switch_checked(app, "activate", NULL, id, sink, res);
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
	/* Who signed it (1.4, cutover-agent(8) SIGNATURES), when verified. */
	if (kv_get(&sub, "signature_key") != NULL) {
		kv_set(res, "signed_by", kv_get(&sub, "signed_by"));
		kv_set(res, "signature_key", kv_get(&sub, "signature_key"));
	}
	/* dedupe = yes (cutover-agent.ini(5)): what the install linked. */
	if (kv_get(&sub, "dedupe_from") != NULL) {
		kv_add(res, "dedupe_from", kv_get(&sub, "dedupe_from"));
		kv_add_int(res, "dedupe_files", kv_get_int(&sub, "dedupe_files", 0));
		kv_add_int(res, "dedupe_bytes", kv_get_int(&sub, "dedupe_bytes", 0));
	}
	kv_free(&sub);
	if ((r = switch_checked(app, "activate", "deploy", id, sink, &sub)) != CUT_OK) {
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

int
op_deploy_installed(struct app *app, const char *id, const struct sink *sink,
    struct kvlist *res)
{
	int r;

	if ((r = switch_checked(app, "activate", "deploy", id, sink, res)) == CUT_OK)
		prune_after_deploy(app, sink, res);
	return r;
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
		return switch_checked(app, "rollback", NULL, to, sink, res);
	if ((r = app_state(app, &st)) != CUT_OK)
		return op_fail(res, r, "cannot read state: %s", strerror(errno));
	if ((t = state_rollback_target(st)) == NULL)
		return op_fail(res, CUT_ERR_NO_RELEASE,
		    "no previous good release to roll back to (current: %s)",
		    st->current[0] ? st->current : "none");
	/* A copy: the switch's journal records change the state under t. */
	snprintf(target, sizeof(target), "%s", t);
	return switch_checked(app, "rollback", NULL, target, sink, res);
}
