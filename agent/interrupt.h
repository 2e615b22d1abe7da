/*
 * SIGINT, SIGTERM and SIGHUP only set a flag. Blocking reads, the unpack
 * loop, hook waits and serve's poll check it (at least every 250 ms) and
 * fail their operation through the normal error path, which removes the
 * staging tree or switches `current` back, so a cancelled CI job leaves the
 * app as consistent as a failed deploy would. (SIGKILL cannot be caught;
 * the next command's recovery handles that.)
 */
#ifndef CUT_INTERRUPT_H
#define CUT_INTERRUPT_H

/*
 * Seconds a guarded stretch (interrupt_guard) has to notice a signal before
 * the process exits on its own with status 1: a library loop that never
 * returns to us (libarchive has had such bugs, issue 14) must not make the
 * agent deaf. What is left behind is what SIGKILL leaves: the next command
 * recovers it. cutover-agent(8), SIGNALS.
 */
#define INTERRUPT_GUARD_S 2

void interrupt_install(void);
/* The signal number received, or 0. */
int interrupted(void);
/* Enter (1) or leave (0) a stretch spent mostly inside a library. */
void interrupt_guard(int on);

#endif
