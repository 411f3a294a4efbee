/* cluster.c: the cluster bus on Redis (see cluster.h): its links and its
 * reader. Publishing a batch (the publish script, its answer) is
 * cluster_publish.c's, the recent events cluster_ring.c's, /healthz and
 * /metrics cluster_status.c's, the outbox cluster_outbox.c's.
 *
 * Two hiredis asynchronous links on the daemon's libev loop: `cmd` sends the
 * publish script, `rd` reads the stream with XREAD BLOCK. Each is a state
 * machine (down -> connecting -> up -> down) with one reconnect timer; the
 * reader has one read outstanding at a time and a watchdog that cuts a link
 * whose blocking read has not answered well past its block time (a Redis that
 * hangs rather than closes).
 *
 * Invariants: each organization's recent events are a ring of at most
 * cluster-history items in position order; `floor` is the position after
 * which the ring holds every event this node applied. The reader applies
 * entries in stream order, the same on every node.
 *
 * One position per event: a batch goes to the publish script with the last
 * entry this node's reader applied (up to it, prepare recognised retries
 * by the organization's dedup window), and the script recognises copies in the
 * entries after it (see cluster_publish_script); events it reports numbered
 * already are answered like retries (ingest_take_known).
 *
 * The outbox while Redis is away: a producer's batch goes straight to Redis
 * only when the outbox is empty, the publish link is up and the reader knows
 * where the stream stands; otherwise it joins the outbox (cluster_outbox.c). */
#include "cluster.h"
#include "cluster-internal.h"

#include <ev.h>
#include <hiredis/adapters/libev.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "action.h"
#include "alerts.h"
#include "clock.h"
#include "control.h"
#include "log.h"
#include "org.h"
#include "prioritize.h"
#include "schedules.h"
#include "server.h"
#include "strmap.h"
#include "xalloc.h"

#define STREAM_KEY CLUSTER_STREAM_KEY
#define LEADER_KEY "wfmon:leader"
#define LEASE_MS 3000
/* A node stops counting itself leader this long before its lease can have
 * run out in Redis (measured from when it asked, before Redis granted it). */
#define LEASE_MARGIN_MS 500
#define STREAM_MAXLEN CLUSTER_STREAM_MAXLEN
/* Entries a read brings at most. Small, because a node applies a read's
 * entries in one turn of its loop and its subscribers get nothing of them
 * before the turn ends: 512 entries of ~20 events (tests/bench_cluster.sh)
 * made turns of over 100 ms once a node fell behind, and a node behind
 * read 512 again. */
#define READ_COUNT "16"
#define READ_BLOCK_MS "1000"
/* A read that brought fewer entries than READ_PACE_BELOW is followed by the
 * next one READ_PACE_S later, not at once: at thousands of small entries a
 * second each read is a round trip to Redis and a wakeup on every node
 * (measured in tests/bench_cluster.sh: several entries a read instead of
 * one or two), for at most that much more delivery latency. A node behind
 * reads again at once. */
#define READ_PACE_BELOW 4
#define READ_PACE_S 0.001
#define READ_WATCHDOG_S 5.0
#define RETRY_MIN_S 0.1
#define RETRY_MAX_S 2.0


/* Takes or renews the alert lease. KEYS: the lease. ARGV: node, lease ms.
 * Returns 1 when the node holds it. */
static const char lease_script[] =
	"local v = redis.call('GET', KEYS[1])\n"
	"if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end\n"
	"if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end\n"
	"return 0\n";

static const char *const share_names[CLUSTER_SHARE__COUNT] = {
	[CLUSTER_SHARE_RULE] = "rule",
	[CLUSTER_SHARE_RULE_DELETE] = "rule-delete",
	[CLUSTER_SHARE_ALERT] = "alert",
	[CLUSTER_SHARE_PRIORITY] = "priority",
	[CLUSTER_SHARE_SCHEDULE] = "schedule",
	[CLUSTER_SHARE_SCHEDULE_DELETE] = "schedule-delete",
	[CLUSTER_SHARE_ACTION_USE] = "action-use",
	[CLUSTER_SHARE_CONTROL] = "control",
};

/* ---- the URL --------------------------------------------------------------- */

