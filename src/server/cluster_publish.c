/* cluster_publish.c: a producer's batch on its way through Redis (see
 * cluster.h): the publish script that numbers a batch and appends it to the
 * stream in one atomic step, its sending and its answer, and what a node
 * does with the positions (its spool, its acknowledgement, its own entry
 * kept for the reader). The links and the reader are cluster.c's; the
 * outbox (cluster_outbox.c) sends its batches through the same script.
 *
 * Invariant: a batch in flight to Redis is owned by its struct flight until
 * its reply (or the link's loss) comes back, and its answer by the pending
 * ticket it holds. */
#include "cluster.h"
#include "cluster-internal.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "org.h"
#include "promtext.h"
#include "publish.h"
#include "server.h"
#include "xalloc.h"

#define POS_KEY "wfmon:pos"
#define OUTBOX_KEY_PREFIX "wfmon:outbox:"
/* How long Redis remembers its answer to an outbox batch: longer than any
 * node stays down with its outbox full. */
#define OUTBOX_KEY_TTL_S "604800"

/* The stream's batch entries again, with only what finding a copy needs:
 * organization, positions and the events' ids (written by the publish
 * script under the same entry ids). The script looks there rather than in
 * the stream, whose entries carry the events' whole texts (kilobytes each,
 * copied into Lua for every entry looked at). Kept short: the script only
 * looks just behind the stream's end. */
#define IDS_KEY "wfmon:ids"
#define IDS_MAXLEN "10000"
/* Batch entries after the sender's last applied one that the publish script
 * looks through for copies of the batch's events, at most: past them a
 * copy is numbered again (see cluster_publish_script). A node's reader is normally
 * a read (READ_COUNT entries) or two behind the stream's end; the bound is
 * what a node far behind pays on each of its batches. */
#define SCAN_MAX "64"

/* Numbers the batch and appends it to the stream in one atomic step, so that
 * stream order is position order. KEYS: positions hash, stream, its ids
 * (IDS_KEY), and for a batch from the outbox its answer key (so that
 * sending it again after a crash or a lost reply gives the same answer
 * instead of a second copy). ARGV: node, org, count, the node's own last
 * position (a floor), the clock's floor (microseconds, used when Redis has
 * no counter for the organization: a fresh or emptied Redis never hands out
 * positions below stored ones), events (one JSON text a line), MAXLEN, the
 * answer key's lifetime in seconds, the events' ids (one a line, in the
 * same order; "" for one not known), the stream entry after which the
 * sender has not applied the stream ("": look nowhere), the most entries
 * to look at, the ids' MAXLEN.
 *
 * Copies: an event of the batch that a batch entry of the same organization
 * after that one holds (by its ids in KEYS[3]; an entry a wfmond without
 * them appended is not looked into) keeps the position it has there: it is
 * not numbered, appended or counted again. Everything up to that entry the
 * sender recognises itself (its dedup window). So the script looks at
 * SCAN_MAX entries after it at most; a copy further on is numbered a second
 * time, as before (every node delivers only the first). Cost: one more
 * XADD (the ids) for each batch appended, and one XRANGE of small entries
 * (nothing when the sender is up to date); for each entry of the same
 * organization one gsub over its ids against the batch's (a table lookup
 * per id, in C), and only where that finds one a walk of the entry's ids.
 * Measured (tests/bench_cluster.sh and a direct EVALSHA loop, see the
 * README): a few microseconds of Redis per entry looked at, so the cost
 * grows with how far the sender's reader is behind.
 *
 * Returns {last position, entry id ("" when every event was numbered
 * already: nothing appended), {index, position, ...} of the events found
 * numbered already (index among the batch's, 0-based, rising), 1 when the
 * look stopped at its bound with entries left, else 0}. */
