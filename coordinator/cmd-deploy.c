/*
 * cutover deploy: the options; the rollout itself is the engine's
 * (engine.h). Exit 0 done, 1 reversed, 3 bad archive, 4 locked, 5 hosts
 * left behind; see cutover(1).
 */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "bluegreen.h"
#include "engine.h"
#include "err.h"
#include "log.h"
#include "url.h"

/* ARCHIVE|URL and --sha256 go together: a URL needs one, and it must be 64 hex digits. 0 or an exit code. */
static int
check_source(struct deploy_opts *o)
{
	size_t n = 0;

	o->url = url_is_http(o->archive);
	if (o->url && o->sha256 == NULL)
		return log_error("deploy: an archive URL needs --sha256 HEX (the agents check what they fetch "
		    "against it)"), CUT_EXIT_USAGE;
	if (o->sha256 == NULL)
		return 0;
	while (isxdigit((unsigned char)o->sha256[n]))
		n++;
	if (n != SHA256_HEX_LEN || o->sha256[n] != '\0')
		return log_error("deploy: --sha256 \"%.100s\" is not 64 hex digits", o->sha256), CUT_EXIT_USAGE;
	return 0;
}

static int
cmd_deploy(const struct copts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "app", required_argument, NULL, 'a' },
		{ "release", required_argument, NULL, 'r' },
		{ "hosts", required_argument, NULL, 'H' },
		{ "group", required_argument, NULL, 'G' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "batch", required_argument, NULL, 'b' },
		{ "max-fail", required_argument, NULL, 'm' },
		{ "canary", required_argument, NULL, 'c' },
		{ "bake", required_argument, NULL, 'k' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "pause-after", required_argument, NULL, 'p' },
		{ "wait", required_argument, NULL, 'w' },
		{ "actor", required_argument, NULL, 'A' },
		{ "pool", required_argument, NULL, 'P' },
		{ "sha256", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct deploy_opts o = { .max_fail = -1 };
	struct rollout ro;
	const char *exclude = NULL, *pool = NULL;
	char *end;
	int ch, rc;

	/* "-": options may follow ARCHIVE (deploy X.tgz --dry-run), in any order. */
	while ((ch = getopt_long(argc, argv, "-", opts, NULL)) != -1) {
		switch (ch) {
		case 1:
			if (o.archive != NULL)
				return coord_usage("deploy");
			o.archive = optarg;
			break;
		case 'h': return coord_help("deploy");
		case 'a': o.app = optarg; break;
		case 'r': o.release = optarg; break;
		case 'H': o.hosts = optarg; break;
		case 'G': o.group = optarg; break;
		case 'x': exclude = optarg; break;
		case 'b': o.batch = optarg; break;
		case 'c': o.canary = optarg; break;
		case 'A': o.actor = optarg; break;
		case 'P': pool = optarg; break;
		case 's': o.sha256 = optarg; break;
		case 'n': o.dry_run = 1; break;
		case 'm': case 'k': case 'p': case 'w': {
			long long v = strtoll(optarg, &end, 10);

			if (*end != '\0' || end == optarg || v < 0 || v > (ch == 'w' ? 3600 : 1000000)) {
				log_error("deploy: \"%s\" is not a number from 0 to 1000000", optarg);
				return CUT_EXIT_USAGE;
			}
			if (ch == 'm')
				o.max_fail = v;
			else if (ch == 'k')
				o.bake = v;
			else if (ch == 'p')
				o.pause_after = v;
			else
				o.wait = v;
			break;
		}
		default:
			return coord_usage("deploy");
		}
	}
	if (optind < argc && o.archive == NULL)
		o.archive = argv[optind++];	/* after "--" */
	if (optind != argc || o.archive == NULL)
		return coord_usage("deploy");
	if ((rc = check_source(&o)) != 0)
		return rc;
	if (bg_configured(g))
		return bg_deploy(g, &o, exclude, pool);
	if (pool) {
		log_error("deploy: --pool needs blue_green in the fleet file");
		return CUT_EXIT_USAGE;
	}
	if ((rc = rollout_open(&ro, g, o.hosts, o.group, exclude)) != 0)
		return rc;
	rc = engine_deploy(&ro, &o);
	rollout_close(&ro);
	return rc;
}

const struct coord_cmd cmd_deploy_entry = {
	"deploy", "deploy ARCHIVE|URL [--sha256 HEX] [--app APP] [--release ID] [--hosts LIST] [--group G] [--exclude LIST] "
	    "[--batch N|N%] [--max-fail N] [--canary N|HOSTS|GROUP] [--bake SECONDS] [--pause-after N] "
	    "[--wait SECONDS] [--actor NAME] [--dry-run] [--pool NAME]",
	"roll a release out in batches (with ARCHIVE.sig, if present, as its signature); "
	    "reverse it node by node on failure", cmd_deploy
};
