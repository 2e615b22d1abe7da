/*
 * The ssh side of a host: non-blocking connect, libssh2 handshake, host key
 * check against known_hosts, public key auth, an exec channel, and a byte
 * pipe over it. Every function returns as soon as the socket would block;
 * fleet.c polls and calls host_step() again (libssh2 needs the same call
 * repeated after LIBSSH2_ERROR_EAGAIN).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"
#include "host.h"
#include "knownhosts.h"
#include "pipe.h"
#include "log.h"

/* Ciphers Debian's libssh2 1.10 and OpenSSH both do; ctr first for speed. */
#define PREF_CRYPT	"aes128-ctr,aes192-ctr,aes256-ctr"
/*
 * Key exchanges, cheapest for the host first. Each connection costs the
 * host's sshd one key exchange: ecdh-sha2-nistp256 runs in libcrypto's
 * optimised code, curve25519 in OpenSSH's portable one, about 3 ms of the
 * host's CPU more per connection (15-20 % of a 200-host rollback's time on
 * a small machine; make bench). The server's KexAlgorithms still decides
 * what is allowed. No SHA-1 exchanges (group1, group14-sha1, gex-sha1),
 * which libssh2 would otherwise offer. See cutover(1), DESCRIPTION.
 */
#define PREF_KEX	"ecdh-sha2-nistp256,curve25519-sha256,curve25519-sha256@libssh.org," \
			"ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256," \
			"diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256"
#define PREF_HOSTKEY	"ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,ssh-rsa"
#define READ_CHUNK	32768
#define PUMP		65536	/* bytes buffered each way through a jump tunnel */

static const char *const state_names[HOST_STATE_MAX_] = {
	"waiting", "connecting", "handshake", "auth", "channel", "exec",
	"running", "closing", "done", "failed"
};

const char *
host_state_name(enum host_state s)
{
	return (unsigned)s < HOST_STATE_MAX_ ? state_names[s] : "?";
}

struct host *
host_new(const struct fleet_host *conf, size_t idx)
{
	struct host *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->conf = conf;
	h->name = conf->name;
	h->idx = idx;
	h->fd = -1;
	h->pump_fd = -1;
	h->exit_status = -1;
	h->command = conf->s.agent_command;
	return h;
}

void
host_set_state(struct host *h, enum host_state s)
{
	if (h->state == s)
		return;
	log_debug("%s: %s -> %s", h->name, host_state_name(h->state), host_state_name(s));
	h->state = s;
}

int
host_is_final(const struct host *h)
{
	return h->state == HOST_DONE || h->state == HOST_FAILED;
}

static void
wq_clear(struct host *h)
{
	struct host_wseg *w, *next;

	for (w = h->wq_head; w; w = next) {
		next = w->next;
		free(w);
	}
	h->wq_head = h->wq_tail = NULL;
	h->wq_bytes = 0;
}

/* Free libssh2 objects and the socket. Shut the socket first so nothing blocks. */
static void
teardown(struct host *h)
{
	if (h->pipe)
		pipe_teardown(h);
	if (h->fd >= 0)
		shutdown(h->fd, SHUT_RDWR);
	if (h->ssh)
		libssh2_session_set_blocking(h->ssh, 1);
	if (h->ch) {
		libssh2_channel_free(h->ch);
		h->ch = NULL;
	}
	if (h->agent) {
		libssh2_agent_disconnect(h->agent);
		libssh2_agent_free(h->agent);
		h->agent = NULL;
	}
	if (h->ssh) {
		libssh2_session_free(h->ssh);
		h->ssh = NULL;
	}
	if (h->fd >= 0) {
		close(h->fd);
		h->fd = -1;
	}
	if (h->pump_fd >= 0) {
		close(h->pump_fd);
		h->pump_fd = -1;
	}
	if (h->jump) {
		/* Shut the jump socket first: freeing the channel must not wait on it. */
		if (h->jump->fd >= 0)
			shutdown(h->jump->fd, SHUT_RDWR);
		if (h->jump->ssh)
			libssh2_session_set_blocking(h->jump->ssh, 1);
		if (h->tunnel)
			libssh2_channel_free(h->tunnel);
		h->tunnel = NULL;
		host_free(h->jump);
		h->jump = NULL;
	}
	free(h->pump_buf);
	h->pump_buf = NULL;
	wq_clear(h);
}

