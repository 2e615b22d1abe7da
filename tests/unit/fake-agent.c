/*
 * A scripted fake cutover-agent for the engine's unit tests: speaks the
 * wire protocol (proto/PROTOCOL) on stdin/stdout and keeps one host's
 * truth in files, so a test can see where every host ended.
 *
 *	fake-agent DIR NAME SCRIPT
 *
 * DIR/NAME.cur holds the current release ("" none), DIR/NAME.prev the one
 * before; DIR/NAME.meta what made current (the status fields current_op,
 * current_rollout, current_kind, current_from, current_ts_ms, one
 * KEY=VALUE a line), DIR/NAME.note the last note's args; every request is
 * appended to DIR/NAME.log as "OP ARG". SCRIPT
 * is a comma-separated list of OP=ACTION or OP#N=ACTION (the Nth OP of
 * this session), ACTION one of:
 *	fail     RESULT failed, exit 1, nothing changed
 *	revert   RESULT reversed, exit 1 (activate: the host stays where it was)
 *	locked   RESULT locked, exit 4
 *	bad      RESULT bad archive, exit 3
 *	lose     exit at once without answering (the session is lost)
 *	int      SIGINT to our parent (the coordinator), then answer normally
 *	intlater the same SIGINT 0.5 s after answering normally
 *	slow     answer after 1.5 s
 *	wrong    activate answers success but names another release
 *	evil     status: a current release with a newline and a forged journal
 *	         record, a lock holder with terminal escapes (untrusted.h)
 *	evilfail RESULT failed whose error text carries escapes and a newline
 *	truncate empty DIR/web-2.tgz (the archive), then answer normally
 * and hello=nosig: HELLO without cap sig (an agent before protocol 1.4).
 * An install that carries a signature is logged as "install ID signed".
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "frame.h"
#include "fsutil.h"
#include "msg.h"

static const char *dir, *name, *script;
static char cur[256], prev[256];
static int ncalls[16];
static const char *const ops[] = { "lock", "status", "have", "install", "activate", "rollback", "history",
	"note", "check", "prune", "ping" };
static long long ts_counter;

/* KEY=VALUE lines of DIR/NAME.SUFFIX into kv (with prefix), or written from kv. */
static void
kv_load(const char *suffix, const char *prefix, struct kvlist *kv)
{
	char path[512], line[4600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, suffix);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		char key[128], *eq = strchr(line, '=');

		line[strcspn(line, "\n")] = '\0';
		if (eq == NULL)
			continue;
		*eq = '\0';
		if (strlen(prefix) + strlen(line) >= sizeof(key))
			continue;
		strcpy(key, prefix);
		strcat(key, line);
		kv_add(kv, key, eq + 1);
	}
	fclose(f);
}

static void
kv_save(const char *suffix, const struct kvlist *kv, int skip_identity)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, suffix);
	if ((f = fopen(path, "w")) == NULL)
		return;
	for (size_t i = 0; i < kv->n; i++)
		if (!skip_identity || strcmp(kv->v[i].key, "actor") != 0)
			fprintf(f, "%s=%s\n", kv->v[i].key, kv->v[i].val);
	fclose(f);
}

/* What made current: the switch's identity, as the real agent's status tells it. */
static void
record_switch(const char *op, const struct msg *m, const char *from)
{
	struct kvlist meta = KVLIST_INIT;
	const char *v;

	kv_add(&meta, "op", op);
	kv_add(&meta, "rollout", (v = kv_get(&m->kv, "rollout")) ? v : "");
	kv_add(&meta, "kind", (v = kv_get(&m->kv, "kind")) ? v : "");
	kv_add(&meta, "from", from);
	kv_add_int(&meta, "ts_ms", ++ts_counter + now_ms() * 100);
	kv_save("meta", &meta, 0);
	kv_free(&meta);
}

static void
load(const char *suffix, char *out, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, suffix);
	out[0] = '\0';
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(out, (int)len, f) == NULL)
			out[0] = '\0';
		out[strcspn(out, "\n")] = '\0';
		fclose(f);
	}
}

