/*
 * history with a projection (protocol 1.3, the report's read): only end
 * records and notes, only the named fields. `cutover report` reads every
 * host's whole journal; hook output and digests are most of its bytes
 * and begin records half its frames, none of which the report needs.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "err.h"
#include "journal.h"
#include "ops.h"

struct hf {
	const struct sink *sink;
	int ends_only;
	const char *fields;	/* comma-separated, or NULL for all */
	long long n, sent;
};

/* 1 when key is one of the comma-separated names in list. */
static int
listed(const char *list, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = list; p && *p;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);

		if (len == n && strncmp(p, key, n) == 0)
			return 1;
		p = c ? c + 1 : NULL;
	}
	return 0;
}

static int
one(void *ctx, const struct kvlist *rec)
{
	struct hf *h = ctx;
	const char *phase = kv_get(rec, "phase");
	struct kvlist out = KVLIST_INIT;

	h->n++;
	if (h->ends_only && phase != NULL && strcmp(phase, "begin") == 0)
		return 0;
	h->sent++;
	if (h->fields == NULL) {
		sink_record(h->sink, rec);
		return 0;
	}
	for (size_t i = 0; i < rec->n; i++)
		if (listed(h->fields, rec->v[i].key) &&
		    kv_add_typed(&out, rec->v[i].key, rec->v[i].val, rec->v[i].type) != CUT_OK)
			break;
	sink_record(h->sink, &out);
	kv_free(&out);
	return 0;
}

int
op_history_filtered(struct app *app, int ends_only, const char *fields, const struct sink *sink,
    struct kvlist *res)
{
	struct hf h = { sink, ends_only, fields, 0, 0 };
	int r;

	if ((r = journal_foreach(app, one, &h)) != CUT_OK)
		return op_fail(res, r, "cannot read journal: %s", strerror(errno));
	kv_add_int(res, "records", h.sent);
	if (h.sent != h.n)
		kv_add_int(res, "journal_records", h.n);
	return CUT_OK;
}
