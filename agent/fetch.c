/*
 * HTTP(S) pull source over a libcurl multi handle; see fetch.h.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "curl-dl.h"
#include "err.h"
#include "fetch.h"
#include "interrupt.h"
#include "log.h"
#include "url.h"

#define FETCH_BUF		(256 * 1024)	/* what one read() hands the unpacker at most, usually */
#define FETCH_BACKOFF_MS	1000
#define FETCH_BACKOFF_MAX_MS	30000
#define FETCH_MAX_REDIRS	5

enum fetch_state { FS_RUNNING, FS_DONE, FS_FAILED };

struct fetch_source {
	const struct fetch_conf *conf;
	const struct sink *sink;
	char *url;
	char shown[512];	/* url as printed */
	CURLM *multi;
	CURL *easy;
	struct curl_slist *hdrs;
	enum fetch_state state;
	int err;		/* CUT_ERR_* once FS_FAILED */
	int attempt;		/* 1-based */
	int paused;
	int checked;		/* this attempt's response was judged good */
	int fatal;		/* the write callback refused: why is set */
	unsigned char *buf;
	size_t len, cap;
	long long got;		/* body bytes received over all attempts */
	long long total;	/* the artifact's size when the server said, else -1 */
	/* This attempt's response headers. */
	long status;
	char reason[64];
	long long cr_start, cr_total;	/* Content-Range, -1 when absent */
	char etag[256];
	char errbuf[CURL_ERROR_SIZE];
	char why[1024];
};

static int curl_ready;

static void
set_why(struct fetch_source *fs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_why(struct fetch_source *fs, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(fs->why, sizeof(fs->why), "GET %s: ", fs->shown);

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(fs->why))
		vsnprintf(fs->why + n, sizeof(fs->why) - (size_t)n, fmt, ap);
	va_end(ap);
}

void
fetch_conf_from_app(const struct app_conf *c, struct fetch_conf *out)
{
	out->ca_file = c->fetch_ca_file;
	out->proxy = c->fetch_proxy;
	out->no_proxy = c->fetch_no_proxy;
	out->connect_timeout = (long)c->fetch_connect_timeout;
	out->stall_timeout = (long)c->fetch_stall_timeout;
	out->retries = (long)c->fetch_retries;
	out->max_bytes = c->fetch_max_bytes;
}

/* Fail the whole fetch (no further attempt). */
static int
give_up(struct fetch_source *fs, int code)
{
	fs->state = FS_FAILED;
	fs->err = code;
	return code;
}

/* "Content-Range: bytes 100-199/200" into start and total (-1 for "*"). */
static void
parse_content_range(struct fetch_source *fs, const char *v)
{
	long long a, b;
	char t[32];

	if (sscanf(v, " bytes %lld-%lld/%31[0-9*]", &a, &b, t) == 3) {
		fs->cr_start = a;
		fs->cr_total = t[0] == '*' ? -1 : strtoll(t, NULL, 10);
	}
}

static size_t
on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct fetch_source *fs = ctx;
	size_t len = size * n;
	char line[512];
	long code;

	snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), p);
	line[strcspn(line, "\r\n")] = '\0';
	if (strncmp(line, "HTTP/", 5) == 0) {
		/* A new response (after a redirect or a 100): forget the last one's headers. */
		char *sp = strchr(line, ' ');

		fs->status = 0;
		fs->reason[0] = '\0';
		fs->cr_start = fs->cr_total = -1;
		fs->etag[0] = '\0';
		if (sp && sscanf(sp, " %ld", &code) == 1) {
			fs->status = code;
			if ((sp = strchr(sp + 1, ' ')) != NULL)
				snprintf(fs->reason, sizeof(fs->reason), "%s", sp + 1);
		}
	} else if (strncasecmp(line, "Content-Range:", 14) == 0) {
		parse_content_range(fs, line + 14);
	} else if (strncasecmp(line, "ETag:", 5) == 0) {
		const char *v = line + 5 + strspn(line + 5, " \t");

		/* Only a strong validator may guard a Range request (RFC 9110, If-Range). */
		if (v[0] == '"')
			snprintf(fs->etag, sizeof(fs->etag), "%s", v);
	}
	return len;
}

/* 1 for a server answer worth asking again. */
static int
status_transient(long st)
{
	return st == 408 || st == 429 || st == 502 || st == 503 || st == 504;
}

/*
 * Judge this attempt's response before its first body byte is taken:
 * 0, 1 to retry, or a CUT_ERR_* with why set.
 */
