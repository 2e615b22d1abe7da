#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
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

void
emit_message(const struct sink *sink, const char *event, const char *fmt, ...)
{
	struct kvlist ev = KVLIST_INIT;
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) >= 0) {
		kv_add(&ev, "event", event);
		kv_add(&ev, "message", s);
		sink_event(sink, &ev);
		free(s);
	}
	va_end(ap);
	kv_free(&ev);
}

int
op_fail(struct kvlist *res, int code, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) >= 0) {
		/* An error is one line whatever a name or path in it holds. */
		size_t len = strlen(s) * 4 + 16;
		char *e = malloc(len);

		if (e != NULL)
			text_escape(s, e, len, len, 0);
		kv_set(res, "error", e != NULL ? e : s);
		free(e);
		free(s);
	}
	va_end(ap);
	return code;
}
