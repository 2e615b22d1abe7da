/*
 * The live one-screen progress view of a rollout on a terminal: one status
 * line (phase, hosts staged / switched / failed / reversed) redrawn in place
 * with \r and ESC[K, at most 10 times a second. Off (no output at all) when
 * stderr is not a terminal or --json is given; event lines are printed then.
 *
 *	progress_init(&p, isatty(2) && !json);
 *	progress_draw(&p, &counts, 0);   // throttled; 1 forces a redraw
 *	progress_clear(&p);              // before printing an ordinary line
 *	progress_end(&p);                // newline: the last state stays on screen
 */
#ifndef CUT_PROGRESS_H
#define CUT_PROGRESS_H

#include <stddef.h>

struct progress_counts {
	const char *phase;
	size_t total, staged, switched, failed, reversed;
	long long elapsed_ms;
};

struct progress {
	int on;
	int drawn;		/* a status line is on the screen */
	long long last_ms;	/* mono ms of the last redraw */
};

void progress_init(struct progress *p, int on);
void progress_draw(struct progress *p, const struct progress_counts *c, int force);
void progress_clear(struct progress *p);
void progress_end(struct progress *p);

#endif
