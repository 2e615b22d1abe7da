/*
 * The coordinator's event loop: one poll() over every host socket, hosts
 * advanced by host_step(), finished hosts handed out by fleet_info_read()
 * (curl multi-app.c shape). The rollout logic sits on top and never sees a
 * socket.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fleet.h"
#include "fsutil.h"
#include "log.h"

int
fleet_global_init(void)
{
	static int done;

	if (done)
		return CUT_OK;
	if (libssh2_init(0) != 0)
		return error("libssh2 initialisation failed"), CUT_ERR_INTERNAL;
	done = 1;
	return CUT_OK;
}

int
fleet_init(struct fleet *f, const struct fleet_sel *sel, size_t parallel)
{
	memset(f, 0, sizeof(*f));
	f->parallel = parallel ? parallel : 1;
	if ((f->hosts = calloc(sel->n ? sel->n : 1, sizeof(*f->hosts))) == NULL ||
	    (f->pfd = calloc(sel->n ? 3 * sel->n : 1, sizeof(*f->pfd))) == NULL ||
	    (f->pidx = calloc(sel->n ? 3 * sel->n : 1, sizeof(*f->pidx))) == NULL)
		goto nomem;
	for (size_t i = 0; i < sel->n; i++) {
		if ((f->hosts[i] = host_new(&sel->hosts[i], i)) == NULL)
			goto nomem;
		f->n++;
	}
	return CUT_OK;
 nomem:
	fleet_free(f);
	return CUT_ERR_ALLOC;
}

void
fleet_free(struct fleet *f)
{
	for (size_t i = 0; i < f->n; i++)
		host_free(f->hosts[i]);
	free(f->hosts);
	free(f->pfd);
	free(f->pidx);
	memset(f, 0, sizeof(*f));
}

void
fleet_start_all(struct fleet *f)
{
	for (size_t i = 0; i < f->n; i++)
		f->hosts[i]->reported = 0;
}

/*
 * Hosts holding a connection slot: only those still setting up (connect,
 * key exchange, auth, channel). A rollout keeps every session open to its
 * end, so counting open sessions would starve hosts past `parallel` forever;
 * `parallel` bounds the expensive handshakes instead.
 */
static size_t
active_count(const struct fleet *f)
{
	size_t a = 0;

	for (size_t i = 0; i < f->n; i++) {
		enum host_state st = f->hosts[i]->state;

		if (st >= HOST_CONNECTING && st <= HOST_EXEC)
			a++;
	}
	return a;
}

/*
 * Step only the hosts with something to do: each host_step() costs a few
 * syscalls even when nothing came, and stepping every host on every event
 * made a rollout's CPU grow with hosts x events, i.e. quadratically. A host
 * is due when its sockets were ready, something was queued for it, a
 * deadline (keepalive, timeouts) passed, and at least once a second as a
 * safety net. Jump tunnels and pipes pump bytes outside libssh2: always.
 */
static int
host_wants_step(const struct host *h, long long now)
{
	long long d = host_next_deadline(h);

	return h->kick || h->revents || h->pipe || h->jump || (d != 0 && now >= d) ||
	    now - h->last_step >= 1000;
}

void
fleet_perform(struct fleet *f)
{
	size_t active = active_count(f);
	long long now = mono_ms();

	/* Start in host order: slots go to earlier hosts first. */
	for (size_t i = 0; i < f->n && active < f->parallel; i++) {
		struct host *h = f->hosts[i];

		if (h->state == HOST_WAITING && !h->reported) {
			h->verbose = f->verbose;
			if (host_start(h) == CUT_OK)
				active++;
		}
	}
	for (size_t i = 0; i < f->n; i++) {
		struct host *h = f->hosts[i];

		if (h->state == HOST_WAITING || host_is_final(h))
			continue;
		if (host_wants_step(h, now))
			host_step(h);
		host_check_deadlines(h, now);
	}
}

int
fleet_poll(struct fleet *f, long long max_ms)
{
	long long now = mono_ms(), deadline = 0, wait;
	nfds_t np = 0;
	int r, kicked = 0;

	for (size_t i = 0; i < f->n; i++) {
		struct host *h = f->hosts[i];
		short ev = host_poll_events(h);
		long long d = host_next_deadline(h);

		size_t extra;

		if (d && (deadline == 0 || d < deadline))
			deadline = d;
		/*
		 * Bytes queued since its last step (a request sent from a RESULT
		 * callback) go out now: the socket would not wake us for them, and
		 * the request would wait for the poll's timeout (up to a second).
		 */
		if (h->kick && !host_is_final(h) && h->state != HOST_WAITING)
			kicked = 1;
		if (ev != 0) {
			f->pfd[np].fd = h->fd;
			f->pfd[np].events = ev;
			f->pfd[np].revents = 0;
			f->pidx[np] = i;
			np++;
		}
		/* A jump tunnel adds the jump session's socket and the pump end. */
		extra = host_poll_extra(h, &f->pfd[np]);
		for (size_t k = 0; k < extra; k++)
			f->pidx[np++] = i;
	}
	wait = max_ms;
	if (deadline) {
		long long left = deadline > now ? deadline - now : 0;

		if (wait < 0 || left < wait)
			wait = left;
	}
	if (wait < 0 && np == 0)
		return CUT_OK;	/* nothing to wait for */
	if (wait > 1000 || wait < 0)
		wait = 1000;	/* re-check at least once a second (fleet_perform's safety net) */
	if (kicked)
		wait = 0;
	r = poll(f->pfd, np, (int)wait);
	if (r < 0 && errno != EINTR)
		return CUT_ERR_SYSTEM;
	/* A jump host has up to three fds: any of them ready makes it due. */
	for (nfds_t k = 0; r > 0 && k < np; k++)
		f->hosts[f->pidx[k]]->revents |= f->pfd[k].revents;
	return CUT_OK;
}

struct host *
fleet_info_read(struct fleet *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct host *h = f->hosts[i];

		if (host_is_final(h) && !h->reported) {
			h->reported = 1;
			return h;
		}
	}
	return NULL;
}

size_t
fleet_running(const struct fleet *f)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		if (!host_is_final(f->hosts[i]))
			n++;
	return n;
}
