#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "url.h"

int
url_is_http(const char *s)
{
	size_t n;

	if (strncasecmp(s, "http://", 7) == 0)
		n = 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		n = 8;
	else
		return 0;
	return s[n] != '\0' && s[n] != '/';
}

int
release_id_from_url(const char *url, char out[RELEASE_ID_MAX + 1])
{
	char name[RELEASE_ID_MAX * 2 + 2];
	const char *host = strstr(url, "://"), *end, *base = NULL;

	if (host == NULL)
		return CUT_ERR_BAD_ID;
	host += 3;
	end = host + strcspn(host, "?#");
	/* Only the path counts: "https://host" alone names nothing. */
	for (const char *c = host; c < end; c++)
		if (*c == '/')
			base = c + 1;
	if (base == NULL || base == end || (size_t)(end - base) >= sizeof(name))
		return CUT_ERR_BAD_ID;
	memcpy(name, base, (size_t)(end - base));
	name[end - base] = '\0';
	return release_id_from_archive(name, out);
}

void
url_shown(const char *url, char *out, size_t outlen)
{
	const char *host = strstr(url, "://"), *at, *rest;
	size_t q;

	host = host ? host + 3 : url;
	at = memchr(host, '@', strcspn(host, "/?#"));
	rest = at ? at + 1 : host;
	q = strcspn(rest, "?#");
	/* Credentials and query strings (presigned URLs) stay out of logs and journals. */
	snprintf(out, outlen, "%.*s%.*s%s", (int)(host - url), url, (int)q, rest, rest[q] ? "?..." : "");
}
