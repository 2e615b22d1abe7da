/*
 * The deploy state machine (engine.h): engine_advance() runs one phase and
 * records the transition; engine_deploy() opens the archive, runs the
 * machine to a final phase and reports.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "notify.h"
#include "err.h"
#include "fsutil.h"
#include "hexdigest.h"
#include "log.h"
#include "plan.h"
#include "sha256.h"
#include "signature.h"
#include "stage.h"
#include "url.h"

static const char *const phase_names[RP_MAX_] = {
	[RP_PLAN] = "plan", [RP_PREFLIGHT] = "preflight", [RP_STAGE] = "stage",
	[RP_SWITCH] = "switch", [RP_BAKE] = "bake", [RP_REVERSING] = "reverse",
	[RP_DONE] = "done", [RP_REVERSED] = "reversed", [RP_PARTIAL] = "partial",
	[RP_ABORTED] = "aborted", [RP_PAUSED] = "paused",
};

const char *
rollout_phase_name(enum rollout_phase p)
{
	return p < RP_MAX_ && phase_names[p] ? phase_names[p] : "?";
}

/* The engine's settle hooks are off once the rollout's own steps are over. */
static void
ro_settle_off(struct rollout *ro)
{
	ro->on_settle = NULL;
	ro->cut_short = NULL;
}

static int
phase_final(enum rollout_phase p)
{
	return p >= RP_DONE;
}

/* Enter phase p: the progress view's name, and the journal once the rollout has a start record. */
static void
set_phase(struct engine *e, enum rollout_phase p)
{
	log_debug("rollout: %s -> %s", rollout_phase_name(e->phase), rollout_phase_name(p));
	e->phase = p;
	if (p == RP_SWITCH || p == RP_BAKE) {
		rollout_phase(e->ro, "%s %zu/%zu", p == RP_SWITCH ? "switch" : "bake", e->batch + 1, e->nb);
		if (e->started)
			rj_printf(&e->ro->j, "phase state=%s batch=%zu of=%zu ts=%lld", rollout_phase_name(p),
			    e->batch + 1, e->nb, now_ms());
	} else {
		rollout_phase(e->ro, "%s", rollout_phase_name(p));
		if (!phase_final(p) && e->started)
			rj_printf(&e->ro->j, "phase state=%s ts=%lld", rollout_phase_name(p), now_ms());
	}
}

int
engine_advance(struct engine *e)
{
	enum rollout_phase next;

	switch (e->phase) {
	case RP_PLAN:
		next = engine_plan(e);
		break;
	case RP_PREFLIGHT:
		next = engine_preflight(e);
		break;
	case RP_STAGE:
		next = engine_stage(e);
		break;
	case RP_SWITCH:
		next = engine_switch(e);
		break;
	case RP_BAKE:
		next = engine_bake(e);
		break;
	case RP_REVERSING:
		next = engine_reverse(e);
		break;
	default:
		return 0;
	}
	set_phase(e, next);
	return !phase_final(next);
}

void
engine_journal(struct engine *e, const char *fmt, ...)
{
	char line[1024], *grown;
	va_list ap;
	int n;

	if (e->ro->j.fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 1)
		return;
	if (!rj_record_ok(line, (size_t)n)) {
		log_error("rollout journal: refusing a malformed record");
		return;
	}
	line[n++] = '\n';
	if ((grown = realloc(e->jbuf, e->jlen + (size_t)n)) == NULL)
		return;
	memcpy(grown + e->jlen, line, (size_t)n);
	e->jbuf = grown;
	e->jlen += (size_t)n;
}

/* One write + fsync for the batch's records, before anything acts on them. */
void
engine_journal_flush(struct engine *e)
{
	if (e->jlen > 0)
		rj_write(&e->ro->j, e->jbuf, e->jlen);
	e->jlen = 0;
}

void
engine_leave(struct engine *e, const struct node *nd)
{
	size_t used = strlen(e->left);

	snprintf(e->left + used, sizeof(e->left) - used, "%s%s", used ? " " : "", nd->h->name);
}

/*
 * Read size bytes of fd into buf and hash them as they come, a chunk at a
 * time while it is still in the CPU cache: one pass over the archive, as
 * hashing the old mapping was. Bytes read (fewer: the file shrank), or -1.
 * The hex SHA-256 is the release's identity on every host.
 */
static ssize_t
read_hashing(int fd, unsigned char *buf, size_t size, char out[SHA256_HEX_LEN + 1])
{
	struct sha256 h;
	unsigned char md[SHA256_LEN];
	size_t got = 0;

	if (sha256_init(&h) != CUT_OK)
		return -1;
	while (got < size) {
		size_t want = size - got < ((size_t)1 << 20) ? size - got : (size_t)1 << 20;
		ssize_t n = read_full(fd, buf + got, want);

		if (n < 0 || (n > 0 && sha256_update(&h, buf + got, (size_t)n) != CUT_OK)) {
			sha256_free(&h);
			return -1;
		}
		got += (size_t)n;
		if ((size_t)n != want)
			break;	/* end of file early: it shrank */
	}
	if (sha256_final(&h, md) != CUT_OK) {
		sha256_free(&h);
		return -1;
	}
	sha256_hex(md, out);
	return (ssize_t)got;
}