int cluster_url_parse(const char *url, char *host, size_t hostlen, int *port, char *cause, size_t causelen)
{
	static const char scheme[] = "redis://";
	if (strncmp(url, scheme, sizeof scheme - 1) != 0) {
		snprintf(cause, causelen, "cluster must be redis://HOST:PORT, got '%s'", url);
		return -1;
	}
	const char *h = url + sizeof scheme - 1;
	const char *colon = strrchr(h, ':');
	size_t hl = colon ? (size_t)(colon - h) : strlen(h);
	if (hl > 0 && h[hl - 1] == '/')
		hl--;
	*port = 6379;
	if (colon != NULL) {
		char *end;
		long p = strtol(colon + 1, &end, 10);
		if (end == colon + 1 || (*end != '\0' && strcmp(end, "/") != 0) || p < 1 || p > 65535) {
			snprintf(cause, causelen, "cluster: '%s' is not a port (1-65535) in %s", colon + 1, url);
			return -1;
		}
		*port = (int)p;
	}
	if (hl == 0 || hl >= hostlen || memchr(h, '@', hl) != NULL || memchr(h, '/', hl) != NULL) {
		snprintf(cause, causelen, "cluster: no usable host in %s (redis://HOST:PORT, no user or path)",
			 url);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	return 0;
}

/* ---- links --------------------------------------------------------------------- */

static void link_connect(struct link *l);
static void reader_next(struct cluster *k);

static void link_schedule_retry(struct link *l)
{
	if (l->k->stopping)
		return;
	ev_timer_stop(l->k->loop, &l->retry);
	ev_timer_set(&l->retry, l->backoff_s, 0);
	ev_timer_start(l->k->loop, &l->retry);
	l->backoff_s = l->backoff_s * 2 > RETRY_MAX_S ? RETRY_MAX_S : l->backoff_s * 2;
}

static void link_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct link *l = w->data;
	l->k->reconnects_total++;
	link_connect(l);
}

static void link_lost(struct link *l, const char *why)
{
	struct cluster *k = l->k;
	bool was_up = l->state == LINK_UP;
	l->ac = NULL;
	l->state = LINK_DOWN;
	if (l == &k->rd)
		k->read_sent_us = 0;
	if (why != NULL && *why != '\0')
		snprintf(k->error, sizeof k->error, "%s", why);
	if (!k->stopping && (was_up || k->reconnects_total % 20 == 0))
		log_warn("cluster: Redis %s:%d (%s link) is away: %s; peers' events are delayed, retrying",
			 k->host, k->port, l->name, why && *why ? why : "connection closed");
	link_schedule_retry(l);
}

/* The publish script's digest, once Redis has it (SCRIPT LOAD on each new
 * publish link, before anything else is sent on it): batches then go as
 * EVALSHA, not with the script's kilobyte of text that Redis would hash
 * again for every batch. */
