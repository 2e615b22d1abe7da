/*
 * One app on this server, opened: its settings and directory handles.
 * Commands enter an app through op_enter() (ops.h), which does this:
 *
 *	struct app app;
 *	r = app_open(&app, config_file, "web" or "/srv/web", err, errlen);
 *	r = app_lock(&app, wait_seconds, holder, holderlen); // CUT_ERR_LOCKED -> exit 4
 *	r = op_recover(&app, sink, err, errlen);     // finish/undo a killed operation
 *	... operations ...
 *	app_close(&app);                             // also releases the lock
 *
 * app_open refuses (CUT_ERR_CONFIG) when root opens a ROOT another user
 * owns: cutover-agent(8), "User". Everything below ROOT is reached through
 * the dirfds with *at() calls, so a symlink planted inside ROOT can never
 * redirect a write or a delete.
 */
#ifndef CUT_APP_H
#define CUT_APP_H

#include "agent_conf.h"
#include "kv.h"
#include "sink.h"

#define STATE_DIR ".cutover"
#define RELEASES_DIR "releases"
#define SHARED_DIR "shared"
#define CURRENT_LINK "current"
#define STAGING_DIR "staging"	/* below STATE_DIR: installs being unpacked */
#define TRASH_DIR "trash"	/* below STATE_DIR: releases being deleted */

struct state;

struct app {
	struct app_conf conf;	/* name, root and every [app] key */
	char **shared;		/* validated shared paths, NULL-terminated */
	int rootfd;		/* ROOT; -1 if missing (read-only open) */
	int statefd;		/* ROOT/.cutover; likewise */
	int releasesfd;		/* ROOT/releases; likewise */
	int lockfd;		/* ROOT/.cutover/lock while held, else -1 */
	struct state *state;	/* journal state while locked (state.h app_state), or NULL */
	int force_schema;	/* --force-schema: switch below the schema floor (manifest.h) */
};

/*
 * Resolve APP (config name, or a path containing '/') and open ROOT,
 * creating ROOT/releases and ROOT/.cutover when missing.
 */
int app_open(struct app *app, const char *config_file, const char *name,
    char *err, size_t errlen);
/*
 * The same for read-only commands (status, history, have): creates
 * nothing. A missing ROOT, .cutover or releases/ leaves its fd at -1, and
 * the readers (state_load, journal_foreach, app_lock_probe) see an app with
 * nothing deployed. Never lock an app opened this way.
 */
int app_open_readonly(struct app *app, const char *config_file, const char *name,
    char *err, size_t errlen);
void app_close(struct app *app);

/*
 * Take the app's lock (flock(2), so a killed holder never leaves it stale).
 * wait_seconds 0 fails at once with CUT_ERR_LOCKED; holder (may be NULL)
 * then describes who holds it: "pid 123, user deploy, since ..., cutover-agent deploy ...".
 */
int app_lock(struct app *app, int wait_seconds, char *holder, size_t holderlen);
/* Also forgets app->state: without the lock others may append. */
void app_unlock(struct app *app);
/* Lock state without taking it: 0 free, 1 held (holder filled). */
int app_lock_probe(struct app *app, char *holder, size_t holderlen);

/* Open (creating) a directory below the state dir, O_NOFOLLOW. */
int open_state_subdir(struct app *app, const char *name);

/* Move releases/ID out of the way atomically (into TRASH_DIR), then delete it. */
int remove_release(struct app *app, const char *id);

#endif
