/*
 * The archive's compression is swapped for zstd with libarchive's "raw"
 * format on both sides: the tar stream passes through unparsed (the agents
 * check every member; the coordinator only checks that it is a tar), so
 * the hosts unpack exactly the bytes the user's archive holds.
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "err.h"
#include "fsutil.h"
#include "hexdigest.h"
#include "recompress.h"
#include "sha256.h"

#define RC_CHUNK	(256 * 1024)	/* tar bytes moved per step */
#define RC_EXPAND_MAX	1000		/* tar bytes per archive byte: more is a bomb */
#define RC_IN_CHUNK	(1 << 20)	/* archive bytes handed to libarchive at once */

/* Where the input comes from: the mapped archive, hashed as it is read. */
struct rc_in {
	struct recompress *rc;
	struct sha256 md;
	size_t off;
	int md_err;
};

/* Where the output goes: an unlinked file, written once, then mapped. */
struct rc_out {
	struct recompress *rc;
	struct sha256 md;
	size_t len;
	size_t max;	/* not worth sending beyond this */
};

static const unsigned char magic_gzip[] = { 0x1f, 0x8b };
static const unsigned char magic_bzip2[] = { 'B', 'Z', 'h' };
static const unsigned char magic_xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };

/* POSIX and GNU tar headers both carry "ustar" at offset 257. */
static int
is_tar(const unsigned char *p, size_t len)
{
	return len >= 512 && memcmp(p + 257, "ustar", 5) == 0;
}

/* zstd and zip are left alone: nothing to gain, or not a tar stream. */
int
recompress_worth(const unsigned char *p, size_t len)
{
	return (len >= sizeof(magic_gzip) && memcmp(p, magic_gzip, sizeof(magic_gzip)) == 0) ||
	    (len >= sizeof(magic_bzip2) && memcmp(p, magic_bzip2, sizeof(magic_bzip2)) == 0) ||
	    (len >= sizeof(magic_xz) && memcmp(p, magic_xz, sizeof(magic_xz)) == 0) ||
	    is_tar(p, len);
}

/* $TMPDIR, else /tmp: an O_TMPFILE when the file system has them. */
static int
temp_file(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	if ((size_t)snprintf(path, sizeof(path), "%s/cutover-zst.XXXXXX", dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) >= 0)
		unlink(path);
	return fd;
}

static la_ssize_t
out_write(struct archive *a, void *ctx, const void *buf, size_t n)
{
	struct rc_out *o = ctx;

	if (o->rc->cancel) {
		archive_set_error(a, ECANCELED, "cancelled");
		return -1;
	}
	if (n > o->max - o->len) {
		archive_set_error(a, EFBIG, "zstd copy would be more than twice the archive");
		return -1;
	}
	if (write_full(o->rc->fd, buf, n) != CUT_OK) {
		archive_set_error(a, errno, "temporary file: %s", strerror(errno));
		return -1;
	}
	if (sha256_update(&o->md, buf, n) != CUT_OK) {
		archive_set_error(a, EINVAL, "SHA-256 failed");
		return -1;
	}
	o->len += n;
	return (la_ssize_t)n;
}

/* Finish a SHA-256 into lower-case hex. */
static int
digest_final_hex(struct sha256 *md, char out[65])
{
	unsigned char d[SHA256_LEN];

	if (sha256_final(md, d) != CUT_OK)
		return CUT_ERR_INTERNAL;
	sha256_hex(d, out);
	return CUT_OK;
}

/* libarchive read callback: the mapped archive in chunks, hashed on the way. */
static la_ssize_t
in_read(struct archive *a, void *ctx, const void **buf)
{
	struct rc_in *in = ctx;
	size_t n = in->rc->inlen - in->off;

	(void)a;
	if (n > RC_IN_CHUNK)
		n = RC_IN_CHUNK;
	*buf = in->rc->in + in->off;
	if (n > 0 && sha256_update(&in->md, *buf, n) != CUT_OK)
		in->md_err = 1;
	in->off += n;
	return (la_ssize_t)n;
}

/*
 * The bytes recompressed are the bytes whose digest names the release: a
 * file rewritten in place while we read it would otherwise ship content
 * the journal calls by another digest.
 */
static int
check_input(struct recompress *rc, struct rc_in *in)
{
	char hex[65];

	if (in->off < rc->inlen &&
	    sha256_update(&in->md, rc->in + in->off, rc->inlen - in->off) != CUT_OK)
		in->md_err = 1;
	in->off = rc->inlen;
	if (in->md_err || digest_final_hex(&in->md, hex) != CUT_OK) {
		snprintf(rc->why, sizeof(rc->why), "SHA-256 failed");
		return CUT_ERR_INTERNAL;
	}
	if (strcmp(hex, rc->expect) != 0) {
		snprintf(rc->why, sizeof(rc->why), "the archive changed while it was read "
		    "(sha256 %.12s, was %.12s)", hex, rc->expect);
		return CUT_ERR_BAD_ARCHIVE;
	}
	return CUT_OK;
}

