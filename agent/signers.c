/*
 * allowed_signers and revoked_signers: see signers.h and cutover-agent.ini(5).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "signers.h"
#include "sshsig.h"

#define SIGNERS_FILE_MAX	(16 * 1024 * 1024)

/* One parsed line. Strings point into the line buffer; key is owned. */
struct signer_line {
	const char *principals;	/* NULL in a revoked file */
	const char *namespaces;	/* pattern list, or NULL for any */
	int cert_authority;
	int has_after, has_before;
	time_t after, before;
	char type[SSHSIG_TYPE_MAX];
	unsigned char *key;
	size_t keylen;
};

static int
conf_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return CUT_ERR_CONFIG;
}

/*
 * Cut the next whitespace-separated word out of *p (NUL-terminating it);
 * whitespace inside double quotes does not end it. NULL at the end of the
 * line; *bad set on an unterminated quote.
 */
static char *
next_word(char **p, int *bad)
{
	char *s = *p, *w;
	int quoted = 0;

	s += strspn(s, " \t");
	if (*s == '\0')
		return NULL;
	for (w = s; *s != '\0' && (quoted || (*s != ' ' && *s != '\t')); s++)
		if (*s == '"')
			quoted = !quoted;
	if (quoted)
		*bad = 1;
	if (*s != '\0')
		*s++ = '\0';
	*p = s;
	return w;
}

/* A key type we know the name of (supported or not): the word is a key, not options. */
static int
looks_like_keytype(const char *w)
{
	return strncmp(w, "ssh-", 4) == 0 || strncmp(w, "ecdsa-", 6) == 0 ||
	    strncmp(w, "sk-", 3) == 0 || strncmp(w, "rsa-", 4) == 0;
}

/* YYYYMMDD[HHMM[SS]][Z]: ssh-keygen(1)'s timestamps; Z means UTC, else local time. */
static int
parse_time(const char *s, time_t *out)
{
	size_t n = strspn(s, "0123456789");
	struct tm tm = { 0 };
	int utc = (s[n] == 'Z' || s[n] == 'z') && s[n + 1] == '\0';
	int v[6] = { 0 };
	static const int width[6] = { 4, 2, 2, 2, 2, 2 };
	const char *p = s;

	if ((s[n] != '\0' && !utc) || (n != 8 && n != 12 && n != 14))
		return -1;
	for (int i = 0; i < 6 && p < s + n; i++)
		for (int k = 0; k < width[i]; k++)
			v[i] = v[i] * 10 + (*p++ - '0');
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
		return -1;
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	tm.tm_isdst = -1;
	*out = utc ? timegm(&tm) : mktime(&tm);
	return *out == (time_t)-1 ? -1 : 0;
}

/* A quoted option value: name="VALUE" -> VALUE (quotes dropped in place). */
static char *
opt_value(char *opt, const char *name)
{
	size_t n = strlen(name), len;

	if (strncmp(opt, name, n) != 0 || opt[n] != '=')
		return NULL;
	opt += n + 1;
	len = strlen(opt);
	if (len < 2 || opt[0] != '"' || opt[len - 1] != '"' || memchr(opt + 1, '"', len - 2))
		return NULL;
	opt[len - 1] = '\0';
	return opt + 1;
}

/* The options word: comma-separated, commas inside quotes included. */
static int
parse_options(char *w, struct signer_line *l, char *why, size_t whylen)
{
	while (*w != '\0') {
		char *opt = w, *v;
		int quoted = 0;

		for (; *w != '\0' && (quoted || *w != ','); w++)
			if (*w == '"')
				quoted = !quoted;
		if (*w == ',')
			*w++ = '\0';
		if (strcmp(opt, "cert-authority") == 0)
			l->cert_authority = 1;
		else if ((v = opt_value(opt, "namespaces")) != NULL)
			l->namespaces = v;
		else if ((v = opt_value(opt, "valid-after")) != NULL) {
			if (parse_time(v, &l->after) != 0)
				return conf_fail(why, whylen, "valid-after: \"%.64s\" is not "
				    "YYYYMMDD[HHMM[SS]][Z]", v);
			l->has_after = 1;
		} else if ((v = opt_value(opt, "valid-before")) != NULL) {
			if (parse_time(v, &l->before) != 0)
				return conf_fail(why, whylen, "valid-before: \"%.64s\" is not "
				    "YYYYMMDD[HHMM[SS]][Z]", v);
			l->has_before = 1;
		} else {
			return conf_fail(why, whylen, "unknown or malformed option \"%.64s\" (known: "
			    "namespaces=\"...\", valid-after=\"...\", valid-before=\"...\", "
			    "cert-authority)", opt);
		}
	}
	return CUT_OK;
}

