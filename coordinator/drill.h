/*
 * cutover drill (cutover(1), "drill"): rehearse a rollback on live hosts.
 * Each drilled host's agent runs the whole drill under its lock (the
 * agent's drill op, proto/PROTOCOL section 12), so a coordinator or a
 * network lost mid-drill cannot leave a host on the old release.
 */
#ifndef CUT_DRILL_H
#define CUT_DRILL_H

#include "cmd.h"

struct drill_opts {
	const char *app, *hosts, *group, *exclude, *canary, *actor;
};

/* The exit code: 0 the rollback path works, 1 it does not, 5 a host not back (or lost). */
int drill_run(const struct copts *g, const struct drill_opts *o);

#endif
