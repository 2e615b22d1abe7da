/* The PLAN phase (plan.h). */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "plan.h"
#include "signature.h"
#include "url.h"
#include "stage.h"

static int
has_canary(const struct engine *e)
{
	return e->ncanary > 0;
}

static size_t
node_named(const struct rollout *ro, const char *name)
{
	for (size_t i = 0; i < ro->n; i++)
		if (strcmp(ro->nodes[i].h->name, name) == 0)
			return i;
	return ro->n;
}

/* Mark the canary hosts: the first N, a group's selected hosts, or named hosts. */
static int
pick_canary(struct engine *e, unsigned char *is)
{
	const struct rollout *ro = e->ro;
	const char *c = e->o->canary;
	char *end, *copy, *save = NULL;
	long long n;

	if (c == NULL || *c == '\0')
		return 0;
	n = strtoll(c, &end, 10);
	if (*end == '\0' && end != c) {
		/* N: the first N hosts, unless that is all of them (no canary then). */
		for (size_t i = 0; n > 0 && (size_t)n < ro->n && i < (size_t)n; i++)
			is[i] = 1;
		return 0;
	}
	for (size_t s = 0; s < ro->run.fc.nsec; s++) {
		const struct fleet_section *sec = &ro->run.fc.sec[s];

		if (sec->kind != FSEC_GROUP || strcmp(sec->name, c) != 0)
			continue;
		for (char **h = sec->hosts; h && *h; h++)
			if (node_named(ro, *h) < ro->n)
				is[node_named(ro, *h)] = 1;
		return 0;
	}
	if ((copy = strdup(c)) == NULL)
		return CUT_EXIT_REVERSED;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (node_named(ro, t) == ro->n) {
			log_error("deploy: --canary %s: %s is neither a group nor a selected host", c, t);
			free(copy);
			return CUT_EXIT_USAGE;
		}
		is[node_named(ro, t)] = 1;
	}
	free(copy);
	return 0;
}

int
plan_batches(struct engine *e)
{
	size_t n = e->ro->n, k = 0, i;
	unsigned char *is = calloc(n ? n : 1, 1);
	int rc;

	e->order = calloc(n ? n : 1, sizeof(*e->order));
	e->starts = calloc(n ? n : 1, sizeof(*e->starts));
	if (is == NULL || e->order == NULL || e->starts == NULL) {
		free(is);
		return log_error("out of memory"), CUT_EXIT_REVERSED;
	}
	if ((rc = pick_canary(e, is)) != 0) {
		free(is);
		return rc;
	}
	e->nb = 0;
	for (i = 0; i < n; i++)
		if (is[i])
			e->order[k++] = i;
	/* Every host a canary is no canary: one plain plan. */
	e->ncanary = k < n ? k : 0;
	if (e->ncanary == 0)
		k = 0;
	for (i = 0; i < n; i++)
		if (e->ncanary == 0 || !is[i])
			e->order[k++] = i;
	if (e->ncanary > 0)
		e->starts[e->nb++] = 0;
	for (i = e->ncanary; i < n; i += e->bsize)
		e->starts[e->nb++] = i;
	free(is);
	return 0;
}

size_t
plan_batch_end(const struct engine *e, size_t b)
{
	return b + 1 < e->nb ? e->starts[b + 1] : e->ro->n;
}

size_t
plan_batch_of(const struct engine *e, size_t i)
{
	size_t pos = 0, b = 0;

	while (pos < e->ro->n && e->order[pos] != i)
		pos++;
	while (b + 1 < e->nb && e->starts[b + 1] <= pos)
		b++;
	return b;
}

/* The zstd level the stage will recompress at, judged by the archive's first block. */
static int
plan_recompress(const struct engine *e)
{
	unsigned char head[512];
	ssize_t n;
	int fd, level = stage_recompress_level(e->ro);

	/* A signed archive goes out as it is (signature.h); a URL is not ours to send. */
	if (level == 0 || e->o->url || signature_present(e->o->archive) ||
	    (fd = open(e->o->archive, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read_full(fd, head, sizeof(head));
	close(fd);
	return n > 0 && recompress_worth(head, (size_t)n) ? level : 0;
}

static void
print_batch(const struct engine *e, size_t b)
{
	const struct rollout *ro = e->ro;
	char line[4096] = "";
	size_t used = 0, end = plan_batch_end(e, b);
	int canary = b == 0 && has_canary(e);

	for (size_t i = e->starts[b]; i < end && used < sizeof(line) - 1; i++)
		used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%s",
		    i > e->starts[b] ? " " : "", ro->nodes[e->order[i]].h->name);
	if (ro->g->json) {
		struct kvlist ev = KVLIST_INIT;

		kv_add(&ev, "event", "plan");
		kv_add_int(&ev, "batch", (long long)b + 1);
		kv_add(&ev, "hosts", line);
		kv_add_bool(&ev, "canary", canary);
		kv_print_json(&ev, stdout);
		kv_free(&ev);
	} else
		printf("batch %zu%s: %s\n", b + 1, canary ? " (canary)" : "", line);
}

enum rollout_phase
engine_plan(struct engine *e)
{
	const struct rollout *ro = e->ro;
	int zlevel = plan_recompress(e);
	char excl[4096];

	for (size_t b = 0; b < e->nb; b++)
		print_batch(e, b);
	coord_excluded_text(&ro->run.sel, excl, sizeof(excl));
	if (ro->g->json) {
		struct kvlist ev = KVLIST_INIT;

		kv_add(&ev, "event", "plan_summary");
		kv_add(&ev, "app", ro->app);
		kv_add(&ev, "release", ro->release);
		kv_add_int(&ev, "hosts", (long long)ro->n);
		kv_add_int(&ev, "batches", (long long)e->nb);
		kv_add_int(&ev, "batch_size", (long long)e->bsize);
		kv_add_int(&ev, "max_fail", (long long)e->max_fail);
		kv_add_int(&ev, "bake", e->o->bake);
		kv_add_int(&ev, "recompress", zlevel);
		kv_add_bool(&ev, "signature", !e->o->url && signature_present(e->o->archive));
		if (e->o->url)
			kv_add_int(&ev, "fetch_parallel", ro->run.sel.global.fetch_parallel);
		kv_add(&ev, "excluded", excl);
		kv_print_json(&ev, stdout);
		kv_free(&ev);
	} else {
		printf("deploy %s release %s to %zu hosts in %zu batches of %zu; max_fail %zu; bake %llds\n",
		    ro->app, ro->release, ro->n, e->nb, e->bsize, e->max_fail, e->o->bake);
		if (excl[0])
			printf("excluded: %s\n", excl);
		if (e->o->url) {
			char shown[512];

			url_shown(e->o->archive, shown, sizeof(shown));
			printf("stage: every host fetches %s itself, at most %lld at once (fetch_parallel)\n",
			    shown, ro->run.sel.global.fetch_parallel);
		}
		if (zlevel > 0)
			printf("stage: the archive is recompressed to zstd -%d for hosts whose agent reads zstd\n",
			    zlevel);
		if (signature_present(e->o->archive))
			printf("stage: %s.sig is sent with the archive, which goes out as it is "
			    "(not recompressed)\n", e->o->archive);
	}
	fflush(stdout);
	return e->o->dry_run ? RP_DONE : RP_PREFLIGHT;
}
