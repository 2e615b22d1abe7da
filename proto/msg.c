#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "msg.h"

const char *
msg_type_name(int type)
{
	switch (type) {
	case MSG_HELLO: return "HELLO";
	case MSG_ERROR: return "ERROR";
	case MSG_REQUEST: return "REQUEST";
	case MSG_DATA: return "DATA";
	case MSG_DATA_END: return "DATA_END";
	case MSG_EVENT: return "EVENT";
	case MSG_RECORD: return "RECORD";
	case MSG_RESULT: return "RESULT";
	default: return "unknown";
	}
}

/* Capabilities are words; a substring match would confuse "lock" and "unlock". */
int
msg_caps_has(const char *caps, const char *cap)
{
	size_t n = strlen(cap);
	const char *p = caps;

	if (caps == NULL || n == 0)
		return 0;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (strncmp(p, cap, n) == 0 && (p[n] == ' ' || p[n] == '\0'))
			return 1;
		while (*p != ' ' && *p != '\0')
			p++;
	}
	return 0;
}

/* Keys become JSON object keys and log words: keep them plain. */
static int
valid_key(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > PROTO_KEY_MAX)
		return 0;
	for (; *k != '\0'; k++) {
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		    (*k >= '0' && *k <= '9') || *k == '_' || *k == '-' || *k == '.'))
			return 0;
	}
	return 1;
}

/*
 * KV_INT and KV_BOOL values are printed into JSON unquoted, so a hostile
 * peer must not be able to smuggle anything but a number or a literal.
 */
static int
valid_value(const char *v, int type)
{
	size_t n = 0;

	switch (type) {
	case KV_STR:
		return strlen(v) <= PROTO_STRING_MAX;
	case KV_INT:
		if (*v == '-')
			v++;
		for (; *v >= '0' && *v <= '9'; v++)
			n++;
		return *v == '\0' && n >= 1 && n <= 19;
	case KV_BOOL:
		return strcmp(v, "true") == 0 || strcmp(v, "false") == 0;
	default:
		return 0;
	}
}

