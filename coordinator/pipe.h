/*
 * The pipe transport behind host_use_pipe() (host.h): the agent runs as a
 * local child on a socketpair. ssh.c hands a piped host's start, steps,
 * poll events and teardown to these.
 */
#ifndef CUT_PIPE_H
#define CUT_PIPE_H

#include "host.h"

int pipe_start(struct host *h);
void pipe_step(struct host *h);
short pipe_poll_events(const struct host *h);
void pipe_teardown(struct host *h);
/* ssh.c: n bytes of the first queued segment went out (both transports). */
void host_wq_sent(struct host *h, size_t n);

#endif
