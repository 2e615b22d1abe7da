/*
 * Point ROOT/current at releases/ID atomically: a new relative symlink is
 * made beside it under a unique name and rename(2)d over it, then ROOT is
 * fsync'ed. Readers see the old target or the new one, never neither
 * (`ln -sfn` unlinks first and leaves a window with no `current`).
 * id NULL removes `current` (only used to undo a first-ever activation).
 */
#ifndef CUT_SWAP_H
#define CUT_SWAP_H

#include "app.h"

int swap_current(struct app *app, const char *id);

#endif
