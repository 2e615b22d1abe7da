/*
 * cutover-agent: manages the releases of apps on this server.
 * Parses global options and dispatches through agent_cmds[] (cmd.c).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "err.h"
#include "interrupt.h"
#include "log.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: cutover-agent [--config FILE] [--json] [--wait SECONDS] COMMAND ...\n\n"
	    "commands:\n");
	for (const struct agent_cmd *c = agent_cmds; c->name; c++)
		fprintf(f, "  %-8s %s\n           %s\n", c->name, c->usage, c->help);
	fprintf(f, "\noptions:\n"
	    "  --config FILE    agent config (default %s)\n"
	    "  --json           print one JSON object per result on stdout\n"
	    "  --wait SECONDS   wait up to SECONDS for the app lock instead of failing\n"
	    "  -v, --verbose    more detail on stderr\n"
	    "  --help, --version\n\n"
	    "exit codes: 0 done, 1 failed and reversed, 2 usage/config error,\n"
	    "            3 bad input rejected (nothing changed), 4 locked by another operation\n"
	    "run it as the user that owns the app's ROOT: root is refused (exit 2) on\n"
	    "another user's ROOT for every command that changes disk.\n"
	    "COMMAND --help shows a command's options.\n", DEFAULT_AGENT_CONFIG);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "wait", required_argument, NULL, 'w' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct global_opts g = { .config = DEFAULT_AGENT_CONFIG };
	int ch, verbose = 0;
	char *end;

	log_init("cutover-agent", 0);
	sanitise_stdfd();
	interrupt_install();
	/* Release trees are world-readable by default; group/other write never. */
	umask(022);

	/* '+': stop at the command name; its options are the command's own. */
	while ((ch = getopt_long(argc, argv, "+c:jw:vhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			g.config = optarg;
			break;
		case 'j':
			g.json = 1;
			break;
		case 'w':
			g.wait = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || g.wait < 0 || g.wait > 86400) {
				log_error("--wait: \"%s\" is not a number of seconds (0-86400)", optarg);
				return CUT_EXIT_USAGE;
			}
			break;
		case 'v':
			log_set_verbosity(++verbose);
			break;
		case 'h':
			usage(stdout);
			return CUT_EXIT_OK;
		case 'V':
			printf("cutover-agent %s\n", PACKAGE_VERSION);
			return CUT_EXIT_OK;
		default:
			usage(stderr);
			return CUT_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CUT_EXIT_USAGE;
	}
	for (const struct agent_cmd *c = agent_cmds; c->name; c++) {
		if (strcmp(c->name, argv[optind]) == 0) {
			argc -= optind;
			argv += optind;
			optind = 0;	/* glibc: full reinitialisation for the command's getopt */
			return c->run(&g, argc, argv);
		}
	}
	log_error("unknown command \"%s\" (see cutover-agent --help)", argv[optind]);
	return CUT_EXIT_USAGE;
}
