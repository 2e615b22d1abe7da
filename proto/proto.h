/*
 * The cutover wire protocol: message types, payload layouts and limits.
 * proto/PROTOCOL is the prose version of this header; keep them in step.
 *
 * !!! Any change to a message layout, a type number or a limit that a peer
 * !!! could observe MUST bump PROTO_MAJOR (incompatible) or PROTO_MINOR
 * !!! (compatible addition, e.g. a new optional kv field or a new
 * !!! capability), and be written down in proto/PROTOCOL.
 *
 * A frame on the wire:
 *	u32	length		(big-endian; counts the type byte + payload)
 *	u8	type		(enum msg_type)
 *	byte	payload[length - 1]
 *
 * Payload field encodings: u8, u32, u64 and i32 big-endian; a string is a
 * u32 length + that many bytes, no NUL inside, no terminator; a kvlist is a
 * u32 count + per pair {u8 kv_type, string key, string value}.
 */
#ifndef CUT_PROTO_H
#define CUT_PROTO_H

#define PROTO_MAJOR	1	/* incompatible changes */
#define PROTO_MINOR	4	/* compatible additions */

/*
 * Capabilities this build offers in HELLO, space separated. A peer may only
 * rely on a capability both sides listed. 1.2 added ping, note and check
 * (the ops of those names); an agent with an idle timeout also lists
 * idle=SECONDS (PROTOCOL section 4).
 */
#define PROTO_CAPS	"upload have lock events records ping note check drill sig live"
/*
 * 1.1: offered by an agent whose libarchive reads zstd; the client may then
 * send a zstd recompression of the archive with archive_sha256 naming the
 * original (PROTOCOL section 5).
 */
#define PROTO_CAP_ZSTD	"zstd"
/* 1.2: requests carry rollout/kind/actor; note, check and ping requests (proto/PROTOCOL). */
#define PROTO_CAP_NOTE	"note"
#define PROTO_CAP_CHECK	"check"
#define PROTO_CAP_PING	"ping"
/* 1.3: the drill op; activate/rollback take force_schema; status has schema_* fields. */
#define PROTO_CAP_DRILL	"drill"
/* 1.4: install/deploy take signature, an armored `ssh-keygen -Y sign -n cutover` text (PROTOCOL section 13). */
#define PROTO_CAP_SIG	"sig"
/* 1.4: note takes state=live (a blue-green switch record); status has live_* fields. */
#define PROTO_CAP_LIVE	"live"
/* 1.4: install/deploy take arg url (with sha256) and the agent fetches the archive itself. */
#define PROTO_CAP_FETCH	"fetch"

/* --- Limits. Every cap a decoder enforces is here, nowhere else. --- */
#define PROTO_HEADER_LEN	4			/* the u32 length */
#define PROTO_FRAME_MAX		(1024 * 1024)		/* length field: type + payload */
#define PROTO_DATA_MAX		(256 * 1024)		/* bytes in one DATA frame */
#define PROTO_STRING_MAX	(64 * 1024)		/* any string field */
#define PROTO_KEY_MAX		128			/* a kvlist key */
#define PROTO_KV_MAX		1024			/* pairs in one kvlist */
#define PROTO_OP_MAX		32			/* REQUEST op name */
#define PROTO_APP_MAX		4096			/* REQUEST app (name or path) */
#define PROTO_CAPS_MAX		1024			/* HELLO caps string */
#define PROTO_MESSAGE_MAX	4096			/* ERROR message */
#define PROTO_SHA256_HEX	64			/* DATA_END digest, lower-case hex */
/* Frame reader input buffer: one whole maximum frame plus read slack. */
#define PROTO_INBUF_MAX		(2 * (PROTO_FRAME_MAX + PROTO_HEADER_LEN))
/* Seconds a peer may stay silent in the middle of an upload or a frame. */
#define PROTO_IO_TIMEOUT	60

/*
 * Message types, in ranges: 1-9 both directions, 10-19 client (coordinator)
 * to agent, 20-29 agent to client. Unknown types are a protocol error.
 */
enum msg_type {
	/* both directions */
	MSG_HELLO = 1,		/* u32 major, u32 minor, string caps; first frame each way */
	MSG_ERROR = 2,		/* i32 code, string message; fatal, sender closes */
	/* client -> agent */
	MSG_REQUEST = 10,	/* u32 req_id, string op, string app, kvlist args */
	MSG_DATA = 11,		/* u32 req_id, string bytes (<= PROTO_DATA_MAX, NUL allowed) */
	MSG_DATA_END = 12,	/* u32 req_id, string sha256hex (64 or empty) */
	/* agent -> client */
	MSG_EVENT = 20,		/* u32 req_id, kvlist; progress while a request runs */
	MSG_RECORD = 21,	/* u32 req_id, kvlist; one row of a listing (history) */
	MSG_RESULT = 22		/* u32 req_id, i32 err, u8 exit_code, kvlist; ends a request */
};

#endif
