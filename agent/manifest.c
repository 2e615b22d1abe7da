/*
 * The release manifest and the migration guard (manifest.h). The manifest
 * is strict (an unknown key or section is an error, not ignored): it is
 * what decides whether a rollback may run, so a typo such as
 * "compatable_from" must not silently disable the guard.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "manifest.h"
#include "rfc3339.h"
#include "state.h"

struct mparse {
	struct manifest *m;
	int seen_section;
	int has_compat;
	char reason[256];
};

/* Printable, no blanks, 1..MANIFEST_VALUE_MAX bytes: fits a journal field and an env var. */
static int
word_ok(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > MANIFEST_VALUE_MAX)
		return 0;
	for (const char *p = v; *p; p++)
		if (!isgraph((unsigned char)*p))
			return 0;
	return 1;
}

/* A schema number: decimal, 0..SCHEMA_MAX. */
static int
schema_num(const char *v, long long *out)
{
	char *end;
	long long n;

	if (!isdigit((unsigned char)v[0]))
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*end != '\0' || errno != 0 || n > SCHEMA_MAX)
		return 0;
	*out = n;
	return 1;
}

static int
mhandler(void *ctx, const char *section, const char *name, const char *value)
{
	struct mparse *p = ctx;
	struct manifest *m = p->m;

	if (strcmp(section, "release") != 0) {
		snprintf(p->reason, sizeof(p->reason), "unknown section [%.64s] (want [release])",
		    section);
		return 0;
	}
	p->seen_section = 1;
	if (strcmp(name, "version") == 0 || strcmp(name, "commit") == 0) {
		if (!word_ok(value)) {
			snprintf(p->reason, sizeof(p->reason), "%s: \"%.64s\" is not 1 to %d "
			    "printable characters without blanks", name, value, MANIFEST_VALUE_MAX);
			return 0;
		}
		strcpy(strcmp(name, "version") == 0 ? m->version : m->commit, value);
	} else if (strcmp(name, "committed_at") == 0) {
		long long ms = rfc3339_ms(value);

		if (ms < 0 || strlen(value) >= sizeof(m->committed_at)) {
			snprintf(p->reason, sizeof(p->reason), "committed_at: \"%.64s\" is not an "
			    "RFC 3339 time (2026-11-30T10:12:00Z)", value);
			return 0;
		}
		strcpy(m->committed_at, value);
		m->committed_ms = ms;
	} else if (strcmp(name, "schema") == 0 || strcmp(name, "compatible_from") == 0) {
		long long n;

		if (!schema_num(value, &n)) {
			snprintf(p->reason, sizeof(p->reason), "%s: \"%.64s\" is not a number "
			    "from 0 to %lld", name, value, SCHEMA_MAX);
			return 0;
		}
		if (name[0] == 's') {
			m->schema = n;
			m->has_schema = 1;
		} else {
			m->compatible_from = n;
			p->has_compat = 1;
		}
	} else {
		snprintf(p->reason, sizeof(p->reason), "unknown key \"%.64s\" (version, commit, "
		    "committed_at, schema, compatible_from)", name);
		return 0;
	}
	return 1;
}

/* Open the manifest: fd; -2 when absent; -1 with why set when unusable. */
static int
open_manifest(int dirfd, char *why, size_t whylen)
{
	struct stat sb;
	int fd = openat(dirfd, MANIFEST_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd == -1 && errno == ENOENT)
		return -2;
	if (fd == -1) {
		snprintf(why, whylen, MANIFEST_FILE ": cannot open: %s%s", strerror(errno),
		    errno == ELOOP ? " (a symbolic link)" : "");
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		snprintf(why, whylen, MANIFEST_FILE ": %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > MANIFEST_MAX_BYTES) {
		snprintf(why, whylen, MANIFEST_FILE ": %s", !S_ISREG(sb.st_mode) ?
		    "not a regular file" : "larger than 64 KiB");
		close(fd);
		return -1;
	}
	return fd;
}

int
manifest_read(int dirfd, struct manifest *m, char *why, size_t whylen)
{
	struct mparse p = { .m = m };
	FILE *f;
	int fd, line;

	memset(m, 0, sizeof(*m));
	if ((fd = open_manifest(dirfd, why, whylen)) < 0)
		return fd == -2 ? CUT_OK : CUT_ERR_BAD_ARCHIVE;
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return CUT_ERR_ALLOC;
	}
	line = ini_parse_file(f, mhandler, &p);
	fclose(f);
	if (line != 0) {
		snprintf(why, whylen, MANIFEST_FILE ":%d: %s", line, p.reason[0] ? p.reason :
		    "syntax error");
		return CUT_ERR_BAD_ARCHIVE;
	}
	if (!p.seen_section) {
		snprintf(why, whylen, MANIFEST_FILE ": no [release] section");
		return CUT_ERR_BAD_ARCHIVE;
	}
	if (p.has_compat && !m->has_schema) {
		snprintf(why, whylen, MANIFEST_FILE ": compatible_from without schema");
		return CUT_ERR_BAD_ARCHIVE;
	}
	/* Without compatible_from nothing older is known to run against this schema. */
	if (!p.has_compat)
		m->compatible_from = m->schema;
	if (m->has_schema && m->compatible_from > m->schema) {
		snprintf(why, whylen, MANIFEST_FILE ": compatible_from %lld is above schema %lld",
		    m->compatible_from, m->schema);
		return CUT_ERR_BAD_ARCHIVE;
	}
	m->present = 1;
	return CUT_OK;
}

