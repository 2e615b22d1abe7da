/*
 * The report's model (report-data.h): journal records in, rollouts and
 * the metrics out. Definitions, as cutover(1) "report" states them:
 *
 * - A rollout is every record carrying its rollout ID, on any host; it
 *   counts once however many hosts it touched.
 * - A deployment: a deploy rollout that switched at least one host (an
 *   activation with via=deploy that ended ok), started inside the window.
 * - Failed: it reversed itself (the engine's rollbacks carry its ID), or
 *   only partly, or a host's activation failed its checks and the rollout
 *   switched hosts back, or a later rollback (not a drill) took a host it
 *   switched back to the release before it while it was still the newest
 *   deploy there. A drill is never a failed deployment; a refused
 *   rollback is never journalled, so it changes nothing here either.
 * - Time to restore of a failed deployment: from its first failure (the
 *   first failed activation, else the start of the rollback that undid
 *   it) to the last switch back.
 * - Blue-green: a deploy's switch record (note state=live) ends it and
 *   makes it a deployment even when it moved no host (a re-run that only
 *   switches); a deploy whose switch failed (note state=aborted,
 *   switch=failed) and that no switch record followed never served: not a
 *   deployment (outcome not-live). A rollback's switch record is a rollback
 *   that undoes the newest deploy of the release it took out of service
 *   (from_release), no host moved.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fsutil.h"
#include "msg.h"
#include "report-data.h"
#include "rfc3339.h"

/* FNV-1a, for the string table. */
static size_t
hash(const char *s)
{
	unsigned long long h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return (size_t)h;
}

static int
grow_hash(struct report_data *d)
{
	size_t cap = d->hcap ? d->hcap * 2 : 1024;
	int *h = malloc(cap * sizeof(*h));

	if (h == NULL)
		return -1;
	for (size_t i = 0; i < cap; i++)
		h[i] = -1;
	for (size_t i = 0; i < d->nstr; i++) {
		size_t k = hash(d->str[i]) & (cap - 1);

		while (h[k] != -1)
			k = (k + 1) & (cap - 1);
		h[k] = (int)i;
	}
	free(d->hidx);
	d->hidx = h;
	d->hcap = cap;
	return 0;
}

/* The index of s, adding it; -1 for NULL or "" (or out of memory). */
static int
intern(struct report_data *d, const char *s)
{
	size_t k;

	if (s == NULL || *s == '\0')
		return -1;
	if ((d->nstr + 1) * 2 > d->hcap && grow_hash(d) != 0)
		return -1;
	for (k = hash(s) & (d->hcap - 1); d->hidx[k] != -1; k = (k + 1) & (d->hcap - 1))
		if (strcmp(d->str[d->hidx[k]], s) == 0)
			return d->hidx[k];
	if (d->nstr == d->capstr) {
		size_t cap = d->capstr ? d->capstr * 2 : 256;
		char **ns = realloc(d->str, cap * sizeof(*ns));
		long long *nc = realloc(d->committed_ms, cap * sizeof(*nc));

		if (ns)
			d->str = ns;
		if (nc)
			d->committed_ms = nc;
		if (ns == NULL || nc == NULL)
			return -1;
		d->capstr = cap;
	}
	if ((d->str[d->nstr] = strdup(s)) == NULL)
		return -1;
	d->committed_ms[d->nstr] = 0;
	d->hidx[k] = (int)d->nstr;
	return (int)d->nstr++;
}

int
report_init(struct report_data *d, size_t nhosts, const char **hosts, long long since_days,
    const char *want)
{
	memset(d, 0, sizeof(*d));
	d->nhosts = nhosts;
	d->hosts = hosts;
	d->now = now_ms();
	d->since_ms = since_days * 86400000LL;
	d->want = want;
	return grow_hash(d) == 0 ? CUT_OK : CUT_ERR_ALLOC;
}

static int
kind_of(const char *k)
{
	static const char *const names[] = { "", "deploy", "rollback", "drill", "abort", NULL };

	if (k == NULL || *k == '\0')
		return RK_NONE;
	for (int i = 1; names[i]; i++)
		if (strcmp(k, names[i]) == 0)
			return i;
	return RK_OTHER;
}

static int
op_of(const char *op)
{
	static const char *const names[] = { "", "install", "activate", "rollback", "drill", "rollout", NULL };

	for (int i = 1; names[i]; i++)
		if (strcmp(op, names[i]) == 0)
			return i;
	return ROP_OTHER;
}

