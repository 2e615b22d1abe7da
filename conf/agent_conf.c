#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_conf.h"
#include "err.h"
#include "ini_read.h"
#include "strv.h"

/* A string key's default: NULL stays NULL (required keys), others are copied. */
static int
set_default(char **dst, const char *dflt)
{
	*dst = NULL;
	return dflt != NULL && (*dst = strdup(dflt)) == NULL ? -1 : 0;
}

int
app_conf_defaults(struct app_conf *c)
{
	memset(c, 0, sizeof(*c));
#define KEY_STR(n, d, h) \
	if (set_default(&c->n, d) != 0) \
		return CUT_ERR_ALLOC;
#define KEY_INT(n, d, lo, hi, h) c->n = (d);
#define KEY_SIZE(n, d, lo, hi, h) c->n = (d);
#define KEY_BOOL(n, d, h) c->n = (d);
#define KEY_PATH(n, h) c->n = NULL;
#include "keys.def"
#undef KEY_STR
#undef KEY_INT
#undef KEY_SIZE
#undef KEY_BOOL
#undef KEY_PATH
	return CUT_OK;
}

void
app_conf_free(struct app_conf *c)
{
	free(c->name);
#define KEY_STR(n, d, h) free(c->n);
#define KEY_INT(n, d, lo, hi, h)
#define KEY_SIZE(n, d, lo, hi, h)
#define KEY_BOOL(n, d, h)
#define KEY_PATH(n, h) free(c->n);
#include "keys.def"
#undef KEY_STR
#undef KEY_INT
#undef KEY_SIZE
#undef KEY_BOOL
#undef KEY_PATH
	memset(c, 0, sizeof(*c));
}

