#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "err.h"
#include "fault.h"
#include "fsutil.h"
#include "release_id.h"
#include "swap.h"

int
swap_current(struct app *app, const char *id)
{
	char tmp[64], target[RELEASE_ID_MAX + 16];
	int r = CUT_OK;

	if (id == NULL) {
		if (unlinkat(app->rootfd, CURRENT_LINK, 0) == -1 && errno != ENOENT)
			return CUT_ERR_SYSTEM;
		return fsync_dir(app->rootfd);
	}
	snprintf(tmp, sizeof(tmp), ".current.%ld.tmp", (long)getpid());
	snprintf(target, sizeof(target), RELEASES_DIR "/%s", id);
	/* A leftover from a killed process with our pid: it is never `current`. */
	(void)unlinkat(app->rootfd, tmp, 0);
	if (symlinkat(target, app->rootfd, tmp) == -1)
		return CUT_ERR_SYSTEM;
	FAULT_POINT("swap.before_rename");
	if (renameat(app->rootfd, tmp, app->rootfd, CURRENT_LINK) == -1) {
		int saved = errno;

		(void)unlinkat(app->rootfd, tmp, 0);
		errno = saved;
		return CUT_ERR_SYSTEM;
	}
	FAULT_POINT("swap.after_rename");
	r = fsync_dir(app->rootfd);
	return r;
}
