/*
 * What every coordinator command does first: load the fleet file and
 * resolve --hosts/--group/--exclude into a host selection (fenced hosts
 * are announced here, once).
 *
 *	struct coord_run run;
 *	if ((rc = coord_load(g, hosts, group, exclude, &run)) != 0)
 *		return rc;              // message printed; rc is the exit code (2)
 *	... run.sel.hosts[i] ...
 *	coord_unload(&run);
 */
#ifndef CUT_COORD_COMMON_H
#define CUT_COORD_COMMON_H

#include "cmd.h"
#include "fleet_conf.h"

struct coord_run {
	struct fleet_conf fc;
	struct fleet_sel sel;
};

int coord_load(const struct copts *g, const char *hosts, const char *group, const char *exclude,
    struct coord_run *run);
void coord_unload(struct coord_run *run);
/* "h13 (--exclude) h14 (enabled = no)": the fenced hosts for a plan or report line; "" when none. */
void coord_excluded_text(const struct fleet_sel *sel, char *buf, size_t len);
/* Files every selected host needs before connecting (known_hosts); exit code 2 when one is unusable. */
int coord_check_files(const struct coord_run *run);

/* Print "usage: cutover USAGE" for the named command; returns exit code 2. */
int coord_usage(const char *cmd);
/* CMD --help: usage and description on stdout; returns exit code 0. */
int coord_help(const char *cmd);

#endif
