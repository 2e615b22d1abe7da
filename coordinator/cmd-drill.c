/* cutover drill: the options; the work is drill_run() (drill.h). */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "common.h"
#include "drill.h"
#include "err.h"

static int
cmd_drill(const struct copts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "app", required_argument, NULL, 'a' },
		{ "hosts", required_argument, NULL, 'H' },
		{ "group", required_argument, NULL, 'G' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "canary", required_argument, NULL, 'c' },
		{ "actor", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct drill_opts o;
	int ch;

	memset(&o, 0, sizeof(o));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			coord_help("drill");
			return CUT_EXIT_OK;
		case 'a': o.app = optarg; break;
		case 'H': o.hosts = optarg; break;
		case 'G': o.group = optarg; break;
		case 'x': o.exclude = optarg; break;
		case 'c': o.canary = optarg; break;
		case 'A': o.actor = optarg; break;
		default:
			return coord_usage("drill");
		}
	}
	if (optind != argc)
		return coord_usage("drill");
	return drill_run(g, &o);
}

const struct coord_cmd cmd_drill_entry = {
	"drill", "drill [--app APP] [--hosts LIST] [--group G] [--canary N|GROUP|LIST] [--exclude LIST] "
	    "[--actor NAME]",
	"rehearse a rollback (back, health check, forward, health check) on the canary; time to restore",
	cmd_drill
};
