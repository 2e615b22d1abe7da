/* Unit tests of the agent's small pieces: release IDs, kv/JSON, config, journal replay. */
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

#include "agent_conf.h"
#include "app.h"
#include "dirtree.h"
#include "err.h"
#include "journal.h"
#include "kv.h"
#include "release_id.h"
#include "state.h"
#include "strv.h"
#include "unit-tmpdir.h"

static void
test_release_id_valid(void **unused)
{
	char long_id[200];

	(void)unused;
	assert_true(release_id_valid("web-1.4.2"));
	assert_true(release_id_valid("A"));
	assert_true(release_id_valid("v1+build_7"));
	assert_false(release_id_valid(""));
	assert_false(release_id_valid(".hidden"));
	assert_false(release_id_valid("-rf"));
	assert_false(release_id_valid("a/b"));
	assert_false(release_id_valid(".."));
	assert_false(release_id_valid("a b"));
	assert_false(release_id_valid("a\nb"));
	memset(long_id, 'a', 128);
	long_id[128] = '\0';
	assert_true(release_id_valid(long_id));
	long_id[128] = 'a';
	long_id[129] = '\0';
	assert_false(release_id_valid(long_id));
}

static void
test_release_id_from_archive(void **unused)
{
	char id[RELEASE_ID_MAX + 1];

	(void)unused;
	assert_int_equal(release_id_from_archive("dist/web-1.4.2.tar.gz", id), CUT_OK);
	assert_string_equal(id, "web-1.4.2");
	assert_int_equal(release_id_from_archive("x.tgz", id), CUT_OK);
	assert_string_equal(id, "x");
	assert_int_equal(release_id_from_archive("/a/b/app.zip", id), CUT_OK);
	assert_string_equal(id, "app");
	assert_int_equal(release_id_from_archive("rel.tar.zst", id), CUT_OK);
	assert_string_equal(id, "rel");
	assert_int_equal(release_id_from_archive(".tar.gz", id), CUT_ERR_BAD_ID);
	assert_int_equal(release_id_from_archive("bad name.tgz", id), CUT_ERR_BAD_ID);
}

static void
test_kv_json_escapes(void **unused)
{
	struct kvlist l = KVLIST_INIT;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)unused;
	assert_int_equal(kv_add(&l, "s", "a\"b\\c\nd\x01"), CUT_OK);
	assert_int_equal(kv_add_int(&l, "n", -42), CUT_OK);
	assert_int_equal(kv_add_bool(&l, "b", 1), CUT_OK);
	kv_print_json(&l, f);
	fclose(f);
	assert_string_equal(buf, "{\"s\":\"a\\\"b\\\\c\\nd\\u0001\",\"n\":-42,\"b\":true}\n");
	assert_int_equal(kv_get_int(&l, "n", 0), -42);
	assert_null(kv_get(&l, "missing"));
	assert_int_equal(kv_set(&l, "s", "new"), CUT_OK);
	assert_string_equal(kv_get(&l, "s"), "new");
	free(buf);
	kv_free(&l);
}


static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_conf_errors_name_line_and_key(void **unused)
{
	struct app_conf c;
	char err[512], path[256];

	(void)unused;
	snprintf(path, sizeof(path), "%s/a.ini", tmpdir);
	write_file("a.ini", "[app web]\nroot = /srv/web\n\nhealth_timeout = 0\n");
	assert_int_equal(agent_conf_load(path, "web", &c, err, sizeof(err)), CUT_ERR_CONFIG);
	assert_non_null(strstr(err, "a.ini:4: health_timeout"));
	app_conf_free(&c);

	write_file("a.ini", "[app web]\nroot = /srv/web\nkeep = 9\nmax_bytes = 2G\nshared = log tmp/pids\n");
	assert_int_equal(agent_conf_load(path, "web", &c, err, sizeof(err)), CUT_OK);
	assert_int_equal(c.keep, 9);
	assert_int_equal(c.max_bytes, 2LL << 30);
	assert_int_equal(c.health_retries, 3);	/* default */
	{
		char **v;

		assert_int_equal(app_conf_shared_paths(&c, &v, err, sizeof(err)), CUT_OK);
		assert_string_equal(v[0], "log");
		assert_string_equal(v[1], "tmp/pids");
		assert_null(v[2]);
		strv_free(v);
	}
	app_conf_free(&c);
}

