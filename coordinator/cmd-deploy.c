/*
 * cutover deploy: plan, preflight (connect, lock, record current), stage
 * (upload + install everywhere at once), switch in batches (canary first),
 * and on failure reverse the switched hosts node by node, newest first.
 * Exit 0 done, 1 reversed, 3 bad archive, 4 locked, 5 hosts left behind.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"
#include "hexdigest.h"
#include "log.h"
#include "release_id.h"
#include "rollout.h"
#include "stage.h"

static volatile int stop_flag;

struct deploy_opts {
	const char *archive, *app, *release, *hosts, *group, *batch;
	long long max_fail;	/* -1: from the fleet file */
	long long canary;
	long long bake;
	int dry_run;
};

/* Hex SHA-256 of the mapped archive. */
static int
archive_digest(const unsigned char *p, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return CUT_ERR_INTERNAL;
	sha256_hex(md, out);
	return CUT_OK;
}

/* The zstd level the stage will recompress at, judged by the archive's first block. */
static int
plan_recompress(const struct rollout *ro, const char *archive)
{
	unsigned char head[512];
	ssize_t n;
	int fd, level = stage_recompress_level(ro);

	if (level == 0 || (fd = open(archive, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read_full(fd, head, sizeof(head));
	close(fd);
	return n > 0 && recompress_worth(head, (size_t)n) ? level : 0;
}

/* Number of hosts in batch b (0-based): the canary batch first, then equal batches. */
static size_t
plan_batches(size_t n, size_t canary, size_t bsize, size_t *starts, size_t maxb)
{
	size_t nb = 0, i = 0;

	if (canary > 0 && canary < n && nb < maxb) {
		starts[nb++] = 0;
		i = canary;
	}
	for (; i < n && nb < maxb; i += bsize)
		starts[nb++] = i;
	return nb;
}

static void
print_plan(struct rollout *ro, const struct deploy_opts *o, const size_t *starts, size_t nb,
    size_t max_fail, size_t bsize, int zlevel)
{
	for (size_t b = 0; b < nb; b++) {
		size_t end = b + 1 < nb ? starts[b + 1] : ro->n;
		char line[4096] = "";
		size_t used = 0;

		for (size_t i = starts[b]; i < end && used < sizeof(line) - 1; i++)
			used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%s",
			    i > starts[b] ? " " : "", ro->nodes[i].h->name);
		if (ro->g->json) {
			struct kvlist ev = KVLIST_INIT;

			kv_add(&ev, "event", "plan");
			kv_add_int(&ev, "batch", (long long)b + 1);
			kv_add(&ev, "hosts", line);
			kv_add_bool(&ev, "canary", b == 0 && o->canary > 0 && (size_t)o->canary < ro->n);
			kv_print_json(&ev, stdout);
			kv_free(&ev);
		} else
			printf("batch %zu%s: %s\n", b + 1,
			    b == 0 && o->canary > 0 && (size_t)o->canary < ro->n ? " (canary)" : "", line);
	}
	if (ro->g->json) {
		struct kvlist ev = KVLIST_INIT;

		kv_add(&ev, "event", "plan_summary");
		kv_add(&ev, "app", ro->app);
		kv_add(&ev, "release", ro->release);
		kv_add_int(&ev, "hosts", (long long)ro->n);
		kv_add_int(&ev, "batches", (long long)nb);
		kv_add_int(&ev, "batch_size", (long long)bsize);
		kv_add_int(&ev, "max_fail", (long long)max_fail);
		kv_add_int(&ev, "bake", o->bake);
		kv_add_int(&ev, "recompress", zlevel);
		kv_print_json(&ev, stdout);
		kv_free(&ev);
	} else {
		printf("deploy %s release %s to %zu hosts in %zu batches of %zu; max_fail %zu; bake %llds\n",
		    ro->app, ro->release, ro->n, nb, bsize, max_fail, o->bake);
		if (zlevel > 0)
			printf("stage: the archive is recompressed to zstd -%d for hosts whose agent reads zstd\n",
			    zlevel);
	}
	fflush(stdout);
}

/* Final per-host lines and the result object. */
static int
report(struct rollout *ro, const char *outcome, int code, const char *left_behind)
{
	progress_clear(&ro->pg);
	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];
		const char *o = nd->reversed ? "reversed" : nd->switched ? "switched" :
		    nd->st == N_LOST ? "lost" : nd->why[0] ? "failed" : nd->staged ? "staged" : "unchanged";

		if (ro->g->json) {
			struct kvlist ev = KVLIST_INIT;

			kv_add(&ev, "event", "host");
			kv_add(&ev, "host", nd->h->name);
			kv_add(&ev, "outcome", o);
			kv_add(&ev, "previous", nd->prev);
			if (nd->why[0])
				kv_add(&ev, "error", nd->why);
			kv_print_json(&ev, stdout);
			kv_free(&ev);
		} else
			printf("%-16s %-10s previous=%s%s%s\n", nd->h->name, o, nd->prev[0] ? nd->prev : "-",
			    nd->why[0] ? "  " : "", nd->why);
	}
	if (ro->g->json) {
		struct kvlist ev = KVLIST_INIT;

		kv_add(&ev, "event", "result");
		kv_add(&ev, "outcome", outcome);
		kv_add(&ev, "app", ro->app);
		kv_add(&ev, "release", ro->release ? ro->release : "");
		kv_add_int(&ev, "exit", cut_exit_code(code));
		kv_add(&ev, "left_behind", left_behind);
		kv_add_int(&ev, "duration_ms", mono_ms() - ro->t0);
		kv_print_json(&ev, stdout);
		kv_free(&ev);
	} else
		printf("%s: %s (%.1fs)\n", ro->release ? ro->release : ro->app, outcome,
		    (double)(mono_ms() - ro->t0) / 1000.0);
	fflush(stdout);
	if (left_behind[0])
		log_error("hosts not brought back to their previous release: %s", left_behind);
	return cut_exit_code(code);
}

