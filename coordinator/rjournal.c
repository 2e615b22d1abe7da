/*
 * The coordinator's rollout journal (rjournal.h): where it lives, appending
 * fsync'ed records, and reading the newest rollout back. The file may be
 * torn (coordinator killed mid-write) or edited by hand: lines are bounded,
 * checked token by token, and anything malformed is skipped.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "rjournal.h"

/* The journal file's name: a digest of the fleet file's path, then the app. */
#define RJ_FILE_NAME_MAX	128
#include "sha256.h"

#define RJ_LINE_MAX	1024
#define RJ_READ_MAX	(4 << 20)	/* read back from the newest start record, in steps of 4 MiB */
#define RJ_SPAN_MAX	(256 << 20)	/* ... at most this far back (100000 hosts need ~20 MiB) */
#define RJ_HOSTS_MAX	100000

/* Candidate state directories, in order of preference; n filled. */
static size_t
state_dirs(char dirs[3][PATH_MAX])
{
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	size_t n = 0;

	if (x && x[0] == '/' && strlen(x) < PATH_MAX - 16)
		snprintf(dirs[n++], PATH_MAX, "%s/cutover", x);
	if (home && home[0] == '/' && strlen(home) < PATH_MAX - 32)
		snprintf(dirs[n++], PATH_MAX, "%s/.local/state/cutover", home);
	if (geteuid() == 0)
		snprintf(dirs[n++], PATH_MAX, "/var/lib/cutover");
	return n;
}

/* "APP-HASH.journal": readable app part, hash of the fleet file's real path and app. */
static int
file_name(const char *fleet_file, const char *app, char *out, size_t outlen)
{
	char real[PATH_MAX], safe[65];
	unsigned char md[SHA256_LEN];
	struct sha256 c;
	size_t k = 0;
	int r;

	if (realpath(fleet_file, real) == NULL)
		snprintf(real, sizeof(real), "%s", fleet_file);
	if ((r = sha256_init(&c)) != CUT_OK)
		return r;
	if ((r = sha256_update(&c, real, strlen(real) + 1)) != CUT_OK ||
	    (r = sha256_update(&c, app, strlen(app))) != CUT_OK ||
	    (r = sha256_final(&c, md)) != CUT_OK) {
		sha256_free(&c);
		return r;
	}
	for (const char *p = app; *p && k < sizeof(safe) - 1; p++) {
		int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_';

		if (k == 0 && *p == '/')
			continue;
		safe[k++] = ok ? *p : '_';
	}
	safe[k] = '\0';
	snprintf(out, outlen, "%s-%02x%02x%02x%02x%02x%02x%02x%02x.journal", k ? safe : "app",
	    md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7]);
	return CUT_OK;
}

/* mkdir -p with mode 0700 for the parts we create. */
static int
mkdirs(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return CUT_ERR_SYSTEM;
		*p = '/';
	}
	if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
		return CUT_ERR_SYSTEM;
	return CUT_OK;
}

int
rj_open(struct rjournal *j, const char *fleet_file, const char *app)
{
	char dirs[3][PATH_MAX], name[RJ_FILE_NAME_MAX];
	size_t n = state_dirs(dirs);
	int r, fd;

	j->fd = -1;
	j->path[0] = '\0';
	if ((r = file_name(fleet_file, app, name, sizeof(name))) != CUT_OK)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (mkdirs(dirs[i]) != CUT_OK)
			continue;
		snprintf(j->path, sizeof(j->path), "%s/%s", dirs[i], name);
		fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0) {
			j->fd = fd;
			return CUT_OK;
		}
	}
	log_error("no usable state directory for the rollout journal ($XDG_STATE_HOME, "
	    "~/.local/state, /var/lib/cutover)%s%s", j->path[0] ? ": " : "",
	    j->path[0] ? strerror(errno) : "");
	j->path[0] = '\0';
	return CUT_ERR_SYSTEM;
}

int
rj_write(struct rjournal *j, const char *text, size_t len)
{
	if (j->fd < 0 || len == 0)
		return CUT_OK;
	if (write_full(j->fd, text, len) != CUT_OK || fsync(j->fd) != 0) {
		log_error("rollout journal %s: %s", j->path, strerror(errno));
		return CUT_ERR_SYSTEM;
	}
	return CUT_OK;
}

static int value_ok(const char *v, size_t max);

/*
 * The writer's half of the reader's rule: "TYPE key=value ..." with single
 * blanks and values of the plain alphabet. Anything else would be read back
 * as another record, or not at all; untrusted.h keeps agents' strings out,
 * this refuses whatever slips past.
 */
