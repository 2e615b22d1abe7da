/*
 * Where an operation reports to while it runs. The CLI prints; `serve`
 * turns each call into a frame. Both callbacks may be NULL.
 */
#ifndef CUT_SINK_H
#define CUT_SINK_H

#include "kv.h"

struct sink {
	/* Progress: {"event":"unpack","bytes":...}, hook output lines, health attempts. */
	void (*event)(void *ctx, const struct kvlist *ev);
	/* One row of a listing (a journal record for `history`). */
	void (*record)(void *ctx, const struct kvlist *rec);
	void *ctx;
};

void sink_event(const struct sink *s, const struct kvlist *ev);
void sink_record(const struct sink *s, const struct kvlist *rec);

/* Send a {"event":name,"message":msg} progress line. */
void emit_message(const struct sink *sink, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set res "error" to a formatted line and return code. */
int op_fail(struct kvlist *res, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