static int
check_response(struct fetch_source *fs)
{
	curl_off_t cl = -1;

	if (fs->status < 200 || fs->status > 299) {
		set_why(fs, "HTTP %ld%s%s", fs->status, fs->reason[0] ? " " : "", fs->reason);
		return status_transient(fs->status) ? 1 : CUT_ERR_BAD_ARCHIVE;
	}
	if (fs->got > 0) {
		if (fs->status != 206 || fs->cr_start != fs->got ||
		    (fs->total >= 0 && fs->cr_total >= 0 && fs->cr_total != fs->total)) {
			set_why(fs, "cannot resume at byte %lld: the server answered HTTP %ld%s "
			    "(want 206 with Content-Range from byte %lld; has the artifact changed?)",
			    fs->got, fs->status, fs->status == 206 ? " with another range" : "", fs->got);
			return CUT_ERR_FAILED;
		}
		return 0;
	}
	if (fs->status == 206) {
		set_why(fs, "HTTP 206 to a request without Range");
		return CUT_ERR_BAD_ARCHIVE;
	}
	(void)curl_easy_getinfo(fs->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	fs->total = cl >= 0 ? (long long)cl : -1;
	if (fs->conf->max_bytes > 0 && fs->total > fs->conf->max_bytes) {
		set_why(fs, "%lld bytes is over fetch_max_bytes (%lld)", fs->total, fs->conf->max_bytes);
		return CUT_ERR_BAD_ARCHIVE;
	}
	return 0;
}

static size_t
on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct fetch_source *fs = ctx;
	size_t len = size * n;

	if (!fs->checked) {
		int r = check_response(fs);

		if (r != 0) {
			/* Refused: the transfer ends with CURLE_WRITE_ERROR and why stands. */
			fs->fatal = r;
			return 0;
		}
		fs->checked = 1;
	}
	if (fs->len > 0 && fs->len + len > fs->cap) {
		fs->paused = 1;
		return CURL_WRITEFUNC_PAUSE;	/* handed over again after the unpacker took buf */
	}
	if (fs->conf->max_bytes > 0 && fs->got + (long long)len > fs->conf->max_bytes) {
		set_why(fs, "more than fetch_max_bytes (%lld)", fs->conf->max_bytes);
		fs->fatal = CUT_ERR_BAD_ARCHIVE;
		return 0;
	}
	if (fs->len + len > fs->cap) {
		unsigned char *nb = realloc(fs->buf, fs->len + len);

		if (nb == NULL) {
			set_why(fs, "out of memory");
			fs->fatal = CUT_ERR_ALLOC;
			return 0;
		}
		fs->buf = nb;
		fs->cap = fs->len + len;
	}
	memcpy(fs->buf + fs->len, p, len);
	fs->len += len;
	fs->got += (long long)len;
	return len;
}

/* The options every attempt shares. */
static int
easy_setup(struct fetch_source *fs)
{
	const struct fetch_conf *c = fs->conf;
	CURL *e = fs->easy;
	int bad = 0;

	bad |= curl_easy_setopt(e, CURLOPT_URL, fs->url) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRS) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, c->connect_timeout) != CURLE_OK;
	/* A stall: below 1 byte/s for stall_timeout seconds, headers included. */
	bad |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, c->stall_timeout) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, "cutover-agent/" PACKAGE_VERSION) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HEADERDATA, fs) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, fs) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, fs->errbuf) != CURLE_OK;
	if (c->ca_file && c->ca_file[0])
		bad |= curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file) != CURLE_OK;
	/* Unset, libcurl reads https_proxy, http_proxy, all_proxy and no_proxy from the environment. */
	if (c->proxy && c->proxy[0])
		bad |= curl_easy_setopt(e, CURLOPT_PROXY, c->proxy) != CURLE_OK;
	if (c->no_proxy && c->no_proxy[0])
		bad |= curl_easy_setopt(e, CURLOPT_NOPROXY, c->no_proxy) != CURLE_OK;
	return bad ? CUT_ERR_INTERNAL : CUT_OK;
}

/* (Re)start the transfer from byte fs->got. */
static int
attempt_start(struct fetch_source *fs)
{
	fs->checked = fs->fatal = fs->paused = 0;
	fs->status = 0;
	fs->errbuf[0] = '\0';
	curl_slist_free_all(fs->hdrs);
	fs->hdrs = NULL;
	if (fs->got > 0) {
		char range[64];

		snprintf(range, sizeof(range), "%lld-", fs->got);
		if (curl_easy_setopt(fs->easy, CURLOPT_RANGE, range) != CURLE_OK)
			return CUT_ERR_INTERNAL;
		if (fs->etag[0]) {
			char ifr[300];

			/* A changed artifact then comes whole (200), which we refuse, never spliced. */
			snprintf(ifr, sizeof(ifr), "If-Range: %s", fs->etag);
			if ((fs->hdrs = curl_slist_append(NULL, ifr)) == NULL)
				return CUT_ERR_ALLOC;
		}
	}
	if (curl_easy_setopt(fs->easy, CURLOPT_HTTPHEADER, fs->hdrs) != CURLE_OK)
		return CUT_ERR_INTERNAL;
	if (curl_multi_add_handle(fs->multi, fs->easy) != CURLM_OK)
		return CUT_ERR_INTERNAL;
	return CUT_OK;
}

