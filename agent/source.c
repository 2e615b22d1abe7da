#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "err.h"
#include "interrupt.h"
#include "source.h"

static ssize_t
fd_read(void *ctx, const void **buf)
{
	struct fd_source *fs = ctx;
	ssize_t n;

	do {
		if (interrupted())
			return CUT_ERR_FAILED;
		n = read(fs->fd, fs->buf, sizeof(fs->buf));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return CUT_ERR_SYSTEM;
	*buf = fs->buf;
	return n;
}

void
fd_source_init(struct fd_source *fs, int fd, struct byte_source *out)
{
	fs->fd = fd;
	out->read = fd_read;
	out->ctx = fs;
}
