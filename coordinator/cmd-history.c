/* cutover history: the options; the work is incident_history() (incident.h). */
#include "config.h"

#include "err.h"
#include "incident.h"

static int
cmd_history(const struct copts *g, int argc, char **argv)
{
	struct incident_opts o;
	int rc;

	if ((rc = incident_parse("history", argc, argv, &o, 0)) != 0)
		return rc < 0 ? CUT_EXIT_OK : rc;
	return incident_history(g, &o);
}

const struct coord_cmd cmd_history_entry = {
	"history", "history [--app APP] [--hosts LIST] [--group G] [--exclude LIST]",
	"the hosts' journals merged by time", cmd_history
};
