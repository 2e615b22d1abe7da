#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fault.h"
#include "fsutil.h"
#include "hooks.h"
#include "journal.h"
#include "ops.h"
#include "ops-common.h"
#include "swap.h"

int
op_fail(struct kvlist *res, int code, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) >= 0) {
		kv_set(res, "error", s);
		free(s);
	}
	va_end(ap);
	return code;
}

void
emit_message(const struct sink *sink, const char *event, const char *fmt, ...)
{
	struct kvlist ev = KVLIST_INIT;
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) >= 0) {
		kv_add(&ev, "event", event);
		kv_add(&ev, "message", s);
		sink_event(sink, &ev);
		free(s);
	}
	va_end(ap);
	kv_free(&ev);
}

int
open_state_subdir(struct app *app, const char *name)
{
	if (mkdirat(app->statefd, name, 0700) == -1 && errno != EEXIST)
		return -1;
	return openat(app->statefd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/*
 * rename() into the trash first: the release vanishes from releases/ in
 * one step, so a kill mid-delete never leaves a half-deleted release there.
 */
int
remove_release(struct app *app, const char *id)
{
	char name[RELEASE_ID_MAX + 32];
	int trashfd, r;

	if ((trashfd = open_state_subdir(app, TRASH_DIR)) == -1)
		return CUT_ERR_SYSTEM;
	snprintf(name, sizeof(name), "%s.%ld", id, (long)getpid());
	if (renameat(app->releasesfd, id, trashfd, name) == -1) {
		close(trashfd);
		return CUT_ERR_SYSTEM;
	}
	r = fsync_dir(app->releasesfd);
	FAULT_POINT("prune.moved_to_trash");
	if (r == CUT_OK)
		r = rm_rf_at(trashfd, name);
	close(trashfd);
	return r;
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

/* The checksum the journal recorded when id was installed ("" if unknown). */
static void
release_sha256(struct app *app, const char *id, char sha[65])
{
	const struct state *st;
	const struct release_info *ri;

	sha[0] = '\0';
	if (app_state(app, &st) != CUT_OK)
		return;
	if ((ri = state_find(st, id)) != NULL)
		memcpy(sha, ri->sha256, 65);
}

int
switch_release(struct app *app, const char *op, const char *id, const char *prev,
    const struct sink *sink, struct kvlist *res)
{
	struct hook_ctx h = { .app = app, .release = id, .previous = prev, .sink = sink };
	struct kvlist rec = KVLIST_INIT;
	long long started = mono_ms();
	char why[512] = "", backwhy[512] = "", sha[65] = "";
	int r, back = CUT_OK, timeout = (int)app->conf.hook_timeout;

	release_sha256(app, id, sha);
	kv_add(&rec, "release", id);
	kv_add(&rec, "previous", prev);
	if (sha[0])
		kv_add(&rec, "sha256", sha);
	if ((r = journal_append(app, op, "begin", &rec)) != CUT_OK) {
		kv_free(&rec);
		return op_fail(res, r, "cannot write journal: %s", strerror(errno));
	}
	kv_free(&rec);
	FAULT_POINT("activate.begun");

	r = hook_run(&h, "before_activate", app->conf.before_activate, timeout, why, sizeof(why));
	if (r == CUT_OK) {
		if ((r = swap_current(app, id)) != CUT_OK)
			snprintf(why, sizeof(why), "cannot switch current: %s", strerror(errno));
		FAULT_POINT("activate.switched");
		if (r == CUT_OK)
			r = hook_run(&h, "after_activate", app->conf.after_activate, timeout,
			    why, sizeof(why));
		if (r == CUT_OK)
			r = health_check(&h, why, sizeof(why));
		FAULT_POINT("activate.checked");
		if (r != CUT_OK) {
			/* Put the previous release back, and let its services reload. */
			struct hook_ctx hb = { .app = app, .release = prev, .previous = id, .sink = sink,
			    .finish_on_signal = 1 };

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
	add_outcome(&rec, id, prev, r == CUT_OK ? "ok" : "reversed", started,
	    r == CUT_OK ? NULL : why, &h);
	if (sha[0])
		kv_add(&rec, "sha256", sha);
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
	kv_set(res, "current", prev);
	if (back != CUT_OK)
		return op_fail(res, CUT_ERR_SYSTEM, "%s: %s; switching back to %s also failed: %s",
		    id, why, prev, backwhy);
	return op_fail(res, CUT_ERR_REVERSED, "%s: %s; %s is current again (%s marked bad)",
	    id, why, prev[0] ? prev : "no release", id);
}