void
host_free(struct host *h)
{
	if (h == NULL)
		return;
	teardown(h);
	free(h);
}

int
host_fail(struct host *h, int err, const char *fmt, ...)
{
	va_list ap;

	if (host_is_final(h))
		return h->err ? h->err : err;
	h->err = err;
	va_start(ap, fmt);
	vsnprintf(h->msg, sizeof(h->msg), fmt, ap);
	va_end(ap);
	teardown(h);
	host_set_state(h, HOST_FAILED);
	return err;
}

/*
 * The session's reader refused what the agent sent and said why in h->msg.
 * Copied out first: host_fail() formats into h->msg, and a "%s" of the
 * buffer it writes to comes out empty.
 */
int
host_fail_read(struct host *h, int err)
{
	char why[sizeof(h->msg)];

	snprintf(why, sizeof(why), "%s", h->msg[0] ? h->msg : cut_err(err));
	return host_fail(h, err, "%s", why);
}

void
host_close(struct host *h)
{
	if (host_is_final(h))
		return;
	if (h->ssh && h->fd >= 0 && h->state >= HOST_AUTH)
		libssh2_session_disconnect(h->ssh, "cutover done");
	teardown(h);
	host_set_state(h, HOST_DONE);
}

/* libssh2's last error as text, for "what failed: why" messages. */
static const char *
ssh_errmsg(struct host *h)
{
	char *m = NULL;

	if (h->ssh == NULL || libssh2_session_last_error(h->ssh, &m, NULL, 0) == 0 || m == NULL)
		return "unknown error";
	return m;
}

int
host_start(struct host *h)
{
	struct addrinfo hints, *res = NULL;
	char port[16];
	int r, one = 1;

	if (h->pipe)
		return pipe_start(h);
	h->t_start = mono_ms();
	h->phase_deadline = h->t_start + h->conf->s.connect_timeout * 1000;
	if (h->conf->jump) {
		/* Connect to the jump host; step_connecting() opens the tunnel. */
		if ((h->jump = host_new(h->conf->jump, h->idx)) == NULL)
			return host_fail(h, CUT_ERR_ALLOC, "jump: out of memory");
		h->jump->tunnel_only = 1;
		if (host_start(h->jump) != CUT_OK)
			return host_fail(h, h->jump->err, "jump %s: %s", h->jump->name, h->jump->msg);
		host_set_state(h, HOST_CONNECTING);
		h->kick = 1;
		return CUT_OK;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%lld", h->conf->s.port);
	/* Literal addresses resolve without blocking; names use the resolver once. */
	if ((r = getaddrinfo(h->conf->address, port, &hints, &res)) != 0)
		return host_fail(h, CUT_ERR_HOST, "resolve %s: %s", h->conf->address, gai_strerror(r));
	h->fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0) {
		freeaddrinfo(res);
		return host_fail(h, CUT_ERR_SYSTEM, "socket: %s", strerror(errno));
	}
	setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	r = connect(h->fd, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (r != 0 && errno != EINPROGRESS)
		return host_fail(h, CUT_ERR_HOST, "connect to %s port %s: %s",
		    h->conf->address, port, strerror(errno));
	host_set_state(h, HOST_CONNECTING);
	h->kick = 1;
	return CUT_OK;
}

/*
 * Bring the jump session up to the point where it could open a channel,
 * then open a direct-tcpip channel to our address and port through it and
 * give our session one end of a socketpair; pump() carries the bytes.
 */
static int
open_tunnel(struct host *h)
{
	struct host *j = h->jump;
	int sp[2];

	if (h->tunnel == NULL) {
		host_step(j);
		if (j->state == HOST_FAILED)
			return host_fail(h, j->err ? j->err : CUT_ERR_HOST, "jump %s: %s", j->name, j->msg);
		if (j->state != HOST_CHANNEL)
			return LIBSSH2_ERROR_EAGAIN;
		h->tunnel = libssh2_channel_direct_tcpip_ex(j->ssh, h->conf->address,
		    (int)h->conf->s.port, "127.0.0.1", 22);
		if (h->tunnel == NULL) {
			if (libssh2_session_last_errno(j->ssh) == LIBSSH2_ERROR_EAGAIN)
				return LIBSSH2_ERROR_EAGAIN;
			return host_fail(h, CUT_ERR_HOST, "jump %s: forwarding to %s port %lld refused: %s",
			    j->name, h->conf->address, h->conf->s.port, ssh_errmsg(j));
		}
	}
	if ((h->pump_buf = malloc(2 * PUMP)) == NULL)
		return host_fail(h, CUT_ERR_ALLOC, "jump: out of memory");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp) != 0)
		return host_fail(h, CUT_ERR_SYSTEM, "socketpair: %s", strerror(errno));
	h->fd = sp[0];
	h->pump_fd = sp[1];
	return CUT_OK;
}

