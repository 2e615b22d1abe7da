/* status and history: read-only views of the journal and the releases. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "escape.h"
#include "fsutil.h"
#include "journal.h"
#include "manifest.h"
#include "ops.h"
#include "proto.h"
#include "state.h"

static int
by_install_order(const void *a, const void *b)
{
	const struct release_info *x = a, *y = b;

	if (x->installed_seq != y->installed_seq)
		return x->installed_seq < y->installed_seq ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Append word to a space-separated list kept in a kv value. */
static void
list_add(char **list, const char *word)
{
	size_t old = *list ? strlen(*list) : 0;
	char *n = realloc(*list, old + strlen(word) + 2);

	if (n == NULL)
		return;
	if (old)
		n[old++] = ' ';
	strcpy(n + old, word);
	*list = n;
}

/* What made current current, when the journal knows and agrees with the disk. */
static const struct switch_info *
current_switch(const struct state *st)
{
	const struct switch_info *sw = &st->last_switch;

	return st->current[0] && sw->op[0] && strcmp(sw->release, st->current) == 0 ? sw : NULL;
}

/* The "switched:" and "rollout:" lines of the text status (cutover-agent(8), status). */
static void
print_rollout_lines(FILE *m, const struct state *st)
{
	const struct switch_info *sw = current_switch(st);
	char tbuf[32];
	const char *state = st->has_note ? kv_get(&st->note, "state") : NULL;

	if (sw != NULL) {
		const char *sep = " (";

		/* switched: by deploy (rollout r-42, deploy, alice) from web-1 at TIME */
		format_time(sw->ts_ms, tbuf);
		fprintf(m, "switched: by %s", sw->op);
		if (sw->rollout[0]) {
			fprintf(m, "%srollout %s", sep, sw->rollout);
			sep = ", ";
		}
		if (sw->kind[0]) {
			fprintf(m, "%s%s", sep, sw->kind);
			sep = ", ";
		}
		if (sw->actor[0]) {
			fprintf(m, "%s%s", sep, sw->actor);
			sep = ", ";
		}
		fprintf(m, "%s from %s at %s\n", sep[0] == ',' ? ")" : "",
		    sw->from[0] ? sw->from : "none", tbuf);
	}
	if (state != NULL && strcmp(state, "paused") == 0) {
		const char *id = kv_get(&st->note, "rollout");

		format_time(kv_get_int(&st->note, "ts_ms", 0), tbuf);
		fprintf(m, "rollout:  %s %s (since %s)\n", id ? id : "-", state, tbuf);
	}
}

/*
 * The last blue-green switch record (note state=live, protocol 1.4):
 * live_ts_ms, then live_KEY for each of its fields but time, ts_ms, op,
 * phase and state (live_pool, live_release, live_from, live_actor, ...);
 * the fixed ones "" when there is none.
 */
static void
add_live_fields(struct kvlist *res, const struct state *st)
{
	static const char *const fixed[] = { "pool", "release", "from", "from_release", "rollout", "kind",
	    "actor", NULL };
	char key[PROTO_KEY_MAX + 1];

	for (int i = 0; fixed[i]; i++) {
		const char *v = st->has_live ? kv_get(&st->live, fixed[i]) : NULL;

		snprintf(key, sizeof(key), "live_%s", fixed[i]);
		kv_add(res, key, v ? v : "");
	}
	kv_add_int(res, "live_ts_ms", st->has_live ? kv_get_int(&st->live, "ts_ms", 0) : 0);
	for (size_t i = 0; st->has_live && i < st->live.n; i++) {
		const char *k = st->live.v[i].key;

		if (strcmp(k, "time") == 0 || strcmp(k, "ts_ms") == 0 || strcmp(k, "op") == 0 ||
		    strcmp(k, "phase") == 0 || strcmp(k, "state") == 0)
			continue;
		snprintf(key, sizeof(key), "live_%s", k);
		if (kv_get(res, key) == NULL)
			kv_add(res, key, st->live.v[i].val);
	}
}

/*
 * The result fields of the last switch (current_*) and of the last rollout
 * note (note_*: every field of the record but time, ts_ms, op and phase,
 * plus note_ts_ms), "" and 0 when unknown.
 */