int
rj_record_ok(const char *line, size_t len)
{
	char tok[RJ_LINE_MAX];
	const char *p = line, *end = line + len;

	if (len == 0 || len >= RJ_LINE_MAX || memchr(line, '\0', len) != NULL)
		return 0;
	for (size_t i = 0;; i++) {
		const char *sp = memchr(p, ' ', (size_t)(end - p)), *eq;
		size_t n = (size_t)((sp ? sp : end) - p);

		memcpy(tok, p, n);
		tok[n] = '\0';
		eq = strchr(tok, '=');
		if (i == 0 ? n == 0 || eq != NULL || !value_ok(tok, 32) :
		    eq == NULL || eq == tok || !value_ok(eq + 1, RJ_NAME_MAX))
			return 0;
		if (sp == NULL)
			break;
		p = sp + 1;
	}
	return 1;
}

int
rj_printf(struct rjournal *j, const char *fmt, ...)
{
	char line[RJ_LINE_MAX];
	va_list ap;
	int n;

	if (j->fd < 0)
		return CUT_OK;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 1)
		return CUT_ERR_INTERNAL;
	if (!rj_record_ok(line, (size_t)n))
		return log_error("rollout journal %s: refusing a malformed record", j->path), CUT_ERR_INTERNAL;
	line[n++] = '\n';
	return rj_write(j, line, (size_t)n);
}

void
rj_close(struct rjournal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
}

/* Values are release IDs, host names, hex and words: nothing else is accepted. */
static int
value_ok(const char *v, size_t max)
{
	size_t n = strlen(v);

	if (n >= max)
		return 0;
	for (; *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		    (*v >= '0' && *v <= '9') || strchr("._+-:", *v)))
			return 0;
	return 1;
}

/* The value of key in a tokenised line, or NULL. */
static const char *
field(char **tok, size_t ntok, const char *key)
{
	size_t kl = strlen(key);

	for (size_t i = 1; i < ntok; i++)
		if (strncmp(tok[i], key, kl) == 0 && tok[i][kl] == '=')
			return tok[i] + kl + 1;
	return NULL;
}

static struct rj_host *
find_host(struct rj_rollout *r, const char *name)
{
	size_t i = ni_get(&r->by_name, name);

	return i == NI_NONE ? NULL : &r->hosts[i];
}

/* Append host name to r (its array grown geometrically) and index it; NULL out of memory. */
static struct rj_host *
add_host(struct rj_rollout *r, const char *name)
{
	struct rj_host *h;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct rj_host *nh = realloc(r->hosts, cap * sizeof(*nh));

		if (nh == NULL)
			return NULL;
		r->hosts = nh;
		r->cap = cap;
	}
	/* A copy: names inside hosts[] move when it grows. */
	if (ni_add_copy(&r->by_name, name, r->n) != 0)
		return NULL;
	h = &r->hosts[r->n++];
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	return h;
}

const struct rj_host *
rj_find(const struct rj_rollout *r, const char *name)
{
	return find_host((struct rj_rollout *)r, name);
}

/* Apply one line to r; a start line begins a new rollout. */
static void
apply(struct rj_rollout *r, char *line)
{
	char *tok[16], *save = NULL, *t;
	const char *v, *name;
	struct rj_host *h;
	size_t n = 0;

	for (t = strtok_r(line, " ", &save); t && n < 16; t = strtok_r(NULL, " ", &save))
		tok[n++] = t;
	if (n == 0)
		return;
	for (size_t i = 1; i < n; i++) {
		char *eq = strchr(tok[i], '=');

		if (eq == NULL || !value_ok(eq + 1, RJ_NAME_MAX))
			return;
	}
	if (strcmp(tok[0], "start") == 0) {
		const char *rel = field(tok, n, "release"), *sha = field(tok, n, "sha256");

		if (rel == NULL || *rel == '\0')
			return;
		rj_rollout_free(r);
		r->found = 1;
		r->ended = 0;
		r->outcome[0] = '\0';
		r->phase[0] = '\0';
		r->batch = r->nbatches = 0;
		r->ts = (v = field(tok, n, "ts")) ? strtoll(v, NULL, 10) : 0;
		snprintf(r->release, sizeof(r->release), "%s", rel);
		snprintf(r->id, sizeof(r->id), "%s", (v = field(tok, n, "id")) ? v : "");
		snprintf(r->sha256, sizeof(r->sha256), "%s", sha ? sha : "");
		return;
	}
	if (!r->found)
		return;
	if (strcmp(tok[0], "phase") == 0) {
		snprintf(r->phase, sizeof(r->phase), "%s", (v = field(tok, n, "state")) ? v : "");
		r->batch = (v = field(tok, n, "batch")) ? strtoll(v, NULL, 10) : 0;
		r->nbatches = (v = field(tok, n, "of")) ? strtoll(v, NULL, 10) : 0;
		return;
	}
	if (strcmp(tok[0], "end") == 0) {
		r->ended = 1;
		snprintf(r->outcome, sizeof(r->outcome), "%s", (v = field(tok, n, "outcome")) ? v : "");
		return;
	}
	if ((name = field(tok, n, "name")) == NULL || *name == '\0')
		return;
	h = find_host(r, name);
	if (strcmp(tok[0], "host") == 0) {
		if (h != NULL || r->n >= RJ_HOSTS_MAX || (h = add_host(r, name)) == NULL)
			return;
		snprintf(h->prev, sizeof(h->prev), "%s", (v = field(tok, n, "prev")) ? v : "");
		return;
	}
	if (h == NULL)
		return;
	if (strcmp(tok[0], "switching") == 0)
		h->switching = 1;
	else if (strcmp(tok[0], "switched") == 0)
		h->switching = h->switched = 1;
	else if (strcmp(tok[0], "failed") == 0)
		h->failed = 1;
	else if (strcmp(tok[0], "reversed") == 0)
		h->reversed = 1;
}