static void on_script_loaded(redisAsyncContext *ac, void *r, void *privdata)
{
	(void)privdata;
	struct cluster *k = ((struct link *)ac->data)->k;
	redisReply *reply = r;
	if (reply == NULL)
		return;   /* the link went: loaded again on the next one */
	if (reply->type == REDIS_REPLY_STRING && reply->len < sizeof k->publish_sha) {
		memcpy(k->publish_sha, reply->str, reply->len + 1);
		return;
	}
	log_warn("cluster: Redis did not load the publish script (%s): batches carry the whole script",
		 reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct link *l = ac->data;
	if (status != REDIS_OK) {
		/* hiredis frees the context after this callback. */
		link_lost(l, ac->errstr);
		return;
	}
	struct cluster *k = l->k;
	l->state = LINK_UP;
	l->backoff_s = RETRY_MIN_S;
	if (k->cmd.state == LINK_UP && k->rd.state == LINK_UP) {
		k->error[0] = '\0';
		log_info("cluster: node %s on Redis %s:%d, peers' events current", k->node, k->host, k->port);
	}
	if (l == &k->rd) {
		reader_next(k);
	} else {
		redisAsyncCommand(l->ac, on_script_loaded, NULL, "SCRIPT LOAD %s", cluster_publish_script);
		cluster_outbox_kick(k);
	}
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct link *l = ac->data;
	link_lost(l, status == REDIS_OK ? "" : ac->errstr);
}

static void link_connect(struct link *l)
{
	struct cluster *k = l->k;
	redisAsyncContext *ac = redisAsyncConnect(k->host, k->port);
	if (ac == NULL) {
		link_lost(l, "out of memory");
		return;
	}
	if (ac->err) {
		char why[256];
		snprintf(why, sizeof why, "%s", ac->errstr);
		redisAsyncFree(ac);
		link_lost(l, why);
		return;
	}
	ac->data = l;
	l->ac = ac;
	l->state = LINK_CONNECTING;
	redisLibevAttach(k->loop, ac);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
}

/* ---- the reader ------------------------------------------------------------------ */

static const char *field(const redisReply *fields, const char *name, size_t *len)
{
	for (size_t i = 0; i + 1 < fields->elements; i += 2) {
		const redisReply *f = fields->element[i], *v = fields->element[i + 1];
		if (f->type == REDIS_REPLY_STRING && strcmp(f->str, name) == 0 && v->type == REDIS_REPLY_STRING) {
			*len = v->len;
			return v->str;
		}
	}
	return NULL;
}

/* The events of one entry (one JSON text a line) as an array, and in
 * texts[] (of *ntexts, the caller frees it) the line each came from; a
 * line that does not parse is left out and logged (a peer validated it). */
static json_t *entry_events_new(const char *text, size_t len, struct ingest_text **texts, size_t *ntexts)
{
	json_t *events = json_array();
	size_t cap = 0;
	*texts = NULL;
	*ntexts = 0;
	size_t at = 0;
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - text) : len;
		json_error_t err;
		json_t *e = json_loadb(text + at, end - at, 0, &err);
		if (e == NULL) {
			log_warn("cluster: an event in the stream does not parse (%s): skipped", err.text);
			e = json_null();
		}
		if (*ntexts == cap) {
			cap = cap ? cap * 2 : 16;
			*texts = xrealloc(*texts, cap * sizeof **texts);
		}
		(*texts)[(*ntexts)++] = (struct ingest_text){ .text = text + at, .len = end - at };
		json_array_append_new(events, e);
		at = end + 1;
	}
	return events;
}

static void own_clear(struct own_entry *o)
{
	ingest_items_free(o->items, o->n);
	memset(o, 0, sizeof *o);
}

/* Keeps the items of the batch this node just appended as entry `id`
 * (taken out of b: b->n becomes 0). */
void cluster_own_keep(struct cluster *k, const char *id, struct ingest_batch *b)
{
	struct own_entry *o = &k->own[k->own_next];
	k->own_next = (k->own_next + 1) % OWN_KEPT;
	own_clear(o);
	snprintf(o->id, sizeof o->id, "%s", id);
	o->items = b->items;
	o->n = b->n;
	b->items = NULL;
	b->n = 0;
}

/* This node's entry `id`, taken out of the kept ones into *o, or false: the
 * reader may have come first, or it was dropped. */
static bool own_take(struct cluster *k, const char *id, struct own_entry *out)
{
	for (uint32_t n = 0; n < OWN_KEPT; n++) {
		/* Newest first: the entry applied now was most likely appended last. */
		struct own_entry *o = &k->own[(k->own_next + OWN_KEPT - 1 - n) % OWN_KEPT];
		if (o->items != NULL && strcmp(o->id, id) == 0) {
			*out = *o;
			memset(o, 0, sizeof *o);
			return true;
		}
	}
	return false;
}