static int
valid_sha256hex(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return 1;
	if (n != PROTO_SHA256_HEX)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

/* Op names are table keys: short lower-case words. */
static int
valid_op(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > PROTO_OP_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
			return 0;
	return 1;
}

/* A text field we send must pass the peer's decoder: capped, no NUL by construction. */
static int
put_text(struct buf *b, const char *s, size_t max)
{
	if (s == NULL)
		s = "";
	if (strlen(s) > max)
		return CUT_ERR_TOO_LARGE;
	return buf_put_cstring(b, s);
}

int
msg_put_kvlist(struct buf *b, const struct kvlist *kv)
{
	size_t n = kv == NULL ? 0 : kv->n;
	int r;

	if (n > PROTO_KV_MAX)
		return CUT_ERR_TOO_LARGE;
	if ((r = buf_put_u32(b, (uint32_t)n)) != CUT_OK)
		return r;
	for (size_t i = 0; i < n; i++) {
		const struct kv *p = &kv->v[i];

		if (!valid_key(p->key) || !valid_value(p->val, (int)p->type))
			return CUT_ERR_PROTOCOL;
		if ((r = buf_put_u8(b, (uint8_t)p->type)) != CUT_OK ||
		    (r = buf_put_cstring(b, p->key)) != CUT_OK ||
		    (r = buf_put_cstring(b, p->val)) != CUT_OK)
			return r;
	}
	return CUT_OK;
}

/* The count is checked before any pair is read, so it cannot size an allocation. */
int
msg_get_kvlist(struct buf *b, struct kvlist *kv)
{
	uint32_t n;
	uint8_t type;
	char *key = NULL, *val = NULL;
	int r;

	*kv = (struct kvlist)KVLIST_INIT;
	if ((r = buf_get_u32(b, &n)) != CUT_OK)
		return r;
	if (n > PROTO_KV_MAX)
		return CUT_ERR_TOO_LARGE;
	for (uint32_t i = 0; i < n; i++) {
		if ((r = buf_get_u8(b, &type)) != CUT_OK)
			goto out;
		if ((r = buf_get_cstring(b, &key, PROTO_KEY_MAX)) != CUT_OK ||
		    (r = buf_get_cstring(b, &val, PROTO_STRING_MAX)) != CUT_OK)
			goto out;
		if (!valid_key(key) || !valid_value(val, type)) {
			r = CUT_ERR_PROTOCOL;
			goto out;
		}
		if ((r = kv_add_typed(kv, key, val, (enum kv_type)type)) != CUT_OK)
			goto out;
		free(key);
		free(val);
		key = val = NULL;
	}
	return CUT_OK;
out:
	free(key);
	free(val);
	kv_free(kv);
	return r;
}

/* Every encoder: open a frame, put fields, close it or take it back. */
#define PUT(expr) do { if ((r = (expr)) != CUT_OK) goto fail; } while (0)

int
msg_put_hello(struct buf *out, uint32_t major, uint32_t minor, const char *caps)
{
	size_t mark;
	int r;

	if ((r = frame_begin(out, MSG_HELLO, &mark)) != CUT_OK)
		return r;
	PUT(buf_put_u32(out, major));
	PUT(buf_put_u32(out, minor));
	PUT(put_text(out, caps, PROTO_CAPS_MAX));
	return frame_end(out, mark);
fail:
	frame_abort(out, mark);
	return r;
}

int
msg_put_error(struct buf *out, int32_t code, const char *message)
{
	size_t mark;
	int r;

	if (code > 0)
		return CUT_ERR_INTERNAL;
	if ((r = frame_begin(out, MSG_ERROR, &mark)) != CUT_OK)
		return r;
	PUT(buf_put_i32(out, code));
	PUT(put_text(out, message, PROTO_MESSAGE_MAX));
	return frame_end(out, mark);
fail:
	frame_abort(out, mark);
	return r;
}

int
msg_put_request(struct buf *out, uint32_t req_id, const char *op,
    const char *app, const struct kvlist *args)
{
	size_t mark;
	int r;

	if (op == NULL || !valid_op(op))
		return CUT_ERR_PROTOCOL;
	if ((r = frame_begin(out, MSG_REQUEST, &mark)) != CUT_OK)
		return r;
	PUT(buf_put_u32(out, req_id));
	PUT(put_text(out, op, PROTO_OP_MAX));
	PUT(put_text(out, app, PROTO_APP_MAX));
	PUT(msg_put_kvlist(out, args));
	return frame_end(out, mark);
fail:
	frame_abort(out, mark);
	return r;
}

int
msg_put_data(struct buf *out, uint32_t req_id, const void *p, size_t len)
{
	size_t mark;
	int r;

	if (len > PROTO_DATA_MAX)
		return CUT_ERR_TOO_LARGE;
	if ((r = frame_begin(out, MSG_DATA, &mark)) != CUT_OK)
		return r;
	PUT(buf_put_u32(out, req_id));
	PUT(buf_put_string(out, p, len));
	return frame_end(out, mark);
fail:
	frame_abort(out, mark);
	return r;
}

int
msg_put_data_end(struct buf *out, uint32_t req_id, const char *sha256hex)
{
	size_t mark;
	int r;

	if (sha256hex == NULL)
		sha256hex = "";
	if (strlen(sha256hex) > PROTO_SHA256_HEX || !valid_sha256hex(sha256hex))
		return CUT_ERR_CHECKSUM;
	if ((r = frame_begin(out, MSG_DATA_END, &mark)) != CUT_OK)
		return r;
	PUT(buf_put_u32(out, req_id));
	PUT(buf_put_cstring(out, sha256hex));
	return frame_end(out, mark);
fail:
	frame_abort(out, mark);
	return r;
}

static int
put_id_kv(struct buf *out, uint8_t type, uint32_t req_id, const struct kvlist *kv)
{
	size_t mark;
	int r;

	if ((r = frame_begin(out, type, &mark)) != CUT_OK)
		return r;
	PUT(buf_put_u32(out, req_id));
	PUT(msg_put_kvlist(out, kv));
	return frame_end(out, mark);
fail:
	frame_abort(out, mark);
	return r;
}

int
msg_put_event(struct buf *out, uint32_t req_id, const struct kvlist *kv)
{
	return put_id_kv(out, MSG_EVENT, req_id, kv);
}

int
msg_put_record(struct buf *out, uint32_t req_id, const struct kvlist *kv)
{
	return put_id_kv(out, MSG_RECORD, req_id, kv);
}

int
msg_put_result(struct buf *out, uint32_t req_id, int32_t err,
    uint8_t exit_code, const struct kvlist *kv)
{
	size_t mark;
	int r;

	if (err > 0)
		return CUT_ERR_INTERNAL;
	if ((r = frame_begin(out, MSG_RESULT, &mark)) != CUT_OK)
		return r;
	PUT(buf_put_u32(out, req_id));
	PUT(buf_put_i32(out, err));
	PUT(buf_put_u8(out, exit_code));
	PUT(msg_put_kvlist(out, kv));
	return frame_end(out, mark);
fail:
	frame_abort(out, mark);
	return r;
}

#undef PUT
/* Decoders: a failed getter ends the message; msg_free() cleans up. */
#define GET(expr) do { if ((r = (expr)) != CUT_OK) return r; } while (0)

static int
decode_body(struct buf *b, struct msg *m)
{
	const unsigned char *p;
	int r;

	switch (m->type) {
	case MSG_HELLO:
		GET(buf_get_u32(b, &m->major));
		GET(buf_get_u32(b, &m->minor));
		GET(buf_get_cstring(b, &m->caps, PROTO_CAPS_MAX));
		return CUT_OK;
	case MSG_ERROR:
		GET(buf_get_i32(b, &m->code));
		GET(buf_get_cstring(b, &m->message, PROTO_MESSAGE_MAX));
		return m->code > 0 ? CUT_ERR_PROTOCOL : CUT_OK;
	case MSG_REQUEST:
		GET(buf_get_u32(b, &m->req_id));
		GET(buf_get_cstring(b, &m->op, PROTO_OP_MAX));
		if (!valid_op(m->op))
			return CUT_ERR_PROTOCOL;
		GET(buf_get_cstring(b, &m->app, PROTO_APP_MAX));
		return msg_get_kvlist(b, &m->kv);
	case MSG_DATA:
		GET(buf_get_u32(b, &m->req_id));
		GET(buf_get_string_direct(b, &p, &m->datalen, PROTO_DATA_MAX));
		m->data = p;
		return CUT_OK;
	case MSG_DATA_END:
		GET(buf_get_u32(b, &m->req_id));
		GET(buf_get_cstring(b, &m->sha256, PROTO_SHA256_HEX));
		return valid_sha256hex(m->sha256) ? CUT_OK : CUT_ERR_PROTOCOL;
	case MSG_EVENT:
	case MSG_RECORD:
		GET(buf_get_u32(b, &m->req_id));
		return msg_get_kvlist(b, &m->kv);
	case MSG_RESULT:
		GET(buf_get_u32(b, &m->req_id));
		GET(buf_get_i32(b, &m->code));
		GET(buf_get_u8(b, &m->exit_code));
		if (m->code > 0)
			return CUT_ERR_PROTOCOL;
		return msg_get_kvlist(b, &m->kv);
	default:
		return CUT_ERR_PROTOCOL;
	}
}

#undef GET

int
msg_decode(const struct frame *f, struct msg *m)
{
	struct buf b;
	int r;

	memset(m, 0, sizeof(*m));
	m->type = (enum msg_type)f->type;
	buf_view(&b, f->payload, f->len);
	if ((r = decode_body(&b, m)) != CUT_OK)
		goto fail;
	if (buf_len(&b) != 0) {
		r = CUT_ERR_PROTOCOL;	/* consumed != declared length */
		goto fail;
	}
	return CUT_OK;
fail:
	msg_free(m);
	m->type = (enum msg_type)f->type;
	return r;
}

void
msg_free(struct msg *m)
{
	free(m->caps);
	free(m->op);
	free(m->app);
	free(m->sha256);
	free(m->message);
	kv_free(&m->kv);
	memset(m, 0, sizeof(*m));
}
