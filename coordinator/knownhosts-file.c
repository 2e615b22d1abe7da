/* known_hosts read once and indexed by plain host name (knownhosts-file.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "knownhosts-file.h"
#include "name_index.h"

#define KH_BLOB_MAX	16384
#define KH_CACHE_MAX	8	/* files kept: one per known_hosts setting in use */

struct kh_file {
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	char *text;		/* the file, split in place */
	unsigned char *blobs;	/* every decoded key, back to back */
	struct kh_ent *e;
	size_t n;
	size_t *generic;	/* entries every lookup is offered (hashed, patterns) */
	size_t ngeneric;
	struct name_index names;	/* plain name, lower-cased -> each entry listing it */
};

static struct kh_file *cache[KH_CACHE_MAX];

size_t
kh_b64_decode(const char *in, size_t inlen, unsigned char *out, size_t outcap)
{
	int n;

	if (inlen == 0 || inlen % 4 != 0 || inlen / 4 * 3 > outcap || inlen > (size_t)INT32_MAX)
		return 0;
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)inlen)) < 0)
		return 0;
	/* EVP_DecodeBlock counts the padding's zero bytes. */
	n -= (in[inlen - 1] == '=') + (in[inlen - 2] == '=');
	return n > 0 ? (size_t)n : 0;
}

static void
file_free(struct kh_file *f)
{
	if (f == NULL)
		return;
	free(f->path);
	free(f->text);
	free(f->blobs);
	free(f->e);
	free(f->generic);
	ni_free(&f->names);
	free(f);
}

/* Split one line in place as ssh reads it; 0 with e filled, -1 to skip it. */
static int
split(char *line, struct kh_ent *e)
{
	char *tok[4], *save = NULL, *t;
	size_t n = 0;

	line[strcspn(line, "\r")] = '\0';
	for (t = strtok_r(line, " \t", &save); t && n < 4; t = strtok_r(NULL, " \t", &save))
		tok[n++] = t;
	if (n == 0 || tok[0][0] == '#')
		return -1;
	e->marker = KH_MRK_NONE;
	if (tok[0][0] == '@') {
		e->marker = strcmp(tok[0], "@revoked") == 0 ? KH_MRK_REVOKED :
		    strcmp(tok[0], "@cert-authority") == 0 ? KH_MRK_CA : KH_MRK_OTHER;
		memmove(tok, tok + 1, sizeof(tok[0]) * --n);
	}
	if (n < 3 || e->marker == KH_MRK_OTHER)
		return -1;
	e->hosts = tok[0];
	e->type = tok[1];
	e->blob = (const unsigned char *)tok[2];	/* base64 until decoded */
	return 0;
}

/* Plain names only (no hash, pattern or negation): 1 when the index can answer for the line. */
static int
plain_names(const char *hosts)
{
	if (strncmp(hosts, "|1|", 3) == 0)
		return 0;
	for (const char *p = hosts; *p; p += strcspn(p, ","), p += *p == ',')
		if (*p == '!' || p[strcspn(p, ",*?")] == '*' || p[strcspn(p, ",*?")] == '?')
			return 0;
	return 1;
}

/* Index one plain name of entry ent, lower-cased as lookups are; longer than any lookup: no match. */
static int
index_name(struct kh_file *f, const char *tok, size_t len, size_t ent)
{
	char name[KH_LOOKUP_MAX];

	if (len >= sizeof(name))
		return 0;
	for (size_t i = 0; i < len; i++)
		name[i] = (char)tolower((unsigned char)tok[i]);
	name[len] = '\0';
	return ni_add_copy(&f->names, name, ent);
}

/* Decode every entry's key and index its names. */
static int
build_index(struct kh_file *f)
{
	size_t used = 0;

	if ((f->generic = calloc(f->n ? f->n : 1, sizeof(*f->generic))) == NULL ||
	    (f->blobs = malloc(f->size / 4 * 3 + 4)) == NULL)
		return -1;
	for (size_t k = 0; k < f->n; k++) {
		struct kh_ent *e = &f->e[k];
		const char *b64 = (const char *)e->blob;
		size_t cap = (size_t)f->size / 4 * 3 + 4 - used;

		e->bloblen = kh_b64_decode(b64, strlen(b64), f->blobs + used, cap < KH_BLOB_MAX ? cap : KH_BLOB_MAX);
		e->blob = f->blobs + used;
		used += e->bloblen;
		if (!plain_names(e->hosts)) {
			f->generic[f->ngeneric++] = k;
			continue;
		}
		for (const char *p = e->hosts; *p; p += strcspn(p, ","), p += *p == ',')
			if (strcspn(p, ",") > 0 && index_name(f, p, strcspn(p, ","), k) != 0)
				return -1;
	}
	return 0;
}