/* Sleep ms, a signal cutting it short; 0, or -1 when interrupted. */
static int
backoff_sleep(long ms)
{
	while (ms > 0) {
		struct timespec ts = { 0, 100 * 1000000L };

		if (interrupted())
			return -1;
		nanosleep(&ts, NULL);
		ms -= 100;
	}
	return interrupted() ? -1 : 0;
}

/* curl results worth another attempt: the network, not the request. */
static int
curl_transient(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_PROXY: case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT: case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE: case CURLE_GOT_NOTHING: case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR: case CURLE_HTTP2: case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* An attempt ended with result c (and the status it saw): done, retried, or failed. */
static int
attempt_end(struct fetch_source *fs, CURLcode c)
{
	int r = 0, stalled = c == CURLE_OPERATION_TIMEDOUT;
	long wait;

	curl_multi_remove_handle(fs->multi, fs->easy);
	if (c == CURLE_WRITE_ERROR && fs->fatal)
		r = fs->fatal;
	else if (c == CURLE_OK && !fs->checked)
		r = check_response(fs);	/* an empty body, or a bodiless error */
	else if (c != CURLE_OK) {
		set_why(fs, "%s", fs->errbuf[0] ? fs->errbuf : curl_easy_strerror(c));
		r = curl_transient(c) ? 1 : CUT_ERR_BAD_ARCHIVE;
	}
	if (r == 0) {
		fs->state = FS_DONE;
		return CUT_OK;
	}
	if (r < 0)
		return give_up(fs, r);
	if (fs->attempt > fs->conf->retries) {
		size_t l = strlen(fs->why);

		snprintf(fs->why + l, sizeof(fs->why) - l, " (gave up after %d attempts)", fs->attempt);
		return give_up(fs, stalled ? CUT_ERR_TIMEOUT : fs->status >= 400 ? CUT_ERR_BAD_ARCHIVE : CUT_ERR_FAILED);
	}
	wait = FETCH_BACKOFF_MS << (fs->attempt - 1 < 5 ? fs->attempt - 1 : 5);
	if (wait > FETCH_BACKOFF_MAX_MS)
		wait = FETCH_BACKOFF_MAX_MS;
	emit_message(fs->sink, "fetch", "%s; retry %d/%ld in %ld ms from byte %lld", fs->why,
	    fs->attempt, fs->conf->retries, wait, fs->got);
	log_info("%s; retry %d/%ld from byte %lld", fs->why, fs->attempt, fs->conf->retries, fs->got);
	if (backoff_sleep(wait) != 0) {
		set_why(fs, "interrupted by signal %d", interrupted());
		return give_up(fs, CUT_ERR_FAILED);
	}
	fs->attempt++;
	if ((r = attempt_start(fs)) != CUT_OK) {
		set_why(fs, "cannot restart the transfer: %s", cut_err(r));
		return give_up(fs, r);
	}
	return CUT_OK;
}

/* Run the transfer until buf holds bytes, it ends, or it fails. */
static void
pump(struct fetch_source *fs)
{
	while (fs->state == FS_RUNNING && fs->len == 0) {
		CURLMsg *m;
		int running = 0, left;

		if (interrupted()) {
			set_why(fs, "interrupted by signal %d", interrupted());
			(void)give_up(fs, CUT_ERR_FAILED);
			return;
		}
		if (curl_multi_perform(fs->multi, &running) != CURLM_OK) {
			set_why(fs, "libcurl multi interface failed");
			(void)give_up(fs, CUT_ERR_INTERNAL);
			return;
		}
		while ((m = curl_multi_info_read(fs->multi, &left)) != NULL)
			if (m->msg == CURLMSG_DONE && m->easy_handle == fs->easy) {
				(void)attempt_end(fs, m->data.result);
				break;
			}
		if (fs->len > 0 || fs->state != FS_RUNNING)
			return;
		(void)curl_multi_poll(fs->multi, NULL, 0, 500, NULL);
	}
}

static ssize_t
fetch_read(void *ctx, const void **bufp)
{
	struct fetch_source *fs = ctx;

	fs->len = 0;	/* the last block was taken */
	if (fs->paused && fs->state == FS_RUNNING) {
		fs->paused = 0;
		/* May hand over the held-back data at once, through on_data. */
		(void)curl_easy_pause(fs->easy, CURLPAUSE_CONT);
	}
	pump(fs);
	if (fs->len > 0) {
		*bufp = fs->buf;
		return (ssize_t)fs->len;
	}
	return fs->state == FS_DONE ? 0 : fs->err;
}

int
fetch_open(const struct fetch_conf *conf, const char *url, const struct sink *sink,
    struct fetch_source **out, struct byte_source *src, char *why, size_t whylen)
{
	struct fetch_source *fs;
	int r;

	*out = NULL;
	if (!url_is_http(url)) {
		snprintf(why, whylen, "\"%.200s\" is not an http:// or https:// URL", url);
		return CUT_ERR_BAD_ARCHIVE;
	}
	if (!curl_ready) {
		if ((r = curl_dl_load(why, whylen)) != CUT_OK)
			return r;
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(why, whylen, "libcurl could not be initialised");
			return CUT_ERR_INTERNAL;
		}
		curl_ready = 1;
	}
	if ((fs = calloc(1, sizeof(*fs))) == NULL || (fs->url = strdup(url)) == NULL ||
	    (fs->buf = malloc(FETCH_BUF)) == NULL || (fs->multi = curl_multi_init()) == NULL ||
	    (fs->easy = curl_easy_init()) == NULL) {
		fetch_close(fs);
		snprintf(why, whylen, "out of memory");
		return CUT_ERR_ALLOC;
	}
	fs->conf = conf;
	fs->sink = sink;
	fs->cap = FETCH_BUF;
	fs->total = fs->cr_start = fs->cr_total = -1;
	fs->attempt = 1;
	url_shown(url, fs->shown, sizeof(fs->shown));
	if ((r = easy_setup(fs)) != CUT_OK || (r = attempt_start(fs)) != CUT_OK) {
		snprintf(why, whylen, "GET %s: cannot set up libcurl", fs->shown);
		fetch_close(fs);
		return r;
	}
	emit_message(sink, "fetch", "GET %s", fs->shown);
	src->read = fetch_read;
	src->ctx = fs;
	*out = fs;
	return CUT_OK;
}

