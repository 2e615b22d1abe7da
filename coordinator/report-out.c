/*
 * The report's outputs (report-data.h): text for a terminal, one JSON
 * object for CI, a Markdown timeline of one rollout for a post-mortem,
 * and one self-contained HTML page (inline CSS and SVG, no scripts, no
 * external assets) with the metrics and a timeline, one row per host.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kv.h"
#include "report-data.h"

void
report_iso(long long ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL) {
		strcpy(out, "-");
		return;
	}
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A metric in seconds, or null. */
static void
num_or_null(FILE *f, double v)
{
	if (v < 0)
		fputs("null", f);
	else
		fprintf(f, "%.3f", v);
}

static void
json_str(FILE *f, const char *s)
{
	json_print_string(s ? s : "", f);
}

void
report_json(const struct report_data *d, const struct report_metrics *m, FILE *f)
{
	char a[32], b[32];
	int first = 1;

	fprintf(f, "{\"since_days\":%lld,\"hosts\":%zu,\"deployments\":%zu,\"failed_deployments\":%zu,"
	    "\"change_failure_rate\":%.4f,\"deployment_frequency_per_day\":%.4f,\"lead_time_median_s\":",
	    d->since_ms / 86400000LL, d->nhosts, m->deployments, m->failed, m->cfr, m->freq);
	num_or_null(f, m->lead_median_s);
	fputs(",\"time_to_restore_median_s\":", f);
	num_or_null(f, m->ttr_median_s);
	fprintf(f, ",\"drills\":%zu,\"drills_ok\":%zu,\"drill_time_to_restore_median_s\":", m->drills,
	    m->drills_ok);
	num_or_null(f, m->drill_ttr_median_s);
	fputs(",\"rollouts\":[", f);
	for (size_t k = 0; k < d->nro; k++) {
		const struct rrollout *r = &d->ro[k];

		if (r->started < d->now - d->since_ms)
			continue;
		report_iso(r->started, a);
		report_iso(r->ended, b);
		fputs(first ? "{\"id\":" : ",{\"id\":", f);
		first = 0;
		json_str(f, report_str(d, r->id));
		fputs(",\"kind\":", f);
		json_str(f, r->kind == RK_DEPLOY ? "deploy" : r->kind == RK_ROLLBACK ? "rollback" :
		    r->kind == RK_DRILL ? "drill" : r->kind == RK_ABORT ? "abort" : "other");
		fputs(",\"release\":", f);
		json_str(f, report_str(d, r->release));
		fprintf(f, ",\"started\":\"%s\",\"ended\":\"%s\",\"outcome\":", a, b);
		json_str(f, r->outcome);
		fputs(",\"actor\":", f);
		json_str(f, report_str(d, r->actor));
		fprintf(f, ",\"hosts\":%zu,\"failed\":%s}", r->hosts, r->deployment &&
		    strcmp(r->outcome, "done") != 0 && strcmp(r->outcome, "paused") != 0 ? "true" : "false");
	}
	fputs("]}\n", f);
}

static void
text_secs(FILE *f, const char *label, double v)
{
	if (v < 0)
		fprintf(f, "%-30s -\n", label);
	else
		fprintf(f, "%-30s %.1f s\n", label, v);
}

void
report_text(const struct report_data *d, const struct report_metrics *m, FILE *f)
{
	char a[32];

	fprintf(f, "report over the last %lld day(s), %zu host(s)\n", d->since_ms / 86400000LL, d->nhosts);
	fprintf(f, "%-30s %zu\n", "deployments", m->deployments);
	fprintf(f, "%-30s %zu\n", "failed deployments", m->failed);
	fprintf(f, "%-30s %.1f%%\n", "change failure rate", m->cfr * 100);
	fprintf(f, "%-30s %.2f\n", "deployments per day", m->freq);
	text_secs(f, "lead time (median)", m->lead_median_s);
	text_secs(f, "time to restore (median)", m->ttr_median_s);
	fprintf(f, "%-30s %zu (%zu ok)\n", "drills", m->drills, m->drills_ok);
	text_secs(f, "drill time to restore (median)", m->drill_ttr_median_s);
	fprintf(f, "\n%-20s %-29s %-9s %-24s %-12s %5s  %s\n", "STARTED", "ROLLOUT", "KIND", "RELEASE", "OUTCOME",
	    "HOSTS", "ACTOR");
	for (size_t k = 0; k < d->nro; k++) {
		const struct rrollout *r = &d->ro[k];

		if (r->started < d->now - d->since_ms)
			continue;
		report_iso(r->started, a);
		fprintf(f, "%-20s %-29s %-9s %-24s %-12s %5zu  %s\n", a, report_str(d, r->id),
		    r->kind == RK_DEPLOY ? "deploy" : r->kind == RK_ROLLBACK ? "rollback" :
		    r->kind == RK_DRILL ? "drill" : r->kind == RK_ABORT ? "abort" : "other",
		    r->release >= 0 ? report_str(d, r->release) : "-", r->outcome, r->hosts,
		    r->actor >= 0 ? report_str(d, r->actor) : "-");
	}
}

static int
by_detail_time(const void *x, const void *y, void *ctx)
{
	const struct report_data *d = ctx;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	long long a = kv_get_int(&d->detail[i], "ts_ms", 0), b = kv_get_int(&d->detail[j], "ts_ms", 0);

	if (a != b)
		return a < b ? -1 : 1;
	return i < j ? -1 : i > j;
}

/* A Markdown table cell: no pipes or newlines. */
static void
md_cell(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else
			fputc(*s == '\n' ? ' ' : *s, f);
	}
}

int
report_markdown(const struct report_data *d, FILE *f)
{
	static const char *const keys[] = { "release", "previous", "outcome", "state", "error", NULL };
	size_t *idx = malloc((d->ndetail + 1) * sizeof(*idx));

	if (idx == NULL)
		return -1;
	for (size_t i = 0; i < d->ndetail; i++)
		idx[i] = i;
	qsort_r(idx, d->ndetail, sizeof(*idx), by_detail_time, (void *)d);
	fprintf(f, "# Rollout %s\n\n", d->want);
	for (size_t k = 0; k < d->nro; k++)
		if (strcmp(report_str(d, d->ro[k].id), d->want) == 0)
			fprintf(f, "- release: %s\n- outcome: %s\n- hosts: %zu\n- actor: %s\n\n",
			    report_str(d, d->ro[k].release), d->ro[k].outcome, d->ro[k].hosts,
			    report_str(d, d->ro[k].actor));
	fputs("| time (UTC) | host | op | phase | details |\n|---|---|---|---|---|\n", f);
	for (size_t n = 0; n < d->ndetail; n++) {
		const struct kvlist *rec = &d->detail[idx[n]];
		char t[32];

		report_iso(kv_get_int(rec, "ts_ms", 0), t);
		fprintf(f, "| %s | %s | ", t, d->hosts[d->detail_host[idx[n]]]);
		md_cell(f, kv_get(rec, "op"));
		fputs(" | ", f);
		md_cell(f, kv_get(rec, "phase"));
		fputs(" |", f);
		for (int i = 0; keys[i]; i++) {
			const char *v = kv_get(rec, keys[i]);

			if (v && *v) {
				fprintf(f, " %s=", keys[i]);
				md_cell(f, v);
			}
		}
		fputs(" |\n", f);
	}
	free(idx);
	return d->ndetail > 0 ? 0 : 1;
}
