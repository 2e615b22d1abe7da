/* The coordinator's commands, in the order --help lists them. */
#include "config.h"

#include <stddef.h>

#include "cmd.h"

const struct coord_cmd coord_cmds[] = {
	{ "deploy", "deploy ARCHIVE [--app APP] [--release ID] [--hosts LIST|--group G] [--batch N|N%] "
	    "[--max-fail N] [--canary N] [--bake SECONDS] [--dry-run]",
	    "roll a release out in batches; reverse it node by node on failure", cmd_deploy },
	{ "rollback", "rollback [--app APP] [--to ID] [--hosts LIST|--group G] [--batch N|N%]",
	    "every selected host back to its previous release (or ID)", cmd_rollback },
	{ "status", "status [--app APP] [--hosts LIST|--group G]",
	    "one row per host: current, previous, lock, reachable", cmd_status },
	{ "history", "history [--app APP] [--hosts LIST|--group G]",
	    "the hosts' journals merged by time", cmd_history },
	{ "debug-exec", "debug-exec [--hosts LIST|--group G] COMMAND",
	    NULL, cmd_debug_exec },
	{ "dump-config", "dump-config [--hosts LIST|--group G]", NULL, cmd_dump_config },
	{ NULL, NULL, NULL, NULL }
};
