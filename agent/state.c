#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activation.h"
#include "err.h"
#include "journal.h"
#include "state.h"

struct release_info *
state_find(const struct state *st, const char *id)
{
	for (size_t i = 0; i < st->nrel; i++)
		if (strcmp(st->rel[i].id, id) == 0)
			return &st->rel[i];
	return NULL;
}

static struct release_info *
state_get(struct state *st, const char *id)
{
	struct release_info *ri = state_find(st, id), *nr;

	if (ri != NULL || !release_id_valid(id))
		return ri;
	if ((nr = realloc(st->rel, (st->nrel + 1) * sizeof(*nr))) == NULL)
		return NULL;
	st->rel = nr;
	ri = &st->rel[st->nrel++];
	memset(ri, 0, sizeof(*ri));
	strcpy(ri->id, id);
	return ri;
}

static int
stack_push(struct state *st, const char *id)
{
	char (*ns)[RELEASE_ID_MAX + 1];

	if (st->nstack > 0 && strcmp(st->stack[st->nstack - 1], id) == 0)
		return CUT_OK;
	if ((ns = realloc(st->stack, (st->nstack + 1) * sizeof(*ns))) == NULL)
		return CUT_ERR_ALLOC;
	st->stack = ns;
	strcpy(st->stack[st->nstack++], id);
	return CUT_OK;
}

/* Remember rec, an ok switch of current, as what made current what it is. */
static void
remember_switch(struct state *st, const struct kvlist *rec, const char *op)
{
	struct switch_info *sw = &st->last_switch;
	const char *via = kv_get(rec, "via"), *v;

	/* A deploy journals its switch as op=activate with via=deploy. */
	if (strcmp(op, "activate") == 0 && via != NULL && strcmp(via, "deploy") == 0)
		op = "deploy";
	snprintf(sw->op, sizeof(sw->op), "%s", op);
	snprintf(sw->release, sizeof(sw->release), "%s", kv_get(rec, "release"));
	snprintf(sw->from, sizeof(sw->from), "%s", (v = kv_get(rec, "previous")) ? v : "");
	snprintf(sw->rollout, sizeof(sw->rollout), "%s", (v = kv_get(rec, "rollout")) ? v : "");
	snprintf(sw->kind, sizeof(sw->kind), "%s", (v = kv_get(rec, "kind")) ? v : "");
	snprintf(sw->actor, sizeof(sw->actor), "%s", (v = kv_get(rec, "actor")) ? v : "");
	sw->ts_ms = kv_get_int(rec, "ts_ms", 0);
}

/*
 * An ok switch to ri: the applied schema only ever goes up (a rollback
 * does not un-migrate the database), and a drill's two switches leave
 * what made current current as it was, so `cutover rollback` after a
 * drill still finds the deploy in effect.
 */
static void
note_switch(struct state *st, const struct kvlist *rec, const char *op,
    const struct release_info *ri)
{
	const char *via = kv_get(rec, "via");
	int drill = via != NULL && strcmp(via, "drill") == 0;

	if (ri->man.has_schema && (!st->schema_known || ri->man.schema > st->schema_applied)) {
		st->schema_known = 1;
		st->schema_applied = ri->man.schema;
		st->schema_floor = ri->man.compatible_from;
	}
	if (drill && strcmp(op, "rollback") == 0) {
		st->pre_drill = st->last_switch;
		st->in_drill = 1;
	} else if (drill && st->in_drill && strcmp(st->pre_drill.release, ri->id) == 0) {
		st->last_switch = st->pre_drill;
		st->in_drill = 0;
		return;
	} else {
		st->in_drill = 0;
	}
	remember_switch(st, rec, op);
}

/*
 * Fold one journal record into the state: the replay's step, and what
 * journal_append does with each record it writes, so a state kept across
 * appends always equals a fresh replay of the file.
 */
