/*
 * One zstd recompression of the release archive per rollout.
 *
 * gzip, bzip2 and xz cost every host 3-5 times zstd's CPU to unpack, and
 * hosts unpack while they serve traffic. The coordinator pays the
 * recompression once, in a thread while preflight runs, and every host that
 * reads zstd (HELLO cap "zstd") gets the cheaper stream; the original's
 * SHA-256 stays the release's identity (proto/PROTOCOL section 5).
 *
 *	struct recompress rc;
 *	recompress_init(&rc);
 *	if (recompress_worth(map, len))
 *		recompress_start(&rc, map, len, level, sha);   (may fail: send the original)
 *	...
 *	if (recompress_finish(&rc) == CUT_OK)         (joins; rc.out/outlen/sha256)
 *	...
 *	recompress_free(&rc);
 */
#ifndef CUT_RECOMPRESS_H
#define CUT_RECOMPRESS_H

#include <pthread.h>
#include <stddef.h>

struct recompress {
	const unsigned char *in;	/* the archive (borrowed) */
	size_t inlen;
	char expect[65];		/* the archive's SHA-256 (hex) as named */
	int level;			/* zstd level */
	pthread_t thr;
	int tried;			/* recompress_start() was called */
	int started;
	_Atomic int cancel;		/* set by recompress_cancel(), read by the thread */
	int fd;				/* unlinked temp file holding the output */
	int r;				/* CUT_OK or CUT_ERR_* of the thread */
	/* After recompress_finish() == CUT_OK: */
	const unsigned char *out;	/* the zstd tar stream (mapped) */
	size_t outlen;
	char sha256[65];		/* of out, lower-case hex */
	long long ms;			/* time the thread took */
	long long tar_bytes;		/* the uncompressed tar stream */
	char why[256];			/* why not, when it failed */
};

/* A gzip, bzip2 or xz stream, or a plain tar: worth recompressing. */
int recompress_worth(const unsigned char *p, size_t len);
/* Nothing started; recompress_free() is safe. */
void recompress_init(struct recompress *rc);
/*
 * Start the thread; CUT_OK, or an error and rc->why (send the original).
 * sha256: the archive's digest as the rollout names it; the thread fails
 * when the bytes it read have another.
 */
int recompress_start(struct recompress *rc, const unsigned char *in, size_t len, int level,
    const char *sha256);
/* Ask a running recompression to stop early (nobody needs it). */
void recompress_cancel(struct recompress *rc);
/* Wait for it; CUT_OK with rc->out set, or an error and rc->why. */
int recompress_finish(struct recompress *rc);
void recompress_free(struct recompress *rc);

#endif