const char cluster_publish_script[] =
	"local function lines(s)\n"
	"  local t, n, at = {}, 0, 1\n"
	"  while true do\n"
	"    local nl = string.find(s, '\\n', at, true)\n"
	"    t[n] = string.sub(s, at, (nl or 0) - 1)\n"
	"    n = n + 1\n"
	"    if not nl then return t, n end\n"
	"    at = nl + 1\n"
	"  end\n"
	"end\n"
	"if KEYS[4] then\n"
	"  local done = redis.call('GET', KEYS[4])\n"
	"  if done then\n"
	"    local w = {}\n"
	"    for x in string.gmatch(done, '%S+') do w[#w + 1] = x end\n"
	"    local found = {}\n"
	"    for j = 3, #w do found[#found + 1] = tonumber(w[j]) end\n"
	"    return {tonumber(w[1]), w[2] == '-' and '' or w[2], found, 0}\n"
	"  end\n"
	"end\n"
	"local count, events, ids = tonumber(ARGV[3]), ARGV[6], ARGV[9]\n"
	"local found, nfound, cut = {}, 0, 0\n"
	"local ws, mark\n"
	"local function look(i, first)\n"
	"  if string.gsub(i, '[^\\n]+', mark) == i then return end\n"
	"  local at, k = 2, 0\n"
	"  while at <= #i do\n"
	"    local nl = string.find(i, '\\n', at, true)\n"
	"    if not nl then return end\n"
	"    local j = ws[string.sub(i, at, nl - 1)]\n"
	"    if j and not found[j] then found[j] = first + k nfound = nfound + 1 end\n"
	"    at, k = nl + 1, k + 1\n"
	"  end\n"
	"end\n"
	"if ARGV[10] ~= '' then\n"
	"  local max = tonumber(ARGV[11])\n"
	"  local es = redis.call('XRANGE', KEYS[3], '(' .. ARGV[10], '+', 'COUNT', max + 1)\n"
	"  if #es > max then cut = 1 end\n"
	"  for x = 1, math.min(#es, max) do\n"
	"    local f = es[x][2]\n"
	"    if f[1] == 'o' and f[2] == ARGV[2] and f[7] == 'i' then\n"
	"      if not ws then\n"
	"        local t, n = lines(ids)\n"
	"        if n ~= count then break end\n"
	"        ws, mark = {}, {}\n"
	"        for j = 0, n - 1 do\n"
	"          if t[j] ~= '' and not ws[t[j]] then ws[t[j]] = j mark[t[j]] = '\\0' end\n"
	"        end\n"
	"      end\n"
	"      look(f[8], tonumber(f[4]) - tonumber(f[6]) + 1)\n"
	"    end\n"
	"  end\n"
	"end\n"
	"if nfound > 0 then\n"
	"  local te, ti = lines(events), lines(ids)\n"
	"  local ke, ki = {}, {}\n"
	"  for j = 0, count - 1 do\n"
	"    if not found[j] then ke[#ke + 1] = te[j] ki[#ki + 1] = ti[j] end\n"
	"  end\n"
	"  events, ids, count = table.concat(ke, '\\n'), table.concat(ki, '\\n'), count - nfound\n"
	"end\n"
	"local cur = redis.call('HGET', KEYS[1], ARGV[2])\n"
	"if not cur then\n"
	"  if tonumber(ARGV[5]) > tonumber(ARGV[4]) then redis.call('HSET', KEYS[1], ARGV[2], ARGV[5])\n"
	"  else redis.call('HSET', KEYS[1], ARGV[2], ARGV[4]) end\n"
	"elseif tonumber(cur) < tonumber(ARGV[4]) then\n"
	"  redis.call('HSET', KEYS[1], ARGV[2], ARGV[4])\n"
	"end\n"
	"local last, id = tonumber(redis.call('HGET', KEYS[1], ARGV[2])), ''\n"
	"if count > 0 then\n"
	"  last = redis.call('HINCRBY', KEYS[1], ARGV[2], count)\n"
	"  id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], '*', 'n', ARGV[1], 'o', ARGV[2],\n"
	"    'l', string.format('%d', last), 'c', string.format('%d', count), 'e', events)\n"
	"  redis.pcall('XADD', KEYS[3], 'MAXLEN', '~', ARGV[12], id, 'o', ARGV[2], 'l', string.format('%d', last),\n"
	"    'c', string.format('%d', count), 'i', '\\n' .. ids .. '\\n')\n"
	"end\n"
	"local known, said = {}, {}\n"
	"for j = 0, tonumber(ARGV[3]) - 1 do\n"
	"  if found[j] then\n"
	"    known[#known + 1] = j\n"
	"    known[#known + 1] = found[j]\n"
	"    said[#said + 1] = string.format('%d %d', j, found[j])\n"
	"  end\n"
	"end\n"
	"if KEYS[4] then\n"
	"  redis.call('SET', KEYS[4], string.format('%d', last) .. ' ' .. (id == '' and '-' or id) ..\n"
	"    (#said > 0 and ' ' .. table.concat(said, ' ') or ''), 'EX', ARGV[8])\n"
	"end\n"
	"return {last, id, known, cut}\n";

