/*
 * `cutover status`: one summary line of hard-link dedupe (cutover-agent.ini(5),
 * dedupe) from the hosts' status fields; nothing when no host has it on.
 */
#include "config.h"

#include <stdio.h>

#include "incident.h"
#include "rollout.h"

void
dedupe_status_lines(const struct rollout *ro)
{
	long long files = 0, bytes = 0;
	size_t on = 0;

	for (size_t i = 0; i < ro->n; i++) {
		const struct node *nd = &ro->nodes[i];
		const char *d = kv_get(&nd->res, "dedupe");

		if (nd->st != NODE_READY || d == NULL || kv_get(&nd->res, "current_dedupe_bytes") == NULL)
			continue;
		if (kv_get_int(&nd->res, "current_dedupe_bytes", 0) == 0 &&
		    (d[0] == 'f' || d[0] == '0'))
			continue;
		on++;
		files += kv_get_int(&nd->res, "current_dedupe_files", 0);
		bytes += kv_get_int(&nd->res, "current_dedupe_bytes", 0);
	}
	if (on > 0)
		printf("dedupe: %zu host%s; their current releases saved %lld bytes "
		    "(%lld files linked, not written)\n", on, on == 1 ? "" : "s", bytes, files);
}
