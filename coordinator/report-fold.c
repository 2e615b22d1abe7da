/* The report's rollouts and metrics from the folded events (report-data.h has the definitions). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "report-data.h"

#define H_OK	1
#define H_FAIL	2
#define H_BACK	4

static struct rrollout *
rollout_for(struct report_data *d, int *rmap, const struct rev *e)
{
	struct rrollout *r;

	if (rmap[e->rollout] >= 0)
		return &d->ro[rmap[e->rollout]];
	r = &d->ro[d->nro];
	memset(r, 0, sizeof(*r));
	if ((r->hostset = calloc(d->nhosts ? d->nhosts : 1, 1)) == NULL)
		return NULL;
	r->id = e->rollout;
	r->release = r->actor = -1;
	r->started = e->ts - e->dur;
	rmap[e->rollout] = (int)d->nro++;
	return r;
}

static void
min_ts(long long *x, long long v)
{
	if (v > 0 && (*x == 0 || v < *x))
		*x = v;
}

static void
max_ts(long long *x, long long v)
{
	if (v > *x)
		*x = v;
}

/* One event into its own rollout. */
static void
apply(struct rrollout *r, const struct rev *e)
{
	if (r->kind == RK_NONE)
		r->kind = e->kind;
	if (r->actor < 0)
		r->actor = e->actor;
	if (e->ts - e->dur < r->started)
		r->started = e->ts - e->dur;
	if (e->op == ROP_NOTE && e->live) {
		/* A blue-green switch: a deploy ends with it; a rollback's counts its recording hosts. */
		max_ts(&r->ended, e->ts);
		max_ts(&r->live_ts, e->ts);
		/* A deploy made its pool's hosts live, whether or not this run moved them. */
		if (r->kind != RK_DEPLOY || e->in_pool)
			r->hostset[e->host] |= H_OK;
		if (r->release < 0)
			r->release = e->release;
		return;
	}
	if (e->op == ROP_NOTE && e->switch_failed) {
		max_ts(&r->switch_failed_ts, e->ts);
		if (r->release < 0)
			r->release = e->release;
		return;
	}
	if (e->op == ROP_NOTE) {
		max_ts(&r->paused_ts, e->ts);
		return;
	}
	max_ts(&r->ended, e->ts);
	/* A fleet deploy's switch is an activate of a deploy-kind rollout; the agent's own deploy says via=deploy. */
	if (e->op == ROP_ACTIVATE && !e->via_drill && (e->via_deploy || r->kind == RK_DEPLOY) &&
	    (e->ok || e->failed)) {
		r->hostset[e->host] |= e->ok ? H_OK : H_FAIL;
		if (r->release < 0)
			r->release = e->release;
		if (e->failed) {
			/* Bad from the moment it was switched to, until the agent switched back. */
			min_ts(&r->first_fail, e->ts - e->dur);
			max_ts(&r->restored, e->ts);
		}
	} else if (e->op == ROP_ROLLBACK && e->ok && !e->via_drill) {
		if (r->kind == RK_DEPLOY || r->kind == RK_ABORT) {
			r->hostset[e->host] |= H_BACK;
			r->reversed = 1;
			max_ts(&r->restored, e->ts);
		} else {
			r->hostset[e->host] |= H_OK;
			if (r->release < 0)
				r->release = e->release;
		}
	} else if (e->op == ROP_DRILL) {
		r->hostset[e->host] |= H_OK;
		if (r->release < 0)
			r->release = e->release;
		if (!e->ok)
			r->drill_failed = 1;
		else if (e->dur > r->drill_restore_ms)
			r->drill_restore_ms = e->dur;
	}
}

static int
by_start(const void *a, const void *b)
{
	const struct rrollout *x = a, *y = b;

	return x->started < y->started ? -1 : x->started > y->started;
}

/*
 * A rollback (not of a drill, not a rollout's own reversal) that took a
 * host off the newest deploy there, back to the release before it: that
 * deploy was rolled back before the next one.
 */
/*
 * A blue-green rollback's switch record took release e->previous out of
 * service: the newest deploy of it before then was rolled back, at once
 * on every host of its pool (no host moved).
 */
static void
bg_rollback(struct report_data *d, const struct rev *e)
{
	struct rrollout *dep = NULL;

	for (size_t k = 0; k < d->nro; k++) {
		struct rrollout *r = &d->ro[k];

		if (r->started >= e->ts)
			break;
		if (r->kind == RK_DEPLOY && r->release == e->previous && r->id != e->rollout)
			dep = r;
	}
	if (dep == NULL || e->previous < 0)
		return;
	dep->rolled_back = 1;
	if (!dep->first_fail || e->ts - e->dur < dep->first_fail)
		dep->first_fail = e->ts - e->dur;
	max_ts(&dep->restored, e->ts);
}

static void
later_rollbacks(struct report_data *d)
{
	for (size_t i = 0; i < d->nev; i++) {
		const struct rev *e = &d->ev[i];
		struct rrollout *dep = NULL;

		if (e->op == ROP_NOTE && e->live && e->kind == RK_ROLLBACK)
			bg_rollback(d, e);
		if (e->op != ROP_ROLLBACK || !e->ok || e->via_drill || e->kind == RK_DRILL)
			continue;
		for (size_t k = 0; k < d->nro; k++) {
			struct rrollout *r = &d->ro[k];

			if (r->started >= e->ts)
				break;
			if (r->kind == RK_DEPLOY && (r->hostset[e->host] & H_OK) && r->id != e->rollout)
				dep = r;
		}
		if (dep == NULL || dep->release != e->previous || (dep->hostset[e->host] & H_BACK))
			continue;
		dep->hostset[e->host] |= H_BACK;
		dep->rolled_back = 1;
		if (!dep->first_fail || e->ts - e->dur < dep->first_fail)
			dep->first_fail = e->ts - e->dur;
		max_ts(&dep->restored, e->ts);
	}
}

