/*
 * debug-exec: run one command on every selected host over the transport
 * and print its output prefixed with the host name: a check of ssh, host
 * keys and auth without the wire protocol (cutover(1)).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "common.h"
#include "err.h"
#include "fleet.h"
#include "log.h"

#define OUT_MAX	65536

struct outbuf {
	char buf[OUT_MAX];
	size_t len;
};

/* Keep the first OUT_MAX bytes of a host's output. */
static int
collect(struct host *h, const unsigned char *buf, size_t len, void *user)
{
	struct outbuf *o = user;
	size_t room = OUT_MAX - o->len;

	(void)h;
	if (len > room)
		len = room;
	memcpy(o->buf + o->len, buf, len);
	o->len += len;
	return CUT_OK;
}

/* Print each line of a host's output as "NAME: line". */
static void
print_prefixed(const char *name, const struct outbuf *o)
{
	size_t i = 0;

	while (i < o->len) {
		const char *nl = memchr(o->buf + i, '\n', o->len - i);
		size_t n = nl ? (size_t)(nl - (o->buf + i)) : o->len - i;

		printf("%s: %.*s\n", name, (int)n, o->buf + i);
		i += n + 1;
	}
}

static int
cmd_debug_exec(const struct copts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hosts", required_argument, NULL, 'H' },
		{ "group", required_argument, NULL, 'G' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *hosts = NULL, *group = NULL, *exclude = NULL;
	struct coord_run run;
	struct fleet f;
	struct outbuf *out;
	struct host *h;
	int ch, rc, failed = 0;

	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (ch == 'H')
			hosts = optarg;
		else if (ch == 'G')
			group = optarg;
		else if (ch == 'x')
			exclude = optarg;
		else if (ch == 'h')
			return coord_help("debug-exec");
		else
			return coord_usage("debug-exec");
	}
	if (optind != argc - 1)
		return coord_usage("debug-exec");
	if ((rc = coord_load(g, hosts, group, exclude, &run)) != 0)
		return rc;
	if ((rc = coord_check_files(&run)) != 0) {
		coord_unload(&run);
		return rc;
	}
	if (fleet_global_init() != CUT_OK || fleet_init(&f, &run.sel, (size_t)run.sel.global.parallel) != CUT_OK ||
	    (out = calloc(run.sel.n, sizeof(*out))) == NULL) {
		log_error("out of memory");
		coord_unload(&run);
		return CUT_EXIT_REVERSED;
	}
	f.verbose = g->verbose;
	for (size_t i = 0; i < f.n; i++) {
		f.hosts[i]->command = argv[optind];
		f.hosts[i]->on_read = collect;
		f.hosts[i]->user = &out[i];
		host_shutdown_write(f.hosts[i]);
	}
	fleet_start_all(&f);
	while (fleet_running(&f) > 0) {
		fleet_perform(&f);
		while ((h = fleet_info_read(&f)) != NULL)
			log_debug("%s: finished (%s)", h->name, host_state_name(h->state));
		if (fleet_running(&f) > 0 && fleet_poll(&f, -1) != CUT_OK) {
			log_error("poll failed");
			break;
		}
	}
	for (size_t i = 0; i < f.n; i++) {
		h = f.hosts[i];
		print_prefixed(h->name, &out[i]);
		if (h->state == HOST_FAILED) {
			log_error("%s: %s", h->name, h->msg);
			failed++;
		} else if (h->exit_status != 0) {
			log_error("%s: command exited %d%s%s", h->name, h->exit_status,
			    h->stderr_len ? ": " : "", h->stderr_tail);
			failed++;
		}
	}
	fflush(stdout);
	free(out);
	fleet_free(&f);
	coord_unload(&run);
	return failed ? CUT_EXIT_REVERSED : CUT_EXIT_OK;
}

const struct coord_cmd cmd_debug_exec_entry = {
	"debug-exec", "debug-exec [--hosts LIST] [--group G] [--exclude LIST] COMMAND",
	"run COMMAND on each host over the fleet's ssh transport and print its output (a connection check)", cmd_debug_exec
};
