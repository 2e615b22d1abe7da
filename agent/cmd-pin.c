#include "config.h"

#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "ops.h"

#define USAGE "APP ID"

/* pin and unpin: one handler, the command name says which. */
int
cmd_pin(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	int pin = strcmp(argv[0], "pin") == 0;
	struct cli c;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		return cli_usage(argv[0], USAGE, ch == 'h');
	if (argc - optind != 2)
		return cli_usage(argv[0], USAGE, 0);
	if ((rc = cli_begin(&c, g, argv[0], argv[optind], 1)) >= 0)
		return rc;
	return cli_end(&c, op_pin(&c.app, argv[optind + 1], pin, &c.sink, &c.res));
}
