/* The locked app's cached state (app_state) always equals a fresh replay of the journal. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "dirtree.h"
#include "err.h"
#include "journal.h"
#include "kv.h"
#include "state.h"
#include "unit-tmpdir.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
/* Ends append()'s list: a NULL of the type va_arg reads. */
#define END ((const char *)NULL)


/* Open the test app and take its lock. */
static void
open_locked(struct app *app)
{
	char err[256];

	assert_int_equal(app_open(app, "/nonexistent", tmpdir, err, sizeof(err)), CUT_OK);
	assert_int_equal(app_lock(app, 0, err, sizeof(err)), CUT_OK);
}

/* Append op/phase with key=value pairs given as a NULL-terminated list. */
static void
append(struct app *app, const char *op, const char *phase, ...)
{
	struct kvlist r = KVLIST_INIT;
	const char *k;
	va_list ap;

	va_start(ap, phase);
	while ((k = va_arg(ap, const char *)) != NULL)
		kv_add(&r, k, va_arg(ap, const char *));
	va_end(ap);
	assert_int_equal(journal_append(app, op, phase, &r), CUT_OK);
	kv_free(&r);
}

/* Every field of the cache against a fresh state_load of the same root. */
static void
assert_cache_is_replay(struct app *app)
{
	const struct state *c;
	struct state f;

	assert_int_equal(app_state(app, &c), CUT_OK);
	assert_int_equal(state_load(app, &f), CUT_OK);
	assert_string_equal(c->current, f.current);
	assert_int_equal(c->nrel, f.nrel);
	for (size_t i = 0; i < f.nrel; i++) {
		const struct release_info *x = state_find(c, f.rel[i].id), *y = &f.rel[i];

		assert_non_null(x);
		assert_string_equal(x->sha256, y->sha256);
		assert_int_equal(x->installed_seq, y->installed_seq);
		assert_int_equal(x->installed_ms, y->installed_ms);
		assert_int_equal(x->on_disk, y->on_disk);
		assert_int_equal(x->activated, y->activated);
		assert_int_equal(x->bad, y->bad);
		assert_int_equal(x->pinned, y->pinned);
	}
	assert_int_equal(c->nstack, f.nstack);
	for (size_t i = 0; i < f.nstack; i++)
		assert_string_equal(c->stack[i], f.stack[i]);
	assert_int_equal(c->last_activation_seq, f.last_activation_seq);
	assert_int_equal(c->seq, f.seq);
	assert_int_equal(c->has_pending, f.has_pending);
	assert_int_equal(c->pending.n, f.pending.n);
	for (size_t i = 0; i < f.pending.n; i++) {
		assert_string_equal(c->pending.v[i].key, f.pending.v[i].key);
		assert_string_equal(c->pending.v[i].val, f.pending.v[i].val);
	}
	if (c->has_pending || f.has_pending)
		assert_string_equal(kv_get(&c->pending, "op"), kv_get(&f.pending, "op"));
	assert_string_equal(state_rollback_target(c) ? state_rollback_target(c) : "",
	    state_rollback_target(&f) ? state_rollback_target(&f) : "");
	assert_string_equal(c->last_switch.op, f.last_switch.op);
	assert_string_equal(c->last_switch.release, f.last_switch.release);
	assert_string_equal(c->last_switch.from, f.last_switch.from);
	assert_string_equal(c->last_switch.rollout, f.last_switch.rollout);
	assert_string_equal(c->last_switch.kind, f.last_switch.kind);
	assert_string_equal(c->last_switch.actor, f.last_switch.actor);
	assert_int_equal(c->last_switch.ts_ms, f.last_switch.ts_ms);
	assert_int_equal(c->has_note, f.has_note);
	assert_int_equal(c->note.n, f.note.n);
	for (size_t i = 0; i < f.note.n; i++) {
		assert_string_equal(c->note.v[i].key, f.note.v[i].key);
		assert_string_equal(c->note.v[i].val, f.note.v[i].val);
	}
	assert_int_equal(c->has_live, f.has_live);
	assert_int_equal(c->live.n, f.live.n);
	for (size_t i = 0; i < f.live.n; i++)
		assert_string_equal(c->live.v[i].val, f.live.v[i].val);
	state_free(&f);
}

