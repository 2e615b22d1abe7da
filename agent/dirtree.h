/*
 * Directory trees below a dirfd, for the agent's work under ROOT: every
 * call is an *at() call that never follows a symlink it did not create, so
 * nothing planted inside ROOT can redirect a write or a delete outside it.
 * All return 0 or a negative CUT_ERR_* (CUT_ERR_SYSTEM with errno preserved).
 */
#ifndef CUT_DIRTREE_H
#define CUT_DIRTREE_H

#include <sys/types.h>

/* fsync(2) the directory itself, so a rename or unlink inside it is durable. */
int fsync_dir(int dirfd);

/* mkdir -p of path below dirfd; never follows symlinks it did not create. */
int mkdir_p_at(int dirfd, const char *path, mode_t mode);

/*
 * The directory that holds path's last component, opened below dirfd one
 * component at a time with O_NOFOLLOW (missing ones created with mode), so
 * a directory swapped for a symlink by someone who can write below dirfd
 * fails the walk (ENOTDIR) instead of redirecting it. Returns an fd (close
 * it) and sets *leaf to the last component of path, or -1 with errno.
 */
int open_parent_at(int dirfd, const char *path, mode_t mode, const char **leaf);

/*
 * rm -rf of name below dirfd. Never follows a symlink (it is unlinked, not
 * entered), so deleting a tree can never reach outside it.
 */
int rm_rf_at(int dirfd, const char *name);

#endif
