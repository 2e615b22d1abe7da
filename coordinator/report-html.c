/*
 * cutover report --html FILE: one self-contained page (inline CSS and SVG,
 * no scripts, nothing fetched) with the metrics, the rollouts and a
 * timeline: one SVG row per host (class "host-row"), a mark per switch
 * (deploy green, failed activation red, rollback orange, drill blue) with
 * a <title> tooltip, and a dashed line where each rollout started, so
 * batches show as steps across the rows.
 */
#include "config.h"

#include <string.h>

#include "report-data.h"

#define W 1200
#define LEFT 150
#define ROW 26
#define TOP 30

static void
esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static const char *
kind_name(int k)
{
	return k == RK_DEPLOY ? "deploy" : k == RK_ROLLBACK ? "rollback" : k == RK_DRILL ? "drill" :
	    k == RK_ABORT ? "abort" : "other";
}

/* The events drawn: switches and drills, in the window (or of the --rollout). */
static int
drawn(const struct report_data *d, const struct rev *e, int want)
{
	if (e->op != ROP_ACTIVATE && e->op != ROP_ROLLBACK && e->op != ROP_DRILL)
		return 0;
	if (e->op != ROP_DRILL && e->via_drill)
		return 0;	/* a drill's legs: the drill's own mark stands for them */
	if (want >= 0)
		return e->rollout == want;
	return e->ts >= d->now - d->since_ms;
}

static void
metric(FILE *f, const char *name, double v, const char *unit)
{
	fprintf(f, "<tr><th>%s</th><td>", name);
	if (v < 0)
		fputs("&ndash;", f);
	else
		fprintf(f, "%.2f%s", v, unit);
	fputs("</td></tr>\n", f);
}

