/*
 * Function tables filled by dlopen/dlsym; see dl-table.h.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dl-table.h"
#include "err.h"
#include "fault.h"

/* The file to open: soname, or under the fault point one no host has. */
static const char *
dl_file(const char *soname, const char *fault)
{
#ifdef CUT_FAULT_INJECTION
	if (fault_hit(fault))
		return "libcutover-missing-for-a-test.so.0";
#else
	(void)fault;
#endif
	return soname;
}

int
dl_table_load(const char *soname, const char *fault, const char *need,
    const struct dl_sym *syms, size_t n, void *table, size_t size, char *why, size_t whylen)
{
	unsigned char *t;
	void *h;

	if ((t = calloc(1, size)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return CUT_ERR_ALLOC;
	}
	if ((h = dlopen(dl_file(soname, fault), RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(why, whylen, "cannot load %s (%s): %s", soname, need, dlerror());
		free(t);
		return CUT_ERR_CONFIG;
	}
	for (size_t i = 0; i < n; i++) {
		void *f = dlsym(h, syms[i].name);

		if (f == NULL) {
			snprintf(why, whylen, "%s has no %s (%s)", soname, syms[i].name, need);
			dlclose(h);
			free(t);
			return CUT_ERR_CONFIG;
		}
		/* POSIX: a dlsym result converts to the function pointer it names. */
		memcpy(t + syms[i].off, &f, sizeof(f));
	}
	memcpy(table, t, size);
	free(t);
	return CUT_OK;
}
