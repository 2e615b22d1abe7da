#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cmd-install.h"
#include "err.h"
#include "log.h"
#include "ops.h"
#include "sshsig.h"
#include "url.h"

#define INSTALL_USAGE "APP ARCHIVE|URL [--release ID] [--sha256 HEX] [--signature FILE]"
#define DEPLOY_USAGE INSTALL_USAGE " [--force-schema]"

/*
 * The armored signature at path into a fresh string (at most
 * SSHSIG_TEXT_MAX bytes). -1 when read, or when path does not exist and
 * !must (*out stays NULL); else the exit code, one line printed.
 */
static int
read_signature(const char *cmd, const char *path, int must, char **out)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ssize_t n = 0, got = 0;
	struct stat st;

	*out = NULL;
	if (fd == -1 && errno == ENOENT && !must)
		return -1;
	if (fd == -1) {
		log_error("%s: signature \"%s\": %s", cmd, path, strerror(errno));
		return CUT_EXIT_BAD_INPUT;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		log_error("%s: signature \"%s\": not a regular file", cmd, path);
		close(fd);
		return CUT_EXIT_BAD_INPUT;
	}
	if ((*out = malloc(SSHSIG_TEXT_MAX + 2)) == NULL) {
		close(fd);
		return log_error("%s: out of memory", cmd), CUT_EXIT_BAD_INPUT;
	}
	while (n <= SSHSIG_TEXT_MAX && (got = read(fd, *out + n, (size_t)(SSHSIG_TEXT_MAX + 1 - n))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			log_error("%s: signature \"%s\": %s", cmd, path, strerror(errno));
			break;
		}
		n += got;
	}
	close(fd);
	if (got < 0 || n > SSHSIG_TEXT_MAX) {
		if (got >= 0)
			log_error("%s: signature \"%s\" is larger than %d bytes", cmd, path, SSHSIG_TEXT_MAX);
		free(*out);
		*out = NULL;
		return CUT_EXIT_BAD_INPUT;
	}
	(*out)[n] = '\0';
	return -1;
}

/* --signature FILE, else ARCHIVE.sig beside a local archive when there is one. */
static int
find_signature(const char *cmd, const char *opt, struct install_args *a)
{
	char path[4096];
	int r;

	if (opt != NULL)
		r = read_signature(cmd, opt, 1, &a->sigtext);
	else if (a->fd == STDIN_FILENO)
		return -1;
	else if ((size_t)snprintf(path, sizeof(path), "%s.sig", a->req.archive_name) >= sizeof(path))
		return log_error("%s: archive path too long", cmd), CUT_EXIT_BAD_INPUT;
	else
		r = read_signature(cmd, path, 0, &a->sigtext);
	a->req.signature = a->sigtext;
	return r;
}

int
install_args_parse(const char *cmd, int argc, char **argv, struct install_args *a)
{
	static const struct option opts[] = {
		{ "release", required_argument, NULL, 'r' },
		{ "sha256", required_argument, NULL, 's' },
		{ "signature", required_argument, NULL, 'S' },
		{ "force-schema", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *usage = strcmp(cmd, "deploy") == 0 ? DEPLOY_USAGE : INSTALL_USAGE;
	const char *sigfile = NULL;
	int ch, r;

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
		case 'S':
			sigfile = optarg;
			break;
		case 'F':
			/* Only a deploy switches: install has no migration guard to force. */
			if (strcmp(cmd, "deploy") != 0)
				return cli_usage(cmd, usage, 0);
			a->force_schema = 1;
			break;
		case 'h':
			return cli_usage(cmd, usage, 1);
		default:
			return cli_usage(cmd, usage, 0);
		}
	}
	if (argc - optind != 2)
		return cli_usage(cmd, usage, 0);
	a->app = argv[optind];
	a->req.archive_name = argv[optind + 1];
	if (url_is_http(a->req.archive_name)) {
		/* The agent fetches it (fetch.h); the digest is what makes it trustworthy. */
		if (a->req.sha256 == NULL) {
			log_error("%s: --sha256 HEX is required with an archive URL", cmd);
			return CUT_EXIT_USAGE;
		}
		a->req.url = a->req.archive_name;
		/* URL.sig is the agent's to fetch (op_install); --signature FILE overrides it. */
		if (sigfile != NULL && (r = find_signature(cmd, sigfile, a)) >= 0)
			install_args_close(a);
		return sigfile != NULL ? r : -1;
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
	if ((r = find_signature(cmd, sigfile, a)) >= 0)
		install_args_close(a);
	return r;
}

void
install_args_close(struct install_args *a)
{
	if (a->fd > STDIN_FILENO)
		close(a->fd);
	a->fd = -1;
	free(a->sigtext);
	a->sigtext = NULL;
	a->req.signature = NULL;
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
	c.app.force_schema = a.force_schema;
	rc = cli_end(&c, op(&c.app, &a.req, &c.sink, &c.res));
	install_args_close(&a);
	return rc;
}

int
agent_cmd_install(const struct global_opts *g, int argc, char **argv)
{
	return install_like_run(g, argc, argv, op_install);
}
