#include "config.h"

#include "err.h"

static const char *const messages[] = {
	[0] = "success",
	[-CUT_ERR_INTERNAL] = "internal error",
	[-CUT_ERR_ALLOC] = "out of memory",
	[-CUT_ERR_SYSTEM] = "system error",
	[-CUT_ERR_USAGE] = "usage error",
	[-CUT_ERR_CONFIG] = "configuration error",
	[-CUT_ERR_BAD_ARCHIVE] = "bad archive",
	[-CUT_ERR_BAD_ID] = "invalid release ID",
	[-CUT_ERR_CHECKSUM] = "checksum mismatch",
	[-CUT_ERR_EXISTS] = "release exists with different content",
	[-CUT_ERR_NO_RELEASE] = "no such release",
	[-CUT_ERR_LOCKED] = "locked by another operation",
	[-CUT_ERR_REVERSED] = "failed and reversed",
	[-CUT_ERR_PARTIAL] = "partially applied",
	[-CUT_ERR_PROTOCOL] = "protocol error",
	[-CUT_ERR_VERSION] = "protocol version mismatch",
	[-CUT_ERR_TIMEOUT] = "timed out",
	[-CUT_ERR_EOF] = "connection closed",
	[-CUT_ERR_BUF_SHORT] = "message truncated",
	[-CUT_ERR_BUF_FULL] = "buffer limit reached",
	[-CUT_ERR_TOO_LARGE] = "length exceeds limit",
	[-CUT_ERR_HOST] = "host unreachable or refused",
	[-CUT_ERR_FAILED] = "operation failed",
};

const char *
cut_err(int code)
{
	if (code > 0 || code <= CUT_ERR_MAX_)
		return "unknown error";
	return messages[-code];
}

/*
 * Failures that changed nothing, or were undone, count as "failed and
 * reversed" (1): the contract reserves 3 for input we refused up front.
 */
int
cut_exit_code(int code)
{
	switch (code) {
	case CUT_OK:
		return CUT_EXIT_OK;
	case CUT_ERR_USAGE:
	case CUT_ERR_CONFIG:
		return CUT_EXIT_USAGE;
	case CUT_ERR_BAD_ARCHIVE:
	case CUT_ERR_BAD_ID:
	case CUT_ERR_CHECKSUM:
	case CUT_ERR_EXISTS:
	case CUT_ERR_NO_RELEASE:
	case CUT_ERR_TOO_LARGE:
		return CUT_EXIT_BAD_INPUT;
	case CUT_ERR_LOCKED:
		return CUT_EXIT_LOCKED;
	case CUT_ERR_PARTIAL:
		return CUT_EXIT_PARTIAL;
	default:
		return CUT_EXIT_REVERSED;
	}
}