static void
add_rollout_fields(struct kvlist *res, const struct state *st)
{
	const struct switch_info *sw = current_switch(st);
	static const char *const fixed[] = { "rollout", "state", "kind", "actor", NULL };
	char key[PROTO_KEY_MAX + 1];

	kv_add(res, "current_op", sw ? sw->op : "");
	kv_add(res, "current_rollout", sw ? sw->rollout : "");
	kv_add(res, "current_kind", sw ? sw->kind : "");
	kv_add(res, "current_actor", sw ? sw->actor : "");
	kv_add(res, "current_from", sw ? sw->from : "");
	kv_add_int(res, "current_ts_ms", sw ? sw->ts_ms : 0);
	for (int i = 0; fixed[i]; i++) {
		const char *v = st->has_note ? kv_get(&st->note, fixed[i]) : NULL;

		snprintf(key, sizeof(key), "note_%s", fixed[i]);
		kv_add(res, key, v ? v : "");
	}
	kv_add_int(res, "note_ts_ms", st->has_note ? kv_get_int(&st->note, "ts_ms", 0) : 0);
	add_live_fields(res, st);
	for (size_t i = 0; st->has_note && i < st->note.n; i++) {
		const char *k = st->note.v[i].key;

		if (strcmp(k, "time") == 0 || strcmp(k, "ts_ms") == 0 || strcmp(k, "op") == 0 ||
		    strcmp(k, "phase") == 0)
			continue;
		snprintf(key, sizeof(key), "note_%s", k);
		if (kv_get(res, key) == NULL)
			kv_add(res, key, st->note.v[i].val);
	}
}

/*
 * The last blue-green switch recorded here (cutover(1), Blue-green), as one
 * line: "live:     pool green (web-2) since TIME, by alice". The values come
 * from the coordinator's note, so they are escaped like any outside text.
 */
static void
live_status_text(FILE *m, const struct state *st)
{
	static const char *const keys[] = { "pool", "release", "actor" };
	char v[3][256], tbuf[32];

	if (!st->has_live)
		return;
	for (int i = 0; i < 3; i++) {
		const char *s = kv_get(&st->live, keys[i]);

		text_escape(s ? s : "", v[i], sizeof(v[i]), 128, 0);
	}
	format_time(kv_get_int(&st->live, "ts_ms", 0), tbuf);
	fprintf(m, "live:     pool %s (%s) since %s%s%s\n", v[0][0] ? v[0] : "?",
	    v[1][0] ? v[1] : "?", tbuf, v[2][0] ? ", by " : "", v[2]);
}

/*
 * dedupe (cutover-agent.ini(5)): what the current release's install linked
 * instead of writing, i.e. the bytes it shares with the release current
 * before it. Other releases' numbers are in their install records (history).
 */
static void
dedupe_status(FILE *m, struct kvlist *res, const struct app *app, const struct state *st)
{
	const struct release_info *ri = st->current[0] ? state_find(st, st->current) : NULL;
	long long files = ri && ri->dedupe ? ri->dedupe_files : 0;
	long long bytes = ri && ri->dedupe ? ri->dedupe_bytes : 0;

	if (m != NULL && (app->conf.dedupe || (ri && ri->dedupe)))
		fprintf(m, "dedupe:   %s; current saved %lld bytes (%lld files linked, not written)\n",
		    app->conf.dedupe ? "on" : "off", bytes, files);
	if (res != NULL) {
		kv_add_bool(res, "dedupe", app->conf.dedupe);
		kv_add_int(res, "current_dedupe_files", files);
		kv_add_int(res, "current_dedupe_bytes", bytes);
	}
}

