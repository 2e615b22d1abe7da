/*
 * The agent's operations, shared by the command line and `serve`.
 *
 * Each takes an opened, locked app (app.h), reports progress to a sink and
 * fills `res` with the result fields ("message" is the one human line).
 * Return CUT_OK or a CUT_ERR_* whose exit code is cut_exit_code():
 *   CUT_ERR_BAD_ARCHIVE/BAD_ID/CHECKSUM/EXISTS/NO_RELEASE -> 3, nothing changed
 *   CUT_ERR_REVERSED -> 1, the previous release is current again
 * On error, res holds "error" with the one line to print.
 */
#ifndef CUT_OPS_H
#define CUT_OPS_H

#include "app.h"
#include "kv.h"
#include "sink.h"
#include "source.h"

struct install_req {
	const char *release;		/* ID, or NULL to derive from archive_name */
	const char *archive_name;	/* for ID derivation and the journal */
	const char *sha256;		/* expected hex digest of src's bytes, or NULL */
	/*
	 * Protocol 1.1: src is a recompression of the user's archive and this
	 * is that archive's hex digest, or NULL. When set it is the release's
	 * identity (journalled and returned as sha256, compared with an
	 * existing release's); src's own digest is journalled as stream_sha256.
	 */
	const char *archive_sha256;
	/*
	 * Protocol 1.4: the armored `ssh-keygen -Y sign -n cutover` signature
	 * of src's bytes, or NULL; checked under the app's policy (sigcheck.h).
	 */
	const char *signature;
	const struct byte_source *src;
	/*
	 * Protocol 1.4 (cap fetch): the archive is fetched from this http(s)
	 * URL (fetch.h, with the app's fetch_* keys) and src is unused; sha256
	 * is then required. Journalled as url (query string hidden).
	 */
	const char *url;
};

int op_install(struct app *app, const struct install_req *req,
    const struct sink *sink, struct kvlist *res);
int op_activate(struct app *app, const char *id, const struct sink *sink,
    struct kvlist *res);
int op_deploy(struct app *app, const struct install_req *req,
    const struct sink *sink, struct kvlist *res);
/* The deploy of a release already installed: activate (journalled via=deploy), prune. */
int op_deploy_installed(struct app *app, const char *id, const struct sink *sink,
    struct kvlist *res);
/* The prune every successful deploy ends with; its failure is only reported. */
void prune_after_deploy(struct app *app, const struct sink *sink, struct kvlist *res);
/* to: NULL for the journal's previous good release. */
int op_rollback(struct app *app, const char *to, const struct sink *sink,
    struct kvlist *res);
/*
 * Rehearse a rollback (drill.c): previous good release with its health
 * check, then back to current with its health check. res: release (the
 * start), target, current, outcome (ok, refused, failed, unhealthy,
 * stranded), restore_ms, forward_ms, duration_ms. CUT_OK; CUT_ERR_REVERSED
 * (exit 1) when the rollback leg failed and current is back;
 * CUT_ERR_BAD_ID (3) refused by the migration guard; CUT_ERR_FAILED (1,
 * outcome unhealthy or stranded) when current fails its health check after
 * the drill or is not back.
 */
int op_drill(struct app *app, const struct sink *sink, struct kvlist *res);
int op_status(struct app *app, const struct sink *sink, struct kvlist *res);
/* One sink record per journal entry. */
int op_history(struct app *app, const struct sink *sink, struct kvlist *res);
/* The same, without begin records when ends_only, with only the comma-separated fields (NULL all). */
int op_history_filtered(struct app *app, int ends_only, const char *fields, const struct sink *sink,
    struct kvlist *res);
/* keep: <= 0 for the configured value. */
int op_prune(struct app *app, int keep, const struct sink *sink, struct kvlist *res);
int op_pin(struct app *app, const char *id, int pin, const struct sink *sink,
    struct kvlist *res);
/*
 * Run the current release's health check as an activation does, switching
 * nothing; journal op=check. CUT_ERR_NO_RELEASE without a current release,
 * CUT_ERR_FAILED (exit 1) when the check fails; res has release, healthy.
 */
int op_check(struct app *app, const struct sink *sink, struct kvlist *res);
/*
 * Journal one op=rollout record: state plus the further fields in extra
 * (the identity fields come from journal_identity). Changes nothing else.
 */
int op_note(struct app *app, const char *state, const struct kvlist *extra,
    struct kvlist *res);
/*
 * The args of a note request: state (one of the rollout states) and the
 * further fields, copied into extra (rollout, kind, actor, wait skipped).
 * CUT_OK, or CUT_ERR_BAD_ID (exit 3) with one line in why.
 */
int op_note_args(const struct kvlist *args, const char **state, struct kvlist *extra,
    char *why, size_t whylen);
/*
 * Seconds an activate or rollback of app can take at most with its
 * configured hooks and health check (cutover-agent(8), "worst_case_s").
 */
long long op_worst_case_s(const struct app *app);

/*
 * The one way into an app, for the command line and for serve alike: open
 * it (read-only when !lock: creates nothing), and for a command that changes
 * disk take the lock (waiting up to wait_seconds) and recover a killed
 * predecessor (op_recover). On failure the app is closed and err holds the
 * one line to print ("locked by another operation: HOLDER", the owner check
 * of cutover-agent(8) "User", a recovery error with path and errno).
 */
int op_enter(struct app *app, const char *config_file, const char *name, int lock,
    int wait_seconds, const struct sink *sink, char *err, size_t errlen);

/*
 * Under the lock, before any operation: remove staging and trash leftovers
 * of killed processes, and undo a half-done activation, journalling what
 * was done. Reports each action as an event. On failure err holds the one
 * line to print, naming the path and the system error.
 */
int op_recover(struct app *app, const struct sink *sink, char *err, size_t errlen);

#endif