static void flight_unlink(struct flight *f)
{
	struct cluster *k = f->k;
	if (f->prev) f->prev->next = f->next; else k->flights = f->next;
	if (f->next) f->next->prev = f->prev;
}

static void flight_free(struct flight *f)
{
	ingest_batch_clear(&f->b);
	json_decref(f->b.results);
	free(f);
}

/* Answers the batch's asker that nothing of it was kept. */
void cluster_refuse(struct cluster *k, struct ingest_batch *b, uint64_t ticket, const char *why)
{
	struct server *s = k->s;
	struct pending *p = pending_take(s, ticket);
	if (p == NULL)
		return;
	k->refused_total += b->n;
	if (p->kind == PENDING_ACK) {
		ingest_refuse(b, why);
		publish_answer(s, &p->to, b->accepted, b->rejected, b->results);
	} else {
		reply_error(s, &p->to, PROTO_ERR_UNAVAILABLE, why, NULL);
	}
	pending_free(p);
}

/* The batch's events for the store: its new events (b->stored), then the
 * events retried, with the positions they were applied at, then those Redis
 * found numbered already (b->known). Returns a new array (n in *m)
 * borrowing from b and the ring. */
struct store_event *cluster_batch_events_new(struct cluster *k, const char *org, struct ingest_batch *b, size_t *m)
{
	size_t nretried = json_array_size(b->retried);
	struct store_event *all = xcalloc(b->n + nretried + b->nknown + 1, sizeof *all);
	memcpy(all, b->stored, b->n * sizeof *all);
	*m = b->n;
	size_t i;
	json_t *e;
	json_array_foreach(b->retried, i, e) {
		struct ingest_item *it = cluster_ring_find(k, org, json_string_value(json_object_get(e, "id")));
		if (it != NULL)
			ingest_item_store(it, org, &all[(*m)++]);
	}
	for (i = 0; i < b->nknown; i++)
		ingest_item_store(&b->known[i], org, &all[(*m)++]);
	return all;
}

/* The pending ack of ticket answers for b once durable: its results, its new
 * events counted accepted. */
void cluster_pending_ack_set(struct server *s, uint64_t ticket, const struct ingest_batch *b)
{
	struct pending *p = pending_find(s, ticket);
	if (p != NULL && p->kind == PENDING_ACK) {
		p->results = json_incref(b->results);
		p->accepted = b->accepted + (int)b->n;
		p->rejected = b->rejected;
	}
}

/* Sends the batch (the items' store texts, and the events retried, whose
 * positions are known) to the spool under the pending ticket; answers a
 * refusal itself. */
static void spool(struct cluster *k, const char *org, struct ingest_batch *b, uint64_t ticket)
{
	struct server *s = k->s;
	size_t m;
	struct store_event *all = cluster_batch_events_new(k, org, b, &m);
	int rc = store_append(s->store, all, m, ticket);
	free(all);
	if (rc < 0) {
		cluster_refuse(k, b, ticket, "the daemon's spool is full while the database is away: retry later");
		return;
	}
	/* The store answers the ticket (history_poll). */
	cluster_pending_ack_set(s, ticket, b);
}

/* One JSON text a line (compact JSON has no raw newline): the events of
 * ev[0..n) without a position. Returns a new NUL-ended text. */
char *cluster_events_text_new(const struct store_event *ev, size_t n)
{
	size_t total = 1;
	for (size_t i = 0; i < n; i++)
		if (ev[i].pos == 0)
			total += (ev[i].len ? ev[i].len : strlen(ev[i].json)) + 1;
	char *text = xmalloc(total);
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		if (ev[i].pos != 0)
			continue;
		size_t len = ev[i].len ? ev[i].len : strlen(ev[i].json);
		memcpy(text + at, ev[i].json, len);
		at += len;
		text[at++] = '\n';
	}
	text[at > 0 ? at - 1 : 0] = '\0';   /* the last newline: the text ends there */
	return text;
}

char *cluster_lines_new(const char *const *lines, size_t n)
{
	size_t total = 1;
	for (size_t i = 0; i < n; i++)
		total += strlen(lines[i]) + 1;
	char *text = xmalloc(total);
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(lines[i]);
		memcpy(text + at, lines[i], len);
		at += len;
		text[at++] = '\n';
	}
	text[at > 0 ? at - 1 : 0] = '\0';
	return text;
}

static void on_published(redisAsyncContext *ac, void *r, void *privdata);