/* Append one record per node for which pick() holds, in one write + fsync. */
static void
journal_nodes(struct rollout *ro, const char *type, size_t from, size_t to,
    int (*pick)(const struct node *))
{
	char *text = NULL;
	size_t len = 0;
	FILE *m;

	if (ro->j.fd < 0 || (m = open_memstream(&text, &len)) == NULL)
		return;
	for (size_t i = from; i < to && i < ro->n; i++)
		if (pick(&ro->nodes[i]))
			fprintf(m, "%s name=%s\n", type, ro->nodes[i].h->name);
	if (fclose(m) == 0)
		rj_write(&ro->j, text, len);
	free(text);
}

static int
pick_activating(const struct node *nd)
{
	return nd->st == N_BUSY && nd->op && strcmp(nd->op, "activate") == 0;
}

static int
pick_switched(const struct node *nd)
{
	return nd->switched && nd->st == N_IDLE;
}

static int
pick_failed(const struct node *nd)
{
	return nd->staged && nd->st != N_IDLE;
}

/* Failed, but its agent put the previous release back itself (exit 1). */
static int
pick_self_reverted(const struct node *nd)
{
	return pick_failed(nd) && nd->err == CUT_ERR_REVERSED;
}

/* Switch nodes back, newest first, one at a time; names of failures into left. */
static void
reverse(struct rollout *ro, char *left, size_t leftlen)
{
	struct kvlist a = KVLIST_INIT;
	size_t used = strlen(left);

	ro->phase = "reverse";
	rollout_event(ro, "reverse", NULL, "switching hosts back, node by node");
	for (size_t k = ro->n; k-- > 0;) {
		struct node *nd = &ro->nodes[k];

		if (!nd->switched)
			continue;
		if (nd->st == N_LOST || nd->prev[0] == '\0') {
			if (nd->prev[0] == '\0' && nd->st != N_LOST)
				snprintf(nd->why, sizeof(nd->why), "no previous release to go back to");
			used += (size_t)snprintf(left + used, used < leftlen ? leftlen - used : 0, "%s%s",
			    used ? " " : "", nd->h->name);
			continue;
		}
		kv_free(&a);
		/* A rollback, not an activate: the agent then drops the abandoned
		 * release from its history, so its next rollback cannot pick it. */
		kv_add(&a, "to", nd->prev);
		if (node_request(nd, "rollback", &a) == CUT_OK)
			rollout_wait(ro, -1);
		if (nd->st == N_IDLE) {
			nd->reversed = 1;
			rj_printf(&ro->j, "reversed name=%s release=%s", nd->h->name, nd->prev);
			rollout_event(ro, "reversed", nd, "back on %s", nd->prev);
		} else {
			rollout_event(ro, "stuck", nd, "%s", nd->why);
			used += (size_t)snprintf(left + used, used < leftlen ? leftlen - used : 0, "%s%s",
			    used ? " " : "", nd->h->name);
		}
	}
	kv_free(&a);
	rollout_event(ro, "reversed", NULL, "reversal done");
}

