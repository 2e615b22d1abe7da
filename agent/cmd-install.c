#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd-install.h"
#include "err.h"
#include "log.h"
#include "ops.h"
#include "url.h"

#define INSTALL_USAGE "APP ARCHIVE|URL [--release ID] [--sha256 HEX]"

int
install_args_parse(const char *cmd, int argc, char **argv, struct install_args *a)
{
	static const struct option opts[] = {
		{ "release", required_argument, NULL, 'r' },
		{ "sha256", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(a, 0, sizeof(*a));
	a->fd = -1;
	while ((ch = getopt_long(argc, argv, "r:s:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			a->req.release = optarg;
			break;
		case 's':
			a->req.sha256 = optarg;
			break;
		case 'h':
			return cli_usage(cmd, INSTALL_USAGE, 1);
		default:
			return cli_usage(cmd, INSTALL_USAGE, 0);
		}
	}
	if (argc - optind != 2)
		return cli_usage(cmd, INSTALL_USAGE, 0);
	a->app = argv[optind];
	a->req.archive_name = argv[optind + 1];
	if (url_is_http(a->req.archive_name)) {
		/* The agent fetches it (fetch.h); the digest is what makes it trustworthy. */
		if (a->req.sha256 == NULL) {
			log_error("%s: --sha256 HEX is required with an archive URL", cmd);
			return CUT_EXIT_USAGE;
		}
		a->req.url = a->req.archive_name;
		return -1;
	}
	if (strcmp(a->req.archive_name, "-") == 0) {
		a->fd = STDIN_FILENO;
		if (a->req.release == NULL) {
			log_error("%s: --release ID is required when the archive comes from stdin", cmd);
			return CUT_EXIT_USAGE;
		}
	} else {
		a->fd = open(a->req.archive_name, O_RDONLY | O_CLOEXEC);
		if (a->fd == -1) {
			log_error("%s %s: cannot open \"%s\": %s", cmd, a->app,
			    a->req.archive_name, strerror(errno));
			return CUT_EXIT_BAD_INPUT;
		}
	}
	fd_source_init(&a->fs, a->fd, &a->src);
	a->req.src = &a->src;
	return -1;
}

void
install_args_close(struct install_args *a)
{
	if (a->fd > STDIN_FILENO)
		close(a->fd);
}

int
install_like_run(const struct global_opts *g, int argc, char **argv,
    int (*op)(struct app *, const struct install_req *, const struct sink *, struct kvlist *))
{
	static struct install_args a;	/* static: holds a 256 KiB read buffer */
	struct cli c;
	int rc;

	if ((rc = install_args_parse(argv[0], argc, argv, &a)) >= 0)
		return rc;
	if ((rc = cli_begin(&c, g, argv[0], a.app, 1)) >= 0) {
		install_args_close(&a);
		return rc;
	}
	rc = cli_end(&c, op(&c.app, &a.req, &c.sink, &c.res));
	install_args_close(&a);
	return rc;
}

int
agent_cmd_install(const struct global_opts *g, int argc, char **argv)
{
	return install_like_run(g, argc, argv, op_install);
}
