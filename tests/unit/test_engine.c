/*
 * The rollout engine (coordinator/engine.c) against scripted fake agents
 * (tests/unit/fake-agent.c) on the pipe transport: no sshd, but the real
 * host, session, node and engine code. Every failure path of a deploy:
 * a host lost during activation, a failure during reversal, a status
 * error after bake, an interrupt in each phase, max_fail at the boundary,
 * a lock held elsewhere, a bad archive. Each case checks the exit code,
 * every node's final state and every host's own truth (its current
 * release), and the rollout journal's phase records.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "dirtree.h"
#include "err.h"
#include "fsutil.h"

#include "engine.h"
#include "unit-tmpdir.h"

#define MAX_HOSTS 6

static char fake_agent[PATH_MAX];

struct scenario {
	size_t n;
	const char *script[MAX_HOSTS];	/* per host, NULL: no surprises */
	const char *batch;
	long long max_fail, canary, bake;
};

struct outcome {
	int rc;
	enum node_state st[MAX_HOSTS];
	char cur[MAX_HOSTS][64];	/* the host's own current release */
	char log[MAX_HOSTS][1024];	/* the requests it saw */
	char journal[8192];
};

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
read_file(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	out[0] = '\0';
	if (f == NULL)
		return;
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
}

/* Fleet file, hosts on web-1, the archive; then a deploy of web-2 through the engine. */
static void
run(const struct scenario *sc, struct outcome *out)
{
	char path[PATH_MAX], fleet[PATH_MAX], archive[PATH_MAX], cmd[MAX_HOSTS][PATH_MAX + 256];
	struct copts g = { 0 };
	struct deploy_opts o = { 0 };
	struct rollout ro;
	FILE *f;

	memset(out, 0, sizeof(*out));
	snprintf(fleet, sizeof(fleet), "%s/fleet.ini", tmpdir);
	assert_non_null(f = fopen(fleet, "w"));
	fprintf(f, "[fleet]\nuser = nobody\napp = web\nbatch = 1\nmax_fail = 0\nop_timeout = 20\n"
	    "known_hosts = %s/known_hosts\n", tmpdir);
	for (size_t i = 0; i < sc->n; i++) {
		fprintf(f, "[host h%zu]\naddress = 127.0.0.1\n", i + 1);
		snprintf(path, sizeof(path), "%s/h%zu.cur", tmpdir, i + 1);
		write_file(path, "web-1\n");
		snprintf(path, sizeof(path), "%s/h%zu.log", tmpdir, i + 1);
		unlink(path);
		snprintf(path, sizeof(path), "%s/h%zu.prev", tmpdir, i + 1);
		unlink(path);
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/known_hosts", tmpdir);
	write_file(path, "");
	snprintf(archive, sizeof(archive), "%s/web-2.tgz", tmpdir);
	write_file(archive, "not really an archive: the fake agents never unpack it\n");
	snprintf(path, sizeof(path), "%s/state", tmpdir);
	setenv("XDG_STATE_HOME", path, 1);

	g.fleet_file = fleet;
	assert_int_equal(rollout_open(&ro, &g, NULL, NULL, NULL), 0);
	assert_int_equal(ro.n, sc->n);
	for (size_t i = 0; i < sc->n; i++) {
		snprintf(cmd[i], sizeof(cmd[i]), "exec '%s' '%s' h%zu '%s'", fake_agent, tmpdir, i + 1,
		    sc->script[i] ? sc->script[i] : "");
		host_use_pipe(ro.nodes[i].h, cmd[i]);
	}
	o.archive = archive;
	o.batch = sc->batch;
	o.max_fail = sc->max_fail;
	o.canary = sc->canary;
	o.bake = sc->bake;
	out->rc = engine_deploy(&ro, &o);
	for (size_t i = 0; i < sc->n; i++) {
		out->st[i] = ro.nodes[i].st;
		snprintf(path, sizeof(path), "%s/h%zu.cur", tmpdir, i + 1);
		read_file(path, out->cur[i], sizeof(out->cur[i]));
		out->cur[i][strcspn(out->cur[i], "\n")] = '\0';
		snprintf(path, sizeof(path), "%s/h%zu.log", tmpdir, i + 1);
		read_file(path, out->log[i], sizeof(out->log[i]));
	}
	if (ro.j.path[0])
		read_file(ro.j.path, out->journal, sizeof(out->journal));
	rollout_close(&ro);
}

static void
assert_all_on(const struct outcome *out, size_t n, const char *rel)
{
	for (size_t i = 0; i < n; i++)
		assert_string_equal(out->cur[i], rel);
}

static void
test_happy(void **unused)
{
	struct scenario sc = { .n = 4, .batch = "2" };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	for (size_t i = 0; i < sc.n; i++)
		assert_int_equal(out.st[i], NODE_SWITCHED);
	assert_all_on(&out, sc.n, "web-2");
	/* Every transition is on record, in order, then the end. */
	assert_non_null(strstr(out.journal, "phase state=stage"));
	assert_non_null(strstr(out.journal, "phase state=switch batch=1 of=2"));
	assert_non_null(strstr(out.journal, "phase state=switch batch=2 of=2"));
	assert_true(strstr(out.journal, "batch=1 of=2") < strstr(out.journal, "batch=2 of=2"));
	assert_non_null(strstr(out.journal, "end ts="));
	assert_non_null(strstr(out.journal, "outcome=done"));
}

static void
test_lost_during_activation(void **unused)
{
	struct scenario sc = { .n = 4, .batch = "2", .script = { [2] = "activate=lose" } };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_PARTIAL);
	assert_int_equal(out.st[2], NODE_LOST);
	assert_int_equal(out.st[0], NODE_REVERSED);
	assert_int_equal(out.st[1], NODE_REVERSED);
	assert_int_equal(out.st[3], NODE_REVERSED);
	assert_all_on(&out, sc.n, "web-1");
	assert_non_null(strstr(out.journal, "phase state=reverse"));
	assert_non_null(strstr(out.journal, "outcome=partial"));
}

