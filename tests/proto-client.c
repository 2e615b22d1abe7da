/*
 * proto-client: a scripted peer for `cutover-agent serve`, for tests.
 *
 *	proto-client [-t SECONDS] -- AGENT-COMMAND ARGS... < script
 *
 * Starts the agent with a pipe pair on its stdin/stdout and runs the
 * script, one command per line:
 *
 *	hello [MAJOR]			send HELLO (default: our major)
 *	request ID OP APP [ARG...]	send REQUEST; ARG is k=v (string),
 *					k:=N (integer) or k?=true|false;
 *					%HH in v is the byte 0xHH;
 *					APP "-" (or none) sends an empty app
 *	upload ID FILE [SHA|-] [CHUNK]	DATA frames of FILE, then DATA_END
 *	upload-cut ID FILE BYTES	DATA frames of the first BYTES only
 *	raw HEX				send raw bytes
 *	read				read and print one frame
 *	result ID			print frames until the RESULT of ID
 *	drain				print frames until EOF
 *	close				close the agent's stdin
 *	sleep MS
 *
 * Frames print as one line each: "HELLO 1.0 caps", "EVENT id {json}",
 * "RECORD id {json}", "RESULT id err=N exit=N {json}", "ERROR code msg",
 * "EOF". At the end: "agent-exit N". Exit status 0, or 1 when a command
 * could not be carried out (timeout, unexpected EOF, bad script line).
 * Every wait is bounded by -t (default 30 s); the whole run by 10x that.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "frame.h"
#include "hexdigest.h"
#include "kv.h"
#include "msg.h"
#include "proto.h"

static int to_agent = -1, from_agent = -1;
static pid_t agent_pid = -1;
static int timeout_ms = 30000;
static struct frame_reader fr;
static int seen_eof;

static void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "proto-client: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	if (agent_pid > 0)
		kill(agent_pid, SIGTERM);
	exit(1);
}

/* Read what the agent has sent so far without waiting (keeps pipes moving). */
static void
pump_in(void)
{
	struct pollfd pfd = { .fd = from_agent, .events = POLLIN };

	while (frame_reader_space(&fr) > 0 && poll(&pfd, 1, 0) == 1) {
		ssize_t n = frame_reader_read_fd(&fr, from_agent);

		if (n <= 0)
			break;
	}
}

static void
send_buf(struct buf *b)
{
	int r;

	if ((r = frame_flush_fd(to_agent, b, timeout_ms)) != CUT_OK)
		die("write to agent: %s", cut_err(r));
}

/* Print one frame; returns its type, or -1 at EOF. */
static int
read_print(uint32_t *id, int *is_result)
{
	struct frame f;
	struct msg m;
	int r;

	*is_result = 0;
	r = frame_read_fd(from_agent, &fr, &f, timeout_ms);
	if (r == CUT_ERR_EOF) {
		if (!seen_eof)
			printf("EOF\n");
		seen_eof = 1;
		return -1;
	}
	if (r != CUT_OK)
		die("read from agent: %s", cut_err(r));
	if ((r = msg_decode(&f, &m)) != CUT_OK) {
		printf("BAD %s %s\n", msg_type_name(f.type), cut_err(r));
		msg_free(&m);
		return f.type;
	}
	switch (m.type) {
	case MSG_HELLO:
		printf("HELLO %u.%u %s\n", m.major, m.minor, m.caps);
		break;
	case MSG_ERROR:
		printf("ERROR %d %s\n", m.code, m.message);
		break;
	case MSG_EVENT:
	case MSG_RECORD:
		printf("%s %u ", msg_type_name(m.type), m.req_id);
		kv_print_json(&m.kv, stdout);
		break;
	case MSG_RESULT:
		printf("RESULT %u err=%d exit=%u ", m.req_id, m.code, m.exit_code);
		kv_print_json(&m.kv, stdout);
		*is_result = 1;
		break;
	default:
		printf("%s %u\n", msg_type_name(m.type), m.req_id);
		break;
	}
	*id = m.req_id;
	r = m.type;
	msg_free(&m);
	fflush(stdout);
	return r;
}

/* %HH in a value is the byte 0xHH, so a script line can carry spaces and controls. */
static void
percent_decode(char *v)
{
	char *w = v;

	for (; *v; v++) {
		if (v[0] == '%' && hex_digit(v[1]) >= 0 && hex_digit(v[2]) >= 0) {
			*w++ = (char)(hex_digit(v[1]) << 4 | hex_digit(v[2]));
			v += 2;
		} else {
			*w++ = *v;
		}
	}
	*w = '\0';
}

static void
add_arg(struct kvlist *kv, char *a)
{
	char *eq = strchr(a, '=');

	if (eq == NULL || eq == a)
		die("bad argument \"%s\"", a);
	percent_decode(eq + 1);
	*eq = '\0';
	if (eq[-1] == ':') {
		eq[-1] = '\0';
		kv_add_typed(kv, a, eq + 1, KV_INT);
	} else if (eq[-1] == '?') {
		eq[-1] = '\0';
		kv_add_typed(kv, a, eq + 1, KV_BOOL);
	} else {
		kv_add(kv, a, eq + 1);
	}
}

