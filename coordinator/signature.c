/*
 * ARCHIVE.sig beside the archive; see signature.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "signature.h"

static int
sig_path(const char *archive, char *path, size_t len)
{
	return (size_t)snprintf(path, len, "%s.sig", archive) < len ? 0 : -1;
}

int
signature_present(const char *archive)
{
	char path[4096];

	return sig_path(archive, path, sizeof(path)) == 0 && access(path, F_OK) == 0;
}

int
signature_read(const char *archive, char **out)
{
	char path[4096];
	struct stat st = { 0 };
	ssize_t n;
	int fd;

	*out = NULL;
	if (sig_path(archive, path, sizeof(path)) != 0)
		return log_error("deploy: \"%s\": path too long", archive), CUT_EXIT_BAD_INPUT;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		return log_error("deploy: cannot open \"%s\": %s", path, strerror(errno)), CUT_EXIT_BAD_INPUT;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > SIGNATURE_MAX) {
		close(fd);
		return log_error("deploy: \"%s\" is %s", path, !S_ISREG(st.st_mode) ?
		    "not a regular file" : "larger than a signature can be (64 KiB)"), CUT_EXIT_BAD_INPUT;
	}
	if ((*out = malloc(SIGNATURE_MAX + 2)) == NULL) {
		close(fd);
		return log_error("deploy: out of memory"), CUT_EXIT_BAD_INPUT;
	}
	/* Bounded even when the file grows after the fstat. */
	n = read_full(fd, *out, SIGNATURE_MAX + 1);
	close(fd);
	if (n < 0 || n > SIGNATURE_MAX || memchr(*out, '\0', (size_t)n) != NULL) {
		log_error("deploy: \"%s\": %s", path, n < 0 ? strerror(errno) : n > SIGNATURE_MAX ?
		    "larger than a signature can be (64 KiB)" : "a NUL byte: not a signature");
		free(*out);
		*out = NULL;
		return CUT_EXIT_BAD_INPUT;
	}
	(*out)[n] = '\0';
	return 0;
}
