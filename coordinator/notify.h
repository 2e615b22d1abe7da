/* The fleet's notify command (notify.c, cutover.ini(5) notify). */
#ifndef CUT_NOTIFY_H
#define CUT_NOTIFY_H

struct engine;

/*
 * Run notify with {"event":EVENT,...} on stdin: start (outcome NULL),
 * pause, finish, failure (outcome and code: the rollout's end). Never fails
 * the rollout: a failing notify is reported as a notify event.
 */
void engine_notify(struct engine *e, const char *event, const char *outcome, int code);

#endif
