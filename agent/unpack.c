/*
 * Safe streaming extraction: the byte source is read once (every raw byte
 * also goes through SHA-256); the first bytes say what it is (sniff());
 * gzip goes through our own decoder (gunzip.c), xz, zstd and bzip2 through
 * libarchive's filters, a zip is spooled and read from its central
 * directory. Each member is checked by our own rules (names, types, link
 * targets, symlinks on the way, caps) before libarchive's write_disk, with
 * SECURE_NODOTDOT|SECURE_NOABSOLUTEPATHS as a second line, creates it below
 * the staging directory by relative path. See unpack.h for the contract.
 */
#include "config.h"

#include <sys/stat.h>

#include <sys/random.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive-dl.h"
#include "dedupe.h"
#include "err.h"
#include "escape.h"
#include "fault.h"
#include "fsutil.h"
#include "gunzip.h"
#include "interrupt.h"
#include "kv.h"
#include "log.h"
#include "sha256.h"
#include "unpack.h"

#define UNPACK_PATH_MAX		4096	/* bytes in a member name or link target */
#define UNPACK_NAME_MAX		255	/* bytes in one path component */
#define UNPACK_EVENT_EVERY	(4LL << 20)	/* progress event per unpacked bytes */
#define UNPACK_QUOTE_MAX	200	/* member name bytes shown in a message */
#define UNPACK_LINKS_MAX	(8LL << 20)	/* bytes of symlink names remembered */
#define UNPACK_PEEK		512	/* first bytes looked at: one tar header */
#define UNPACK_BLOCK		(256 * 1024)	/* read size of a spooled zip */

/*
 * The symlink members extracted so far (normalised names), so that no
 * later member is written through one. This replaces libarchive's
 * ARCHIVE_EXTRACT_SECURE_SYMLINKS, which costs an open and a stat per
 * path component per member (six times the syscalls of the whole
 * extraction): the staging directory starts empty, so the only symlinks
 * in it are the ones we made. The hash is keyed (SipHash-1-3 with a random
 * key per unpack), so an archive cannot choose names that collide, and is
 * carried along a path, so checking every prefix of a deep path costs one
 * pass over it, not one per component.
 */
struct linkslot {
	char *s;		/* NULL is empty */
	uint64_t h;
};

struct linkset {
	struct linkslot *slot;	/* open addressing */
	size_t cap;		/* power of two, or 0 */
	size_t n;
	long long bytes;	/* name bytes held, capped by UNPACK_LINKS_MAX */
	long long hashed;	/* name bytes through_link() fed the hash (unpack_stats) */
	uint64_t key[2];
};

/* SipHash-1-3 state, fed a byte at a time (names are short). */
struct sip {
	uint64_t v[4];
	uint64_t m;		/* bytes of the word being filled */
	unsigned nm;
	uint64_t len;
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void
sip_round(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0]; v[0] = ROTL(v[0], 32);
	v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2]; v[2] = ROTL(v[2], 32);
}

static void
sip_init(struct sip *s, const uint64_t k[2])
{
	s->v[0] = k[0] ^ 0x736f6d6570736575ULL;
	s->v[1] = k[1] ^ 0x646f72616e646f6dULL;
	s->v[2] = k[0] ^ 0x6c7967656e657261ULL;
	s->v[3] = k[1] ^ 0x7465646279746573ULL;
	s->m = 0;
	s->nm = 0;
	s->len = 0;
}

static void
sip_byte(struct sip *s, unsigned char c)
{
	s->m |= (uint64_t)c << (8 * s->nm);
	s->len++;
	if (++s->nm == 8) {
		s->v[3] ^= s->m;
		sip_round(s->v);
		s->v[0] ^= s->m;
		s->m = 0;
		s->nm = 0;
	}
}

/* The hash of what was fed so far; s itself can be fed on. */
static uint64_t
sip_final(const struct sip *s0)
{
	struct sip s = *s0;
	uint64_t b = (s.len << 56) | s.m;

	s.v[3] ^= b;
	sip_round(s.v);
	s.v[0] ^= b;
	s.v[2] ^= 0xff;
	sip_round(s.v);
	sip_round(s.v);
	sip_round(s.v);
	return s.v[0] ^ s.v[1] ^ s.v[2] ^ s.v[3];
}

static uint64_t
name_hash(const struct linkset *ls, const char *s, size_t len)
{
	struct sip h;
	size_t i;

	sip_init(&h, ls->key);
	for (i = 0; i < len; i++)
		sip_byte(&h, (unsigned char)s[i]);
	return sip_final(&h);
}

/* What the input side needs: the source, the running digest, errors. */
struct unpack_in {
	const struct byte_source *src;
	struct sha256 md;
	long long bytes;	/* raw bytes read so far */
	int eof;		/* the source said clean end */
	int err;		/* negative CUT_ERR_* from the source, or 0 */
	int err_errno;		/* errno at the time err was set */
	int md_err;		/* the digest failed */
	int sig;		/* stopped by this signal (interrupt.h), or 0 */
	/* The first bytes, copied for sniff(), then the rest of their read. */
	unsigned char peek[UNPACK_PEEK];
	size_t peeklen, peekoff;
	const unsigned char *rest;
	size_t restlen;
	struct gunzip *gz;	/* our gzip layer, or NULL */
	int gz_bad;		/* it refused the data: gunzip_error() says why */
};

/* What the first bytes are (sniff()). */
enum in_kind {
	IN_TAR,		/* anything libarchive's tar and xz/zstd/bzip2 filters may take */
	IN_GZIP,	/* gzip: our decoder, then tar */
	IN_ZIP,		/* zip, also behind a self-extractor's stub: spooled */
	IN_REFUSED	/* a format or compression we name and refuse */
};

/* State of one unpack_archive() call. */
struct unpack {
	struct unpack_in in;
	const struct unpack_limits *lim;
	const struct sink *sink;
	struct unpack_stats *st;
	char *why;
	size_t whylen;
	long long next_event;	/* st->bytes at which the next event goes out */
	struct linkset links;
	int zipfd;		/* the spooled zip, or -1 */
	const char *outer;	/* compression the stream came in ("gzip", ...), or NULL */
};

