/*
 * The ground every fleet command stands on (rollout.h): open the
 * selection, connect and lock, wait on the fleet, report events.
 */
#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"
#include "log.h"
#include "rollout.h"

void (*rollout_open_hook)(struct rollout *ro);

int
rollout_open(struct rollout *ro, const struct copts *g, const char *hosts, const char *group,
    const char *exclude)
{
	int rc;

	memset(ro, 0, sizeof(*ro));
	ro->g = g;
	ro->t0 = mono_ms();
	if ((rc = coord_load(g, hosts, group, exclude, &ro->run)) != 0)
		return rc;

	if (fleet_global_init() != CUT_OK ||
	    fleet_init(&ro->f, &ro->run.sel, (size_t)ro->run.sel.global.parallel) != CUT_OK ||
	    (ro->nodes = calloc(ro->run.sel.n, sizeof(*ro->nodes))) == NULL) {
		log_error("out of memory");
		coord_unload(&ro->run);
		return CUT_EXIT_USAGE;
	}
	ro->f.verbose = g->verbose > 1;
	ro->n = ro->f.n;
	for (size_t i = 0; i < ro->n; i++)
		node_attach(&ro->nodes[i], ro, ro->f.hosts[i]);
	ro->app = ro->run.sel.global.app;
	ro->j.fd = -1;
	progress_init(&ro->pg, isatty(STDERR_FILENO) && !g->json);
	if (rollout_open_hook)
		rollout_open_hook(ro);
	return CUT_EXIT_OK;
}

void
rollout_close(struct rollout *ro)
{
	rollout_progress(ro, 1);
	progress_end(&ro->pg);
	rj_close(&ro->j);
	for (size_t i = 0; i < ro->n; i++)
		node_detach(&ro->nodes[i]);
	free(ro->nodes);
	fleet_free(&ro->f);
	coord_unload(&ro->run);
}

void
rollout_event(struct rollout *ro, const char *event, struct node *nd, const char *fmt, ...)
{
	struct kvlist ev = KVLIST_INIT;
	char text[1024] = "";

	if (fmt) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(text, sizeof(text), fmt, ap);
		va_end(ap);
	}
	if (ro->g->json) {
		kv_add(&ev, "event", event);
		kv_add_int(&ev, "t_ms", mono_ms() - ro->t0);
		if (nd)
			kv_add(&ev, "host", nd->h->name);
		if (text[0])
			kv_add(&ev, "message", text);
		kv_print_json(&ev, stdout);
		fflush(stdout);
		kv_free(&ev);
		return;
	}
	/* On a terminal the live view shows routine progress; only news gets a line. */
	if (ro->pg.on && (strcmp(event, "switched") == 0 || strcmp(event, "batch") == 0 ||
	    strcmp(event, "staged") == 0 || (strcmp(event, "reversed") == 0 && nd) ||
	    (strcmp(event, "preflight") == 0 && nd == NULL))) {
		rollout_progress(ro, 1);
		return;
	}
	progress_clear(&ro->pg);
	fprintf(stderr, "[%6.1fs] %-9s %s%s%s\n", (double)(mono_ms() - ro->t0) / 1000.0, event,
	    nd ? nd->h->name : "", nd && text[0] ? ": " : "", text);
	rollout_progress(ro, 1);
}

void
rollout_progress(struct rollout *ro, int force)
{
	struct progress_counts c = { 0 };

	if (!ro->pg.on || ro->phase[0] == '\0')
		return;
	c.phase = ro->phase;
	c.total = ro->n;
	c.elapsed_ms = mono_ms() - ro->t0;
	c.staged = ro->n_staged;
	c.switched = ro->n_switched;
	c.reversed = ro->n_reversed;
	c.failed = ro->n_failed;
	progress_draw(&ro->pg, &c, force);
}

/* Nodes whose host finished (failed, or closed by the agent) are lost. */
static void
reap(struct rollout *ro)
{
	struct host *h;

	while ((h = fleet_info_read(&ro->f)) != NULL) {
		struct node *nd = &ro->nodes[h->idx];

		if (nd->st == NODE_LOST || (ro->closing && node_idle(nd)))
			continue;	/* we closed it: keep its last state */
		node_lose(nd);
		rollout_settled(ro, nd);
	}
}

static int
any_busy(const struct rollout *ro)
{
	for (size_t i = 0; i < ro->n; i++)
		if (!node_idle(&ro->nodes[i]) && ro->nodes[i].st != NODE_LOST && !host_is_final(ro->nodes[i].h))
			return 1;
	return 0;
}

