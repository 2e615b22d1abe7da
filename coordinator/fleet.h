/*
 * All hosts of a run multiplexed in one poll() loop, shaped like curl's
 * multi interface: no thread or process per host.
 *
 *	fleet_init(&f, sel, parallel);
 *	for each host: sess_attach(...) (session.h) or set ->on_read, ->user
 *	fleet_start_all(&f);                      hosts queue for a slot
 *	while (fleet_running(&f)) {
 *		fleet_perform(&f);                // advance every ready host
 *		while ((h = fleet_info_read(&f)))  // hosts that just finished
 *			...
 *		fleet_poll(&f, max_ms);           // wait on all sockets / nearest deadline
 *	}
 *	fleet_free(&f);
 *
 * At most `parallel` hosts are setting up ssh (CONNECTING to EXEC) at once:
 * the bound is on handshakes, which cost the remote sshd CPU; open pipes
 * do not count.
 */
#ifndef CUT_FLEET_H
#define CUT_FLEET_H

#include <stddef.h>

#include "fleet_conf.h"
#include "host.h"

struct fleet {
	struct host **hosts;
	size_t n;
	size_t parallel;
	int verbose;
	struct pollfd *pfd;	/* scratch, 3 per host (jump tunnels use 3) */
	size_t *pidx;		/* pfd slot -> host index */
};

int fleet_init(struct fleet *f, const struct fleet_sel *sel, size_t parallel);
void fleet_free(struct fleet *f);
/* Mark every WAITING host to be started as slots free up. */
void fleet_start_all(struct fleet *f);
/* Start waiting hosts within the concurrency bound; step every live host. */
void fleet_perform(struct fleet *f);
/*
 * Wait until a socket is ready, the nearest host deadline, or max_ms
 * (-1: no extra cap). Returns 0, or CUT_ERR_SYSTEM when poll fails (EINTR
 * is not an error: the caller checks its signal flag).
 */
int fleet_poll(struct fleet *f, long long max_ms);
/* A host that reached DONE or FAILED since the last call, or NULL. */
struct host *fleet_info_read(struct fleet *f);
/* Number of hosts not yet DONE/FAILED (waiting ones included when started). */
size_t fleet_running(const struct fleet *f);
/* libssh2_init once per process. */
int fleet_global_init(void);

#endif
