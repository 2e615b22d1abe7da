/* cutover status: the options; the work is incident_status() (incident.h). */
#include "config.h"

#include "err.h"
#include "incident.h"

static int
cmd_status(const struct copts *g, int argc, char **argv)
{
	struct incident_opts o;
	int rc;

	if ((rc = incident_parse("status", argc, argv, &o, 0)) != 0)
		return rc < 0 ? CUT_EXIT_OK : rc;
	return incident_status(g, &o);
}

const struct coord_cmd cmd_status_entry = {
	"status", "status [--app APP] [--hosts LIST] [--group G] [--exclude LIST]",
	"one row per host: current, previous, lock, reachable", cmd_status
};
