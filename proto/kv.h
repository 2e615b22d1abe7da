/*
 * An ordered list of typed key/value pairs: the one shape for a command's
 * result, a progress event and a journal record. The CLI prints it as a
 * human line or a JSON object, `serve` sends it over the wire, and the
 * coordinator reads it back, so all three always agree.
 *
 *	struct kvlist r = KVLIST_INIT;
 *	kv_add(&r, "release", id);
 *	kv_add_int(&r, "duration_ms", ms);
 *	kv_print_json(&r, stdout);
 *	kv_free(&r);
 *
 * Adders return 0 or CUT_ERR_ALLOC. Keys are plain identifiers; values are
 * any NUL-free string (JSON output escapes them).
 */
#ifndef CUT_KV_H
#define CUT_KV_H

#include <stddef.h>
#include <stdio.h>

enum kv_type {
	KV_STR = 0,	/* printed as a JSON string */
	KV_INT = 1,	/* decimal integer, printed as a JSON number */
	KV_BOOL = 2	/* "true" or "false", printed as a JSON literal */
};

struct kv {
	char *key;
	char *val;
	enum kv_type type;
};

struct kvlist {
	struct kv *v;
	size_t n;
	size_t cap;
};

#define KVLIST_INIT { NULL, 0, 0 }

int kv_add(struct kvlist *l, const char *key, const char *val);
int kv_add_typed(struct kvlist *l, const char *key, const char *val, enum kv_type type);
int kv_addf(struct kvlist *l, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int kv_add_int(struct kvlist *l, const char *key, long long val);
int kv_add_bool(struct kvlist *l, const char *key, int val);
/* Replace the value of an existing key, or add it. */
int kv_set(struct kvlist *l, const char *key, const char *val);

/* Value of the first pair named key, or NULL. */
const char *kv_get(const struct kvlist *l, const char *key);
/* Integer value of key, or dflt when absent or not a number. */
long long kv_get_int(const struct kvlist *l, const char *key, long long dflt);

void kv_free(struct kvlist *l);
/* Deep copy; 0 or CUT_ERR_ALLOC. */
int kv_copy(struct kvlist *dst, const struct kvlist *src);

/* One JSON object on one line, newline-terminated. */
void kv_print_json(const struct kvlist *l, FILE *f);
/* Write s as a JSON string literal (quotes included). */
void json_print_string(const char *s, FILE *f);

/*
 * A value on one line of text: backslash and control characters escaped as
 * the JSON output escapes them (\\, \n, \r, \t, \u00XX), so hook output
 * cannot break a row or forge one (both programs' history).
 */
void kv_print_text_value(const char *s, FILE *f);
/*
 * A value of a key=value field: as it is when unambiguous, else in double
 * quotes with \" \\ \n \r \t \xNN escapes, so an actor with spaces or a
 * note with control characters prints as one readable field. UTF-8 passes.
 */
void kv_print_field_value(const char *v, FILE *f);

#endif
