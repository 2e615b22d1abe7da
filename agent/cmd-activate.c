#include "config.h"

#include "cli.h"
#include "cmds.h"
#include "ops.h"

static int
run(struct app *app, char **args, const struct sink *sink, struct kvlist *res)
{
	return op_activate(app, args[0], sink, res);
}

int
agent_cmd_activate(const struct global_opts *g, int argc, char **argv)
{
	return cli_run_simple(g, argc, argv, "APP ID", 1, 1, run);
}
