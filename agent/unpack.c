/*
 * Safe streaming extraction: libarchive reads the byte source once (every
 * raw byte also goes through SHA-256); each member is checked by our own
 * rules (names, types, link targets, symlinks on the way, caps) before
 * libarchive's write_disk, with SECURE_NODOTDOT|SECURE_NOABSOLUTEPATHS as
 * a second line, creates it below the staging directory by relative path.
 * See unpack.h for the contract.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "err.h"
#include "kv.h"
#include "log.h"
#include "sha256.h"
#include "unpack.h"

#define UNPACK_PATH_MAX		4096	/* bytes in a member name or link target */
#define UNPACK_NAME_MAX		255	/* bytes in one path component */
#define UNPACK_EVENT_EVERY	(4LL << 20)	/* progress event per unpacked bytes */
#define UNPACK_QUOTE_MAX	200	/* member name bytes shown in a message */
#define UNPACK_LINKS_MAX	(8LL << 20)	/* bytes of symlink names remembered */

/*
 * The symlink members extracted so far (normalised names), so that no
 * later member is written through one. This replaces libarchive's
 * ARCHIVE_EXTRACT_SECURE_SYMLINKS, which costs an open and a stat per
 * path component per member (six times the syscalls of the whole
 * extraction): the staging directory starts empty, so the only symlinks
 * in it are the ones we made.
 */
struct linkset {
	char **slot;		/* open addressing; NULL is empty */
	size_t cap;		/* power of two, or 0 */
	size_t n;
	long long bytes;	/* name bytes held, capped by UNPACK_LINKS_MAX */
};

/* What the read callback needs: the source, the running digest, errors. */
struct unpack_in {
	const struct byte_source *src;
	struct sha256 md;
	long long bytes;	/* raw bytes read so far */
	int eof;		/* the source said clean end */
	int err;		/* negative CUT_ERR_* from the source, or 0 */
	int err_errno;		/* errno at the time err was set */
	int md_err;		/* the digest failed */
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

/*
 * A member name as it may be shown to a person: quoted, control bytes
 * escaped (a hostile name must not drive the terminal), cut when long.
 */
static void
quote_name(const char *s, char *out, size_t outlen)
{
	size_t o = 0, i;

	if (outlen < 8) {
		if (outlen > 0)
			out[0] = '\0';
		return;
	}
	out[o++] = '"';
	for (i = 0; s != NULL && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= UNPACK_QUOTE_MAX || o + 8 >= outlen) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
		} else
			out[o++] = (char)c;
	}
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