void
rollout_settled(struct rollout *ro, struct node *nd)
{
	if (ro->on_settle)
		ro->on_settle(ro, nd);
}

void
rollout_phase(struct rollout *ro, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ro->phase, sizeof(ro->phase), fmt, ap);
	va_end(ap);
}

size_t
rollout_count(const struct rollout *ro, enum node_state st)
{
	size_t n = 0;

	for (size_t i = 0; i < ro->n; i++)
		n += ro->nodes[i].st == st;
	return n;
}

void
rollout_wait(struct rollout *ro, long long max_ms)
{
	long long end = max_ms >= 0 ? mono_ms() + max_ms : 0;

	for (;;) {
		long long now = mono_ms();

		/* Agents that leave when silent stay with us through bakes and gates. */
		for (size_t i = 0; i < ro->n; i++)
			sess_keepalive(&ro->nodes[i].s, now);
		fleet_perform(&ro->f);
		reap(ro);
		rollout_progress(ro, 0);
		if (max_ms < 0 && !any_busy(ro))
			return;
		if (max_ms >= 0 && (mono_ms() >= end || (ro->stop && *ro->stop) ||
		    (ro->cut_short && ro->cut_short(ro))))
			return;
		/* At most a second asleep: pings are due on time. */
		if (fleet_poll(&ro->f, max_ms >= 0 && end - mono_ms() < 1000 ? end - mono_ms() :
		    ro->pg.on ? 250 : 1000) != CUT_OK)
			return;
	}
}

int
rollout_connect_then(struct rollout *ro, const char *op)
{
	int ok = 1;

	ro->first_op = op;
	fleet_start_all(&ro->f);
	rollout_wait(ro, -1);
	ro->first_op = NULL;
	for (size_t i = 0; i < ro->n; i++)
		if (ro->nodes[i].st != NODE_READY)
			ok = 0;
	return ok ? CUT_OK : CUT_ERR_HOST;
}

int
rollout_connect(struct rollout *ro)
{
	return rollout_connect_then(ro, NULL);
}

static int
by_name(const void *x, const void *y)
{
	const struct node *const *a = x, *const *b = y;

	return strcmp((*a)->h->name, (*b)->h->name);
}

/*
 * Two coordinators on overlapping fleets must not each end up holding part
 * of it: the first reachable host in name order is locked alone, and only
 * once it is held are the others asked (in parallel, for speed). A racing
 * coordinator loses on that first host and stops before locking anything.
 */
/* The lock request; with --wait the agent queues, and our deadline waits with it. */
static int
request_lock(struct node *nd, long long wait)
{
	struct kvlist a = KVLIST_INIT;
	int r;

	if (wait > 0)
		kv_add_int(&a, "wait", wait);
	r = node_request(nd, "lock", &a);
	kv_free(&a);
	if (r == CUT_OK && wait > 0)
		nd->h->op_deadline += wait * 1000;
	return r;
}

int
rollout_lock(struct rollout *ro, size_t max_fail, long long wait)
{
	struct node **order;
	size_t m = 0, k, fails = 0;

	if ((order = calloc(ro->n ? ro->n : 1, sizeof(*order))) == NULL)
		return CUT_ERR_ALLOC;
	for (size_t i = 0; i < ro->n; i++)
		if (ro->nodes[i].st == NODE_READY)
			order[m++] = &ro->nodes[i];
	if (m > 1)
		qsort(order, m, sizeof(*order), by_name);
	for (k = 0; k < m; k++) {
		if (request_lock(order[k], wait) == CUT_OK)
			rollout_wait(ro, -1);
		if (order[k]->st == NODE_LOCKED) {
			k++;
			break;
		}
		if (++fails > max_fail || (ro->stop && *ro->stop)) {
			free(order);
			return CUT_ERR_LOCKED;
		}
	}
	for (size_t i = k; i < m; i++)
		request_lock(order[i], wait);
	rollout_wait(ro, -1);
	free(order);
	return CUT_OK;
}

void
rollout_finish(struct rollout *ro)
{
	ro->closing = 1;
	for (size_t i = 0; i < ro->n; i++)
		host_close(ro->nodes[i].h);
	reap(ro);
}

static volatile sig_atomic_t *sigflag;

static void
on_signal(int sig)
{
	(void)sig;
	if (sigflag)
		*sigflag = 1;
}

void
rollout_sigsetup(volatile sig_atomic_t *flag)
{
	struct sigaction sa;

	sigflag = flag;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}
