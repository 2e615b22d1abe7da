/*
 * Staging is the slow part of a rollout and is done everywhere at once;
 * nothing switches here. See stage.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "proto.h"
#include "engine.h"
#include "log.h"
#include "stage.h"
#include "url.h"

/* Recompressing costs the coordinator about what one host saves: worth it from two hosts. */
#define STAGE_RECOMPRESS_MIN_HOSTS	2

int
stage_recompress_level(const struct rollout *ro)
{
	int level = 0;
	size_t want = 0;

	for (size_t i = 0; i < ro->n; i++) {
		int l = (int)ro->nodes[i].h->conf->s.recompress;

		if (l > 0) {
			want++;
			if (l > level)
				level = l;
		}
	}
	return want >= STAGE_RECOMPRESS_MIN_HOSTS ? level : 0;
}

/* This node gets the zstd stream: it wants it and its agent reads it. */
static int
gets_zstd(const struct node *nd, const struct recompress *rc)
{
	return rc->out != NULL && nd->h->conf->s.recompress > 0 &&
	    sess_has_cap(&nd->s, PROTO_CAP_ZSTD);
}

/* Wait for the recompression, or stop it when no host would use it. */
static void
finish_recompress(struct rollout *ro, struct recompress *rc, size_t uploads, size_t len)
{
	if (!rc->tried)
		return;
	if (uploads == 0) {
		recompress_cancel(rc);
		recompress_free(rc);	/* every host has it: nothing goes out */
		return;
	}
	if (recompress_finish(rc) == CUT_OK)
		rollout_event(ro, "recompressed", NULL, "zstd -%d: %zu -> %zu bytes in %lld ms",
		    rc->level, len, rc->outlen, rc->ms);
	else
		rollout_event(ro, "recompressed", NULL, "not recompressed (%s): sending the archive as it is",
		    rc->why);
}

/* The host answered `have` with this very release (by the archive's digest). */
static int
has_release(const struct node *nd, const char *release)
{
	const char *h = kv_get(&nd->res, "have"), *hrel = kv_get(&nd->res, "release");

	return h && strcmp(h, "true") == 0 && hrel && strcmp(hrel, release) == 0;
}

/*
 * The install request for node i: the zstd one, the signed one (an agent
 * that takes a signature, cap sig), or the plain one. A signature an older
 * agent cannot take is left out with a warning: such an agent has no
 * signature policy to apply it to (cutover(1), "Signatures").
 */
static const struct kvlist *
install_args(struct engine *e, struct node *nd, int z, const struct kvlist *zstd,
    const struct kvlist *plain, const struct kvlist *sig)
{
	if (z)
		return zstd;
	if (e->sig == NULL)
		return plain;
	if (sess_has_cap(&nd->s, PROTO_CAP_SIG))
		return sig;
	rollout_event(e->ro, "signature", nd, "warning: agent takes no signature (protocol before 1.4): "
	    "%s.sig not sent to it", e->o->archive);
	return plain;
}

/* Ask every locked node whether it has the release; has[i] says who does. */
static void
ask_have(struct engine *e, unsigned char *has)
{
	struct rollout *ro = e->ro;
	struct kvlist have = KVLIST_INIT;

	kv_add(&have, "sha256", e->sha);
	for (size_t i = 0; i < ro->n; i++)
		if (ro->nodes[i].st == NODE_LOCKED)
			node_request(&ro->nodes[i], "have", &have);
	rollout_wait(ro, -1);
	kv_free(&have);
	for (size_t i = 0; i < ro->n; i++)
		if (ro->nodes[i].st == NODE_LOCKED)
			has[i] = has_release(&ro->nodes[i], e->rel);
}

/*
 * URL staging: the agents fetch the archive themselves (cap fetch), at most
 * fetch_parallel at once; each settled fetch starts the next, so a rollout
 * never has more hosts on the artifact server (cutover.ini(5)).
 */
struct fetch_window {
	struct engine *e;
	const struct kvlist *args;
	unsigned char *queued;	/* per node: waiting for a slot */
	unsigned char *fetching;	/* per node: its install is out */
	size_t next, inflight, max, peak;
};

static struct fetch_window *fetch_win;	/* the window of the staging under way (one at a time) */

static void
fetch_fill(struct fetch_window *w)
{
	struct rollout *ro = w->e->ro;

	while (w->inflight < w->max && w->next < ro->n && !w->e->stop) {
		size_t i = w->next++;

		if (!w->queued[i] || ro->nodes[i].st != NODE_LOCKED)
			continue;
		w->queued[i] = 0;
		if (node_request(&ro->nodes[i], "install", w->args) != CUT_OK)
			continue;
		w->fetching[i] = 1;
		if (++w->inflight > w->peak)
			w->peak = w->inflight;
	}
}

/* The rollout's on_settle hook, whose type takes a mutable node. */
static void
/* cppcheck-suppress constParameter */
fetch_settled(struct rollout *ro, struct node *nd)
{
	struct fetch_window *w = fetch_win;
	size_t i = (size_t)(nd - ro->nodes);

	if (w == NULL || i >= ro->n || !w->fetching[i])
		return;
	w->fetching[i] = 0;
	w->inflight--;
	fetch_fill(w);
}

