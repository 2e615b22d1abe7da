/*
 * The blue-green pools as the hosts report them (bg-view.h). Disagreement
 * (cutover(1), "Blue-green"): a host that was unreachable at a switch, or
 * a coordinator that died while recording one, leaves older records on
 * some hosts; the record with the newest at_ms (the coordinator's time of
 * the switch, the same on every host) wins, and the hosts still
 * holding an older one are listed so status can say so.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg-view.h"
#include "proto.h"
#include "rollout.h"

static const struct fleet_section *
pool_group(const struct fleet_conf *fc, const char *name)
{
	for (size_t i = 0; i < fc->nsec; i++)
		if (fc->sec[i].kind == FSEC_GROUP && strcmp(fc->sec[i].name, name) == 0)
			return &fc->sec[i];
	return NULL;
}

int
bg_pool_index(const struct rollout *ro, const char *name)
{
	for (int k = 0; k < 2; k++)
		if (ro->run.fc.pool[k] && strcmp(ro->run.fc.pool[k], name) == 0)
			return k;
	return -1;
}

int
bg_pool_of(const struct rollout *ro, const char *host)
{
	for (int k = 0; k < 2; k++) {
		const struct fleet_section *g = pool_group(&ro->run.fc, ro->run.fc.pool[k]);

		for (char **p = g ? g->hosts : NULL; p && *p; p++)
			if (strcmp(*p, host) == 0)
				return k;
	}
	return -1;
}

char *
bg_all_hosts(const struct fleet_conf *fc)
{
	size_t len = 1, used = 0;
	char *out = NULL;

	for (int pass = 0; pass < 2; pass++) {
		for (int k = 0; k < 2; k++) {
			const struct fleet_section *g = pool_group(fc, fc->pool[k]);

			for (char **p = g ? g->hosts : NULL; p && *p; p++)
				if (pass == 0)
					len += strlen(*p) + 1;
				else
					used += (size_t)snprintf(out + used, len - used, "%s%s", used ? " " : "", *p);
		}
		if (pass == 0) {
			if ((out = malloc(len)) == NULL)
				return NULL;
			out[0] = '\0';
		}
	}
	return out;
}

static void
append(char *buf, size_t len, const char *sep, const char *s)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s", used ? sep : "", s);
}

const char *
bg_rec(const struct bg_view *v, const char *key)
{
	char k[64];
	const char *s;

	if (v->rec == NULL)
		return "";
	snprintf(k, sizeof(k), "live_%s", key);
	s = kv_get(&v->rec->res, k);
	return s ? s : "";
}

/* One answering host into its pool's summary. */
static void
pool_add(struct bg_pool *p, const struct node *nd)
{
	const char *c = kv_get(&nd->res, "current"), *sch = kv_get(&nd->res, "current_schema");

	if (c == NULL)
		c = "";
	if (p->n - p->down == 1)
		snprintf(p->cur, sizeof(p->cur), "%s", c);
	else if (strcmp(p->cur, c) != 0)
		p->mixed = 1;
	if (sch && *sch) {
		long long s = strtoll(sch, NULL, 10);

		if (p->min_schema < 0 || s < p->min_schema)
			p->min_schema = s;
	}
}

void
bg_view_read(const struct rollout *ro, struct bg_view *v)
{
	long long newest = 0;

	memset(v, 0, sizeof(*v));
	v->floor = -1;
	for (int k = 0; k < 2; k++) {
		v->p[k].name = ro->run.fc.pool[k];
		v->p[k].min_schema = -1;
	}
	for (size_t i = 0; i < ro->n; i++) {
		const struct node *nd = &ro->nodes[i];
		int k = bg_pool_of(ro, nd->h->name);
		const char *fl = kv_get(&nd->res, "schema_floor");
		/* The coordinator's time of the switch; the host's journal time for a record without it. */
		long long ts = kv_get_int(&nd->res, "live_at_ms", kv_get_int(&nd->res, "live_ts_ms", 0));

		if (k < 0)
			continue;
		append(v->p[k].hosts, sizeof(v->p[k].hosts), " ", nd->h->name);
		v->p[k].n++;
		if (nd->st != NODE_READY) {
			v->p[k].down++;
			continue;
		}
		pool_add(&v->p[k], nd);
		if (fl && *fl && strtoll(fl, NULL, 10) > v->floor)
			v->floor = strtoll(fl, NULL, 10);
		if (!sess_has_cap(&nd->s, PROTO_CAP_LIVE))
			append(v->nocap, sizeof(v->nocap), " ", nd->h->name);
		if (ts > newest && bg_pool_index(ro, kv_get(&nd->res, "live_pool") ?
		    kv_get(&nd->res, "live_pool") : "") >= 0) {
			newest = ts;
			v->rec = nd;
		}
	}
	v->live = v->rec ? bg_pool_index(ro, bg_rec(v, "pool")) : 0;
	for (size_t i = 0; i < ro->n; i++) {
		const struct node *nd = &ro->nodes[i];

		const char *id = kv_get(&nd->res, "live_rollout");

		/* Each host journals the same switch at its own time: the rollout ID names the switch. */
		if (nd->st == NODE_READY && bg_pool_of(ro, nd->h->name) >= 0 && v->rec &&
		    (id == NULL || strcmp(id, bg_rec(v, "rollout")) != 0))
			append(v->stale, sizeof(v->stale), " ", nd->h->name);
	}
}

int
bg_pool_runs(const struct rollout *ro, struct bg_view *v, int k, const char *release)
{
	struct bg_pool *p = &v->p[k];
	char one[512];

	p->where[0] = '\0';
	for (size_t i = 0; i < ro->n; i++) {
		const struct node *nd = &ro->nodes[i];
		const char *c = kv_get(&nd->res, "current");

		if (bg_pool_of(ro, nd->h->name) != k)
			continue;
		if (nd->st != NODE_READY)
			snprintf(one, sizeof(one), "%s unreachable", nd->h->name);
		else if (c == NULL || strcmp(c, release) != 0)
			snprintf(one, sizeof(one), "%s runs %s", nd->h->name, c && *c ? c : "nothing");
		else
			continue;
		append(p->where, sizeof(p->where), "; ", one);
	}
	if (p->n == 0)
		snprintf(p->where, sizeof(p->where), "no host of it is selected");
	return p->where[0] ? -1 : 0;
}
