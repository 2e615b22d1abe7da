/* cutover rollback: the options; the work is incident_rollback() (incident.h). */
#include "config.h"

#include "err.h"
#include "incident.h"

static int
cmd_rollback(const struct copts *g, int argc, char **argv)
{
	struct incident_opts o;
	int rc;

	if ((rc = incident_parse("rollback", argc, argv, &o, 1)) != 0)
		return rc < 0 ? CUT_EXIT_OK : rc;
	return incident_rollback(g, &o);
}

const struct coord_cmd cmd_rollback_entry = {
	"rollback", "rollback [--app APP] [--to ID] [--hosts LIST] [--group G] [--exclude LIST] [--batch N|N%] "
	    "[--actor NAME] [--dry-run] [--force-schema]",
	"undo the most recent deploy still in effect (or go to release ID); never moves a host twice", cmd_rollback
};