/*
 * An earlier rollout of this app that never finished (coordinator killed,
 * or partial) recorded what each host ran before it. A host that is not
 * back on that release keeps it as its previous release: it is where a
 * reversal, or a later rollback, must take it. Returns how many did.
 */
static size_t
inherit(struct rollout *ro)
{
	struct rj_rollout last;
	size_t n = 0;

	if (rj_last(ro->g->fleet_file, ro->app, &last) != CUT_OK || !rj_unsettled(&last)) {
		rj_rollout_free(&last);
		return 0;
	}
	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];
		const struct rj_host *h = rj_find(&last, nd->h->name);

		if (!nd->locked || nd->st != N_IDLE || h == NULL || !h->switching || h->reversed ||
		    strcmp(nd->prev, h->prev) == 0)
			continue;
		snprintf(nd->prev, sizeof(nd->prev), "%s", h->prev);
		nd->switched = 1;	/* off its previous release: a reversal target */
		n++;
	}
	if (n > 0)
		rollout_event(ro, "resume", NULL,
		    "the rollout of %s was not finished (%s); %zu host(s) keep their recorded previous release",
		    last.release, last.ended ? last.outcome : "interrupted", n);
	rj_rollout_free(&last);
	return n;
}

/* The start record: release, checksum, and every locked host's previous release. */
static void
journal_start(struct rollout *ro, const char *sha)
{
	char *text = NULL;
	size_t len = 0, n = 0;
	FILE *m;

	for (size_t i = 0; i < ro->n; i++)
		n += ro->nodes[i].locked && ro->nodes[i].st == N_IDLE;
	if (ro->j.fd < 0 || (m = open_memstream(&text, &len)) == NULL)
		return;
	fprintf(m, "start ts=%lld release=%s sha256=%s hosts=%zu\n", now_ms(), ro->release, sha, n);
	for (size_t i = 0; i < ro->n; i++) {
		const struct node *nd = &ro->nodes[i];

		if (!nd->locked || nd->st != N_IDLE)
			continue;
		fprintf(m, "host name=%s prev=%s\n", nd->h->name, nd->prev);
		if (nd->switched)
			fprintf(m, "switched name=%s\n", nd->h->name);
	}
	if (fclose(m) == 0)
		rj_write(&ro->j, text, len);
	free(text);
}

/* The journal's end record, then the report. */
static int
finish(struct rollout *ro, const char *outcome, int code, const char *left)
{
	rj_printf(&ro->j, "end ts=%lld outcome=%s", now_ms(), outcome);
	rollout_finish(ro);
	ro->phase = outcome;
	return report(ro, outcome, code, left);
}

