/*
 * The STAGE phase of a deploy (engine_stage, engine.h): every locked host
 * is asked whether it has the release already, then all install it at
 * once. Hosts that read zstd get the recompressed stream (recompress.h),
 * the others the archive.
 */
#ifndef CUT_STAGE_H
#define CUT_STAGE_H

#include <stddef.h>

#include "recompress.h"
#include "rollout.h"

/* The zstd level this rollout recompresses at: 0 when fewer than 2 hosts want it. */
int stage_recompress_level(const struct rollout *ro);

#endif
