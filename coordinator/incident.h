/*
 * The incident operations behind `cutover rollback`, `status` and
 * `history` (cutover(1)): each connects to every selected host at once.
 * They return the process exit code.
 */
#ifndef CUT_INCIDENT_H
#define CUT_INCIDENT_H

#include <stddef.h>

#include "cmd.h"

struct incident_opts {
	const char *app, *hosts, *group, *exclude, *to, *batch;
};

/*
 * The options the incident commands share; with_to admits --to and
 * --batch (rollback). Returns 0, -1 after --help was printed, or exit 2.
 */
int incident_parse(const char *cmd, int argc, char **argv, struct incident_opts *o, int with_to);

struct rollout;
/*
 * The exit code of a fleet command from how its hosts ended (cutover(1),
 * EXIT STATUS); moved counts the hosts it changed. Shared with fleetops.c.
 */
int incident_exit(const struct rollout *ro, size_t moved);

int incident_rollback(const struct copts *g, const struct incident_opts *o);
int incident_status(const struct copts *g, const struct incident_opts *o);
int incident_history(const struct copts *g, const struct incident_opts *o);

#endif
