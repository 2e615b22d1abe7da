/*
 * The migration guard as the coordinator sees it (cutover(1), rollback):
 * from each host's status (schema_floor and release_schemas, protocol 1.3)
 * whether its agent would refuse the switch, so a rollback is refused for
 * the whole fleet before any host moves, and --dry-run can say so. The
 * agent's own guard stays the last word (a host never switches below its
 * floor without force_schema).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incident.h"
#include "rollout.h"

/* The schema of release id in "ID=S ID=S ...", or -1. */
static long long
schema_of(const char *list, const char *id)
{
	size_t n = strlen(id);

	for (const char *p = list; p && *p;) {
		const char *sp = strchr(p, ' ');

		if (strncmp(p, id, n) == 0 && p[n] == '=')
			return strtoll(p + n + 1, NULL, 10);
		p = sp ? sp + 1 : NULL;
	}
	return -1;
}

int
schema_refuses(const struct node *nd, const char *target, char *why, size_t whylen)
{
	const char *floor_s = kv_get(&nd->res, "schema_floor");
	const char *applied = kv_get(&nd->res, "schema_applied");
	long long floor, s;

	if (target == NULL || target[0] == '\0')
		target = kv_get(&nd->res, "previous");
	if (target == NULL || target[0] == '\0' || floor_s == NULL || floor_s[0] == '\0')
		return 0;
	floor = strtoll(floor_s, NULL, 10);
	if ((s = schema_of(kv_get(&nd->res, "release_schemas"), target)) < 0 || s >= floor)
		return 0;
	snprintf(why, whylen, "%s runs against schema %lld, but schema %s is applied and runs "
	    "releases from schema %lld on", target, s, applied ? applied : "?", floor);
	return 1;
}

void
schema_status_lines(const struct rollout *ro)
{
	for (size_t i = 0; i < ro->n; i++) {
		const struct node *nd = &ro->nodes[i];
		const char *applied = kv_get(&nd->res, "schema_applied");
		const char *prev = kv_get(&nd->res, "previous");
		char why[512];

		if (nd->st != NODE_READY || applied == NULL || applied[0] == '\0')
			continue;
		printf("schema: %-16s %s applied (runs releases from schema %s on); rollback to %s: %s\n",
		    nd->h->name, applied, kv_get(&nd->res, "schema_floor"), prev && *prev ? prev : "-",
		    prev == NULL || *prev == '\0' ? "nothing to roll back to" :
		    schema_refuses(nd, prev, why, sizeof(why)) ? "REFUSED (schema below the floor)" : "safe");
	}
}