/*
 * Where to read from: a little before the newest start record, found by
 * stepping back from the end, so a rollout of many hosts and batches (more
 * than one window of records) is read whole; at most RJ_SPAN_MAX back.
 */
static off_t
newest_start(int fd, off_t size)
{
	static const char pat[] = "\nstart ";
	char *win = malloc(RJ_READ_MAX + sizeof(pat));
	off_t end = size, from = size;

	if (win == NULL)
		return size > RJ_READ_MAX ? size - RJ_READ_MAX : 0;
	while (end > 0 && size - end < RJ_SPAN_MAX) {
		off_t at = end > RJ_READ_MAX ? end - RJ_READ_MAX : 0;
		/* Overlap the next window by the pattern's length, so no match straddles two. */
		size_t want = (size_t)(end - at) + (end < size ? sizeof(pat) - 1 : 0);
		ssize_t got = pread(fd, win, want, at);

		from = at;
		if (got <= 0)
			break;
		for (ssize_t i = got - (ssize_t)sizeof(pat) + 1; i >= 0; i--)
			if (memcmp(win + i, pat, sizeof(pat) - 1) == 0) {
				free(win);
				return at + i;	/* from the newline: the reader skips to the next whole line */
			}
		if (at == 0 || (size_t)got < want)
			break;
		end = at;
	}
	free(win);
	return from;
}

int
rj_last(const char *fleet_file, const char *app, struct rj_rollout *r)
{
	char dirs[3][PATH_MAX], name[RJ_FILE_NAME_MAX], *buf, *p, *nl;
	size_t n = state_dirs(dirs);
	struct stat sb;
	ssize_t got;
	off_t off;
	int fd = -1, rc;

	memset(r, 0, sizeof(*r));
	if ((rc = file_name(fleet_file, app, name, sizeof(name))) != CUT_OK)
		return rc;
	for (size_t i = 0; i < n && fd < 0; i++) {
		snprintf(r->path, sizeof(r->path), "%s/%s", dirs[i], name);
		fd = open(r->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0) {
		r->path[0] = '\0';
		return CUT_OK;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return CUT_OK;
	}
	off = newest_start(fd, sb.st_size);
	if ((buf = malloc((size_t)(sb.st_size - off) + 1)) == NULL) {
		close(fd);
		return CUT_ERR_ALLOC;
	}
	got = lseek(fd, off, SEEK_SET) == off ? read_full(fd, buf, (size_t)(sb.st_size - off)) : -1;
	close(fd);
	if (got < 0) {
		free(buf);
		return CUT_ERR_SYSTEM;
	}
	buf[got] = '\0';
	/* Started mid-file: skip to the first whole line. */
	p = off > 0 ? strchr(buf, '\n') : buf;
	if (off > 0 && p != NULL)
		p++;
	/* Only whole lines: a torn last line (killed mid-write) is ignored. */
	for (; p && (nl = memchr(p, '\n', (size_t)(buf + got - p))) != NULL; p = nl + 1) {
		*nl = '\0';
		if (nl - p < RJ_LINE_MAX && strlen(p) == (size_t)(nl - p))
			apply(r, p);
	}
	free(buf);
	return CUT_OK;
}

void
rj_rollout_free(struct rj_rollout *r)
{
	free(r->hosts);
	ni_free(&r->by_name);
	r->hosts = NULL;
	r->n = r->cap = 0;
}

int
rj_unsettled(const struct rj_rollout *r)
{
	if (!r->found)
		return 0;
	if (!r->ended)
		return 1;
	if (strcmp(r->outcome, "done") == 0)
		return 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->hosts[i].switching && !r->hosts[i].reversed)
			return 1;
	return 0;
}
