/*
 * The stage phase of a deploy: every locked host is asked whether it has
 * the release already, then all install it at once. Hosts that read zstd
 * get the recompressed stream (recompress.h), the others the archive.
 */
#ifndef CUT_STAGE_H
#define CUT_STAGE_H

#include <stddef.h>

#include "recompress.h"
#include "rollout.h"

struct stage_src {
	const unsigned char *map;	/* the archive */
	size_t len;
	const char *sha256;		/* its digest: the release's identity */
	const char *release;
	const char *archive_name;
	struct recompress *rc;		/* started or not; finished here */
};

/* The zstd level this rollout recompresses at: 0 when fewer than 2 hosts want it. */
int stage_recompress_level(const struct rollout *ro);
/* have + install (+ upload) on every idle node; results are in the nodes. */
void stage_run(struct rollout *ro, const struct stage_src *src);

#endif
