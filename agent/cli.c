#include "config.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "ident.h"
#include "journal.h"
#include "log.h"
#include "ops.h"

/* Progress goes to stderr so stdout carries only results. */
static void
print_event(void *ctx, const struct kvlist *ev)
{
	const struct cli *c = ctx;
	const char *line = kv_get(ev, "line");
	const char *text = kv_get(ev, "message");

	if (c->g->json) {
		return;
	}
	if (line != NULL)
		fprintf(stderr, "  | %s\n", line);
	else if (text != NULL)
		fprintf(stderr, "%s\n", text);
}

/* Journal rows for people: time, op, phase first; the rest as key=value. */
static void
print_record(void *ctx, const struct kvlist *rec)
{
	static const char *const lead[] = { "time", "op", "phase", NULL };
	const struct cli *c = ctx;

	if (c->g->json) {
		kv_print_json(rec, stdout);
		return;
	}
	for (int i = 0; lead[i]; i++) {
		const char *v = kv_get(rec, lead[i]);

		printf("%s", i ? " " : "");
		kv_print_text_value(v ? v : "-", stdout);
		for (size_t w = strlen(v ? v : "-"); w < 8; w++)
			putchar(' ');
	}
	for (size_t i = 0; i < rec->n; i++) {
		const char *k = rec->v[i].key;
		int skip = strcmp(k, "ts_ms") == 0 || strcmp(k, "output") == 0;

		for (int j = 0; lead[j] && !skip; j++)
			skip = strcmp(k, lead[j]) == 0;
		if (!skip && rec->v[i].val[0] != '\0') {
			printf(" %s=", k);
			kv_print_field_value(rec->v[i].val, stdout);
		}
	}
	putchar('\n');
	if (kv_get(rec, "output") != NULL) {
		fputs("    output: ", stdout);
		kv_print_text_value(kv_get(rec, "output"), stdout);
		putchar('\n');
	}
}

int
cli_usage(const char *cmd, const char *usage, int to_stdout)
{
	fprintf(to_stdout ? stdout : stderr, "usage: cutover-agent [--config FILE] [--json] %s %s\n",
	    cmd, usage);
	return to_stdout ? CUT_EXIT_OK : CUT_EXIT_USAGE;
}

static int
fail_early(struct cli *c, int code, const char *msg)
{
	if (c->g->json) {
		struct kvlist r = KVLIST_INIT;

		kv_add_bool(&r, "ok", 0);
		kv_add_int(&r, "exit", cut_exit_code(code));
		kv_add(&r, "command", c->cmd);
		kv_add(&r, "app", c->app_name);
		kv_add(&r, "error", msg);
		kv_print_json(&r, stdout);
		kv_free(&r);
	}
	log_error("%s %s: %s", c->cmd, c->app_name, msg);
	journal_identity(NULL);
	kv_free(&c->who);
	return cut_exit_code(code);
}

/*
 * Who runs a changing command from a shell: $CUTOVER_ACTOR, else the login
 * name, and the SSH key when sshd exposes it. The command line has no
 * rollout. cutover-agent(8), ENVIRONMENT.
 */
static int
cli_identity(struct cli *c, char *err, size_t errlen)
{
	const char *actor = getenv("CUTOVER_ACTOR");
	int r;

	if (actor == NULL || actor[0] == '\0') {
		const struct passwd *pw = getpwuid(getuid());

		actor = pw != NULL ? pw->pw_name : NULL;
	} else if ((r = ident_check_actor("CUTOVER_ACTOR", actor, err, errlen)) != CUT_OK) {
		return r;
	}
	if (actor != NULL && kv_add(&c->who, "actor", actor) != CUT_OK)
		return CUT_ERR_ALLOC;
	ident_add_ssh_key(&c->who);
	journal_identity(&c->who);
	return CUT_OK;
}

int
cli_begin(struct cli *c, const struct global_opts *g, const char *cmd,
    const char *app_name, int lock)
{
	char err[1200];
	int r;

	memset(c, 0, sizeof(*c));
	c->g = g;
	c->cmd = cmd;
	c->app_name = app_name;
	c->sink.event = print_event;
	c->sink.record = print_record;
	c->sink.ctx = c;
	/* Before the lock: recovery records too say who. Read-only commands journal nothing. */
	if (lock && (r = cli_identity(c, err, sizeof(err))) != CUT_OK)
		return fail_early(c, r, r == CUT_ERR_ALLOC ? "out of memory" : err);
	/* Only commands that take the lock may create ROOT and its dirs. */
	r = op_enter(&c->app, g->config, app_name, lock, g->wait, &c->sink, err, sizeof(err));
	if (r != CUT_OK)
		return fail_early(c, r, err);
	c->opened = 1;
	return -1;
}

int
cli_end(struct cli *c, int r)
{
	int code = cut_exit_code(r);
	const char *msg = kv_get(&c->res, "message");
	const char *errline = kv_get(&c->res, "error");

	if (c->g->json) {
		struct kvlist out = KVLIST_INIT;

		kv_add_bool(&out, "ok", r == CUT_OK);
		kv_add_int(&out, "exit", code);
		kv_add(&out, "command", c->cmd);
		kv_add(&out, "app", c->app_name);
		kv_copy(&out, &c->res);
		kv_print_json(&out, stdout);
		kv_free(&out);
	} else if (r == CUT_OK && msg != NULL) {
		puts(msg);
	}
	if (r != CUT_OK)
		log_error("%s %s: %s", c->cmd, c->app_name, errline ? errline : cut_err(r));
	fflush(stdout);
	kv_free(&c->res);
	if (c->opened)
		app_close(&c->app);
	journal_identity(NULL);
	kv_free(&c->who);
	return code;
}

int
cli_run_simple(const struct global_opts *g, int argc, char **argv, const char *usage,
    int nargs, int lock, cli_simple_fn fn)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	struct cli c;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		return cli_usage(argv[0], usage, ch == 'h');
	if (argc - optind != 1 + nargs)
		return cli_usage(argv[0], usage, 0);
	if ((rc = cli_begin(&c, g, argv[0], argv[optind], lock)) >= 0)
		return rc;
	return cli_end(&c, fn(&c.app, argv + optind + 1, &c.sink, &c.res));
}
