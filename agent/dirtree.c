#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dirtree.h"
#include "err.h"

int
fsync_dir(int dirfd)
{
	/* EINVAL: the file system cannot sync directories; nothing to do. */
	if (fsync(dirfd) == -1 && errno != EINVAL)
		return CUT_ERR_SYSTEM;
	return CUT_OK;
}

int
mkdir_p_at(int dirfd, const char *path, mode_t mode)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return CUT_ERR_SYSTEM;
	}
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char saved = *p;
			struct stat st;

			*p = '\0';
			if (mkdirat(dirfd, buf, mode) == -1) {
				if (errno != EEXIST)
					return CUT_ERR_SYSTEM;
				/* Existing component must be a real directory, not a link. */
				if (fstatat(dirfd, buf, &st, AT_SYMLINK_NOFOLLOW) == -1)
					return CUT_ERR_SYSTEM;
				if (!S_ISDIR(st.st_mode)) {
					errno = ENOTDIR;
					return CUT_ERR_SYSTEM;
				}
			}
			*p = saved;
			if (saved == '\0')
				break;
		}
	}
	return CUT_OK;
}

int
rm_rf_at(int dirfd, const char *name)
{
	struct stat st;
	int fd, r = CUT_OK;
	DIR *d;
	struct dirent *de;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? CUT_OK : CUT_ERR_SYSTEM;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) == -1 && errno != ENOENT ?
		    CUT_ERR_SYSTEM : CUT_OK;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return CUT_ERR_SYSTEM;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return CUT_ERR_SYSTEM;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((r = rm_rf_at(fd, de->d_name)) != CUT_OK)
			break;
	}
	if (r != CUT_OK) {
		int saved = errno;	/* the caller names the failed call's reason */

		closedir(d);
		errno = saved;
		return r;
	}
	closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		return CUT_ERR_SYSTEM;
	return CUT_OK;
}

int
open_parent_at(int dirfd, const char *path, mode_t mode, const char **leaf)
{
	char comp[256];
	const char *p = path, *slash;
	int fd = dup(dirfd);

	if (fd == -1)
		return -1;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	while ((slash = strchr(p, '/')) != NULL) {
		size_t len = (size_t)(slash - p);

		if (len == 0 || len >= sizeof(comp)) {
			close(fd);
			errno = len == 0 ? EINVAL : ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, p, len);
		comp[len] = '\0';
		/* One component at a time from an fd we hold: a symlink is ELOOP/ENOTDIR. */
		if (mkdirat(fd, comp, mode) == -1 && errno != EEXIST) {
			close(fd);
			return -1;
		}
		int next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int saved = errno;

		close(fd);
		if (next == -1) {
			errno = saved == ELOOP ? ENOTDIR : saved;
			return -1;
		}
		fd = next;
		p = slash + 1;
	}
	*leaf = p;
	return fd;
}
