/*
 * Small file-system helpers shared by both programs. All return 0 or a
 * negative CUT_ERR_* (CUT_ERR_SYSTEM with errno preserved).
 */
#ifndef CUT_FSUTIL_H
#define CUT_FSUTIL_H

#include <sys/types.h>

/* write(2)/read(2) until done; EINTR retried. read_full stops at EOF. */
int write_full(int fd, const void *buf, size_t len);
ssize_t read_full(int fd, void *buf, size_t len);

/* fsync(2) the directory itself, so a rename or unlink inside it is durable. */
int fsync_dir(int dirfd);

/* mkdir -p of path below dirfd; never follows symlinks it did not create. */
int mkdir_p_at(int dirfd, const char *path, mode_t mode);

/*
 * rm -rf of name below dirfd. Never follows a symlink (it is unlinked, not
 * entered), so deleting a tree can never reach outside it.
 */
int rm_rf_at(int dirfd, const char *name);

/* Wall-clock and monotonic milliseconds. */
long long now_ms(void);
long long mono_ms(void);

/* ISO 8601 UTC ("2026-11-26T08:07:13Z") of a wall-clock ms value. */
void format_time(long long ms, char out[32]);

#endif
