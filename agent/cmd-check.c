/*
 * cutover-agent check [APP]: what would block a deploy, found before one
 * runs. Reads only: it validates agent.ini as a whole, then for each app
 * (APP, or every [app NAME]) opens ROOT read-only, which already refuses a
 * .cutover, lock or journal that is not private to this user (app.c,
 * check_private), and looks at ownership and modes, free space against
 * the last release's size, and the hook commands. Exit 0 when nothing
 * blocks, 2 when something does. Not the wire request `check` (ops-check.c),
 * which re-runs a health check. cutover-agent(8), check.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "agent_conf.h"
#include "activation.h"
#include "app.h"
#include "cli.h"
#include "cmds.h"
#include "err.h"
#include "journal.h"
#include "kv.h"
#include "log.h"
#include "signers.h"
#include "state.h"
#include "strv.h"

#define USAGE "[APP]"

/* What one app's check found: problems block a deploy, notes do not. */
struct findings {
	struct kvlist out;	/* app, root, ok, problems, notes */
	char problems[4096];
	char notes[2048];
	int nproblems;
};

static void
add_text(char *buf, size_t len, const char *fmt, va_list ap)
{
	size_t used = strlen(buf);

	if (used > 0 && used + 2 < len) {
		strcpy(buf + used, "; ");
		used += 2;
	}
	if (used < len)
		vsnprintf(buf + used, len - used, fmt, ap);
}

static void __attribute__((format(printf, 2, 3)))
problem(struct findings *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_text(f->problems, sizeof(f->problems), fmt, ap);
	va_end(ap);
	f->nproblems++;
}

static void __attribute__((format(printf, 2, 3)))
note(struct findings *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_text(f->notes, sizeof(f->notes), fmt, ap);
	va_end(ap);
}

/* A directory below ROOT the agent writes into: ours or writable, and not by everyone. */
static void
check_dir(struct findings *f, const struct app *app, int fd, const char *what)
{
	struct stat st;

	if (fd == -1 || fstat(fd, &st) == -1)
		return;
	if (geteuid() == 0 && st.st_uid != 0) {
		const struct passwd *pw = getpwuid(st.st_uid);

		problem(f, "%s%s belongs to %s: root is refused there; run check and deploys as "
		    "that user", app->conf.root, what, pw ? pw->pw_name : "another user");
		return;
	}
	if (faccessat(fd, ".", W_OK, AT_EACCESS) == -1)
		problem(f, "%s%s is not writable by this user", app->conf.root, what);
	if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0)
		problem(f, "%s%s is writable by everyone (mode %04o): anyone could swap releases",
		    app->conf.root, what, (unsigned)(st.st_mode & 07777));
}

/*
 * .cutover, its lock and journal belong to ROOT's owner, the user every
 * deploy runs as. Opening them already refused another user's for that
 * user; root, who may read anything, is told here.
 */
