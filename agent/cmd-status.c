#include "config.h"

#include "cli.h"
#include "cmds.h"
#include "ops.h"

static int
run(struct app *app, char **args, const struct sink *sink, struct kvlist *res)
{
	(void)args;
	return op_status(app, sink, res);
}

/* Reads without the lock: status must answer even while a deploy runs. */
int
agent_cmd_status(const struct global_opts *g, int argc, char **argv)
{
	return cli_run_simple(g, argc, argv, "APP", 0, 0, run);
}