static void
outcome(struct rrollout *r, size_t nhosts)
{
	size_t ok = 0, back = 0;

	for (size_t h = 0; h < nhosts; h++) {
		ok += (r->hostset[h] & H_OK) != 0;
		back += (r->hostset[h] & (H_OK | H_BACK)) == (H_OK | H_BACK);
		r->nfail += (r->hostset[h] & H_FAIL) != 0;
		r->hosts += (r->hostset[h] & (H_OK | H_FAIL)) != 0;
	}
	r->nback = back;
	r->paused = r->paused_ts > 0 && r->paused_ts >= r->ended;
	if (r->kind == RK_DRILL) {
		r->outcome = r->drill_failed ? "failed" : "ok";
		return;
	}
	if (r->kind != RK_DEPLOY) {
		r->outcome = "done";
		return;
	}
	/* Blue-green: live when switched, whether or not this run moved a host; never if its switch failed. */
	r->deployment = ok + r->nfail > 0 || r->live_ts > 0;
	if (r->switch_failed_ts > 0 && r->live_ts < r->switch_failed_ts) {
		r->deployment = 0;
		r->outcome = "not-live";
		return;
	}
	if (r->paused && !r->rolled_back)
		r->outcome = "paused";
	else if (!r->deployment)
		r->outcome = "aborted";
	else if (ok == 0 || (r->reversed && back == ok))
		r->outcome = "reversed";
	else if (r->reversed)
		r->outcome = "partial";
	else if (r->rolled_back)
		r->outcome = "rolled-back";
	else
		r->outcome = "done";
}

int
report_fold(struct report_data *d)
{
	int *rmap = malloc((d->nstr ? d->nstr : 1) * sizeof(*rmap));
	size_t cap = 0;

	if (rmap == NULL)
		return CUT_ERR_ALLOC;
	for (size_t i = 0; i < d->nstr; i++)
		rmap[i] = -1;
	/* At most one rollout per distinct rollout string. */
	for (size_t i = 0; i < d->nstr; i++)
		cap++;
	if ((d->ro = calloc(cap ? cap : 1, sizeof(*d->ro))) == NULL) {
		free(rmap);
		return CUT_ERR_ALLOC;
	}
	for (size_t i = 0; i < d->nev; i++) {
		const struct rev *e = &d->ev[i];
		struct rrollout *r;

		if (e->rollout < 0)
			continue;
		if ((r = rollout_for(d, rmap, e)) == NULL) {
			free(rmap);
			return CUT_ERR_ALLOC;
		}
		apply(r, e);
	}
	free(rmap);
	if (d->nro > 0)
		qsort(d->ro, d->nro, sizeof(*d->ro), by_start);
	later_rollbacks(d);
	for (size_t k = 0; k < d->nro; k++)
		outcome(&d->ro[k], d->nhosts);
	return CUT_OK;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Median of v[0..n) in seconds (v in ms), or -1 when n is 0. Sorts v. */
static double
median_s(long long *v, size_t n)
{
	if (n == 0)
		return -1;
	qsort(v, n, sizeof(*v), cmp_ll);
	return n % 2 ? (double)v[n / 2] / 1000.0 : (double)(v[n / 2 - 1] + v[n / 2]) / 2000.0;
}

void
report_metrics(const struct report_data *d, struct report_metrics *m)
{
	long long *lead = calloc(d->nro + 1, sizeof(*lead)), *ttr = calloc(d->nro + 1, sizeof(*ttr));
	long long *dt = calloc(d->nro + 1, sizeof(*dt));
	size_t nl = 0, nt = 0, nd = 0;
	long long from = d->now - d->since_ms;

	memset(m, 0, sizeof(*m));
	m->lead_median_s = m->ttr_median_s = m->drill_ttr_median_s = -1;
	if (lead == NULL || ttr == NULL || dt == NULL)
		goto out;
	for (size_t k = 0; k < d->nro; k++) {
		const struct rrollout *r = &d->ro[k];
		int failed;

		if (r->started < from)
			continue;
		if (r->kind == RK_DRILL) {
			m->drills++;
			m->drills_ok += !r->drill_failed;
			if (!r->drill_failed)
				dt[nd++] = r->drill_restore_ms;
			continue;
		}
		if (r->kind != RK_DEPLOY || !r->deployment)
			continue;
		m->deployments++;
		failed = strcmp(r->outcome, "reversed") == 0 || strcmp(r->outcome, "partial") == 0 ||
		    strcmp(r->outcome, "rolled-back") == 0;
		m->failed += failed;
		if (strcmp(r->outcome, "done") == 0 || strcmp(r->outcome, "rolled-back") == 0) {
			m->done++;
			if (r->release >= 0 && d->committed_ms[r->release] > 0 &&
			    r->ended >= d->committed_ms[r->release])
				lead[nl++] = r->ended - d->committed_ms[r->release];
		}
		if (failed && r->first_fail > 0 && r->restored >= r->first_fail)
			ttr[nt++] = r->restored - r->first_fail;
	}
	m->cfr = m->deployments ? (double)m->failed / (double)m->deployments : 0;
	m->freq = d->since_ms > 0 ? (double)m->done / ((double)d->since_ms / 86400000.0) : 0;
	m->lead_median_s = median_s(lead, nl);
	m->ttr_median_s = median_s(ttr, nt);
	m->drill_ttr_median_s = median_s(dt, nd);
out:
	free(lead);
	free(ttr);
	free(dt);
}