static void
test_failure_during_reversal(void **unused)
{
	struct scenario sc = { .n = 4, .batch = "2", .script = { [0] = "rollback=fail", [2] = "activate=fail" } };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_PARTIAL);
	assert_int_equal(out.st[0], NODE_FAILED);
	assert_string_equal(out.cur[0], "web-2");	/* the one left behind */
	assert_int_equal(out.st[1], NODE_REVERSED);
	assert_int_equal(out.st[3], NODE_REVERSED);
	assert_string_equal(out.cur[1], "web-1");
	assert_string_equal(out.cur[2], "web-1");
	assert_string_equal(out.cur[3], "web-1");
	/* Newest first: h4 went back before h1 was tried. */
	assert_non_null(strstr(out.journal, "reversed name=h4"));
	assert_null(strstr(out.journal, "reversed name=h1"));
}

static void
test_status_error_after_bake(void **unused)
{
	/* status#1 is preflight's; #2 the re-check after the bake. */
	struct scenario sc = { .n = 4, .batch = "2", .bake = 1, .script = { [1] = "status#2=fail" } };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_REVERSED);
	/* It had switched: whatever its status says, it is taken back. */
	assert_int_equal(out.st[1], NODE_REVERSED);
	assert_int_equal(out.st[0], NODE_REVERSED);
	assert_all_on(&out, sc.n, "web-1");
	assert_null(strstr(out.log[2], "activate"));
	assert_non_null(strstr(out.journal, "phase state=bake batch=1 of=2"));
}

static void
test_wrong_release_answered(void **unused)
{
	struct scenario sc = { .n = 2, .batch = "1", .script = { [1] = "activate=wrong" } };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_REVERSED);
	assert_int_equal(out.st[0], NODE_REVERSED);
	assert_int_equal(out.st[1], NODE_REVERSED);
	assert_all_on(&out, sc.n, "web-1");
}

static void
test_interrupt_preflight(void **unused)
{
	struct scenario sc = { .n = 3, .batch = "1", .script = { [0] = "status#1=int" } };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_REVERSED);
	assert_all_on(&out, sc.n, "web-1");
	for (size_t i = 0; i < sc.n; i++)
		assert_null(strstr(out.log[i], "install"));
	assert_null(strstr(out.journal, "start ts="));	/* nothing started */
}

static void
test_interrupt_stage(void **unused)
{
	struct scenario sc = { .n = 3, .batch = "1", .script = { [1] = "install=int" } };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_REVERSED);
	assert_all_on(&out, sc.n, "web-1");
	for (size_t i = 0; i < sc.n; i++)
		assert_null(strstr(out.log[i], "activate"));
	assert_non_null(strstr(out.journal, "outcome=aborted"));
}

