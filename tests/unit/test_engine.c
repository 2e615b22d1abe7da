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
#include "incident.h"
#include "msg.h"
#include "untrusted.h"
#include "unit-tmpdir.h"

#define MAX_HOSTS 6

static char fake_agent[PATH_MAX];

struct scenario {
	size_t n;
	const char *script[MAX_HOSTS];	/* per host, NULL: no surprises */
	const char *batch;
	const char *canary;
	const char *gate;		/* the fleet file's gate command */
	long long max_fail, bake, pause_after;
};

struct outcome {
	int rc;
	enum node_state st[MAX_HOSTS];
	char cur[MAX_HOSTS][64];	/* the host's own current release */
	char log[MAX_HOSTS][2048];	/* the requests it saw */
	char note[MAX_HOSTS][1024];	/* its last note */
	char why[MAX_HOSTS][512];	/* the node's failure, as the coordinator prints it */
	char journal[16384];
};

static const struct scenario *active;	/* the scripts rollout_open_hook hands out */
static char cmd[MAX_HOSTS][PATH_MAX + 256];

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

/* Every host of every rollout the code under test opens runs a fake agent. */
static void
pipe_hosts(struct rollout *ro)
{
	for (size_t i = 0; i < ro->n && i < MAX_HOSTS; i++) {
		/* Scripts go by host name (hN: script[N-1]), whatever the selection order. */
		size_t k = strtoul(ro->nodes[i].h->name + 1, NULL, 10) - 1;
		const char *script = k < MAX_HOSTS && active->script[k] ? active->script[k] : "";

		snprintf(cmd[i], sizeof(cmd[i]), "exec '%s' '%s' %s '%s'", fake_agent, tmpdir, ro->nodes[i].h->name,
		    script);
		host_use_pipe(ro->nodes[i].h, cmd[i]);
	}
}

/* Fleet file, every host on web-1, the archive web-2.tgz. */
static void
make_fleet(const struct scenario *sc, const char *fleet)
{
	char path[PATH_MAX];
	FILE *f;

	assert_non_null(f = fopen(fleet, "w"));
	fprintf(f, "[fleet]\nuser = nobody\napp = web\nbatch = 1\nmax_fail = 0\nop_timeout = 20\n"
	    "known_hosts = %s/known_hosts\n", tmpdir);
	if (sc->gate)
		fprintf(f, "gate = %s\n", sc->gate);
	for (size_t i = 0; i < sc->n; i++) {
		static const char *const gone[] = { "prev", "meta", "note", "log" };

		fprintf(f, "[host h%zu]\naddress = 127.0.0.1\n", i + 1);
		snprintf(path, sizeof(path), "%s/h%zu.cur", tmpdir, i + 1);
		write_file(path, "web-1\n");
		for (size_t k = 0; k < sizeof(gone) / sizeof(gone[0]); k++) {
			snprintf(path, sizeof(path), "%s/h%zu.%s", tmpdir, i + 1, gone[k]);
			unlink(path);
		}
	}
	/* After the hosts: a group's section would put its hosts first in the selection. */
	if (sc->n >= 3)
		fprintf(f, "[group front]\nhosts = h3\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/known_hosts", tmpdir);
	write_file(path, "");
	snprintf(path, sizeof(path), "%s/web-2.tgz", tmpdir);
	write_file(path, "not really an archive: the fake agents never unpack it\n");
	snprintf(path, sizeof(path), "%s/web-2.tgz.sig", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state", tmpdir);
	setenv("XDG_STATE_HOME", path, 1);
}

/* Each host's truth after an operation; the logs start over. */
static void
collect(const struct scenario *sc, const struct rollout *ro, struct outcome *out)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < sc->n; i++) {
		if (ro) {
			out->st[i] = ro->nodes[i].st;
			snprintf(out->why[i], sizeof(out->why[i]), "%s", ro->nodes[i].why);
		}
		snprintf(path, sizeof(path), "%s/h%zu.cur", tmpdir, i + 1);
		read_file(path, out->cur[i], sizeof(out->cur[i]));
		out->cur[i][strcspn(out->cur[i], "\n")] = '\0';
		snprintf(path, sizeof(path), "%s/h%zu.log", tmpdir, i + 1);
		read_file(path, out->log[i], sizeof(out->log[i]));
		unlink(path);
		snprintf(path, sizeof(path), "%s/h%zu.note", tmpdir, i + 1);
		read_file(path, out->note[i], sizeof(out->note[i]));
	}
	if (ro && ro->j.path[0])
		read_file(ro->j.path, out->journal, sizeof(out->journal));
}