/* Move bytes between the tunnel channel and our socketpair end until both would block. */
static int
pump(struct host *h)
{
	unsigned char *down = h->pump_buf, *up = h->pump_buf + PUMP;
	ssize_t n;
	int moved;

	do {
		moved = 0;
		if (h->down_off == h->down_len && !h->down_eof) {
			n = libssh2_channel_read(h->tunnel, (char *)down, PUMP);
			if (n > 0) {
				h->down_off = 0;
				h->down_len = (size_t)n;
				moved = 1;
			} else if (n == 0 && libssh2_channel_eof(h->tunnel)) {
				shutdown(h->pump_fd, SHUT_WR);
				h->down_eof = 1;
			} else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
				return host_fail(h, CUT_ERR_HOST, "jump %s: tunnel read: %s",
				    h->jump->name, ssh_errmsg(h->jump));
		}
		if (h->down_off < h->down_len) {
			n = write(h->pump_fd, down + h->down_off, h->down_len - h->down_off);
			if (n > 0) {
				h->down_off += (size_t)n;
				moved = 1;
			} else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				h->down_off = h->down_len = 0;	/* our session is gone */
				h->down_eof = 1;
			}
		}
		if (h->up_off == h->up_len && !h->up_eof) {
			n = read(h->pump_fd, up, PUMP);
			if (n > 0) {
				h->up_off = 0;
				h->up_len = (size_t)n;
				moved = 1;
			} else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
				h->up_eof = 1;
		}
		if (h->up_off < h->up_len) {
			n = libssh2_channel_write(h->tunnel, (const char *)up + h->up_off, h->up_len - h->up_off);
			if (n > 0) {
				h->up_off += (size_t)n;
				moved = 1;
			} else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
				return host_fail(h, CUT_ERR_HOST, "jump %s: tunnel write: %s",
				    h->jump->name, ssh_errmsg(h->jump));
		}
	} while (moved && !host_is_final(h));
	return CUT_OK;
}

size_t
host_poll_extra(const struct host *h, struct pollfd *p)
{
	size_t n = 0;

	if (h->jump == NULL || host_is_final(h))
		return 0;
	if (h->jump->fd >= 0) {
		p[n].fd = h->jump->fd;
		p[n].revents = 0;
		if (h->jump->state == HOST_CONNECTING)
			p[n].events = POLLOUT;
		else {
			int dir = h->jump->ssh ? libssh2_session_block_directions(h->jump->ssh) : 0;

			p[n].events = POLLIN | ((dir & LIBSSH2_SESSION_BLOCK_OUTBOUND) ? POLLOUT : 0);
		}
		n++;
	}
	if (h->pump_fd >= 0) {
		short ev = 0;

		if (h->up_off == h->up_len && !h->up_eof)
			ev |= POLLIN;
		if (h->down_off < h->down_len)
			ev |= POLLOUT;
		if (ev) {
			p[n].fd = h->pump_fd;
			p[n].events = ev;
			p[n].revents = 0;
			n++;
		}
	}
	return n;
}