/* DATA frames of up to limit bytes of file (-1: all), chunk bytes each. */
static void
upload(uint32_t id, const char *file, long long limit, size_t chunk)
{
	static unsigned char data[PROTO_DATA_MAX];
	struct buf b;
	int fd = open(file, O_RDONLY);
	long long sent = 0;

	if (fd == -1)
		die("cannot open %s", file);
	if (chunk == 0 || chunk > sizeof(data))
		chunk = sizeof(data);
	buf_init(&b, PROTO_INBUF_MAX);
	for (;;) {
		size_t want = chunk;
		ssize_t n;
		int r;

		if (limit >= 0 && limit - sent < (long long)want)
			want = (size_t)(limit - sent);
		if (want == 0)
			break;
		n = read(fd, data, want);
		if (n <= 0)
			break;
		if ((r = msg_put_data(&b, id, data, (size_t)n)) != CUT_OK)
			die("DATA: %s", cut_err(r));
		pump_in();
		send_buf(&b);
		sent += n;
	}
	close(fd);
	buf_free(&b);
}

static void
run_line(char *line)
{
	char *w[64];
	int n = 0;
	struct buf b;
	uint32_t id;
	int res, r = CUT_OK;

	for (char *t = strtok(line, " \t\n"); t && n < 64; t = strtok(NULL, " \t\n"))
		w[n++] = t;
	if (n == 0 || w[0][0] == '#')
		return;
	buf_init(&b, PROTO_INBUF_MAX);
	if (strcmp(w[0], "hello") == 0) {
		r = msg_put_hello(&b, n > 1 ? (uint32_t)atoi(w[1]) : PROTO_MAJOR, PROTO_MINOR,
		    PROTO_CAPS);
	} else if (strcmp(w[0], "request") == 0 && n >= 3) {
		struct kvlist kv = KVLIST_INIT;

		for (int i = 4; i < n; i++)
			add_arg(&kv, w[i]);
		/* "-" or nothing: an empty app (ping needs none) */
		r = msg_put_request(&b, (uint32_t)atoi(w[1]), w[2],
		    n > 3 && strcmp(w[3], "-") != 0 ? w[3] : "", &kv);
		kv_free(&kv);
	} else if (strcmp(w[0], "upload") == 0 && n >= 3) {
		upload((uint32_t)atoi(w[1]), w[2], -1, n > 4 ? (size_t)atol(w[4]) : 0);
		r = msg_put_data_end(&b, (uint32_t)atoi(w[1]),
		    n > 3 && strcmp(w[3], "-") != 0 ? w[3] : NULL);
	} else if (strcmp(w[0], "upload-cut") == 0 && n == 4) {
		upload((uint32_t)atoi(w[1]), w[2], atoll(w[3]), 0);
	} else if (strcmp(w[0], "raw") == 0 && n == 2) {
		for (char *p = w[1]; p[0] && p[1]; p += 2) {
			int hi = hex_digit(p[0]), lo = hex_digit(p[1]);

			if (hi < 0 || lo < 0)
				die("bad hex \"%s\"", w[1]);
			buf_put_u8(&b, (uint8_t)(hi << 4 | lo));
		}
	} else if (strcmp(w[0], "read") == 0) {
		(void)read_print(&id, &res);
	} else if (strcmp(w[0], "result") == 0 && n == 2) {
		uint32_t want = (uint32_t)atoi(w[1]);

		for (;;) {
			int t = read_print(&id, &res);

			if (t < 0 || t == MSG_ERROR)
				die("no RESULT for request %s", w[1]);
			if (res && id == want)
				break;
		}
	} else if (strcmp(w[0], "drain") == 0) {
		while (read_print(&id, &res) >= 0)
			;
	} else if (strcmp(w[0], "close") == 0) {
		close(to_agent);
		to_agent = -1;
	} else if (strcmp(w[0], "sleep") == 0 && n == 2) {
		usleep((useconds_t)atoi(w[1]) * 1000);
	} else {
		die("bad script line starting \"%s\"", w[0]);
	}
	if (r != CUT_OK)
		die("cannot encode: %s", cut_err(r));
	if (buf_len(&b) > 0)
		send_buf(&b);
	buf_free(&b);
}

int
main(int argc, char **argv)
{
	char line[8192];
	int in[2], out[2], st, i = 1;

	if (argc > 2 && strcmp(argv[1], "-t") == 0) {
		timeout_ms = atoi(argv[2]) * 1000;
		i = 3;
	}
	if (i >= argc || strcmp(argv[i], "--") != 0 || i + 1 >= argc) {
		fprintf(stderr, "usage: proto-client [-t SECONDS] -- AGENT ARGS... < script\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	alarm((unsigned)(timeout_ms / 1000) * 10 + 10);
	if (pipe(in) == -1 || pipe(out) == -1)
		die("pipe: %s", strerror(errno));
	if ((agent_pid = fork()) == -1)
		die("fork: %s", strerror(errno));
	if (agent_pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execvp(argv[i + 1], argv + i + 1);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	to_agent = in[1];
	from_agent = out[0];
	frame_reader_init(&fr);
	while (fgets(line, sizeof(line), stdin) != NULL)
		run_line(line);
	if (to_agent != -1)
		close(to_agent);
	/* whatever the agent still says, then its exit status */
	{
		uint32_t id;
		int res;

		while (read_print(&id, &res) >= 0)
			;
	}
	if (waitpid(agent_pid, &st, 0) == -1)
		die("waitpid: %s", strerror(errno));
	printf("agent-exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	frame_reader_free(&fr);
	return 0;
}
