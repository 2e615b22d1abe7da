/*
 * dump-config: print the effective settings of the selected hosts
 * after [fleet]/[group]/[host] overrides, for checking a fleet file.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "common.h"
#include "err.h"

static int
cmd_dump_config(const struct copts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hosts", required_argument, NULL, 'H' },
		{ "group", required_argument, NULL, 'G' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *hosts = NULL, *group = NULL, *exclude = NULL;
	struct coord_run run;
	struct copts text = *g;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'H')
			hosts = optarg;
		else if (ch == 'G')
			group = optarg;
		else if (ch == 'x')
			exclude = optarg;
		else if (ch == 'h')
			return coord_help("dump-config");
		else
			return coord_usage("dump-config");
	}
	if (optind != argc)
		return coord_usage("dump-config");
	/* The output is INI even with --json: the excluded notice goes to stderr. */
	text.json = 0;
	if ((rc = coord_load(&text, hosts, group, exclude, &run)) != 0)
		return rc;
	fleet_sel_dump(&run.fc, &run.sel, stdout);
	coord_unload(&run);
	return CUT_EXIT_OK;
}

const struct coord_cmd cmd_dump_config_entry = {
	"dump-config", "dump-config [--hosts LIST] [--group G] [--exclude LIST]",
	"print every selected host's effective settings, as the fleet file resolves them", cmd_dump_config
};
