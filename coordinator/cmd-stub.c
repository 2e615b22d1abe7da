/* Placeholders for the rollout commands until rollout.c lands. */
#include "config.h"

#include "cmd.h"
#include "err.h"
#include "log.h"

static int
not_yet(const char *name)
{
	log_error("%s: not implemented yet", name);
	return CUT_EXIT_USAGE;
}

int cmd_deploy(const struct copts *g, int argc, char **argv) { (void)g; (void)argc; (void)argv; return not_yet("deploy"); }
int cmd_rollback(const struct copts *g, int argc, char **argv) { (void)g; (void)argc; (void)argv; return not_yet("rollback"); }
int cmd_status(const struct copts *g, int argc, char **argv) { (void)g; (void)argc; (void)argv; return not_yet("status"); }
int cmd_history(const struct copts *g, int argc, char **argv) { (void)g; (void)argc; (void)argv; return not_yet("history"); }
