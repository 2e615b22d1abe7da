#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmds.h"
#include "err.h"
#include "log.h"
#include "serve.h"

#define USAGE "[--app NAME]... [--allow-paths] [--idle-timeout SECONDS]"
/* cutover-agent(8), serve: the default and the least idle timeout but 0 (off). */
#define IDLE_DEFAULT	60
#define IDLE_MIN	30
#define IDLE_MAX	86400

/*
 * The least idle timeout. CUTOVER_TEST_IDLE_MIN (1-30) lowers it for the
 * test suite only, so that a test of the timeout takes seconds, not half
 * a minute; cutover-agent(8) says so.
 */
static int
idle_min(void)
{
	const char *t = getenv("CUTOVER_TEST_IDLE_MIN");
	int v = t ? atoi(t) : 0;

	return v >= 1 && v <= IDLE_MIN ? v : IDLE_MIN;
}

/* --idle-timeout SECONDS: 0, or idle_min()..IDLE_MAX. -1 when invalid. */
static int
parse_idle(const char *arg)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || v < 0 || v > IDLE_MAX || (v > 0 && v < idle_min())) {
		log_error("serve: --idle-timeout: \"%s\" is not 0 (off) or %d-%d seconds", arg,
		    idle_min(), IDLE_MAX);
		return -1;
	}
	return (int)v;
}

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
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "app", required_argument, NULL, 'a' },
		{ "allow-paths", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	/* --app NAMEs point into argv: at most one per argument (--app=NAME). */
	char **apps = calloc((size_t)argc + 1, sizeof(*apps));
	struct serve_opts o = { .config = g->config, .wait = g->wait,
	    .idle_timeout = IDLE_DEFAULT };
	int ch, in, out, napps = 0, rc;

	if (apps == NULL)
		return CUT_EXIT_USAGE;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'a' && (optarg[0] == '\0' || strchr(optarg, '/') != NULL)) {
			log_error("serve: --app: \"%s\" is not an app name (a path is taken "
			    "only with --allow-paths)", optarg);
			free(apps);
			return CUT_EXIT_USAGE;
		}
		if (ch == 'a')
			apps[napps++] = optarg;
		else if (ch == 'p')
			o.allow_paths = 1;
		else if (ch != 'i' || (o.idle_timeout = parse_idle(optarg)) < 0) {
			free(apps);
			return ch == 'i' ? CUT_EXIT_USAGE : cli_usage(argv[0], USAGE, ch == 'h');
		}
	}
	if (argc - optind != 0) {
		free(apps);
		return cli_usage(argv[0], USAGE, 0);
	}
	o.apps = napps > 0 ? apps : NULL;
	/* A closed client must show up as EPIPE, not kill us mid-install. */
	signal(SIGPIPE, SIG_IGN);
	if (private_stdio(&in, &out) != CUT_OK) {
		log_error("serve: cannot set up stdin/stdout");
		free(apps);
		return CUT_EXIT_USAGE;
	}
	rc = serve_run(in, out, &o);
	free(apps);
	return rc;
}
