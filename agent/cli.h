/*
 * What every agent command does around its operation: open the app, take
 * the lock, recover from a killed predecessor, run, print, exit code.
 *
 *	struct cli c;
 *	if ((rc = cli_begin(&c, g, "deploy", app_name, 1)) >= 0)
 *		return rc;                       // could not open/lock: rc is the exit code
 *	r = op_deploy(&c.app, &req, &c.sink, &c.res);
 *	return cli_end(&c, r);
 */
#ifndef CUT_CLI_H
#define CUT_CLI_H

#include "app.h"
#include "cmd.h"
#include "kv.h"
#include "sink.h"

struct cli {
	const struct global_opts *g;
	const char *cmd;
	const char *app_name;
	struct app app;
	struct sink sink;
	struct kvlist res;
	struct kvlist who;	/* journal identity (ident.h) while the command runs */
	int opened;
};

/*
 * Returns -1 when ready to run, else the exit code to return at once.
 * lock: 1 for commands that change state (status and history read without
 * it, and open the app with app_open_readonly: they create nothing).
 */
int cli_begin(struct cli *c, const struct global_opts *g, const char *cmd,
    const char *app_name, int lock);
int cli_end(struct cli *c, int r);

/*
 * The whole of a command that takes `APP` plus nargs more positional
 * arguments and no options: parse (--help included), open, lock when asked,
 * run fn with the extra arguments, print. Returns the exit code.
 */
typedef int (*cli_simple_fn)(struct app *app, char **args, const struct sink *sink,
    struct kvlist *res);
int cli_run_simple(const struct global_opts *g, int argc, char **argv, const char *usage,
    int nargs, int lock, cli_simple_fn fn);

/* Print "usage: cutover-agent CMD USAGE" and return the usage exit code. */
int cli_usage(const char *cmd, const char *usage, int to_stdout);

#endif
