/*
 * The PLAN phase of a deploy: which hosts switch in which batch (the
 * canary batch first, then equal batches of the rest in selection order), printed
 * before anything is sent (`cutover deploy --dry-run` stops there).
 */
#ifndef CUT_PLAN_H
#define CUT_PLAN_H

#include "engine.h"

/*
 * Fill e->order, e->starts, e->nb from e->bsize and --canary (N, a group
 * or host names); 0, or exit code 2 with one line for a canary that names
 * no selected host.
 */
int plan_batches(struct engine *e);
/* Position in e->order after batch b. */
size_t plan_batch_end(const struct engine *e, size_t b);
/* The batch (0-based) node i switches in. */
size_t plan_batch_of(const struct engine *e, size_t i);
/* Print the plan; RP_DONE for --dry-run, else RP_PREFLIGHT. */
enum rollout_phase engine_plan(struct engine *e);

#endif
