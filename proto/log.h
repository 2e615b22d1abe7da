/*
 * Diagnostics go to stderr (or syslog), never stdout: in `serve` mode stdout
 * is the protocol stream, and a stray line there would corrupt it.
 *
 * Messages follow git style: lower case, what failed first, the object
 * named: "cutover-agent: install web: unable to open \"x.tgz\": No such file".
 */
#ifndef CUT_LOG_H
#define CUT_LOG_H

void log_init(const char *progname, int use_syslog);
const char *log_progname(void);
/* Raise the threshold: 0 errors only, 1 adds info, 2 adds debug. */
void log_set_verbosity(int level);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print the message and return -1, so callers can `return error(...)`. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A broken invariant: report where and abort. Never for bad input. */
#define BUG(msg) log_bug(__FILE__, __LINE__, __func__, (msg))
void log_bug(const char *file, int line, const char *func, const char *msg)
    __attribute__((noreturn));

/*
 * Make sure fds 0, 1 and 2 are open (on /dev/null if need be) so that a
 * file we open later can never land on stdout and receive protocol bytes.
 */
void sanitise_stdfd(void);

#endif
