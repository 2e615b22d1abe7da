/*
 * libFuzzer target for the agent's unpack path (agent/unpack.c): the input
 * is an archive as an upload would bring it, unpacked into a fresh staging
 * directory under a private tmpfs-backed scratch dir, with small caps.
 *
 * Checks beyond "no crash, no sanitizer report": a refusal comes with a
 * one-line reason, and whatever unpack_archive did stays
 * inside the staging directory (the scratch dir holds nothing else after).
 * Seeds: tests/fuzz/corpus-unpack (real archives of each format).
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dirtree.h"
#include "err.h"
#include "unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem_source {
	const uint8_t *p;
	size_t left, chunk;
};

/* Odd-sized pieces, as DATA frames arrive. */
static ssize_t
mem_read(void *ctx, const void **buf)
{
	struct mem_source *m = ctx;
	size_t n = m->left < m->chunk ? m->left : m->chunk;

	*buf = m->p;
	m->p += n;
	m->left -= n;
	return (ssize_t)n;
}

static int scratch = -1;

/* Only "stage" may exist in the scratch dir after a run. */
static void
check_confined(void)
{
	DIR *d = fdopendir(dup(scratch));
	struct dirent *e;

	if (d == NULL)
		abort();
	rewinddir(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 && strcmp(e->d_name, "stage") != 0) {
			fprintf(stderr, "fuzz_unpack: %s written outside the staging dir\n", e->d_name);
			abort();
		}
	closedir(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unpack_limits lim = { .max_entries = 2000, .max_bytes = 8 << 20 };
	struct mem_source m = { data, size, size % 7 == 0 ? 4096 : 65536 + size % 13 };
	struct byte_source src = { mem_read, &m };
	struct unpack_stats st;
	char why[512] = "";
	int dest, r;

	if (scratch < 0) {
		/* $FUZZ_SCRATCH (run-fuzz.sh puts it in the build dir), else /tmp. */
		const char *base = getenv("FUZZ_SCRATCH");
		char tmpl[4096];

		snprintf(tmpl, sizeof(tmpl), "%s/fuzz-unpack-XXXXXX", base ? base : "/tmp");
		if (mkdtemp(tmpl) == NULL || (scratch = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			abort();
	}
	if (mkdirat(scratch, "stage", 0700) != 0 || (dest = openat(scratch, "stage", O_RDONLY | O_DIRECTORY)) < 0)
		abort();
	r = unpack_archive(&src, dest, &lim, NULL, &st, why, sizeof(why));
	close(dest);
	if (r == CUT_ERR_CONFIG) {
		/* libarchive did not load (agent/archive-dl.h): nothing would be fuzzed. */
		fprintf(stderr, "fuzz_unpack: %s\n", why);
		abort();
	}
	if (r != 0 && (why[0] == '\0' || strchr(why, '\n') != NULL)) {
		fprintf(stderr, "fuzz_unpack: code %d with reason \"%s\"\n", r, why);
		abort();
	}
	check_confined();
	if (rm_rf_at(scratch, "stage") != 0)
		abort();
	return 0;
}
