/* cutover prune: the options; the work is fleetops_run() (fleetops.h). */
#include "config.h"

#include "err.h"
#include "fleetops.h"

static int
cmd_prune(const struct copts *g, int argc, char **argv)
{
	struct fleetops_opts o;
	int rc;

	if ((rc = fleetops_parse("prune", argc, argv, &o, 1, 0)) != 0)
		return rc < 0 ? CUT_EXIT_OK : rc;
	return fleetops_run(g, "prune", &o);
}

const struct coord_cmd cmd_prune_entry = {
	"prune", "prune [--keep N] [--app APP] [--hosts LIST] [--group G] [--exclude LIST]",
	"remove old releases on every selected host (never current, previous or pinned)", cmd_prune
};