static void hostkey_pref(struct host *h);

/* The connect finished (or failed): create the session and start the handshake. */
static int
step_connecting(struct host *h)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	struct pollfd p = { .fd = h->fd, .events = POLLOUT };

	if (h->jump) {
		int r = open_tunnel(h);

		if (r != CUT_OK)
			return r;
	} else {
		if (poll(&p, 1, 0) <= 0)
			return LIBSSH2_ERROR_EAGAIN;
		if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
			soerr = errno;
		if (soerr != 0)
			return host_fail(h, CUT_ERR_HOST, "connect to %s port %lld: %s",
			    h->conf->address, h->conf->s.port, strerror(soerr));
	}
	if ((h->ssh = libssh2_session_init()) == NULL)
		return host_fail(h, CUT_ERR_ALLOC, "ssh session: out of memory");
	libssh2_session_set_blocking(h->ssh, 0);
	libssh2_session_flag(h->ssh, LIBSSH2_FLAG_COMPRESS, 0);
	libssh2_session_method_pref(h->ssh, LIBSSH2_METHOD_CRYPT_CS, PREF_CRYPT);
	libssh2_session_method_pref(h->ssh, LIBSSH2_METHOD_CRYPT_SC, PREF_CRYPT);
	libssh2_session_method_pref(h->ssh, LIBSSH2_METHOD_KEX, PREF_KEX);
	hostkey_pref(h);
	host_set_state(h, HOST_HANDSHAKE);
	return CUT_OK;
}

/* The host's names as known_hosts may list them: its address, then its name in the fleet file. */
static size_t
hostkey_names(const struct host *h, const char *names[2])
{
	names[0] = h->conf->address;
	names[1] = h->name;
	return strcmp(h->conf->address, h->name) != 0 ? 2 : 1;
}

/*
 * Offer only the key types known_hosts has for the host, so the server
 * shows the key we can check (knownhosts.h); none known: the usual order,
 * and the check says the host is unknown.
 */
static void
hostkey_pref(struct host *h)
{
	const char *names[2];
	struct kh_scan ks;

	if (kh_scan(h->conf->s.known_hosts, names, hostkey_names(h, names), (long)h->conf->s.port,
	    NULL, 0, &ks) != 0 || ks.types[0] == '\0' ||
	    libssh2_session_method_pref(h->ssh, LIBSSH2_METHOD_HOSTKEY, ks.types) != 0)
		libssh2_session_method_pref(h->ssh, LIBSSH2_METHOD_HOSTKEY, PREF_HOSTKEY);
}

/* Host keys are always verified, with OpenSSH's rules (knownhosts.h): anything but a match fails the host. */
static int
check_hostkey(struct host *h)
{
	const char *key, *names[2];
	const char *kfile = h->conf->s.known_hosts;
	struct kh_scan ks;
	size_t len;
	int type;

	if ((key = libssh2_session_hostkey(h->ssh, &len, &type)) == NULL)
		return host_fail(h, CUT_ERR_HOST, "no host key from %s", h->conf->address);
	if (kh_scan(kfile, names, hostkey_names(h, names), (long)h->conf->s.port,
	    (const unsigned char *)key, len, &ks) != 0)
		return host_fail(h, CUT_ERR_HOST, "cannot read known_hosts %s: %s", kfile, strerror(errno));
	switch (ks.verdict) {
	case KH_MATCH:
		return CUT_OK;
	case KH_MISMATCH:
		return host_fail(h, CUT_ERR_HOST,
		    "host key for [%s]:%lld differs from the one in %s (possible man-in-the-middle); refusing",
		    h->conf->address, h->conf->s.port, kfile);
	case KH_REVOKED:
		return host_fail(h, CUT_ERR_HOST, "host key for [%s]:%lld is @revoked in %s line %d; refusing",
		    h->conf->address, h->conf->s.port, kfile, ks.line);
	case KH_CERT_AUTHORITY:
		return host_fail(h, CUT_ERR_HOST, "host [%s]:%lld is vouched for only by a @cert-authority line "
		    "(%s line %d): host certificates are not supported; add the host's own key", h->conf->address,
		    h->conf->s.port, kfile, ks.line);
	default:
		return host_fail(h, CUT_ERR_HOST, "host key for [%s]:%lld is not in %s (no %s key for it); refusing "
		    "unknown host", h->conf->address, h->conf->s.port, kfile, ks.offered);
	}
}

