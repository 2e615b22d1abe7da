/*
 * The coordinator's own rollout journal: one append-only, fsync'ed text file
 * per (fleet file, app) under $XDG_STATE_HOME/cutover, else
 * ~/.local/state/cutover, else /var/lib/cutover. A coordinator killed in the
 * middle of a rollout leaves a rollout without an "end" line; `cutover
 * status` shows it, `cutover rollback` sends its switched hosts back to the
 * previous releases recorded here, and a new deploy inherits them.
 *
 * One record per line, "TYPE key=value ...", values without blanks:
 *	start ts=MS release=ID sha256=HEX hosts=N id=ROLLOUT
 *	host name=H prev=ID          (one per host, written with start)
 *	phase state=NAME [batch=K of=N] ts=MS   (the engine entered a phase, engine.h)
 *	switching name=H             (before the activate request goes out)
 *	switched name=H              (its activation and health check passed)
 *	failed name=H
 *	reversed name=H release=ID
 *	end ts=MS outcome=WORD
 *
 *	struct rjournal j;
 *	rj_open(&j, fleet_file, app);          // -> j.fd < 0 when no state dir works
 *	rj_printf(&j, "switched name=%s", h);  // write + fsync, one line
 *	rj_last(fleet_file, app, &last);       // the newest rollout, read back
 */
#ifndef CUT_RJOURNAL_H
#define CUT_RJOURNAL_H

#include <limits.h>
#include <stddef.h>

#include "name_index.h"
#include "release_id.h"

#define RJ_NAME_MAX	256
#define RJ_REL_MAX	(RELEASE_ID_MAX + 1)

struct rjournal {
	int fd;
	char path[PATH_MAX];
};

struct rj_host {
	char name[RJ_NAME_MAX];
	char prev[RJ_REL_MAX];	/* "" when it had no release */
	int switching;		/* an activate was sent: it may have switched */
	int switched;
	int failed;
	int reversed;
};

struct rj_rollout {
	int found;		/* a start record was read */
	int ended;		/* ... and its end record */
	long long ts;		/* start, wall-clock ms */
	char release[RJ_REL_MAX];
	char id[RJ_REL_MAX];	/* the rollout's ID ("" in journals that predate it) */
	char sha256[65];
	char outcome[32];
	char phase[16];		/* the last phase entered ("" none recorded) */
	long long batch, nbatches;	/* its batch (1-based) and the plan's batches, 0 none */
	struct rj_host *hosts;
	size_t n;
	size_t cap;		/* hosts allocated */
	struct name_index by_name;	/* host name -> its index in hosts */
	char path[PATH_MAX];
};

/* Open (create) the journal for writing; 0 or CUT_ERR_*, message on stderr. */
int rj_open(struct rjournal *j, const char *fleet_file, const char *app);
/* Append whole lines (text ends with a newline) in one write, then fsync. */
int rj_write(struct rjournal *j, const char *text, size_t len);
/* Append one record line and fsync it; no-op without an open journal. */
int rj_printf(struct rjournal *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rj_close(struct rjournal *j);
/* 1 when line (len bytes, no newline) is one well-formed record, as rj_printf writes only those. */
int rj_record_ok(const char *line, size_t len);

/* Read back the newest rollout of (fleet file, app); found = 0 when none. */
int rj_last(const char *fleet_file, const char *app, struct rj_rollout *r);
void rj_rollout_free(struct rj_rollout *r);
/*
 * Did r leave hosts off their recorded previous release without finishing?
 * True when it has no end record, or ended other than "done" with hosts
 * switched and not reversed (a partial rollout).
 */
int rj_unsettled(const struct rj_rollout *r);
/* The entry for host name in r, or NULL (a hash lookup: callers ask once per host). */
const struct rj_host *rj_find(const struct rj_rollout *r, const char *name);

#endif
