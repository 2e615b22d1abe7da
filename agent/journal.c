#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fault.h"
#include "fsutil.h"
#include "journal.h"
#include "state.h"

/* Keys whose values are numbers, so JSON output types them as such. */
static const char *const int_keys[] = {
	"ts_ms", "duration_ms", "pid", "entries", "bytes", "archive_bytes", "exit", NULL
};

/* The operation's identity (ident.h), added to every record; NULL: none. */
static const struct kvlist *identity;

void
journal_identity(const struct kvlist *fields)
{
	identity = fields;
}

static void
append_escaped(char **p, size_t *left, const char *s)
{
	for (; *s && *left > 2; s++) {
		const char *esc = NULL;

		switch (*s) {
		case '\\': esc = "\\\\"; break;
		case '\t': esc = "\\t"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		}
		if (esc) {
			*(*p)++ = esc[0];
			*(*p)++ = esc[1];
			*left -= 2;
		} else {
			*(*p)++ = *s;
			(*left)--;
		}
	}
}

static void
append_field(char **p, size_t *left, const char *key, const char *val)
{
	if (*left < strlen(key) + 4)
		return;
	append_escaped(p, left, key);
	*(*p)++ = '=';
	(*left)--;
	append_escaped(p, left, val ? val : "");
	*(*p)++ = '\t';
	(*left)--;
}

static const char *
current_user(void)
{
	struct passwd *pw = getpwuid(geteuid());

	return pw ? pw->pw_name : "?";
}

/*
 * If the file ends in a torn line (a crash or a full disk mid-append), cut
 * it off so our record starts clean. A torn record is never made whole:
 * ended with a newline, a prefix such as "release=web-1" of
 * "release=web-1.2", or an end record without its outcome, would be read
 * as a record that says something else. So the journal reads as if the
 * torn append never happened, which is what readers (journal_foreach)
 * already assume. Only the lock holder appends, so nobody is mid-write.
 * *torn says a tail was cut.
 */
static int
drop_torn_tail(int fd, int *torn)
{
	struct stat st;
	char buf[4096];
	off_t end, keep = 0;

	*torn = 0;
	if (fstat(fd, &st) == -1)
		return CUT_ERR_SYSTEM;
	end = st.st_size;
	if (end == 0)
		return CUT_OK;
	if (pread(fd, buf, 1, end - 1) != 1)
		return CUT_ERR_SYSTEM;
	if (buf[0] == '\n')
		return CUT_OK;
	*torn = 1;
	while (end > 0 && keep == 0) {
		size_t n = end > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)end;
		ssize_t got = pread(fd, buf, n, end - (off_t)n);

		if (got != (ssize_t)n)
			return CUT_ERR_SYSTEM;
		end -= (off_t)n;
		for (size_t i = n; i-- > 0 && keep == 0;)
			if (buf[i] == '\n')
				keep = end + (off_t)i + 1;
	}
	if (ftruncate(fd, keep) == -1 || fdatasync(fd) == -1)
		return CUT_ERR_SYSTEM;
	return CUT_OK;
}

#ifdef CUT_FAULT_INJECTION
/*
 * CUTOVER_FAULT=journal.torn[@N]: the Nth append writes only the first
 * CUTOVER_FAULT_KEEP bytes (default half; never the newline) of its line,
 * then the process is killed: a crash mid-write, for
 * tests/regress/agent-torn.sh.
 */
static void
fault_torn(int fd, const char *line, size_t len)
{
	const char *keep = getenv("CUTOVER_FAULT_KEEP");
	size_t n = keep ? (size_t)atol(keep) : len / 2;

	if (!fault_hit("journal.torn"))
		return;
	if (n >= len)
		n = len - 1;
	(void)write_full(fd, line, n);
	(void)fdatasync(fd);
	fault_kill();
}
#endif

static int parse_line(char *line, struct kvlist *rec);

/*
 * Fold the line just written into the app's state as a replay would read
 * it back, so the two cannot disagree. After a failed or partial write, or
 * when a torn tail was cut off, the state is dropped instead and the next
 * app_state() replays the file.
 */
static void
fold_written(struct app *app, char *line, int ok)
{
	struct kvlist rec = KVLIST_INIT;
	int saved = errno;	/* the caller reports a failed append's */

	if (app->state == NULL)
		return;
	if (!ok || parse_line(line, &rec) != CUT_OK)
		app_state_drop(app);
	else
		app_state_journalled(app, &rec);
	kv_free(&rec);
	errno = saved;
}

