/* RFC 3339 times (rfc3339.h). */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rfc3339.h"

static int
digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

long long
rfc3339_ms(const char *s)
{
	struct tm tm;
	long long t, off = 0;
	const char *z;

	/* YYYY-MM-DDTHH:MM:SS, optional .fraction, then Z or +HH:MM / -HH:MM (RFC 3339). */
	if (strlen(s) < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2) ||
	    s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	z = s + 19;
	if (*z == '.') {
		for (z++; isdigit((unsigned char)*z); z++)
			;
	}
	if ((*z == 'Z' || *z == 'z') && z[1] == '\0')
		off = 0;
	else if ((*z == '+' || *z == '-') && strlen(z) == 6 && digits(z + 1, 2) && z[3] == ':' &&
	    digits(z + 4, 2))
		off = (atoi(z + 1) * 60LL + atoi(z + 4)) * 60 * (*z == '+' ? 1 : -1);
	else
		return -1;
	t = (long long)timegm(&tm);
	return (t - off) * 1000;
}

