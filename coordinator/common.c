/* Fleet file loading and host selection shared by the coordinator commands. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "err.h"
#include "kv.h"
#include "log.h"

/*
 * The hosts fencing kept out, once per command and reason: a line on stderr,
 * or an "excluded" event on stdout with --json (cutover(1), --exclude).
 */
static void
note_excluded(const struct copts *g, const struct fleet_sel *sel)
{
	static const char *const reasons[] = { FLEET_WHY_DISABLED, FLEET_WHY_EXCLUDE };
	char names[4096];

	for (size_t k = 0; k < sizeof(reasons) / sizeof(reasons[0]); k++) {
		fleet_sel_excluded(sel, reasons[k], names, sizeof(names));
		if (names[0] == '\0')
			continue;
		if (g->json) {
			struct kvlist ev = KVLIST_INIT;

			kv_add(&ev, "event", "excluded");
			kv_add(&ev, "hosts", names);
			kv_add(&ev, "reason", reasons[k]);
			kv_print_json(&ev, stdout);
			kv_free(&ev);
			fflush(stdout);
		} else
			log_error("skipped (%s): %s", reasons[k], names);
	}
}

int
coord_load(const struct copts *g, const char *hosts, const char *group, const char *exclude,
    struct coord_run *run)
{
	char err[768];
	int r;

	memset(run, 0, sizeof(*run));
	if ((r = fleet_conf_load(g->fleet_file, &run->fc, err, sizeof(err))) != CUT_OK) {
		log_error("%s", r == CUT_ERR_ALLOC ? "out of memory" : err);
		return cut_exit_code(r);
	}
	if ((r = fleet_select(&run->fc, hosts, group, exclude, &run->sel, err, sizeof(err))) != CUT_OK) {
		log_error("%s", err);
		fleet_conf_free(&run->fc);
		return r == CUT_ERR_ALLOC ? cut_exit_code(r) : CUT_EXIT_USAGE;
	}
	note_excluded(g, &run->sel);
	return CUT_EXIT_OK;
}

int
coord_check_files(const struct coord_run *run)
{
	for (size_t i = 0; i < run->sel.n; i++) {
		const char *kh = run->sel.hosts[i].s.known_hosts;

		/* Without it every host key is unknown: a setup error, not n unreachable hosts. */
		if (access(kh, R_OK) != 0) {
			log_error("%s: known_hosts %s: %s (create it with ssh-keyscan and check the fingerprints)",
			    run->sel.hosts[i].name, kh, strerror(errno));
			return CUT_EXIT_USAGE;
		}
	}
	return CUT_EXIT_OK;
}

void
coord_excluded_text(const struct fleet_sel *sel, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sel->nexcl && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s (%s)", used ? " " : "",
		    sel->excl[i].name, sel->excl[i].reason);
}

void
coord_unload(struct coord_run *run)
{
	fleet_sel_free(&run->sel);
	fleet_conf_free(&run->fc);
}

/* cutover CMD --help: the command's usage and what it does, on stdout, exit 0. */
int
coord_help(const char *cmd)
{
	const struct coord_cmd *c = coord_cmd_find(cmd);

	if (c)
		printf("usage: cutover [-f FLEET.ini] [--json] %s\n%s%s%s", c->usage,
		    c->help ? "\n  " : "", c->help ? c->help : "", c->help ? "\n" : "");
	fflush(stdout);
	return CUT_EXIT_OK;
}

/* Wrong arguments: the command's usage on stderr, exit 2. */
int
coord_usage(const char *cmd)
{
	const struct coord_cmd *c = coord_cmd_find(cmd);

	if (c)
		fprintf(stderr, "usage: cutover [-f FLEET.ini] [--json] %s\n", c->usage);
	return CUT_EXIT_USAGE;
}
