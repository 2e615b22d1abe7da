#include "config.h"

#include <getopt.h>

#include "cli.h"
#include "cmds.h"
#include "ops.h"

#define USAGE "APP"

/* Reads without the lock: status must answer even while a deploy runs. */
int
cmd_status(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	struct cli c;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		return cli_usage(argv[0], USAGE, ch == 'h');
	if (argc - optind != 1)
		return cli_usage(argv[0], USAGE, 0);
	if ((rc = cli_begin(&c, g, argv[0], argv[optind], 0)) >= 0)
		return rc;
	return cli_end(&c, op_status(&c.app, &c.sink, &c.res));
}
