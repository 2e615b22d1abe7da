/*
 * libarchive loaded on first use; see archive-dl.h.
 */
#include "config.h"

#define ARCHIVE_DL_SELF 1
#include <stddef.h>

#include "archive-dl.h"
#include "dl-table.h"
#include "err.h"

struct archive_dl archive_dl;

/* The soname of libarchive's ABI 13 (every libarchive 3.x). */
#define ARCHIVE_DL_SONAME	"libarchive.so.13"

int
archive_dl_load(char *why, size_t whylen)
{
	static const struct dl_sym syms[] = {
#define ARCHIVE_DL_SYM(ret, name, params) { "archive_" #name, offsetof(struct archive_dl, dl_##name) },
		ARCHIVE_DL_FUNCS(ARCHIVE_DL_SYM)
#undef ARCHIVE_DL_SYM
	};
	static int loaded;
	int r;

	if (loaded)
		return CUT_OK;
	r = dl_table_load(ARCHIVE_DL_SONAME, "unpack.no_libarchive",
	    "unpacking needs libarchive 3.3 or later", syms, sizeof(syms) / sizeof(syms[0]),
	    &archive_dl, sizeof(archive_dl), why, whylen);
	loaded = r == CUT_OK;
	return r;
}
