/*
 * Hard-link dedupe (agent.ini `dedupe = yes`, cutover-agent.ini(5)): a
 * regular file of the release being unpacked that is identical, content
 * and mode, to the same path in a base tree (the release current at
 * install time) becomes a hard link to the base's file instead of a copy.
 * mtime and owner do not count.
 *
 *	struct dedupe *dd;
 *	r = dedupe_new(&dd, basefd, stagefd, shared);	// basefd: releases/CURRENT
 *	...unpack.c, per regular member of size N and permissions P:
 *	struct dedupe_file f;
 *	if (dedupe_open(dd, name, N, P, &f)) {		// a same-size candidate
 *		while (data) {
 *			if (!dedupe_same(dd, &f, buf, len, off)) -> write it out
 *		}
 *		dedupe_link(dd, &f, name) == 0 -> linked, nothing written
 *	}
 *	dedupe_close(&f);
 *	dedupe_free(dd);
 *
 * Nothing is buffered but one block: the member's bytes are compared with
 * the base file as they stream; on the first difference the caller writes
 * the member after all, taking the prefix already compared from the base
 * file (dedupe_prefix). The base file is opened beneath basefd without
 * following any symlink (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|
 * RESOLVE_NO_XDEV, or O_NOFOLLOW on every component where openat2 is
 * missing), must be a regular file on the staging tree's file system, and
 * is only ever opened for reading. Files below a shared path are never
 * linked (they may move into ROOT/shared/, which the app writes in place).
 *
 * dedupe_link() links the very inode it compared (through /proc/self/fd;
 * without /proc by name, then checks the new link is that inode), so a
 * base file replaced meanwhile is never linked by mistake.
 */
#ifndef CUT_DEDUPE_H
#define CUT_DEDUPE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

struct dedupe;

struct dedupe_file {
	int fd;			/* the base file, read-only, or -1 */
	long long size;		/* its size, equal to the member's */
	long long same;		/* bytes [0, same) checked equal so far */
	dev_t dev;
	ino_t ino;
	struct timespec ctime;	/* at open: a change since means someone wrote it */
};

/*
 * basefd: the base tree (dup'ed; the caller keeps its own), stagefd: the
 * staging tree (for its file system), shared: NULL-terminated paths never
 * linked (may be NULL). 0, or CUT_ERR_SYSTEM/CUT_ERR_ALLOC with errno.
 */
int dedupe_new(struct dedupe **ddp, int basefd, int stagefd, char *const *shared);
void dedupe_free(struct dedupe *dd);

/*
 * 1 when name is a candidate (f filled: the base has a regular file there
 * of that size whose permission bits, after the umask, are perm's), else 0
 * (f->fd -1). Never an error: whatever cannot be opened is not linked.
 */
int dedupe_open(struct dedupe *dd, const char *name, long long size, mode_t perm,
    struct dedupe_file *f);
/*
 * Compare the member's bytes [off, off + len) (any gap since the last call
 * is a hole: zeros) with the base file. 1 while equal, 0 at the first
 * difference (or a read error; f->same then says how much matched).
 */
int dedupe_same(struct dedupe *dd, struct dedupe_file *f, const void *buf, size_t len,
    long long off);
/* The member's end: the rest up to f->size are zeros. 1 when equal. */
int dedupe_same_end(struct dedupe *dd, struct dedupe_file *f);
/*
 * 1 when the base file is as it was at dedupe_open (size, ctime): what was
 * compared or copied from it is what the archive holds. 0 means someone
 * wrote into the current release meanwhile.
 */
int dedupe_unchanged(const struct dedupe_file *f);
/*
 * Link the base file at name (relative to the working directory, the
 * staging tree). 0 when linked; -1 when not (errno; the caller writes
 * the member instead).
 */
int dedupe_link(struct dedupe *dd, struct dedupe_file *f, const char *name);
/*
 * Read the base file's bytes [off, off + len) into the dedupe's block
 * buffer, for the caller to write the compared prefix: *buf points at
 * them. Returns the bytes read (0 at its end) or -1 with errno.
 */
ssize_t dedupe_prefix(struct dedupe *dd, struct dedupe_file *f, long long off, size_t len,
    const void **buf);
void dedupe_close(struct dedupe_file *f);

/* Whether the inode at (dev, ino) is one dedupe_link() linked (never write it). */
int dedupe_is_linked(const struct dedupe *dd, dev_t dev, ino_t ino);

#endif