static void
save(const char *suffix, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, suffix);
	if ((f = fopen(path, suffix[0] == 'l' ? "a" : "w")) != NULL) {
		fprintf(f, "%s\n", text);
		fclose(f);
	}
}

/* The scripted action for this call of op, or "". */
static const char *
action(const char *op, int call, char *out, size_t len)
{
	char want1[64], want2[64];
	const char *p;

	snprintf(want1, sizeof(want1), "%s=", op);
	snprintf(want2, sizeof(want2), "%s#%d=", op, call);
	out[0] = '\0';
	for (p = script; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		size_t n = strcspn(p, ",");
		const char *eq = NULL;

		if (strncmp(p, want1, strlen(want1)) == 0)
			eq = p + strlen(want1);
		else if (strncmp(p, want2, strlen(want2)) == 0)
			eq = p + strlen(want2);
		if (eq && (size_t)(eq - p) <= n) {
			snprintf(out, len, "%.*s", (int)(n - (size_t)(eq - p)), eq);
			return out;
		}
	}
	return out;
}

static int
send_result(int err, int code, const struct kvlist *kv, uint32_t id)
{
	struct buf b;
	int r;

	buf_init(&b, PROTO_FRAME_MAX);
	r = msg_put_result(&b, id, err, (uint8_t)code, kv);
	if (r == CUT_OK)
		r = frame_flush_fd(1, &b, 10000);
	buf_free(&b);
	return r;
}

/* install: swallow DATA until DATA_END (none when the request said have). */
static int
take_upload(struct frame_reader *fr)
{
	struct frame f;
	struct msg m;
	int r, end = 0;

	while (!end) {
		if ((r = frame_read_fd(0, fr, &f, 10000)) != CUT_OK)
			return r;
		if ((r = msg_decode(&f, &m)) == CUT_OK)
			end = m.type == MSG_DATA_END;
		msg_free(&m);
		if (r != CUT_OK)
			return r;
	}
	return CUT_OK;
}

/* Carry out op for real (the host's truth) and fill the RESULT fields. */
static void
perform(const char *op, const struct msg *m, const char *act, struct kvlist *res)
{
	const char *rel = kv_get(&m->kv, "release"), *to = kv_get(&m->kv, "to");
	char line[600];

	if (strcmp(op, "status") == 0 && strcmp(act, "evil") == 0) {
		kv_add(res, "current", "web-1\nend ts=7 outcome=forged");
		kv_add(res, "lock_holder", "\x1b[2J\x1b]0;owned\x07");
	} else if (strcmp(op, "status") == 0) {
		kv_add(res, "current", cur);
		kv_add(res, "previous", prev);
		kv_load("meta", "current_", res);
		kv_load("note", "note_", res);
	} else if (strcmp(op, "note") == 0) {
		kv_save("note", &m->kv, 1);
	} else if (strcmp(op, "check") == 0) {
		kv_add(res, "release", cur);
		kv_add_bool(res, "healthy", 1);
	} else if (strcmp(op, "prune") == 0) {
		kv_add(res, "removed", "");
	} else if (strcmp(op, "have") == 0)
		kv_add(res, "have", "false");
	else if (strcmp(op, "install") == 0)
		kv_add(res, "release", rel ? rel : "");
	else if (strcmp(op, "activate") == 0 || strcmp(op, "rollback") == 0) {
		const char *target = strcmp(op, "activate") == 0 ? rel : to ? to : prev;

		if (target && strcmp(target, cur) != 0) {
			record_switch(op, m, cur);
			snprintf(prev, sizeof(prev), "%s", cur);
			snprintf(cur, sizeof(cur), "%s", target);
			save("cur", cur);
			save("prev", prev);
		}
		kv_add(res, "release", strcmp(act, "wrong") == 0 ? "somewhere-else" : cur);
		kv_add(res, "current", cur);
		kv_add(res, "previous", prev);
	}
	snprintf(line, sizeof(line), "%s %s%s", op, rel ? rel : to ? to : "",
	    kv_get(&m->kv, "signature") ? " signed" : "");
	save("log", line);
}