/* Read and index path; NULL with errno set. */
static struct kh_file *
file_load(const char *path, const struct stat *sb)
{
	struct kh_file *f = calloc(1, sizeof(*f));
	size_t cap = 0, got = 0;
	int line = 0, saved;
	FILE *fp = NULL;
	char *p, *nl;

	if (f == NULL || (f->path = strdup(path)) == NULL || (fp = fopen(path, "r")) == NULL)
		goto fail;
	f->dev = sb->st_dev, f->ino = sb->st_ino, f->size = sb->st_size, f->mtime = sb->st_mtim;
	if ((f->text = malloc((size_t)sb->st_size + 1)) == NULL)
		goto fail;
	/* A read error ends the file, as it ends ssh's line reader. */
	got = fread(f->text, 1, (size_t)sb->st_size, fp);
	fclose(fp);
	fp = NULL;
	f->text[got] = '\0';
	f->size = (off_t)got;
	for (p = f->text; p < f->text + got; p = nl + 1) {
		struct kh_ent e;

		nl = memchr(p, '\n', (size_t)(f->text + got - p));
		if (nl == NULL)
			nl = f->text + got;
		*nl = '\0';
		line++;
		if (split(p, &e) != 0)
			continue;
		if (f->n == cap) {
			struct kh_ent *ne = realloc(f->e, (cap = cap ? 2 * cap : 64) * sizeof(*ne));

			if (ne == NULL)
				goto fail;
			f->e = ne;
		}
		e.line = line;
		f->e[f->n++] = e;
	}
	if (build_index(f) != 0)
		goto fail;
	return f;
 fail:
	saved = errno ? errno : ENOMEM;
	if (fp)
		fclose(fp);
	file_free(f);
	errno = saved;
	return NULL;
}

const struct kh_file *
kh_file_get(const char *path)
{
	struct stat sb;
	size_t i, spot = KH_CACHE_MAX - 1;

	if (stat(path, &sb) != 0)
		return NULL;
	for (i = 0; i < KH_CACHE_MAX; i++) {
		struct kh_file *f = cache[i];

		if (f == NULL) {
			spot = i;
			break;
		}
		if (strcmp(f->path, path) != 0)
			continue;
		if (f->dev == sb.st_dev && f->ino == sb.st_ino && f->size == sb.st_size &&
		    f->mtime.tv_sec == sb.st_mtim.tv_sec && f->mtime.tv_nsec == sb.st_mtim.tv_nsec)
			return f;
		spot = i;	/* changed: read it again */
		break;
	}
	file_free(cache[spot]);
	cache[spot] = file_load(path, &sb);
	return cache[spot];
}

static int
by_index(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;

	return a < b ? -1 : a > b;
}

/* Append k to the candidate list. */
static int
push(size_t **v, size_t *n, size_t *cap, size_t k)
{
	if (*n == *cap) {
		size_t *nv = realloc(*v, (*cap = *cap ? 2 * *cap : 16) * sizeof(*nv));

		if (nv == NULL)
			return -1;
		*v = nv;
	}
	(*v)[(*n)++] = k;
	return 0;
}

int
kh_file_each(const struct kh_file *f, const char lookups[][KH_LOOKUP_MAX], size_t n,
    int (*fn)(const struct kh_ent *e, void *arg), void *arg)
{
	size_t *cand = NULL, nc = 0, cap = 0;
	int r = 0;

	for (size_t g = 0; g < f->ngeneric; g++)
		if (push(&cand, &nc, &cap, f->generic[g]) != 0)
			goto nomem;
	for (size_t l = 0; l < n; l++)
		for (size_t pos = 0, k; (k = ni_next(&f->names, lookups[l], &pos)) != NI_NONE;)
			if (push(&cand, &nc, &cap, k) != 0)
				goto nomem;
	if (nc > 1)
		qsort(cand, nc, sizeof(*cand), by_index);
	for (size_t i = 0; r == 0 && i < nc; i++)
		if (i == 0 || cand[i] != cand[i - 1])
			r = fn(&f->e[cand[i]], arg);
	free(cand);
	return r;
 nomem:
	free(cand);
	return -1;
}
