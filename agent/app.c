#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "interrupt.h"
#include "dirtree.h"
#include "err.h"
#include "fault.h"
#include "fsutil.h"
#include "journal.h"
#include "log.h"
#include "release_id.h"
#include "state.h"
#include "strv.h"

#define LOCK_FILE "lock"

/*
 * Open ROOT/name, creating it first when create is set. Without create a
 * missing directory is not an error: fd -1 with errno ENOENT.
 */
static int
open_dir_at(int dirfd, const char *name, int create)
{
	int fd;

	/* .cutover is the agent's alone (lock, journal with hook output): 0700. */
	if (create && mkdirat(dirfd, name, strcmp(name, STATE_DIR) == 0 ? 0700 : 0755) == -1 &&
	    errno != EEXIST)
		return -1;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

/*
 * root acting on an app whose ROOT another user owns would leave root-owned
 * files under it (trash, staging, releases) that the owner can no longer
 * remove, and would run the app's hooks as root. Refuse before anything is
 * created; cutover-agent(8), "User".
 */
static int
check_owner(struct app *app, char *err, size_t errlen)
{
	struct stat st;
	const struct passwd *pw;
	char owner[64];

	if (geteuid() != 0)
		return CUT_OK;
	if (fstat(app->rootfd, &st) == -1) {
		snprintf(err, errlen, "cannot stat root \"%s\": %s", app->conf.root, strerror(errno));
		return CUT_ERR_SYSTEM;
	}
	if (st.st_uid == 0)
		return CUT_OK;
	if ((pw = getpwuid(st.st_uid)) != NULL)
		snprintf(owner, sizeof(owner), "%s", pw->pw_name);
	else
		snprintf(owner, sizeof(owner), "#%lu", (unsigned long)st.st_uid);
	snprintf(err, errlen, "%s belongs to %s; run as that user "
	    "(runuser -u %s -- cutover-agent ...)", app->conf.root, owner, owner);
	return CUT_ERR_CONFIG;
}

/*
 * .cutover, its lock and its journal must be ours and writable by us
 * alone: another local user who could write them could forge the journal
 * (rollback targets) or hold a flock on the lock that blocks an emergency
 * rollback; one who could read them would see hook output. A pre-existing
 * one that is not ours or is group/other-writable is refused; when writing
 * (fix), one that is merely readable by others (made by an older agent) is
 * made owner-only. Read-only commands as root may read another user's.
 * cutover-agent(8), FILES.
 */
static int
check_private(int fd, const char *root, const char *what, int fix, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "cannot stat %s/%s: %s", root, what, strerror(errno));
		return CUT_ERR_SYSTEM;
	}
	if (st.st_uid != geteuid() && (fix || geteuid() != 0)) {
		const struct passwd *pw = getpwuid(st.st_uid);

		snprintf(err, errlen, "%s/%s belongs to %s%s%lu, not to this user: refusing it "
		    "(remove it, or run as its owner)", root, what, pw ? pw->pw_name : "uid",
		    pw ? " #" : " ", (unsigned long)st.st_uid);
		return CUT_ERR_CONFIG;
	}
	if ((st.st_mode & 022) != 0) {
		snprintf(err, errlen, "%s/%s is writable by group or others (mode %04o): refusing "
		    "it (chmod go-w)", root, what, (unsigned)(st.st_mode & 07777));
		return CUT_ERR_CONFIG;
	}
	if (fix && (st.st_mode & 077) != 0 && fchmod(fd, st.st_mode & 0700) == -1) {
		snprintf(err, errlen, "cannot make %s/%s owner-only: %s", root, what, strerror(errno));
		return CUT_ERR_SYSTEM;
	}
	return CUT_OK;
}

/* The same for a file below .cutover, when it exists (O_NONBLOCK: a planted FIFO). */
static int
check_private_file(struct app *app, const char *name, int fix, char *err, size_t errlen)
{
	char what[64];
	int fd, r;

	fd = openat(app->statefd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT)
		return CUT_OK;
	snprintf(what, sizeof(what), "%s/%s", STATE_DIR, name);
	if (fd == -1) {
		snprintf(err, errlen, "cannot open %s/%s: %s", app->conf.root, what,
		    errno == ELOOP ? "it is a symlink" : strerror(errno));
		return CUT_ERR_CONFIG;
	}
	r = check_private(fd, app->conf.root, what, fix, err, errlen);
	close(fd);
	return r;
}