/* A deploy of web-2 (or release) through the engine. */
static void
deploy_as(const struct scenario *sc, struct outcome *out, const char *release)
{
	char fleet[PATH_MAX], archive[PATH_MAX];
	struct copts g = { 0 };
	struct deploy_opts o = { 0 };
	struct rollout ro;

	memset(out, 0, sizeof(*out));
	snprintf(fleet, sizeof(fleet), "%s/fleet.ini", tmpdir);
	snprintf(archive, sizeof(archive), "%s/web-2.tgz", tmpdir);
	g.fleet_file = fleet;
	active = sc;
	assert_int_equal(rollout_open(&ro, &g, NULL, NULL, NULL), 0);
	assert_int_equal(ro.n, sc->n);
	o.archive = archive;
	o.release = release;
	o.batch = sc->batch;
	o.max_fail = sc->max_fail;
	o.canary = sc->canary;
	o.bake = sc->bake;
	o.pause_after = sc->pause_after;
	out->rc = engine_deploy(&ro, &o);
	collect(sc, &ro, out);
	rollout_close(&ro);
}

static void
run(const struct scenario *sc, struct outcome *out)
{
	char fleet[PATH_MAX];

	snprintf(fleet, sizeof(fleet), "%s/fleet.ini", tmpdir);
	make_fleet(sc, fleet);
	deploy_as(sc, out, NULL);
}

/* cutover resume (abort = 0) or abort, with the scripts of sc. */
static void
resume(const struct scenario *sc, int abort, struct outcome *out)
{
	char fleet[PATH_MAX];
	struct copts g = { 0 };
	struct deploy_opts o = { .max_fail = -1 };
	struct rollout ro;

	memset(out, 0, sizeof(*out));
	snprintf(fleet, sizeof(fleet), "%s/fleet.ini", tmpdir);
	g.fleet_file = fleet;
	active = sc;
	assert_int_equal(rollout_open(&ro, &g, NULL, NULL, NULL), 0);
	out->rc = engine_resume(&ro, &o, abort);
	collect(sc, &ro, out);
	rollout_close(&ro);
}