static void
test_every_append_folds_in(void **unused)
{
	struct app app;
	const struct state *st;

	(void)unused;
	open_locked(&app);
	assert_int_equal(app_state(&app, &st), CUT_OK);	/* empty journal */
	assert_int_equal(st->seq, 0);
	for (const char *const *id = (const char *const[]){ "a", "b", "c", NULL }; *id; id++)
		assert_int_equal(mkdirat(app.releasesfd, *id, 0755), 0);
	append(&app, "install", "begin", "release", "a", "archive", "a.tgz", END);
	assert_cache_is_replay(&app);
	assert_true(app.state->has_pending);
	append(&app, "install", "end", "release", "a", "outcome", "ok", "sha256", SHA_A, END);
	append(&app, "install", "end", "release", "b", "outcome", "ok", "sha256", SHA_B, END);
	append(&app, "install", "end", "release", "c", "outcome", "failed",
	    "error", "tab\there\nnewline\\back", END);
	assert_cache_is_replay(&app);
	assert_string_equal(state_find(app.state, "b")->sha256, SHA_B);
	append(&app, "activate", "begin", "release", "a", "previous", "", END);
	append(&app, "activate", "end", "release", "a", "previous", "", "outcome", "ok", END);
	assert_int_equal(symlinkat("releases/a", app.rootfd, "current"), 0);
	append(&app, "activate", "end", "release", "b", "previous", "a", "outcome", "ok", END);
	assert_int_equal(renameat(app.rootfd, "current", app.rootfd, "old"), 0);
	assert_int_equal(symlinkat("releases/b", app.rootfd, "current"), 0);
	assert_cache_is_replay(&app);
	append(&app, "activate", "end", "release", "c", "previous", "b", "outcome", "reversed",
	    "bad", "c", END);
	append(&app, "rollback", "end", "release", "a", "previous", "b", "outcome", "ok",
	    "rollout", "r-1", "kind", "rollback", "actor", "Ann Example", END);
	assert_cache_is_replay(&app);
	assert_string_equal(app.state->last_switch.op, "rollback");
	assert_string_equal(app.state->last_switch.from, "b");
	assert_string_equal(app.state->last_switch.actor, "Ann Example");
	/* A note is not a fact about releases: its release and bad args change nothing. */
	append(&app, "rollout", "end", "state", "paused", "release", "c", "bad", "a",
	    "rollout", "r-2", END);
	assert_cache_is_replay(&app);
	assert_true(app.state->has_note);
	assert_string_equal(kv_get(&app.state->note, "state"), "paused");
	assert_false(state_find(app.state, "a")->bad);
	/* A blue-green switch record (state=live) is kept apart: notes before and after stay notes. */
	append(&app, "rollout", "end", "state", "live", "pool", "green", "release", "b", "rollout", "r-3", END);
	assert_cache_is_replay(&app);
	assert_true(app.state->has_live);
	assert_string_equal(kv_get(&app.state->note, "state"), "paused");
	append(&app, "rollout", "end", "state", "done", "rollout", "r-4", END);
	assert_cache_is_replay(&app);
	assert_string_equal(kv_get(&app.state->note, "state"), "done");
	assert_string_equal(kv_get(&app.state->live, "pool"), "green");
	append(&app, "activate", "end", "release", "b", "previous", "a", "outcome", "ok",
	    "via", "deploy", END);
	assert_cache_is_replay(&app);
	assert_string_equal(app.state->last_switch.op, "deploy");
	assert_string_equal(app.state->last_switch.rollout, "");
	append(&app, "rollback", "end", "release", "a", "previous", "b", "outcome", "ok", END);
	append(&app, "pin", "end", "release", "b", "outcome", "ok", END);
	append(&app, "prune", "begin", "keep", "1", END);
	assert_int_equal(rm_rf_at(app.releasesfd, "c"), CUT_OK);	/* prune or a hook did it */
	append(&app, "prune", "end", "outcome", "ok", "removed", "c", END);
	append(&app, "unpin", "end", "release", "b", "outcome", "ok", END);
	assert_cache_is_replay(&app);
	assert_int_equal(mkdirat(app.releasesfd, "unjournalled", 0755), 0);
	assert_cache_is_replay(&app);
	append(&app, "rollback", "begin", "release", "b", "previous", "a", END);
	assert_cache_is_replay(&app);
	append(&app, "recover", "end", "interrupted", "rollback", "outcome", "ok", END);
	assert_cache_is_replay(&app);
	app_close(&app);
}

/*
 * A torn last line is cut off by the next append, never made a record: the
 * prefix of a pin record here would otherwise pin "a" (issue 11).
 */
static void
test_torn_tail_is_cut(void **unused)
{
	struct app app;
	const struct state *st;
	struct stat sb;
	off_t before;
	int fd;

	(void)unused;
	open_locked(&app);
	assert_int_equal(mkdirat(app.releasesfd, "a", 0755), 0);
	append(&app, "install", "end", "release", "a", "outcome", "ok", "sha256", SHA_A, END);
	assert_int_equal(fstatat(app.statefd, JOURNAL_FILE, &sb, 0), 0);
	before = sb.st_size;
	fd = openat(app.statefd, JOURNAL_FILE, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "op=pin\tphase=end\trelease=a\toutcome=ok", 37), 37);
	close(fd);
	/* The state as of lock time: the torn pin never happened. */
	assert_int_equal(app_state(&app, &st), CUT_OK);
	assert_false(state_find(st, "a")->pinned);
	append(&app, "activate", "end", "release", "a", "previous", "", "outcome", "ok", END);
	assert_cache_is_replay(&app);
	assert_int_equal(app_state(&app, &st), CUT_OK);
	assert_false(state_find(st, "a")->pinned);
	assert_int_equal(st->seq, 2);
	/* The torn bytes are gone from the file, not only from the state. */
	fd = openat(app.statefd, JOURNAL_FILE, O_RDONLY);
	assert_true(fd >= 0);
	{
		char buf[64] = "";

		assert_int_equal(pread(fd, buf, 7, before), 7);
		assert_int_equal(strncmp(buf, "time=", 5), 0);
	}
	close(fd);
	app_close(&app);
}

/* Without the lock another process may append: the cache goes with it. */
static void
test_unlock_forgets(void **unused)
{
	struct app app, other;
	const struct state *st;
	char err[256];

	(void)unused;
	open_locked(&app);
	assert_int_equal(app_state(&app, &st), CUT_OK);
	assert_non_null(app.state);
	app_unlock(&app);
	assert_null(app.state);
	open_locked(&other);
	append(&other, "pin", "end", "release", "a", "outcome", "ok", END);
	app_close(&other);
	assert_int_equal(app_lock(&app, 0, err, sizeof(err)), CUT_OK);
	assert_int_equal(app_state(&app, &st), CUT_OK);
	assert_int_equal(st->seq, 1);
	assert_true(state_find(st, "a")->pinned);
	app_close(&app);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_append_folds_in, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_torn_tail_is_cut, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_unlock_forgets, setup_tmp, teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
