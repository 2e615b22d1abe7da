#include "config.h"

#include <getopt.h>
#include <stdlib.h>

#include "cli.h"
#include "cmds.h"
#include "err.h"
#include "log.h"
#include "ops.h"

#define USAGE "APP [--keep N]"

int
agent_cmd_prune(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keep", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	long keep = 0;
	char *end;
	struct cli c;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "k:h", opts, NULL)) != -1) {
		if (ch != 'k')
			return cli_usage(argv[0], USAGE, ch == 'h');
		keep = strtol(optarg, &end, 10);
		if (*end != '\0' || keep < 1 || keep > 1000) {
			log_error("prune: --keep: \"%s\" is not a number from 1 to 1000", optarg);
			return CUT_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage(argv[0], USAGE, 0);
	if ((rc = cli_begin(&c, g, argv[0], argv[optind], 1)) >= 0)
		return rc;
	return cli_end(&c, op_prune(&c.app, (int)keep, &c.sink, &c.res));
}