static void
test_interrupt_switch(void **unused)
{
	struct scenario sc = { .n = 4, .batch = "2", .script = { [0] = "activate=int" } };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_REVERSED);
	assert_int_equal(out.st[0], NODE_REVERSED);
	assert_int_equal(out.st[1], NODE_REVERSED);
	assert_all_on(&out, sc.n, "web-1");
	assert_null(strstr(out.log[2], "activate"));
	assert_null(strstr(out.log[3], "activate"));
	assert_non_null(strstr(out.journal, "outcome=reversed"));
}

static void
test_interrupt_bake(void **unused)
{
	/* The signal lands while batch 1 bakes (for 20 s): no re-check, no batch 2. */
	struct scenario sc = { .n = 4, .batch = "2", .bake = 20, .script = { [0] = "activate=intlater" } };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_REVERSED);
	assert_all_on(&out, sc.n, "web-1");
	assert_null(strstr(out.log[1], "status \nstatus"));
	assert_null(strstr(out.log[2], "activate"));
	assert_non_null(strstr(out.journal, "phase state=bake batch=1 of=2"));
	assert_non_null(strstr(out.journal, "phase state=reverse"));
}

static void
test_interrupt_reversing(void **unused)
{
	/* A signal during the reversal does not stop it: every host gets back. */
	struct scenario sc = { .n = 4, .batch = "2", .script = { [1] = "rollback=int", [2] = "activate=fail" } };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_REVERSED);
	assert_int_equal(out.st[0], NODE_REVERSED);
	assert_int_equal(out.st[1], NODE_REVERSED);
	assert_all_on(&out, sc.n, "web-1");
}

static void
test_max_fail_boundary(void **unused)
{
	struct scenario at = { .n = 4, .batch = "1", .max_fail = 1, .script = { [1] = "activate=revert" } };
	struct scenario over = { .n = 4, .batch = "1", .max_fail = 1,
	    .script = { [1] = "activate=revert", [2] = "activate=revert" } };
	struct outcome out;

	(void)unused;
	run(&at, &out);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	assert_int_equal(out.st[1], NODE_FAILED);
	assert_string_equal(out.cur[0], "web-2");
	assert_string_equal(out.cur[1], "web-1");
	assert_string_equal(out.cur[3], "web-2");
	assert_non_null(strstr(out.journal, "reversed name=h2"));	/* its agent's own undo */

	run(&over, &out);
	assert_int_equal(out.rc, CUT_EXIT_REVERSED);
	assert_null(strstr(out.log[3], "activate"));
	assert_all_on(&out, over.n, "web-1");
}

static void
test_locked_elsewhere(void **unused)
{
	struct scenario sc = { .n = 3, .batch = "1", .script = { [1] = "lock=locked" } };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_LOCKED);
	assert_all_on(&out, sc.n, "web-1");
	assert_null(strstr(out.log[0], "install"));
}

static void
test_bad_archive(void **unused)
{
	struct scenario sc = { .n = 3, .batch = "1", .max_fail = 2, .script = { [2] = "install=bad" } };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_BAD_INPUT);
	assert_all_on(&out, sc.n, "web-1");
	assert_null(strstr(out.log[0], "activate"));
}

static void
test_lost_in_preflight_within_budget(void **unused)
{
	struct scenario sc = { .n = 3, .batch = "1", .max_fail = 1, .script = { [2] = "status#1=lose" } };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	assert_int_equal(out.st[2], NODE_LOST);
	assert_string_equal(out.cur[0], "web-2");
	assert_string_equal(out.cur[1], "web-2");
	assert_string_equal(out.cur[2], "web-1");
	assert_null(strstr(out.log[2], "install"));
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_happy, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_lost_during_activation, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_failure_during_reversal, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_status_error_after_bake, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_wrong_release_answered, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_interrupt_preflight, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_interrupt_stage, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_interrupt_switch, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_interrupt_bake, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_interrupt_reversing, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_max_fail_boundary, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_locked_elsewhere, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_bad_archive, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_lost_in_preflight_within_budget, setup_tmp, teardown_tmp),
	};
	char here[PATH_MAX];
	const char *slash = strrchr(argv[0], '/');

	(void)argc;
	/* fake-agent is built beside us; the fake's command line wants it absolute. */
	snprintf(here, sizeof(here), "%.*s", slash ? (int)(slash - argv[0]) : 1, slash ? argv[0] : ".");
	if (realpath(here, fake_agent) == NULL || strlen(fake_agent) + sizeof("/fake-agent") > sizeof(fake_agent))
		return 1;
	strcat(fake_agent, "/fake-agent");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
