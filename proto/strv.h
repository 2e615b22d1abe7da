/*
 * NULL-terminated vectors of strings, as config values that hold lists
 * (an app's `shared`, a group's `hosts`) are split into.
 *
 *	char **v;
 *	r = strv_split("log tmp/pids", " \t,", &v);	// CUT_OK or CUT_ERR_ALLOC
 *	for (char **p = v; *p != NULL; p++)
 *		...;
 *	strv_free(v);
 *
 * Empty words are skipped; an empty list gives an empty vector (v[0] is
 * NULL), never a NULL vector. On error *out is NULL.
 */
#ifndef CUT_STRV_H
#define CUT_STRV_H

#include <stddef.h>

int strv_split(const char *list, const char *seps, char ***out);
size_t strv_len(char *const *v);
/* Frees every string and the vector; NULL is fine. */
void strv_free(char **v);

#endif