/* KEYTYPE BASE64: the key decoded, and its own type name must be KEYTYPE. */
static int
parse_key(const char *type, const char *b64, struct signer_line *l, char *why, size_t whylen)
{
	char inner[SSHSIG_TYPE_MAX];
	int r;

	if (type == NULL || b64 == NULL)
		return conf_fail(why, whylen, "no key (want KEYTYPE BASE64)");
	if (strlen(type) >= sizeof(l->type) || !looks_like_keytype(type))
		return conf_fail(why, whylen, "\"%.64s\" is not a key type", type);
	snprintf(l->type, sizeof(l->type), "%s", type);
	r = sshsig_base64(b64, strlen(b64), &l->key, &l->keylen);
	if (r == CUT_ERR_ALLOC)
		return conf_fail(why, whylen, "out of memory");
	if (r != CUT_OK)
		return conf_fail(why, whylen, "%s key: not valid base64", type);
	if (sshkey_type(l->key, l->keylen, inner) != CUT_OK || strcmp(inner, type) != 0)
		return conf_fail(why, whylen, "key is not a %s key", type);
	return CUT_OK;
}

/*
 * One line (NUL-terminated, no newline) into l; 0 for a line to skip
 * (blank, comment), 1 for a key, or CUT_ERR_CONFIG.
 */
static int
parse_line(char *s, int revoked, struct signer_line *l, char *why, size_t whylen)
{
	char *w, *type;
	int bad = 0, r;

	memset(l, 0, sizeof(*l));
	s += strspn(s, " \t");
	if (*s == '\0' || *s == '#')
		return 0;
	if (!revoked) {
		w = next_word(&s, &bad);
		if (w[0] == '"') {
			size_t n = strlen(w);

			if (n < 2 || w[n - 1] != '"')
				bad = 1;
			else
				w[n - 1] = '\0', w++;
		}
		if (bad || *w == '\0')
			return conf_fail(why, whylen, "malformed principals");
		l->principals = w;
	}
	if ((type = next_word(&s, &bad)) != NULL && !revoked && !looks_like_keytype(type)) {
		if (bad || (r = parse_options(type, l, why, whylen)) != CUT_OK)
			return bad ? conf_fail(why, whylen, "unterminated quote in options") : r;
		type = next_word(&s, &bad);
	}
	if ((r = parse_key(type, next_word(&s, &bad), l, why, whylen)) != CUT_OK)
		return r;
	return 1;	/* the rest is the comment */
}

/* OpenSSH's pattern lists: comma-separated globs, a leading ! negates; a negated match wins. */
static int
match_list(const char *s, const char *list)
{
	char buf[1024];
	int hit = 0;

	for (const char *p = list; *p != '\0';) {
		size_t n = strcspn(p, ",");
		int neg = *p == '!';

		if (n - (size_t)neg < sizeof(buf)) {
			memcpy(buf, p + neg, n - (size_t)neg);
			buf[n - (size_t)neg] = '\0';
			if (fnmatch(buf, s, 0) == 0) {
				if (neg)
					return 0;
				hit = 1;
			}
		}
		p += n + (p[n] == ',');
	}
	return hit;
}

static int
key_matches(const struct signer_line *l, const struct signer_query *q)
{
	char fp[SSHSIG_FP_LEN];

	if (q->key != NULL)
		return l->keylen == q->keylen && memcmp(l->key, q->key, q->keylen) == 0;
	sshkey_fingerprint(l->key, l->keylen, fp);
	return strcmp(fp, q->fingerprint) == 0;
}

struct scan {
	const char *file;
	const struct signer_query *q;	/* NULL: only check the file */
	int revoked;
	char *principals;
	size_t plen;
	int allowed, listed;
	char reason[256];	/* why a listed key does not count */
};

