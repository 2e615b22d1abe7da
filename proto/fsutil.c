#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"

int
write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return CUT_ERR_SYSTEM;
		}
		p += n;
		len -= (size_t)n;
	}
	return CUT_OK;
}

ssize_t
read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

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

long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
format_time(long long ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
