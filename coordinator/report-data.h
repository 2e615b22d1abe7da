/*
 * cutover report (cutover(1), "report"): the hosts' journals folded into
 * rollouts and the delivery metrics of the contract. Records are folded
 * in as they stream from the agents (rollout.h on_record), kept as small
 * fixed-size events with interned strings, so 100 hosts x 1,000 records
 * stay a few MiB.
 */
#ifndef CUT_REPORT_DATA_H
#define CUT_REPORT_DATA_H

#include <stddef.h>
#include <stdio.h>

#include "kv.h"

enum rop { ROP_OTHER, ROP_INSTALL, ROP_ACTIVATE, ROP_ROLLBACK, ROP_DRILL, ROP_NOTE };
enum rkind { RK_NONE, RK_DEPLOY, RK_ROLLBACK, RK_DRILL, RK_ABORT, RK_OTHER };

/* One journal end record, compact. Strings are indexes into the string table (-1 none). */
struct rev {
	long long ts;		/* ms, the record's ts_ms */
	long long dur;		/* its duration_ms (0 unknown) */
	int host, rollout, release, previous, actor;
	unsigned char op, kind, ok, failed, via_deploy, via_drill, paused;
	unsigned char live;	/* a blue-green switch record: previous is the release it took out of service */
	unsigned char switch_failed;	/* a blue-green deploy's failed switch (note state=aborted, switch=failed) */
	unsigned char in_pool;	/* a switch record on a host of the pool it made live (its hosts field) */
};

struct rrollout {
	int id;				/* string index */
	int kind;			/* enum rkind */
	int release, actor;		/* string indexes, -1 unknown */
	long long started, ended;	/* ms */
	size_t hosts;			/* distinct hosts it switched (deploy) or drilled */
	int failed_activation;		/* a host's activation failed its checks */
	int reversed;			/* the rollout itself switched hosts back */
	int all_reversed;		/* every host it switched went back */
	int rolled_back;		/* a later rollback undid it before the next deploy */
	int paused;
	long long paused_ts;		/* its last paused note */
	long long live_ts, switch_failed_ts;	/* blue-green: its last switch record, failed switch */
	long long first_fail, restored;	/* ms; 0 unknown */
	long long drill_restore_ms;	/* drills: the slowest host's time to restore */
	int drill_failed;
	const char *outcome;		/* done, reversed, partial, paused, rolled-back, not-live; drill: ok, failed */
	size_t nfail;			/* hosts whose activation failed (the agent switched back) */
	size_t nback;			/* hosts it switched that went back (itself or a later rollback) */
	int deployment;			/* a deploy that switched a host: counts in the metrics */
	unsigned char *hostset;		/* per host: bit 1 switched ok, 2 activation failed, 4 back */
};

struct report_data {
	char **str;			/* interned strings */
	size_t nstr, capstr;
	int *hidx;			/* open-addressing hash of str, -1 empty */
	size_t hcap;
	long long *committed_ms;	/* per string (a release): its manifest's committed_at */
	struct rev *ev;
	size_t nev, capev;
	struct rrollout *ro;
	size_t nro;
	size_t nhosts;
	const char **hosts;		/* names, per host index */
	long long now, since_ms;	/* the window: [now - since_ms, now] */
	/* the detail of one rollout for --rollout: its raw records */
	const char *want;
	struct kvlist *detail;
	int *detail_host;
	size_t ndetail;
};

struct report_metrics {
	size_t deployments, failed, done, drills, drills_ok;
	double cfr, freq;
	double lead_median_s, ttr_median_s, drill_ttr_median_s;	/* < 0: null (none to take it of) */
};

int report_init(struct report_data *d, size_t nhosts, const char **hosts, long long since_days,
    const char *want);
/* Fold one journal record of host h in. */
void report_add(struct report_data *d, int host, const struct kvlist *rec);
/* After every host is in: the rollouts and their outcomes; CUT_OK or CUT_ERR_ALLOC. */
int report_fold(struct report_data *d);
void report_metrics(const struct report_data *d, struct report_metrics *m);
void report_free(struct report_data *d);
static inline const char *
report_str(const struct report_data *d, int i)
{
	return i >= 0 && (size_t)i < d->nstr ? d->str[i] : "";
}

/* Outputs (report-out.c). */
void report_text(const struct report_data *d, const struct report_metrics *m, FILE *f);
void report_json(const struct report_data *d, const struct report_metrics *m, FILE *f);
int report_markdown(const struct report_data *d, FILE *f);
void report_html(const struct report_data *d, const struct report_metrics *m, FILE *f);
/* "2026-12-01T16:00:00Z" */
void report_iso(long long ms, char out[32]);

#endif
