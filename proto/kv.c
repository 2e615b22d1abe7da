#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "kv.h"

int
kv_add_typed(struct kvlist *l, const char *key, const char *val, enum kv_type type)
{
	char *k, *v;

	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		struct kv *nv = realloc(l->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return CUT_ERR_ALLOC;
		l->v = nv;
		l->cap = ncap;
	}
	k = strdup(key);
	v = strdup(val ? val : "");
	if (k == NULL || v == NULL) {
		free(k);
		free(v);
		return CUT_ERR_ALLOC;
	}
	l->v[l->n].key = k;
	l->v[l->n].val = v;
	l->v[l->n].type = type;
	l->n++;
	return CUT_OK;
}

int
kv_add(struct kvlist *l, const char *key, const char *val)
{
	return kv_add_typed(l, key, val, KV_STR);
}

int
kv_addf(struct kvlist *l, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return CUT_ERR_ALLOC;
	r = kv_add(l, key, s);
	free(s);
	return r;
}

int
kv_add_int(struct kvlist *l, const char *key, long long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", val);
	return kv_add_typed(l, key, buf, KV_INT);
}

int
kv_add_bool(struct kvlist *l, const char *key, int val)
{
	return kv_add_typed(l, key, val ? "true" : "false", KV_BOOL);
}

int
kv_set(struct kvlist *l, const char *key, const char *val)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].key, key) == 0) {
			char *v = strdup(val ? val : "");

			if (v == NULL)
				return CUT_ERR_ALLOC;
			free(l->v[i].val);
			l->v[i].val = v;
			l->v[i].type = KV_STR;
			return CUT_OK;
		}
	}
	return kv_add(l, key, val);
}

const char *
kv_get(const struct kvlist *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return l->v[i].val;
	return NULL;
}

long long
kv_get_int(const struct kvlist *l, const char *key, long long dflt)
{
	const char *s = kv_get(l, key);
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return dflt;
	v = strtoll(s, &end, 10);
	return *end == '\0' ? v : dflt;
}

void
kv_free(struct kvlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].val);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

int
kv_copy(struct kvlist *dst, const struct kvlist *src)
{
	for (size_t i = 0; i < src->n; i++) {
		int r = kv_add_typed(dst, src->v[i].key, src->v[i].val, src->v[i].type);

		if (r != CUT_OK)
			return r;
	}
	return CUT_OK;
}

/* s with backslash and control characters escaped as JSON does; in_json: '"' too. */
static void
print_escaped(const char *s, FILE *f, int in_json)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs(in_json ? "\\\"" : "\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
}

void
json_print_string(const char *s, FILE *f)
{
	fputc('"', f);
	print_escaped(s, f, 1);
	fputc('"', f);
}

void
kv_print_json(const struct kvlist *l, FILE *f)
{
	fputc('{', f);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			fputc(',', f);
		json_print_string(l->v[i].key, f);
		fputc(':', f);
		if (l->v[i].type == KV_STR)
			json_print_string(l->v[i].val, f);
		else
			fputs(l->v[i].val, f);
	}
	fputs("}\n", f);
}

void
kv_print_text_value(const char *s, FILE *f)
{
	print_escaped(s, f, 0);
}

void
kv_print_field_value(const char *v, FILE *f)
{
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '\\' || *p == 0x7f)
			break;
	if (*p == '\0' && v[0] != '\0') {
		fputs(v, f);
		return;
	}
	putc('"', f);
	for (p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\r')
			fputs("\\r", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < ' ' || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			putc(*p, f);
	}
	putc('"', f);
}

