/*
 * The app's state as derived from the journal (journal.h) plus what is on
 * disk: which releases exist, which is current, which ones are bad, pinned
 * or never activated, and where a rollback goes.
 *
 *	const struct state *st;              // under the lock
 *	r = app_state(app, &st);
 *	const char *to = state_rollback_target(st);
 *
 *	struct state st;                     // read-only commands, no lock
 *	r = state_load(app, &st);
 *	state_free(&st);
 */
#ifndef CUT_STATE_H
#define CUT_STATE_H

#include "app.h"
#include "hexdigest.h"
#include "ident.h"
#include "kv.h"
#include "manifest.h"
#include "release_id.h"

struct release_info {
	char id[RELEASE_ID_MAX + 1];
	char sha256[SHA256_HEX_LEN + 1];	/* "" when unknown (not installed by us) */
	long long installed_seq;/* journal position of its install; 0 = unknown */
	long long installed_ms;
	int on_disk;		/* releases/ID exists now */
	int activated;		/* was current after a successful activation */
	int bad;		/* failed an activation: never an automatic target */
	int pinned;		/* protected from prune */
	struct manifest man;	/* from its install record; man.present 0 without one */
	/* SHA256: fingerprint of the key whose signature its install verified, or "" (1.4) */
	char signature_key[64];
	/* dedupe (cutover-agent.ini(5)): files and bytes linked at its install, not written */
	long long dedupe_files, dedupe_bytes;
	int dedupe;		/* its install record has the dedupe fields */
};

/*
 * The journal record (phase end, outcome ok) of the last switch of
 * current: what status reports as current_op, current_rollout, ...
 * Fields the record lacks (journals older than them) are "" or 0.
 */
struct switch_info {
	char op[16];				/* activate, deploy or rollback; "" none */
	char release[RELEASE_ID_MAX + 1];	/* the release it made current */
	char from[RELEASE_ID_MAX + 1];		/* current before it ("" none) */
	char rollout[IDENT_ROLLOUT_MAX + 1];
	char kind[IDENT_KIND_MAX + 1];
	char actor[IDENT_ACTOR_MAX + 1];
	long long ts_ms;
};

struct state {
	char current[RELEASE_ID_MAX + 1];	/* "" when no current link */
	struct release_info *rel;		/* every release known or on disk */
	size_t nrel;
	char (*stack)[RELEASE_ID_MAX + 1];	/* activation history, oldest first */
	size_t nstack;
	long long last_activation_seq;		/* journal position of the last switch */
	long long seq;				/* records folded in so far */
	/* The last "begin" with no "end" after it: a killed operation. */
	struct kvlist pending;
	int has_pending;
	struct switch_info last_switch;
	/* The most recent op=rollout record (the `note` request), if any. */
	struct kvlist note;
	int has_note;
	/* The most recent note with state=live (a blue-green switch), kept apart from note. */
	struct kvlist live;
	int has_live;
	/* The migration guard (manifest.h): highest schema activated and its compatible_from. */
	int schema_known;
	long long schema_applied, schema_floor;
	/* A drill's switch back restores what made current current before it (drill.c). */
	struct switch_info pre_drill;
	int in_drill;
};

/* Replay the whole journal and look at the disk: a private copy, for reads without the lock. */
int state_load(struct app *app, struct state *st);
void state_free(struct state *st);
/* Fold one journal record into st (the replay's step); 0 or CUT_ERR_ALLOC. */
int state_apply(struct state *st, const struct kvlist *rec);

/*
 * Under the lock: the app's state, kept in app->state. The journal is
 * replayed at the first call only (recovery's, so it sees the file as it
 * was at lock time); journal_append folds each record it writes in with
 * state_apply, and current and on_disk are re-read from the disk on every
 * call. Do not modify it; it and what it points to are valid until the
 * next app_state(), journal_append() or app_unlock().
 */
int app_state(struct app *app, const struct state **stp);
/* journal_append wrote rec: fold it into app->state, if loaded. */
void app_state_journalled(struct app *app, const struct kvlist *rec);
/* Forget app->state; the next app_state() replays the journal. */
void app_state_drop(struct app *app);

struct release_info *state_find(const struct state *st, const char *id);
/* Previous good release on disk (journal order), or NULL. */
const char *state_rollback_target(const struct state *st);

#endif