/* Fill why with one formatted line, if the caller gave room for it. */
static void __attribute__((format(printf, 3, 4)))
set_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* A member name as it may be shown to a person: quoted, escaped, cut when long. */
static void
quote_name(const char *s, char *out, size_t outlen)
{
	size_t o;

	if (outlen < 16) {
		if (outlen > 0)
			out[0] = '\0';
		return;
	}
	out[0] = '"';
	o = 1 + text_escape(s, out + 1, outlen - 2, UNPACK_QUOTE_MAX, 1);
	out[o++] = '"';
	out[o] = '\0';
}

/* Reject a member: CUT_ERR_BAD_ARCHIVE with `"name": reason` in why. */
static int __attribute__((format(printf, 3, 4)))
reject(struct unpack *u, const char *name, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (name != NULL) {
		char q[UNPACK_QUOTE_MAX * 4 + 16];

		quote_name(name, q, sizeof(q));
		set_why(u->why, u->whylen, "%s: %s", q, reason);
	} else
		set_why(u->why, u->whylen, "%s", reason);
	return CUT_ERR_BAD_ARCHIVE;
}

/*
 * libarchive's message, first letter lowered to match our style, escaped
 * (its messages quote path names).
 */
static const char *
la_msg(struct archive *a, char *buf, size_t len)
{
	const char *m = a != NULL ? archive_error_string(a) : NULL;

	if (m == NULL || *m == '\0')
		m = "unknown libarchive error";
	text_escape(m, buf, len, len / 4, 0);
	if (buf[0] >= 'A' && buf[0] <= 'Z' && buf[1] >= 'a' && buf[1] <= 'z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

/* Errors from the disk, as opposed to refusals of the archive's content. */
static int
errno_is_system(int e)
{
	switch (e) {
	case ENOSPC: case EDQUOT: case EIO: case EROFS: case ENOMEM:
	case EMFILE: case ENFILE: case EACCES: case EPERM:
		return 1;
	default:
		return 0;
	}
}

/*
 * A libarchive read failed: say whether the stream was cut off (the
 * source's own error travels up), or the archive is corrupt.
 */
static int
read_failed(struct unpack *u, struct archive *ar, const char *name)
{
	char m[512];

	if (u->in.sig != 0) {
		set_why(u->why, u->whylen, "interrupted by signal %d", u->in.sig);
		return CUT_ERR_FAILED;
	}
	if (u->in.err == CUT_ERR_SYSTEM) {
		set_why(u->why, u->whylen, "reading archive: %s",
		    strerror(u->in.err_errno));
		return CUT_ERR_SYSTEM;
	}
	if (u->in.err == CUT_ERR_CHECKSUM) {
		set_why(u->why, u->whylen, "the stream's end names another sha256");
		return u->in.err;
	}
	if (u->in.err != 0) {
		set_why(u->why, u->whylen, "archive stream cut off");
		return u->in.err;
	}
	if (u->in.md_err) {
		set_why(u->why, u->whylen, "computing SHA-256 failed");
		return CUT_ERR_INTERNAL;
	}
	if (u->in.bytes == 0)
		return reject(u, NULL, "archive is empty (0 bytes)");
	if (u->in.gz_bad)
		return reject(u, name, "%s", gunzip_error(u->in.gz));
	if (name == NULL && strstr(la_msg(ar, m, sizeof(m)),
	    "nrecognized archive format") != NULL)
		return reject(u, NULL, "not a tar or zip archive");
	return reject(u, name, "%s", la_msg(ar, m, sizeof(m)));
}

/* A libarchive write failed: a full disk, or a refusal (symlink in path). */
static int
write_failed(struct unpack *u, struct archive *aw, const char *name)
{
	char m[512];
	int e = archive_errno(aw);

	if (errno_is_system(e)) {
		char q[UNPACK_QUOTE_MAX * 4 + 16];

		quote_name(name, q, sizeof(q));
		set_why(u->why, u->whylen, "%s: %s: %s", q,
		    la_msg(aw, m, sizeof(m)), strerror(e));
		errno = e;
		return CUT_ERR_SYSTEM;
	}
	return reject(u, name, "%s", la_msg(aw, m, sizeof(m)));
}

/*
 * The result of a libarchive write call. write_disk reports a failed
 * write(2) (a full disk) as a mere ARCHIVE_WARN with errno set, so a
 * warning that carries a system errno is an error here; other warnings
 * (metadata it could not restore) are logged.
 */
static int
write_result(struct unpack *u, struct archive *aw, const char *name, int r,
    int data)
{
	char m[512];
	int e;

	if (r == ARCHIVE_OK)
		return 0;
	if (r != ARCHIVE_WARN)
		return write_failed(u, aw, name);
	e = archive_errno(aw);
	if (errno_is_system(e) || (data && e > 0))
		return write_failed(u, aw, name);
	log_debug("unpack: %s: %s", name, la_msg(aw, m, sizeof(m)));
	return 0;
}

/* Stop for a signal: the caller unwinds through its normal error path. */
static int
stop_requested(struct unpack_in *in)
{
	if (in->sig == 0 && interrupted() != 0) {
		in->sig = interrupted();
		if (in->err == 0)
			in->err = CUT_ERR_FAILED;
	}
	return in->sig != 0;
}

/* One read of the source, hashed and counted: > 0, 0 at its end, -1 (in says why). */
static ssize_t
src_read(struct unpack_in *in, const void **buf)
{
	ssize_t n;

	if (stop_requested(in) || in->err != 0 || in->md_err)
		return -1;
	if (in->eof)
		return 0;
	n = in->src->read(in->src->ctx, buf);
	if (n < 0) {
		in->err = (int)n;
		in->err_errno = errno;
		(void)stop_requested(in);	/* fd_read fails when interrupted */
		return -1;
	}
	if (n == 0) {
		in->eof = 1;
		return 0;
	}
	if (sha256_update(&in->md, *buf, (size_t)n) != CUT_OK) {
		in->md_err = 1;
		return -1;
	}
	in->bytes += n;
	return n;
}

/* Copy up to UNPACK_PEEK first bytes for sniff(); keep the rest of that read. */
static int
peek_fill(struct unpack_in *in)
{
	while (in->peeklen < UNPACK_PEEK) {
		const void *b;
		ssize_t n = src_read(in, &b);
		size_t k;

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		k = (size_t)n < UNPACK_PEEK - in->peeklen ? (size_t)n : UNPACK_PEEK - in->peeklen;
		memcpy(in->peek + in->peeklen, b, k);
		in->peeklen += k;
		in->rest = (const unsigned char *)b + k;
		in->restlen = (size_t)n - k;
	}
	return 0;
}

/* The next raw bytes: the peeked ones, the rest of their read, then the source. */
static ssize_t
raw_pull(void *ctx, const unsigned char **buf)
{
	struct unpack_in *in = ctx;
	const void *b;
	ssize_t n;

	if (stop_requested(in))
		return -1;
	if (in->peekoff < in->peeklen) {
		*buf = in->peek + in->peekoff;
		n = (ssize_t)(in->peeklen - in->peekoff);
		in->peekoff = in->peeklen;
		return n;
	}
	if (in->restlen > 0) {
		*buf = in->rest;
		n = (ssize_t)in->restlen;
		in->restlen = 0;
		return n;
	}
	if ((n = src_read(in, &b)) > 0)
		*buf = b;
	return n;
}

/* libarchive read callback: raw bytes, or what our gzip layer made of them. */
static la_ssize_t
in_read(struct archive *a, void *ctx, const void **buf)
{
	struct unpack_in *in = ctx;
	const unsigned char *p = NULL;
	ssize_t n;

	*buf = NULL;
	if (stop_requested(in)) {
		archive_set_error(a, EINTR, "interrupted");
		return -1;
	}
	if (in->gz != NULL) {
		n = gunzip_read(in->gz, buf);
		if (n == GUNZIP_ERR_DATA) {
			in->gz_bad = 1;
			archive_set_error(a, EINVAL, "%s",
			    gunzip_error(in->gz));
			return -1;
		}
	} else if ((n = raw_pull(in, &p)) > 0)
		*buf = p;
	if (n < 0) {
		archive_set_error(a, EIO, "archive stream cut off");
		return -1;
	}
	return n;
}

/*
 * Split a relative path into its real components ("." and empty ones are
 * skipped). NULL when acceptable, with *ncomp set; else the reason.
 */
static const char *
check_rel_path(const char *p, int allow_dotdot_prefix, long long *ncomp,
    long long *ndotdot)
{
	const char *c = p, *e;
	long long n = 0, up = 0;

	if (*p == '\0')
		return "empty name";
	if (strlen(p) > UNPACK_PATH_MAX)
		return "name too long";
	if (*p == '/')
		return "absolute path";
	while (*c != '\0') {
		size_t len;

		e = strchr(c, '/');
		len = e != NULL ? (size_t)(e - c) : strlen(c);
		if (len > UNPACK_NAME_MAX)
			return "path component too long";
		if (len == 2 && c[0] == '.' && c[1] == '.') {
			if (!allow_dotdot_prefix || n > 0)
				return "path escapes the release";
			up++;
		} else if (len > 0 && !(len == 1 && c[0] == '.'))
			n++;
		if (e == NULL)
			break;
		c = e + 1;
	}
	*ncomp = n;
	if (ndotdot != NULL)
		*ndotdot = up;
	return NULL;
}

/* Does the path name a real last component (not "", "." or "x/")? */
static int
has_leaf(const char *p)
{
	size_t len = strlen(p);
	const char *leaf;

	if (len == 0 || p[len - 1] == '/')
		return 0;
	leaf = strrchr(p, '/');
	leaf = leaf != NULL ? leaf + 1 : p;
	return strcmp(leaf, ".") != 0;
}

/* Is the first len bytes of s, whose hash is h, a symlink member? */
static int
linkset_has(const struct linkset *ls, const char *s, size_t len, uint64_t h)
{
	size_t i;

	if (ls->n == 0)
		return 0;
	for (i = (size_t)h & (ls->cap - 1); ls->slot[i].s != NULL;
	    i = (i + 1) & (ls->cap - 1))
		if (ls->slot[i].h == h && strncmp(ls->slot[i].s, s, len) == 0 &&
		    ls->slot[i].s[len] == '\0')
			return 1;
	return 0;
}

/* Put s in a table of cap slots (a power of two, never full). */
static void
linkset_put(struct linkslot *slot, size_t cap, char *s, uint64_t h)
{
	size_t i;

	for (i = (size_t)h & (cap - 1); slot[i].s != NULL; i = (i + 1) & (cap - 1))
		;
	slot[i].s = s;
	slot[i].h = h;
}

/* A fresh random key; without getrandom(2), something no archive can know ahead. */
static void
linkset_key(struct linkset *ls)
{
	if (getrandom(ls->key, sizeof(ls->key), GRND_NONBLOCK) != (ssize_t)sizeof(ls->key)) {
		ls->key[0] = (uint64_t)mono_ms() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
		ls->key[1] = (uint64_t)(uintptr_t)ls ^ (uint64_t)time(NULL) << 20;
	}
}

/* Remember a symlink member; 0 or CUT_ERR_ALLOC. */
static int
linkset_add(struct linkset *ls, const char *s)
{
	size_t len = strlen(s);
	uint64_t h;
	char *d;

	if (ls->cap == 0)
		linkset_key(ls);
	h = name_hash(ls, s, len);
	if (linkset_has(ls, s, len, h))
		return 0;
	if ((ls->n + 1) * 2 > ls->cap) {
		size_t ncap = ls->cap != 0 ? ls->cap * 2 : 64, i;
		struct linkslot *ns = calloc(ncap, sizeof(*ns));

		if (ns == NULL)
			return CUT_ERR_ALLOC;
		for (i = 0; i < ls->cap; i++)
			if (ls->slot[i].s != NULL)
				linkset_put(ns, ncap, ls->slot[i].s, ls->slot[i].h);
		free(ls->slot);
		ls->slot = ns;
		ls->cap = ncap;
	}
	if ((d = strdup(s)) == NULL)
		return CUT_ERR_ALLOC;
	linkset_put(ls->slot, ls->cap, d, h);
	ls->n++;
	ls->bytes += (long long)len + 1;
	return 0;
}

static void
linkset_free(struct linkset *ls)
{
	size_t i;

	for (i = 0; i < ls->cap; i++)
		free(ls->slot[i].s);
	free(ls->slot);
	memset(ls, 0, sizeof(*ls));
}

/* A checked relative path without "." and empty components, into out. */
static void
normalise(const char *p, char *out, size_t outlen)
{
	size_t o = 0;

	while (*p != '\0') {
		const char *e = strchr(p, '/');
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);

		if (len > 0 && !(len == 1 && p[0] == '.') && o + len + 2 <= outlen) {
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, p, len);
			o += len;
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	out[o] = '\0';
}

/*
 * The symlink member that the normalised path is, or goes through, or
 * NULL. *prefix says which: through (1) or the path itself (0). One hash
 * runs along the path: each prefix costs a finalisation, not a rehash.
 */
static const char *
through_link(struct linkset *ls, const char *norm, int *prefix)
{
	static char hit[UNPACK_PATH_MAX + 1];
	struct sip h;
	size_t i;

	if (ls->n == 0)
		return NULL;
	sip_init(&h, ls->key);
	for (i = 0; norm[i] != '\0'; i++) {
		if (norm[i] == '/' && linkset_has(ls, norm, i, sip_final(&h))) {
			snprintf(hit, sizeof(hit), "%.*s", (int)i, norm);
			*prefix = 1;
			return hit;
		}
		sip_byte(&h, (unsigned char)norm[i]);
		ls->hashed++;
	}
	*prefix = 0;
	return linkset_has(ls, norm, i, sip_final(&h)) ? norm : NULL;
}

/*
 * No member may be written through, or replace, a symlink member, and no
 * hard link may point at or through one (a hard link to a symlink is a
 * symlink of its own, with a target read from another directory).
 */
static int
check_links(struct unpack *u, const char *name, const char *hl, mode_t type)
{
	char norm[UNPACK_PATH_MAX + 1], q[UNPACK_QUOTE_MAX * 4 + 16];
	const char *l;
	int prefix;

	normalise(name, norm, sizeof(norm));
	if ((l = through_link(&u->links, norm, &prefix)) != NULL) {
		quote_name(l, q, sizeof(q));
		return reject(u, name, prefix ? "path goes through symlink %s" :
		    "member replaces symlink %s", q);
	}
	if (hl != NULL) {
		char hnorm[UNPACK_PATH_MAX + 1];

		normalise(hl, hnorm, sizeof(hnorm));
		if ((l = through_link(&u->links, hnorm, &prefix)) != NULL) {
			quote_name(l, q, sizeof(q));
			return reject(u, name, prefix ? "hard link target goes "
			    "through symlink %s" : "hard link to symlink %s", q);
		}
	} else if (type == AE_IFLNK) {
		if (u->links.bytes > UNPACK_LINKS_MAX)
			return reject(u, name, "too many symlinks");
		if (linkset_add(&u->links, norm) != 0) {
			set_why(u->why, u->whylen, "out of memory");
			return CUT_ERR_ALLOC;
		}
	}
	return 0;
}

/*
 * Our own checks on one header before anything is written; libarchive's
 * SECURE_* flags are the second line. Also clears set-uid/set-gid.
 */
static int
check_entry(struct unpack *u, struct archive_entry *ent)
{
	const char *name = archive_entry_pathname(ent);
	const char *hl = archive_entry_hardlink(ent);
	const char *why;
	mode_t type = archive_entry_filetype(ent);
	long long n, hn, up;
	int r;

	if (name == NULL)
		name = archive_entry_pathname_utf8(ent);
	if (name == NULL)
		return reject(u, NULL, "member with no usable name (entry %lld)",
		    u->st->entries);
	if ((why = check_rel_path(name, 0, &n, NULL)) != NULL)
		return reject(u, name, "%s", why);
	if (archive_entry_is_encrypted(ent))
		return reject(u, name, "encrypted member (encrypted archives are not supported)");
	if (u->st->entries > u->lim->max_entries)
		return reject(u, name, "archive has more than %lld members",
		    u->lim->max_entries);
	if (hl != NULL) {
		if ((why = check_rel_path(hl, 0, &hn, NULL)) != NULL)
			return reject(u, name, "hard link target: %s", why);
		if (hn == 0 || !has_leaf(hl))
			return reject(u, name, "hard link to a directory");
		if (!has_leaf(name))
			return reject(u, name, "hard link with a directory name");
	} else if (type == AE_IFLNK) {
		const char *t = archive_entry_symlink(ent);
		long long tn;

		if (t == NULL || *t == '\0')
			return reject(u, name, "symlink with an empty target");
		if (!has_leaf(name))
			return reject(u, name, "symlink with a directory name");
		/*
		 * ".." only as leading components, no deeper than the
		 * link's own directory: every step then stays inside, even
		 * when a later component is itself one of our symlinks.
		 */
		if (*t == '/' || check_rel_path(t, 1, &tn, &up) != NULL ||
		    up > n - 1) {
			char q[UNPACK_QUOTE_MAX * 4 + 16];

			quote_name(t, q, sizeof(q));
			return reject(u, name, "symlink target %s escapes the "
			    "release", q);
		}
	} else if (type == AE_IFREG) {
		if (!has_leaf(name))
			return reject(u, name, "regular file with a directory name");
	} else if (type != AE_IFDIR) {
		return reject(u, name, "%s not allowed in a release",
		    type == AE_IFCHR ? "character device" :
		    type == AE_IFBLK ? "block device" :
		    type == AE_IFIFO ? "FIFO" :
		    type == AE_IFSOCK ? "socket" : "unknown file type");
	}
	if (type == AE_IFREG && archive_entry_size_is_set(ent) &&
	    archive_entry_size(ent) > u->lim->max_bytes - u->st->bytes)
		return reject(u, name, "unpacked size exceeds the limit of "
		    "%lld bytes", u->lim->max_bytes);
	if ((r = check_links(u, name, hl, type)) != 0)
		return r;
	/*
	 * No set-uid/set-gid/sticky; directories stay usable by their owner
	 * (the agent), so the tree can always be pruned without chmod.
	 */
	archive_entry_set_perm(ent, (archive_entry_perm(ent) & 0777) |
	    (type == AE_IFDIR ? 0700 : 0));
	return 0;
}

/* Progress: {"event":"unpack","entries":N,"bytes":N}. */
static void
emit_progress(struct unpack *u)
{
	struct kvlist ev = KVLIST_INIT;

	if (u->sink == NULL)
		return;
	if (kv_add(&ev, "event", "unpack") == 0 &&
	    kv_add_int(&ev, "entries", u->st->entries) == 0 &&
	    kv_add_int(&ev, "bytes", u->st->bytes) == 0)
		sink_event(u->sink, &ev);
	kv_free(&ev);
}

/* Count bytes up to `end` of the current file against max_bytes. */
static int
count_bytes(struct unpack *u, const char *name, long long *written,
    long long end)
{
	if (end <= *written)
		return 0;
	if (end - *written > u->lim->max_bytes - u->st->bytes)
		return reject(u, name, "unpacked size exceeds the limit of "
		    "%lld bytes", u->lim->max_bytes);
	u->st->bytes += end - *written;
	*written = end;
	if (u->st->bytes >= u->next_event) {
		emit_progress(u);
		u->next_event = u->st->bytes + UNPACK_EVENT_EVERY;
	}
	return 0;
}

/* The base file changed under us: what we compared or copied is unreliable. */
static int
base_changed(struct unpack *u, const char *name)
{
	char q[UNPACK_QUOTE_MAX * 4 + 16];

	quote_name(name, q, sizeof(q));
	set_why(u->why, u->whylen, "%s: the current release's copy changed while it was "
	    "compared (something writes into the release directory in place; "
	    "cutover-agent.ini(5), dedupe)", q);
	return CUT_ERR_FAILED;
}

/*
 * The member differs from the base file after all (or cannot be linked):
 * create it now and write the prefix that compared equal, read back from
 * the base file; from here on the member is written as usual.
 */
static int
dedupe_fallback(struct unpack *u, struct archive *aw, struct archive_entry *ent,
    const char *name, struct dedupe_file *df)
{
	long long off = 0;
	int r;

	r = archive_write_header(aw, ent);
	if ((r = write_result(u, aw, name, r, 0)) != 0)
		return r;
	while (off < df->same) {
		const void *b;
		long long left = df->same - off;
		ssize_t n = dedupe_prefix(u->lim->dedupe, df, off,
		    left > UNPACK_BLOCK ? UNPACK_BLOCK : (size_t)left, &b);

		if (n <= 0)
			return base_changed(u, name);
		r = (int)archive_write_data_block(aw, b, (size_t)n, off);
		if ((r = write_result(u, aw, name, r, 1)) != 0)
			return r;
		off += n;
	}
	/* Nothing copied from it: what it is now does not matter. */
	if (df->same > 0 && !dedupe_unchanged(df))
		return base_changed(u, name);
	dedupe_close(df);
	return 0;
}

/*
 * Copy one member's data (the copy_data() loop of libarchive's untar.c),
 * counting real bytes, not what the header claims. While df is open the
 * member is only compared with it (nothing written, no header yet); the
 * first difference writes it after all (dedupe_fallback).
 */
static int
copy_data(struct unpack *u, struct archive *ar, struct archive *aw,
    struct archive_entry *ent, const char *name, long long hdrsize,
    struct dedupe_file *df)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	long long written = 0;
	char m[512];

	for (;;) {
		int r;

		/* A bomb makes many blocks of few input bytes: check here too. */
		if (stop_requested(&u->in))
			return read_failed(u, ar, name);
		r = archive_read_data_block(ar, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return read_failed(u, ar, name);
		if (r == ARCHIVE_WARN)
			log_debug("unpack: %s: %s", name, la_msg(ar, m, sizeof(m)));
		if (off < 0 || size > (size_t)(LLONG_MAX - off))
			return reject(u, name, "bad data offset");
		/* write_disk would cut the file short and call it a write failure. */
		if (hdrsize >= 0 && off + (long long)size > hdrsize)
			return reject(u, name, "data exceeds the declared size of %lld bytes",
			    hdrsize);
		if ((r = count_bytes(u, name, &written, off + (long long)size)) != 0)
			return r;
		if (df->fd != -1) {
			if (dedupe_same(u->lim->dedupe, df, buf, size, off))
				continue;
			if ((r = dedupe_fallback(u, aw, ent, name, df)) != 0)
				return r;
		}
		r = (int)archive_write_data_block(aw, buf, size, off);
		if ((r = write_result(u, aw, name, r, 1)) != 0)
			return r;
	}
	/* write_disk extends a short file to its header size: count that. */
	if (hdrsize > 0)
		return count_bytes(u, name, &written, hdrsize);
	return 0;
}

/*
 * A compared member's end: link the base file (1) when every byte matched
 * and it did not change meanwhile, else write the member after all (0).
 */
static int
dedupe_finish(struct unpack *u, struct archive *aw, struct archive_entry *ent,
    const char *name, struct dedupe_file *df)
{
	long long size = df->size;

	if (dedupe_same_end(u->lim->dedupe, df)) {
		if (!dedupe_unchanged(df))
			return base_changed(u, name);
		if (dedupe_link(u->lim->dedupe, df, name) == 0) {
			u->st->dedupe_files++;
			u->st->dedupe_bytes += size;
			FAULT_POINT("unpack.linked");
			return 1;
		}
		log_debug("unpack: %s: not linked: %s", name, strerror(errno));
	}
	/* Nothing written yet: the prefix that compared equal comes from the base. */
	return dedupe_fallback(u, aw, ent, name, df);
}

/*
 * write_disk opens the target of a hard-link member that carries data for
 * writing (O_TRUNC): never let it reach a file linked from the current
 * release, which would change that release.
 */
static int
check_linked_target(struct unpack *u, struct archive_entry *ent, const char *name)
{
	const char *hl = archive_entry_hardlink(ent);
	struct stat st;

	if (u->lim->dedupe == NULL || hl == NULL || archive_entry_size(ent) <= 0)
		return 0;
	if (fstatat(AT_FDCWD, hl, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    dedupe_is_linked(u->lim->dedupe, st.st_dev, st.st_ino))
		return reject(u, name, "hard link carrying data into a file shared with "
		    "the current release (dedupe)");
	return 0;
}

/* One member: check, create (or compare and link), copy its data, finish. */
static int
extract_entry(struct unpack *u, struct archive *ar, struct archive *aw,
    struct archive_entry *ent)
{
	char name[UNPACK_PATH_MAX + 1];
	struct dedupe_file df = { .fd = -1 };
	long long hdrsize = -1;
	int r;

	if ((r = check_entry(u, ent)) != 0)
		return r;
	snprintf(name, sizeof(name), "%s", archive_entry_pathname(ent) != NULL ?
	    archive_entry_pathname(ent) : archive_entry_pathname_utf8(ent));
	if ((r = check_linked_target(u, ent, name)) != 0)
		return r;
	if (archive_entry_filetype(ent) == AE_IFREG &&
	    archive_entry_hardlink(ent) == NULL &&
	    archive_entry_size_is_set(ent))
		hdrsize = archive_entry_size(ent);
	if (hdrsize >= 0 && u->lim->dedupe != NULL &&
	    dedupe_open(u->lim->dedupe, name, hdrsize, archive_entry_perm(ent), &df))
		FAULT_STOP("unpack.comparing");
	if (df.fd == -1) {
		r = archive_write_header(aw, ent);
		if ((r = write_result(u, aw, name, r, 0)) != 0)
			return r;
	}
	if (archive_entry_size(ent) > 0 || !archive_entry_size_is_set(ent))
		r = copy_data(u, ar, aw, ent, name, hdrsize, &df);
	if (r == 0 && df.fd != -1)
		r = dedupe_finish(u, aw, ent, name, &df);
	dedupe_close(&df);
	if (r != 0)
		return r < 0 ? r : 0;
	r = archive_write_finish_entry(aw);
	return write_result(u, aw, name, r, 0);
}

/*
 * The reader, limited to the formats and filters a release may use: tar
 * (behind xz, zstd or bzip2, or plain; gzip is ours, so the reader behind
 * it takes no filter at all) or a seekable zip. The raw format is a
 * catch-all, so that what is not a tar can be looked at and named
 * (refuse_raw()), never extracted.
 */
static struct archive *
reader_new(enum in_kind kind)
{
	struct archive *ar = archive_read_new();
	int ok;

	if (ar == NULL)
		return NULL;
	if (kind == IN_ZIP)
		ok = archive_read_support_filter_none(ar) >= ARCHIVE_WARN &&
		    archive_read_support_format_zip_seekable(ar) == ARCHIVE_OK;
	else
		ok = archive_read_support_filter_none(ar) >= ARCHIVE_WARN &&
		    (kind == IN_GZIP ||
		    (archive_read_support_filter_xz(ar) >= ARCHIVE_WARN &&
		    archive_read_support_filter_zstd(ar) >= ARCHIVE_WARN &&
		    archive_read_support_filter_bzip2(ar) >= ARCHIVE_WARN)) &&
		    archive_read_support_format_tar(ar) == ARCHIVE_OK &&
		    archive_read_support_format_raw(ar) == ARCHIVE_OK;
	if (!ok) {
		archive_read_free(ar);
		return NULL;
	}
	return ar;
}

/*
 * The disk writer: refuse ".." and absolute paths (again). Writing through
 * symlinks is refused by check_links(), not SECURE_SYMLINKS (see linkset).
 */
static struct archive *
writer_new(void)
{
	struct archive *aw = archive_write_disk_new();

	if (aw == NULL)
		return NULL;
	if (archive_write_disk_set_options(aw, ARCHIVE_EXTRACT_TIME |
	    ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS) != ARCHIVE_OK) {
		archive_write_free(aw);
		return NULL;
	}
	return aw;
}

/*
 * After the archive's end: the rest of the gzip stream (every member's
 * CRC-32 and length are checked even when the tar ended before them), then
 * the rest of the source, hashed (padding, junk), both within max_bytes.
 */
static int
drain(struct unpack *u)
{
	const unsigned char *raw;
	const void *buf;
	long long tail = 0;
	ssize_t n;

	while (u->in.gz != NULL && (n = gunzip_read(u->in.gz, &buf)) != 0) {
		if (n == GUNZIP_ERR_DATA)
			return reject(u, NULL, "%s", gunzip_error(u->in.gz));
		if (n < 0)
			return read_failed(u, NULL, NULL);
		if ((tail += n) > u->lim->max_bytes)
			goto junk;
	}
	if (u->in.gz != NULL)
		tail += (long long)gunzip_leftover(u->in.gz);
	while ((n = raw_pull(&u->in, &raw)) != 0) {
		if (n < 0)
			return read_failed(u, NULL, NULL);
		if ((tail += n) > u->lim->max_bytes)
			goto junk;
	}
	return 0;
junk:
	return reject(u, NULL, "more than %lld bytes of junk after the archive",
	    u->lim->max_bytes);
}

/* One magic number at the start of an archive (UNPACK_PEEK bytes seen). */
struct magic {
	const char *bytes;
	size_t len;
	const char *name;
	enum in_kind kind;	/* IN_REFUSED: refuse_kind() says why */
	int compression;	/* a compression (1) or an archive format (0) */
};

/*
 * What we take and what we name when we refuse it (cutover-agent(8),
 * ARCHIVES). Everything else goes to libarchive's tar reader, which tells
 * tar from "not a tar or zip archive".
 */
static const struct magic magics[] = {
	{ "\x1f\x8b", 2, "gzip", IN_GZIP, 1 },
	{ "PK\x03\x04", 4, "zip", IN_ZIP, 0 },
	{ "PK\x05\x06", 4, "zip", IN_ZIP, 0 },	/* empty zip */
	{ "PK\x07\x08", 4, "zip", IN_ZIP, 0 },	/* spanned-archive marker */
	/* Self-extracting zips: an executable stub, the zip at the end. */
	{ "MZ", 2, "zip", IN_ZIP, 0 },
	{ "\x7f" "ELF", 4, "zip", IN_ZIP, 0 },
	{ "#!", 2, "zip", IN_ZIP, 0 },
	/* libarchive's filters; named here for refuse_raw(). */
	{ "\xfd" "7zXZ\x00", 6, "xz", IN_TAR, 1 },
	{ "\x28\xb5\x2f\xfd", 4, "zstd", IN_TAR, 1 },
	{ "BZh", 3, "bzip2", IN_TAR, 1 },
	{ "\x1f\x9d", 2, "compress (.Z)", IN_REFUSED, 1 },
	{ "\x04\x22\x4d\x18", 4, "lz4", IN_REFUSED, 1 },
	{ "\x02\x21\x4c\x18", 4, "lz4", IN_REFUSED, 1 },
	{ "LZIP", 4, "lzip", IN_REFUSED, 1 },
	{ "\x89LZO\x00\r\n\x1a\n", 9, "lzop", IN_REFUSED, 1 },
	{ "\x5d\x00\x00", 3, "lzma", IN_REFUSED, 1 },
	{ "070701", 6, "cpio", IN_REFUSED, 0 },
	{ "070702", 6, "cpio", IN_REFUSED, 0 },
	{ "070707", 6, "cpio", IN_REFUSED, 0 },
	{ "\xc7\x71", 2, "cpio", IN_REFUSED, 0 },
	{ "\x71\xc7", 2, "cpio", IN_REFUSED, 0 },
	{ "7z\xbc\xaf\x27\x1c", 6, "7z", IN_REFUSED, 0 },
	{ "Rar!\x1a\x07", 6, "rar", IN_REFUSED, 0 },
	{ "xar!", 4, "xar", IN_REFUSED, 0 },
	{ "!<arch>\n", 8, "ar", IN_REFUSED, 0 },
	{ "MSCF", 4, "cab", IN_REFUSED, 0 },
	{ "\xed\xab\xee\xdb", 4, "rpm", IN_REFUSED, 0 },
	{ NULL, 0, NULL, IN_TAR, 0 }
};

/* Does a valid tar header checksum (POSIX, 512 bytes) start p? */
static int
tar_header_ok(const unsigned char *p, size_t n)
{
	unsigned long want = 0, sum = 0;
	int i, digits = 0;

	if (n < 512)
		return 0;
	for (i = 148; i < 156 && p[i] == ' '; i++)
		;
	for (; i < 156 && p[i] >= '0' && p[i] <= '7'; i++, digits++)
		want = want * 8 + (unsigned long)(p[i] - '0');
	for (i = 0; i < 512; i++)
		sum += i >= 148 && i < 156 ? ' ' : p[i];
	return digits > 0 && sum == want;
}

/* The magic that starts p, or the terminating IN_TAR entry. */
static const struct magic *
sniff(const unsigned char *p, size_t n)
{
	const struct magic *m;

	/* A tar header first: its name may begin with anything. */
	if (tar_header_ok(p, n))
		return &magics[sizeof(magics) / sizeof(magics[0]) - 1];
	for (m = magics; m->bytes != NULL; m++)
		if (n >= m->len && memcmp(p, m->bytes, m->len) == 0)
			break;
	return m;
}

/* The refusal of what sniff() named: format or compression, and why. */
static int
refuse_kind(struct unpack *u, const struct magic *m, const char *inside)
{
	if (inside != NULL && (m->compression || m->kind == IN_ZIP) && m->kind != IN_REFUSED)
		return reject(u, NULL, "%s inside %s compression is not supported "
		    "(one compression around a tar)", m->name, inside);
	if (m->compression)
		return reject(u, NULL, "compression %s is not supported "
		    "(tar with gzip, xz, zstd or bzip2, or zip)", m->name);
	return reject(u, NULL, "%s archives are not supported (tar or zip only)", m->name);
}

/*
 * libarchive found no tar: look at the first bytes it decompressed, name
 * what they are when we can, and refuse. Nothing is extracted.
 */
static int
refuse_raw(struct unpack *u, struct archive *ar)
{
	const void *buf;
	size_t size = 0;
	la_int64_t off;
	const struct magic *m;
	const char *outer = u->outer;

	if (outer == NULL && archive_filter_count(ar) > 1)
		outer = archive_filter_name(ar, 0);
	if (archive_read_data_block(ar, &buf, &size, &off) < ARCHIVE_WARN)
		return read_failed(u, ar, NULL);
	m = sniff(buf, size);
	/* Only "PK" is a zip here; a stub's first bytes alone are not. */
	if (m->kind == IN_ZIP && memcmp(m->bytes, "PK", 2) != 0)
		m = &magics[sizeof(magics) / sizeof(magics[0]) - 1];
	if (m->bytes != NULL && outer != NULL)
		return refuse_kind(u, m, outer);
	if (m->bytes != NULL && m->kind == IN_REFUSED)
		return refuse_kind(u, m, NULL);
	return reject(u, NULL, "not a tar or zip archive%s%s", outer != NULL ?
	    " (inside " : "", outer != NULL ? outer : "");
}

/*
 * A zip is read from its central directory (the only place that has its
 * members' modes, symlinks and UTF-8 flags, and the one that counts), so
 * it needs a seekable file: the raw bytes go into an unnamed file in the
 * staging directory (our working directory), hashed on the way, within
 * max_bytes. The spool goes when its descriptor is closed.
 */
static int
spool_zip(struct unpack *u)
{
	const unsigned char *b;
	char tmp[64];
	ssize_t n;
	int fd;

	if ((fd = open(".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) == -1) {
		snprintf(tmp, sizeof(tmp), ".cutover-zip-spool.%ld", (long)getpid());
		if ((fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600)) != -1)
			unlink(tmp);
	}
	if (fd == -1)
		goto sys;
	u->zipfd = fd;
	while ((n = raw_pull(&u->in, &b)) != 0) {
		if (n < 0)
			return read_failed(u, NULL, NULL);
		if (u->in.bytes > u->lim->max_bytes)
			return reject(u, NULL, "zip archive larger than the limit of %lld bytes",
			    u->lim->max_bytes);
		if (write_full(fd, b, (size_t)n) != 0)
			goto sys;
	}
	if (lseek(fd, 0, SEEK_SET) == 0)
		return 0;
sys:
	set_why(u->why, u->whylen, "cannot spool the zip archive: %s", strerror(errno));
	return CUT_ERR_SYSTEM;
}

/* Look at the first bytes, pick and open the reader. */
static int
open_reader(struct unpack *u, struct archive **arp)
{
	const struct magic *m;
	struct archive *ar;
	int r;

	if (peek_fill(&u->in) != 0)
		return read_failed(u, NULL, NULL);
	if (u->in.peeklen == 0)
		return reject(u, NULL, "archive is empty (0 bytes)");
	m = sniff(u->in.peek, u->in.peeklen);
	if (m->kind == IN_REFUSED)
		return refuse_kind(u, m, NULL);
	if (m->kind == IN_GZIP) {
		u->outer = "gzip";
		if ((u->in.gz = gunzip_new(raw_pull, &u->in)) == NULL)
			goto nomem;
	}
	if (m->kind == IN_ZIP && (r = spool_zip(u)) != 0)
		return r;
	if ((*arp = ar = reader_new(m->kind)) == NULL)
		goto nomem;
	if (m->kind == IN_ZIP)
		r = archive_read_open_fd(ar, u->zipfd, UNPACK_BLOCK);
	else
		r = archive_read_open(ar, &u->in, NULL, in_read, NULL);
	if (r != ARCHIVE_OK)
		return read_failed(u, ar, NULL);
	return 0;
nomem:
	set_why(u->why, u->whylen, "cannot set up the archive reader: out of memory");
	return CUT_ERR_ALLOC;
}

/* Read every header and extract it; cwd is already the staging directory. */
static int
extract_all(struct unpack *u, struct archive **arp, struct archive *aw)
{
	struct archive_entry *ent;
	struct archive *ar;
	char m[512];
	int r;

	if ((r = open_reader(u, arp)) != 0)
		return r;
	ar = *arp;
	for (;;) {
		if (stop_requested(&u->in))
			return read_failed(u, ar, NULL);
		r = archive_read_next_header(ar, &ent);
		if (r == ARCHIVE_EOF)
			break;
		/* ARCHIVE_RETRY (a damaged header) is no better than FATAL. */
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return read_failed(u, ar, NULL);
		if (archive_format(ar) == ARCHIVE_FORMAT_RAW)
			return refuse_raw(u, ar);
		if (r == ARCHIVE_WARN)
			log_debug("unpack: reading header: %s",
			    la_msg(ar, m, sizeof(m)));
		u->st->entries++;
		if ((r = extract_entry(u, ar, aw, ent)) != 0)
			return r;
	}
	if (u->st->entries == 0)
		return reject(u, NULL, "archive has no members");
	if ((r = drain(u)) != 0)
		return r;
	r = archive_write_close(aw);
	return write_result(u, aw, ".", r, 0);
}

/*
 * Names are converted by libarchive in the C library's character-type
 * locale: without a UTF-8 one, a zip's UTF-8 names (and pax's) cannot be
 * converted at all. The agent's own locale is left alone (its messages,
 * its hooks' environment): only this thread uses C.UTF-8 while it unpacks.
 */
static locale_t
utf8_locale(void)
{
	static const char *const names[] = { "C.UTF-8", "C.utf8", "en_US.UTF-8", NULL };
	locale_t l = (locale_t)0;

	for (int i = 0; names[i] != NULL && l == (locale_t)0; i++)
		l = newlocale(LC_CTYPE_MASK, names[i], (locale_t)0);
	if (l == (locale_t)0)
		log_debug("unpack: no UTF-8 locale: zip and pax UTF-8 names may be refused");
	return l;
}

/* Extract with our checks and the running digest; see unpack.h. */
int
unpack_archive(const struct byte_source *src, int destfd,
    const struct unpack_limits *lim, const struct sink *sink,
    struct unpack_stats *st, char *why, size_t whylen)
{
	struct unpack u;
	struct archive *ar = NULL, *aw = NULL;
	locale_t utf8, old = (locale_t)0;
	int oldcwd = -1, r, e;

	memset(&u, 0, sizeof(u));
	memset(st, 0, sizeof(*st));
	set_why(why, whylen, "%s", "");
	u.in.src = src;
	u.lim = lim;
	u.sink = sink;
	u.st = st;
	u.why = why;
	u.whylen = whylen;
	u.next_event = UNPACK_EVENT_EVERY;
	u.zipfd = -1;

	if ((r = archive_dl_load(why, whylen)) != CUT_OK)
		return r;
	if ((r = sha256_init(&u.in.md)) != CUT_OK) {
		set_why(why, whylen, "cannot start SHA-256");
		return r;
	}
	/* Before libarchive starts: it takes the charset when it first converts. */
	if ((utf8 = utf8_locale()) != (locale_t)0)
		old = uselocale(utf8);
	if ((aw = writer_new()) == NULL) {
		set_why(why, whylen, "cannot set up libarchive");
		r = CUT_ERR_ALLOC;
		goto out;
	}
	/* O_PATH: works even when the current directory is not readable. */
	if ((oldcwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fchdir(destfd) == -1) {
		set_why(why, whylen, "cannot enter the staging directory: %s",
		    strerror(errno));
		r = CUT_ERR_SYSTEM;
		goto out;
	}
	/* A signal stops us within interrupt.h's bound even inside libarchive. */
	interrupt_guard(1);
	r = extract_all(&u, &ar, aw);
	interrupt_guard(0);
	/* Freeing the writer applies directory fixups: still inside destfd. */
	e = errno;
	archive_write_free(aw);
	aw = NULL;
	if (fchdir(oldcwd) == -1) {
		set_why(why, whylen, "cannot return to the previous directory: %s",
		    strerror(errno));
		BUG("cannot restore the working directory");
	}
	errno = e;
	if (r == 0) {
		if (sha256_final(&u.in.md, st->sha256) != CUT_OK) {
			set_why(why, whylen, "computing SHA-256 failed");
			r = CUT_ERR_INTERNAL;
		} else
			emit_progress(&u);
	}
 out:
	st->archive_bytes = u.in.bytes;
	st->link_check_bytes = u.links.hashed;
	e = errno;
	if (oldcwd != -1)
		close(oldcwd);
	if (aw != NULL)
		archive_write_free(aw);
	if (ar != NULL)
		archive_read_free(ar);
	if (u.zipfd != -1)
		close(u.zipfd);
	gunzip_free(u.in.gz);
	sha256_free(&u.in.md);
	linkset_free(&u.links);
	if (utf8 != (locale_t)0) {
		uselocale(old);
		freelocale(utf8);
	}
	errno = e;
	return r;
}

/* Only the digest, for an install whose release already exists. */
int
hash_source(const struct byte_source *src, unsigned char sha256[SHA256_LEN],
    long long *bytes)
{
	struct sha256 md;
	const void *buf;
	long long total = 0;
	ssize_t n;
	int r;

	if ((r = sha256_init(&md)) != CUT_OK)
		return r;
	while (r == CUT_OK && (n = src->read(src->ctx, &buf)) != 0) {
		if (n < 0)
			r = (int)n;
		else if ((r = sha256_update(&md, buf, (size_t)n)) == CUT_OK)
			total += n;
	}
	if (r == CUT_OK)
		r = sha256_final(&md, sha256);
	sha256_free(&md);
	if (bytes != NULL)
		*bytes = total;
	return r;
}