/* Fold one matching allowed_signers line into sc. */
static void
consider(struct scan *sc, const struct signer_line *l, long lineno)
{
	const struct signer_query *q = sc->q;

	sc->listed = 1;
	if (l->namespaces != NULL && !match_list(q->ns, l->namespaces)) {
		snprintf(sc->reason, sizeof(sc->reason), "%s:%ld lists the key only for namespaces "
		    "\"%.64s\", not \"%s\"", sc->file, lineno, l->namespaces, q->ns);
		return;
	}
	if ((l->has_after && q->now < l->after) || (l->has_before && q->now > l->before)) {
		time_t t = l->has_after && q->now < l->after ? l->after : l->before;
		struct tm tm;
		char tbuf[32];

		strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		snprintf(sc->reason, sizeof(sc->reason), "%s:%ld: the key is %s %s", sc->file,
		    lineno, t == l->after ? "not valid before" : "expired at", tbuf);
		return;
	}
	if (sc->allowed && strlen(sc->principals) + 1 < sc->plen)
		strcat(sc->principals, ",");
	strncat(sc->principals, l->principals, sc->plen - strlen(sc->principals) - 1);
	sc->allowed = 1;
}

static int
open_file(const char *file, FILE **fp, char *why, size_t whylen)
{
	struct stat st = { 0 };
	int fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd == -1)
		return conf_fail(why, whylen, "%s: cannot open: %s", file, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > SIGNERS_FILE_MAX ||
	    (st.st_mode & S_IWOTH)) {
		close(fd);
		return conf_fail(why, whylen, "%s: %s", file, !S_ISREG(st.st_mode) ?
		    "not a regular file" : (st.st_mode & S_IWOTH) ? "writable by anyone: refusing it "
		    "(chmod o-w)" : "too large");
	}
	if ((*fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return conf_fail(why, whylen, "%s: %s", file, strerror(errno));
	}
	return CUT_OK;
}

/* Read and check every line of sc->file, folding matching keys in. */
static int
scan_file(struct scan *sc, char *why, size_t whylen)
{
	FILE *f;
	char *line = NULL, lwhy[256];
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	int r;

	if ((r = open_file(sc->file, &f, why, whylen)) != CUT_OK)
		return r;
	while ((n = getline(&line, &cap, f)) > 0) {
		struct signer_line l;

		if (++lineno > SIGNERS_LINES_MAX || (size_t)n > SIGNERS_LINE_MAX ||
		    memchr(line, '\0', (size_t)n) != NULL) {
			r = conf_fail(why, whylen, "%s:%ld: %s", sc->file, lineno, lineno >
			    SIGNERS_LINES_MAX ? "too many lines" : (size_t)n > SIGNERS_LINE_MAX ?
			    "line too long" : "NUL byte in line");
			break;
		}
		line[strcspn(line, "\r\n")] = '\0';
		r = parse_line(line, sc->revoked, &l, lwhy, sizeof(lwhy));
		if (r < 0) {
			free(l.key);
			r = conf_fail(why, whylen, "%s:%ld: %s", sc->file, lineno, lwhy);
			break;
		}
		if (r == 1 && sc->q != NULL && !l.cert_authority && key_matches(&l, sc->q)) {
			if (sc->revoked)
				sc->listed = 1;
			else
				consider(sc, &l, lineno);
		}
		free(l.key);
		r = CUT_OK;
	}
	if (r == CUT_OK && ferror(f))
		r = conf_fail(why, whylen, "%s: cannot read: %s", sc->file, strerror(errno));
	free(line);
	fclose(f);
	return r;
}

int
signers_allowed(const char *file, const struct signer_query *q, char *principals,
    size_t plen, char *why, size_t whylen)
{
	struct scan sc = { .file = file, .q = q, .principals = principals, .plen = plen };
	int r;

	principals[0] = '\0';
	if ((r = scan_file(&sc, why, whylen)) != CUT_OK)
		return r;
	if (sc.allowed)
		return CUT_OK;
	if (sc.reason[0] != '\0')
		snprintf(why, whylen, "signing key %s: %s", q->fingerprint, sc.reason);
	else
		snprintf(why, whylen, "signing key %s is not in allowed_signers %s",
		    q->fingerprint, file);
	return CUT_ERR_BAD_ARCHIVE;
}

int
signers_revoked(const char *file, const struct signer_query *q, char *why, size_t whylen)
{
	struct scan sc = { .file = file, .q = q, .revoked = 1 };
	int r;

	if ((r = scan_file(&sc, why, whylen)) != CUT_OK)
		return r;
	if (!sc.listed)
		return CUT_OK;
	snprintf(why, whylen, "signing key %s is revoked (listed in revoked_signers %s)",
	    q->fingerprint, file);
	return CUT_ERR_BAD_ARCHIVE;
}

int
signers_check(const char *file, int revoked, char *why, size_t whylen)
{
	struct scan sc = { .file = file, .revoked = revoked };

	return scan_file(&sc, why, whylen);
}
