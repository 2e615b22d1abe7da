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
	const char *app, *hosts, *group, *exclude, *to, *batch, *actor;
	const char *pool;	/* rollback --pool (blue_green) */
	int dry_run, force_schema;	/* rollback only */
};

struct node;
struct rollout;

/*
 * The options the incident commands share; with_to admits --to, --batch
 * and --actor (rollback). Returns 0, -1 after --help was printed, or exit 2.
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

/* Shared by the incident operations (incident.c). */
/*
 * Open the selection, check its files, connect every host, sending each
 * first_op (NULL none) as soon as it is connected; exit code or 0.
 */
int incident_open(struct rollout *ro, const struct copts *g, const struct incident_opts *o, const char *cmd,
    const char *first_op);
/* Connected, and its last request (if any) succeeded. */
int incident_answered(const struct node *nd);
/*
 * The exit code from how the hosts ended (cutover(1), EXIT STATUS): when
 * every failure is of one kind (configuration, lock, bad input) that
 * kind's code; when nothing moved and no host is unaccounted for, 1; else 5.
 */
int incident_exit(const struct rollout *ro, size_t moved);
/*
 * Would nd's agent refuse switching to target ("" or NULL: its own
 * previous) under the migration guard? 1 with why, from its status
 * (schema-guard.c).
 */
int schema_refuses(const struct node *nd, const char *target, char *why, size_t whylen);
/* status: one "schema:" line per host that knows its applied schema. */
void schema_status_lines(const struct rollout *ro);
/* status: one "dedupe:" summary line when a host has dedupe on (dedupe-status.c). */
void dedupe_status_lines(const struct rollout *ro);
/* One JSON object for a host's result. */
void incident_print_json(const struct node *nd, const char *cmd);
/* Hosts whose app lock is held right now (status RESULTs), space separated. */
void incident_locked_hosts(const struct rollout *ro, char *out, size_t len);

#endif
