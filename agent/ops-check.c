/*
 * check and note: the two requests a coordinator sends between switches.
 * check re-runs the current release's health check (a bake's end), note
 * records where a rollout stands (paused, done, ...) on the host itself,
 * so any machine with the fleet file can read it back from `status`.
 * cutover-agent(8), "Wire requests".
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "fsutil.h"
#include "hooks.h"
#include "journal.h"
#include "ops.h"
#include "state.h"

/* Limits of a note's further fields: proto/PROTOCOL, `note`. */
#define NOTE_FIELDS_MAX	24
#define NOTE_KEY_MAX	32
#define NOTE_VALUE_MAX	4096

static const char *const note_states[] = {
	"paused", "resumed", "aborted", "done", "reversed", "partial", "live", NULL
};

/* Args of note that are not stored as further fields. */
static const char *const note_named[] = {
	"rollout", "kind", "actor", "state", "wait", NULL
};

/* Keys every journal record has or may have: a note must not shadow them. */
static const char *const note_reserved[] = {
	"time", "ts_ms", "op", "phase", "user", "pid", "ssh_client", "key", "via", NULL
};

static int
in_list(const char *const *list, const char *s)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static int
note_key_valid(const char *k)
{
	size_t n = strlen(k);

	return n >= 1 && n <= NOTE_KEY_MAX && k[0] >= 'a' && k[0] <= 'z' &&
	    strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

int
op_note_args(const struct kvlist *args, const char **state, struct kvlist *extra,
    char *why, size_t whylen)
{
	size_t n = 0;

	*state = kv_get(args, "state");
	if (*state == NULL || !in_list(note_states, *state)) {
		snprintf(why, whylen, "state: \"%.40s\" is not a rollout state (paused, resumed, "
		    "aborted, done, reversed, partial, live)", *state ? *state : "");
		return CUT_ERR_BAD_ID;
	}
	for (size_t i = 0; i < args->n; i++) {
		const char *k = args->v[i].key, *v = args->v[i].val;

		if (in_list(note_named, k))
			continue;
		if (!note_key_valid(k) || in_list(note_reserved, k)) {
			snprintf(why, whylen, "%.60s: not a note field name ([a-z][a-z0-9_]{0,31}, "
			    "not time, ts_ms, op, phase, user, pid, ssh_client, key or via)", k);
			return CUT_ERR_BAD_ID;
		}
		if (strlen(v) > NOTE_VALUE_MAX) {
			snprintf(why, whylen, "%s: value of %zu bytes (at most %d)", k, strlen(v),
			    NOTE_VALUE_MAX);
			return CUT_ERR_BAD_ID;
		}
		if (++n > NOTE_FIELDS_MAX) {
			snprintf(why, whylen, "more than %d note fields", NOTE_FIELDS_MAX);
			return CUT_ERR_BAD_ID;
		}
		if (kv_get(extra, k) != NULL) {
			snprintf(why, whylen, "%s: given twice", k);
			return CUT_ERR_BAD_ID;
		}
		if (kv_add(extra, k, v) != CUT_OK) {
			snprintf(why, whylen, "out of memory");
			return CUT_ERR_ALLOC;
		}
	}
	return CUT_OK;
}

int
op_note(struct app *app, const char *state, const struct kvlist *extra, struct kvlist *res)
{
	struct kvlist rec = KVLIST_INIT;
	int r;

	kv_add(&rec, "state", state);
	if (kv_copy(&rec, extra) != CUT_OK) {
		kv_free(&rec);
		return op_fail(res, CUT_ERR_ALLOC, "out of memory");
	}
	/* One record, like pin: a note has nothing half-done to recover. */
	r = journal_append(app, "rollout", "end", &rec);
	kv_free(&rec);
	if (r != CUT_OK)
		return op_fail(res, r, "cannot write journal: %s", strerror(errno));
	kv_set(res, "state", state);
	kv_addf(res, "message", "rollout state %s recorded", state);
	return CUT_OK;
}

int
op_check(struct app *app, const struct sink *sink, struct kvlist *res)
{
	const struct state *st;
	struct kvlist rec = KVLIST_INIT;
	char cur[RELEASE_ID_MAX + 1], prev[RELEASE_ID_MAX + 1] = "", why[512] = "";
	struct hook_ctx h = { .app = app, .release = cur, .previous = prev, .sink = sink };
	long long started = mono_ms();
	int r;

	if ((r = app_state(app, &st)) != CUT_OK)
		return op_fail(res, r, "cannot read state: %s", strerror(errno));
	if (st->current[0] == '\0')
		return op_fail(res, CUT_ERR_NO_RELEASE, "no current release to check");
	snprintf(cur, sizeof(cur), "%s", st->current);
	if (state_rollback_target(st) != NULL)
		snprintf(prev, sizeof(prev), "%s", state_rollback_target(st));
	if (app->conf.health == NULL || app->conf.health[0] == '\0') {
		kv_add(&rec, "health", "none configured");
		r = CUT_OK;
	} else {
		r = health_check(&h, why, sizeof(why));
	}
	kv_add(&rec, "release", cur);
	kv_add(&rec, "outcome", r == CUT_OK ? "ok" : "failed");
	kv_add_int(&rec, "duration_ms", mono_ms() - started);
	if (r != CUT_OK)
		kv_add(&rec, "error", why);
	if (h.outlen > 0)
		kv_add(&rec, "output", h.output);
	/* One record: a check changes nothing, so a killed one leaves nothing to undo. */
	if (journal_append(app, "check", "end", &rec) != CUT_OK && r == CUT_OK)
		r = op_fail(res, CUT_ERR_SYSTEM, "cannot write journal: %s", strerror(errno));
	kv_free(&rec);
	kv_set(res, "release", cur);
	kv_add_bool(res, "healthy", r == CUT_OK);
	if (r == CUT_ERR_SYSTEM)
		return r;
	if (r != CUT_OK)
		return op_fail(res, CUT_ERR_FAILED, "%s: health check failed: %s", cur, why);
	if (app->conf.health == NULL || app->conf.health[0] == '\0')
		kv_add(res, "message", "no health check configured");
	else
		kv_addf(res, "message", "%s is healthy", cur);
	return CUT_OK;
}

/*
 * One command's longest run: its timeout, the grace before SIGKILL, then
 * the reading of the output pipe after the shell exits.
 */
static long long
command_s(const char *cmd, long long timeout_s)
{
	if (cmd == NULL || cmd[0] == '\0')
		return 0;
	return timeout_s + (HOOK_KILL_GRACE_MS + HOOK_DRAIN_GRACE_MS + 999) / 1000;
}

/*
 * before_activate + after_activate + every health attempt and interval,
 * twice (a failed switch goes on to switch back and run the previous
 * release's after_activate), plus the after_activate that the recovery of
 * a killed predecessor may run first, plus 10 s for the rest. Commands
 * that are not configured take no time. A lock wait is not included.
 */
long long
op_worst_case_s(const struct app *app)
{
	const struct app_conf *c = &app->conf;
	long long before = command_s(c->before_activate, c->hook_timeout);
	long long after = command_s(c->after_activate, c->hook_timeout);
	long long health = 0;

	if (c->health != NULL && c->health[0] != '\0')
		health = c->health_retries * (command_s(c->health, c->health_timeout) +
		    c->health_interval);
	return 2 * (before + after + health) + after + 10;
}
