#include "config.h"

#include "sink.h"

void
sink_event(const struct sink *s, const struct kvlist *ev)
{
	if (s != NULL && s->event != NULL)
		s->event(s->ctx, ev);
}

void
sink_record(const struct sink *s, const struct kvlist *rec)
{
	if (s != NULL && s->record != NULL)
		s->record(s->ctx, rec);
}