int
journal_append(struct app *app, const char *op, const char *phase,
    const struct kvlist *rec)
{
	/*
	 * Records are bounded: hook output is capped at JOURNAL_OUTPUT_MAX, a
	 * rollout note at 24 values of 4096 bytes (each may double when escaped).
	 */
	static char line[256 * 1024];
	char *p = line, tbuf[32], num[32];
	size_t left = sizeof(line) - 2;
	long long ts = now_ms();
	int fd, r, torn = 0;

	format_time(ts, tbuf);
	append_field(&p, &left, "time", tbuf);
	snprintf(num, sizeof(num), "%lld", ts);
	append_field(&p, &left, "ts_ms", num);
	append_field(&p, &left, "op", op);
	append_field(&p, &left, "phase", phase);
	for (size_t i = 0; rec && i < rec->n; i++)
		append_field(&p, &left, rec->v[i].key, rec->v[i].val);
	if (strcmp(phase, "begin") == 0) {
		const char *env;

		/* Who: only on begin records, to keep lines short. */
		append_field(&p, &left, "user", current_user());
		snprintf(num, sizeof(num), "%ld", (long)getpid());
		append_field(&p, &left, "pid", num);
		if ((env = getenv("SSH_CLIENT")) != NULL)
			append_field(&p, &left, "ssh_client", env);
	}
	/* Rollout, kind, actor, key: on begin and end, so either alone says whose. */
	for (size_t i = 0; identity && i < identity->n; i++)
		append_field(&p, &left, identity->v[i].key, identity->v[i].val);
	p[-1] = '\n';	/* replace the last TAB */

	fd = openat(app->statefd, JOURNAL_FILE, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		return CUT_ERR_SYSTEM;
	FAULT_POINT("journal.append");
#ifdef CUT_FAULT_INJECTION
	if (drop_torn_tail(fd, &torn) == CUT_OK)
		fault_torn(fd, line, (size_t)(p - line));
#endif
	if ((r = drop_torn_tail(fd, &torn)) == CUT_OK &&
	    (r = write_full(fd, line, (size_t)(p - line))) == CUT_OK &&
	    fdatasync(fd) == -1)
		r = CUT_ERR_SYSTEM;
	close(fd);
	p[-1] = '\0';
	fold_written(app, line, r == CUT_OK && !torn);
	FAULT_POINT("journal.appended");
	return r;
}

static void
unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (*r == '\\' && r[1] != '\0') {
			r++;
			switch (*r) {
			case 't': *w++ = '\t'; break;
			case 'n': *w++ = '\n'; break;
			case 'r': *w++ = '\r'; break;
			default: *w++ = *r; break;
			}
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static int
is_int_key(const char *k)
{
	for (int i = 0; int_keys[i]; i++)
		if (strcmp(k, int_keys[i]) == 0)
			return 1;
	return 0;
}

static int
parse_line(char *line, struct kvlist *rec)
{
	char *save = NULL;

	for (char *f = strtok_r(line, "\t", &save); f; f = strtok_r(NULL, "\t", &save)) {
		char *eq = strchr(f, '=');
		int r;

		if (eq == NULL)
			continue;	/* not ours; skip rather than fail the whole journal */
		*eq = '\0';
		unescape(f);
		unescape(eq + 1);
		r = kv_add_typed(rec, f, eq + 1, is_int_key(f) ? KV_INT : KV_STR);
		if (r != CUT_OK)
			return r;
	}
	return CUT_OK;
}

int
journal_foreach(struct app *app, int (*fn)(void *ctx, const struct kvlist *rec), void *ctx)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int fd, r = CUT_OK;

	if (app->statefd == -1)
		return CUT_OK;	/* read-only open, no .cutover: no records */
	fd = openat(app->statefd, JOURNAL_FILE, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? CUT_OK : CUT_ERR_SYSTEM;
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return CUT_ERR_SYSTEM;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		struct kvlist rec = KVLIST_INIT;

		if (line[len - 1] != '\n')
			break;	/* torn last line from a crash: never acted upon */
		line[len - 1] = '\0';
		if ((r = parse_line(line, &rec)) == CUT_OK && kv_get(&rec, "op") != NULL)
			r = fn(ctx, &rec) ? 1 : CUT_OK;
		kv_free(&rec);
		if (r != CUT_OK)
			break;
	}
	free(line);
	fclose(f);
	return r < 0 ? r : CUT_OK;
}
