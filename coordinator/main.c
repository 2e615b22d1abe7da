/*
 * cutover: drives a fleet of cutover-agents over SSH. Parses global options
 * and dispatches through coord_cmds[] (cmd.c).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cmd.h"
#include "err.h"
#include "fleet_conf.h"
#include "log.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: cutover [-f FLEET.ini] [--json] [-v] COMMAND ...\n\ncommands:\n");
	for (const struct coord_cmd *const *c = coord_cmds; *c; c++)
		if ((*c)->help)
			fprintf(f, "  %s\n      %s\n", (*c)->usage, (*c)->help);
	fprintf(f, "\noptions:\n"
	    "  -f FILE        fleet file (default ./cutover.ini, else /etc/cutover/fleet.ini)\n"
	    "  --json         one JSON object per event and result on stdout\n"
	    "  -v, --verbose  host state changes and agent stderr on stderr\n"
	    "  --help, --version\n\n"
	    "exit codes: 0 done, 1 failed and reversed, 2 usage/config error,\n"
	    "            3 bad input rejected, 4 locked by another operation,\n"
	    "            5 partial: some hosts could not be brought back (named on stderr)\n");
}

/*
 * Every selected host keeps its ssh connection for the whole rollout, so
 * a fleet of N hosts needs more than N descriptors: the soft RLIMIT_NOFILE
 * (1024 on most systems) is raised to the hard limit. Only poll(2) is
 * used, never select(2), so any descriptor number works (cutover(1), FILES).
 */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct coord_cmd *c;
	struct copts g = { 0 };
	int ch;

	log_init("cutover", 0);
	sanitise_stdfd();
	raise_nofile();
	while ((ch = getopt_long(argc, argv, "+f:jvhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			g.fleet_file = optarg;
			break;
		case 'j':
			g.json = 1;
			break;
		case 'v':
			log_set_verbosity(++g.verbose);
			break;
		case 'h':
			usage(stdout);
			return CUT_EXIT_OK;
		case 'V':
			printf("cutover %s\n", PACKAGE_VERSION);
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
	if (g.fleet_file == NULL)
		g.fleet_file = fleet_conf_default_path();
	if ((c = coord_cmd_find(argv[optind])) != NULL) {
		argc -= optind;
		argv += optind;
		optind = 0;	/* glibc: full reinitialisation for the command's getopt */
		return c->run(&g, argc, argv);
	}
	log_error("unknown command \"%s\" (see cutover --help)", argv[optind]);
	return CUT_EXIT_USAGE;
}
