/*
 * cutover report: delivery metrics, rollouts and timelines from the hosts'
 * journals (cutover(1), "report"). Every selected host's history streams
 * in one pass of the fleet loop; each record is folded in as it arrives
 * (report-data.h), never kept whole (but for --rollout's own records).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "err.h"
#include "log.h"
#include "report-data.h"
#include "rollout.h"

#define SINCE_MAX 3650
/* Every field report_add() reads. */
#define REPORT_FIELDS "op,phase,ts_ms,duration_ms,release,previous,outcome,via,rollout,kind,actor," \
	"state,committed_at,restore_ms,undoes," \
	"from_release,switch_ms,switch,hosts"

struct report_opts {
	const char *app, *hosts, *group, *exclude, *html, *rollout;
	long long since;
	int json;
};

static void
on_record(struct rollout *ro, const struct node *nd, const struct kvlist *rec)
{
	report_add(ro->user, (int)(nd - ro->nodes), rec);
}

static int
parse(int argc, char **argv, struct report_opts *o)
{
	static const struct option opts[] = {
		{ "app", required_argument, NULL, 'a' }, { "hosts", required_argument, NULL, 'H' },
		{ "group", required_argument, NULL, 'G' }, { "exclude", required_argument, NULL, 'x' },
		{ "since", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
		{ "html", required_argument, NULL, 'o' }, { "rollout", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	char *end;
	int ch;

	memset(o, 0, sizeof(*o));
	o->since = 30;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'h': coord_help("report"); return -1;
		case 'a': o->app = optarg; break;
		case 'H': o->hosts = optarg; break;
		case 'G': o->group = optarg; break;
		case 'x': o->exclude = optarg; break;
		case 'j': o->json = 1; break;
		case 'o': o->html = optarg; break;
		case 'r': o->rollout = optarg; break;
		case 's':
			o->since = strtoll(optarg, &end, 10);
			if (*end != '\0' || end == optarg || o->since < 1 || o->since > SINCE_MAX) {
				log_error("report: --since \"%s\" is not a number of days from 1 to %d", optarg, SINCE_MAX);
				return CUT_EXIT_USAGE;
			}
			break;
		default:
			return coord_usage("report");
		}
	}
	return optind != argc ? coord_usage("report") : 0;
}

/* Write the page beside FILE, then rename it over: a reader never sees half a page. */
static int
write_html(const struct report_data *d, const struct report_metrics *m, const char *file)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	if ((f = fopen(tmp, "w")) == NULL) {
		log_error("report: %s: %s", tmp, strerror(errno));
		return CUT_EXIT_USAGE;
	}
	report_html(d, m, f);
	if (fclose(f) != 0 || rename(tmp, file) != 0) {
		log_error("report: %s: %s", file, strerror(errno));
		remove(tmp);
		return CUT_EXIT_USAGE;
	}
	return 0;
}

/* The outputs asked for; the exit code (5 when a host's journal is missing). */
static int
output(const struct copts *g, const struct report_opts *o, struct rollout *ro, struct report_data *d)
{
	struct report_metrics m;
	size_t lost = 0;
	int rc = 0;

	for (size_t i = 0; i < ro->n; i++)
		if (ro->nodes[i].st != NODE_READY) {
			log_error("report: %s: no journal: %s", ro->nodes[i].h->name, ro->nodes[i].why);
			lost++;
		}
	if (report_fold(d) != CUT_OK)
		return log_error("out of memory"), CUT_EXIT_REVERSED;
	report_metrics(d, &m);
	if (o->html && (rc = write_html(d, &m, o->html)) != 0)
		return rc;
	if (o->rollout) {
		if (report_markdown(d, stdout) != 0) {
			log_error("report: no selected host has records of rollout %s", o->rollout);
			rc = CUT_EXIT_BAD_INPUT;
		}
	} else if (o->json || g->json) {
		report_json(d, &m, stdout);
	} else {
		report_text(d, &m, stdout);
	}
	fflush(stdout);
	return rc ? rc : lost ? CUT_EXIT_PARTIAL : CUT_EXIT_OK;
}

static int
cmd_report(const struct copts *g, int argc, char **argv)
{
	struct report_opts o;
	struct report_data d;
	struct rollout ro;
	const char **names = NULL;
	int rc;

	if ((rc = parse(argc, argv, &o)) != 0)
		return rc < 0 ? CUT_EXIT_OK : rc;
	if ((rc = rollout_open(&ro, g, o.hosts, o.group, o.exclude)) != 0)
		return rc;
	if (o.app)
		ro.app = o.app;
	if ((rc = coord_check_files(&ro.run)) == 0 && (ro.app == NULL || *ro.app == '\0')) {
		log_error("report: no app (set app in the fleet file or give --app)");
		rc = CUT_EXIT_USAGE;
	}
	if (rc == 0 && (names = calloc(ro.n ? ro.n : 1, sizeof(*names))) == NULL)
		rc = CUT_EXIT_REVERSED;
	if (rc != 0) {
		free(names);
		rollout_close(&ro);
		return rc;
	}
	for (size_t i = 0; i < ro.n; i++)
		names[i] = ro.nodes[i].h->name;
	if (report_init(&d, ro.n, names, o.since, o.rollout) != CUT_OK) {
		rc = CUT_EXIT_REVERSED;
	} else {
		struct kvlist args = KVLIST_INIT;

		/*
		 * Protocol 1.3: the agent sends only end records and notes, only
		 * the fields the report reads (no hook output, no digests): half
		 * the frames and a fraction of the bytes. Older agents send all.
		 */
		kv_add_bool(&args, "ends_only", 1);
		kv_add(&args, "fields", REPORT_FIELDS);
		ro.user = &d;
		ro.on_record = on_record;
		ro.first_args = o.rollout ? NULL : &args;	/* a timeline shows every record whole */
		rollout_connect_then(&ro, "history");
		ro.first_args = NULL;
		kv_free(&args);
		rollout_finish(&ro);
		rc = output(g, &o, &ro, &d);
	}
	report_free(&d);
	free(names);
	rollout_close(&ro);
	return rc;
}

const struct coord_cmd cmd_report_entry = {
	"report", "report [--since DAYS] [--json] [--html FILE] [--rollout ID] [--app APP] [--hosts LIST] "
	    "[--group G] [--exclude LIST]",
	"delivery metrics (deployments, change failure rate, lead time, time to restore), rollouts, "
	    "timelines from the hosts' journals", cmd_report
};
