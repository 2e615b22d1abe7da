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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *hosts = NULL, *group = NULL;
	struct coord_run run;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'H')
			hosts = optarg;
		else if (ch == 'G')
			group = optarg;
		else if (ch == 'h')
			return coord_help("dump-config");
		else
			return coord_usage("dump-config");
	}
	if (optind != argc)
		return coord_usage("dump-config");
	if ((rc = coord_load(g, hosts, group, &run)) != 0)
		return rc;
	fleet_sel_dump(&run.sel, stdout);
	coord_unload(&run);
	return CUT_EXIT_OK;
}

const struct coord_cmd cmd_dump_config_entry = {
	"dump-config", "dump-config [--hosts LIST|--group G]",
	"print every selected host's effective settings, as the fleet file resolves them", cmd_dump_config
};