/* cutover rollback, as the command runs it (incident_rollback opens its own rollout). */
static void
rollback(const struct scenario *sc, const char *to, struct outcome *out)
{
	char fleet[PATH_MAX];
	struct copts g = { 0 };
	struct incident_opts o = { 0 };

	memset(out, 0, sizeof(*out));
	snprintf(fleet, sizeof(fleet), "%s/fleet.ini", tmpdir);
	g.fleet_file = fleet;
	o.to = to;
	active = sc;
	out->rc = incident_rollback(&g, &o);
	collect(sc, NULL, out);
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

/* web-2.tgz.sig goes to agents with cap sig; an older agent gets the archive without it. */
static void
test_signature(void **unused)
{
	struct scenario sc = { .n = 2, .batch = "2", .script = { [1] = "hello=nosig" } };
	char fleet[PATH_MAX], sig[PATH_MAX];
	struct outcome out;

	(void)unused;
	snprintf(fleet, sizeof(fleet), "%s/fleet.ini", tmpdir);
	make_fleet(&sc, fleet);
	snprintf(sig, sizeof(sig), "%s/web-2.tgz.sig", tmpdir);
	write_file(sig, "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n");
	deploy_as(&sc, &out, NULL);
	unlink(sig);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	assert_all_on(&out, sc.n, "web-2");
	assert_non_null(strstr(out.log[0], "install web-2 signed"));
	assert_non_null(strstr(out.log[1], "install web-2"));
	assert_null(strstr(out.log[1], "signed"));
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
	/* The health check re-run after the bake fails on h2. */
	struct scenario sc = { .n = 4, .batch = "2", .bake = 1, .script = { [1] = "check=fail" } };
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

static void
test_pause_resume(void **unused)
{
	struct scenario sc = { .n = 4, .batch = "1", .pause_after = 2 };
	struct scenario again = { .n = 4, .batch = "1" };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	assert_non_null(strstr(out.journal, "outcome=paused"));
	assert_string_equal(out.cur[0], "web-2");
	assert_string_equal(out.cur[1], "web-2");
	assert_string_equal(out.cur[2], "web-1");
	assert_string_equal(out.cur[3], "web-1");
	for (size_t i = 0; i < 4; i++)
		assert_non_null(strstr(out.note[i], "state=paused"));
	assert_non_null(strstr(out.note[3], "batch=4"));
	assert_non_null(strstr(out.note[3], "next_batch=3"));

	/* While paused, another deploy is refused and changes nothing. */
	deploy_as(&again, &out, "web-3");
	assert_int_equal(out.rc, CUT_EXIT_LOCKED);
	assert_string_equal(out.cur[2], "web-1");

	/* Resumed from a fresh state dir: the hosts' notes are the plan. */
	setenv("XDG_STATE_HOME", "/nonexistent/fresh-home", 1);
	resume(&again, 0, &out);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	assert_all_on(&out, 4, "web-2");
	assert_null(strstr(out.log[0], "activate"));	/* batch 1 is not switched twice */
	assert_non_null(strstr(out.log[2], "activate"));
	for (size_t i = 0; i < 4; i++)
		assert_non_null(strstr(out.note[i], "state=done"));
}

static void
test_pause_abort(void **unused)
{
	struct scenario sc = { .n = 4, .batch = "1", .pause_after = 2 };
	struct scenario again = { .n = 4, .batch = "1" };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	resume(&again, 1, &out);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	assert_all_on(&out, 4, "web-1");
	assert_null(strstr(out.log[2], "rollback"));	/* never switched: untouched */
	assert_non_null(strstr(out.note[0], "state=aborted"));
	/* Nothing paused any more: a second abort has nothing to do. */
	resume(&again, 1, &out);
	assert_int_equal(out.rc, CUT_EXIT_BAD_INPUT);
}

static void
test_canary_by_name_and_group(void **unused)
{
	struct scenario named = { .n = 4, .batch = "2", .canary = "h4" };
	struct scenario group = { .n = 4, .batch = "2", .canary = "front" };
	struct outcome out;

	(void)unused;
	run(&named, &out);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	assert_true(strstr(out.journal, "switching name=h4") < strstr(out.journal, "switching name=h1"));
	assert_non_null(strstr(out.journal, "phase state=switch batch=3 of=3"));
	run(&group, &out);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	{
		const char *last = out.journal, *p;

		while ((p = strstr(last + 1, "start ts=")) != NULL)
			last = p;
		assert_non_null(strstr(last, "switching name=h3"));
		assert_true(strstr(last, "switching name=h3") < strstr(last, "switching name=h1"));
	}
}

static void
test_gate_refuses(void **unused)
{
	struct scenario sc = { .n = 3, .batch = "1", .gate = "test \"$CUTOVER_BATCH\" -lt 2" };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_REVERSED);
	assert_all_on(&out, 3, "web-1");
	assert_null(strstr(out.log[2], "activate"));
}

static void
test_convergent_rollback(void **unused)
{
	struct scenario sc = { .n = 3, .batch = "3" };
	struct scenario down = { .n = 3, .script = { [1] = "rollback=lose" } };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	rollback(&down, NULL, &out);
	assert_int_equal(out.rc, CUT_EXIT_PARTIAL);
	assert_string_equal(out.cur[0], "web-1");
	assert_string_equal(out.cur[1], "web-2");
	/* The re-run, from another machine: only the host left behind moves. */
	setenv("XDG_STATE_HOME", "/nonexistent/fresh-home", 1);
	rollback(&sc, NULL, &out);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	assert_all_on(&out, 3, "web-1");
	assert_null(strstr(out.log[0], "rollback"));
	assert_non_null(strstr(out.log[1], "rollback"));
	/* Once more: nothing left to undo, nobody moves. */
	rollback(&sc, NULL, &out);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	for (size_t i = 0; i < 3; i++)
		assert_null(strstr(out.log[i], "rollback"));
}

static void
test_rollback_never_twice(void **unused)
{
	/* web-2 everywhere, then web-3 fails on h2 (within max_fail): h2 stays on web-2. */
	struct scenario sc = { .n = 3, .batch = "3" };
	struct scenario bad = { .n = 3, .batch = "3", .max_fail = 1, .script = { [1] = "activate=revert" } };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	deploy_as(&bad, &out, "web-3");
	assert_int_equal(out.rc, CUT_EXIT_OK);
	assert_string_equal(out.cur[1], "web-2");
	rollback(&sc, NULL, &out);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	assert_all_on(&out, 3, "web-2");
	assert_null(strstr(out.log[1], "rollback"));
	assert_non_null(strstr(out.note[1], "undoes="));
	/* The re-run must not take anyone back to web-1. */
	rollback(&sc, NULL, &out);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	assert_all_on(&out, 3, "web-2");
	/* --to skips hosts already there. */
	rollback(&sc, "web-2", &out);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	for (size_t i = 0; i < 3; i++)
		assert_null(strstr(out.log[i], "rollback"));
}

static void
test_rollback_clears_pause(void **unused)
{
	struct scenario sc = { .n = 4, .batch = "1", .pause_after = 2 };
	struct scenario again = { .n = 4, .batch = "1" };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	/* The paused rollout is undone: its switched hosts go back, and it cannot be resumed. */
	rollback(&again, NULL, &out);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	assert_all_on(&out, 4, "web-1");
	for (size_t i = 0; i < 4; i++)
		assert_null(strstr(out.note[i], "state=paused"));
	resume(&again, 0, &out);
	assert_int_equal(out.rc, CUT_EXIT_BAD_INPUT);
	assert_all_on(&out, 4, "web-1");
}

/* A hostile agent cannot forge a rollout journal record or send terminal escapes (untrusted.h). */
static void
test_hostile_agent(void **unused)
{
	struct scenario sc = { .n = 3, .batch = "1", .max_fail = 2,
	    .script = { [0] = "status=evil", [1] = "activate=evilfail" } };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	assert_null(strstr(out.journal, "forged"));
	assert_non_null(strstr(out.journal, "outcome=done"));
	assert_non_null(strstr(out.why[0], "invalid current"));
	assert_null(strchr(out.why[0], '\n'));
	assert_int_equal(out.st[1], NODE_FAILED);
	assert_null(strchr(out.why[1], '\x1b'));
	assert_null(strchr(out.why[1], '\x07'));
	assert_null(strchr(out.why[1], '\n'));
	assert_non_null(strstr(out.why[1], "\\x1b]0;owned\\x07boom\\nsecond line"));
	assert_string_equal(out.cur[2], "web-2");
}

/* History records keep C0 (their printers escape it) but not C1 or broken UTF-8; results lose both. */
static void
test_untrusted_escapes(void **unused)
{
	struct msg m;
	char why[256] = "";

	(void)unused;
	memset(&m, 0, sizeof(m));
	m.type = MSG_RECORD;
	assert_int_equal(kv_add(&m.kv, "output", "a\nb\xc2\x9b[2J\x9b\xc3\xa9"), 0);
	assert_int_equal(untrusted_check(&m, why, sizeof(why)), 0);
	assert_string_equal(m.kv.v[0].val, "a\nb\\xc2\\x9b[2J\\x9b\xc3\xa9");
	m.type = MSG_RESULT;
	assert_int_equal(untrusted_check(&m, why, sizeof(why)), 0);
	assert_string_equal(m.kv.v[0].val, "a\\nb\\xc2\\x9b[2J\\x9b\xc3\xa9");
	assert_int_equal(kv_add(&m.kv, "previous", "web-1 x"), 0);
	assert_int_equal(untrusted_check(&m, why, sizeof(why)), CUT_ERR_PROTOCOL);
	assert_non_null(strstr(why, "invalid previous"));
	kv_free(&m.kv);
}

/* The archive truncated after it was read (during preflight) is no SIGBUS: the bytes read go out. */
static void
test_archive_truncated(void **unused)
{
	struct scenario sc = { .n = 2, .batch = "1", .script = { [0] = "status=truncate" } };
	struct outcome out;

	(void)unused;
	run(&sc, &out);
	assert_int_equal(out.rc, CUT_EXIT_OK);
	assert_all_on(&out, sc.n, "web-2");
}

/*
 * A rollout of 100000 batches writes more than the old 4 MiB read-back
 * window: its start record must still be found (rjournal.c newest_start).
 */
static void
test_journal_many_batches(void **unused)
{
	char fleet[PATH_MAX], state[PATH_MAX], *buf;
	size_t len = 0, cap = 8 << 20;
	struct rjournal j;
	struct rj_rollout r;

	(void)unused;
	snprintf(fleet, sizeof(fleet), "%s/fleet.ini", tmpdir);
	write_file(fleet, "[fleet]\n");
	snprintf(state, sizeof(state), "%s/state", tmpdir);
	setenv("XDG_STATE_HOME", state, 1);
	assert_int_equal(rj_open(&j, fleet, "web"), 0);
	assert_int_equal(rj_printf(&j, "start ts=1 release=web-2 sha256=%064d hosts=2 id=r1", 0), 0);
	assert_int_equal(rj_printf(&j, "host name=h1 prev=web-1"), 0);
	assert_non_null(buf = malloc(cap));
	for (int k = 1; k <= 100000; k++)
		len += (size_t)snprintf(buf + len, cap - len, "phase state=switch batch=%d of=100000 ts=%d\n", k, k);
	assert_true(len > (4u << 20));
	assert_int_equal(rj_write(&j, buf, len), 0);
	free(buf);
	assert_int_equal(rj_printf(&j, "switched name=h1"), 0);
	rj_close(&j);
	assert_int_equal(rj_last(fleet, "web", &r), 0);
	assert_true(r.found);
	assert_false(r.ended);
	assert_int_equal(r.batch, 100000);
	assert_int_equal(r.n, 1);
	assert_true(r.hosts[0].switched);
	assert_string_equal(r.hosts[0].prev, "web-1");
	rj_rollout_free(&r);
}

/*
 * A rollout of the most hosts the reader keeps (100,000): every host read
 * back with its own records, a repeated host line ignored, the host past
 * the limit dropped. Hosts are found by name through an index: looking
 * each one up by a walk of the list took minutes here.
 */
static void
test_journal_many_hosts(void **unused)
{
	char fleet[PATH_MAX], state[PATH_MAX], name[32], *buf;
	size_t len = 0, cap = 16 << 20;
	const struct rj_host *h;
	struct rjournal j;
	struct rj_rollout r;
	int k;

	(void)unused;
	snprintf(fleet, sizeof(fleet), "%s/fleet.ini", tmpdir);
	write_file(fleet, "[fleet]\n");
	snprintf(state, sizeof(state), "%s/state", tmpdir);
	setenv("XDG_STATE_HOME", state, 1);
	assert_int_equal(rj_open(&j, fleet, "web"), 0);
	assert_int_equal(rj_printf(&j, "start ts=1 release=web-2 sha256=%064d hosts=100001 id=r1", 0), 0);
	assert_non_null(buf = malloc(cap));
	for (k = 0; k <= 100000; k++)
		len += (size_t)snprintf(buf + len, cap - len, "host name=h%d prev=web-%d\n", k, k % 7);
	len += (size_t)snprintf(buf + len, cap - len, "host name=h5 prev=other\n");
	for (k = 0; k <= 100000; k += 2)
		len += (size_t)snprintf(buf + len, cap - len, "switching name=h%d\n", k);
	for (k = 0; k <= 100000; k += 4)
		len += (size_t)snprintf(buf + len, cap - len, "switched name=h%d\n", k);
	assert_true(len < cap);
	assert_int_equal(rj_write(&j, buf, len), 0);
	free(buf);
	rj_close(&j);
	assert_int_equal(rj_last(fleet, "web", &r), 0);
	assert_int_equal(r.n, 100000);
	for (k = 0; k < 100000; k++) {
		snprintf(name, sizeof(name), "h%d", k);
		assert_non_null(h = rj_find(&r, name));
		assert_string_equal(h->name, name);
		assert_int_equal(h->prev[4] - '0', k % 7);
		assert_int_equal(h->switching, k % 2 == 0);
		assert_int_equal(h->switched, k % 4 == 0);
	}
	assert_null(rj_find(&r, "h100000"));
	assert_null(rj_find(&r, "h"));
	assert_string_equal(rj_find(&r, "h5")->prev, "web-5");
	assert_true(rj_unsettled(&r));
	rj_rollout_free(&r);
}

/* The journal's writer refuses what its reader would read as another record. */
#define RECORD_OK(s) rj_record_ok((s), strlen(s))
static void
test_journal_refuses_forgery(void **unused)
{
	(void)unused;
	assert_true(RECORD_OK("host name=h1 prev=web-1"));
	assert_true(RECORD_OK("host name=h1 prev="));
	assert_false(RECORD_OK("host name=h1 prev=web-1\nend ts=1 outcome=done"));
	assert_false(RECORD_OK("host name=h1 prev=a\x1b[2J"));
	assert_false(RECORD_OK("host name=h1  prev=x"));
	assert_false(RECORD_OK("host name=h1 prev=a=b c"));
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_happy, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_signature, setup_tmp, teardown_tmp),
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
		cmocka_unit_test_setup_teardown(test_pause_resume, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_pause_abort, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_canary_by_name_and_group, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_gate_refuses, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_convergent_rollback, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_rollback_never_twice, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_rollback_clears_pause, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_hostile_agent, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_archive_truncated, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_untrusted_escapes),
		cmocka_unit_test_setup_teardown(test_journal_many_batches, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_journal_many_hosts, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_journal_refuses_forgery, setup_tmp, teardown_tmp),
	};
	char here[PATH_MAX];
	const char *slash = strrchr(argv[0], '/');

	(void)argc;
	/* fake-agent is built beside us; the fake's command line wants it absolute. */
	snprintf(here, sizeof(here), "%.*s", slash ? (int)(slash - argv[0]) : 1, slash ? argv[0] : ".");
	if (realpath(here, fake_agent) == NULL || strlen(fake_agent) + sizeof("/fake-agent") > sizeof(fake_agent))
		return 1;
	strcat(fake_agent, "/fake-agent");
	rollout_open_hook = pipe_hosts;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
