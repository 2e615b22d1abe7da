#include "config.h"

#include "cmd-install.h"
#include "ops.h"

/* deploy takes exactly install's arguments; op_deploy adds activate and prune. */
int
agent_cmd_deploy(const struct global_opts *g, int argc, char **argv)
{
	return install_like_run(g, argc, argv, op_deploy);
}
