/*
 * Per-host release housekeeping across the fleet: `cutover prune`,
 * `cutover pin ID`, `cutover unpin ID` (cutover(1)). Each sends one agent
 * request (proto/PROTOCOL: prune keep, pin/unpin release) to every
 * selected host at once and prints one line or JSON object per host.
 */
#ifndef CUT_FLEETOPS_H
#define CUT_FLEETOPS_H

#include "cmd.h"

struct fleetops_opts {
	const char *app, *hosts, *group, *exclude;
	const char *id;		/* pin, unpin: the release */
	long long keep;		/* prune: 0 = each host's configured keep */
};

/*
 * Parse cmd's options (with_keep: --keep N; with_id: one release ID
 * operand). Returns 0, -1 after --help was printed, or exit 2.
 */
int fleetops_parse(const char *cmd, int argc, char **argv, struct fleetops_opts *o, int with_keep,
    int with_id);
/* Run cmd ("prune", "pin", "unpin") on the selection; returns the exit code. */
int fleetops_run(const struct copts *g, const char *cmd, const struct fleetops_opts *o);

#endif
