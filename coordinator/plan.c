/* The PLAN phase (plan.h). */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"
#include "plan.h"
#include "stage.h"

static int
has_canary(const struct engine *e)
{
	return e->o->canary > 0 && (size_t)e->o->canary < e->ro->n;
}

int
plan_batches(struct engine *e)
{
	size_t n = e->ro->n, i = 0;

	if ((e->starts = calloc(n ? n : 1, sizeof(*e->starts))) == NULL)
		return CUT_ERR_ALLOC;
	e->nb = 0;
	if (has_canary(e)) {
		e->starts[e->nb++] = 0;
		i = (size_t)e->o->canary;
	}
	for (; i < n; i += e->bsize)
		e->starts[e->nb++] = i;
	return CUT_OK;
}

size_t
plan_batch_end(const struct engine *e, size_t b)
{
	return b + 1 < e->nb ? e->starts[b + 1] : e->ro->n;
}

/* The zstd level the stage will recompress at, judged by the archive's first block. */
static int
plan_recompress(const struct engine *e)
{
	unsigned char head[512];
	ssize_t n;
	int fd, level = stage_recompress_level(e->ro);

	if (level == 0 || (fd = open(e->o->archive, O_RDONLY | O_CLOEXEC)) < 0)
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
		    i > e->starts[b] ? " " : "", ro->nodes[i].h->name);
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
		kv_add(&ev, "excluded", excl);
		kv_print_json(&ev, stdout);
		kv_free(&ev);
	} else {
		printf("deploy %s release %s to %zu hosts in %zu batches of %zu; max_fail %zu; bake %llds\n",
		    ro->app, ro->release, ro->n, e->nb, e->bsize, e->max_fail, e->o->bake);
		if (excl[0])
			printf("excluded: %s\n", excl);
		if (zlevel > 0)
			printf("stage: the archive is recompressed to zstd -%d for hosts whose agent reads zstd\n",
			    zlevel);
	}
	fflush(stdout);
	return e->o->dry_run ? RP_DONE : RP_PREFLIGHT;
}
