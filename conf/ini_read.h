/*
 * Both config files go through inih (libinih 55 as Debian builds it), but
 * never straight from a FILE: inih keeps INI_MAX_LINE (200) bytes of a line
 * and 49 of a [section] name and silently reads the rest as the next line
 * or drops it, so "[host web01.example.com...]" past 49 characters would
 * name another host. conf_ini_parse() reads the whole file, hands inih one
 * line at a time, and turns what inih would cut into an error naming the
 * line (cutover.ini(5), cutover-agent.ini(5), "Syntax").
 *
 * Continuation lines: an indented line after a key's line continues that
 * key's value; the handler is called again with the pieces joined by one
 * space, so the last call carries the whole value (a long hosts or shared
 * list spans lines). Blank and comment lines in between are skipped.
 *
 *	line = conf_ini_parse_file(path, handler, &state, reason, sizeof(reason));
 *	0: parsed; >0: the first bad line (reason filled when inih's limits
 *	were the cause, else the handler's own reason applies); -1: cannot read
 *	(errno); -2: out of memory.
 */
#ifndef CUT_INI_READ_H
#define CUT_INI_READ_H

#include <stddef.h>

/* The libinih build's limits (ini.c's MAX_SECTION, ini.h's INI_MAX_LINE). */
#define CONF_INI_SECTION_MAX	49	/* bytes of a [section] name inih keeps */
#define CONF_INI_FILE_MAX	(64L << 20)	/* a config file larger is an error */

typedef int (*conf_ini_handler)(void *user, const char *section, const char *name, const char *value);

int conf_ini_parse_file(const char *file, conf_ini_handler h, void *user, char *reason, size_t rlen);
/* The same on text already in memory (len bytes; NULs in it are errors). */
int conf_ini_parse_text(const char *text, size_t len, conf_ini_handler h, void *user,
    char *reason, size_t rlen);

/*
 * The line of the key a handler is being called for (the last line of a
 * continued value), for checks that can only run after the whole file is
 * read and still name the line (fleet file blue_green).
 */
int conf_ini_line(void);

#endif
