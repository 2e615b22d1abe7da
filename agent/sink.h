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

#endif
