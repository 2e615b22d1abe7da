/* Handlers of agent_cmds[] (cmd.c), one file each. */
#ifndef CUT_AGENT_CMDS_H
#define CUT_AGENT_CMDS_H

#include "cmd.h"
#include "cmd-install.h"

int cmd_activate(const struct global_opts *g, int argc, char **argv);
int cmd_rollback(const struct global_opts *g, int argc, char **argv);
int cmd_status(const struct global_opts *g, int argc, char **argv);
int cmd_history(const struct global_opts *g, int argc, char **argv);
int cmd_prune(const struct global_opts *g, int argc, char **argv);
int cmd_pin(const struct global_opts *g, int argc, char **argv);
int cmd_unpin(const struct global_opts *g, int argc, char **argv);
int cmd_serve(const struct global_opts *g, int argc, char **argv);

#endif
