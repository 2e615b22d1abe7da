/*
 * A library the agent loads with dlopen(3) on first use instead of linking
 * it (libcurl: curl-dl.h; libarchive: archive-dl.h): every function it
 * calls, looked up once into a table of function pointers.
 */
#ifndef CUT_DL_TABLE_H
#define CUT_DL_TABLE_H

#include <stddef.h>

struct dl_sym {
	const char *name;	/* the symbol */
	size_t off;		/* its pointer's offset in the table */
};

/*
 * Open soname and fill table (size bytes) with syms[0..n-1]; on success the
 * handle stays open for the process's life. Test builds play a host without
 * the library when CUTOVER_FAULT names fault ("fetch.no_libcurl"). CUT_OK, or CUT_ERR_CONFIG with
 * why naming the library and need ("unpacking needs libarchive 3.3 or
 * later"): the packages depend on it, so a miss is an installation problem.
 * The table is untouched on failure.
 */
int dl_table_load(const char *soname, const char *fault, const char *need,
    const struct dl_sym *syms, size_t n, void *table, size_t size, char *why, size_t whylen);

#endif