static void
check_state_owner(struct findings *f, const struct app *app)
{
	static const char *const names[] = { ".", "lock", JOURNAL_FILE, NULL };
	struct stat root, st;

	if (app->statefd == -1 || fstat(app->rootfd, &root) == -1)
		return;
	for (int i = 0; names[i]; i++) {
		const struct passwd *pw;

		if (fstatat(app->statefd, names[i], &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    st.st_uid == root.st_uid)
			continue;
		pw = getpwuid(st.st_uid);
		problem(f, "%s/%s%s%s belongs to %s #%lu, not to ROOT's owner", app->conf.root,
		    STATE_DIR, i ? "/" : "", i ? names[i] : "", pw ? pw->pw_name : "uid",
		    (unsigned long)st.st_uid);
	}
}

/* A missing ROOT is made by the first deploy: its parent must let us. */
static void
check_missing_root(struct findings *f, const struct app *app)
{
	char parent[4096];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", app->conf.root);
	while ((slash = strrchr(parent, '/')) != NULL && slash[1] == '\0' && slash != parent)
		*slash = '\0';
	if ((slash = strrchr(parent, '/')) == NULL)
		snprintf(parent, sizeof(parent), ".");
	else
		slash[slash == parent] = '\0';
	if (access(parent, W_OK | X_OK) == -1)
		problem(f, "%s does not exist and %s is not writable by this user (%s)",
		    app->conf.root, parent, strerror(errno));
	else
		note(f, "%s does not exist yet: the first deploy creates it", app->conf.root);
}

/* journal_foreach: the unpacked size of the newest installed release. */
static int
last_bytes(void *ctx, const struct kvlist *rec)
{
	const char *op = kv_get(rec, "op"), *outcome = kv_get(rec, "outcome");

	if (op && strcmp(op, "install") == 0 && outcome && strcmp(outcome, "ok") == 0)
		*(long long *)ctx = kv_get_int(rec, "bytes", 0);
	return 0;
}

static void
check_space(struct findings *f, struct app *app)
{
	struct statvfs vfs;
	long long need = 0, avail;

	if (journal_foreach(app, last_bytes, &need) != CUT_OK || need <= 0)
		return;
	if (fstatvfs(app->rootfd, &vfs) == -1)
		return;
	avail = (long long)vfs.f_bavail * (long long)vfs.f_frsize;
	if (avail < need)
		problem(f, "%lld bytes free under %s, the last release unpacked to %lld",
		    avail, app->conf.root, need);
}

/* 1 when word names an executable file, through PATH when it has no '/'. */
static int
runnable(const char *word, int relfd)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (strchr(word, '/') != NULL)
		return faccessat(word[0] == '/' || relfd == -1 ? AT_FDCWD : relfd, word,
		    X_OK, AT_EACCESS) == 0 || (word[0] != '/' && relfd == -1);
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? p : ".", word);
		if (access(buf, X_OK) == 0)
			return 1;
		p += n + (p[n] == ':');
	}
	return 0;
}

/*
 * A hook's first word (a program, unless the shell knows it itself) must
 * be runnable: relative paths are looked up in the current release, the
 * hooks' working directory. Commands are shell text; this is a heuristic.
 */
static void
check_hook(struct findings *f, const char *key, const char *cmd, int relfd)
{
	static const char *const shell_words[] = {
		"cd", "test", "[", "exec", "exit", "true", "false", "echo", "printf", "set",
		"export", "if", "for", "while", "case", "{", "(", "!", ".", ":", "command",
		"sleep", "env", NULL
	};
	char word[256];
	size_t n;

	if (cmd == NULL)
		return;
	cmd += strspn(cmd, " \t");
	n = strcspn(cmd, " \t;&|<>()");
	if (n == 0 || n >= sizeof(word) || memchr(cmd, '=', n) != NULL ||
	    memchr(cmd, '$', n) != NULL)
		return;
	memcpy(word, cmd, n);
	word[n] = '\0';
	for (int i = 0; shell_words[i]; i++)
		if (strcmp(word, shell_words[i]) == 0)
			return;
	if (!runnable(word, relfd))
		problem(f, "%s: \"%s\" is not an executable program%s", key, word,
		    strchr(word, '/') ? "" : " in PATH");
}