static int
check_state_dir(struct app *app, int fix, char *err, size_t errlen)
{
	int r;

	if (app->statefd == -1)
		return CUT_OK;
	if ((r = check_private(app->statefd, app->conf.root, STATE_DIR, fix, err, errlen)) != CUT_OK ||
	    (r = check_private_file(app, LOCK_FILE, fix, err, errlen)) != CUT_OK)
		return r;
	return check_private_file(app, JOURNAL_FILE, fix, err, errlen);
}

/*
 * Open ROOT and its .cutover and releases/. Writers create what is missing;
 * readers (create 0) leave the disk alone and keep -1 for each directory
 * that does not exist, which every reader treats as empty.
 */
static int
open_dirs(struct app *app, int create, char *err, size_t errlen)
{
	const char *root = app->conf.root;
	int r;

	/* ROOT itself may be created (first deploy), but never through a symlink
	 * we did not expect: open it and work only through the fd after that. */
	if (create && mkdir(root, 0755) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create root \"%s\": %s", root, strerror(errno));
		return CUT_ERR_CONFIG;
	}
	app->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (app->rootfd == -1) {
		if (!create && errno == ENOENT)
			return CUT_OK;
		snprintf(err, errlen, "cannot open root \"%s\": %s", root, strerror(errno));
		return CUT_ERR_CONFIG;
	}
	if (create && (r = check_owner(app, err, errlen)) != CUT_OK)
		return r;
	app->statefd = open_dir_at(app->rootfd, STATE_DIR, create);
	if (app->statefd == -1 && (create || errno != ENOENT)) {
		snprintf(err, errlen, "cannot open %s/%s: %s", root, STATE_DIR, strerror(errno));
		return CUT_ERR_SYSTEM;
	}
	if ((r = check_state_dir(app, create, err, errlen)) != CUT_OK)
		return r;
	app->releasesfd = open_dir_at(app->rootfd, RELEASES_DIR, create);
	if (app->releasesfd == -1 && (create || errno != ENOENT)) {
		snprintf(err, errlen, "cannot open %s/%s: %s", root, RELEASES_DIR, strerror(errno));
		return CUT_ERR_SYSTEM;
	}
	return CUT_OK;
}

/* Resolve APP to its settings, then open its directories (see open_dirs). */
static int
app_open_mode(struct app *app, const char *config_file, const char *name, int create,
    char *err, size_t errlen)
{
	int r;

	memset(app, 0, sizeof(*app));
	app->rootfd = app->statefd = app->releasesfd = app->lockfd = -1;
	if (strchr(name, '/') != NULL) {
		/* A path APP needs no config: defaults, ROOT = the path. */
		if ((r = app_conf_defaults(&app->conf)) != CUT_OK)
			return r;
		app->conf.name = strdup(name);
		app->conf.root = strdup(name);
		if (app->conf.name == NULL || app->conf.root == NULL)
			return CUT_ERR_ALLOC;
	} else {
		r = agent_conf_load(config_file, name, &app->conf, err, errlen);
		if (r != CUT_OK)
			return r;
	}
	r = app_conf_shared_paths(&app->conf, &app->shared, err, errlen);
	if (r != CUT_OK)
		return r;
	return open_dirs(app, create, err, errlen);
}

int
app_open(struct app *app, const char *config_file, const char *name,
    char *err, size_t errlen)
{
	return app_open_mode(app, config_file, name, 1, err, errlen);
}

int
app_open_readonly(struct app *app, const char *config_file, const char *name,
    char *err, size_t errlen)
{
	return app_open_mode(app, config_file, name, 0, err, errlen);
}

void
app_close(struct app *app)
{
	app_unlock(app);
	if (app->releasesfd >= 0)
		close(app->releasesfd);
	if (app->statefd >= 0)
		close(app->statefd);
	if (app->rootfd >= 0)
		close(app->rootfd);
	app->rootfd = app->statefd = app->releasesfd = -1;
	strv_free(app->shared);
	app->shared = NULL;
	app_conf_free(&app->conf);
}

static void
read_holder(int fd, char *holder, size_t holderlen)
{
	ssize_t n;

	if (holder == NULL || holderlen == 0)
		return;
	n = pread(fd, holder, holderlen - 1, 0);
	if (n <= 0) {
		snprintf(holder, holderlen, "unknown holder");
		return;
	}
	holder[n] = '\0';
	holder[strcspn(holder, "\n")] = '\0';
}

