/*
 * tests/fetch-text URL MAX [CA_FILE]: fetch_text() (agent/fetch.h) from the
 * command line, for tests/regress/agent-pull.sh. Prints the text, or
 * "not found", or "error: WHY"; exit 0, 1 (not found) or 3 (error).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "fetch.h"

int
main(int argc, char **argv)
{
	struct fetch_conf c = { .connect_timeout = 5, .stall_timeout = 5, .retries = 1 };
	char why[1024] = "", *text = NULL;
	int nf = 0, r;

	if (argc < 3)
		return fprintf(stderr, "usage: fetch-text URL MAX [CA_FILE]\n"), 2;
	c.ca_file = argc > 3 ? argv[3] : NULL;
	r = fetch_text(&c, argv[1], (size_t)strtoull(argv[2], NULL, 10), &text, &nf, why, sizeof(why));
	if (r != CUT_OK) {
		printf("error: %s\n", why);
		return 3;
	}
	if (nf) {
		printf("not found\n");
		return 1;
	}
	fputs(text, stdout);
	free(text);
	return 0;
}
