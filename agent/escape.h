/*
 * Strings from outside (member names, archive file names, libarchive's
 * messages that quote them) as one line of text: control bytes, and bytes
 * that are not UTF-8 text (C1 controls such as CSI 0x9b included, which
 * some terminals obey), become \xNN; valid UTF-8 stays as it is.
 */
#ifndef CUT_ESCAPE_H
#define CUT_ESCAPE_H

#include <stddef.h>

/*
 * s into out (outlen >= 16), NUL-terminated; with quote, '"' and '\\' are
 * escaped too. At most max input bytes, then "...". Returns the length.
 */
size_t text_escape(const char *s, char *out, size_t outlen, size_t max, int quote);

#endif