/* A rule or an alert record another node changed (cluster_share). */
static void apply_shared(struct cluster *k, const redisReply *fields)
{
	size_t len;
	const char *node = field(fields, "n", &len);
	const char *org = field(fields, "o", &len);
	const char *kind = field(fields, "t", &len);
	const char *text = field(fields, "j", &len);
	if (node == NULL || org == NULL || text == NULL || !proto_id_valid(org) || strcmp(node, k->node) == 0)
		return;   /* ours: applied when it was made */
	int which = 0;
	while (which < CLUSTER_SHARE__COUNT && strcmp(share_names[which], kind) != 0)
		which++;
	json_t *j = json_loadb(text, len, 0, NULL);
	if (which == CLUSTER_SHARE__COUNT || j == NULL) {
		log_warn("cluster: a %s from node %s is not understood here: skipped", kind, node);
		json_decref(j);
		return;
	}
	if (which == CLUSTER_SHARE_PRIORITY)
		prioritize_shared(server_org(k->s, org), j);
	else if (which == CLUSTER_SHARE_ACTION_USE)
		action_nonce_shared(k->s, j);
	else if (which == CLUSTER_SHARE_CONTROL)
		control_peers_shared(k->s, org, node, j);
	else if (which == CLUSTER_SHARE_SCHEDULE || which == CLUSTER_SHARE_SCHEDULE_DELETE)
		schedules_shared(server_org(k->s, org), which == CLUSTER_SHARE_SCHEDULE_DELETE, j);
	else
		alerts_shared(k->s, server_org(k->s, org), which, j);
	json_decref(j);
}

/* Applies one stream entry: the same on every node, in stream order. */
static void apply_entry(struct cluster *k, const redisReply *entry)
{
	if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
	    entry->element[0]->type != REDIS_REPLY_STRING || entry->element[1]->type != REDIS_REPLY_ARRAY)
		return;
	snprintf(k->last_id, sizeof k->last_id, "%s", entry->element[0]->str);
	const redisReply *fields = entry->element[1];
	size_t olen, llen, clen, elen;
	const char *org = field(fields, "o", &olen);
	if (field(fields, "t", &llen) != NULL) {
		apply_shared(k, fields);
		return;
	}
	const char *last = field(fields, "l", &llen);
	const char *count = field(fields, "c", &clen);
	const char *text = field(fields, "e", &elen);
	if (org == NULL || last == NULL || count == NULL || text == NULL || !proto_id_valid(org)) {
		log_warn("cluster: stream entry %s is not a wfmond batch: skipped", k->last_id);
		return;
	}
	int64_t last_pos = strtoll(last, NULL, 10);
	int64_t n = strtoll(count, NULL, 10);
	int64_t first = last_pos - n + 1;
	struct server *s = k->s;
	struct org *o = server_org(s, org);
	struct ingest_batch b;
	size_t nlen;
	const char *node = field(fields, "n", &nlen);
	struct own_entry own = {.n = 0};
	if (node != NULL && strcmp(node, k->node) == 0 && own_take(k, k->last_id, &own) &&
	    ((int64_t)own.n != n || own.items[0].pos != first)) {
		log_warn("cluster: stream entry %s is not the batch this node appended: read from the stream",
			 k->last_id);
		own_clear(&own);
	}
	if (own.items != NULL) {
		/* Prepared when the producer sent it: not validated or serialized again. */
		ingest_batch_adopt(o, own.items, own.n, &b);
	} else {
		struct ingest_text *texts;
		size_t ntexts;
		json_t *events = entry_events_new(text, elen, &texts, &ntexts);
		if (n <= 0 || (int64_t)json_array_size(events) != n) {
			log_warn("cluster: stream entry %s holds %zu events, says %lld: skipped", k->last_id,
				 json_array_size(events), (long long)n);
			json_decref(events);
			free(texts);
			return;
		}
		ingest_prepare_at(o, events, texts, first, &b);
		json_decref(events);
		free(texts);
	}
	struct cluster_org *co = cluster_org_of(k, org);
	if (co->floor < 0)
		co->floor = first - 1;
	if (o->pos < last_pos)
		o->pos = last_pos;
	ingest_commit(o, &b);
	for (size_t i = 0; i < b.n; i++)
		cluster_ring_keep(k, co, &b.items[i]);
	k->applied_total += b.n;
	k->entries_total++;
	k->last_entry_ms = clock_wall_ms();
	ingest_batch_clear(&b);
}

