#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static const char *progname = "cutover";
static int verbosity;
static int to_syslog;

void
log_init(const char *name, int use_syslog)
{
	progname = name;
	to_syslog = use_syslog;
	if (use_syslog)
		openlog(name, LOG_PID, LOG_DAEMON);
}

const char *
log_progname(void)
{
	return progname;
}

void
log_set_verbosity(int level)
{
	verbosity = level;
}

static void
emit(int prio, const char *fmt, va_list ap)
{
	int saved = errno;

	if (to_syslog) {
		vsyslog(prio, fmt, ap);
	} else {
		fprintf(stderr, "%s: ", progname);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	errno = saved;
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 1)
		return;
	va_start(ap, fmt);
	emit(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 2)
		return;
	va_start(ap, fmt);
	emit(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

int
error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_ERR, fmt, ap);
	va_end(ap);
	return -1;
}

void
log_bug(const char *file, int line, const char *func, const char *msg)
{
	log_error("BUG: %s:%d: %s: %s", file, line, func, msg);
	abort();
}

void
sanitise_stdfd(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd == -1) {
		fprintf(stderr, "%s: cannot open /dev/null\n", progname);
		exit(1);
	}
	while (fd < 2)
		fd = dup(fd);
	if (fd > 2)
		close(fd);
}