/*
 * Read the archive into memory and start its recompression; exit code or 0.
 * Read, not mmap(2): a file truncated under a mapping raises SIGBUS in
 * whichever thread touches the lost page (hash, recompress, upload); a read
 * sees the short file and says so (cutover(1), deploy). Hashed while read
 * (read_hashing), it costs about what faulting the mapping in did.
 */
static int
open_archive(struct engine *e)
{
	struct stat sb;
	const char *path = e->o->archive;
	int fd, level;
	unsigned char *buf;
	ssize_t got;

	if (e->o->url) {
		/* The agents fetch it: nothing is read here, the digest is the one given. */
		for (size_t i = 0; i < SHA256_HEX_LEN; i++)
			e->sha[i] = (char)tolower((unsigned char)e->o->sha256[i]);
		e->sha[SHA256_HEX_LEN] = '\0';
		return rj_open(&e->ro->j, e->ro->g->fleet_file, e->ro->app) != CUT_OK ? CUT_EXIT_USAGE : 0;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &sb) != 0) {
		log_error("deploy: cannot open \"%s\": %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return CUT_EXIT_BAD_INPUT;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size == 0) {
		close(fd);
		return log_error("deploy: \"%s\" is not a non-empty regular file", path), CUT_EXIT_BAD_INPUT;
	}
	/* Read once; every host's upload borrows the buffer. */
	if ((buf = malloc((size_t)sb.st_size)) == NULL) {
		close(fd);
		return log_error("deploy: \"%s\": out of memory", path), CUT_EXIT_BAD_INPUT;
	}
	got = read_hashing(fd, buf, (size_t)sb.st_size, e->sha);
	close(fd);
	e->map = buf;
	if (got < 0)
		return log_error("deploy: cannot read \"%s\": %s", path, strerror(errno)), CUT_EXIT_BAD_INPUT;
	if ((size_t)got != (size_t)sb.st_size)
		return log_error("deploy: \"%s\" shrank from %lld to %lld bytes while being read; is it still being "
		    "written?", path, (long long)sb.st_size, (long long)got), CUT_EXIT_BAD_INPUT;
	e->len = (size_t)sb.st_size;
	if (e->o->sha256 != NULL && strcasecmp(e->o->sha256, e->sha) != 0)
		return log_error("deploy: \"%s\" has sha256 %s, not %s (--sha256)", path, e->sha, e->o->sha256),
		    CUT_EXIT_BAD_INPUT;
	if ((level = signature_read(path, &e->sig)) != 0)
		return level;
	/*
	 * Recompressed while preflight runs; staging waits for it (and reports a
	 * failure). Never a signed archive: the signature covers its own bytes.
	 */
	if (e->sig == NULL && (level = stage_recompress_level(e->ro)) > 0 &&
	    recompress_worth(e->map, e->len))
		(void)recompress_start(&e->rc, e->map, e->len, level, e->sha);
	/* No rollout we could not account for afterwards. */
	if (rj_open(&e->ro->j, e->ro->g->fleet_file, e->ro->app) != CUT_OK)
		return CUT_EXIT_USAGE;
	return 0;
}

int
deploy_release_id(const struct deploy_opts *o, char out[RELEASE_ID_MAX + 1])
{
	return o->url ? release_id_from_url(o->archive, out) : release_id_from_archive(o->archive, out);
}

/* The options, the release ID and the batches; exit code or 0. */
static int
setup(struct engine *e)
{
	struct rollout *ro = e->ro;
	const struct deploy_opts *o = e->o;
	int rc;

	ro->app = o->app ? o->app : ro->app;
	if (ro->app == NULL || ro->app[0] == '\0')
		return log_error("deploy: no app (set app in the fleet file or give --app)"), CUT_EXIT_USAGE;
	if (o->release) {
		if (!release_id_valid(o->release))
			return log_error("deploy: --release \"%s\" is not a valid release ID", o->release),
			    CUT_EXIT_BAD_INPUT;
		snprintf(e->rel, sizeof(e->rel), "%s", o->release);
	} else if (deploy_release_id(o, e->rel) != CUT_OK)
		return log_error("deploy: cannot derive a release ID from \"%s\" (use --release)", o->archive),
		    CUT_EXIT_BAD_INPUT;
	ro->release = e->rel;
	if (identity_new(&ro->id, "deploy", o->actor) != 0)
		return CUT_EXIT_USAGE;
	if (fleet_batch_size(o->batch ? o->batch : ro->run.sel.global.batch, ro->n, &e->bsize) != CUT_OK)
		return log_error("deploy: --batch \"%s\" is not N or N%%", o->batch), CUT_EXIT_USAGE;
	e->max_fail = (size_t)(o->max_fail >= 0 ? o->max_fail : ro->run.sel.global.max_fail);
	if ((rc = plan_batches(e)) != 0)
		return rc;
	if ((e->member = calloc(ro->n ? ro->n : 1, 1)) == NULL)
		return log_error("out of memory"), CUT_EXIT_REVERSED;
	return 0;
}

