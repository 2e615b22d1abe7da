/*
 * Artifact URLs (protocol 1.4, cap "fetch"): what counts as one, and the
 * release ID it names. cutover(1) and cutover-agent(8), "Pulling".
 */
#ifndef CUT_URL_H
#define CUT_URL_H

#include "release_id.h"

/* 1 when s starts with http:// or https:// (any case) followed by a host, else 0. */
int url_is_http(const char *s);

/*
 * The release ID a URL names: its last path component, without query
 * and fragment, minus a known archive suffix, as release_id_from_archive
 * ("https://a.example/web/web-1.4.2.tgz?x=1" -> "web-1.4.2"). 0, or
 * CUT_ERR_BAD_ID.
 */
int release_id_from_url(const char *url, char out[RELEASE_ID_MAX + 1]);

/*
 * url as printed and journalled: without userinfo, and with a query or
 * fragment shown as "?..." (a presigned URL's query string is a credential).
 */
void url_shown(const char *url, char *out, size_t outlen);

#endif