/* --rollout ID: keep that rollout's records whole, for the timeline. */
static void
keep_detail(struct report_data *d, int host, const struct kvlist *rec)
{
	const char *r = kv_get(rec, "rollout"), *u = kv_get(rec, "undoes");
	struct kvlist *nl;
	int *nh;

	if (!((r && strcmp(r, d->want) == 0) || (u && strcmp(u, d->want) == 0)))
		return;
	if ((nl = realloc(d->detail, (d->ndetail + 1) * sizeof(*nl))) == NULL)
		return;
	d->detail = nl;
	if ((nh = realloc(d->detail_host, (d->ndetail + 1) * sizeof(*nh))) == NULL)
		return;
	d->detail_host = nh;
	memset(&nl[d->ndetail], 0, sizeof(*nl));
	if (kv_copy(&nl[d->ndetail], rec) == CUT_OK)
		nh[d->ndetail++] = host;
	else
		kv_free(&nl[d->ndetail]);
}

void
report_add(struct report_data *d, int host, const struct kvlist *rec)
{
	const char *op = kv_get(rec, "op"), *phase = kv_get(rec, "phase");
	const char *outcome = kv_get(rec, "outcome"), *via = kv_get(rec, "via"), *v;
	struct rev e;

	if (op == NULL)
		return;
	if (d->want)
		keep_detail(d, host, rec);
	/* Begin records say nothing an end record does not; notes matter only when paused. */
	if (phase && strcmp(phase, "begin") == 0)
		return;
	memset(&e, 0, sizeof(e));
	e.op = (unsigned char)op_of(op);
	if (e.op == ROP_OTHER)
		return;
	e.ts = kv_get_int(rec, "ts_ms", 0);
	e.dur = kv_get_int(rec, "duration_ms", 0);
	e.host = host;
	e.kind = (unsigned char)kind_of(kv_get(rec, "kind"));
	e.rollout = intern(d, kv_get(rec, "rollout"));
	e.release = intern(d, kv_get(rec, "release"));
	e.previous = intern(d, kv_get(rec, "previous"));
	e.actor = intern(d, kv_get(rec, "actor"));
	e.ok = outcome && strcmp(outcome, "ok") == 0;
	e.failed = outcome && (strcmp(outcome, "reversed") == 0 || strcmp(outcome, "failed") == 0 ||
	    strcmp(outcome, "stranded") == 0 || strcmp(outcome, "unhealthy") == 0);
	e.via_deploy = via && strcmp(via, "deploy") == 0;
	e.via_drill = via && strcmp(via, "drill") == 0;
	if (e.op == ROP_NOTE) {
		v = kv_get(rec, "state");
		if (v != NULL && strcmp(v, "live") == 0) {
			e.live = 1;
			e.previous = intern(d, kv_get(rec, "from_release"));
			e.dur = kv_get_int(rec, "switch_ms", 0);
			/* The hosts field is a space-separated list, as caps are. */
			e.in_pool = msg_caps_has(kv_get(rec, "hosts"), d->hosts[host]);
		} else if (v != NULL && strcmp(v, "aborted") == 0 && kv_get(rec, "switch") != NULL &&
		    strcmp(kv_get(rec, "switch"), "failed") == 0)
			e.switch_failed = 1;
		else if (v == NULL || strcmp(v, "paused") != 0)
			return;
		e.paused = !e.live && !e.switch_failed;
	}
	if (e.op == ROP_INSTALL && e.ok && e.release >= 0 && (v = kv_get(rec, "committed_at")) != NULL)
		d->committed_ms[e.release] = rfc3339_ms(v) > 0 ? rfc3339_ms(v) : 0;
	if (e.op == ROP_DRILL)
		e.dur = kv_get_int(rec, "restore_ms", 0);
	if (d->nev == d->capev) {
		size_t cap = d->capev ? d->capev * 2 : 4096;
		struct rev *n = realloc(d->ev, cap * sizeof(*n));

		if (n == NULL)
			return;
		d->ev = n;
		d->capev = cap;
	}
	d->ev[d->nev++] = e;
}

void
report_free(struct report_data *d)
{
	for (size_t i = 0; i < d->nstr; i++)
		free(d->str[i]);
	for (size_t i = 0; i < d->nro; i++) {
		free(d->ro[i].hostset);
	}
	for (size_t i = 0; i < d->ndetail; i++)
		kv_free(&d->detail[i]);
	free(d->detail);
	free(d->detail_host);
	free(d->str);
	free(d->hidx);
	free(d->committed_ms);
	free(d->ev);
	free(d->ro);
	memset(d, 0, sizeof(*d));
}