/* libarchive's message, first letter lowered to match our style. */
static const char *
la_msg(struct archive *a, char *buf, size_t len)
{
	const char *m = archive_error_string(a);

	if (m == NULL || *m == '\0')
		m = "unknown libarchive error";
	snprintf(buf, len, "%s", m);
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

/* libarchive read callback: next block of the source, hashed on the way. */
static la_ssize_t
in_read(struct archive *a, void *ctx, const void **buf)
{
	struct unpack_in *in = ctx;
	ssize_t n;

	if (in->eof || in->err != 0) {
		*buf = NULL;
		return 0;
	}
	n = in->src->read(in->src->ctx, buf);
	if (n < 0) {
		in->err = (int)n;
		in->err_errno = errno;
		archive_set_error(a, EIO, "archive stream cut off");
		return -1;
	}
	if (n == 0) {
		in->eof = 1;
		return 0;
	}
	if (sha256_update(&in->md, *buf, (size_t)n) != CUT_OK) {
		in->md_err = 1;
		archive_set_error(a, EINVAL, "computing SHA-256 failed");
		return -1;
	}
	in->bytes += n;
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

/* FNV-1a: cheap, and the set only holds names from one archive. */
static size_t
name_hash(const char *s, size_t len)
{
	unsigned long long h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* Is the first len bytes of s a symlink member? */
static int
linkset_has(const struct linkset *ls, const char *s, size_t len)
{
	size_t i;

	if (ls->n == 0)
		return 0;
	for (i = name_hash(s, len) & (ls->cap - 1); ls->slot[i] != NULL;
	    i = (i + 1) & (ls->cap - 1))
		if (strncmp(ls->slot[i], s, len) == 0 && ls->slot[i][len] == '\0')
			return 1;
	return 0;
}

/* Put s in a table of cap slots (a power of two, never full). */
static void
linkset_put(char **slot, size_t cap, char *s)
{
	size_t i;

	for (i = name_hash(s, strlen(s)) & (cap - 1); slot[i] != NULL;
	    i = (i + 1) & (cap - 1))
		;
	slot[i] = s;
}

/* Remember a symlink member; 0 or CUT_ERR_ALLOC. */
static int
linkset_add(struct linkset *ls, const char *s)
{
	char *d;

	if (linkset_has(ls, s, strlen(s)))
		return 0;
	if ((ls->n + 1) * 2 > ls->cap) {
		size_t ncap = ls->cap != 0 ? ls->cap * 2 : 64, i;
		char **ns = calloc(ncap, sizeof(*ns));

		if (ns == NULL)
			return CUT_ERR_ALLOC;
		for (i = 0; i < ls->cap; i++)
			if (ls->slot[i] != NULL)
				linkset_put(ns, ncap, ls->slot[i]);
		free(ls->slot);
		ls->slot = ns;
		ls->cap = ncap;
	}
	if ((d = strdup(s)) == NULL)
		return CUT_ERR_ALLOC;
	linkset_put(ls->slot, ls->cap, d);
	ls->n++;
	ls->bytes += (long long)strlen(s) + 1;
	return 0;
}

static void
linkset_free(struct linkset *ls)
{
	size_t i;

	for (i = 0; i < ls->cap; i++)
		free(ls->slot[i]);
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
 * NULL. *prefix says which: through (1) or the path itself (0).
 */
static const char *
through_link(const struct linkset *ls, const char *norm, int *prefix)
{
	static char hit[UNPACK_PATH_MAX + 1];
	const char *c;

	if (ls->n == 0)
		return NULL;
	for (c = strchr(norm, '/'); c != NULL; c = strchr(c + 1, '/'))
		if (linkset_has(ls, norm, (size_t)(c - norm))) {
			snprintf(hit, sizeof(hit), "%.*s", (int)(c - norm), norm);
			*prefix = 1;
			return hit;
		}
	*prefix = 0;
	return linkset_has(ls, norm, strlen(norm)) ? norm : NULL;
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

/*
 * Copy one member's data (the copy_data() loop of libarchive's untar.c),
 * counting real bytes, not what the header claims.
 */
static int
copy_data(struct unpack *u, struct archive *ar, struct archive *aw,
    const char *name, long long hdrsize)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	long long written = 0;
	char m[512];

	for (;;) {
		int r = archive_read_data_block(ar, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return read_failed(u, ar, name);
		if (r == ARCHIVE_WARN)
			log_debug("unpack: %s: %s", name, la_msg(ar, m, sizeof(m)));
		if (off < 0 || size > (size_t)(LLONG_MAX - off))
			return reject(u, name, "bad data offset");
		if ((r = count_bytes(u, name, &written, off + (long long)size)) != 0)
			return r;
		r = (int)archive_write_data_block(aw, buf, size, off);
		if ((r = write_result(u, aw, name, r, 1)) != 0)
			return r;
	}
	/* write_disk extends a short file to its header size: count that. */
	if (hdrsize > 0)
		return count_bytes(u, name, &written, hdrsize);
	return 0;
}

/* One member: check, create, copy its data, finish. */
static int
extract_entry(struct unpack *u, struct archive *ar, struct archive *aw,
    struct archive_entry *ent)
{
	char name[UNPACK_PATH_MAX + 1];
	long long hdrsize = -1;
	int r;

	if ((r = check_entry(u, ent)) != 0)
		return r;
	snprintf(name, sizeof(name), "%s", archive_entry_pathname(ent) != NULL ?
	    archive_entry_pathname(ent) : archive_entry_pathname_utf8(ent));
	if (archive_entry_filetype(ent) == AE_IFREG &&
	    archive_entry_hardlink(ent) == NULL &&
	    archive_entry_size_is_set(ent))
		hdrsize = archive_entry_size(ent);
	r = archive_write_header(aw, ent);
	if ((r = write_result(u, aw, name, r, 0)) != 0)
		return r;
	if (archive_entry_size(ent) > 0 || !archive_entry_size_is_set(ent)) {
		if ((r = copy_data(u, ar, aw, name, hdrsize)) != 0)
			return r;
	}
	r = archive_write_finish_entry(aw);
	return write_result(u, aw, name, r, 0);
}

/* The reader, limited to the formats and filters a release may use. */
static struct archive *
reader_new(void)
{
	struct archive *ar = archive_read_new();

	if (ar == NULL)
		return NULL;
	if (archive_read_support_filter_none(ar) < ARCHIVE_WARN ||
	    archive_read_support_filter_gzip(ar) < ARCHIVE_WARN ||
	    archive_read_support_filter_xz(ar) < ARCHIVE_WARN ||
	    archive_read_support_filter_zstd(ar) < ARCHIVE_WARN ||
	    archive_read_support_filter_bzip2(ar) < ARCHIVE_WARN ||
	    archive_read_support_format_tar(ar) != ARCHIVE_OK ||
	    archive_read_support_format_zip_streamable(ar) != ARCHIVE_OK) {
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

/* Hash the rest of the source after the archive's end (padding, junk). */
static int
drain(struct unpack *u)
{
	const void *buf;
	long long tail = 0;

	while (!u->in.eof && u->in.err == 0) {
		ssize_t n = u->in.src->read(u->in.src->ctx, &buf);
		if (n < 0) {
			u->in.err = (int)n;
			u->in.err_errno = errno;
			break;
		}
		if (n == 0)
			break;
		if (sha256_update(&u->in.md, buf, (size_t)n) != CUT_OK) {
			u->in.md_err = 1;
			break;
		}
		u->in.bytes += n;
		tail += n;
		if (tail > u->lim->max_bytes)
			return reject(u, NULL, "more than %lld bytes of junk after "
			    "the archive", u->lim->max_bytes);
	}
	if (u->in.err != 0 || u->in.md_err)
		return read_failed(u, NULL, NULL);
	return 0;
}

/* Read every header and extract it; cwd is already the staging directory. */
static int
extract_all(struct unpack *u, struct archive *ar, struct archive *aw)
{
	struct archive_entry *ent;
	char m[512];
	int r;

	if (archive_read_open(ar, &u->in, NULL, in_read, NULL) != ARCHIVE_OK)
		return read_failed(u, ar, NULL);
	for (;;) {
		r = archive_read_next_header(ar, &ent);
		if (r == ARCHIVE_EOF)
			break;
		/* ARCHIVE_RETRY (a damaged header) is no better than FATAL. */
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return read_failed(u, ar, NULL);
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

/* Extract with our checks and the running digest; see unpack.h. */
int
unpack_archive(const struct byte_source *src, int destfd,
    const struct unpack_limits *lim, const struct sink *sink,
    struct unpack_stats *st, char *why, size_t whylen)
{
	struct unpack u;
	struct archive *ar = NULL, *aw = NULL;
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

	if ((r = sha256_init(&u.in.md)) != CUT_OK) {
		set_why(why, whylen, "cannot start SHA-256");
		return r;
	}
	if ((ar = reader_new()) == NULL || (aw = writer_new()) == NULL) {
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
	r = extract_all(&u, ar, aw);
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
	e = errno;
	if (oldcwd != -1)
		close(oldcwd);
	if (aw != NULL)
		archive_write_free(aw);
	if (ar != NULL)
		archive_read_free(ar);
	sha256_free(&u.in.md);
	linkset_free(&u.links);
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
