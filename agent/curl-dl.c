/*
 * libcurl loaded on first use; see curl-dl.h.
 */
#include "config.h"

#define CURL_DL_SELF 1
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "curl-dl.h"
#include "err.h"
#include "fault.h"

struct curl_dl curl_dl;

/* The soname of libcurl's ABI 4 (every libcurl 7.x and 8.x). */
#define CURL_DL_SONAME	"libcurl.so.4"

/* Tests play a host without libcurl with CUTOVER_FAULT=fetch.no_libcurl. */
static const char *
soname(void)
{
#ifdef CUT_FAULT_INJECTION
	if (fault_hit("fetch.no_libcurl"))
		return "libcurl-missing-for-a-test.so.4";
#endif
	return CURL_DL_SONAME;
}

int
curl_dl_load(char *why, size_t whylen)
{
	static const struct { const char *name; size_t off; } syms[] = {
#define SYM(field) { "curl_" #field, offsetof(struct curl_dl, field) }
		SYM(global_init), SYM(easy_init), SYM(easy_setopt), SYM(easy_getinfo),
		SYM(easy_pause), SYM(easy_cleanup), SYM(easy_strerror), SYM(slist_append),
		SYM(slist_free_all), SYM(multi_init), SYM(multi_add_handle),
		SYM(multi_remove_handle), SYM(multi_perform), SYM(multi_poll),
		SYM(multi_info_read), SYM(multi_cleanup),
#undef SYM
	};
	static int loaded;
	struct curl_dl t;
	void *h;

	if (loaded)
		return CUT_OK;
	if ((h = dlopen(soname(), RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(why, whylen, "cannot load %s (archive URLs need libcurl 7.85 or later): %s",
		    CURL_DL_SONAME, dlerror());
		return CUT_ERR_CONFIG;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *f = dlsym(h, syms[i].name);

		if (f == NULL) {
			snprintf(why, whylen, "%s has no %s: libcurl 7.85 or later is needed for archive URLs",
			    CURL_DL_SONAME, syms[i].name);
			dlclose(h);
			return CUT_ERR_CONFIG;
		}
		/* POSIX: a dlsym result converts to the function pointer it names. */
		memcpy((char *)&t + syms[i].off, &f, sizeof(f));
	}
	curl_dl = t;
	loaded = 1;	/* the handle stays open for the process's life */
	return CUT_OK;
}
