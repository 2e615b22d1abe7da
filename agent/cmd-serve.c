#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "err.h"
#include "log.h"
#include "serve.h"

#define USAGE ""

/*
 * Move the protocol off fds 0 and 1 onto private close-on-exec copies and
 * put /dev/null there, so no hook, health check or stray printf can read
 * from or write into the stream. stderr stays: it is where logs go.
 */
static int
private_stdio(int *in, int *out)
{
	int null;

	*in = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	*out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	null = open("/dev/null", O_RDWR);
	if (*in == -1 || *out == -1 || null == -1 ||
	    dup2(null, STDIN_FILENO) == -1 || dup2(null, STDOUT_FILENO) == -1)
		return CUT_ERR_SYSTEM;
	if (null > STDERR_FILENO)
		close(null);
	/*
	 * Under sshd, stdin is a pipe of 64 KiB: sshd then buffers megabytes of
	 * upload itself and spends its CPU on that. A 1 MiB pipe halves sshd's
	 * cost per upload (measured). Not a pipe, or not allowed: no matter.
	 */
	(void)fcntl(*in, F_SETPIPE_SZ, 1 << 20);
	return CUT_OK;
}

/* The coordinator runs this over SSH (often as a forced command). */
int
agent_cmd_serve(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	struct serve_opts o = { .config = g->config, .wait = g->wait };
	int ch, in, out;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		return cli_usage(argv[0], USAGE, ch == 'h');
	if (argc - optind != 0)
		return cli_usage(argv[0], USAGE, 0);
	/* A closed client must show up as EPIPE, not kill us mid-install. */
	signal(SIGPIPE, SIG_IGN);
	if (private_stdio(&in, &out) != CUT_OK) {
		log_error("serve: cannot set up stdin/stdout");
		return CUT_EXIT_USAGE;
	}
	return serve_run(in, out, &o);
}
