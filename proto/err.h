/*
 * Error codes shared by the agent, the coordinator and the wire protocol.
 *
 * Functions return 0 (CUT_OK) or a negative CUT_ERR_* value; the value travels
 * up unchanged and is turned into a message (cut_err()) and an exit code
 * (cut_exit_code()) exactly once, at the top. Codes are part of the wire
 * protocol (ERROR and RESULT frames carry them): never renumber, only append.
 */
#ifndef CUT_ERR_H
#define CUT_ERR_H

enum cut_err {
	CUT_OK = 0,
	CUT_ERR_INTERNAL = -1,		/* broken invariant; a bug */
	CUT_ERR_ALLOC = -2,		/* out of memory */
	CUT_ERR_SYSTEM = -3,		/* a system call failed; see errno */
	CUT_ERR_USAGE = -4,		/* bad command line */
	CUT_ERR_CONFIG = -5,		/* bad or missing configuration */
	CUT_ERR_BAD_ARCHIVE = -6,	/* archive hostile, corrupt or not an archive */
	CUT_ERR_BAD_ID = -7,		/* release ID malformed */
	CUT_ERR_CHECKSUM = -8,		/* SHA-256 differs from the expected one */
	CUT_ERR_EXISTS = -9,		/* release exists with other content */
	CUT_ERR_NO_RELEASE = -10,	/* no such release / nothing to roll back to */
	CUT_ERR_LOCKED = -11,		/* another operation holds the app's lock */
	CUT_ERR_REVERSED = -12,		/* hook/health failed; previous release restored */
	CUT_ERR_PARTIAL = -13,		/* some hosts left inconsistent */
	CUT_ERR_PROTOCOL = -14,		/* malformed or unexpected frame */
	CUT_ERR_VERSION = -15,		/* peer speaks another protocol major version */
	CUT_ERR_TIMEOUT = -16,		/* a deadline passed */
	CUT_ERR_EOF = -17,		/* peer closed the stream */
	CUT_ERR_BUF_SHORT = -18,	/* buffer holds less than the read asks for */
	CUT_ERR_BUF_FULL = -19,		/* buffer would exceed its maximum size */
	CUT_ERR_TOO_LARGE = -20,	/* a declared length exceeds its cap */
	CUT_ERR_HOST = -21,		/* ssh connect, host key or auth failure */
	CUT_ERR_FAILED = -22,		/* operation failed; nothing was changed */
	CUT_ERR_MAX_ = -23		/* one past the last code */
};

/* Exit codes of both programs: cutover-agent(8) and cutover(1), EXIT STATUS. */
enum cut_exit {
	CUT_EXIT_OK = 0,
	CUT_EXIT_REVERSED = 1,
	CUT_EXIT_USAGE = 2,
	CUT_EXIT_BAD_INPUT = 3,
	CUT_EXIT_LOCKED = 4,
	CUT_EXIT_PARTIAL = 5
};

/* Static description of an error code, lower case, no trailing period. */
const char *cut_err(int code);

/* The one place where an error code becomes a process exit code. */
int cut_exit_code(int code);

#endif
