/* Names to numbers (name_index.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "name_index.h"

/* FNV-1a. */
static size_t
hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* Put entry k into the table; the table has room. */
static void
place(size_t *slot, size_t nslot, const struct ni_ent *e, size_t k)
{
	size_t i = hash(e[k].key) & (nslot - 1);

	while (slot[i] != 0)
		i = (i + 1) & (nslot - 1);
	slot[i] = k + 1;
}

int
ni_add(struct name_index *x, const char *key, size_t val)
{
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 32;
		struct ni_ent *ne = realloc(x->e, cap * sizeof(*ne));

		if (ne == NULL)
			return -1;
		x->e = ne;
		x->cap = cap;
	}
	/* At most half full; rebuilt in the order added, so equal keys keep their order. */
	if ((x->n + 1) * 2 > x->nslot) {
		size_t ns = x->nslot ? 2 * x->nslot : 64;
		size_t *slot = calloc(ns, sizeof(*slot));

		if (slot == NULL)
			return -1;
		for (size_t k = 0; k < x->n; k++)
			place(slot, ns, x->e, k);
		free(x->slot);
		x->slot = slot;
		x->nslot = ns;
	}
	x->e[x->n].key = key;
	x->e[x->n].val = val;
	x->e[x->n].owned = NULL;
	place(x->slot, x->nslot, x->e, x->n);
	x->n++;
	return 0;
}

int
ni_add_copy(struct name_index *x, const char *key, size_t val)
{
	char *copy = strdup(key);

	if (copy == NULL || ni_add(x, copy, val) != 0) {
		free(copy);
		return -1;
	}
	x->e[x->n - 1].owned = copy;
	return 0;
}

size_t
ni_next(const struct name_index *x, const char *key, size_t *pos)
{
	size_t i, seen = 0;

	if (x->nslot == 0)
		return NI_NONE;
	/* *pos counts the matches already returned: skip them along the probe sequence. */
	for (i = hash(key) & (x->nslot - 1); x->slot[i] != 0; i = (i + 1) & (x->nslot - 1)) {
		const struct ni_ent *e = &x->e[x->slot[i] - 1];

		if (strcmp(e->key, key) != 0)
			continue;
		if (seen++ == *pos) {
			(*pos)++;
			return e->val;
		}
	}
	return NI_NONE;
}

size_t
ni_get(const struct name_index *x, const char *key)
{
	size_t pos = 0;

	return ni_next(x, key, &pos);
}

void
ni_free(struct name_index *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->e[i].owned);
	free(x->e);
	free(x->slot);
	memset(x, 0, sizeof(*x));
}