int
state_apply(struct state *st, const struct kvlist *rec)
{
	const char *op = kv_get(rec, "op"), *phase = kv_get(rec, "phase");
	const char *id = kv_get(rec, "release"), *outcome = kv_get(rec, "outcome");
	const char *bad = kv_get(rec, "bad");
	struct release_info *ri;
	int r;

	if (op == NULL)
		return CUT_OK;	/* not a record; the replay never sees it either */
	st->seq++;
	if (phase && strcmp(phase, "begin") == 0) {
		kv_free(&st->pending);
		if ((r = kv_copy(&st->pending, rec)) != CUT_OK)
			return r;
		st->has_pending = 1;
		return CUT_OK;
	}
	st->has_pending = 0;
	kv_free(&st->pending);
	if (strcmp(op, "rollout") == 0 && kv_get(rec, "state") && strcmp(kv_get(rec, "state"), "live") == 0) {
		/* A blue-green switch record: later rollout notes must not hide it. */
		kv_free(&st->live);
		st->has_live = 0;
		if ((r = kv_copy(&st->live, rec)) != CUT_OK)
			return r;
		st->has_live = 1;
		return CUT_OK;
	}
	if (strcmp(op, "rollout") == 0) {
		/* A coordinator's note: its args (release, bad, ...) are not facts here. */
		kv_free(&st->note);
		st->has_note = 0;
		if ((r = kv_copy(&st->note, rec)) != CUT_OK)
			return r;
		st->has_note = 1;
		return CUT_OK;
	}
	/* An ID state_get cannot add is invalid (skipped) unless memory ran out. */
	if (bad && (ri = state_get(st, bad)) != NULL)
		ri->bad = 1;
	else if (bad && release_id_valid(bad))
		return CUT_ERR_ALLOC;
	if (id == NULL || outcome == NULL)
		return CUT_OK;
	if ((ri = state_get(st, id)) == NULL)
		return release_id_valid(id) ? CUT_ERR_ALLOC : CUT_OK;
	if (strcmp(op, "install") == 0 && (strcmp(outcome, "ok") == 0 || strcmp(outcome, "present") == 0)) {
		const char *sha = kv_get(rec, "sha256");

		if (sha && strlen(sha) == SHA256_HEX_LEN)
			strcpy(ri->sha256, sha);
		ri->installed_seq = st->seq;
		ri->installed_ms = kv_get_int(rec, "ts_ms", 0);
		manifest_from_kv(&ri->man, rec);
		snprintf(ri->signature_key, sizeof(ri->signature_key), "%s",
		    kv_get(rec, "signature_key") ? kv_get(rec, "signature_key") : "");
		ri->dedupe = kv_get(rec, "dedupe_files") != NULL;
		ri->dedupe_files = kv_get_int(rec, "dedupe_files", 0);
		ri->dedupe_bytes = kv_get_int(rec, "dedupe_bytes", 0);
	} else if ((strcmp(op, "activate") == 0 || strcmp(op, "rollback") == 0) &&
	    strcmp(outcome, "ok") == 0) {
		/*
		 * A rollback to a release still in the history goes back in it:
		 * everything above that release is dropped, so two rollbacks go
		 * back two releases, and a release that was rolled away from is
		 * never the next rollback target. Any other switch pushes.
		 */
		if (strcmp(op, "rollback") == 0) {
			for (size_t i = st->nstack; i-- > 0;) {
				if (strcmp(st->stack[i], id) == 0) {
					st->nstack = i;
					break;
				}
			}
		}
		ri->activated = 1;
		ri->bad = 0;	/* a release that later activated fine is good again */
		st->last_activation_seq = st->seq;
		note_switch(st, rec, op, ri);
		if ((r = stack_push(st, id)) != CUT_OK)
			return r;
	} else if (strcmp(op, "activate") == 0 && strcmp(outcome, "reversed") == 0) {
		ri->activated = 1;	/* it was current until its health check failed: bad, not unused */
	} else if (strcmp(op, "pin") == 0 && strcmp(outcome, "ok") == 0) {
		ri->pinned = 1;
	} else if (strcmp(op, "unpin") == 0 && strcmp(outcome, "ok") == 0) {
		ri->pinned = 0;
	}
	return CUT_OK;
}

