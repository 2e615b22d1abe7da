/* The blue-green switch command (bg-switch.c; cutover.ini(5), switch). */
#ifndef CUT_BG_SWITCH_H
#define CUT_BG_SWITCH_H

#include <stddef.h>

struct rollout;

/* Its environment (cutover.ini(5), switch). */
struct bg_switch_env {
	const char *live;		/* CUTOVER_LIVE: the pool to make live */
	const char *live_hosts;		/* CUTOVER_LIVE_HOSTS: its hosts, space separated */
	const char *release;		/* CUTOVER_RELEASE: what that pool runs */
	const char *previous_live;	/* CUTOVER_PREVIOUS_LIVE: the pool live until now */
	const char *app;		/* CUTOVER_APP */
	const char *action;		/* CUTOVER_ACTION: deploy or rollback */
};

struct bg_switch_result {
	char output[4096];	/* what it printed, first bytes */
	size_t len, lost;	/* bytes kept, bytes beyond the bound */
	char why[128];		/* how it failed */
};

/*
 * Run cmd under /bin/sh; the sessions of ro (may be NULL) are kept alive
 * meanwhile. 0 when it exited 0; -1 with r->why otherwise (killed after
 * timeout_s, or on a stop signal).
 */
int bg_run_switch(struct rollout *ro, const char *cmd, const struct bg_switch_env *env, long long timeout_s,
    struct bg_switch_result *r);
/* Its output on stderr, one "switch: | " line each. */
void bg_print_output(const struct bg_switch_result *r);

#endif