static void
check_hooks(struct findings *f, struct app *app)
{
	char cur[RELEASE_ID_MAX + 1] = "";
	int relfd = -1;

	if (access("/bin/sh", X_OK) == -1)
		problem(f, "/bin/sh cannot be run: no hook or health check can");
	if (app->rootfd != -1 && read_current(app, cur) == CUT_OK && cur[0] != '\0' &&
	    app->releasesfd != -1)
		relfd = openat(app->releasesfd, cur, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	check_hook(f, "before_activate", app->conf.before_activate, relfd);
	check_hook(f, "after_activate", app->conf.after_activate, relfd);
	check_hook(f, "health", app->conf.health, relfd);
	if (relfd != -1)
		close(relfd);
}

/* A broken allowed_signers or revoked_signers would stop every signed install. */
static void
check_signers(struct findings *f, const struct app *app)
{
	char why[512];

	if (app->conf.allowed_signers != NULL && app->conf.allowed_signers[0] != '\0' &&
	    signers_check(app->conf.allowed_signers, 0, why, sizeof(why)) != CUT_OK)
		problem(f, "allowed_signers: %s", why);
	if (app->conf.revoked_signers != NULL && app->conf.revoked_signers[0] != '\0' &&
	    signers_check(app->conf.revoked_signers, 1, why, sizeof(why)) != CUT_OK)
		problem(f, "revoked_signers: %s", why);
}

/* A lock held now blocks nothing for long: a note, not a problem. */
static void
check_lock(struct findings *f, struct app *app)
{
	char holder[1024] = "";

	if (app_lock_probe(app, holder, sizeof(holder)))
		note(f, "locked now by %s", holder);
}

/* names = { name, NULL }. */
static int
one_name(const char *name, char ***names)
{
	if ((*names = calloc(2, sizeof(**names))) == NULL ||
	    ((*names)[0] = strdup(name)) == NULL) {
		free(*names);
		*names = NULL;
		return CUT_ERR_ALLOC;
	}
	return CUT_OK;
}

/* Everything about one app; the findings go into f. */
static void
check_app(const char *config, const char *name, struct findings *f)
{
	struct app app;
	char err[1200];
	int r;

	kv_add(&f->out, "app", name);
	r = app_open_readonly(&app, config, name, err, sizeof(err));
	if (app.conf.root != NULL)
		kv_add(&f->out, "root", app.conf.root);
	if (r != CUT_OK) {
		problem(f, "%s", err);
		app_close(&app);
		return;
	}
	if (app.rootfd == -1) {
		check_missing_root(f, &app);
	} else {
		check_dir(f, &app, app.rootfd, "");
		check_dir(f, &app, app.releasesfd, "/" RELEASES_DIR);
		check_dir(f, &app, app.statefd, "/" STATE_DIR);
		check_state_owner(f, &app);
		check_space(f, &app);
		check_lock(f, &app);
	}
	check_hooks(f, &app);
	check_signers(f, &app);
	app_close(&app);
}

static void
report(const struct global_opts *g, struct findings *f)
{
	const char *name = kv_get(&f->out, "app");

	kv_add_bool(&f->out, "ok", f->nproblems == 0);
	kv_add(&f->out, "problems", f->problems);
	kv_add(&f->out, "notes", f->notes);
	if (g->json) {
		kv_print_json(&f->out, stdout);
		return;
	}
	if (f->nproblems == 0)
		printf("%s: ok\n", name);
	else
		printf("%s: would block a deploy: %s\n", name, f->problems);
	if (f->notes[0])
		printf("%s: note: %s\n", name, f->notes);
}

int
agent_cmd_check(const struct global_opts *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	char **names = NULL, err[600];
	int ch, r, bad = 0;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		return cli_usage(argv[0], USAGE, ch == 'h');
	if (argc - optind > 1)
		return cli_usage(argv[0], USAGE, 0);
	if (argc - optind == 1 && strchr(argv[optind], '/') != NULL) {
		/* A path APP: defaults, no config needed (cutover-agent(8), Naming an app). */
		r = one_name(argv[optind], &names);
	} else if ((r = agent_conf_app_names(g->config, &names, err, sizeof(err))) != CUT_OK) {
		log_error("check: %s", r == CUT_ERR_ALLOC ? "out of memory" : err);
		return CUT_EXIT_USAGE;
	} else if (argc - optind == 1) {
		int known = 0;

		for (char **p = names; *p; p++)
			known |= strcmp(*p, argv[optind]) == 0;
		strv_free(names);
		if (!known) {
			log_error("check: %s: no [app %s] section", g->config, argv[optind]);
			return CUT_EXIT_USAGE;
		}
		r = one_name(argv[optind], &names);
	}
	if (r != CUT_OK) {
		log_error("check: out of memory");
		return CUT_EXIT_USAGE;
	}
	if (names[0] == NULL && !g->json)
		printf("%s: no apps configured\n", g->config);
	for (char **p = names; *p; p++) {
		struct findings f = { .out = KVLIST_INIT };

		check_app(g->config, *p, &f);
		report(g, &f);
		bad |= f.nproblems > 0;
		kv_free(&f.out);
	}
	strv_free(names);
	fflush(stdout);
	return bad ? CUT_EXIT_USAGE : CUT_EXIT_OK;
}
