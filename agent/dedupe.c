/*
 * Hard-link dedupe against the release current at install time; see
 * dedupe.h for the contract and cutover-agent.ini(5), `dedupe`, for what
 * it means for an app that writes into its release directory.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

#include "dedupe.h"
#include "err.h"
#include "log.h"

#define DEDUPE_BLOCK	(64 * 1024)	/* bytes of the base file read at a time */

/* An inode dedupe_link() made a link to: never to be opened for writing. */
struct dedupe_inode {
	dev_t dev;
	ino_t ino;
};

struct dedupe {
	int basefd;		/* the base tree, read-only */
	dev_t dev;		/* the staging tree's file system */
	char *const *shared;	/* paths never linked, or NULL */
	mode_t umask;		/* what write_disk takes from a member's mode */
	int have_proc;		/* /proc/self/fd works: link by fd */
	int try_openat2;	/* 0 once the kernel said ENOSYS */
	unsigned char *buf;	/* DEDUPE_BLOCK bytes of the base file */
	struct dedupe_inode *linked;
	size_t nlinked, caplinked;
};

int
dedupe_new(struct dedupe **ddp, int basefd, int stagefd, char *const *shared)
{
	struct dedupe *dd;
	struct stat st;

	*ddp = NULL;
	if (fstat(stagefd, &st) == -1)
		return CUT_ERR_SYSTEM;
	if ((dd = calloc(1, sizeof(*dd))) == NULL ||
	    (dd->buf = malloc(DEDUPE_BLOCK)) == NULL) {
		free(dd);
		errno = ENOMEM;
		return CUT_ERR_ALLOC;
	}
	if ((dd->basefd = fcntl(basefd, F_DUPFD_CLOEXEC, 0)) == -1) {
		free(dd->buf);
		free(dd);
		return CUT_ERR_SYSTEM;
	}
	dd->dev = st.st_dev;
	dd->shared = shared;
	dd->umask = umask(0);
	umask(dd->umask);
	dd->have_proc = access("/proc/self/fd", X_OK) == 0;
	dd->try_openat2 = 1;
	*ddp = dd;
	return CUT_OK;
}

void
dedupe_free(struct dedupe *dd)
{
	if (dd == NULL)
		return;
	close(dd->basefd);
	free(dd->buf);
	free(dd->linked);
	free(dd);
}

/* name without leading "./" (tar's "./a/b"), as shared paths are written. */
static const char *
plain_name(const char *name)
{
	while (name[0] == '.' && name[1] == '/') {
		name += 2;
		while (*name == '/')
			name++;
	}
	return name;
}

/* name is a shared path or below one: it may move into ROOT/shared/. */
static int
under_shared(const struct dedupe *dd, const char *name)
{
	for (char *const *p = dd->shared; p != NULL && *p != NULL; p++) {
		size_t n = strlen(*p);

		if (strncmp(name, *p, n) == 0 && (name[n] == '\0' || name[n] == '/'))
			return 1;
	}
	return 0;
}

/*
 * Without openat2: one component at a time from basefd, O_NOFOLLOW each,
 * so a symlink anywhere on the path is ELOOP/ENOTDIR, never followed.
 */
static int
open_walk(int basefd, const char *name)
{
	char comp[256];
	const char *p = name, *slash;
	int fd = basefd, next;

	while ((slash = strchr(p, '/')) != NULL || *p != '\0') {
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (len >= sizeof(comp)) {
			errno = ENAMETOOLONG;
			next = -1;
		} else if (len == 0 || (len == 1 && p[0] == '.')) {
			p += len + (slash != NULL);
			continue;
		} else {
			memcpy(comp, p, len);
			comp[len] = '\0';
			next = openat(fd, comp, (slash ? O_DIRECTORY | O_PATH : O_RDONLY | O_NONBLOCK) |
			    O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
		}
		if (fd != basefd)
			close(fd);
		if (next == -1 || slash == NULL)
			return next;
		fd = next;
		p = slash + 1;
	}
	if (fd != basefd)
		close(fd);
	errno = EISDIR;
	return -1;
}

/* The base's file at name, read-only, never through a symlink or mount. */
static int
open_beneath(struct dedupe *dd, const char *name)
{
#ifdef SYS_openat2
	if (dd->try_openat2) {
		struct open_how how;
		long fd;

		memset(&how, 0, sizeof(how));
		how.flags = O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV |
		    RESOLVE_NO_MAGICLINKS;
		fd = syscall(SYS_openat2, dd->basefd, name, &how, sizeof(how));
		if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
			return (int)fd;
		/* ENOSYS: an older kernel; EPERM: a seccomp filter that denies it. */
		dd->try_openat2 = 0;
	}
#endif
	return open_walk(dd->basefd, name);
}

int
dedupe_open(struct dedupe *dd, const char *name, long long size, mode_t perm,
    struct dedupe_file *f)
{
	struct stat st;
	int fd;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	name = plain_name(name);
	if (*name == '\0' || under_shared(dd, name))
		return 0;
	if ((fd = open_beneath(dd, name)) == -1)
		return 0;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_dev != dd->dev ||
	    st.st_size != size ||
	    (st.st_mode & 07777) != (perm & 0777 & ~dd->umask)) {
		close(fd);
		return 0;
	}
	f->fd = fd;
	f->size = size;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->ctime = st.st_ctim;
	return 1;
}

