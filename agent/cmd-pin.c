#include "config.h"

#include "cli.h"
#include "cmds.h"
#include "ops.h"

static int
run_pin(struct app *app, char **args, const struct sink *sink, struct kvlist *res)
{
	return op_pin(app, args[0], 1, sink, res);
}

static int
run_unpin(struct app *app, char **args, const struct sink *sink, struct kvlist *res)
{
	return op_pin(app, args[0], 0, sink, res);
}

int
agent_cmd_pin(const struct global_opts *g, int argc, char **argv)
{
	return cli_run_simple(g, argc, argv, "APP ID", 1, 1, run_pin);
}

int
agent_cmd_unpin(const struct global_opts *g, int argc, char **argv)
{
	return cli_run_simple(g, argc, argv, "APP ID", 1, 1, run_unpin);
}
