/*
 * Recovery of a killed predecessor, run under the lock before every
 * state-changing command. Deterministic: staging and trash leftovers are
 * deleted, an install that did not journal its end is removed, and an
 * activation that did not journal its end is undone (current goes back
 * to the release it replaced). Each action is journalled and reported.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "activation.h"
#include "dirtree.h"
#include "err.h"
#include "hooks.h"
#include "journal.h"
#include "ops.h"
#include "release_id.h"
#include "state.h"

/*
 * The one line a failed recovery prints: what it was doing, on which path,
 * and the system's reason (errno is still the failed call's for
 * CUT_ERR_SYSTEM), so the operator can fix ownership or modes by hand.
 */
static int
recover_fail(struct app *app, int r, char *err, size_t errlen, const char *what,
    const char *path)
{
	snprintf(err, errlen, "recovery of an interrupted operation failed: %s %s/%s: %s",
	    what, app->conf.root, path, r == CUT_ERR_SYSTEM ? strerror(errno) : cut_err(r));
	return r;
}

/* Empty dir `name` below the state dir; report what was removed. */
static int
sweep(struct app *app, const char *name, const struct sink *sink, char *err, size_t errlen)
{
	int fd = openat(app->statefd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int dupfd, r = CUT_OK;
	char path[PATH_MAX];
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), "%s/%s", STATE_DIR, name);
	if (fd == -1)
		return errno == ENOENT ? CUT_OK :
		    recover_fail(app, CUT_ERR_SYSTEM, err, errlen, "cannot open", path);
	if ((dupfd = dup(fd)) == -1 || (d = fdopendir(dupfd)) == NULL) {
		r = recover_fail(app, CUT_ERR_SYSTEM, err, errlen, "cannot read", path);
		if (dupfd != -1)
			close(dupfd);
		close(fd);
		return r;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		emit_message(sink, "recover", "removing leftover %s/%s", path, de->d_name);
		if ((r = rm_rf_at(fd, de->d_name)) != CUT_OK) {
			snprintf(path, sizeof(path), "%s/%s/%s", STATE_DIR, name, de->d_name);
			r = recover_fail(app, r, err, errlen, "cannot remove", path);
			break;
		}
	}
	closedir(d);
	close(fd);
	return r;
}

/* Temporary `current` links of killed swaps: never `current` themselves. */
static void
sweep_temp_links(struct app *app)
{
	int dupfd = dup(app->rootfd);
	DIR *d;
	struct dirent *de;

	if (dupfd == -1 || (d = fdopendir(dupfd)) == NULL) {
		if (dupfd != -1)
			close(dupfd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, ".current.", 9) == 0)
			(void)unlinkat(app->rootfd, de->d_name, 0);
	closedir(d);
}

static int
undo_activation(struct app *app, const struct state *st, const struct sink *sink,
    struct kvlist *rec)
{
	const char *id = kv_get(&st->pending, "release");
	const char *prev = kv_get(&st->pending, "previous");
	int r;

	if (prev == NULL)
		prev = "";
	if (id == NULL || strcmp(st->current, id) != 0) {
		kv_add(rec, "action", "none: current was not switched");
		return CUT_OK;
	}
	emit_message(sink, "recover", "interrupted %s of %s: switching back to %s",
	    kv_get(&st->pending, "op"), id, prev[0] ? prev : "no release");
	if ((r = swap_current(app, prev[0] ? prev : NULL)) != CUT_OK)
		return r;
	kv_addf(rec, "action", "current switched back from %s to %s", id, prev[0] ? prev : "none");
	if (prev[0]) {
		struct hook_ctx h = { .app = app, .release = prev, .previous = id, .sink = sink,
		    .finish_on_signal = 1 };
		char why[512] = "";

		if (hook_run(&h, "after_activate", app->conf.after_activate,
		    (int)app->conf.hook_timeout, why, sizeof(why)) != CUT_OK)
			kv_add(rec, "hook_error", why);
	}
	return CUT_OK;
}

int
op_recover(struct app *app, const struct sink *sink, char *err, size_t errlen)
{
	const struct state *st;
	struct kvlist rec = KVLIST_INIT;
	const char *op, *id;
	char path[RELEASE_ID_MAX + 32];
	int r;

	if ((r = sweep(app, STAGING_DIR, sink, err, errlen)) != CUT_OK ||
	    (r = sweep(app, TRASH_DIR, sink, err, errlen)) != CUT_OK)
		return r;
	sweep_temp_links(app);
	/* The first app_state() of the lock: the journal as it is on disk now. */
	if ((r = app_state(app, &st)) != CUT_OK)
		return recover_fail(app, r, err, errlen, "cannot read", STATE_DIR "/journal");
	if (!st->has_pending)
		return CUT_OK;
	/* st is only read until the journal_append below folds the end in. */
	op = kv_get(&st->pending, "op");
	id = kv_get(&st->pending, "release");
	kv_add(&rec, "interrupted", op);
	kv_add(&rec, "release", id ? id : "");
	kv_add(&rec, "interrupted_pid", kv_get(&st->pending, "pid"));
	if (strcmp(op, "activate") == 0 || strcmp(op, "rollback") == 0) {
		if ((r = undo_activation(app, st, sink, &rec)) != CUT_OK)
			recover_fail(app, r, err, errlen, "cannot switch back", CURRENT_LINK);
	} else if (strcmp(op, "install") == 0 && id != NULL && strcmp(id, st->current) != 0 &&
	    faccessat(app->releasesfd, id, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		/* Renamed into place but never journalled: its checksum is unknown. */
		emit_message(sink, "recover", "interrupted install of %s: removing it", id);
		snprintf(path, sizeof(path), "%s/%s", RELEASES_DIR, id);
		if ((r = remove_release(app, id)) != CUT_OK)
			recover_fail(app, r, err, errlen, "cannot remove", path);
		kv_add(&rec, "action", "removed the unjournalled release");
	} else {
		kv_add(&rec, "action", "leftovers removed");
	}
	kv_add(&rec, "outcome", r == CUT_OK ? "ok" : "failed");
	if (r == CUT_OK && (r = journal_append(app, "recover", "end", &rec)) != CUT_OK)
		recover_fail(app, r, err, errlen, "cannot append to", STATE_DIR "/journal");
	kv_free(&rec);
	return r;
}

int
op_enter(struct app *app, const char *config_file, const char *name, int lock,
    int wait_seconds, const struct sink *sink, char *err, size_t errlen)
{
	int r;

	err[0] = '\0';
	if (lock)
		r = app_open(app, config_file, name, err, errlen);
	else
		r = app_open_readonly(app, config_file, name, err, errlen);
	if (r == CUT_OK && lock) {
		char holder[1024] = "";

		r = app_lock(app, wait_seconds, holder, sizeof(holder));
		if (r == CUT_ERR_LOCKED)
			snprintf(err, errlen, "locked by another operation: %s", holder);
		else if (r != CUT_OK)
			snprintf(err, errlen, "%s", holder);
		else
			r = op_recover(app, sink, err, errlen);
	}
	if (r != CUT_OK) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s", cut_err(r));
		app_close(app);	/* also frees what a half-done open allocated */
	}
	return r;
}
