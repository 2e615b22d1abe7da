/*
 * The coordinator's command table: one entry per CONTRACT command, one file
 * (cmd-NAME.c) per handler. Handlers get argv after the command name and
 * return a process exit code (0/1/2/3/4/5 per CONTRACT.md).
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

extern const struct coord_cmd coord_cmds[];

int cmd_deploy(const struct copts *g, int argc, char **argv);
int cmd_rollback(const struct copts *g, int argc, char **argv);
int cmd_status(const struct copts *g, int argc, char **argv);
int cmd_history(const struct copts *g, int argc, char **argv);
int cmd_debug_exec(const struct copts *g, int argc, char **argv);
int cmd_dump_config(const struct copts *g, int argc, char **argv);

#endif
