#include "config.h"

#include <string.h>

#include "err.h"
#include "release_id.h"

static int
id_char(char c, int first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	return !first && (c == '.' || c == '_' || c == '+' || c == '-');
}

int
release_id_valid(const char *id)
{
	size_t i;

	if (id == NULL)
		return 0;
	for (i = 0; id[i] != '\0'; i++)
		if (i >= RELEASE_ID_MAX || !id_char(id[i], i == 0))
			return 0;
	return i > 0;
}

int
release_id_from_archive(const char *path, char out[RELEASE_ID_MAX + 1])
{
	/* Longest first, so ".tar.gz" wins over ".gz". */
	static const char *const suffixes[] = {
		".tar.gz", ".tar.xz", ".tar.zst", ".tar.bz2", ".tgz", ".txz",
		".tzst", ".tbz2", ".tbz", ".tar", ".zip", NULL
	};
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	for (int i = 0; suffixes[i]; i++) {
		size_t sl = strlen(suffixes[i]);

		if (len > sl && strcmp(base + len - sl, suffixes[i]) == 0) {
			len -= sl;
			break;
		}
	}
	if (len == 0 || len > RELEASE_ID_MAX)
		return CUT_ERR_BAD_ID;
	memcpy(out, base, len);
	out[len] = '\0';
	return release_id_valid(out) ? CUT_OK : CUT_ERR_BAD_ID;
}