static void
stage_fetch(struct engine *e, const unsigned char *has)
{
	struct rollout *ro = e->ro;
	struct kvlist args = KVLIST_INIT;
	struct fetch_window w = { .e = e, .args = &args };
	char shown[512];
	size_t want = 0;

	w.max = (size_t)ro->run.sel.global.fetch_parallel;
	w.queued = calloc(ro->n ? ro->n : 1, 1);
	w.fetching = calloc(ro->n ? ro->n : 1, 1);
	if (w.queued == NULL || w.fetching == NULL) {
		free(w.queued);
		free(w.fetching);
		return;
	}
	kv_add(&args, "release", e->rel);
	kv_add(&args, "url", e->o->archive);
	kv_add(&args, "sha256", e->sha);
	for (size_t i = 0; i < ro->n; i++) {
		if (ro->nodes[i].st != NODE_LOCKED)
			continue;
		if (has[i])	/* answered at once from what it has: no fetch */
			(void)node_request(&ro->nodes[i], "install", &args);
		else
			want += w.queued[i] = 1;
	}
	url_shown(e->o->archive, shown, sizeof(shown));
	rollout_event(ro, "fetch", NULL, "%zu host(s) fetch %s, at most %zu at once (fetch_parallel)",
	    want, shown, w.max);
	fetch_win = &w;
	ro->on_settle = fetch_settled;
	fetch_fill(&w);
	rollout_wait(ro, -1);
	ro->on_settle = NULL;
	fetch_win = NULL;
	log_debug("stage: at most %zu host(s) fetched at once", w.peak);
	kv_free(&args);
	free(w.queued);
	free(w.fetching);
}

/* install (+ upload) on every locked node, all at once. */
static void
stage_upload(struct engine *e, const unsigned char *has)
{
	struct rollout *ro = e->ro;
	struct recompress *rc = &e->rc;
	struct kvlist plain = KVLIST_INIT, zstd = KVLIST_INIT, sig = KVLIST_INIT;
	const char *name = strrchr(e->o->archive, '/') ? strrchr(e->o->archive, '/') + 1 : e->o->archive;
	size_t uploads = 0;

	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];

		if (nd->st != NODE_LOCKED)
			continue;
		uploads += !has[i] && nd->h->conf->s.recompress > 0 && sess_has_cap(&nd->s, PROTO_CAP_ZSTD);
	}
	finish_recompress(ro, rc, uploads, e->len);

	kv_add(&plain, "release", e->rel);
	kv_add(&plain, "archive_name", name);
	kv_add(&plain, "sha256", e->sha);
	if (e->sig != NULL) {
		kv_copy(&sig, &plain);
		kv_add(&sig, "signature", e->sig);
	}
	if (rc->out != NULL) {
		kv_add(&zstd, "release", e->rel);
		kv_add(&zstd, "archive_name", name);
		kv_add(&zstd, "sha256", rc->sha256);
		kv_add(&zstd, "archive_sha256", e->sha);
	}
	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];
		int z = !has[i] && gets_zstd(nd, rc);

		if (nd->st != NODE_LOCKED)
			continue;
		/* have=true: the plain request, no DATA; the agent answers at once. */
		if (node_request(nd, "install", install_args(e, nd, z, &zstd, &plain, &sig)) != CUT_OK ||
		    has[i])
			continue;
		if (z)
			sess_upload(&nd->s, rc->out, rc->outlen, rc->sha256);
		else
			sess_upload(&nd->s, e->map, e->len, e->sha);
	}
	rollout_wait(ro, -1);
	kv_free(&plain);
	kv_free(&zstd);
	kv_free(&sig);
}

/* have + install (+ upload, or the agents' own fetch) on every locked node. */
static void
stage_run(struct engine *e)
{
	unsigned char *has;

	if ((has = calloc(e->ro->n ? e->ro->n : 1, 1)) == NULL)
		return;
	ask_have(e, has);
	if (e->o->url)
		stage_fetch(e, has);
	else
		stage_upload(e, has);
	free(has);
}

enum rollout_phase
engine_stage(struct engine *e)
{
	struct rollout *ro = e->ro;
	int bad_archive = 0;

	stage_run(e);
	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];

		if (!e->member[i] || nd->st == NODE_STAGED)
			continue;
		e->failures++;
		bad_archive |= nd->exit_code == CUT_EXIT_BAD_INPUT;
		rollout_event(ro, "stage", nd, "%s", nd->why);
	}
	if (bad_archive || e->failures > e->max_fail || e->stop) {
		e->code = bad_archive ? CUT_ERR_BAD_ARCHIVE : CUT_ERR_FAILED;
		rollout_event(ro, "abort", NULL, "stage %s; nothing was switched", e->stop ? "interrupted" : "failed");
		return RP_ABORTED;
	}
	rollout_event(ro, "staged", NULL, "release %s on every host", e->rel);
	return RP_SWITCH;
}