/*
 * One ssh-agent key per call; 1 when the agent has no (more) keys to try.
 * libssh2 wants the same call again after EAGAIN.
 */
static int
try_agent(struct host *h, const char *user, int *r)
{
	const char *sock = getenv("SSH_AUTH_SOCK");

	*r = LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED;
	if (h->agent == NULL) {
		if (sock == NULL || *sock == '\0' || (h->agent = libssh2_agent_init(h->ssh)) == NULL ||
		    libssh2_agent_connect(h->agent) != 0 || libssh2_agent_list_identities(h->agent) != 0 ||
		    libssh2_agent_get_identity(h->agent, &h->agent_id, NULL) != 0)
			return 1;
	}
	if (h->agent_id == NULL)
		return 1;
	*r = libssh2_agent_userauth(h->agent, user, h->agent_id);
	if (*r == 0 || *r == LIBSSH2_ERROR_EAGAIN)
		return 0;
	if (libssh2_agent_get_identity(h->agent, &h->agent_id, h->agent_id) != 0)
		h->agent_id = NULL;
	return 0;
}

/*
 * Public key auth. With identity set in the fleet file, that key goes first
 * (like ssh's IdentitiesOnly): a well-stocked ssh-agent would otherwise use
 * up sshd's MaxAuthTries before the configured key is offered; agent keys
 * follow only if it fails (a passphrase-protected identity the agent holds).
 * Without it, ssh-agent first, then the default ~/.ssh/id_ed25519.
 * auth_stage: 0 agent, 1 identity file, 2 agent after the file, 3 nothing left.
 */
static int
step_auth(struct host *h)
{
	const char *user = h->conf->s.user;
	char pub[4096];
	int r = LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED, file_err = 0;

	if (h->auth_stage == 0 && h->conf->s.identity_set && h->agent == NULL)
		h->auth_stage = 1;
	if (h->auth_stage == 0 || h->auth_stage == 2) {
		if (try_agent(h, user, &r) == 1)
			h->auth_stage = h->auth_stage == 0 ? 1 : 3;
		if (r == 0)
			goto authed;
		if (r == LIBSSH2_ERROR_EAGAIN || h->auth_stage != 3)
			return r == LIBSSH2_ERROR_EAGAIN ? r : CUT_OK;
	}
	if (h->auth_stage == 1) {
		snprintf(pub, sizeof(pub), "%s.pub", h->conf->s.identity);
		r = libssh2_userauth_publickey_fromfile_ex(h->ssh, user, (unsigned)strlen(user),
		    access(pub, R_OK) == 0 ? pub : NULL, h->conf->s.identity, "");
		if (r == LIBSSH2_ERROR_EAGAIN)
			return r;
		if (r == 0)
			goto authed;
		file_err = errno;
		/* The identity went first: the agent's keys are the fallback. */
		h->auth_stage = h->conf->s.identity_set && h->agent == NULL ? 2 : 3;
		if (h->auth_stage == 2)
			return CUT_OK;
	}
	if (access(h->conf->s.identity, R_OK) != 0)
		return host_fail(h, CUT_ERR_HOST, "authentication as %s failed: cannot read identity %s: %s",
		    user, h->conf->s.identity, strerror(file_err ? file_err : errno));
	/* The commonest cause on a fresh server gets named: useradd leaves the account locked. */
	return host_fail(h, CUT_ERR_HOST, "authentication as %s failed (ssh-agent%s, %s): %s; is the key in "
	    "~%s/.ssh/authorized_keys, and the account unlocked (useradd sets '!' in /etc/shadow, which sshd "
	    "without PAM refuses: usermod -p '*' %s)?",
	    user, getenv("SSH_AUTH_SOCK") ? "" : " not running", h->conf->s.identity, ssh_errmsg(h), user, user);
 authed:
	if (h->conf->s.keepalive > 0)
		libssh2_keepalive_config(h->ssh, 1, (unsigned)h->conf->s.keepalive);
	host_set_state(h, HOST_CHANNEL);
	return CUT_OK;
}

