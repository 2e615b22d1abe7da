/*
 * Staging is the slow part of a rollout and is done everywhere at once;
 * nothing switches here. See stage.h.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "proto.h"
#include "stage.h"

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
finish_recompress(struct rollout *ro, struct recompress *rc, size_t uploads, const struct stage_src *src)
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
		    rc->level, src->len, rc->outlen, rc->ms);
	else
		rollout_event(ro, "recompressed", NULL, "not recompressed (%s): sending the archive as it is",
		    rc->why);
}

void
stage_run(struct rollout *ro, const struct stage_src *src)
{
	struct kvlist have = KVLIST_INIT, plain = KVLIST_INIT, zstd = KVLIST_INIT;
	size_t uploads = 0;

	kv_add(&have, "sha256", src->sha256);
	for (size_t i = 0; i < ro->n; i++)
		if (ro->nodes[i].st == N_IDLE)
			node_request(&ro->nodes[i], "have", &have);
	rollout_wait(ro, -1);
	kv_free(&have);

	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];
		const char *h = kv_get(&nd->res, "have"), *hrel = kv_get(&nd->res, "release");

		if (nd->st != N_IDLE)
			continue;
		nd->have = h && strcmp(h, "true") == 0 && hrel && strcmp(hrel, src->release) == 0;
		uploads += !nd->have && nd->h->conf->s.recompress > 0 &&
		    sess_has_cap(&nd->s, PROTO_CAP_ZSTD);
	}
	finish_recompress(ro, src->rc, uploads, src);

	kv_add(&plain, "release", src->release);
	kv_add(&plain, "archive_name", src->archive_name);
	kv_add(&plain, "sha256", src->sha256);
	if (src->rc->out != NULL) {
		kv_add(&zstd, "release", src->release);
		kv_add(&zstd, "archive_name", src->archive_name);
		kv_add(&zstd, "sha256", src->rc->sha256);
		kv_add(&zstd, "archive_sha256", src->sha256);
	}
	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];
		int z = !nd->have && gets_zstd(nd, src->rc);

		if (nd->st != N_IDLE)
			continue;
		/* have=true: the plain request, no DATA; the agent answers at once. */
		if (node_request(nd, "install", z ? &zstd : &plain) != CUT_OK || nd->have)
			continue;
		if (z)
			sess_upload(&nd->s, src->rc->out, src->rc->outlen, src->rc->sha256);
		else
			sess_upload(&nd->s, src->map, src->len, src->sha256);
	}
	rollout_wait(ro, -1);
	kv_free(&plain);
	kv_free(&zstd);
}
