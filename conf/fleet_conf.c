/*
 * Fleet file parsing (inih) and host selection. Values are validated while
 * parsing, so an error carries the line inih reports; they are converted to
 * typed, ~-expanded settings only when a selection is resolved.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fleet_conf.h"
#include "ini_read.h"
#include "strv.h"

#define FLEET_MAX_SECTIONS	100000
#define FLEET_NAME_MAX		255

static const char *const key_names[FK_COUNT_] = {
#define FKEY_STR(n, d, h) #n,
#define FKEY_PATH(n, d, h) #n,
#define FKEY_INT(n, d, lo, hi, h) #n,
#define FKEY_BATCH(n, d, h) #n,
#include "fleet_keys.def"
#undef FKEY_STR
#undef FKEY_PATH
#undef FKEY_INT
#undef FKEY_BATCH
};

const char *
fleet_conf_default_path(void)
{
	if (access("cutover.ini", F_OK) == 0)
		return "cutover.ini";
	return "/etc/cutover/fleet.ini";
}

/* Host and group names end up in messages, journals and JSON: keep them plain. */
static int
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > FLEET_NAME_MAX || s[0] == '-' || s[0] == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' || *s == '_' || *s == ':'))
			return 0;
	return 1;
}

/* Decimal in [lo, hi], nothing else. */
static int
parse_int(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int
fleet_batch_size(const char *batch, size_t n, size_t *out)
{
	size_t len = strlen(batch);
	long long v;
	char num[32];
	size_t k;

	if (len == 0 || len >= sizeof(num))
		return CUT_ERR_CONFIG;
	memcpy(num, batch, len + 1);
	if (num[len - 1] == '%') {
		num[len - 1] = '\0';
		if (parse_int(num, 1, 100, &v) != 0)
			return CUT_ERR_CONFIG;
		k = (n * (size_t)v + 99) / 100;
	} else {
		if (parse_int(num, 1, 1000000, &v) != 0)
			return CUT_ERR_CONFIG;
		k = (size_t)v;
	}
	if (k > n)
		k = n;
	if (k < 1)
		k = 1;
	*out = k;
	return CUT_OK;
}

/* Check one value against its key's type; reason gets "key: why". */
static int
check_value(enum fleet_key k, const char *v, char *reason, size_t rlen)
{
	long long n;
	size_t b;

	switch (k) {
#define FKEY_STR(nm, d, h) case FK_##nm: break;
#define FKEY_PATH(nm, d, h) case FK_##nm: \
		if (*v == '\0') { snprintf(reason, rlen, "%s: empty path", #nm); return CUT_ERR_CONFIG; } \
		break;
#define FKEY_INT(nm, d, lo, hi, h) case FK_##nm: \
		if (parse_int(v, lo, hi, &n) != 0) { \
			snprintf(reason, rlen, "%s: \"%s\" is not a number from %lld to %lld", \
			    #nm, v, (long long)(lo), (long long)(hi)); \
			return CUT_ERR_CONFIG; \
		} \
		break;
#define FKEY_BATCH(nm, d, h) case FK_##nm: \
		if (fleet_batch_size(v, 1, &b) != 0) { \
			snprintf(reason, rlen, "%s: \"%s\" is not N (1-1000000) or N%% (1-100%%)", #nm, v); \
			return CUT_ERR_CONFIG; \
		} \
		break;
#include "fleet_keys.def"
#undef FKEY_STR
#undef FKEY_PATH
#undef FKEY_INT
#undef FKEY_BATCH
	default:
		break;
	}
	return CUT_OK;
}

/*
 * Split a host list on commas and blanks into a NULL-terminated vector of
 * valid names (at most FLEET_MAX_SECTIONS); the first bad one is the reason.
 */
static int
split_names(const char *list, char ***out, char *reason, size_t rlen)
{
	char **v;
	size_t n = 0;

	*out = NULL;
	if (strv_split(list, " \t,", &v) != CUT_OK) {
		snprintf(reason, rlen, "out of memory");
		return CUT_ERR_ALLOC;
	}
	for (char **p = v; *p != NULL; p++, n++) {
		if (!name_ok(*p))
			snprintf(reason, rlen, "\"%s\" is not a valid host name", *p);
		else if (n >= FLEET_MAX_SECTIONS)
			snprintf(reason, rlen, "more than %d hosts", FLEET_MAX_SECTIONS);
		else
			continue;
		strv_free(v);
		return CUT_ERR_CONFIG;
	}
	*out = v;
	return CUT_OK;
}

struct parse_state {
	struct fleet_conf *fc;
	char reason[384];
};

static const struct fleet_section *lookup(const struct fleet_conf *fc, int kind, const char *name);
static int group_index(struct fleet_conf *fc);

/* The section record for an inih section name, created on first use. */
static struct fleet_section *
find_section(struct parse_state *ps, const char *section, char *reason, size_t rlen)
{
	struct fleet_conf *fc = ps->fc;
	struct fleet_section *s, *ns;
	const char *name = NULL;
	int kind;

	if (strcmp(section, "fleet") == 0)
		kind = FSEC_FLEET;
	else if (strncmp(section, "group ", 6) == 0) {
		kind = FSEC_GROUP;
		name = section + 6;
	} else if (strncmp(section, "host ", 5) == 0) {
		kind = FSEC_HOST;
		name = section + 5;
	} else {
		snprintf(reason, rlen, "[%s]: unknown section (want [fleet], [group NAME] or [host NAME])", section);
		return NULL;
	}
	while (name && *name == ' ')
		name++;
	if (name && !name_ok(name)) {
		snprintf(reason, rlen, "[%s]: \"%s\" is not a valid name", section, name);
		return NULL;
	}
	if ((s = (struct fleet_section *)lookup(fc, kind, name)) != NULL)
		return s;
	if (fc->nsec >= FLEET_MAX_SECTIONS) {
		snprintf(reason, rlen, "[%s]: more than %d sections", section, FLEET_MAX_SECTIONS);
		return NULL;
	}
	if (fc->nsec == fc->cap) {
		size_t cap = fc->cap ? 2 * fc->cap : 16;

		if ((ns = realloc(fc->sec, cap * sizeof(*ns))) == NULL)
			goto nomem;
		fc->sec = ns;
		fc->cap = cap;
	}
	s = &fc->sec[fc->nsec];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	if (name && (s->name = strdup(name)) == NULL)
		goto nomem;
	if (kind == FSEC_FLEET)
		fc->fleet_sec = fc->nsec + 1;
	else if (ni_add(kind == FSEC_HOST ? &fc->by_host : &fc->by_group, s->name, fc->nsec) != 0) {
		free(s->name);
		goto nomem;
	}
	fc->nsec++;
	return s;
 nomem:
	snprintf(reason, rlen, "out of memory");
	return NULL;
}

/* Replace *slot with a copy of v. */
static int
set_str(char **slot, const char *v)
{
	char *c = strdup(v);

	if (c == NULL)
		return CUT_ERR_ALLOC;
	free(*slot);
	*slot = c;
	return CUT_OK;
}

/*
 * enabled = yes|no fences a host or a whole group off every command
 * (cutover.ini(5)). Not a [fleet] key: a fleet that is off is no fleet, and
 * a typo there would silently disable everything. 1 to go on, 0 on error.
 */
static int
set_enabled(struct fleet_section *s, const char *value, char *reason, size_t rlen)
{
	if (s->kind == FSEC_FLEET) {
		snprintf(reason, rlen, "enabled: only in [host NAME] or [group NAME], not in [fleet]");
		return 0;
	}
	if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
		snprintf(reason, rlen, "enabled: \"%s\" is not yes or no", value);
		return 0;
	}
	s->disabled = strcmp(value, "no") == 0;
	return 1;
}

/*
 * blue_green = A B and switch = COMMAND: [fleet] only (one load balancer
 * per fleet file); the pools are checked once the groups are all read
 * (check_blue_green). 1 to go on, 0 on error.
 */
static int
set_blue_green(struct fleet_conf *fc, const struct fleet_section *s, const char *name, const char *value,
    char *reason, size_t rlen)
{
	char **v = NULL;
	int is_bg = strcmp(name, "blue_green") == 0;

	if (s->kind != FSEC_FLEET) {
		snprintf(reason, rlen, "%s: only in [fleet]", name);
		return 0;
	}
	if (!is_bg) {
		if (*value == '\0') {
			snprintf(reason, rlen, "switch: empty command");
			return 0;
		}
		fc->switch_line = conf_ini_line();
		return set_str(&fc->switch_cmd, value) == CUT_OK;
	}
	if (strv_split(value, " \t,", &v) != CUT_OK)
		return snprintf(reason, rlen, "out of memory"), 0;
	if (v[0] == NULL || v[1] == NULL || v[2] != NULL || !name_ok(v[0]) || !name_ok(v[1]) ||
	    strcmp(v[0], v[1]) == 0) {
		snprintf(reason, rlen, "blue_green: \"%s\" is not two different group names", value);
		strv_free(v);
		return 0;
	}
	fc->bg_line = conf_ini_line();
	for (int i = 0; i < 2; i++)
		if (set_str(&fc->pool[i], v[i]) != CUT_OK) {
			strv_free(v);
			return snprintf(reason, rlen, "out of memory"), 0;
		}
	strv_free(v);
	return 1;
}

/* inih handler: 1 to go on, 0 to flag an error on the current line. */
static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *ps = user;
	struct fleet_section *s;
	char **hosts;
	int k;

	if (ps->reason[0] != '\0')
		return 1;	/* keep the first error only */
	if (section[0] == '\0') {
		snprintf(ps->reason, sizeof(ps->reason), "%s: key outside a section", name);
		return 0;
	}
	if ((s = find_section(ps, section, ps->reason, sizeof(ps->reason))) == NULL)
		return 0;
	if (s->kind == FSEC_HOST && strcmp(name, "address") == 0) {
		if (*value == '\0' || strlen(value) > FLEET_NAME_MAX || strpbrk(value, " \t/") != NULL) {
			snprintf(ps->reason, sizeof(ps->reason), "address: \"%s\" is not a host name or address", value);
			return 0;
		}
		return set_str(&s->address, value) == CUT_OK;
	}
	if (strcmp(name, "enabled") == 0)
		return set_enabled(s, value, ps->reason, sizeof(ps->reason));
	if (strcmp(name, "blue_green") == 0 || strcmp(name, "switch") == 0)
		return set_blue_green(ps->fc, s, name, value, ps->reason, sizeof(ps->reason));
	if (s->kind == FSEC_GROUP && strcmp(name, "hosts") == 0) {
		char why[256] = "";

		if (split_names(value, &hosts, why, sizeof(why)) != CUT_OK) {
			snprintf(ps->reason, sizeof(ps->reason), "hosts: %s", why);
			return 0;
		}
		strv_free(s->hosts);
		s->hosts = hosts;
		return 1;
	}
	for (k = 0; k < FK_COUNT_; k++)
		if (strcmp(name, key_names[k]) == 0)
			break;
	if (k == FK_COUNT_) {
		snprintf(ps->reason, sizeof(ps->reason), "%s: unknown key in [%s]", name, section);
		return 0;
	}
	if (check_value(k, value, ps->reason, sizeof(ps->reason)) != CUT_OK)
		return 0;
	if (set_str(&s->val[k], value) != CUT_OK) {
		snprintf(ps->reason, sizeof(ps->reason), "%s: out of memory", name);
		return 0;
	}
	return 1;
}

static const struct fleet_section *lookup(const struct fleet_conf *fc, int kind, const char *name);
static int group_has(const struct fleet_conf *fc, const struct fleet_section *g, const char *host);

/* The pools once every group is read: they exist, have hosts, share none; switch is set. */
static int
check_blue_green(const struct fleet_conf *fc, char *err, size_t errlen)
{
	const struct fleet_section *g[2];

	if (fc->pool[0] == NULL) {
		if (fc->switch_cmd == NULL)
			return CUT_OK;
		snprintf(err, errlen, "%s:%d: switch: set without blue_green", fc->file, fc->switch_line);
		return CUT_ERR_CONFIG;
	}
	for (int i = 0; i < 2; i++) {
		g[i] = lookup(fc, FSEC_GROUP, fc->pool[i]);
		if (g[i] == NULL || g[i]->hosts == NULL || g[i]->hosts[0] == NULL) {
			snprintf(err, errlen, "%s:%d: blue_green: %s: %s", fc->file, fc->bg_line, fc->pool[i],
			    g[i] == NULL ? "no such [group]" : "the group has no hosts");
			return CUT_ERR_CONFIG;
		}
	}
	for (char **p = g[0]->hosts; *p; p++)
		if (group_has(fc, g[1], *p)) {
			snprintf(err, errlen, "%s:%d: blue_green: %s is in both %s and %s (the pools must not "
			    "share hosts)", fc->file, fc->bg_line, *p, fc->pool[0], fc->pool[1]);
			return CUT_ERR_CONFIG;
		}
	if (fc->switch_cmd == NULL) {
		snprintf(err, errlen, "%s:%d: blue_green: needs switch = COMMAND in [fleet]", fc->file, fc->bg_line);
		return CUT_ERR_CONFIG;
	}
	return CUT_OK;
}

int
fleet_conf_load(const char *file, struct fleet_conf *fc, char *err, size_t errlen)
{
	struct parse_state ps = { .fc = fc };
	int line;

	memset(fc, 0, sizeof(*fc));
	if ((fc->file = strdup(file)) == NULL)
		return CUT_ERR_ALLOC;
	/* Never ini_parse_file: inih would cut long lines and [section] names silently (ini_read.h). */
	line = conf_ini_parse_file(file, handler, &ps, ps.reason, sizeof(ps.reason));
	if (line != 0) {
		if (line == -1)
			snprintf(err, errlen, "%s: cannot open: %s", file, strerror(errno));
		else if (line < 0)
			snprintf(err, errlen, "%s: out of memory", file);
		else
			snprintf(err, errlen, "%s:%d: %s", file, line,
			    ps.reason[0] ? ps.reason : "syntax error");
		fleet_conf_free(fc);
		return CUT_ERR_CONFIG;
	}
	if (group_index(fc) != CUT_OK) {
		snprintf(err, errlen, "%s: out of memory", file);
		fleet_conf_free(fc);
		return CUT_ERR_ALLOC;
	}
	/* After group_index: the pools' overlap is checked through the member index. */
	if (check_blue_green(fc, err, errlen) != CUT_OK) {
		fleet_conf_free(fc);
		return CUT_ERR_CONFIG;
	}
	return CUT_OK;
}

void
fleet_conf_free(struct fleet_conf *fc)
{
	for (size_t i = 0; i < fc->nsec; i++) {
		struct fleet_section *s = &fc->sec[i];

		free(s->name);
		free(s->address);
		strv_free(s->hosts);
		for (int k = 0; k < FK_COUNT_; k++)
			free(s->val[k]);
	}
	free(fc->sec);
	free(fc->file);
	free(fc->pool[0]);
	free(fc->pool[1]);
	free(fc->switch_cmd);
	ni_free(&fc->by_host);
	ni_free(&fc->by_group);
	ni_free(&fc->member);
	memset(fc, 0, sizeof(*fc));
}

/* The section of that kind and name (name NULL: [fleet]), through the indexes. */
static const struct fleet_section *
lookup(const struct fleet_conf *fc, int kind, const char *name)
{
	size_t i;

	if (kind == FSEC_FLEET)
		return fc->fleet_sec ? &fc->sec[fc->fleet_sec - 1] : NULL;
	i = ni_get(kind == FSEC_HOST ? &fc->by_host : &fc->by_group, name);
	return i == NI_NONE ? NULL : &fc->sec[i];
}

/* Does group g list host? Through the member index (group_index), not the list. */
static int
group_has(const struct fleet_conf *fc, const struct fleet_section *g, const char *host)
{
	size_t v, pos = 0, gi = (size_t)(g - fc->sec);

	while ((v = ni_next(&fc->member, host, &pos)) != NI_NONE)
		if (v == gi)
			return 1;
	return 0;
}

/* host name -> the groups listing it, in file order (a name listed twice counts once). */
static int
group_index(struct fleet_conf *fc)
{
	for (size_t i = 0; i < fc->nsec; i++) {
		const struct fleet_section *g = &fc->sec[i];

		for (char **p = g->kind == FSEC_GROUP ? g->hosts : NULL; p && *p; p++) {
			size_t v, pos = 0;
			int dup = 0;

			while (!dup && (v = ni_next(&fc->member, *p, &pos)) != NI_NONE)
				dup = v == i;
			if (!dup && ni_add(&fc->member, *p, i) != 0)
				return CUT_ERR_ALLOC;
		}
	}
	return CUT_OK;
}

/* ~ and ~/x become $HOME and $HOME/x (the passwd entry without HOME). */
static char *
expand_path(const char *p)
{
	const char *home;
	struct passwd *pw;
	char *out;
	size_t n;

	if (p[0] != '~' || (p[1] != '\0' && p[1] != '/'))
		return strdup(p);
	if ((home = getenv("HOME")) == NULL || *home == '\0') {
		if ((pw = getpwuid(getuid())) == NULL)
			return strdup(p);
		home = pw->pw_dir;
	}
	n = strlen(home) + strlen(p);
	if ((out = malloc(n)) == NULL)
		return NULL;
	snprintf(out, n, "%s%s", home, p + 1);
	return out;
}

static void
settings_free(struct fleet_settings *st)
{
#define FKEY_STR(n, d, h) free(st->n);
#define FKEY_PATH(n, d, h) free(st->n);
#define FKEY_INT(n, d, lo, hi, h)
#define FKEY_BATCH(n, d, h) free(st->n);
#include "fleet_keys.def"
#undef FKEY_STR
#undef FKEY_PATH
#undef FKEY_INT
#undef FKEY_BATCH
	memset(st, 0, sizeof(*st));
}

/* Typed settings from the raw layers: defaults, then each layer in order. */
static int
settings_build(struct fleet_settings *st, const struct fleet_section **layers, size_t nl)
{
	const char *raw[FK_COUNT_] = {
#define FKEY_STR(n, d, h) d,
#define FKEY_PATH(n, d, h) d,
#define FKEY_INT(n, d, lo, hi, h) NULL,
#define FKEY_BATCH(n, d, h) d,
#include "fleet_keys.def"
#undef FKEY_STR
#undef FKEY_PATH
#undef FKEY_INT
#undef FKEY_BATCH
	};
	struct passwd *pw;
	long long v;

	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < nl; i++)
		for (int k = 0; k < FK_COUNT_; k++)
			if (layers[i] && layers[i]->val[k]) {
				raw[k] = layers[i]->val[k];
				st->identity_set |= k == FK_identity;
			}
#define FKEY_STR(n, d, h) if ((st->n = strdup(raw[FK_##n])) == NULL) goto nomem;
#define FKEY_PATH(n, d, h) if ((st->n = expand_path(raw[FK_##n])) == NULL) goto nomem;
#define FKEY_INT(n, d, lo, hi, h) \
	st->n = (d); \
	if (raw[FK_##n] && parse_int(raw[FK_##n], lo, hi, &v) == 0) \
		st->n = v;
#define FKEY_BATCH(n, d, h) if ((st->n = strdup(raw[FK_##n])) == NULL) goto nomem;
#include "fleet_keys.def"
#undef FKEY_STR
#undef FKEY_PATH
#undef FKEY_INT
#undef FKEY_BATCH
	if (st->user[0] == '\0' && (pw = getpwuid(getuid())) != NULL) {
		free(st->user);
		if ((st->user = strdup(pw->pw_name)) == NULL)
			goto nomem;
	}
	return CUT_OK;
 nomem:
	settings_free(st);
	return CUT_ERR_ALLOC;
}

/* Is name a host of the file (a [host] section or a group member)? */
static int
known_host(const struct fleet_conf *fc, const char *name)
{
	return lookup(fc, FSEC_HOST, name) != NULL || ni_get(&fc->member, name) != NI_NONE;
}

/* Settings of host name: [fleet], then group (or every group naming it), then [host name]. */
static int
resolve_host(const struct fleet_conf *fc, const struct fleet_section *group, const char *name,
    struct fleet_host *h)
{
	const struct fleet_section **layers;
	const struct fleet_section *hs;
	size_t nl = 0, pos = 0, ng = 0;
	int r;

	memset(h, 0, sizeof(*h));
	while (group == NULL && ni_next(&fc->member, name, &pos) != NI_NONE)
		ng++;
	if ((layers = calloc(ng + 3, sizeof(*layers))) == NULL)
		return CUT_ERR_ALLOC;
	layers[nl++] = lookup(fc, FSEC_FLEET, NULL);
	pos = 0;
	if (group)
		layers[nl++] = group;
	else
		for (size_t v; (v = ni_next(&fc->member, name, &pos)) != NI_NONE;)
			layers[nl++] = &fc->sec[v];
	hs = lookup(fc, FSEC_HOST, name);
	layers[nl++] = hs;
	r = settings_build(&h->s, layers, nl);
	free(layers);
	if (r != CUT_OK)
		return r;
	h->name = strdup(name);
	h->address = strdup(hs && hs->address ? hs->address : name);
	if (h->name == NULL || h->address == NULL)
		return CUT_ERR_ALLOC;
	return CUT_OK;
}

static void
host_free_fields(struct fleet_host *h)
{
	if (h->jump) {
		host_free_fields(h->jump);
		free(h->jump);
	}
	free(h->name);
	free(h->address);
	settings_free(&h->s);
	memset(h, 0, sizeof(*h));
}

/*
 * The jump host of h from its jump value [USER@]HOST[:PORT]: HOST's own
 * settings when the file describes it, else h's settings with HOST as the
 * address and port 22.
 */
static int
resolve_jump(const struct fleet_conf *fc, struct fleet_host *h, char *err, size_t errlen)
{
	char spec[FLEET_NAME_MAX * 2 + 2], *host = spec, *user = NULL, *port, *at;
	struct fleet_host *j;
	long long pv = 0;
	int r;

	if (strlen(h->s.jump) >= sizeof(spec)) {
		snprintf(err, errlen, "%s: jump: \"%.40s...\" is too long", h->name, h->s.jump);
		return CUT_ERR_CONFIG;
	}
	snprintf(spec, sizeof(spec), "%s", h->s.jump);
	if ((at = strrchr(spec, '@')) != NULL) {
		*at = '\0';
		user = spec;
		host = at + 1;
	}
	if ((port = strrchr(host, ':')) != NULL) {
		*port++ = '\0';
		if (parse_int(port, 1, 65535, &pv) != 0) {
			snprintf(err, errlen, "%s: jump: \"%s\" is not a port", h->name, port);
			return CUT_ERR_CONFIG;
		}
	}
	if (!name_ok(host) || (user && (*user == '\0' || strpbrk(user, " \t/:") != NULL))) {
		snprintf(err, errlen, "%s: jump: \"%s\" is not [USER@]HOST[:PORT]", h->name, h->s.jump);
		return CUT_ERR_CONFIG;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return CUT_ERR_ALLOC;
	if (known_host(fc, host))
		r = resolve_host(fc, NULL, host, j);
	else {
		const struct fleet_section *layers[1] = { lookup(fc, FSEC_FLEET, NULL) };

		r = settings_build(&j->s, layers, 1);
		j->name = strdup(host);
		j->address = strdup(host);
		if (r == CUT_OK && (j->name == NULL || j->address == NULL))
			r = CUT_ERR_ALLOC;
		if (r == CUT_OK)
			j->s.port = 22;
	}
	if (r == CUT_OK && user) {
		free(j->s.user);
		if ((j->s.user = strdup(user)) == NULL)
			r = CUT_ERR_ALLOC;
	}
	if (r == CUT_OK && pv)
		j->s.port = pv;
	if (r != CUT_OK) {
		host_free_fields(j);
		free(j);
		return r;
	}
	j->s.jump[0] = '\0';	/* one hop only */
	h->jump = j;
	return CUT_OK;
}

/* Append host name to the selection (once), resolving its settings. */
static int
add_host(const struct fleet_conf *fc, const struct fleet_section *group,
    struct fleet_sel *sel, const char *name, char *err, size_t errlen)
{
	struct fleet_host *nh;
	int r;

	if (ni_get(&sel->by_name, name) != NI_NONE)
		return CUT_OK;
	if (sel->n == sel->cap) {
		size_t cap = sel->cap ? 2 * sel->cap : 16;

		if ((nh = realloc(sel->hosts, cap * sizeof(*nh))) == NULL)
			return CUT_ERR_ALLOC;
		sel->hosts = nh;
		sel->cap = cap;
	}
	r = resolve_host(fc, group, name, &sel->hosts[sel->n]);
	sel->n++;
	/* Keyed by the name resolve_host copied: it lives as long as the selection. */
	if (sel->hosts[sel->n - 1].name && ni_add(&sel->by_name, sel->hosts[sel->n - 1].name, sel->n - 1) != 0)
		return CUT_ERR_ALLOC;
	if (r == CUT_OK && sel->hosts[sel->n - 1].s.jump[0] != '\0')
		r = resolve_jump(fc, &sel->hosts[sel->n - 1], err, errlen);
	return r;
}

/* Fenced by the file: its [host] or a group naming it says enabled = no. */
static int
host_disabled(const struct fleet_conf *fc, const char *name)
{
	const struct fleet_section *hs = lookup(fc, FSEC_HOST, name);
	size_t v, pos = 0;

	if (hs && hs->disabled)
		return 1;
	while ((v = ni_next(&fc->member, name, &pos)) != NI_NONE)
		if (fc->sec[v].disabled)
			return 1;
	return 0;
}

/* Record name as excluded for reason (once). */
static int
add_excluded(struct fleet_sel *sel, const char *name, const char *reason)
{
	struct fleet_excluded *ne;

	if (ni_get(&sel->excl_by_name, name) != NI_NONE)
		return CUT_OK;
	if ((ne = realloc(sel->excl, (sel->nexcl + 1) * sizeof(*ne))) == NULL)
		return CUT_ERR_ALLOC;
	sel->excl = ne;
	if ((ne[sel->nexcl].name = strdup(name)) == NULL)
		return CUT_ERR_ALLOC;
	if (ni_add(&sel->excl_by_name, ne[sel->nexcl].name, sel->nexcl) != 0) {
		free(ne[sel->nexcl].name);
		return CUT_ERR_ALLOC;
	}
	ne[sel->nexcl++].reason = reason;
	return CUT_OK;
}

/* Split a --hosts/--exclude list and check every name is a host of the file (and of g). */
static int
split_known(const struct fleet_conf *fc, const struct fleet_section *g, const char *opt,
    const char *csv, char ***out, char *err, size_t errlen)
{
	char reason[256] = "";
	int r;

	if ((r = split_names(csv, out, reason, sizeof(reason))) != CUT_OK) {
		snprintf(err, errlen, "%s: %s", opt, reason);
		return r == CUT_ERR_ALLOC ? r : CUT_ERR_USAGE;
	}
	for (char **p = *out; *p; p++) {
		if (!known_host(fc, *p))
			snprintf(err, errlen, "%s: %s: no such host in %s", opt, *p, fc->file);
		else if (g && !group_has(fc, g, *p))
			snprintf(err, errlen, "%s: %s: not in group %s", opt, *p, g->name);
		else
			continue;
		strv_free(*out);
		*out = NULL;
		return CUT_ERR_USAGE;
	}
	return CUT_OK;
}

/* Take name into the selection, unless enabled = no or --exclude fences it off. */
static int
take_host(const struct fleet_conf *fc, const struct fleet_section *g, const struct name_index *exclude,
    struct fleet_sel *sel, const char *name, char *err, size_t errlen)
{
	if (host_disabled(fc, name))
		return add_excluded(sel, name, FLEET_WHY_DISABLED);
	if (ni_get(exclude, name) != NI_NONE)
		return add_excluded(sel, name, FLEET_WHY_EXCLUDE);
	return add_host(fc, g, sel, name, err, errlen);
}

/* Every host the selection names, fenced or not, through take_host. */
static int
take_all(const struct fleet_conf *fc, const struct fleet_section *g, char **names,
    const struct name_index *exclude, struct fleet_sel *sel, char *err, size_t errlen)
{
	int r = CUT_OK;

	if (names) {
		for (char **p = names; r == CUT_OK && *p; p++)
			r = take_host(fc, g, exclude, sel, *p, err, errlen);
		return r;
	}
	if (g) {
		for (char **p = g->hosts; r == CUT_OK && p && *p; p++)
			r = take_host(fc, g, exclude, sel, *p, err, errlen);
		return r;
	}
	for (size_t i = 0; r == CUT_OK && i < fc->nsec; i++) {
		const struct fleet_section *s = &fc->sec[i];

		if (s->kind == FSEC_HOST)
			r = take_host(fc, NULL, exclude, sel, s->name, err, errlen);
		for (char **p = s->kind == FSEC_GROUP ? s->hosts : NULL; r == CUT_OK && p && *p; p++)
			r = take_host(fc, NULL, exclude, sel, *p, err, errlen);
	}
	return r;
}

/* The error when fencing left nothing: which hosts, and why each. */
static void
all_excluded(const struct fleet_sel *sel, char *err, size_t errlen)
{
	size_t used = (size_t)snprintf(err, errlen, "no hosts selected (all excluded):");

	for (size_t i = 0; i < sel->nexcl && used < errlen; i++)
		used += (size_t)snprintf(err + used, errlen - used, " %s (%s)", sel->excl[i].name,
		    sel->excl[i].reason);
}

int
fleet_select(const struct fleet_conf *fc, const char *hosts_csv, const char *group,
    const char *exclude_csv, struct fleet_sel *sel, char *err, size_t errlen)
{
	const struct fleet_section *layers[2];
	const struct fleet_section *g = NULL;
	char **names = NULL, **exclude = NULL;
	struct name_index xi = NAME_INDEX_INIT;
	int r;

	memset(sel, 0, sizeof(*sel));
	if (group && (g = lookup(fc, FSEC_GROUP, group)) == NULL) {
		snprintf(err, errlen, "--group %s: no [group %s] in %s", group, group, fc->file);
		return CUT_ERR_USAGE;
	}
	layers[0] = lookup(fc, FSEC_FLEET, NULL);
	layers[1] = g;
	if ((r = settings_build(&sel->global, layers, 2)) != CUT_OK)
		return r;
	/* --hosts with --group: the intersection, and a name outside the group is a typo. */
	if (hosts_csv && (r = split_known(fc, g, "--hosts", hosts_csv, &names, err, errlen)) != CUT_OK)
		goto fail;
	if (exclude_csv && (r = split_known(fc, NULL, "--exclude", exclude_csv, &exclude, err, errlen)) != CUT_OK)
		goto fail;
	for (char **p = exclude; p && *p; p++)
		if (ni_add(&xi, *p, 0) != 0) {
			r = CUT_ERR_ALLOC;
			goto fail;
		}
	if ((r = take_all(fc, g, names, &xi, sel, err, errlen)) != CUT_OK)
		goto fail;
	if (sel->n == 0) {
		if (sel->nexcl > 0)
			all_excluded(sel, err, errlen);
		else
			snprintf(err, errlen, "no hosts selected (%s has none%s%s)", fc->file,
			    group ? " in group " : "", group ? group : "");
		r = CUT_ERR_USAGE;
		goto fail;
	}
	strv_free(names);
	strv_free(exclude);
	ni_free(&xi);
	return CUT_OK;
 fail:
	if (r == CUT_ERR_ALLOC)
		snprintf(err, errlen, "out of memory");
	strv_free(names);
	strv_free(exclude);
	ni_free(&xi);
	fleet_sel_free(sel);
	return r;
}

void
fleet_sel_excluded(const struct fleet_sel *sel, const char *reason, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sel->nexcl && used < len; i++)
		if (reason == NULL || strcmp(sel->excl[i].reason, reason) == 0)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "",
			    sel->excl[i].name);
}

void
fleet_sel_free(struct fleet_sel *sel)
{
	for (size_t i = 0; i < sel->n; i++)
		host_free_fields(&sel->hosts[i]);
	free(sel->hosts);
	for (size_t i = 0; i < sel->nexcl; i++)
		free(sel->excl[i].name);
	free(sel->excl);
	ni_free(&sel->by_name);
	ni_free(&sel->excl_by_name);
	settings_free(&sel->global);
	memset(sel, 0, sizeof(*sel));
}

static void
settings_dump(const struct fleet_settings *st, FILE *f)
{
#define FKEY_STR(n, d, h) fprintf(f, "%s = %s\n", #n, st->n);
#define FKEY_PATH(n, d, h) fprintf(f, "%s = %s\n", #n, st->n);
#define FKEY_INT(n, d, lo, hi, h) fprintf(f, "%s = %lld\n", #n, st->n);
#define FKEY_BATCH(n, d, h) fprintf(f, "%s = %s\n", #n, st->n);
#include "fleet_keys.def"
#undef FKEY_STR
#undef FKEY_PATH
#undef FKEY_INT
#undef FKEY_BATCH
}

void
fleet_sel_dump(const struct fleet_conf *fc, const struct fleet_sel *sel, FILE *f)
{
	fprintf(f, "[fleet]\n");
	settings_dump(&sel->global, f);
	if (fc != NULL && fc->pool[0] != NULL)
		fprintf(f, "blue_green = %s %s\nswitch = %s\n", fc->pool[0], fc->pool[1],
		    fc->switch_cmd ? fc->switch_cmd : "");
	for (size_t i = 0; i < sel->n; i++) {
		fprintf(f, "\n[host %s]\naddress = %s\n", sel->hosts[i].name, sel->hosts[i].address);
		settings_dump(&sel->hosts[i].s, f);
	}
}