static int
deploy(struct rollout *ro, const struct deploy_opts *o)
{
	char rel[RELEASE_ID_MAX + 1], sha[65], left[4096] = "";
	const unsigned char *map = NULL;
	struct kvlist a = KVLIST_INIT;
	size_t starts[4096], nb, bsize, max_fail, failures = 0, unasked = 0;
	struct stat sb;
	struct recompress rc;
	struct stage_src src;
	int fd = -1, r, code = CUT_OK, locked = 0, level;

	recompress_init(&rc);

	ro->app = o->app ? o->app : ro->app;
	if (ro->app == NULL || ro->app[0] == '\0')
		return log_error("deploy: no app (set app in the fleet file or give --app)"), CUT_EXIT_USAGE;
	if (o->release) {
		if (!release_id_valid(o->release))
			return log_error("deploy: --release \"%s\" is not a valid release ID", o->release), CUT_EXIT_BAD_INPUT;
		snprintf(rel, sizeof(rel), "%s", o->release);
	} else if (release_id_from_archive(o->archive, rel) != CUT_OK)
		return log_error("deploy: cannot derive a release ID from \"%s\" (use --release)", o->archive), CUT_EXIT_BAD_INPUT;
	ro->release = rel;
	if (fleet_batch_size(o->batch ? o->batch : ro->run.sel.global.batch, ro->n, &bsize) != CUT_OK)
		return log_error("deploy: --batch \"%s\" is not N or N%%", o->batch), CUT_EXIT_USAGE;
	max_fail = (size_t)(o->max_fail >= 0 ? o->max_fail : ro->run.sel.global.max_fail);
	nb = plan_batches(ro->n, (size_t)o->canary, bsize, starts, sizeof(starts) / sizeof(starts[0]));
	print_plan(ro, o, starts, nb, max_fail, bsize, plan_recompress(ro, o->archive));
	if (o->dry_run)
		return CUT_EXIT_OK;

	/* The archive is mapped once; every host's upload borrows the mapping. */
	if ((fd = open(o->archive, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &sb) != 0)
		return log_error("deploy: cannot open \"%s\": %s", o->archive, strerror(errno)), CUT_EXIT_BAD_INPUT;
	if (!S_ISREG(sb.st_mode) || sb.st_size == 0) {
		close(fd);
		return log_error("deploy: \"%s\" is not a non-empty regular file", o->archive), CUT_EXIT_BAD_INPUT;
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return log_error("deploy: cannot map \"%s\": %s", o->archive, strerror(errno)), CUT_EXIT_BAD_INPUT;
	archive_digest(map, (size_t)sb.st_size, sha);
	/* Recompressed while preflight runs; staging waits for it (and reports a failure). */
	if ((level = stage_recompress_level(ro)) > 0 && recompress_worth(map, (size_t)sb.st_size))
		(void)recompress_start(&rc, map, (size_t)sb.st_size, level, sha);
	/* No rollout we could not account for afterwards. */
	if (rj_open(&ro->j, ro->g->fleet_file, ro->app) != CUT_OK) {
		recompress_free(&rc);
		munmap((void *)map, (size_t)sb.st_size);
		return CUT_EXIT_USAGE;
	}
	rollout_sigsetup(&stop_flag);
	ro->stop = &stop_flag;

	/* Preflight: every host reachable, locked by us, current release recorded. */
	ro->phase = "preflight";
	rollout_event(ro, "start", NULL, "deploy %s %s (sha256 %.12s) to %zu hosts", ro->app, rel, sha, ro->n);
	rollout_connect(ro);
	rollout_lock(ro, max_fail);
	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];

		if (nd->st == N_IDLE && nd->locked)
			node_request(nd, "status", NULL);
	}
	rollout_wait(ro, -1);
	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];
		const char *cur = kv_get(&nd->res, "current");

		if (nd->st == N_IDLE && nd->locked) {
			snprintf(nd->prev, sizeof(nd->prev), "%s", cur ? cur : "");
			continue;
		}
		if (nd->st == N_IDLE) {
			unasked++;	/* lock order stopped before this host */
			continue;
		}
		failures++;
		if (nd->err == CUT_ERR_LOCKED || kv_get(&nd->res, "holder"))
			locked = 1;
		rollout_event(ro, "preflight", nd, "%s", nd->why[0] ? nd->why : "failed");
	}
	if (failures > max_fail || unasked > 0 || stop_flag) {
		code = stop_flag ? CUT_ERR_FAILED : locked ? CUT_ERR_LOCKED : CUT_ERR_FAILED;
		rollout_event(ro, "abort", NULL, "preflight: %zu host(s) failed (max_fail %zu)%s; nothing changed",
		    failures, max_fail, stop_flag ? ", interrupted" : "");
		rollout_finish(ro);
		ro->phase = "aborted";
		r = report(ro, "aborted", code, "");
		recompress_free(&rc);
		munmap((void *)map, (size_t)sb.st_size);
		return r;
	}
	rollout_event(ro, "preflight", NULL, "%zu hosts locked", ro->n - failures);
	inherit(ro);
	journal_start(ro, sha);

	/* Stage: upload + install everywhere at once, skipping hosts that have it. */
	ro->phase = "stage";
	src.map = map;
	src.len = (size_t)sb.st_size;
	src.sha256 = sha;
	src.release = rel;
	src.archive_name = strrchr(o->archive, '/') ? strrchr(o->archive, '/') + 1 : o->archive;
	src.rc = &rc;
	stage_run(ro, &src);
	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];

		if (nd->st == N_IDLE) {
			nd->staged = 1;
			continue;
		}
		if (!nd->locked)
			continue;	/* already counted at preflight */
		failures++;
		if (nd->exit_code == CUT_EXIT_BAD_INPUT)
			code = CUT_ERR_BAD_ARCHIVE;
		rollout_event(ro, "stage", nd, "%s", nd->why);
	}
	if (code == CUT_ERR_BAD_ARCHIVE || failures > max_fail || stop_flag) {
		if (code != CUT_ERR_BAD_ARCHIVE)
			code = CUT_ERR_FAILED;
		rollout_event(ro, "abort", NULL, "stage %s; nothing was switched",
		    stop_flag ? "interrupted" : "failed");
		r = finish(ro, "aborted", code, "");
		recompress_free(&rc);
		munmap((void *)map, (size_t)sb.st_size);
		return r;
	}
	rollout_event(ro, "staged", NULL, "release %s on every host", rel);

	/* Switch in batches; every host is activated and its release checked, none skipped. */
	kv_add(&a, "release", rel);
	for (size_t b = 0; b < nb && code == CUT_OK; b++) {
		size_t end = b + 1 < nb ? starts[b + 1] : ro->n;
		char phase[32];

		snprintf(phase, sizeof(phase), "switch %zu/%zu", b + 1, nb);
		ro->phase = phase;
		rollout_event(ro, "batch", NULL, "batch %zu/%zu", b + 1, nb);
		for (size_t i = starts[b]; i < end; i++)
			if (ro->nodes[i].staged && ro->nodes[i].st == N_IDLE)
				node_request(&ro->nodes[i], "activate", &a);
		journal_nodes(ro, "switching", starts[b], end, pick_activating);
		rollout_wait(ro, -1);
		if (o->bake > 0 && !stop_flag) {
			ro->phase = "bake";
			rollout_wait(ro, o->bake * 1000);
			for (size_t i = starts[b]; i < end; i++)
				if (ro->nodes[i].st == N_IDLE)
					node_request(&ro->nodes[i], "status", NULL);
			rollout_wait(ro, -1);
			ro->phase = phase;
		}
		for (size_t i = starts[b]; i < end; i++) {
			struct node *nd = &ro->nodes[i];
			const char *cur = kv_get(&nd->res, o->bake > 0 ? "current" : "release");

			if (!nd->staged)
				continue;
			if (nd->st == N_IDLE && cur && strcmp(cur, rel) == 0) {
				nd->switched = 1;
				rollout_event(ro, "switched", nd, "now on %s", rel);
				continue;
			}
			failures++;
			if (nd->st == N_IDLE) {
				nd->st = N_FAILED;	/* answered, but not on the release */
				snprintf(nd->why, sizeof(nd->why), "reports %s, not %s", cur ? cur : "no release", rel);
			}
			if (nd->st == N_LOST)
				nd->switched = 1;	/* unknown whether it switched: bring it back too */
			rollout_event(ro, "failed", nd, "%s", nd->why[0] ? nd->why : "not on the new release after bake");
		}
		journal_nodes(ro, "switched", starts[b], end, pick_switched);
		journal_nodes(ro, "failed", starts[b], end, pick_failed);
		journal_nodes(ro, "reversed", starts[b], end, pick_self_reverted);
		if (failures > max_fail)
			code = CUT_ERR_REVERSED;
		else if (stop_flag) {
			code = CUT_ERR_REVERSED;
			rollout_event(ro, "interrupt", NULL, "signal received; stop switching");
		}
	}
	kv_free(&a);
	if (code != CUT_OK) {
		reverse(ro, left, sizeof(left));
		r = finish(ro, left[0] ? "partial" : "reversed", left[0] ? CUT_ERR_PARTIAL : code, left);
	} else {
		for (size_t i = 0; i < ro->n; i++)
			if (ro->nodes[i].st == N_LOST && ro->nodes[i].switched)
				snprintf(left + strlen(left), sizeof(left) - strlen(left), "%s%s",
				    left[0] ? " " : "", ro->nodes[i].h->name);
		r = finish(ro, left[0] ? "partial" : "done", left[0] ? CUT_ERR_PARTIAL : CUT_OK, left);
	}
	recompress_free(&rc);
	munmap((void *)map, (size_t)sb.st_size);
	return r;
}