static struct archive *
reader_open(struct recompress *rc, struct rc_in *in)
{
	struct archive *ar = archive_read_new();

	if (ar == NULL)
		return NULL;
	if (archive_read_support_filter_gzip(ar) < ARCHIVE_WARN ||
	    archive_read_support_filter_bzip2(ar) < ARCHIVE_WARN ||
	    archive_read_support_filter_xz(ar) < ARCHIVE_WARN ||
	    archive_read_support_format_raw(ar) != ARCHIVE_OK ||
	    archive_read_open(ar, in, NULL, in_read, NULL) != ARCHIVE_OK) {
		snprintf(rc->why, sizeof(rc->why), "cannot read the archive: %s",
		    archive_error_string(ar) ? archive_error_string(ar) : "libarchive setup");
		archive_read_free(ar);
		return NULL;
	}
	return ar;
}

static struct archive *
writer_open(struct recompress *rc, struct rc_out *o)
{
	struct archive *aw = archive_write_new();
	char level[16];

	if (aw == NULL)
		return NULL;
	snprintf(level, sizeof(level), "%d", rc->level);
	/* No padding to tar's 10 KiB blocks: the agent hashes every byte. */
	if (archive_write_add_filter_zstd(aw) != ARCHIVE_OK ||
	    archive_write_set_format_raw(aw) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(aw, 1) != ARCHIVE_OK ||
	    archive_write_set_filter_option(aw, "zstd", "compression-level", level) != ARCHIVE_OK) {
		snprintf(rc->why, sizeof(rc->why), "cannot set up zstd: %s",
		    archive_error_string(aw) ? archive_error_string(aw) : "libarchive setup");
		archive_write_free(aw);
		return NULL;
	}
	if (archive_write_open(aw, o, NULL, out_write, NULL) != ARCHIVE_OK) {
		snprintf(rc->why, sizeof(rc->why), "cannot start zstd: %s",
		    archive_error_string(aw) ? archive_error_string(aw) : "?");
		archive_write_free(aw);
		return NULL;
	}
	return aw;
}

/* Copy the decompressed tar stream into the zstd writer; CUT_OK or why. */
static int
pump(struct recompress *rc, struct archive *ar, struct archive *aw)
{
	struct archive_entry *ent, *out = NULL;
	unsigned char *buf;
	unsigned long long limit = (unsigned long long)rc->inlen * RC_EXPAND_MAX;
	la_ssize_t n;
	int first = 1, r = CUT_OK;

	if (archive_read_next_header(ar, &ent) != ARCHIVE_OK) {
		snprintf(rc->why, sizeof(rc->why), "cannot read the archive: %s",
		    archive_error_string(ar) ? archive_error_string(ar) : "?");
		return CUT_ERR_BAD_ARCHIVE;
	}
	if ((out = archive_entry_new()) == NULL)
		return CUT_ERR_ALLOC;
	archive_entry_set_pathname(out, "release.tar");
	archive_entry_set_filetype(out, AE_IFREG);
	archive_entry_set_perm(out, 0644);
	if (archive_write_header(aw, out) != ARCHIVE_OK) {
		snprintf(rc->why, sizeof(rc->why), "zstd: %s", archive_error_string(aw));
		archive_entry_free(out);
		return CUT_ERR_INTERNAL;
	}
	archive_entry_free(out);
	if ((buf = malloc(RC_CHUNK)) == NULL)
		return CUT_ERR_ALLOC;
	while ((n = archive_read_data(ar, buf, RC_CHUNK)) > 0) {
		if (first && !is_tar(buf, (size_t)n)) {
			snprintf(rc->why, sizeof(rc->why), "not a tar archive");
			r = CUT_ERR_BAD_ARCHIVE;
			break;
		}
		first = 0;
		rc->tar_bytes += n;
		if ((unsigned long long)rc->tar_bytes > limit) {
			snprintf(rc->why, sizeof(rc->why), "expands more than %dx", RC_EXPAND_MAX);
			r = CUT_ERR_BAD_ARCHIVE;
			break;
		}
		if (archive_write_data(aw, buf, (size_t)n) != n) {
			snprintf(rc->why, sizeof(rc->why), "zstd: %s",
			    archive_error_string(aw) ? archive_error_string(aw) : "write failed");
			r = CUT_ERR_FAILED;
			break;
		}
	}
	free(buf);
	if (r != CUT_OK)
		return r;
	if (n < 0) {
		snprintf(rc->why, sizeof(rc->why), "cannot decompress the archive: %s",
		    archive_error_string(ar) ? archive_error_string(ar) : "?");
		r = CUT_ERR_BAD_ARCHIVE;
	} else if (first) {
		snprintf(rc->why, sizeof(rc->why), "empty archive");
		r = CUT_ERR_BAD_ARCHIVE;
	}
	return r;
}

