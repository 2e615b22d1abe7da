/* cutover rollback: the options; the work is incident_rollback() (incident.h). */
#include "config.h"

#include "bluegreen.h"
#include "err.h"
#include "incident.h"
#include "log.h"

static int
cmd_rollback(const struct copts *g, int argc, char **argv)
{
	struct incident_opts o;
	int rc;

	if ((rc = incident_parse("rollback", argc, argv, &o, 1)) != 0)
		return rc < 0 ? CUT_EXIT_OK : rc;
	if (bg_configured(g))
		return bg_rollback(g, &o, o.pool);
	if (o.pool) {
		log_error("rollback: --pool needs blue_green in the fleet file");
		return CUT_EXIT_USAGE;
	}
	return incident_rollback(g, &o);
}

const struct coord_cmd cmd_rollback_entry = {
	"rollback", "rollback [--app APP] [--to ID] [--hosts LIST] [--group G] [--exclude LIST] [--batch N|N%] "
	    "[--actor NAME] [--dry-run] [--force-schema] [--pool NAME]",
	"undo the most recent deploy still in effect (or go to release ID); never moves a host twice", cmd_rollback
};