int
manifest_to_kv(const struct manifest *m, struct kvlist *rec)
{
	if (!m->present)
		return CUT_OK;
	if ((m->version[0] && kv_add(rec, "version", m->version) != CUT_OK) ||
	    (m->commit[0] && kv_add(rec, "commit", m->commit) != CUT_OK) ||
	    (m->committed_at[0] && kv_add(rec, "committed_at", m->committed_at) != CUT_OK) ||
	    (m->has_schema && kv_add_int(rec, "schema", m->schema) != CUT_OK) ||
	    (m->has_schema && kv_add_int(rec, "compatible_from", m->compatible_from) != CUT_OK))
		return CUT_ERR_ALLOC;
	return kv_add_bool(rec, "manifest", 1);
}

void
manifest_from_kv(struct manifest *m, const struct kvlist *rec)
{
	const char *v;
	long long n;

	memset(m, 0, sizeof(*m));
	if (kv_get(rec, "manifest") == NULL)
		return;
	m->present = 1;
	if ((v = kv_get(rec, "version")) && word_ok(v))
		strcpy(m->version, v);
	if ((v = kv_get(rec, "commit")) && word_ok(v))
		strcpy(m->commit, v);
	if ((v = kv_get(rec, "committed_at")) && strlen(v) < sizeof(m->committed_at) &&
	    (n = rfc3339_ms(v)) >= 0) {
		strcpy(m->committed_at, v);
		m->committed_ms = n;
	}
	if ((v = kv_get(rec, "schema")) && schema_num(v, &m->schema)) {
		m->has_schema = 1;
		m->compatible_from = m->schema;
		if ((v = kv_get(rec, "compatible_from")) && schema_num(v, &n) && n <= m->schema)
			m->compatible_from = n;
	}
}

static void
env_set(const char *name, const char *v)
{
	if (v != NULL && v[0])
		setenv(name, v, 1);
	else
		unsetenv(name);
}

void
manifest_setenv(const struct manifest *m)
{
	char s[24] = "", c[24] = "";

	if (m != NULL && m->has_schema) {
		snprintf(s, sizeof(s), "%lld", m->schema);
		snprintf(c, sizeof(c), "%lld", m->compatible_from);
	}
	env_set("CUTOVER_VERSION", m ? m->version : NULL);
	env_set("CUTOVER_COMMIT", m ? m->commit : NULL);
	env_set("CUTOVER_COMMITTED_AT", m ? m->committed_at : NULL);
	env_set("CUTOVER_SCHEMA", s);
	env_set("CUTOVER_COMPATIBLE_FROM", c);
}

int
schema_guard(const struct state *st, const char *id, char *why, size_t whylen)
{
	const struct release_info *ri = state_find(st, id);

	if (!st->schema_known || ri == NULL || !ri->man.has_schema ||
	    ri->man.schema >= st->schema_floor)
		return 0;
	snprintf(why, whylen, "release %s runs against schema %lld, but schema %lld is applied "
	    "and runs releases from schema %lld on (expand/contract: cutover-agent(8), "
	    "RELEASE MANIFEST); --force-schema overrides", id, ri->man.schema,
	    st->schema_applied, st->schema_floor);
	return 1;
}

void
schema_status_text(FILE *m, const struct state *st, const char *prev)
{
	const struct release_info *cur = st->current[0] ? state_find(st, st->current) : NULL;
	char why[512], sch[24] = "-";

	if (cur != NULL && cur->man.has_schema)
		snprintf(sch, sizeof(sch), "%lld", cur->man.schema);
	if (cur != NULL && cur->man.present)
		fprintf(m, "manifest: version %s, commit %s, committed %s, schema %s\n",
		    cur->man.version[0] ? cur->man.version : "-",
		    cur->man.commit[0] ? cur->man.commit : "-",
		    cur->man.committed_at[0] ? cur->man.committed_at : "-", sch);
	if (!st->schema_known)
		return;
	fprintf(m, "schema:   %lld applied (runs releases from schema %lld on); rollback to %s: %s\n",
	    st->schema_applied, st->schema_floor, prev ? prev : "none",
	    prev == NULL ? "nothing to roll back to" :
	    schema_guard(st, prev, why, sizeof(why)) ? "REFUSED (schema below the floor)" : "safe");
}

/* "ID=SCHEMA ..." for every release on disk whose manifest names a schema. */
static char *
release_schemas(const struct state *st)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		return NULL;
	for (size_t i = 0; i < st->nrel; i++)
		if (st->rel[i].on_disk && st->rel[i].man.has_schema)
			fprintf(f, "%s%s=%lld", ftell(f) > 0 ? " " : "", st->rel[i].id,
			    st->rel[i].man.schema);
	fclose(f);
	return out;
}

void
schema_status_fields(struct kvlist *res, const struct state *st, const char *prev)
{
	const struct release_info *cur = st->current[0] ? state_find(st, st->current) : NULL;
	char why[512], *rs = release_schemas(st);

	if (st->schema_known) {
		kv_add_int(res, "schema_applied", st->schema_applied);
		kv_add_int(res, "schema_floor", st->schema_floor);
	} else {
		kv_add(res, "schema_applied", "");
		kv_add(res, "schema_floor", "");
	}
	kv_add(res, "release_schemas", rs ? rs : "");
	free(rs);
	kv_add_bool(res, "rollback_safe", prev != NULL && !schema_guard(st, prev, why, sizeof(why)));
	if (cur != NULL && cur->man.present) {
		kv_add(res, "current_version", cur->man.version);
		kv_add(res, "current_commit", cur->man.commit);
		kv_add(res, "current_committed_at", cur->man.committed_at);
		if (cur->man.has_schema)
			kv_add_int(res, "current_schema", cur->man.schema);
	}
}