/* Parse a decimal number with an optional K/M/G/T suffix (powers of 1024). */
static int
parse_number(const char *s, int allow_suffix, long long *out)
{
	char *end;
	long long v;
	int shift = 0;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno != 0 || v < 0)
		return -1;
	if (allow_suffix && *end != '\0' && end[1] == '\0') {
		switch (*end) {
		case 'K': case 'k': shift = 10; break;
		case 'M': case 'm': shift = 20; break;
		case 'G': case 'g': shift = 30; break;
		case 'T': case 't': shift = 40; break;
		default: return -1;
		}
		end++;
	}
	if (*end != '\0' || v > (LLONG_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

struct parse_state {
	const char *want;	/* app to fill in, or NULL */
	struct app_conf *out;
	int found;
	char reason[256];	/* first error: "key: reason" */
	char ***names;		/* when set: every app name, in file order */
};

/* Add app to *ps->names unless it is there; 0 when out of memory. */
static int
note_name(struct parse_state *ps, const char *app)
{
	size_t n = strv_len(*ps->names);
	char **v;

	for (size_t i = 0; i < n; i++)
		if (strcmp((*ps->names)[i], app) == 0)
			return 1;
	if ((v = realloc(*ps->names, (n + 2) * sizeof(*v))) == NULL)
		return 0;
	*ps->names = v;
	if ((v[n] = strdup(app)) == NULL)
		return 0;
	v[n + 1] = NULL;
	return 1;
}

/* The fetch_* strings that must have a shape (cutover-agent.ini(5)); 0 or CUT_ERR_CONFIG. */
static int
check_fetch_key(const char *key, const char *value, char *reason, size_t rlen)
{
	if (value[0] == '\0')
		return CUT_OK;
	if (strcmp(key, "fetch_ca_file") == 0 && value[0] != '/') {
		snprintf(reason, rlen, "%s: \"%s\" is not an absolute path", key, value);
		return CUT_ERR_CONFIG;
	}
	if (strcmp(key, "fetch_proxy") == 0 && strstr(value, "://") == NULL) {
		snprintf(reason, rlen, "%s: \"%s\" is not a proxy URL (SCHEME://HOST:PORT)", key, value);
		return CUT_ERR_CONFIG;
	}
	return CUT_OK;
}

static int
set_key(struct app_conf *c, const char *key, const char *value, char *reason, size_t rlen)
{
	long long v;

	if (check_fetch_key(key, value, reason, rlen) != CUT_OK)
		return CUT_ERR_CONFIG;

#define KEY_STR(n, d, h) \
	if (strcmp(key, #n) == 0) { \
		char *s = strdup(value); \
		if (s == NULL) \
			return CUT_ERR_ALLOC; \
		free(c->n); \
		c->n = s; \
		return CUT_OK; \
	}
#define KEY_NUM(n, lo, hi, suffix) \
	if (strcmp(key, #n) == 0) { \
		if (parse_number(value, suffix, &v) != 0 || v < (lo) || v > (hi)) { \
			snprintf(reason, rlen, "%s: \"%s\" is not a number from %lld to %lld", \
			    key, value, (long long)(lo), (long long)(hi)); \
			return CUT_ERR_CONFIG; \
		} \
		c->n = v; \
		return CUT_OK; \
	}
#define KEY_INT(n, d, lo, hi, h) KEY_NUM(n, lo, hi, 0)
#define KEY_SIZE(n, d, lo, hi, h) KEY_NUM(n, lo, hi, 1)
#define KEY_BOOL(n, d, h) \
	if (strcmp(key, #n) == 0) { \
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) { \
			snprintf(reason, rlen, "%s: \"%s\" is not yes or no", key, value); \
			return CUT_ERR_CONFIG; \
		} \
		c->n = strcmp(value, "yes") == 0; \
		return CUT_OK; \
	}
/* Absolute: agent.ini must not depend on the directory the agent runs in. */
#define KEY_PATH(n, h) \
	if (strcmp(key, #n) == 0) { \
		char *s; \
		if (value[0] != '\0' && value[0] != '/') { \
			snprintf(reason, rlen, "%s: \"%s\" is not an absolute path", key, value); \
			return CUT_ERR_CONFIG; \
		} \
		if ((s = strdup(value)) == NULL) \
			return CUT_ERR_ALLOC; \
		free(c->n); \
		c->n = s; \
		return CUT_OK; \
	}
#include "keys.def"
#undef KEY_STR
#undef KEY_INT
#undef KEY_SIZE
#undef KEY_NUM
#undef KEY_BOOL
#undef KEY_PATH
	snprintf(reason, rlen, "%s: unknown key", key);
	return CUT_ERR_CONFIG;
}

/* inih handler: 1 to go on, 0 to flag an error on the current line. */
static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *ps = user;
	struct app_conf scratch;
	const char *app;
	int r;

	if (ps->reason[0] != '\0')
		return 1;	/* keep only the first error's line and reason */
	if (strncmp(section, "app ", 4) != 0 || section[4] == '\0') {
		snprintf(ps->reason, sizeof(ps->reason),
		    "%s: key outside an [app NAME] section (in [%s])", name, section);
		return 0;
	}
	app = section + 4;
	if (ps->names != NULL && !note_name(ps, app)) {
		snprintf(ps->reason, sizeof(ps->reason), "%s: out of memory", name);
		return 0;
	}
	if (ps->want != NULL && strcmp(app, ps->want) == 0) {
		ps->found = 1;
		r = set_key(ps->out, name, value, ps->reason, sizeof(ps->reason));
	} else {
		/* Validate other apps too: a typo anywhere is an error. */
		memset(&scratch, 0, sizeof(scratch));
		r = set_key(&scratch, name, value, ps->reason, sizeof(ps->reason));
		app_conf_free(&scratch);
	}
	if (r == CUT_ERR_ALLOC)
		snprintf(ps->reason, sizeof(ps->reason), "%s: out of memory", name);
	return r == CUT_OK;
}

/* Parse and validate the whole file into ps; CUT_ERR_CONFIG with "FILE:LINE: why" in err. */
static int
parse_file(const char *file, struct parse_state *ps, char *err, size_t errlen)
{
	int line;

	/* Never ini_parse_file: inih would cut long lines and [app] names silently (ini_read.h). */
	line = conf_ini_parse_file(file, handler, ps, ps->reason, sizeof(ps->reason));
	if (line < 0) {
		snprintf(err, errlen, "%s: %s%s", file, line == -1 ? "cannot open: " : "",
		    line == -1 ? strerror(errno) : "out of memory");
		return CUT_ERR_CONFIG;
	}
	if (line != 0) {
		if (ps->reason[0] == '\0')
			snprintf(ps->reason, sizeof(ps->reason), "syntax error");
		snprintf(err, errlen, "%s:%d: %s", file, line, ps->reason);
		return CUT_ERR_CONFIG;
	}
	return CUT_OK;
}

int
agent_conf_has_app(const char *file, const char *app, char *err, size_t errlen)
{
	struct app_conf scratch;
	struct parse_state ps = { .want = app, .out = &scratch };
	int r;

	if ((r = app_conf_defaults(&scratch)) != CUT_OK)
		return r;
	r = parse_file(file, &ps, err, errlen);
	app_conf_free(&scratch);
	return r != CUT_OK ? r : ps.found;
}

int
agent_conf_app_names(const char *file, char ***names, char *err, size_t errlen)
{
	struct app_conf scratch;
	struct parse_state ps = { .out = &scratch, .names = names };
	int r;

	if ((*names = calloc(1, sizeof(**names))) == NULL)
		return CUT_ERR_ALLOC;
	if ((r = app_conf_defaults(&scratch)) == CUT_OK)
		r = parse_file(file, &ps, err, errlen);
	app_conf_free(&scratch);
	if (r != CUT_OK) {
		strv_free(*names);
		*names = NULL;
	}
	return r;
}

int
agent_conf_load(const char *file, const char *app, struct app_conf *c,
    char *err, size_t errlen)
{
	struct parse_state ps = { .want = app, .out = c };
	int r;

	if ((r = app_conf_defaults(c)) != CUT_OK)
		return r;
	if ((c->name = strdup(app ? app : "")) == NULL)
		return CUT_ERR_ALLOC;
	if ((r = parse_file(file, &ps, err, errlen)) != CUT_OK)
		return r;
	if (app != NULL && !ps.found) {
		snprintf(err, errlen, "%s: no [app %s] section", file, app);
		return CUT_ERR_CONFIG;
	}
	if (app != NULL && (c->root == NULL || c->root[0] != '/')) {
		snprintf(err, errlen, "%s: [app %s]: root: %s", file, app,
		    c->root ? "must be an absolute path" : "missing (required)");
		return CUT_ERR_CONFIG;
	}
	if (app != NULL && (c->require_signature || (c->revoked_signers && c->revoked_signers[0])) &&
	    (c->allowed_signers == NULL || c->allowed_signers[0] == '\0')) {
		snprintf(err, errlen, "%s: [app %s]: %s needs allowed_signers", file, app,
		    c->require_signature ? "require_signature = yes" : "revoked_signers");
		return CUT_ERR_CONFIG;
	}
	return CUT_OK;
}

/* A shared path is relative, without "." or ".." components or empty ones. */
static int
shared_path_ok(const char *p)
{
	const char *comp = p;

	if (*p == '\0' || *p == '/' || strlen(p) > 1024)
		return 0;
	for (;;) {
		const char *slash = strchr(comp, '/');
		size_t len = slash ? (size_t)(slash - comp) : strlen(comp);

		if (len == 0 || (len == 1 && comp[0] == '.') ||
		    (len == 2 && comp[0] == '.' && comp[1] == '.'))
			return 0;
		if (slash == NULL)
			return 1;
		comp = slash + 1;
	}
}

int
app_conf_shared_paths(const struct app_conf *c, char ***out, char *err, size_t errlen)
{
	char **v;
	int r;

	*out = NULL;
	if ((r = strv_split(c->shared ? c->shared : "", " \t,", &v)) != CUT_OK)
		return r;
	for (char **p = v; *p != NULL; p++) {
		if (!shared_path_ok(*p)) {
			snprintf(err, errlen, "shared: \"%s\" is not a relative path inside the release", *p);
			strv_free(v);
			return CUT_ERR_CONFIG;
		}
	}
	*out = v;
	return CUT_OK;
}
