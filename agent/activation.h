/*
 * The activation core: what activate, deploy, rollback and recovery use to
 * move `current` (ops.h has the operations themselves).
 *
 *	char cur[RELEASE_ID_MAX + 1];
 *	r = read_current(app, cur);                       // "" when there is none
 *	r = switch_release(app, "activate", NULL, id, cur, sink, res);
 *	r = swap_current(app, id);                        // the bare link swap
 *
 * All return CUT_OK or a CUT_ERR_* (CUT_ERR_SYSTEM with errno kept).
 */
#ifndef CUT_ACTIVATION_H
#define CUT_ACTIVATION_H

#include "app.h"
#include "kv.h"
#include "release_id.h"
#include "sink.h"

/*
 * Point ROOT/current at releases/ID atomically: a new relative symlink is
 * made beside it under a unique name and rename(2)d over it, then ROOT is
 * fsync'ed. Readers see the old target or the new one, never neither
 * (`ln -sfn` unlinks first and leaves a window with no `current`).
 * id NULL removes `current` (only used to undo a first-ever activation).
 */
int swap_current(struct app *app, const char *id);

/* Read ROOT/current into id ("" when absent). CUT_ERR_SYSTEM if it is not ours. */
int read_current(struct app *app, char id[RELEASE_ID_MAX + 1]);

/*
 * Switch current to id (op "activate" or "rollback"), with hooks and the
 * health check; on failure restore prev and mark id bad. Journals begin
 * and end, with via=VIA when via is not NULL ("deploy": the activation of
 * a deploy). CUT_OK, CUT_ERR_REVERSED, or a system error.
 */
int switch_release(struct app *app, const char *op, const char *via, const char *id,
    const char *prev, const struct sink *sink, struct kvlist *res);

/*
 * Switch to id unless it is already current, after the migration guard
 * (refused: CUT_ERR_BAD_ID with schema_refused in res, unless
 * app->force_schema). op "activate" or "rollback"; via as above, "drill"
 * for a drill's legs (its activate never reverses: drill.c).
 */
int switch_checked(struct app *app, const char *op, const char *via, const char *id,
    const struct sink *sink, struct kvlist *res);

#endif
