/*
 * The coordinator's commands. Each cmd-NAME.c owns its entry (name, usage
 * text, one-line help, handler), as tmux's cmd-*.c do; cmd.c lists the
 * entries in the order --help shows them. Handlers get argv after the
 * command name, parse their options and hand the work to the engine
 * (engine.h, incident.h); they return the exit code of cutover(1).
 */
#ifndef CUT_COORD_CMD_H
#define CUT_COORD_CMD_H

struct copts {
	const char *fleet_file;	/* -f FILE, or the default path */
	int json;		/* --json: one JSON object per event/result on stdout */
	int verbose;		/* -v: host state changes and agent stderr */
};

struct coord_cmd {
	const char *name;
	const char *usage;	/* after "cutover [OPTIONS] " */
	const char *help;	/* one line; NULL hides the command from --help */
	int (*run)(const struct copts *g, int argc, char **argv);
};

extern const struct coord_cmd cmd_deploy_entry;
extern const struct coord_cmd cmd_rollback_entry;
extern const struct coord_cmd cmd_resume_entry;
extern const struct coord_cmd cmd_abort_entry;
extern const struct coord_cmd cmd_status_entry;
extern const struct coord_cmd cmd_history_entry;
extern const struct coord_cmd cmd_debug_exec_entry;
extern const struct coord_cmd cmd_dump_config_entry;
extern const struct coord_cmd cmd_prune_entry;
extern const struct coord_cmd cmd_pin_entry;
extern const struct coord_cmd cmd_unpin_entry;
extern const struct coord_cmd cmd_drill_entry;
extern const struct coord_cmd cmd_report_entry;

/* Every command, NULL-terminated. */
extern const struct coord_cmd *const coord_cmds[];
/* The entry named name, or NULL. */
const struct coord_cmd *coord_cmd_find(const char *name);

#endif
