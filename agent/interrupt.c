#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "interrupt.h"

static volatile sig_atomic_t caught;
static volatile sig_atomic_t guarded;

static void
on_signal(int sig)
{
	caught = sig;
	/* alarm(2) is async-signal-safe; the guard's deadline starts now. */
	if (guarded)
		alarm(INTERRUPT_GUARD_S);
}

/* The guard's deadline passed: nothing returned to notice the signal. */
static void
on_alarm(int sig)
{
	static const char msg[] = "cutover-agent: stopped by a signal while inside the "
	    "archive library, which did not return; exiting (the next command removes "
	    "what this one left)\n";

	(void)sig;
	if (!guarded || !caught)
		return;
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

void
interrupt_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: a blocked read must return EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	/* A coordinator that hangs up must not kill us mid-write; writes fail with EPIPE. */
	signal(SIGPIPE, SIG_IGN);
}

int
interrupted(void)
{
	return caught;
}

void
interrupt_guard(int on)
{
	guarded = on;
	if (on && caught)
		alarm(INTERRUPT_GUARD_S);
	else if (!on)
		alarm(0);
}
