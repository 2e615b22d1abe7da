/*
 * SIGINT, SIGTERM and SIGHUP only set a flag. Blocking reads and hook waits
 * check it and fail their operation through the normal error path, which
 * removes the staging tree or switches `current` back, so a cancelled CI
 * job leaves the app as consistent as a failed deploy would. (SIGKILL
 * cannot be caught; the next command's recovery handles that.)
 */
#ifndef CUT_INTERRUPT_H
#define CUT_INTERRUPT_H

void interrupt_install(void);
/* The signal number received, or 0. */
int interrupted(void);

#endif
