/*
 * libarchive loaded on first use; see archive-dl.h.
 */
#include "config.h"

#define ARCHIVE_DL_SELF 1
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "archive-dl.h"
#include "err.h"
#include "fault.h"

struct archive_dl archive_dl;

/* The soname of libarchive's ABI 13 (every libarchive 3.x). */
#define ARCHIVE_DL_SONAME	"libarchive.so.13"

/* Tests play a host without libarchive with CUTOVER_FAULT=unpack.no_libarchive. */
static const char *
soname(void)
{
#ifdef CUT_FAULT_INJECTION
	if (fault_hit("unpack.no_libarchive"))
		return "libarchive-missing-for-a-test.so.13";
#endif
	return ARCHIVE_DL_SONAME;
}

int
archive_dl_load(char *why, size_t whylen)
{
	static const struct { const char *name; size_t off; } syms[] = {
#define ARCHIVE_DL_SYM(ret, name, params) { "archive_" #name, offsetof(struct archive_dl, dl_##name) },
		ARCHIVE_DL_FUNCS(ARCHIVE_DL_SYM)
#undef ARCHIVE_DL_SYM
	};
	static int loaded;
	struct archive_dl t;
	void *h;

	if (loaded)
		return CUT_OK;
	if ((h = dlopen(soname(), RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(why, whylen, "cannot load %s (unpacking needs libarchive 3.3 or later): %s",
		    ARCHIVE_DL_SONAME, dlerror());
		return CUT_ERR_CONFIG;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *f = dlsym(h, syms[i].name);

		if (f == NULL) {
			snprintf(why, whylen, "%s has no %s: libarchive 3.3 or later is needed",
			    ARCHIVE_DL_SONAME, syms[i].name);
			dlclose(h);
			return CUT_ERR_CONFIG;
		}
		/* POSIX: a dlsym result converts to the function pointer it names. */
		memcpy((char *)&t + syms[i].off, &f, sizeof(f));
	}
	archive_dl = t;
	loaded = 1;	/* the handle stays open for the process's life */
	return CUT_OK;
}