struct replay {
	struct state *st;
	int err;
};

/* journal_foreach callback: stop at the first record that cannot be folded in. */
static int
replay_one(void *ctx, const struct kvlist *rec)
{
	struct replay *rp = ctx;

	rp->err = state_apply(rp->st, rec);
	return rp->err != CUT_OK;
}

/* Mark every release directory on disk, adding those the journal never named. */
static int
scan_releases(struct app *app, struct state *st)
{
	int fd;
	DIR *d;
	struct dirent *de;

	if (app->releasesfd == -1)
		return CUT_OK;	/* read-only open, no releases/: nothing on disk */
	fd = dup(app->releasesfd);
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return CUT_ERR_SYSTEM;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		struct release_info *ri;
		struct stat sb;

		if (!release_id_valid(de->d_name))
			continue;
		if (fstatat(app->releasesfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISDIR(sb.st_mode))
			continue;
		if ((ri = state_get(st, de->d_name)) == NULL) {
			closedir(d);
			return CUT_ERR_ALLOC;
		}
		ri->on_disk = 1;
	}
	closedir(d);
	return CUT_OK;
}

/* Fold the whole journal into st, which holds no disk facts yet. */
static int
replay_journal(struct app *app, struct state *st)
{
	struct replay rp = { .st = st };
	int r;

	if ((r = journal_foreach(app, replay_one, &rp)) != CUT_OK)
		return r;
	return rp.err;
}

int
state_load(struct app *app, struct state *st)
{
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = read_current(app, st->current)) != CUT_OK ||
	    (r = replay_journal(app, st)) != CUT_OK ||
	    (r = scan_releases(app, st)) != CUT_OK)
		state_free(st);		/* callers return without freeing */
	return r;
}

/* current and on_disk as the disk has them now: hooks and swaps change them. */
static int
refresh_disk(struct app *app, struct state *st)
{
	int r;

	if ((r = read_current(app, st->current)) != CUT_OK)
		return r;
	for (size_t i = 0; i < st->nrel; i++)
		st->rel[i].on_disk = 0;
	return scan_releases(app, st);
}

int
app_state(struct app *app, const struct state **stp)
{
	struct state *st = app->state;
	int r;

	*stp = NULL;
	if (st == NULL) {
		/* The one replay of this lock: everything after is appended by us. */
		if ((st = calloc(1, sizeof(*st))) == NULL)
			return CUT_ERR_ALLOC;
		if ((r = replay_journal(app, st)) != CUT_OK) {
			state_free(st);
			free(st);
			return r;
		}
		app->state = st;
	}
	if ((r = refresh_disk(app, st)) != CUT_OK)
		return r;
	*stp = st;
	return CUT_OK;
}

void
app_state_journalled(struct app *app, const struct kvlist *rec)
{
	/* Half-folded is worse than none: the next app_state() replays. */
	if (app->state != NULL && state_apply(app->state, rec) != CUT_OK)
		app_state_drop(app);
}

void
app_state_drop(struct app *app)
{
	if (app->state == NULL)
		return;
	state_free(app->state);
	free(app->state);
	app->state = NULL;
}

void
state_free(struct state *st)
{
	free(st->rel);
	free(st->stack);
	kv_free(&st->pending);
	kv_free(&st->note);
	kv_free(&st->live);
	memset(st, 0, sizeof(*st));
}

const char *
state_rollback_target(const struct state *st)
{
	for (size_t i = st->nstack; i-- > 0;) {
		const char *id = st->stack[i];
		const struct release_info *ri = state_find(st, id);

		if (strcmp(id, st->current) == 0 || ri == NULL || !ri->on_disk || ri->bad)
			continue;
		return id;
	}
	return NULL;
}