static void on_read(redisAsyncContext *ac, void *r, void *privdata)
{
	(void)privdata;
	struct cluster *k = ((struct link *)ac->data)->k;
	redisReply *reply = r;
	k->read_sent_us = 0;
	if (reply == NULL)
		return;   /* the link went: on_disconnect retries */
	if (reply->type == REDIS_REPLY_ERROR) {
		snprintf(k->error, sizeof k->error, "%s", reply->str);
		log_warn("cluster: reading the stream failed: %s", reply->str);
		redisAsyncDisconnect(ac);
		return;
	}
	/* [[stream, [[id, [field, value...]]...]]], or nil when the block ran out. */
	size_t got = 0;
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
	    reply->element[0]->type == REDIS_REPLY_ARRAY && reply->element[0]->elements == 2) {
		const redisReply *entries = reply->element[0]->element[1];
		got = entries->elements;
		for (size_t i = 0; i < entries->elements; i++)
			apply_entry(k, entries->element[i]);
	}
	k->reads_total++;
	if (got > 0 && got < READ_PACE_BELOW && !k->stopping) {
		ev_timer_stop(k->loop, &k->read_pace);
		ev_timer_set(&k->read_pace, READ_PACE_S, 0);
		ev_timer_start(k->loop, &k->read_pace);
		return;
	}
	reader_next(k);
}

static void read_pace_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	reader_next(w->data);
}

static void on_last_id(redisAsyncContext *ac, void *r, void *privdata)
{
	(void)privdata;
	struct cluster *k = ((struct link *)ac->data)->k;
	redisReply *reply = r;
	k->read_sent_us = 0;
	if (reply == NULL)
		return;
	if (reply->type != REDIS_REPLY_ARRAY) {
		log_warn("cluster: cannot find the stream's end: %s",
			 reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
		redisAsyncDisconnect(ac);
		return;
	}
	/* Starts after the newest entry: what came before is in PostgreSQL or on its way. */
	if (reply->elements > 0 && reply->element[0]->type == REDIS_REPLY_ARRAY &&
	    reply->element[0]->elements > 0 && reply->element[0]->element[0]->type == REDIS_REPLY_STRING)
		snprintf(k->last_id, sizeof k->last_id, "%s", reply->element[0]->element[0]->str);
	else
		snprintf(k->last_id, sizeof k->last_id, "0-0");
	reader_next(k);
	cluster_outbox_kick(k);
}

/* The one outstanding read of the reader link. */
static void reader_next(struct cluster *k)
{
	ev_timer_stop(k->loop, &k->read_pace);   /* one read outstanding, paced or not */
	if (k->rd.state != LINK_UP || k->stopping)
		return;
	int rc;
	if (k->last_id[0] == '\0')
		rc = redisAsyncCommand(k->rd.ac, on_last_id, NULL, "XREVRANGE %s + - COUNT 1", STREAM_KEY);
	else
		rc = redisAsyncCommand(k->rd.ac, on_read, NULL, "XREAD COUNT %s BLOCK %s STREAMS %s %s",
				       READ_COUNT, READ_BLOCK_MS, STREAM_KEY, k->last_id);
	if (rc == REDIS_OK)
		k->read_sent_us = clock_mono_us();
}

static void on_lease(redisAsyncContext *ac, void *r, void *privdata)
{
	(void)privdata;
	struct cluster *k = ((struct link *)ac->data)->k;
	redisReply *reply = r;
	bool was = cluster_leads(k);
	if (reply != NULL && reply->type == REDIS_REPLY_INTEGER && reply->integer == 1)
		k->leader_until_us = k->lease_asked_us + (LEASE_MS - LEASE_MARGIN_MS) * 1000LL;
	else if (reply != NULL)
		k->leader_until_us = 0;
	k->lease_asked_us = 0;
	if (cluster_leads(k) != was)
		log_info("cluster: node %s %s the alert lease", k->node, was ? "lost" : "holds");
}

static void lease_renew(struct cluster *k)
{
	if (k->cmd.state != LINK_UP || k->lease_asked_us != 0)
		return;
	char ms[16];
	snprintf(ms, sizeof ms, "%d", LEASE_MS);
	int64_t now = clock_mono_us();
	if (redisAsyncCommand(k->cmd.ac, on_lease, NULL, "EVAL %s 1 %s %s %s", lease_script, LEADER_KEY, k->node,
			      ms) == REDIS_OK)
		k->lease_asked_us = now;
}

bool cluster_leads(const struct cluster *k)
{
	return k->leader_until_us != 0 && clock_mono_us() < k->leader_until_us;
}

/* Once a second: the alert lease, and a blocking read that has not answered
 * long after its block (Redis hangs rather than closes). */
static void watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct cluster *k = w->data;
	lease_renew(k);
	k->drain_blocked = false;
	cluster_outbox_kick(k);
	if (k->rd.state == LINK_UP && k->read_sent_us != 0 &&
	    clock_mono_us() - k->read_sent_us > (int64_t)(READ_WATCHDOG_S * 1e6)) {
		log_warn("cluster: Redis has not answered a read for %.0f s: reconnecting", READ_WATCHDOG_S);
		k->read_sent_us = 0;
		redisAsyncFree(k->rd.ac);   /* calls on_read (NULL) and on_disconnect */
	}
}