/* The thread: archive -> tar stream -> zstd -> temp file, hashed on the way. */
static void *
recompress_main(void *arg)
{
	struct recompress *rc = arg;
	struct rc_out o = { rc, { NULL }, 0, 0 };
	struct rc_in in = { rc, { NULL }, 0, 0 };
	struct archive *ar = NULL, *aw = NULL;
	long long t0 = mono_ms();
	int r = CUT_ERR_ALLOC;

	/*
	 * xz can be a third smaller than fast zstd, and the hosts still win;
	 * beyond twice the archive the link would pay more than they save.
	 */
	o.max = 2 * rc->inlen + (1 << 20);
	if ((r = sha256_init(&o.md)) != CUT_OK || (r = sha256_init(&in.md)) != CUT_OK)
		goto out;
	r = CUT_ERR_FAILED;
	if ((ar = reader_open(rc, &in)) == NULL || (aw = writer_open(rc, &o)) == NULL)
		goto out;
	if ((r = pump(rc, ar, aw)) != CUT_OK || (r = check_input(rc, &in)) != CUT_OK)
		goto out;
	if (archive_write_close(aw) != ARCHIVE_OK) {
		snprintf(rc->why, sizeof(rc->why), "zstd: %s",
		    archive_error_string(aw) ? archive_error_string(aw) : "close failed");
		r = CUT_ERR_FAILED;
		goto out;
	}
	if (o.len == 0 || digest_final_hex(&o.md, rc->sha256) != CUT_OK) {
		r = CUT_ERR_INTERNAL;
		goto out;
	}
	rc->outlen = o.len;
	r = CUT_OK;
 out:
	if (aw != NULL)
		archive_write_free(aw);
	if (ar != NULL)
		archive_read_free(ar);
	sha256_free(&o.md);
	sha256_free(&in.md);
	if (r != CUT_OK && rc->why[0] == '\0')
		snprintf(rc->why, sizeof(rc->why), "%s", cut_err(r));
	rc->ms = mono_ms() - t0;
	rc->r = r;
	return NULL;
}

void
recompress_init(struct recompress *rc)
{
	memset(rc, 0, sizeof(*rc));
	rc->fd = -1;
	rc->r = CUT_ERR_FAILED;
	snprintf(rc->why, sizeof(rc->why), "not started");
}

int
recompress_start(struct recompress *rc, const unsigned char *in, size_t len, int level,
    const char *sha256)
{
	sigset_t all, old;
	int err;

	recompress_init(rc);
	rc->tried = 1;
	rc->why[0] = '\0';
	rc->in = in;
	rc->inlen = len;
	snprintf(rc->expect, sizeof(rc->expect), "%s", sha256);
	rc->level = level;
	if ((rc->fd = temp_file()) == -1) {
		snprintf(rc->why, sizeof(rc->why), "temporary file: %s", strerror(errno));
		return CUT_ERR_SYSTEM;
	}
	/* Signals stay with the main thread, whose poll() they must interrupt. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&rc->thr, NULL, recompress_main, rc);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		snprintf(rc->why, sizeof(rc->why), "thread: %s", strerror(err));
		close(rc->fd);
		rc->fd = -1;
		return CUT_ERR_SYSTEM;
	}
	rc->started = 1;
	return CUT_OK;
}

void
recompress_cancel(struct recompress *rc)
{
	rc->cancel = 1;
}

int
recompress_finish(struct recompress *rc)
{
	void *p;

	if (!rc->started)
		return rc->r;
	pthread_join(rc->thr, NULL);
	rc->started = 0;
	if (rc->r != CUT_OK)
		return rc->r;
	p = mmap(NULL, rc->outlen, PROT_READ, MAP_PRIVATE, rc->fd, 0);
	if (p == MAP_FAILED) {
		snprintf(rc->why, sizeof(rc->why), "cannot map the zstd stream: %s", strerror(errno));
		return rc->r = CUT_ERR_SYSTEM;
	}
	rc->out = p;
	return CUT_OK;
}

void
recompress_free(struct recompress *rc)
{
	if (rc->started) {
		rc->cancel = 1;
		(void)recompress_finish(rc);
	}
	if (rc->out != NULL)
		munmap((void *)rc->out, rc->outlen);
	rc->out = NULL;
	if (rc->fd >= 0)
		close(rc->fd);
	rc->fd = -1;
}
