/*
 * A byte source over HTTP(S) (libcurl): the agent pulls a release archive
 * from an artifact server itself (protocol 1.4, cap "fetch").
 *
 *	struct fetch_conf fc;
 *	struct fetch_source *fs;
 *	struct byte_source src;
 *	fetch_conf_from_app(&app->conf, &fc);
 *	r = fetch_open(&fc, url, sink, &fs, &src, why, sizeof(why));
 *	r = unpack_archive(&src, ...);	(the body goes straight in)
 *	if (r != CUT_OK && fetch_error(fs)) ...the fetch's own reason
 *	fetch_close(fs);
 *
 * libcurl pushes bytes through its write callback; a multi handle driven
 * from read() turns that into a pull, pausing the transfer while the
 * unpacker has not taken the last block. Nothing is written to disk.
 *
 * A transient failure (connect refused or timed out, connection dropped,
 * no byte for stall_timeout seconds, HTTP 408/429/502/503/504) is retried
 * up to `retries` times with a doubling backoff (1 s, 2 s, ... 30 s); a
 * retry after bytes arrived asks for the rest (Range: bytes=N-, If-Range
 * with a strong ETag) and accepts only 206 with a Content-Range starting
 * at N. See cutover-agent(8), "Pulling from an artifact server".
 *
 * A read fails with CUT_ERR_BAD_ARCHIVE (exit 3: any other non-2xx, TLS,
 * over max_bytes, a bad URL), CUT_ERR_TIMEOUT (exit 1: stalled on every
 * attempt) or CUT_ERR_FAILED (exit 1: dropped on every attempt, a resume
 * the server would not serve, interrupted); fetch_error() says why in one
 * line naming the URL (query string hidden: it may hold a token).
 */
#ifndef CUT_FETCH_H
#define CUT_FETCH_H

#include <stddef.h>

#include "agent_conf.h"
#include "sink.h"
#include "source.h"

struct fetch_conf {
	const char *ca_file;	/* "" or NULL: libcurl's default CA store */
	const char *proxy;	/* "" or NULL: libcurl reads https_proxy/http_proxy */
	const char *no_proxy;	/* "" or NULL: libcurl reads no_proxy */
	long connect_timeout;	/* seconds */
	long stall_timeout;	/* seconds below 1 byte/s before an attempt is dropped */
	long retries;		/* further attempts after the first */
	long long max_bytes;	/* archive bytes allowed; 0 none */
};

struct fetch_source;

/* The app's fetch_* keys (cutover-agent.ini(5)). */
void fetch_conf_from_app(const struct app_conf *c, struct fetch_conf *out);

/*
 * Start fetching url; src reads its body. CUT_OK, or CUT_ERR_BAD_ARCHIVE
 * (not an http(s) URL) / CUT_ERR_ALLOC with why set. sink (may be NULL)
 * gets {"event":"fetch","message":...} lines at the start and per retry.
 */
int fetch_open(const struct fetch_conf *conf, const char *url, const struct sink *sink,
    struct fetch_source **out, struct byte_source *src, char *why, size_t whylen);
/* After a failed read: the one line saying why, else NULL. */
const char *fetch_error(const struct fetch_source *fs);
/* The last HTTP status seen (0 none). */
long fetch_http_status(const struct fetch_source *fs);
/* Attempts made so far (1 + retries). */
int fetch_attempts(const struct fetch_source *fs);
void fetch_close(struct fetch_source *fs);

/*
 * A small text file (a signature: URL.sig) of at most max bytes into *out
 * (NUL-terminated, free() it). CUT_OK with *out set; CUT_OK with *out NULL
 * and *not_found 1 on HTTP 404 or 410; else an error code as above, why
 * set (over max: CUT_ERR_BAD_ARCHIVE).
 */
int fetch_text(const struct fetch_conf *conf, const char *url, size_t max, char **out,
    int *not_found, char *why, size_t whylen);

#endif
