#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "strv.h"

int
strv_split(const char *list, const char *seps, char ***out)
{
	char **v, **nv;
	size_t n = 0;

	*out = NULL;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return CUT_ERR_ALLOC;
	for (const char *p = list + strspn(list, seps); *p != '\0'; p += strspn(p, seps)) {
		size_t len = strcspn(p, seps);

		if ((nv = realloc(v, (n + 2) * sizeof(*v))) == NULL) {
			strv_free(v);
			return CUT_ERR_ALLOC;
		}
		v = nv;
		if ((v[n] = strndup(p, len)) == NULL) {
			strv_free(v);
			return CUT_ERR_ALLOC;
		}
		v[++n] = NULL;
		p += len;
	}
	*out = v;
	return CUT_OK;
}

size_t
strv_len(char *const *v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

void
strv_free(char **v)
{
	for (char **p = v; p != NULL && *p != NULL; p++)
		free(*p);
	free(v);
}