/* Sends f's events (count of them, one a line in text) to the publish
 * script; f joins the flights. Returns -1 (f not sent, not a flight) when
 * hiredis refuses. */
int cluster_script_send(struct cluster *k, struct flight *f, int64_t floor, size_t n, const char *text,
			const char *ids, const char *after, const char *outbox_id)
{
	char count[24], floor_pos[24], clock_floor[24], idkey[96];
	snprintf(count, sizeof count, "%zu", n);
	snprintf(floor_pos, sizeof floor_pos, "%lld", (long long)floor);
	snprintf(clock_floor, sizeof clock_floor, "%lld", (long long)(clock_wall_ms() * 1000));
	snprintf(idkey, sizeof idkey, "%s%s", OUTBOX_KEY_PREFIX, outbox_id ? outbox_id : "");
	const char *args[19];
	size_t argc = 0;
	bool loaded = k->publish_sha[0] != '\0';
	args[argc++] = loaded ? "EVALSHA" : "EVAL";
	args[argc++] = loaded ? k->publish_sha : cluster_publish_script;
	args[argc++] = outbox_id ? "4" : "3";
	args[argc++] = POS_KEY;
	args[argc++] = CLUSTER_STREAM_KEY;
	args[argc++] = IDS_KEY;
	if (outbox_id != NULL)
		args[argc++] = idkey;
	args[argc++] = k->node;
	args[argc++] = f->org;
	args[argc++] = count;
	args[argc++] = floor_pos;
	args[argc++] = clock_floor;
	args[argc++] = text;
	args[argc++] = CLUSTER_STREAM_MAXLEN;
	args[argc++] = OUTBOX_KEY_TTL_S;
	args[argc++] = ids;
	args[argc++] = after;
	args[argc++] = SCAN_MAX;
	args[argc++] = IDS_MAXLEN;
	size_t argvlen[sizeof args / sizeof args[0]];
	for (size_t i = 0; i < argc; i++)
		argvlen[i] = strlen(args[i]);
	f->sent_us = clock_mono_us();
	snprintf(f->sent_after, sizeof f->sent_after, "%s", k->last_id);
	f->prev = NULL;
	f->next = k->flights;
	if (k->flights)
		k->flights->prev = f;
	k->flights = f;
	if (redisAsyncCommandArgv(k->cmd.ac, on_published, f, (int)argc, args, argvlen) != REDIS_OK) {
		flight_unlink(f);
		return -1;
	}
	return 0;
}

bool cluster_script_answer(struct cluster *k, const redisReply *reply, size_t n, struct script_answer *a)
{
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 4 ||
	    reply->element[0]->type != REDIS_REPLY_INTEGER || reply->element[1]->type != REDIS_REPLY_STRING ||
	    reply->element[2]->type != REDIS_REPLY_ARRAY || reply->element[2]->elements % 2 != 0 ||
	    reply->element[3]->type != REDIS_REPLY_INTEGER)
		return false;
	a->last = reply->element[0]->integer;
	a->entry = reply->element[1]->str;
	a->known = reply->element[2];
	a->nknown = a->known->elements / 2;
	a->cut = reply->element[3]->integer != 0;
	for (size_t j = 0; j < a->nknown; j++)
		if (a->known->element[2 * j]->type != REDIS_REPLY_INTEGER ||
		    a->known->element[2 * j + 1]->type != REDIS_REPLY_INTEGER ||
		    cluster_known_index(a, j) >= n || (j > 0 && cluster_known_index(a, j) <= cluster_known_index(a, j - 1)))
			return false;
	k->already_numbered_total += a->nknown;
	k->scans_cut_total += a->cut;
	return true;
}

size_t cluster_known_index(const struct script_answer *a, size_t j)
{
	return (size_t)a->known->element[2 * j]->integer;
}

int64_t cluster_known_pos(const struct script_answer *a, size_t j)
{
	return a->known->element[2 * j + 1]->integer;
}

/* ---- a producer's batch ---------------------------------------------------------------- */

int64_t cluster_applied_pos(struct cluster *k, const char *org, const char *event_id)
{
	const struct ingest_item *it = cluster_ring_find(k, org, event_id);
	return it != NULL ? it->pos : 0;
}

