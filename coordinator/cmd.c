/* The coordinator's commands, in the order --help lists them (cmd.h). */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "cmd.h"

const struct coord_cmd *const coord_cmds[] = {
	&cmd_deploy_entry,
	&cmd_rollback_entry,
	&cmd_resume_entry,
	&cmd_abort_entry,
	&cmd_status_entry,
	&cmd_history_entry,
	&cmd_drill_entry,
	&cmd_report_entry,
	&cmd_prune_entry,
	&cmd_pin_entry,
	&cmd_unpin_entry,
	&cmd_debug_exec_entry,
	&cmd_dump_config_entry,
	NULL
};

const struct coord_cmd *
coord_cmd_find(const char *name)
{
	for (const struct coord_cmd *const *c = coord_cmds; *c; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}
