/*
 * The agent's command table: one entry per command of cutover-agent(8), one
 * file (cmd-NAME.c) per handler. Handlers get argv after the command name
 * (argv[0] is the command) and return a process exit code.
 */
#ifndef CUT_AGENT_CMD_H
#define CUT_AGENT_CMD_H

#include "kv.h"

struct global_opts {
	const char *config;	/* --config, default /etc/cutover/agent.ini */
	int json;		/* --json: one JSON object per result on stdout */
	int wait;		/* --wait SECONDS for the app lock */
};

struct agent_cmd {
	const char *name;
	const char *usage;	/* after "cutover-agent [OPTIONS] " */
	const char *help;	/* one line: what it does */
	int (*run)(const struct global_opts *g, int argc, char **argv);
};

extern const struct agent_cmd agent_cmds[];

#define DEFAULT_AGENT_CONFIG "/etc/cutover/agent.ini"

#endif
