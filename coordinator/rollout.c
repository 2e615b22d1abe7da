/*
 * The engine under the fleet commands: a node per host, requests sent to
 * nodes, and one wait loop that runs the fleet until every outstanding
 * request has its RESULT or its host is gone. Commands (cmd-deploy.c ...)
 * are sequences of phases built from these.
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

static void
on_ready(struct sess *s)
{
	struct node *nd = s->user;

	nd->st = N_IDLE;
}

static void
on_result(struct sess *s, const struct msg *m)
{
	struct node *nd = s->user;

	kv_free(&nd->res);
	kv_copy(&nd->res, &m->kv);
	nd->err = m->code;
	nd->exit_code = m->exit_code;
	nd->st = m->code == 0 ? N_IDLE : N_FAILED;
	if (m->code == 0 && nd->op && strcmp(nd->op, "install") == 0)
		nd->staged = 1;
	if (m->code != 0) {
		const char *why = kv_get(&m->kv, "error");

		if (why == NULL)
			why = kv_get(&m->kv, "message");
		snprintf(nd->why, sizeof(nd->why), "%s", why ? why : cut_err(m->code));
	}
	nd->t_done = mono_ms();
}

static void
on_event(struct sess *s, const struct msg *m)
{
	struct node *nd = s->user;
	struct kvlist *nr;

	if (m->type == MSG_RECORD) {
		if (nd->nrecords >= 100000)
			return;
		if ((nr = realloc(nd->records, (nd->nrecords + 1) * sizeof(*nr))) == NULL)
			return;
		nd->records = nr;
		memset(&nr[nd->nrecords], 0, sizeof(*nr));
		if (kv_copy(&nr[nd->nrecords], &m->kv) == CUT_OK)
			nd->nrecords++;
		return;
	}
	if (nd->ro->g->verbose) {
		const char *ev = kv_get(&m->kv, "event");
		const char *msg = kv_get(&m->kv, "message");

		log_info("%s: %s%s%s", nd->h->name, ev ? ev : "event", msg ? ": " : "", msg ? msg : "");
	}
}

int
rollout_open(struct rollout *ro, const struct copts *g, const char *hosts, const char *group)
{
	int rc;

	memset(ro, 0, sizeof(*ro));
	ro->g = g;
	ro->t0 = mono_ms();
	if ((rc = coord_load(g, hosts, group, &ro->run)) != 0)
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
	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];

		nd->h = ro->f.hosts[i];
		nd->ro = ro;
		sess_attach(&nd->s, nd->h, nd);
		nd->s.on_ready = on_ready;
		nd->s.on_result = on_result;
		nd->s.on_event = on_event;
	}
	ro->app = ro->run.sel.global.app;
	ro->j.fd = -1;
	progress_init(&ro->pg, isatty(STDERR_FILENO) && !g->json);
	return CUT_EXIT_OK;
}

void
rollout_close(struct rollout *ro)
{
	rollout_progress(ro, 1);
	progress_end(&ro->pg);
	rj_close(&ro->j);
	for (size_t i = 0; i < ro->n; i++) {
		struct node *nd = &ro->nodes[i];

		sess_detach(&nd->s);
		kv_free(&nd->res);
		for (size_t k = 0; k < nd->nrecords; k++)
			kv_free(&nd->records[k]);
		free(nd->records);
	}
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

	if (!ro->pg.on || ro->phase == NULL)
		return;
	c.phase = ro->phase;
	c.total = ro->n;
	c.elapsed_ms = mono_ms() - ro->t0;
	for (size_t i = 0; i < ro->n; i++) {
		const struct node *nd = &ro->nodes[i];

		c.staged += nd->staged != 0;
		c.switched += nd->switched && !nd->reversed;
		c.reversed += nd->reversed != 0;
		c.failed += nd->st == N_FAILED || nd->st == N_LOST;
	}
	progress_draw(&ro->pg, &c, force);
}

/* Mark nodes whose host finished (failed or closed) as lost. */
static void
reap(struct rollout *ro)
{
	struct host *h;

	while ((h = fleet_info_read(&ro->f)) != NULL) {
		struct node *nd = &ro->nodes[h->idx];

		if (nd->st == N_LOST || (ro->closing && nd->st != N_BUSY && nd->st != N_NEW))
			continue;	/* we closed it: keep its last state */
		if (h->state == HOST_FAILED || nd->st == N_BUSY || nd->st == N_NEW) {
			nd->err = h->err ? h->err : CUT_ERR_EOF;
			const char *src = h->msg[0] ? h->msg :
			    h->stderr_len ? h->stderr_tail : "agent closed the session";
			size_t len = strlen(src);

			if (len >= sizeof(nd->why))
				len = sizeof(nd->why) - 1;
			memcpy(nd->why, src, len);
			nd->why[len] = '\0';
			/* One line: cut the agent's stderr at its first newline. */
			nd->why[strcspn(nd->why, "\n")] = '\0';
		}
		nd->st = N_LOST;
		nd->locked = 0;
	}
}