/* Open an app on tmpdir as a path APP. */
static void
open_app(struct app *app)
{
	char err[256];

	assert_int_equal(app_open(app, "/nonexistent", tmpdir, err, sizeof(err)), CUT_OK);
}

static void
add(struct app *app, const char *op, const char *phase, const char *id, const char *prev,
    const char *outcome)
{
	struct kvlist r = KVLIST_INIT;

	kv_add(&r, "release", id);
	if (prev)
		kv_add(&r, "previous", prev);
	if (outcome)
		kv_add(&r, "outcome", outcome);
	assert_int_equal(journal_append(app, op, phase, &r), CUT_OK);
	kv_free(&r);
}

static void
test_state_rollback_follows_journal(void **unused)
{
	struct app app;
	struct state st;

	(void)unused;
	open_app(&app);
	for (const char *const *id = (const char *const[]){ "a", "b", "c", NULL }; *id; id++)
		assert_int_equal(mkdirat(app.releasesfd, *id, 0755), 0);
	add(&app, "activate", "end", "b", "", "ok");
	add(&app, "activate", "end", "a", "b", "ok");	/* name order lies: a is newer */
	add(&app, "activate", "end", "c", "a", "reversed");
	{
		struct kvlist r = KVLIST_INIT;

		kv_add(&r, "release", "c");
		kv_add(&r, "outcome", "reversed");
		kv_add(&r, "bad", "c");
		assert_int_equal(journal_append(&app, "activate", "end", &r), CUT_OK);
		kv_free(&r);
	}
	assert_int_equal(symlinkat("releases/a", app.rootfd, "current"), 0);
	assert_int_equal(state_load(&app, &st), CUT_OK);
	assert_string_equal(st.current, "a");
	assert_string_equal(state_rollback_target(&st), "b");
	assert_true(state_find(&st, "c")->bad);
	assert_false(st.has_pending);
	state_free(&st);

	/* A begin without an end is a pending (killed) operation. */
	add(&app, "activate", "begin", "b", "a", NULL);
	assert_int_equal(state_load(&app, &st), CUT_OK);
	assert_true(st.has_pending);
	assert_string_equal(kv_get(&st.pending, "release"), "b");
	state_free(&st);
	app_close(&app);
}

static void
test_journal_ignores_torn_line(void **unused)
{
	struct app app;
	struct state st;
	int fd;

	(void)unused;
	open_app(&app);
	add(&app, "pin", "end", "a", NULL, "ok");
	/* A crash mid-append: a line without its newline. */
	fd = openat(app.statefd, JOURNAL_FILE, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "op=unpin\tphase=end\trelease=a\toutc", 33), 33);
	close(fd);
	assert_int_equal(mkdirat(app.releasesfd, "a", 0755), 0);
	assert_int_equal(state_load(&app, &st), CUT_OK);
	assert_true(state_find(&st, "a")->pinned);	/* the torn unpin never happened */
	state_free(&st);
	/* The next append cuts the torn line off and stays readable. */
	add(&app, "unpin", "end", "a", NULL, "ok");
	assert_int_equal(state_load(&app, &st), CUT_OK);
	assert_false(state_find(&st, "a")->pinned);
	state_free(&st);
	app_close(&app);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release_id_valid),
		cmocka_unit_test(test_release_id_from_archive),
		cmocka_unit_test(test_kv_json_escapes),
		cmocka_unit_test_setup_teardown(test_conf_errors_name_line_and_key, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_state_rollback_follows_journal, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_journal_ignores_torn_line, setup_tmp, teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
