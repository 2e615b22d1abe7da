/*
 * Text for one line of a message: see escape.h.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "escape.h"

/*
 * Length of the valid UTF-8 sequence at s that a terminal shows as text,
 * or 0: overlong forms, surrogates and the C1 controls (U+0080-U+009F,
 * which some terminals obey as escape sequences) are not text.
 */
static size_t
utf8_text(const unsigned char *s)
{
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	if ((s[0] == 0xc2 && s[1] < 0xa0) || (s[0] == 0xe0 && s[1] < 0xa0) ||
	    (s[0] == 0xed && s[1] > 0x9f) || (s[0] == 0xf0 && s[1] < 0x90) ||
	    (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/*
 * s as one line of text into out: control bytes and anything that is not
 * UTF-8 text become \xNN (a hostile name must not drive the terminal or
 * split the line); with quote, also '"' and '\\' are escaped. At most max
 * input bytes, then "...".
 */
size_t
text_escape(const char *s, char *out, size_t outlen, size_t max, int quote)
{
	size_t o = 0, i = 0;

	while (s != NULL && s[i] != '\0') {
		unsigned char c = (unsigned char)s[i];
		size_t n = c >= 0x80 ? utf8_text((const unsigned char *)s + i) : 1;

		if (i >= max || o + 12 >= outlen) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (quote && (c == '"' || c == '\\')) {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f || n == 0) {
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
			n = 1;
		} else
			for (size_t k = 0; k < n; k++)
				out[o++] = s[i + k];
		i += n;
	}
	out[o] = '\0';
	return o;
}