/* Keep the tail of the agent's stderr for error messages. */
static void
keep_stderr(struct host *h, const char *buf, size_t n)
{
	if (n >= sizeof(h->stderr_tail) - 1) {
		buf += n - (sizeof(h->stderr_tail) - 1);
		n = sizeof(h->stderr_tail) - 1;
	}
	if (h->stderr_len + n > sizeof(h->stderr_tail) - 1) {
		size_t drop = h->stderr_len + n - (sizeof(h->stderr_tail) - 1);

		memmove(h->stderr_tail, h->stderr_tail + drop, h->stderr_len - drop);
		h->stderr_len -= drop;
	}
	memcpy(h->stderr_tail + h->stderr_len, buf, n);
	h->stderr_len += n;
	h->stderr_tail[h->stderr_len] = '\0';
}

void
host_wq_sent(struct host *h, size_t n)
{
	struct host_wseg *w = h->wq_head;

	w->off += n;
	h->wq_bytes -= n;
	h->sent_bytes += (long long)n;
	if (w->off == w->len) {
		h->wq_head = w->next;
		if (h->wq_head == NULL)
			h->wq_tail = NULL;
		free(w);
	}
}

/* Move bytes both ways until libssh2 would block. */
static int
step_running(struct host *h)
{
	unsigned char buf[READ_CHUNK];
	ssize_t n;
	int r, blocked = 0, secs;

	/* Drain the write queue first: it is what the remote waits for. */
	while (h->wq_head) {
		struct host_wseg *w = h->wq_head;

		n = libssh2_channel_write(h->ch, (const char *)w->p + w->off, w->len - w->off);
		if (n == LIBSSH2_ERROR_EAGAIN) {
			blocked = 1;
			break;
		}
		if (n < 0)
			return host_fail(h, CUT_ERR_HOST, "write to agent: %s", ssh_errmsg(h));
		host_wq_sent(h, (size_t)n);
	}
	if (!blocked && h->want_eof && !h->eof_sent) {
		r = libssh2_channel_send_eof(h->ch);
		if (r == 0)
			h->eof_sent = 1;
		else if (r != LIBSSH2_ERROR_EAGAIN)
			return host_fail(h, CUT_ERR_HOST, "send eof: %s", ssh_errmsg(h));
	}
	for (;;) {
		n = libssh2_channel_read_stderr(h->ch, (char *)buf, sizeof(buf));
		if (n <= 0)
			break;
		keep_stderr(h, (const char *)buf, (size_t)n);
		if (h->verbose)
			fprintf(stderr, "%s: %.*s", h->name, (int)n, buf);
	}
	for (;;) {
		n = libssh2_channel_read(h->ch, (char *)buf, sizeof(buf));
		if (n == LIBSSH2_ERROR_EAGAIN)
			break;
		if (n < 0)
			return host_fail(h, CUT_ERR_HOST, "read from agent: %s", ssh_errmsg(h));
		if (n == 0)
			break;
		if (h->on_read && (r = h->on_read(h, buf, (size_t)n, h->user)) < 0)
			return host_fail_read(h, r);
		if (host_is_final(h))
			return CUT_OK;
	}
	/*
	 * Draining stdout read the socket dry: stderr that came with it sits in
	 * libssh2's queue, and the socket will not say so (poll sees nothing).
	 */
	while (libssh2_poll_channel_read(h->ch, 1) &&
	    (n = libssh2_channel_read_stderr(h->ch, (char *)buf, sizeof(buf))) > 0) {
		keep_stderr(h, (const char *)buf, (size_t)n);
		if (h->verbose)
			fprintf(stderr, "%s: %.*s", h->name, (int)n, buf);
	}
	if (libssh2_channel_eof(h->ch)) {
		host_set_state(h, HOST_CLOSING);
		return CUT_OK;
	}
	if (h->conf->s.keepalive > 0 && mono_ms() >= h->keepalive_next) {
		if (libssh2_keepalive_send(h->ssh, &secs) == 0)
			h->keepalive_next = mono_ms() + (long long)(secs > 0 ? secs : 1) * 1000;
		if (h->jump && h->jump->ssh)
			libssh2_keepalive_send(h->jump->ssh, &secs);
	}
	return LIBSSH2_ERROR_EAGAIN;
}

