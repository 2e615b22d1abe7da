/*
 * libcurl loaded on first use; see curl-dl.h.
 */
#include "config.h"

#define CURL_DL_SELF 1
#include <stddef.h>

#include "curl-dl.h"
#include "dl-table.h"
#include "err.h"

struct curl_dl curl_dl;

/* The soname of libcurl's ABI 4 (every libcurl 7.x and 8.x). */
#define CURL_DL_SONAME	"libcurl.so.4"

int
curl_dl_load(char *why, size_t whylen)
{
	static const struct dl_sym syms[] = {
#define SYM(field) { "curl_" #field, offsetof(struct curl_dl, field) }
		SYM(global_init), SYM(easy_init), SYM(easy_setopt), SYM(easy_getinfo),
		SYM(easy_pause), SYM(easy_cleanup), SYM(easy_strerror), SYM(slist_append),
		SYM(slist_free_all), SYM(multi_init), SYM(multi_add_handle),
		SYM(multi_remove_handle), SYM(multi_perform), SYM(multi_poll),
		SYM(multi_info_read), SYM(multi_cleanup),
#undef SYM
	};
	static int loaded;
	int r;

	if (loaded)
		return CUT_OK;
	r = dl_table_load(CURL_DL_SONAME, "fetch.no_libcurl",
	    "archive URLs need libcurl 7.85 or later", syms, sizeof(syms) / sizeof(syms[0]),
	    &curl_dl, sizeof(curl_dl), why, whylen);
	loaded = r == CUT_OK;
	return r;
}
