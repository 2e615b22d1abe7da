/* inih fed one checked line at a time (ini_read.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini_read.h"

struct ini_ctx {
	const char *p, *end;	/* text not yet handed to inih */
	int lineno;
	int cont;		/* the line inih is on continues the previous key */
	int have_key;		/* a key line since the last [section]: inih's prev_name */
	int bad;		/* line of our own error, 0 none */
	char why[160];
	char *joined;		/* the value so far of a continued key */
	size_t jlen, jcap;
	int nomem;
	conf_ini_handler h;
	void *user;
};

/* Mirror inih's view of the line at s (len bytes, no newline): continuation, section, key. */
static void
classify(struct ini_ctx *c, const char *s, size_t len)
{
	const char *start = s, *e = s + len;

	if (c->lineno == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3, start = s;
	while (s < e && isspace((unsigned char)*s))
		s++;
	c->cont = 0;
	if (s == e || *s == ';' || *s == '#')
		return;		/* blank or comment: inih keeps prev_name */
	if (s > start && c->have_key) {
		c->cont = 1;
		return;
	}
	if (*s == '[') {
		const char *close = memchr(s, ']', (size_t)(e - s));

		c->have_key = 0;
		if ((size_t)((close ? close : e) - (s + 1)) > CONF_INI_SECTION_MAX) {
			c->bad = c->lineno;
			snprintf(c->why, sizeof(c->why), "section name longer than %d characters",
			    CONF_INI_SECTION_MAX);
		}
		return;
	}
	c->have_key = memchr(s, '=', (size_t)(e - s)) != NULL || memchr(s, ':', (size_t)(e - s)) != NULL;
}

/* inih's reader: the next whole line, or NULL at the end and at a line inih would cut. */
static char *
next_line(char *str, int num, void *stream)
{
	struct ini_ctx *c = stream;
	const char *nl;
	size_t len;

	if (c->p >= c->end || c->bad)
		return NULL;
	nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	len = nl ? (size_t)(nl - c->p) : (size_t)(c->end - c->p);
	c->lineno++;
	if (memchr(c->p, '\0', len) != NULL) {
		c->bad = c->lineno;
		snprintf(c->why, sizeof(c->why), "NUL byte in the line");
		return NULL;
	}
	/* The line, its newline and the NUL must fit, or inih splits it. */
	if (num < 2 || len > (size_t)num - 2) {
		c->bad = c->lineno;
		snprintf(c->why, sizeof(c->why), "line longer than %d bytes (the INI parser's limit; "
		    "continue a long value on indented lines)", num - 2);
		return NULL;
	}
	classify(c, c->p, len);
	if (c->bad)
		return NULL;
	memcpy(str, c->p, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	c->p = nl ? nl + 1 : c->end;
	return str;
}

/* Append " " (unless first) and v to the joined value. */
static int
join(struct ini_ctx *c, const char *v, int first)
{
	size_t n = strlen(v), need = c->jlen + n + 2;

	if (first)
		c->jlen = 0, need = n + 1;
	if (need > c->jcap) {
		size_t cap = c->jcap ? c->jcap : 256;
		char *nj;

		while (cap < need)
			cap *= 2;
		if ((nj = realloc(c->joined, cap)) == NULL)
			return -1;
		c->joined = nj;
		c->jcap = cap;
	}
	if (!first && c->jlen > 0)
		c->joined[c->jlen++] = ' ';
	memcpy(c->joined + c->jlen, v, n + 1);
	c->jlen += n;
	return 0;
}

/* The line of the pair being handled (conf_ini_line()). */
static int pair_line;

int
conf_ini_line(void)
{
	return pair_line;
}

static int
on_pair(void *user, const char *section, const char *name, const char *value)
{
	struct ini_ctx *c = user;

	pair_line = c->lineno;

	if (join(c, value, !c->cont) != 0) {
		c->nomem = 1;
		return 0;
	}
	return c->h(c->user, section, name, c->joined);
}

int
conf_ini_parse_text(const char *text, size_t len, conf_ini_handler h, void *user, char *reason, size_t rlen)
{
	struct ini_ctx c = { .p = text, .end = text + len, .h = h, .user = user };
	int line;

	line = ini_parse_stream(next_line, &c, on_pair, &c);
	free(c.joined);
	if (c.nomem)
		return -2;
	if (line != 0 && (c.bad == 0 || line < c.bad))
		return line;
	if (c.bad) {
		snprintf(reason, rlen, "%s", c.why);
		return c.bad;
	}
	return line;
}

int
conf_ini_parse_file(const char *file, conf_ini_handler h, void *user, char *reason, size_t rlen)
{
	FILE *f;
	char *text = NULL, *nt;
	size_t len = 0, cap = 0, n;
	int r, saved;

	if ((f = fopen(file, "r")) == NULL)
		return -1;
	do {
		if (cap - len < 65536) {
			if (cap >= (size_t)CONF_INI_FILE_MAX) {
				fclose(f);
				free(text);
				errno = EFBIG;
				return -1;
			}
			cap = cap ? cap * 2 : 65536;
			if ((nt = realloc(text, cap)) == NULL) {
				fclose(f);
				free(text);
				return -2;
			}
			text = nt;
		}
		n = fread(text + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	saved = errno;
	if (ferror(f)) {
		fclose(f);
		free(text);
		errno = saved;
		return -1;
	}
	fclose(f);
	r = conf_ini_parse_text(text, len, h, user, reason, rlen);
	free(text);
	return r;
}
