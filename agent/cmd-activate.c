#include "config.h"

#include <getopt.h>

#include "cli.h"
#include "cmds.h"
#include "ops.h"

#define USAGE "APP ID [--force-schema]"

int
agent_cmd_activate(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force-schema", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	struct cli c;
	int ch, rc, force = 0;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'f')
			force = 1;
		else
			return cli_usage(argv[0], USAGE, ch == 'h');
	}
	if (argc - optind != 2)
		return cli_usage(argv[0], USAGE, 0);
	if ((rc = cli_begin(&c, g, argv[0], argv[optind], 1)) >= 0)
		return rc;
	c.app.force_schema = force;
	return cli_end(&c, op_activate(&c.app, argv[optind + 1], &c.sink, &c.res));
}