static void
metrics_table(const struct report_data *d, const struct report_metrics *m, FILE *f)
{
	fprintf(f, "<table class=\"metrics\">\n<tr><th>deployments</th><td>%zu</td></tr>\n"
	    "<tr><th>failed deployments</th><td>%zu</td></tr>\n", m->deployments, m->failed);
	metric(f, "change failure rate", m->cfr * 100, " %");
	metric(f, "deployments per day", m->freq, "");
	metric(f, "lead time (median)", m->lead_median_s, " s");
	metric(f, "time to restore (median)", m->ttr_median_s, " s");
	fprintf(f, "<tr><th>drills</th><td>%zu (%zu ok)</td></tr>\n", m->drills, m->drills_ok);
	metric(f, "drill time to restore (median)", m->drill_ttr_median_s, " s");
	fputs("</table>\n<table class=\"rollouts\">\n<tr><th>started</th><th>rollout</th><th>kind</th>"
	    "<th>release</th><th>outcome</th><th>hosts</th><th>actor</th></tr>\n", f);
	for (size_t k = 0; k < d->nro; k++) {
		const struct rrollout *r = &d->ro[k];
		char t[32];

		if (r->started < d->now - d->since_ms)
			continue;
		report_iso(r->started, t);
		fprintf(f, "<tr class=\"%s\"><td>%s</td><td>", r->outcome, t);
		esc(f, report_str(d, r->id));
		fprintf(f, "</td><td>%s</td><td>", kind_name(r->kind));
		esc(f, report_str(d, r->release));
		fprintf(f, "</td><td>%s</td><td>%zu</td><td>", r->outcome, r->hosts);
		esc(f, report_str(d, r->actor));
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void
mark(const struct report_data *d, const struct rev *e, double x, double y, FILE *f)
{
	const char *cls = e->op == ROP_DRILL ? "drill" : e->failed ? "failed" :
	    e->op == ROP_ROLLBACK ? "rollback" : "deploy";
	char t[32];

	report_iso(e->ts, t);
	if (e->failed || (e->op == ROP_DRILL && !e->ok))
		fprintf(f, "<rect class=\"ev failed\" x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\">",
		    x - 5, y - 5);
	else
		fprintf(f, "<circle class=\"ev %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\">", cls, x, y);
	fprintf(f, "<title>%s %s ", t, e->op == ROP_DRILL ? "drill" : e->op == ROP_ROLLBACK ? "rollback" : "activate");
	esc(f, report_str(d, e->release));
	fputs(" (", f);
	esc(f, report_str(d, e->rollout));
	fputs(e->failed ? ", failed)" : ")", f);
	fputs(e->failed || (e->op == ROP_DRILL && !e->ok) ? "</title></rect>\n" : "</title></circle>\n", f);
}

static void
timeline(const struct report_data *d, FILE *f)
{
	int want = -1;
	long long t0 = 0, t1 = 0;
	double span;
	int h = TOP + (int)d->nhosts * ROW + 20;

	for (size_t i = 0; d->want && i < d->nstr; i++)
		if (strcmp(d->str[i], d->want) == 0)
			want = (int)i;
	for (size_t i = 0; i < d->nev; i++) {
		const struct rev *e = &d->ev[i];

		if (!drawn(d, e, d->want ? want : -1))
			continue;
		if (t0 == 0 || e->ts < t0)
			t0 = e->ts;
		if (e->ts > t1)
			t1 = e->ts;
	}
	span = t1 > t0 ? (double)(t1 - t0) : 1;
	fprintf(f, "<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\">\n", W, h, W, h);
	for (size_t k = 0; k < d->nro; k++) {
		const struct rrollout *r = &d->ro[k];
		double x;

		if (r->ended < t0 || r->started > t1 || (d->want && r->id != want))
			continue;
		/* It started (staging) before its first switch, maybe before the axis: clamp. */
		x = LEFT + (double)(r->started > t0 ? r->started - t0 : 0) / span * (W - LEFT - 20);
		fprintf(f, "<line class=\"start\" x1=\"%.1f\" y1=\"12\" x2=\"%.1f\" y2=\"%d\"><title>", x, x, h - 10);
		esc(f, report_str(d, r->id));
		fputs("</title></line>\n", f);
	}
	for (size_t hi = 0; hi < d->nhosts; hi++) {
		double y = TOP + (double)hi * ROW + ROW / 2.0;

		fprintf(f, "<g class=\"host-row\" data-host=\"");
		esc(f, d->hosts[hi]);
		fprintf(f, "\">\n<text x=\"8\" y=\"%.1f\">", y + 4);
		esc(f, d->hosts[hi]);
		fprintf(f, "</text>\n<line class=\"axis\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n",
		    LEFT, y, W - 10, y);
		for (size_t i = 0; i < d->nev; i++) {
			const struct rev *e = &d->ev[i];

			if (e->host == (int)hi && drawn(d, e, d->want ? want : -1))
				mark(d, e, LEFT + (double)(e->ts - t0) / span * (W - LEFT - 20), y, f);
		}
		fputs("</g>\n", f);
	}
	fputs("</svg>\n", f);
}

void
report_html(const struct report_data *d, const struct report_metrics *m, FILE *f)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>cutover report</title>\n"
	    "<style>\nbody{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\n"
	    "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:2px 8px;text-align:left}\n"
	    "tr.reversed td,tr.partial td,tr.rolled-back td,tr.failed td{background:#fdd}\n"
	    ".axis{stroke:#ddd}.start{stroke:#999;stroke-dasharray:4 3}\n"
	    ".ev.deploy{fill:#2a2}.ev.rollback{fill:#e80}.ev.drill{fill:#36c}.ev.failed{fill:#d22}\n"
	    "text{font:12px monospace}\n</style></head><body>\n<h1>cutover report</h1>\n", f);
	if (d->want) {
		fputs("<p>Rollout <code>", f);
		esc(f, d->want);
		fputs("</code></p>\n", f);
	}
	fprintf(f, "<p>Last %lld day(s), %zu host(s).</p>\n", d->since_ms / 86400000LL, d->nhosts);
	metrics_table(d, m, f);
	fputs("<h2>Timeline</h2>\n<p>One row per host: <span style=\"color:#2a2\">&#9679; deploy</span> "
	    "<span style=\"color:#d22\">&#9632; failed</span> <span style=\"color:#e80\">&#9679; rollback</span> "
	    "<span style=\"color:#36c\">&#9679; drill</span>; dashed: a rollout starts.</p>\n", f);
	timeline(d, f);
	fputs("</body></html>\n", f);
}
