/*
 * A pull-style byte source: where an archive's bytes come from. The CLI
 * reads a file or stdin; `serve` reads DATA frames off the wire. Unpacking
 * pulls through this interface, so it never needs the whole archive at once.
 */
#ifndef CUT_SOURCE_H
#define CUT_SOURCE_H

#include <sys/types.h>

struct byte_source {
	/*
	 * Point *buf at the next bytes and return how many (> 0), 0 at the
	 * clean end of the stream, or a negative CUT_ERR_* (a stream cut
	 * off halfway is an error, never a clean end).
	 */
	ssize_t (*read)(void *ctx, const void **buf);
	void *ctx;
};

/* A source over a file descriptor with its own 256 KiB buffer. */
struct fd_source {
	int fd;
	char buf[256 * 1024];
};

void fd_source_init(struct fd_source *fs, int fd, struct byte_source *out);

#endif
