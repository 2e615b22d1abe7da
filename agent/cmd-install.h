/* Argument handling shared by `install` and `deploy`, which take the same ones. */
#ifndef CUT_CMD_INSTALL_H
#define CUT_CMD_INSTALL_H

#include "cmd.h"
#include "ops.h"
#include "source.h"

struct install_args {
	const char *app;
	struct install_req req;
	int fd;
	struct fd_source fs;
	struct byte_source src;
	char *sigtext;		/* the signature's armored text, or NULL */
	int force_schema;	/* deploy --force-schema */
};

/* -1 when parsed and the archive opened, else the exit code. */
int install_args_parse(const char *cmd, int argc, char **argv, struct install_args *a);
void install_args_close(struct install_args *a);
/* Parse, open and lock, run op (op_install or op_deploy), print; the exit code. */
int install_like_run(const struct global_opts *g, int argc, char **argv,
    int (*op)(struct app *, const struct install_req *, const struct sink *, struct kvlist *));

int agent_cmd_install(const struct global_opts *g, int argc, char **argv);
int agent_cmd_deploy(const struct global_opts *g, int argc, char **argv);

#endif