int
op_status(struct app *app, const struct sink *sink, struct kvlist *res)
{
	struct state st;
	char holder[1024] = "", *all = NULL, *bad = NULL, *pinned = NULL, *msg = NULL;
	const char *prev;
	size_t len = 0;
	FILE *m;
	int r, locked;

	(void)sink;
	if ((r = state_load(app, &st)) != CUT_OK)
		return op_fail(res, r, "cannot read state: %s", strerror(errno));
	if (st.nrel > 0)	/* qsort(NULL, 0) is undefined */
		qsort(st.rel, st.nrel, sizeof(*st.rel), by_install_order);
	prev = state_rollback_target(&st);
	locked = app_lock_probe(app, holder, sizeof(holder));

	if ((m = open_memstream(&msg, &len)) == NULL) {
		state_free(&st);
		return op_fail(res, CUT_ERR_ALLOC, "out of memory");
	}
	fprintf(m, "app:      %s (%s)\n", app->conf.name, app->conf.root);
	/* Read-only open: a missing ROOT is fd -1, not an error (app.h). */
	if (app->rootfd == -1)
		fprintf(m, "root:     ROOT %s does not exist (nothing deployed; a deploy creates it)\n",
		    app->conf.root);
	fprintf(m, "current:  %s\n", st.current[0] ? st.current : "none");
	fprintf(m, "previous: %s\n", prev ? prev : "none");
	print_rollout_lines(m, &st);
	live_status_text(m, &st);
	schema_status_text(m, &st, prev);
	dedupe_status(m, NULL, app, &st);
	fprintf(m, "lock:     %s%s\n", locked ? "held by " : "free", locked ? holder : "");
	if (st.has_pending)
		fprintf(m, "pending:  interrupted %s of %s (the next command recovers it)\n",
		    kv_get(&st.pending, "op"), kv_get(&st.pending, "release") ?
		    kv_get(&st.pending, "release") : "-");
	fprintf(m, "releases:\n");
	for (size_t i = 0; i < st.nrel; i++) {
		const struct release_info *ri = &st.rel[i];
		char tbuf[32] = "";

		if (!ri->on_disk)
			continue;
		list_add(&all, ri->id);
		if (ri->bad)
			list_add(&bad, ri->id);
		if (ri->pinned)
			list_add(&pinned, ri->id);
		if (ri->installed_ms)
			format_time(ri->installed_ms, tbuf);
		fprintf(m, "  %-24s %-20s %s%s%s%s%s\n", ri->id, tbuf,
		    strcmp(ri->id, st.current) == 0 ? " current" : "",
		    prev && strcmp(ri->id, prev) == 0 ? " previous" : "",
		    ri->bad ? " BAD" : "", ri->pinned ? " pinned" : "",
		    ri->activated ? "" : " never-activated");
	}
	fclose(m);
	if (len > 0 && msg[len - 1] == '\n')
		msg[len - 1] = '\0';

	kv_add(res, "root", app->conf.root);
	kv_add_bool(res, "root_exists", app->rootfd != -1);
	kv_add(res, "current", st.current);
	kv_add(res, "previous", prev ? prev : "");
	kv_add_bool(res, "locked", locked);
	kv_add(res, "lock_holder", locked ? holder : "");
	kv_add(res, "releases", all ? all : "");
	kv_add(res, "bad", bad ? bad : "");
	kv_add(res, "pinned", pinned ? pinned : "");
	kv_add(res, "pending", st.has_pending ? kv_get(&st.pending, "op") : "");
	add_rollout_fields(res, &st);
	schema_status_fields(res, &st, prev);
	dedupe_status(NULL, res, app, &st);
	kv_add_int(res, "worst_case_s", op_worst_case_s(app));
	kv_add(res, "message", msg);
	free(all);
	free(bad);
	free(pinned);
	free(msg);
	state_free(&st);
	return CUT_OK;
}

struct history_ctx {
	const struct sink *sink;
	long long n;
};

static int
history_one(void *ctx, const struct kvlist *rec)
{
	struct history_ctx *hc = ctx;

	hc->n++;
	sink_record(hc->sink, rec);
	return 0;
}

int
op_history(struct app *app, const struct sink *sink, struct kvlist *res)
{
	struct history_ctx hc = { sink, 0 };
	int r;

	if ((r = journal_foreach(app, history_one, &hc)) != CUT_OK)
		return op_fail(res, r, "cannot read journal: %s", strerror(errno));
	kv_add_int(res, "records", hc.n);
	return CUT_OK;
}