void
host_step(struct host *h)
{
	LIBSSH2_CHANNEL *ch;
	int r = CUT_OK;
	char *sig = NULL;

	h->kick = 0;
	h->revents = 0;
	h->last_step = mono_ms();
	if (h->pipe) {
		pipe_step(h);
		return;
	}
	if (h->tunnel && h->pump_fd >= 0 && (pump(h) != CUT_OK || host_is_final(h)))
		return;
	/* Each case either changes state and loops, or returns on EAGAIN. */
	while (r == CUT_OK && !host_is_final(h)) {
		switch (h->state) {
		case HOST_WAITING:
			return;
		case HOST_CONNECTING:
			r = step_connecting(h);
			break;
		case HOST_HANDSHAKE:
			r = libssh2_session_handshake(h->ssh, h->fd);
			if (r == LIBSSH2_ERROR_EAGAIN)
				break;
			if (r == LIBSSH2_ERROR_KEX_FAILURE) {
				r = host_fail(h, CUT_ERR_HOST, "ssh handshake with %s: %s (cutover offers "
				    "key exchanges %s; ciphers %s)", h->conf->address, ssh_errmsg(h),
				    PREF_KEX, PREF_CRYPT);
				break;
			}
			if (r != 0) {
				r = host_fail(h, CUT_ERR_HOST, "ssh handshake with %s: %s",
				    h->conf->address, ssh_errmsg(h));
				break;
			}
			if ((r = check_hostkey(h)) == CUT_OK)
				host_set_state(h, HOST_AUTH);
			break;
		case HOST_AUTH:
			r = step_auth(h);
			break;
		case HOST_CHANNEL:
			if (h->tunnel_only)
				return;	/* a jump session: the target opens its tunnel */
			ch = libssh2_channel_open_session(h->ssh);
			if (ch == NULL) {
				if (libssh2_session_last_errno(h->ssh) == LIBSSH2_ERROR_EAGAIN)
					r = LIBSSH2_ERROR_EAGAIN;
				else
					r = host_fail(h, CUT_ERR_HOST, "open channel: %s", ssh_errmsg(h));
				break;
			}
			h->ch = ch;
			host_set_state(h, HOST_EXEC);
			break;
		case HOST_EXEC:
			r = libssh2_channel_exec(h->ch, h->command);
			if (r == LIBSSH2_ERROR_EAGAIN)
				break;
			if (r != 0) {
				r = host_fail(h, CUT_ERR_HOST, "exec \"%s\": %s", h->command, ssh_errmsg(h));
				break;
			}
			h->phase_deadline = 0;
			h->t_open = mono_ms();
			h->keepalive_next = h->t_open + h->conf->s.keepalive * 1000;
			host_set_state(h, HOST_RUNNING);
			if (h->on_open && (r = h->on_open(h, h->user)) < 0)
				r = host_fail(h, r, "%s", h->msg[0] ? h->msg : cut_err(r));
			break;
		case HOST_RUNNING:
			r = step_running(h);
			break;
		case HOST_CLOSING:
			r = libssh2_channel_close(h->ch);
			if (r == 0)
				r = libssh2_channel_wait_closed(h->ch);
			if (r == LIBSSH2_ERROR_EAGAIN)
				break;
			h->exit_status = libssh2_channel_get_exit_status(h->ch);
			if (libssh2_channel_get_exit_signal(h->ch, &sig, NULL, NULL, NULL, NULL, NULL) == 0 &&
			    sig != NULL) {
				snprintf(h->msg, sizeof(h->msg), "agent killed by SIG%s", sig);
				h->exit_status = 128;
			}
			if (sig)
				libssh2_free(h->ssh, sig);
			libssh2_session_disconnect(h->ssh, "cutover done");
			teardown(h);
			host_set_state(h, HOST_DONE);
			r = CUT_OK;
			break;
		default:
			return;
		}
	}
	/* What our session just wrote goes out through the tunnel now. */
	if (h->tunnel && h->pump_fd >= 0 && !host_is_final(h))
		pump(h);
}