int
cmd_deploy(const struct copts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "app", required_argument, NULL, 'a' },
		{ "release", required_argument, NULL, 'r' },
		{ "hosts", required_argument, NULL, 'H' },
		{ "group", required_argument, NULL, 'G' },
		{ "batch", required_argument, NULL, 'b' },
		{ "max-fail", required_argument, NULL, 'm' },
		{ "canary", required_argument, NULL, 'c' },
		{ "bake", required_argument, NULL, 'k' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct deploy_opts o = { .max_fail = -1 };
	struct rollout ro;
	char *end;
	int ch, rc;

	/* "-": options may follow ARCHIVE (deploy X.tgz --dry-run), in any order. */
	while ((ch = getopt_long(argc, argv, "-", opts, NULL)) != -1) {
		switch (ch) {
		case 1:
			if (o.archive != NULL)
				return coord_usage("deploy");
			o.archive = optarg;
			break;
		case 'h': return coord_help("deploy");
		case 'a': o.app = optarg; break;
		case 'r': o.release = optarg; break;
		case 'H': o.hosts = optarg; break;
		case 'G': o.group = optarg; break;
		case 'b': o.batch = optarg; break;
		case 'n': o.dry_run = 1; break;
		case 'm': case 'c': case 'k': {
			long long v = strtoll(optarg, &end, 10);

			if (*end != '\0' || end == optarg || v < 0 || v > 1000000) {
				log_error("deploy: \"%s\" is not a number from 0 to 1000000", optarg);
				return CUT_EXIT_USAGE;
			}
			if (ch == 'm')
				o.max_fail = v;
			else if (ch == 'c')
				o.canary = v;
			else
				o.bake = v;
			break;
		}
		default:
			return coord_usage("deploy");
		}
	}
	if (optind < argc && o.archive == NULL)
		o.archive = argv[optind++];	/* after "--" */
	if (optind != argc || o.archive == NULL)
		return coord_usage("deploy");
	if ((rc = rollout_open(&ro, g, o.hosts, o.group)) != 0)
		return rc;
	rc = deploy(&ro, &o);
	rollout_close(&ro);
	return rc;
}
