/*
 * Blue-green across host pools (cutover(1), "Blue-green"; cutover.ini(5)
 * blue_green and switch): two groups of the fleet file are the pools, one
 * live behind the load balancer, one idle. deploy installs and activates
 * the release on the idle pool only (the engine, unchanged), then runs
 * the fleet's switch command to make that pool live; rollback runs switch
 * back to the other pool, touching no host. Every switch is recorded on
 * every host of both pools (a note with state=live, protocol 1.4), so
 * status and rollback read the live pool from the hosts; the newest
 * record wins, and before the first switch the first pool is live.
 */
#ifndef CUT_BLUEGREEN_H
#define CUT_BLUEGREEN_H

#include "cmd.h"
#include "engine.h"
#include "incident.h"

struct rollout;

/* Does the fleet file set blue_green? (A file that does not load is left to the command.) */
int bg_configured(const struct copts *g);
/* deploy in blue-green mode: pool NULL means the idle one; exit code. */
int bg_deploy(const struct copts *g, const struct deploy_opts *o, const char *exclude, const char *pool);
/* rollback in blue-green mode: switch back (or to pool), or --to within the live pool; exit code. */
int bg_rollback(const struct copts *g, const struct incident_opts *o, const char *pool);
/* status: the live pool line (or JSON event) from the hosts' status results. */
void bg_status_print(struct rollout *ro);

#endif