short
host_poll_events(const struct host *h)
{
	int dir;
	short ev = 0;

	if (h->fd < 0 || host_is_final(h) || h->state == HOST_WAITING)
		return 0;
	if (h->state == HOST_CONNECTING)
		return POLLOUT;
	if (h->pipe)
		return pipe_poll_events(h);
	dir = h->ssh ? libssh2_session_block_directions(h->ssh) : 0;
	if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
		ev |= POLLIN;
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		ev |= POLLOUT;
	if (h->state == HOST_RUNNING || h->state == HOST_CLOSING || ev == 0)
		ev |= POLLIN;
	return ev;
}

long long
host_next_deadline(const struct host *h)
{
	long long d = 0;

	if (host_is_final(h) || h->state == HOST_WAITING)
		return 0;
	if (h->phase_deadline)
		d = h->phase_deadline;
	if (h->op_deadline && (d == 0 || h->op_deadline < d))
		d = h->op_deadline;
	if (h->state == HOST_RUNNING && !h->pipe && h->conf->s.keepalive > 0 &&
	    (d == 0 || h->keepalive_next < d))
		d = h->keepalive_next;
	return d;
}

void
host_check_deadlines(struct host *h, long long now)
{
	if (host_is_final(h) || h->state == HOST_WAITING)
		return;
	if (h->phase_deadline && now >= h->phase_deadline)
		host_fail(h, CUT_ERR_TIMEOUT, "%s to %s port %lld timed out after %llds",
		    h->state == HOST_CONNECTING ? "connect" : "ssh setup",
		    h->conf->address, h->conf->s.port, h->conf->s.connect_timeout);
	else if (h->op_deadline && now >= h->op_deadline && h->awaiting_hello)
		host_fail(h, CUT_ERR_TIMEOUT, "agent sent no HELLO within %llds (connect_timeout): is agent_command "
		    "right, and the host not overloaded?", h->conf->s.connect_timeout);
	else if (h->op_deadline && now >= h->op_deadline)
		host_fail(h, CUT_ERR_TIMEOUT, "agent did not answer in time (op_timeout %llds, or the agent's "
		    "worst case for its hooks and health checks)", h->conf->s.op_timeout);
}

/* Append a segment; the owned copy lives right after the header. */
static int
wq_push(struct host *h, const void *buf, size_t len, int copy)
{
	struct host_wseg *w;

	if (len == 0)
		return CUT_OK;
	if (host_is_final(h))
		return h->err ? h->err : CUT_ERR_EOF;
	if (h->want_eof)
		return CUT_ERR_INTERNAL;
	if ((w = malloc(sizeof(*w) + (copy ? len : 0))) == NULL)
		return CUT_ERR_ALLOC;
	w->next = NULL;
	w->len = len;
	w->off = 0;
	w->owned = copy;
	if (copy) {
		memcpy(w + 1, buf, len);
		w->p = (const unsigned char *)(w + 1);
	} else
		w->p = buf;
	if (h->wq_tail)
		h->wq_tail->next = w;
	else
		h->wq_head = w;
	h->wq_tail = w;
	h->wq_bytes += len;
	h->kick = 1;
	return CUT_OK;
}

int
host_write(struct host *h, const void *buf, size_t len)
{
	return wq_push(h, buf, len, 1);
}

int
host_write_ref(struct host *h, const void *buf, size_t len)
{
	return wq_push(h, buf, len, 0);
}

void
host_shutdown_write(struct host *h)
{
	h->want_eof = 1;
	h->kick = 1;
}