static int
any_busy(const struct rollout *ro)
{
	for (size_t i = 0; i < ro->n; i++)
		if (ro->nodes[i].st == N_BUSY || ro->nodes[i].st == N_NEW)
			if (!host_is_final(ro->nodes[i].h))
				return 1;
	return 0;
}

void
rollout_wait(struct rollout *ro, long long max_ms)
{
	long long end = max_ms >= 0 ? mono_ms() + max_ms : 0;

	for (;;) {
		fleet_perform(&ro->f);
		reap(ro);
		rollout_progress(ro, 0);
		if (max_ms < 0 && !any_busy(ro))
			return;
		if (max_ms >= 0 && (mono_ms() >= end || (ro->stop && *ro->stop)))
			return;
		if (fleet_poll(&ro->f, max_ms >= 0 ? end - mono_ms() : ro->pg.on ? 250 : 1000) != CUT_OK)
			return;
	}
}

int
rollout_connect(struct rollout *ro)
{
	int ok = 1;

	fleet_start_all(&ro->f);
	rollout_wait(ro, -1);
	for (size_t i = 0; i < ro->n; i++)
		if (ro->nodes[i].st != N_IDLE)
			ok = 0;
	return ok ? CUT_OK : CUT_ERR_HOST;
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
int
rollout_lock(struct rollout *ro, size_t max_fail)
{
	struct node **order;
	size_t m = 0, k, fails = 0;

	if ((order = calloc(ro->n ? ro->n : 1, sizeof(*order))) == NULL)
		return CUT_ERR_ALLOC;
	for (size_t i = 0; i < ro->n; i++)
		if (ro->nodes[i].st == N_IDLE)
			order[m++] = &ro->nodes[i];
	if (m > 1)
		qsort(order, m, sizeof(*order), by_name);
	for (k = 0; k < m; k++) {
		if (node_request(order[k], "lock", NULL) == CUT_OK)
			rollout_wait(ro, -1);
		if (order[k]->st == N_IDLE) {
			order[k++]->locked = 1;
			break;
		}
		if (++fails > max_fail || (ro->stop && *ro->stop)) {
			free(order);
			return CUT_ERR_LOCKED;
		}
	}
	for (size_t i = k; i < m; i++)
		node_request(order[i], "lock", NULL);
	rollout_wait(ro, -1);
	for (size_t i = k; i < m; i++)
		if (order[i]->st == N_IDLE)
			order[i]->locked = 1;
	free(order);
	return CUT_OK;
}

int
node_request(struct node *nd, const char *op, const struct kvlist *args)
{
	int r;

	if (nd->st != N_IDLE && nd->st != N_FAILED)
		return CUT_ERR_HOST;
	if ((r = sess_request(&nd->s, op, nd->ro->app, args)) != CUT_OK) {
		snprintf(nd->why, sizeof(nd->why), "cannot send %s: %s", op, cut_err(r));
		nd->err = r;
		nd->st = N_FAILED;
		return r;
	}
	nd->why[0] = '\0';
	nd->err = 0;
	nd->st = N_BUSY;
	nd->op = op;
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

static volatile int *sigflag;

static void
on_signal(int sig)
{
	(void)sig;
	if (sigflag)
		*sigflag = 1;
}

void
rollout_sigsetup(volatile int *flag)
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
