#include "config.h"

#ifdef CUT_FAULT_INJECTION
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"

/*
 * CUTOVER_FAULT=name[@N] kills at the Nth time the point is reached
 * (default the first), so points inside loops can be hit mid-way.
 */
int
fault_hit(const char *name)
{
	static int hits;
	const char *want = getenv("CUTOVER_FAULT");
	const char *at;
	size_t len;

	if (want == NULL)
		return 0;
	at = strchr(want, '@');
	len = at ? (size_t)(at - want) : strlen(want);
	if (strlen(name) != len || strncmp(name, want, len) != 0)
		return 0;
	return ++hits == (at ? atoi(at + 1) : 1);
}

void
fault_kill(void)
{
	kill(getpid(), SIGKILL);
	_exit(137);
}

void
fault_stop(const char *name)
{
	const char *want = getenv("CUTOVER_FAULT_STOP");

	if (want != NULL && strcmp(want, name) == 0)
		raise(SIGSTOP);
}

void
fault_point(const char *name)
{
	if (fault_hit(name))
		fault_kill();
}
#else
/* ISO C forbids an empty translation unit. */
typedef int fault_unused;
#endif
