#include "config.h"

#include <getopt.h>

#include "cli.h"
#include "cmds.h"
#include "ops.h"

#define USAGE "APP [--to ID] [--force-schema]"

int
agent_cmd_rollback(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "force-schema", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	const char *to = NULL;
	struct cli c;
	int ch, rc, force = 0;

	while ((ch = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
		if (ch == 't')
			to = optarg;
		else if (ch == 'f')
			force = 1;
		else
			return cli_usage(argv[0], USAGE, ch == 'h');
	}
	if (argc - optind != 1)
		return cli_usage(argv[0], USAGE, 0);
	if ((rc = cli_begin(&c, g, argv[0], argv[optind], 1)) >= 0)
		return rc;
	c.app.force_schema = force;
	return cli_end(&c, op_rollback(&c.app, to, &c.sink, &c.res));
}