const char *
fetch_error(const struct fetch_source *fs)
{
	return fs != NULL && fs->state == FS_FAILED && fs->why[0] ? fs->why : NULL;
}

long
fetch_http_status(const struct fetch_source *fs)
{
	return fs->status;
}

int
fetch_attempts(const struct fetch_source *fs)
{
	return fs->attempt;
}

void
fetch_close(struct fetch_source *fs)
{
	if (fs == NULL)
		return;
	if (fs->multi && fs->easy)
		curl_multi_remove_handle(fs->multi, fs->easy);
	if (fs->easy)
		curl_easy_cleanup(fs->easy);
	if (fs->multi)
		curl_multi_cleanup(fs->multi);
	curl_slist_free_all(fs->hdrs);
	free(fs->buf);
	free(fs->url);
	free(fs);
}

int
fetch_text(const struct fetch_conf *conf, const char *url, size_t max, char **out,
    int *not_found, char *why, size_t whylen)
{
	struct fetch_conf c = *conf;
	struct fetch_source *fs;
	struct byte_source src;
	char *text = NULL;
	size_t len = 0;
	ssize_t n;
	const void *b;
	int r;

	*out = NULL;
	*not_found = 0;
	c.max_bytes = (long long)max;
	if ((r = fetch_open(&c, url, NULL, &fs, &src, why, whylen)) != CUT_OK)
		return r;
	while ((n = src.read(src.ctx, &b)) > 0) {
		char *t = realloc(text, len + (size_t)n + 1);

		if (t == NULL) {
			n = CUT_ERR_ALLOC;
			snprintf(fs->why, sizeof(fs->why), "out of memory");
			break;
		}
		text = t;
		memcpy(text + len, b, (size_t)n);
		len += (size_t)n;
	}
	if (n == 0 && text == NULL && (text = malloc(1)) == NULL)
		n = CUT_ERR_ALLOC;
	if (n < 0) {
		free(text);
		*not_found = fs->status == 404 || fs->status == 410;
		r = *not_found ? CUT_OK : (int)n;
		if (!*not_found)
			snprintf(why, whylen, "%s", fs->why[0] ? fs->why : cut_err(r));
		fetch_close(fs);
		return r;
	}
	text[len] = '\0';
	*out = text;
	fetch_close(fs);
	return CUT_OK;
}