static void on_published(redisAsyncContext *ac, void *r, void *privdata)
{
	(void)ac;
	struct flight *f = privdata;
	struct cluster *k = f->k;
	redisReply *reply = r;
	flight_unlink(f);
	if (reply != NULL) {
		uint64_t took = (uint64_t)(clock_mono_us() - f->sent_us);
		k->publishes++;
		k->publish_us_total += took;
		promtext_histogram_add(store_sync_bounds_ms, k->publish_le,
				       sizeof k->publish_le / sizeof k->publish_le[0], took);
	}
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "NOSCRIPT", 8) == 0 &&
	    k->publish_sha[0] != '\0') {
		/* Its scripts were flushed: the batches in flight fail the usual
		 * way (refused, or kept in the outbox) and a new link loads it. */
		log_warn("cluster: Redis forgot the publish script: reconnecting to load it again");
		k->publish_sha[0] = '\0';
		if (k->cmd.ac != NULL)
			redisAsyncDisconnect(k->cmd.ac);
	}
	if (f->oe != NULL) {
		cluster_outbox_numbered(k, f->oe, reply);
		free(f);
		cluster_outbox_kick(k);
		return;
	}
	if (reply == NULL && cluster_outbox_take_lost(k, f)) {
		flight_free(f);
		return;
	}
	struct script_answer a;
	if (!cluster_script_answer(k, reply, f->b.n, &a)) {
		const char *why = reply && reply->type == REDIS_REPLY_ERROR ? reply->str
				  : reply ? "unexpected reply" : "connection lost";
		log_warn("cluster: a batch of %zu event(s) of %s was not published: %s", f->b.n, f->org, why);
		cluster_refuse(k, &f->b, f->ticket,
		       "the cluster's Redis is away: nothing of this batch was acknowledged, retry later");
		flight_free(f);
		return;
	}
	/* Numbered already by an entry this node has not applied yet (the same
	 * batch sent to another node too): a retry, kept at that position. From
	 * the highest index, so that the lower ones stay where they are. */
	for (size_t j = a.nknown; j-- > 0;)
		ingest_take_known(&f->b, cluster_known_index(&a, j), cluster_known_pos(&a, j));
	int64_t first = a.last - (int64_t)f->b.n + 1;
	for (size_t i = 0; i < f->b.n; i++)
		f->b.items[i].pos = f->b.stored[i].pos = first + (int64_t)i;
	k->published_total += f->b.n;
	spool(k, f->org, &f->b, f->ticket);
	if (a.entry[0] != '\0')
		cluster_own_keep(k, a.entry, &f->b);
	flight_free(f);
}

void cluster_publish(struct cluster *k, struct org *o, struct ingest_batch *b, enum pending_kind kind,
		     const struct reply_to *to)
{
	struct server *s = k->s;
	struct flight *f = xcalloc(1, sizeof *f);
	f->k = k;
	snprintf(f->org, sizeof f->org, "%s", o->id);
	ingest_batch_take(&f->b, b);
	struct pending *p = pending_new(s, kind, to);
	f->ticket = p->ticket;
	if (f->b.n == 0) {
		/* Retries only: acknowledged once what came before is durable. */
		spool(k, o->id, &f->b, f->ticket);
		flight_free(f);
		return;
	}
	/* Straight to Redis only when nothing older waits in the outbox (a
	 * producer's order is kept) and the reader knows where it stands. */
	bool direct = k->cmd.state == LINK_UP && k->last_id[0] != '\0' &&
		      (k->outbox == NULL || backlog_head(k->outbox) == NULL);
	if (!direct && kind == PENDING_ACK) {
		cluster_outbox_keep(k, o->id, &f->b, f->ticket, k->last_id);
		flight_free(f);
		return;
	}
	if (!direct) {
		cluster_refuse(k, &f->b, f->ticket,
		       "the cluster's Redis is away: nothing of this batch was acknowledged, retry later");
		flight_free(f);
		return;
	}
	char *text = cluster_events_text_new(f->b.stored, f->b.n);
	const char **ids = xcalloc(f->b.n, sizeof *ids);
	for (size_t i = 0; i < f->b.n; i++)
		ids[i] = f->b.items[i].ev.event_id;
	char *idtext = cluster_lines_new(ids, f->b.n);
	/* Everything up to last_id this node has applied: prepare recognised it. */
	int rc = cluster_script_send(k, f, o->pos, f->b.n, text, idtext, k->last_id, NULL);
	free(idtext);
	free(ids);
	free(text);
	if (rc < 0) {
		cluster_refuse(k, &f->b, f->ticket, "the cluster's Redis is away: retry later");
		flight_free(f);
	}
}
