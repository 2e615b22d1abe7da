/* The options rollback, status and history share (incident.h). */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "common.h"
#include "incident.h"

int
incident_parse(const char *cmd, int argc, char **argv, struct incident_opts *o, int with_to)
{
	static const struct option opts[] = {
		{ "app", required_argument, NULL, 'a' },
		{ "hosts", required_argument, NULL, 'H' },
		{ "group", required_argument, NULL, 'G' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "to", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'b' },
		{ "actor", required_argument, NULL, 'A' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force-schema", no_argument, NULL, 'F' },
		{ "pool", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			coord_help(cmd);
			return -1;
		case 'a': o->app = optarg; break;
		case 'H': o->hosts = optarg; break;
		case 'G': o->group = optarg; break;
		case 'x': o->exclude = optarg; break;
		case 'n': case 'F':
			if (!with_to)
				return coord_usage(cmd);
			*(ch == 'n' ? &o->dry_run : &o->force_schema) = 1;
			break;
		case 't': case 'b': case 'A': case 'P':
			if (!with_to)
				return coord_usage(cmd);
			if (ch == 't')
				o->to = optarg;
			else if (ch == 'b')
				o->batch = optarg;
			else if (ch == 'P')
				o->pool = optarg;
			else
				o->actor = optarg;
			break;
		default:
			return coord_usage(cmd);
		}
	}
	if (optind != argc)
		return coord_usage(cmd);
	return 0;
}
