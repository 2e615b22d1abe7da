/* Pieces shared by the ops-*.c files; not part of the ops.h API. */
#ifndef CUT_OPS_COMMON_H
#define CUT_OPS_COMMON_H

#include "app.h"
#include "kv.h"
#include "sink.h"
#include "state.h"

#define STAGING_DIR "staging"
#define TRASH_DIR "trash"

/* Send a {"event":name,"message":msg} progress line. */
void emit_message(const struct sink *sink, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Switch current to id (op "activate" or "rollback"), with hooks and the
 * health check; on failure restore prev and mark id bad. Journals begin
 * and end. CUT_OK, CUT_ERR_REVERSED, or a system error.
 */
int switch_release(struct app *app, const char *op, const char *id, const char *prev,
    const struct sink *sink, struct kvlist *res);

/* Move releases/ID out of the way atomically, then delete it. */
int remove_release(struct app *app, const char *id);

/* Open (creating) a directory below the state dir, O_NOFOLLOW. */
int open_state_subdir(struct app *app, const char *name);

#endif
