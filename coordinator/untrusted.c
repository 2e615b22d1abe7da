/* Agents' strings checked and escaped before use (untrusted.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "identity.h"
#include "kv.h"
#include "msg.h"
#include "release_id.h"
#include "untrusted.h"

/* RESULT keys holding one release ID ("" allowed: no release). */
static const char *const id_keys[] = {
	"release", "current", "previous", "current_from", "note_release", "note_prev", NULL
};
/* ... a blank-separated list of release IDs. */
static const char *const id_list_keys[] = { "releases", "removed", "pruned", "pinned", "bad", NULL };
/* ... a rollout ID. */
static const char *const rollout_keys[] = { "current_rollout", "note_rollout", NULL };

static int
listed(const char *const *list, const char *key)
{
	for (; *list; list++)
		if (strcmp(*list, key) == 0)
			return 1;
	return 0;
}

static int
id_list_ok(const char *v)
{
	char id[RELEASE_ID_MAX + 1];

	while (*v) {
		size_t n = strcspn(v, " ");

		if (n > RELEASE_ID_MAX)
			return 0;
		memcpy(id, v, n);
		id[n] = '\0';
		if (n > 0 && !release_id_valid(id))
			return 0;
		v += n + (v[n] == ' ');
	}
	return 1;
}

static int
value_ok(const char *key, const char *v)
{
	if (listed(id_keys, key))
		return *v == '\0' || release_id_valid(v);
	if (listed(id_list_keys, key))
		return id_list_ok(v);
	if (listed(rollout_keys, key))
		return *v == '\0' || identity_rollout_valid(v);
	return 1;
}

/* Length of the UTF-8 sequence at p of a printable code point (not C1), or 0. */
static size_t
utf8_len(const unsigned char *p)
{
	size_t n;
	unsigned cp;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1fu;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0fu;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07u;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	if ((n == 2 && cp < 0xa0) || (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* keep_c0: leave C0 and DEL for a printer that escapes them itself (RECORDs). */
static void
escape(const char *s, char *out, size_t outlen, int keep_c0)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, n;
	char e[5];

	if (outlen == 0)
		return;
	while (*p) {
		if ((*p >= 0x20 && *p < 0x7f) || (keep_c0 && *p < 0x80)) {
			e[0] = (char)*p, e[1] = '\0', n = 1;
		} else if (*p >= 0x80 && (n = utf8_len(p)) > 0) {
			if (o + n >= outlen)
				break;
			memcpy(out + o, p, n);
			o += n, p += n;
			continue;
		} else if (*p == '\n' || *p == '\t' || *p == '\r') {
			snprintf(e, sizeof(e), "\\%c", *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r');
			n = 2;
		} else {
			snprintf(e, sizeof(e), "\\x%02x", *p);
			n = 4;
		}
		if (o + n >= outlen)
			break;
		memcpy(out + o, e, n);
		o += n, p++;
	}
	out[o] = '\0';
}

void
untrusted_escape(const char *s, char *out, size_t outlen)
{
	escape(s, out, outlen, 0);
}

char *
untrusted_escape_dup(const char *s)
{
	size_t len = strlen(s) * 4 + 1;
	char *out = malloc(len);

	if (out != NULL)
		escape(s, out, len, 0);
	return out;
}

/* Replace *slot with its escaped copy when it needs one. */
static int
escape_slot(char **slot, int keep_c0)
{
	size_t len;
	char *e;

	if (*slot == NULL)
		return CUT_OK;
	len = strlen(*slot) * 4 + 1;
	if ((e = malloc(len)) == NULL)
		return CUT_ERR_ALLOC;
	escape(*slot, e, len, keep_c0);
	if (strcmp(e, *slot) == 0) {
		free(e);
		return CUT_OK;
	}
	free(*slot);
	*slot = e;
	return CUT_OK;
}

int
untrusted_check(struct msg *m, char *why, size_t whylen)
{
	if (m->type == MSG_RESULT)
		for (size_t i = 0; i < m->kv.n; i++)
			if (m->kv.v[i].type == KV_STR && !value_ok(m->kv.v[i].key, m->kv.v[i].val)) {
				char shown[96];

				untrusted_escape(m->kv.v[i].val, shown, sizeof(shown));
				snprintf(why, whylen, "agent sent an invalid %s \"%s\": refusing its answer",
				    m->kv.v[i].key, shown);
				return CUT_ERR_PROTOCOL;
			}
	/* RECORDs keep C0 (their printers escape it, JSON gives hook output its newlines back). */
	for (size_t i = 0; i < m->kv.n; i++)
		if (m->kv.v[i].type == KV_STR && escape_slot(&m->kv.v[i].val, m->type == MSG_RECORD) != CUT_OK)
			return CUT_ERR_ALLOC;
	if (escape_slot(&m->message, 0) != CUT_OK || escape_slot(&m->caps, 0) != CUT_OK)
		return CUT_ERR_ALLOC;
	return CUT_OK;
}
