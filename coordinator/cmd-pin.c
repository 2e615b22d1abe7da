/* cutover pin ID, cutover unpin ID: the options; the work is fleetops_run() (fleetops.h). */
#include "config.h"

#include "err.h"
#include "fleetops.h"

static int
pin_or_unpin(const struct copts *g, const char *cmd, int argc, char **argv)
{
	struct fleetops_opts o;
	int rc;

	if ((rc = fleetops_parse(cmd, argc, argv, &o, 0, 1)) != 0)
		return rc < 0 ? CUT_EXIT_OK : rc;
	return fleetops_run(g, cmd, &o);
}

static int
cmd_pin(const struct copts *g, int argc, char **argv)
{
	return pin_or_unpin(g, "pin", argc, argv);
}

static int
cmd_unpin(const struct copts *g, int argc, char **argv)
{
	return pin_or_unpin(g, "unpin", argc, argv);
}

const struct coord_cmd cmd_pin_entry = {
	"pin", "pin ID [--app APP] [--hosts LIST] [--group G] [--exclude LIST]",
	"keep release ID on every selected host: prune never removes it", cmd_pin
};

const struct coord_cmd cmd_unpin_entry = {
	"unpin", "unpin ID [--app APP] [--hosts LIST] [--group G] [--exclude LIST]",
	"let prune remove release ID again on every selected host", cmd_unpin
};
