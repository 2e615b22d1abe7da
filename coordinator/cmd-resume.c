/*
 * cutover resume and cutover abort: one set of options each; the work is
 * engine_resume() (resume.c), continuing or reversing the paused rollout.
 */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>

#include "engine.h"
#include "err.h"
#include "log.h"

static int
resume_or_abort(const char *cmd, int abort, const struct copts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "app", required_argument, NULL, 'a' },
		{ "hosts", required_argument, NULL, 'H' },
		{ "group", required_argument, NULL, 'G' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "wait", required_argument, NULL, 'w' },
		{ "actor", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct deploy_opts o = { .max_fail = -1 };
	const char *exclude = NULL;
	struct rollout ro;
	char *end;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'h': return coord_help(cmd);
		case 'a': o.app = optarg; break;
		case 'H': o.hosts = optarg; break;
		case 'G': o.group = optarg; break;
		case 'x': exclude = optarg; break;
		case 'A': o.actor = optarg; break;
		case 'w':
			o.wait = strtoll(optarg, &end, 10);
			if (*end != '\0' || end == optarg || o.wait < 0 || o.wait > 3600) {
				log_error("%s: --wait \"%s\" is not a number of seconds from 0 to 3600", cmd, optarg);
				return CUT_EXIT_USAGE;
			}
			break;
		default:
			return coord_usage(cmd);
		}
	}
	if (optind != argc)
		return coord_usage(cmd);
	if ((rc = rollout_open(&ro, g, o.hosts, o.group, exclude)) != 0)
		return rc;
	rc = engine_resume(&ro, &o, abort);
	rollout_close(&ro);
	return rc;
}

static int
cmd_resume(const struct copts *g, int argc, char **argv)
{
	return resume_or_abort("resume", 0, g, argc, argv);
}

static int
cmd_abort(const struct copts *g, int argc, char **argv)
{
	return resume_or_abort("abort", 1, g, argc, argv);
}

const struct coord_cmd cmd_resume_entry = {
	"resume", "resume [--app APP] [--hosts LIST] [--group G] [--exclude LIST] [--wait SECONDS] [--actor NAME]",
	"continue a paused rollout from its next batch, with the same plan", cmd_resume
};

const struct coord_cmd cmd_abort_entry = {
	"abort", "abort [--app APP] [--hosts LIST] [--group G] [--exclude LIST] [--wait SECONDS] [--actor NAME]",
	"reverse a paused rollout, node by node", cmd_abort
};
