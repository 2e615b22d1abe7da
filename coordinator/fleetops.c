/*
 * prune, pin and unpin across the fleet (fleetops.h). The agent does the
 * work under its app lock and decides what is safe to remove (never the
 * current release, the rollback target or a pin: cutover-agent(8) prune);
 * here we only fan the request out and map the outcomes to one exit code,
 * the same mapping rollback uses (incident_exit).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fleetops.h"
#include "incident.h"
#include "log.h"
#include "release_id.h"
#include "rollout.h"

/* The agent's prune takes keep as an int; its handler refuses more than this. */
#define KEEP_MAX 100000

int
fleetops_parse(const char *cmd, int argc, char **argv, struct fleetops_opts *o, int with_keep,
    int with_id)
{
	static const struct option opts[] = {
		{ "app", required_argument, NULL, 'a' },
		{ "hosts", required_argument, NULL, 'H' },
		{ "group", required_argument, NULL, 'G' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "keep", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int ch;

	memset(o, 0, sizeof(*o));
	/* "-": the ID may come before or after the options, like deploy's ARCHIVE. */
	while ((ch = getopt_long(argc, argv, "-", opts, NULL)) != -1) {
		switch (ch) {
		case 1:
			if (!with_id || o->id)
				return coord_usage(cmd);
			o->id = optarg;
			break;
		case 'h':
			coord_help(cmd);
			return -1;
		case 'a': o->app = optarg; break;
		case 'H': o->hosts = optarg; break;
		case 'G': o->group = optarg; break;
		case 'x': o->exclude = optarg; break;
		case 'k':
			o->keep = strtoll(optarg, &end, 10);
			if (!with_keep || *end != '\0' || end == optarg || o->keep < 1 || o->keep > KEEP_MAX) {
				if (with_keep)
					log_error("%s: --keep \"%s\" is not a number from 1 to %d", cmd, optarg, KEEP_MAX);
				return with_keep ? CUT_EXIT_USAGE : coord_usage(cmd);
			}
			break;
		default:
			return coord_usage(cmd);
		}
	}
	if (optind < argc && with_id && o->id == NULL)
		o->id = argv[optind++];	/* after "--" */
	if (optind != argc || (with_id && o->id == NULL))
		return coord_usage(cmd);
	return 0;
}

/* Its request was answered with success. */
static int
ok(const struct node *nd)
{
	return nd->st == NODE_READY;
}

static void
print_host(const struct copts *g, const char *cmd, const struct node *nd)
{
	const char *msg = kv_get(&nd->res, "message");

	if (g->json)
		incident_print_json(nd, cmd);
	else if (ok(nd))
		printf("%-16s %s\n", nd->h->name, msg && *msg ? msg : "ok");
	else
		printf("%-16s FAILED: %s\n", nd->h->name, nd->why);
}

int
fleetops_run(const struct copts *g, const char *cmd, const struct fleetops_opts *o)
{
	struct kvlist args = KVLIST_INIT;
	struct rollout ro;
	size_t done = 0;
	int rc;

	/* Checked here, before any host is asked: one error line, not one per host. */
	if (o->id && !release_id_valid(o->id))
		return log_error("%s: \"%s\" is not a valid release ID", cmd, o->id), CUT_EXIT_BAD_INPUT;
	if ((rc = rollout_open(&ro, g, o->hosts, o->group, o->exclude)) != 0)
		return rc;
	if (o->app)
		ro.app = o->app;
	if (ro.app == NULL || ro.app[0] == '\0') {
		log_error("%s: no app (set app in the fleet file or give --app)", cmd);
		rollout_close(&ro);
		return CUT_EXIT_USAGE;
	}
	if (o->id)
		kv_add(&args, "release", o->id);
	if (o->keep > 0)
		kv_add_int(&args, "keep", o->keep);
	rollout_connect(&ro);
	for (size_t i = 0; i < ro.n; i++)
		if (ro.nodes[i].st == NODE_READY)
			node_request(&ro.nodes[i], cmd, &args);
	rollout_wait(&ro, -1);
	rollout_finish(&ro);
	kv_free(&args);
	for (size_t i = 0; i < ro.n; i++) {
		done += ok(&ro.nodes[i]);
		print_host(g, cmd, &ro.nodes[i]);
	}
	fflush(stdout);
	/* done counts as moved: a host that failed next to ones that changed is a partial (5). */
	rc = incident_exit(&ro, done);
	rollout_close(&ro);
	return rc;
}