/* The base's bytes [f->same, end) are all zero (a hole of the member). */
static int
same_zeros(struct dedupe *dd, struct dedupe_file *f, long long end)
{
	while (f->same < end) {
		size_t want = end - f->same > DEDUPE_BLOCK ? DEDUPE_BLOCK : (size_t)(end - f->same);
		ssize_t n = pread(f->fd, dd->buf, want, f->same);

		if (n <= 0)
			return 0;
		for (ssize_t i = 0; i < n; i++)
			if (dd->buf[i] != 0)
				return 0;
		f->same += n;
	}
	return 1;
}

int
dedupe_same(struct dedupe *dd, struct dedupe_file *f, const void *buf, size_t len,
    long long off)
{
	const unsigned char *p = buf;

	/* Blocks come in order; anything else is not worth comparing. */
	if (f->fd == -1 || off < f->same || off > f->size || (long long)len > f->size - off)
		return 0;
	if (!same_zeros(dd, f, off))
		return 0;
	while (len > 0) {
		size_t want = len > DEDUPE_BLOCK ? DEDUPE_BLOCK : len;
		ssize_t n = pread(f->fd, dd->buf, want, f->same);

		if (n <= 0 || memcmp(dd->buf, p, (size_t)n) != 0)
			return 0;
		f->same += n;
		p += n;
		len -= (size_t)n;
	}
	return 1;
}

int
dedupe_same_end(struct dedupe *dd, struct dedupe_file *f)
{
	return f->fd != -1 && same_zeros(dd, f, f->size);
}

int
dedupe_unchanged(const struct dedupe_file *f)
{
	struct stat st;

	return f->fd != -1 && fstat(f->fd, &st) == 0 && st.st_size == f->size &&
	    st.st_ctim.tv_sec == f->ctime.tv_sec && st.st_ctim.tv_nsec == f->ctime.tv_nsec;
}

/* Remember (dev, ino) for dedupe_is_linked. */
static int
note_linked(struct dedupe *dd, const struct dedupe_file *f)
{
	if (dd->nlinked == dd->caplinked) {
		size_t cap = dd->caplinked ? dd->caplinked * 2 : 256;
		struct dedupe_inode *v = realloc(dd->linked, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		dd->linked = v;
		dd->caplinked = cap;
	}
	dd->linked[dd->nlinked].dev = f->dev;
	dd->linked[dd->nlinked].ino = f->ino;
	dd->nlinked++;
	return 0;
}

int
dedupe_link(struct dedupe *dd, struct dedupe_file *f, const char *name)
{
	struct stat st;

	if (f->fd == -1) {
		errno = EBADF;
		return -1;
	}
	if (dd->have_proc) {
		char path[64];

		/* The inode we compared, whatever its name points at by now. */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", f->fd);
		if (linkat(AT_FDCWD, path, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == -1)
			return -1;
	} else {
		if (linkat(dd->basefd, plain_name(name), AT_FDCWD, name, 0) == -1)
			return -1;
		if (fstatat(AT_FDCWD, name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    st.st_dev != f->dev || st.st_ino != f->ino) {
			/* The name was swapped since we compared: undo, write instead. */
			(void)unlinkat(AT_FDCWD, name, 0);
			errno = ESTALE;
			return -1;
		}
	}
	if (note_linked(dd, f) == -1) {
		(void)unlinkat(AT_FDCWD, name, 0);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

ssize_t
dedupe_prefix(struct dedupe *dd, struct dedupe_file *f, long long off, size_t len,
    const void **buf)
{
	ssize_t n;

	*buf = dd->buf;
	if (len > DEDUPE_BLOCK)
		len = DEDUPE_BLOCK;
	n = pread(f->fd, dd->buf, len, off);
	return n;
}

void
dedupe_close(struct dedupe_file *f)
{
	if (f->fd != -1)
		close(f->fd);
	f->fd = -1;
}

int
dedupe_is_linked(const struct dedupe *dd, dev_t dev, ino_t ino)
{
	for (size_t i = 0; dd != NULL && i < dd->nlinked; i++)
		if (dd->linked[i].dev == dev && dd->linked[i].ino == ino)
			return 1;
	return 0;
}