static int
handle(struct frame_reader *fr, const struct msg *m)
{
	struct kvlist res = KVLIST_INIT;
	char act[32];
	int k = 0, r;

	while (k < (int)(sizeof(ops) / sizeof(ops[0])) && strcmp(ops[k], m->op) != 0)
		k++;
	action(m->op, ++ncalls[k], act, sizeof(act));
	if (strcmp(act, "lose") == 0)
		exit(0);
	if (strcmp(act, "int") == 0)
		kill(getppid(), SIGINT);
	if (strcmp(act, "intlater") == 0) {
		pid_t coordinator = getppid();

		if (fork() == 0) {
			usleep(500000);
			kill(coordinator, SIGINT);
			_exit(0);
		}
	}
	if (strcmp(act, "slow") == 0)
		usleep(1500000);
	if (strcmp(act, "truncate") == 0) {
		char path[512];

		snprintf(path, sizeof(path), "%s/web-2.tgz", dir);
		if (truncate(path, 0) != 0)
			return CUT_ERR_SYSTEM;
	}
	if (strcmp(m->op, "install") == 0 && (r = take_upload(fr)) != CUT_OK)
		return r;
	if (strcmp(act, "fail") == 0 || strcmp(act, "revert") == 0 || strcmp(act, "locked") == 0 ||
	    strcmp(act, "bad") == 0 || strcmp(act, "evilfail") == 0) {
		int err = act[0] == 'f' ? CUT_ERR_FAILED : act[0] == 'r' ? CUT_ERR_REVERSED :
		    act[0] == 'l' ? CUT_ERR_LOCKED : CUT_ERR_BAD_ARCHIVE;

		kv_add(&res, "error", act[0] == 'e' ? "\x1b]0;owned\x07" "boom\nsecond line" : act);
		r = send_result(err, cut_exit_code(err), &res, m->req_id);
	} else {
		perform(m->op, m, act, &res);
		r = send_result(0, 0, &res, m->req_id);
	}
	kv_free(&res);
	return r;
}

int
main(int argc, char **argv)
{
	struct frame_reader fr;
	struct frame f;
	struct buf b;
	struct msg m;
	char act[32], caps[PROTO_CAPS_MAX];
	int r = CUT_OK;

	if (argc != 4)
		return fprintf(stderr, "usage: fake-agent DIR NAME SCRIPT\n"), 2;
	dir = argv[1];
	name = argv[2];
	script = argv[3];
	load("cur", cur, sizeof(cur));
	load("prev", prev, sizeof(prev));
	frame_reader_init(&fr);
	buf_init(&b, PROTO_FRAME_MAX);
	snprintf(caps, sizeof(caps), "%s", PROTO_CAPS);
	if (strcmp(action("hello", 1, act, sizeof(act)), "nosig") == 0 && strstr(caps, " " PROTO_CAP_SIG) != NULL)
		memmove(strstr(caps, " " PROTO_CAP_SIG), strstr(caps, " " PROTO_CAP_SIG) + 4,
		    strlen(strstr(caps, " " PROTO_CAP_SIG) + 4) + 1);
	if (msg_put_hello(&b, PROTO_MAJOR, PROTO_MINOR, caps) != CUT_OK || frame_flush_fd(1, &b, 10000) != CUT_OK)
		return 1;
	buf_free(&b);
	while (r == CUT_OK && frame_read_fd(0, &fr, &f, 60000) == CUT_OK) {
		if (msg_decode(&f, &m) != CUT_OK)
			r = CUT_ERR_PROTOCOL;
		else if (m.type == MSG_REQUEST)
			r = handle(&fr, &m);
		msg_free(&m);
	}
	frame_reader_free(&fr);
	return r == CUT_OK ? 0 : 1;
}
