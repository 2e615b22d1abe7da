/*
 * The PLAN phase of a deploy: which hosts switch in which batch (the
 * canary batch first, then equal batches in selection order), printed
 * before anything is sent (`cutover deploy --dry-run` stops there).
 */
#ifndef CUT_PLAN_H
#define CUT_PLAN_H

#include "engine.h"

/* Fill e->starts/e->nb from e->bsize and --canary; 0 or CUT_ERR_ALLOC. */
int plan_batches(struct engine *e);
/* First host index after batch b. */
size_t plan_batch_end(const struct engine *e, size_t b);
/* Print the plan; RP_DONE for --dry-run, else RP_PREFLIGHT. */
enum rollout_phase engine_plan(struct engine *e);

#endif
