/*
 * Handlers of agent_cmds[] (cmd.c), one file each. The agent_ prefix keeps
 * them apart from the coordinator's cmd_* when both libraries are linked
 * into one test binary.
 */
#ifndef CUT_AGENT_CMDS_H
#define CUT_AGENT_CMDS_H

#include "cmd.h"
#include "cmd-install.h"

int agent_cmd_activate(const struct global_opts *g, int argc, char **argv);
int agent_cmd_rollback(const struct global_opts *g, int argc, char **argv);
int agent_cmd_status(const struct global_opts *g, int argc, char **argv);
int agent_cmd_history(const struct global_opts *g, int argc, char **argv);
int agent_cmd_prune(const struct global_opts *g, int argc, char **argv);
int agent_cmd_pin(const struct global_opts *g, int argc, char **argv);
int agent_cmd_unpin(const struct global_opts *g, int argc, char **argv);
int agent_cmd_check(const struct global_opts *g, int argc, char **argv);
int agent_cmd_drill(const struct global_opts *g, int argc, char **argv);
int agent_cmd_serve(const struct global_opts *g, int argc, char **argv);

#endif
