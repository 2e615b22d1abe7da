/*
 * Whole reads and writes, and clocks: helpers both programs use. write_full
 * returns 0 or CUT_ERR_SYSTEM (errno preserved). The agent's directory-tree
 * helpers (*at() calls below a dirfd) are in agent/dirtree.h.
 */
#ifndef CUT_FSUTIL_H
#define CUT_FSUTIL_H

#include <sys/types.h>

/* write(2)/read(2) until done; EINTR retried. read_full stops at EOF. */
int write_full(int fd, const void *buf, size_t len);
ssize_t read_full(int fd, void *buf, size_t len);

/* Wall-clock and monotonic milliseconds. */
long long now_ms(void);
long long mono_ms(void);

/* ISO 8601 UTC ("2026-11-26T08:07:13Z") of a wall-clock ms value. */
void format_time(long long ms, char out[32]);

#endif
