/*
 * Names to numbers, many numbers per name, for the fleet file's lookups
 * (sections by name, groups by member, the selection by name): a hash
 * table over an array of entries, so each lookup costs O(1) and a file of
 * N hosts parses and selects in O(N). Values of one name come back in the
 * order they were added. Keys are borrowed (they must outlive the index)
 * unless added with ni_add_copy.
 *
 *	struct name_index x = NAME_INDEX_INIT;
 *	ni_add(&x, "web1", 7);
 *	for (size_t pos = 0, v; (v = ni_next(&x, "web1", &pos)) != NI_NONE;) ...
 *	ni_free(&x);
 */
#ifndef CUT_NAME_INDEX_H
#define CUT_NAME_INDEX_H

#include <stddef.h>
#include <stdint.h>

#define NI_NONE	SIZE_MAX

struct ni_ent {
	const char *key;
	size_t val;
	char *owned;		/* key's own copy (ni_add_copy), or NULL */
};

struct name_index {
	struct ni_ent *e;	/* in the order added */
	size_t n, cap;
	size_t *slot;		/* open addressing: entry + 1, 0 empty; nslot a power of two */
	size_t nslot;
};

#define NAME_INDEX_INIT	{ NULL, 0, 0, NULL, 0 }

/* 0, or -1 out of memory (the index is unchanged). */
int ni_add(struct name_index *x, const char *key, size_t val);
/* ni_add with a copy of key, freed by ni_free: for keys that move (inside a realloc'ed array). */
int ni_add_copy(struct name_index *x, const char *key, size_t val);
/* The next value of key from *pos (start at 0), in the order added; NI_NONE after the last. */
size_t ni_next(const struct name_index *x, const char *key, size_t *pos);
/* The first value of key, or NI_NONE. */
size_t ni_get(const struct name_index *x, const char *key);
void ni_free(struct name_index *x);

#endif