/* Record who holds the lock, for the error the next contender prints. */
static void
write_holder(int fd)
{
	char buf[1024], cmd[512] = "", tbuf[32];
	struct passwd *pw = getpwuid(geteuid());
	FILE *f = fopen("/proc/self/cmdline", "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(cmd, 1, sizeof(cmd) - 1, f);
		fclose(f);
		for (size_t i = 0; i < n; i++)
			if (cmd[i] == '\0')
				cmd[i] = ' ';
		cmd[n] = '\0';
		if (n > 0 && cmd[n - 1] == ' ')
			cmd[n - 1] = '\0';
	}
	format_time(now_ms(), tbuf);
	n = (size_t)snprintf(buf, sizeof(buf), "pid %ld, user %s, since %s, command: %s\n",
	    (long)getpid(), pw ? pw->pw_name : "?", tbuf, cmd);
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, n, 0) < 0)
		log_debug("cannot record lock holder: %s", strerror(errno));
}

int
app_lock(struct app *app, int wait_seconds, char *holder, size_t holderlen)
{
	long long deadline = mono_ms() + (long long)wait_seconds * 1000;
	int fd;

	if (app->lockfd >= 0)
		return CUT_OK;
	/* O_CLOEXEC matters: a hook that leaves a daemon behind must not keep the lock. */
	/* 0600: nobody else may open it, so nobody else can flock it (check_private). */
	fd = openat(app->statefd, LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		if (holder)
			snprintf(holder, holderlen, "cannot open lock file: %s", strerror(errno));
		return CUT_ERR_SYSTEM;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		if (errno != EWOULDBLOCK && errno != EINTR) {
			if (holder)
				snprintf(holder, holderlen, "cannot lock: %s", strerror(errno));
			close(fd);
			return CUT_ERR_SYSTEM;
		}
		/* A stop request ends the wait like its deadline (cutover-agent(8), SIGNALS). */
		if (mono_ms() >= deadline || interrupted()) {
			read_holder(fd, holder, holderlen);
			close(fd);
			return CUT_ERR_LOCKED;
		}
		nanosleep(&ts, NULL);
	}
	write_holder(fd);
	app->lockfd = fd;
	app_state_drop(app);	/* a state read before the lock may be stale */
	return CUT_OK;
}

void
app_unlock(struct app *app)
{
	app_state_drop(app);
	if (app->lockfd >= 0) {
		/* Leave the holder text: the lock state is the flock, not the file. */
		close(app->lockfd);
		app->lockfd = -1;
	}
}

int
app_lock_probe(struct app *app, char *holder, size_t holderlen)
{
	int fd, held = 0;

	if (app->lockfd >= 0) {
		read_holder(app->lockfd, holder, holderlen);
		return 1;
	}
	/* Never O_CREAT: a status must not leave a lock file behind. */
	if (app->statefd == -1)
		return 0;	/* opened read-only and never deployed */
	fd = openat(app->statefd, LOCK_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) == -1) {
		held = errno == EWOULDBLOCK;
		if (held)
			read_holder(fd, holder, holderlen);
	}
	close(fd);	/* closing drops our probe lock */
	return held;
}

int
open_state_subdir(struct app *app, const char *name)
{
	if (mkdirat(app->statefd, name, 0700) == -1 && errno != EEXIST)
		return -1;
	return openat(app->statefd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/*
 * rename() into the trash first: the release vanishes from releases/ in
 * one step, so a kill mid-delete never leaves a half-deleted release there.
 */
int
remove_release(struct app *app, const char *id)
{
	char name[RELEASE_ID_MAX + 32];
	int trashfd, r;

	if ((trashfd = open_state_subdir(app, TRASH_DIR)) == -1)
		return CUT_ERR_SYSTEM;
	snprintf(name, sizeof(name), "%s.%ld", id, (long)getpid());
	if (renameat(app->releasesfd, id, trashfd, name) == -1) {
		close(trashfd);
		return CUT_ERR_SYSTEM;
	}
	r = fsync_dir(app->releasesfd);
	FAULT_POINT("prune.moved_to_trash");
	if (r == CUT_OK)
		r = rm_rf_at(trashfd, name);
	close(trashfd);
	return r;
}
