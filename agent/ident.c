/* Rollout, kind, actor and SSH key of journal records: see ident.h. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "err.h"
#include "fsutil.h"
#include "ident.h"
#include "log.h"
#include "sha256.h"

/* The SSH_USER_AUTH file is small: one line per authentication method. */
#define AUTH_FILE_MAX	(64 * 1024)
/* A public key blob; RSA 16384-bit keys stay well below. */
#define KEY_BLOB_MAX	(16 * 1024)

static const char *const kinds[] = {
	"deploy", "rollback", "drill", "prune", "pin", "unpin", "abort", NULL
};

int
ident_check_rollout(const char *what, const char *v, char *why, size_t whylen)
{
	size_t n = strlen(v);

	if (n >= 1 && n <= IDENT_ROLLOUT_MAX &&
	    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") == n)
		return CUT_OK;
	snprintf(why, whylen, "%s: \"%.80s\" is not a rollout ID (1-%d characters of "
	    "A-Z a-z 0-9 . _ : -)", what, v, IDENT_ROLLOUT_MAX);
	return CUT_ERR_BAD_ID;
}

int
ident_check_kind(const char *what, const char *v, char *why, size_t whylen)
{
	for (int i = 0; kinds[i]; i++)
		if (strcmp(v, kinds[i]) == 0)
			return CUT_OK;
	snprintf(why, whylen, "%s: \"%.40s\" is not a rollout kind (deploy, rollback, drill, "
	    "prune, pin, unpin, abort)", what, v);
	return CUT_ERR_BAD_ID;
}

/*
 * Length of the UTF-8 sequence at p that is a printable character, or 0:
 * ASCII controls, DEL, C1 controls, overlong forms, surrogates and
 * malformed bytes are not.
 */
static size_t
printable_char(const unsigned char *p)
{
	unsigned int c;
	size_t n, i;

	if (p[0] < 0x80)
		return p[0] >= 0x20 && p[0] != 0x7f;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff) || (c >= 0x80 && c <= 0x9f))
		return 0;
	return n;
}

int
ident_check_actor(const char *what, const char *v, char *why, size_t whylen)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t len = strlen(v);

	if (len >= 1 && len <= IDENT_ACTOR_MAX) {
		size_t k;

		while (*p && (k = printable_char(p)) > 0)
			p += k;
		if (*p == '\0')
			return CUT_OK;
	}
	/* Never echo the bytes back: they may be the terminal escapes we refuse. */
	snprintf(why, whylen, "%s: not an actor (1-%d bytes of printable UTF-8, no control "
	    "characters; got %zu bytes)", what, IDENT_ACTOR_MAX, len);
	return CUT_ERR_BAD_ID;
}

int
ident_from_args(const struct kvlist *args, struct kvlist *out, char *why, size_t whylen)
{
	static const struct {
		const char *key;
		int (*check)(const char *, const char *, char *, size_t);
	} f[] = {
		{ "rollout", ident_check_rollout },
		{ "kind", ident_check_kind },
		{ "actor", ident_check_actor },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		const char *v = kv_get(args, f[i].key);
		int r;

		if (v == NULL || v[0] == '\0')
			continue;
		if ((r = f[i].check(f[i].key, v, why, whylen)) != CUT_OK)
			return r;
		if ((r = kv_add(out, f[i].key, v)) != CUT_OK) {
			snprintf(why, whylen, "out of memory");
			return r;
		}
	}
	return CUT_OK;
}

/*
 * The key blob of a "publickey TYPE BASE64" line, into blob; its length,
 * or -1. The blob must start with TYPE as an SSH string (RFC 4253 6.6), so
 * a line that is not a key is never fingerprinted.
 */
static int
decode_key_line(char *line, unsigned char *blob, size_t bloblen)
{
	char *save = NULL, *method, *type, *b64;
	size_t n, tlen, pad = 0;
	int got;

	method = strtok_r(line, " \t\r", &save);
	type = strtok_r(NULL, " \t\r", &save);
	b64 = strtok_r(NULL, " \t\r", &save);
	if (method == NULL || strcmp(method, "publickey") != 0 || type == NULL || b64 == NULL)
		return -1;
	n = strlen(b64);
	if (n == 0 || n % 4 != 0 || n / 4 * 3 > bloblen)
		return -1;
	while (pad < 2 && b64[n - 1 - pad] == '=')
		pad++;
	/* EVP_DecodeBlock counts the padding's zero bytes; drop them. */
	got = EVP_DecodeBlock(blob, (const unsigned char *)b64, (int)n);
	if (got < 0 || (size_t)got < pad + 4)
		return -1;
	got -= (int)pad;
	tlen = strlen(type);
	if ((size_t)got < 4 + tlen ||
	    ((size_t)blob[0] << 24 | (size_t)blob[1] << 16 | (size_t)blob[2] << 8 | blob[3]) != tlen ||
	    memcmp(blob + 4, type, tlen) != 0)
		return -1;
	return got;
}

/* The whole SSH_USER_AUTH file as a string, or NULL. Free it. */
static char *
read_auth_file(void)
{
	const char *path = getenv("SSH_USER_AUTH");
	char *text;
	ssize_t n;
	int fd;

	if (path == NULL || path[0] == '\0')
		return NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_debug("SSH_USER_AUTH %s: cannot open it; no key in the journal", path);
		return NULL;
	}
	if ((text = malloc(AUTH_FILE_MAX + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	n = read_full(fd, text, AUTH_FILE_MAX);
	close(fd);
	if (n < 0) {
		free(text);
		return NULL;
	}
	text[n] = '\0';
	return text;
}

int
ident_ssh_key(char *out, size_t outlen)
{
	static unsigned char blob[KEY_BLOB_MAX];
	unsigned char md[SHA256_LEN], b64[4 * ((SHA256_LEN + 2) / 3) + 1];
	char *text = read_auth_file(), *save = NULL;
	int len = -1, n;

	if (text == NULL)
		return -1;
	for (char *line = strtok_r(text, "\n", &save); line && len < 0;
	    line = strtok_r(NULL, "\n", &save))
		len = decode_key_line(line, blob, sizeof(blob));
	free(text);
	if (len < 0 || sha256_buf(blob, (size_t)len, md) != CUT_OK)
		return -1;
	n = EVP_EncodeBlock(b64, md, SHA256_LEN);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	b64[n] = '\0';
	snprintf(out, outlen, "SHA256:%s", (const char *)b64);
	return 0;
}

void
ident_add_ssh_key(struct kvlist *out)
{
	char fp[128];

	if (ident_ssh_key(fp, sizeof(fp)) == 0)
		(void)kv_add(out, "key", fp);
}