void
engine_free(struct engine *e)
{
	recompress_free(&e->rc);
	free((void *)e->map);
	free(e->sig);
	free(e->starts);
	free(e->order);
	free(e->member);
	free(e->jbuf);
}

/* Each member's note: the paused plan (its own batch), or how a continued rollout ended. */
static void
note_members(struct engine *e, const char *state)
{
	struct rollout *ro = e->ro;
	struct kvlist a = KVLIST_INIT;

	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];

		if (!e->member[i] || !node_idle(nd) || nd->st == NODE_FAILED || !sess_has_cap(&nd->s, PROTO_CAP_NOTE))
			continue;
		kv_free(&a);
		kv_add(&a, "state", state);
		kv_add(&a, "release", e->rel);
		kv_add(&a, "sha256", e->sha);
		kv_add_int(&a, "batch", (long long)plan_batch_of(e, i) + 1);
		kv_add_int(&a, "batches", (long long)e->nb);
		kv_add_int(&a, "next_batch", (long long)e->batch + 1);
		kv_add_int(&a, "max_fail", (long long)e->max_fail);
		kv_add_int(&a, "failures", (long long)e->failures);
		kv_add_int(&a, "bake", e->o->bake);
		kv_add(&a, "prev", nd->prev);
		node_request(nd, "note", &a);
	}
	kv_free(&a);
	rollout_wait(ro, -1);
}

/* A done rollout prunes every host to its app's keep (the agent spares current, previous, pins). */
static void
prune_members(struct engine *e)
{
	struct rollout *ro = e->ro;

	for (size_t i = 0; i < ro->n; i++)
		if (e->member[i] && ro->nodes[i].st == NODE_SWITCHED)
			node_request(&ro->nodes[i], "prune", NULL);
	rollout_wait(ro, -1);
	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];
		const char *removed = kv_get(&nd->res, "removed");

		if (!e->member[i])
			continue;
		if (nd->st == NODE_FAILED || nd->st == NODE_LOST)
			rollout_event(ro, "prune", nd, "not pruned: %s", nd->why);
		else if (removed && *removed)
			rollout_event(ro, "prune", nd, "removed %s", removed);
	}
}

int
engine_finish(struct engine *e)
{
	static const struct {
		enum rollout_phase p;
		const char *outcome;
	} outcomes[] = {
		{ RP_DONE, "done" }, { RP_REVERSED, "reversed" }, { RP_PARTIAL, "partial" },
		{ RP_ABORTED, "aborted" }, { RP_PAUSED, "paused" },
	};
	const char *outcome = "aborted";
	int code = e->code;

	for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
		if (outcomes[i].p == e->phase)
			outcome = outcomes[i].outcome;
	if (e->phase == RP_PARTIAL)
		code = CUT_ERR_PARTIAL;
	if (e->phase == RP_PAUSED || (e->mode == ENGINE_ABORT && e->phase == RP_REVERSED))
		code = CUT_OK;
	ro_settle_off(e->ro);
	if (e->phase == RP_DONE)
		prune_members(e);
	/* The hosts hold the truth: a paused plan, or the end of one they hold. */
	if (e->phase == RP_PAUSED)
		note_members(e, "paused");
	else if (e->mode != ENGINE_DEPLOY)
		note_members(e, e->mode == ENGINE_ABORT && e->phase == RP_REVERSED ? "aborted" : outcome);
	if (e->started)
		rj_printf(&e->ro->j, "end ts=%lld outcome=%s", now_ms(), outcome);
	rollout_finish(e->ro);
	rollout_phase(e->ro, "%s", outcome);
	if (e->started)
		engine_notify(e, e->phase == RP_PAUSED ? "pause" : e->phase == RP_DONE ||
		    (e->mode == ENGINE_ABORT && e->phase == RP_REVERSED) ? "finish" : "failure", outcome, code);
	return engine_report(e, outcome, code);
}

int
engine_deploy(struct rollout *ro, const struct deploy_opts *o)
{
	struct engine e;
	int rc;

	memset(&e, 0, sizeof(e));
	e.ro = ro;
	e.o = o;
	recompress_init(&e.rc);
	/* The plan is printed before anything is opened: --dry-run ends there. */
	if ((rc = setup(&e)) == 0 && engine_advance(&e) && (rc = coord_check_files(&ro->run)) == 0 &&
	    (rc = open_archive(&e)) == 0)
		rc = -1;
	if (rc != -1) {
		engine_free(&e);
		return rc;
	}
	ro->user = &e;
	rollout_sigsetup(&e.stop);
	ro->stop = &e.stop;
	while (engine_advance(&e))
		;
	rc = engine_finish(&e);
	rollout_sigsetup(NULL);	/* e.stop goes out of scope */
	ro->stop = NULL;
	ro->user = NULL;
	engine_free(&e);
	return rc;
}