void cluster_share(struct cluster *k, const char *org, enum cluster_share kind, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (text == NULL)
		return;
	if (k->cmd.state != LINK_UP) {
		log_warn("cluster: Redis is away: the other nodes learn of this %s of %s at their next start",
			 share_names[kind], org);
	} else {
		redisAsyncCommand(k->cmd.ac, NULL, NULL, "XADD %s MAXLEN ~ %s * n %s o %s t %s j %s", STREAM_KEY,
				  STREAM_MAXLEN, k->node, org, share_names[kind], text);
	}
	free(text);
}

/* ---- lifetime ----------------------------------------------------------------------- */

static void link_init(struct cluster *k, struct link *l, const char *name)
{
	l->k = k;
	l->name = name;
	l->backoff_s = RETRY_MIN_S;
	ev_timer_init(&l->retry, link_retry_cb, 0, 0);
	l->retry.data = l;
}

struct cluster *cluster_start(struct server *s, struct ev_loop *loop, char *cause, size_t causelen)
{
	struct cluster *k = xcalloc(1, sizeof *k);
	if (cluster_url_parse(s->cfg.cluster, k->host, sizeof k->host, &k->port, cause, causelen) < 0) {
		free(k);
		return NULL;
	}
	k->s = s;
	k->loop = loop;
	strmap_init(&k->orgs);
	if (cluster_outbox_open(k, cause, causelen) < 0) {
		strmap_clear(&k->orgs);
		free(k);
		return NULL;
	}
	char host[64] = "";
	gethostname(host, sizeof host - 1);
	uint32_t rnd = (uint32_t)(clock_mono_us() ^ (uint64_t)getpid() << 16);
	snprintf(k->node, sizeof k->node, "%.40s-%d-%04x", host, (int)getpid(), rnd & 0xffff);
	link_init(k, &k->cmd, "publish");
	link_init(k, &k->rd, "reader");
	ev_timer_init(&k->read_pace, read_pace_cb, READ_PACE_S, 0);
	k->read_pace.data = k;
	ev_timer_init(&k->watchdog, watchdog_cb, 1.0, 1.0);
	k->watchdog.data = k;
	ev_timer_start(loop, &k->watchdog);
	snprintf(k->error, sizeof k->error, "connecting");
	link_connect(&k->cmd);
	link_connect(&k->rd);
	log_info("cluster: node %s joins through Redis %s:%d", k->node, k->host, k->port);
	return k;
}

void cluster_stop(struct cluster *k)
{
	if (k == NULL)
		return;
	k->stopping = true;
	ev_timer_stop(k->loop, &k->watchdog);
	ev_timer_stop(k->loop, &k->read_pace);
	ev_timer_stop(k->loop, &k->cmd.retry);
	ev_timer_stop(k->loop, &k->rd.retry);
	/* Frees call the callbacks of what is outstanding with no reply: the
	 * batches in flight are refused (never acknowledged). */
	if (k->cmd.ac != NULL)
		redisAsyncFree(k->cmd.ac);
	if (k->rd.ac != NULL)
		redisAsyncFree(k->rd.ac);
	cluster_outbox_close(k);
	for (uint32_t i = 0; i < OWN_KEPT; i++)
		own_clear(&k->own[i]);
	cluster_orgs_free(k);
	free(k);
}
