/*
 * Live progress line for terminals (progress.h). Writes go to stderr in one
 * fputs each, so a redraw never interleaves with itself.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "fsutil.h"
#include "progress.h"

#define REDRAW_MS	100	/* at most 10 redraws a second */

void
progress_init(struct progress *p, int on)
{
	memset(p, 0, sizeof(*p));
	p->on = on;
}

/* The status line for c, without a newline. */
static void
format_line(const struct progress_counts *c, char *buf, size_t len)
{
	snprintf(buf, len, "[%6.1fs] %-14s staged %zu/%zu  switched %zu  failed %zu%s",
	    (double)c->elapsed_ms / 1000.0, c->phase ? c->phase : "", c->staged, c->total,
	    c->switched, c->failed, c->reversed ? "  reversed " : "");
	if (c->reversed)
		snprintf(buf + strlen(buf), len - strlen(buf), "%zu", c->reversed);
}

void
progress_draw(struct progress *p, const struct progress_counts *c, int force)
{
	char line[256];
	long long now;

	if (!p->on)
		return;
	now = mono_ms();
	if (!force && p->drawn && now - p->last_ms < REDRAW_MS)
		return;
	p->last_ms = now;
	line[0] = '\r';
	format_line(c, line + 1, sizeof(line) - 8);
	strcat(line, "\033[K");
	fputs(line, stderr);
	fflush(stderr);
	p->drawn = 1;
}

void
progress_clear(struct progress *p)
{
	if (!p->on || !p->drawn)
		return;
	fputs("\r\033[K", stderr);
	p->drawn = 0;
}

void
progress_end(struct progress *p)
{
	if (!p->on || !p->drawn)
		return;
	fputs("\n", stderr);
	fflush(stderr);
	p->drawn = 0;
	p->on = 0;
}
