/*
 * The rollout engine: a deploy is one state machine, advanced by
 * engine_advance() one phase at a time. Each phase sends requests to the
 * nodes (node.h), waits on the fleet, and names the next phase; every
 * transition after the start record is written to the rollout journal
 * ("phase state=NAME batch=K"), so a rollout stopped after any phase can
 * be continued (a deploy of the same release inherits it) or reversed
 * (cutover rollback) from its record. See cutover(1), DESCRIPTION, "Rollout".
 *
 *	PLAN -> PREFLIGHT -> STAGE -> SWITCH(1) [-> BAKE(1)] -> SWITCH(2) ... -> DONE
 *	PREFLIGHT, STAGE --failure/interrupt--> ABORTED (nothing switched)
 *	SWITCH(k), BAKE(k) --max_fail exceeded/interrupt--> REVERSING -> REVERSED
 *	REVERSING, or DONE with a switched host lost --> PARTIAL
 *	SWITCH(k) [BAKE(k)] --pause-after k--> PAUSED (state noted on the hosts)
 *	resume: PREFLIGHT -> SWITCH(next) ...    abort: PREFLIGHT -> REVERSING
 *	PLAN --dry-run--> DONE (nothing sent)
 */
#ifndef CUT_ENGINE_H
#define CUT_ENGINE_H

#include <signal.h>
#include <stddef.h>

#include "hexdigest.h"
#include "recompress.h"
#include "release_id.h"
#include "rollout.h"

enum rollout_phase {
	RP_PLAN = 0,	/* batches worked out and printed */
	RP_PREFLIGHT,	/* connect, lock, record each host's current release */
	RP_STAGE,	/* upload + install everywhere at once; nothing switches */
	RP_SWITCH,	/* activate batch `batch` (health checked on each host) */
	RP_BAKE,	/* batch `batch` switched: wait --bake seconds, then re-check it */
	RP_REVERSING,	/* switch the switched hosts back, newest first, one at a time */
	RP_DONE,	/* final: every host on the release */
	RP_REVERSED,	/* final: failed, every switched host back on its previous release */
	RP_PARTIAL,	/* final: some hosts could not be brought to a consistent state */
	RP_ABORTED,	/* final: stopped before anything switched */
	RP_PAUSED,	/* final for this run: --pause-after reached; resume or abort continue it */
	RP_MAX_
};

struct deploy_opts {
	const char *archive, *app, *release, *hosts, *group, *batch;
	const char *canary;	/* N, a group, or host names (comma-separated); NULL none */
	const char *actor;	/* --actor; NULL: from the environment */
	const char *sha256;	/* --sha256: checked against ARCHIVE, or what the agents check a URL's bytes against */
	int url;		/* archive is an http(s) URL: the agents fetch it (cap fetch), nothing is uploaded */
	long long max_fail;	/* -1: from the fleet file */
	long long bake;		/* seconds */
	long long pause_after;	/* batches to switch before pausing; 0 never */
	long long wait;		/* seconds to queue behind another operation's lock */
	int dry_run;
};

struct engine {
	struct rollout *ro;
	const struct deploy_opts *o;
	enum rollout_phase phase;
	size_t batch;		/* SWITCH/BAKE: the batch, 0-based */
	size_t nb, bsize, max_fail;
	size_t *order;		/* node indexes in switching order (canary first) */
	size_t *starts;		/* nb batch starts, positions in order[] */
	size_t ncanary;		/* hosts of the canary batch (0 none) */
	size_t failures;	/* hosts failed so far (preflight on) */
	int locked;		/* a preflight failure was another operation's lock */
	int started;		/* the start record is written: phases and end are journalled */
	enum { ENGINE_DEPLOY, ENGINE_RESUME, ENGINE_ABORT } mode;
	int gate_failed;	/* the fleet's gate command said no */
	size_t nmember;
	int code;		/* CUT_ERR_* the rollout ends with */
	unsigned char *member;	/* per node: locked at preflight, part of the rollout */
	char rel[RELEASE_ID_MAX + 1];
	char sha[SHA256_HEX_LEN + 1];
	const unsigned char *map;	/* the archive, read once (engine.c open_archive) */
	size_t len;
	struct recompress rc;
	char *sig;		/* ARCHIVE.sig's text (signature.h), or NULL */
	char *jbuf;		/* journal lines of the batch, written at once */
	size_t jlen;
	char left[4096];	/* hosts left behind, for the report */
	volatile sig_atomic_t stop;
};

const char *rollout_phase_name(enum rollout_phase p);
/* Plan, run and report a deploy; returns the process exit code. */
int engine_deploy(struct rollout *ro, const struct deploy_opts *o);
/* The release ID deploy derives from ARCHIVE or URL (without --release); CUT_OK or an error. */
int deploy_release_id(const struct deploy_opts *o, char out[RELEASE_ID_MAX + 1]);
/* Run the current phase and move to the next one; 0 once a final phase is reached. */
int engine_advance(struct engine *e);

/* The phases' steps (preflight.c, stage.c, switch.c, reverse.c, report.c). */
enum rollout_phase engine_preflight(struct engine *e);
enum rollout_phase engine_stage(struct engine *e);
enum rollout_phase engine_switch(struct engine *e);
enum rollout_phase engine_bake(struct engine *e);
enum rollout_phase engine_reverse(struct engine *e);
/* Queue one journal line for the batch write; engine_journal_flush() writes them. */
void engine_journal(struct engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void engine_journal_flush(struct engine *e);
/* Append a host name to e->left. */
void engine_leave(struct engine *e, const struct node *nd);
/* Per-host lines and the result; returns the exit code. */
int engine_report(struct engine *e, const char *outcome, int code);
/* The start record of the rollout journal (preflight.c). */
void engine_journal_start(struct engine *e);
/* The gate (gate.c): configured?; run it for the current batch (sets gate_failed). */
int engine_gate_set(const struct engine *e);
void engine_gate(struct engine *e);
/* A paused rollout continued, or reversed (resume.c); exit code. */
int engine_resume(struct rollout *ro, const struct deploy_opts *o, int abort);
/* The end: notes, prune, sessions closed, report (engine.c); exit code. */
int engine_finish(struct engine *e);
void engine_free(struct engine *e);

#endif
