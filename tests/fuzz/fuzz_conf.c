/*
 * libFuzzer target for the config parsers: the input is an INI file, read
 * as a fleet file (conf/fleet_conf.c, then every host resolved as a command
 * would) and as an agent config (conf/agent_conf.c, every app validated,
 * then the app "web" filled in with its shared paths), both through the
 * line checks of conf/ini_read.c.
 *
 * Checks beyond "no crash, no sanitizer report": an error names file:line
 * on one line; a fleet file that loads resolves or says why.
 * Seeds: tests/fuzz/corpus-conf (the example configs and test fleets).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_conf.h"
#include "err.h"
#include "fleet_conf.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[4096];

static void
check_err(const char *err)
{
	if (err[0] == '\0' || strchr(err, '\n') != NULL || strncmp(err, path, strlen(path)) != 0) {
		fprintf(stderr, "fuzz_conf: bad error message \"%s\"\n", err);
		abort();
	}
}

static void
fleet(void)
{
	struct fleet_conf fc;
	struct fleet_sel sel;
	char err[1024] = "";

	if (fleet_conf_load(path, &fc, err, sizeof(err)) != CUT_OK) {
		check_err(err);
		return;
	}
	memset(&sel, 0, sizeof(sel));
	err[0] = '\0';
	if (fleet_select(&fc, NULL, NULL, NULL, &sel, err, sizeof(err)) == CUT_OK)
		fleet_sel_free(&sel);
	else if (err[0] == '\0')
		abort();
	fleet_conf_free(&fc);
}

static void
agent(void)
{
	struct app_conf c;
	char err[1024] = "", **shared = NULL;

	if (agent_conf_load(path, "web", &c, err, sizeof(err)) == CUT_OK) {
		if (app_conf_shared_paths(&c, &shared, err, sizeof(err)) == CUT_OK)
			strv_free(shared);
	} else if (strstr(err, "no [app web] section") == NULL && strstr(err, "root:") == NULL)
		check_err(err);
	app_conf_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f;

	if (path[0] == '\0') {
		const char *base = getenv("FUZZ_SCRATCH");
		int fd;

		snprintf(path, sizeof(path), "%s/fuzz-conf-XXXXXX", base ? base : "/tmp");
		if ((fd = mkstemp(path)) < 0)
			abort();
		close(fd);
	}
	if ((f = fopen(path, "w")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	fleet();
	agent();
	return 0;
}
