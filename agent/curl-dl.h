/*
 * libcurl, loaded with dlopen(3) the first time the agent fetches an
 * archive URL instead of at every start. Linked normally, libcurl drags two
 * dozen libraries (TLS, Kerberos, LDAP, IDN, ...) into every agent process:
 * about 6 ms of dynamic linking per start here, paid on each host by every
 * rollback and status that never fetches anything (cutover-agent(8),
 * "Pulling from an artifact server").
 *
 * fetch.c includes this instead of <curl/curl.h>; the curl_* calls it makes
 * then go through the table filled by curl_dl_load().
 */
#ifndef CUT_CURL_DL_H
#define CUT_CURL_DL_H

/* The type-checking wrappers of curl.h (gcc) would call the real symbols. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stddef.h>

struct curl_dl {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	CURLcode (*easy_pause)(CURL *, int);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_perform)(CURLM *, int *);
	CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned int, int, int *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	CURLMcode (*multi_cleanup)(CURLM *);
};

extern struct curl_dl curl_dl;

/*
 * Load libcurl.so.4 and every function above, once: CUT_OK, or
 * CUT_ERR_CONFIG with why ("cannot load libcurl.so.4 ...": the agent's
 * package depends on it, so it is an installation problem).
 */
int curl_dl_load(char *why, size_t whylen);

#ifndef CURL_DL_SELF
/* curl.h makes these two macros that check their argument count. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init	(*curl_dl.global_init)
#define curl_easy_init		(*curl_dl.easy_init)
#define curl_easy_setopt	(*curl_dl.easy_setopt)
#define curl_easy_getinfo	(*curl_dl.easy_getinfo)
#define curl_easy_pause		(*curl_dl.easy_pause)
#define curl_easy_cleanup	(*curl_dl.easy_cleanup)
#define curl_easy_strerror	(*curl_dl.easy_strerror)
#define curl_slist_append	(*curl_dl.slist_append)
#define curl_slist_free_all	(*curl_dl.slist_free_all)
#define curl_multi_init		(*curl_dl.multi_init)
#define curl_multi_add_handle	(*curl_dl.multi_add_handle)
#define curl_multi_remove_handle	(*curl_dl.multi_remove_handle)
#define curl_multi_perform	(*curl_dl.multi_perform)
#define curl_multi_poll		(*curl_dl.multi_poll)
#define curl_multi_info_read	(*curl_dl.multi_info_read)
#define curl_multi_cleanup	(*curl_dl.multi_cleanup)
#endif

#endif
