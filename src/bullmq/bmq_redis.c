/* bmq_redis.c: reading a BullMQ application's Redis (see bmq_redis.h).
 *
 * One synchronous hiredis connection: a read blocks for at most block_ms,
 * which is how long the bridge waits for new entries anyway. Each batch is
 * read in three round trips (the streams; the jobs with a flow's
 * dependencies; the parents' and children's names), commands pipelined.
 * Strings of a batch live in an arena freed at the next read.
 *
 * Invariants: after any failed reply the connection is dropped (a reply
 * stream out of step cannot be trusted), and reconnecting waits its
 * backoff; nothing is ever written to Redis. */
#include "bmq_redis.h"

#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "xalloc.h"

#define BACKOFF_MAX_MS 10000
#define SUPPORTED_MIN 3
#define SUPPORTED_MAX 6

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

struct bmq_redis {
	struct bmq_redis_config cfg;
	char *host, *socket, *password, *prefix;
	redisContext *c;
	int64_t next_try_ms;
	int backoff_ms;
	char error[256];
	struct arena_chunk *arena;
	struct bmq_item *items;
	struct bmq_child *children;     /* all items' children, BMQ_BATCH * BMQ_MAX_CHILDREN at most */
	size_t nchildren;
	char said[BMQ_MAX_QUEUES][BMQ_QUEUE_NAME_MAX + 1];   /* queues skipped and said so */
	size_t nsaid;
};

/* ---- the arena ------------------------------------------------------------------------ */

static char *arena_dup(struct bmq_redis *r, const char *s, size_t len)
{
	if (s == NULL)
		return NULL;
	if (r->arena == NULL || r->arena->cap - r->arena->used < len + 1) {
		size_t cap = len + 1 > 65536 ? len + 1 : 65536;
		struct arena_chunk *c = xmalloc(sizeof *c + cap);
		c->next = r->arena;
		c->used = 0;
		c->cap = cap;
		r->arena = c;
	}
	char *p = r->arena->data + r->arena->used;
	memcpy(p, s, len);
	p[len] = '\0';
	r->arena->used += len + 1;
	return p;
}

static void arena_reset(struct bmq_redis *r)
{
	while (r->arena != NULL) {
		struct arena_chunk *next = r->arena->next;
		free(r->arena);
		r->arena = next;
	}
}

/* ---- the connection ----------------------------------------------------------------------- */

struct bmq_redis *bmq_redis_new(const struct bmq_redis_config *cfg)
{
	struct bmq_redis *r = xcalloc(1, sizeof *r);
	r->cfg = *cfg;
	r->host = cfg->host ? xstrdup(cfg->host) : NULL;
	r->socket = cfg->socket ? xstrdup(cfg->socket) : NULL;
	r->password = cfg->password ? xstrdup(cfg->password) : NULL;
	r->prefix = xstrdup(cfg->prefix ? cfg->prefix : "bull");
	r->items = xcalloc(BMQ_BATCH, sizeof *r->items);
	r->children = xcalloc((size_t)BMQ_BATCH * 8, sizeof *r->children);
	return r;
}

static void drop(struct bmq_redis *r, const char *why)
{
	if (why != NULL)
		snprintf(r->error, sizeof r->error, "%s", why);
	if (r->c != NULL)
		redisFree(r->c);
	r->c = NULL;
	r->backoff_ms = r->backoff_ms ? r->backoff_ms * 2 : 250;
	if (r->backoff_ms > BACKOFF_MAX_MS)
		r->backoff_ms = BACKOFF_MAX_MS;
	r->next_try_ms = clock_mono_us() / 1000 + r->backoff_ms;
}

void bmq_redis_free(struct bmq_redis *r)
{
	if (r == NULL)
		return;
	if (r->c != NULL)
		redisFree(r->c);
	arena_reset(r);
	if (r->password != NULL)
		explicit_bzero(r->password, strlen(r->password));
	free(r->password);
	free(r->host);
	free(r->socket);
	free(r->prefix);
	free(r->items);
	free(r->children);
	free(r);
}

const char *bmq_redis_error(const struct bmq_redis *r)
{
	return r->error;
}

/* A command's reply, or NULL after dropping the connection. */
static redisReply *command(struct bmq_redis *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *rep = redisvCommand(r->c, fmt, ap);
	va_end(ap);
	if (rep == NULL) {
		drop(r, r->c->errstr[0] ? r->c->errstr : "the connection to Redis failed");
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		char why[256];
		snprintf(why, sizeof why, "Redis answered: %.200s", rep->str);
		freeReplyObject(rep);
		drop(r, why);
		return NULL;
	}
	return rep;
}

bool bmq_redis_ready(struct bmq_redis *r)
{
	if (r->c != NULL)
		return true;
	if (clock_mono_us() / 1000 < r->next_try_ms)
		return false;
	struct timeval tv = { 5, 0 };
	r->c = r->socket ? redisConnectUnixWithTimeout(r->socket, tv) : redisConnectWithTimeout(r->host, r->cfg.port, tv);
	if (r->c == NULL || r->c->err) {
		char why[512];
		const char *err = r->c ? r->c->errstr : "out of memory";
		if (r->socket != NULL)
			snprintf(why, sizeof why, "cannot connect to Redis at %s: %s", r->socket, err);
		else
			snprintf(why, sizeof why, "cannot connect to Redis at %s:%d: %s", r->host, r->cfg.port, err);
		drop(r, why);
		return false;
	}
	struct timeval rtv = { (r->cfg.block_ms + 10000) / 1000, 0 };
	redisSetTimeout(r->c, rtv);
	redisReply *rep = NULL;
	if (r->password != NULL) {
		if ((rep = command(r, "AUTH %s", r->password)) == NULL)
			return false;
		freeReplyObject(rep);
	}
	if (r->cfg.db > 0) {
		if ((rep = command(r, "SELECT %d", r->cfg.db)) == NULL)
			return false;
		freeReplyObject(rep);
	}
	r->backoff_ms = 0;
	r->error[0] = '\0';
	return true;
}

/* ---- queues ---------------------------------------------------------------------------------- */

static bool said_before(struct bmq_redis *r, const char *queue)
{
	for (size_t i = 0; i < r->nsaid; i++)
		if (strcmp(r->said[i], queue) == 0)
			return true;
	if (r->nsaid < BMQ_MAX_QUEUES)
		snprintf(r->said[r->nsaid++], sizeof r->said[0], "%s", queue);
	return false;
}

static void sayf(void (*say)(const char *, void *), void *arg, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void sayf(void (*say)(const char *, void *), void *arg, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (say)
		say(line, arg);
}

static const char *key_type(struct bmq_redis *r, const char *key, char *buf, size_t len)
{
	redisReply *rep = command(r, "TYPE %s", key);
	if (rep == NULL)
		return NULL;
	snprintf(buf, len, "%s", rep->type == REDIS_REPLY_STATUS ? rep->str : "?");
	freeReplyObject(rep);
	return buf;
}

/* Whether a candidate queue has a layout this bridge knows; says why not once. */
static int queue_known(struct bmq_redis *r, const char *queue, void (*say)(const char *, void *), void *arg)
{
	char key[512], type[32];
	snprintf(key, sizeof key, "%s:%s:meta", r->prefix, queue);
	if (key_type(r, key, type, sizeof type) == NULL)
		return -1;
	if (strcmp(type, "hash") != 0) {
		if (!said_before(r, queue))
			sayf(say, arg, "%s is a Redis %s, not a BullMQ queue's meta hash: skipped (another application's key?)",
			     key, type);
		return 0;
	}
	redisReply *rep = command(r, "HGET %s version", key);
	if (rep == NULL)
		return -1;
	char version[64] = "";
	if (rep->type == REDIS_REPLY_STRING)
		snprintf(version, sizeof version, "%s", rep->str);
	freeReplyObject(rep);
	snprintf(key, sizeof key, "%s:%s:events", r->prefix, queue);
	if (key_type(r, key, type, sizeof type) == NULL)
		return -1;
	if (strcmp(type, "stream") != 0 && strcmp(type, "none") != 0) {
		if (!said_before(r, queue))
			sayf(say, arg, "queue %s: %s is a Redis %s, not a stream: not a BullMQ layout this bridge knows "
			     "(legacy Bull?): skipped", queue, key, type);
		return 0;
	}
	if (version[0] == '\0') {
		if (!said_before(r, queue))
			sayf(say, arg, "queue %s: its meta names no BullMQ version: read as BullMQ %d", queue, SUPPORTED_MAX);
		return 1;
	}
	int major = -1;
	if (strncmp(version, "bullmq:", 7) == 0)
		major = atoi(version + 7);
	if (major < SUPPORTED_MIN || major > SUPPORTED_MAX) {
		if (!said_before(r, queue))
			sayf(say, arg, "queue %s: BullMQ version '%s' has a layout this bridge does not know (it knows "
			     "BullMQ %d to %d): skipped", queue, version, SUPPORTED_MIN, SUPPORTED_MAX);
		return 0;
	}
	return 1;
}

int bmq_redis_discover(struct bmq_redis *r, struct bmq_queue *queues, size_t *n, size_t max,
		       void (*say)(const char *line, void *arg), void *arg)
{
	if (!bmq_redis_ready(r))
		return -1;
	char cursor[32] = "0", pattern[300];
	snprintf(pattern, sizeof pattern, "%s:*:meta", r->prefix);
	size_t pl = strlen(r->prefix);
	do {
		redisReply *rep = command(r, "SCAN %s MATCH %s COUNT 1000", cursor, pattern);
		if (rep == NULL)
			return -1;
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
			freeReplyObject(rep);
			drop(r, "SCAN gave an answer of an unexpected shape");
			return -1;
		}
		snprintf(cursor, sizeof cursor, "%s", rep->element[0]->str ? rep->element[0]->str : "0");
		redisReply *keys = rep->element[1];
		for (size_t i = 0; i < keys->elements; i++) {
			const char *k = keys->element[i]->str;
			size_t kl = k ? strlen(k) : 0;
			if (kl <= pl + 6 || k[pl] != ':')
				continue;
			char queue[BMQ_QUEUE_NAME_MAX + 1];
			size_t ql = kl - pl - 1 - 5;
			if (ql == 0 || ql > BMQ_QUEUE_NAME_MAX || memchr(k + pl + 1, ':', ql) != NULL)
				continue;
			memcpy(queue, k + pl + 1, ql);
			queue[ql] = '\0';
			bool have = false;
			for (size_t q = 0; q < *n && !have; q++)
				have = strcmp(queues[q].name, queue) == 0;
			if (have)
				continue;
			int ok = queue_known(r, queue, say, arg);
			if (ok < 0) {
				freeReplyObject(rep);
				return -1;
			}
			if (ok == 1 && *n < max) {
				snprintf(queues[*n].name, sizeof queues[*n].name, "%s", queue);
				queues[*n].pos[0] = '\0';   /* the caller decides where to start */
				(*n)++;
			}
		}
		freeReplyObject(rep);
	} while (strcmp(cursor, "0") != 0);
	return (int)*n;
}

int bmq_redis_stream_ends(struct bmq_redis *r, const char *queue, char *first, char *last, size_t len)
{
	if (!bmq_redis_ready(r))
		return -1;
	const char *ends[2][2] = { { "+", "-" }, { "-", "+" } };
	char *out[2] = { last, first };
	for (int i = 0; i < 2; i++) {
		redisReply *rep = command(r, i == 0 ? "XREVRANGE %s:%s:events %s %s COUNT 1" : "XRANGE %s:%s:events %s %s COUNT 1",
					  r->prefix, queue, ends[i][0], ends[i][1]);
		if (rep == NULL)
			return -1;
		snprintf(out[i], len, "0-0");
		if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 && rep->element[0]->type == REDIS_REPLY_ARRAY &&
		    rep->element[0]->elements >= 1 && rep->element[0]->element[0]->str != NULL)
			snprintf(out[i], len, "%s", rep->element[0]->element[0]->str);
		freeReplyObject(rep);
	}
	return 0;
}

/* ---- a batch ------------------------------------------------------------------------------------ */

static const char *field(redisReply *kv, const char *name, struct bmq_redis *r)
{
	for (size_t i = 0; kv != NULL && i + 1 < kv->elements; i += 2)
		if (kv->element[i]->str != NULL && strcmp(kv->element[i]->str, name) == 0)
			return arena_dup(r, kv->element[i + 1]->str, kv->element[i + 1]->len);
	return NULL;
}

static int64_t num(const char *s)
{
	return s != NULL ? strtoll(s, NULL, 10) : 0;
}

static void entry_fill(struct bmq_redis *r, struct bmq_entry *e, const char *queue, redisReply *id, redisReply *kv)
{
	memset(e, 0, sizeof *e);
	e->queue = queue;
	e->stream_id = arena_dup(r, id->str, id->len);
	e->ts_ms = num(e->stream_id);
	e->event = field(kv, "event", r);
	e->job_id = field(kv, "jobId", r);
	e->prev = field(kv, "prev", r);
	e->name = field(kv, "name", r);
	e->data = field(kv, "data", r);
	e->returnvalue = field(kv, "returnvalue", r);
	e->failed_reason = field(kv, "failedReason", r);
	e->delay = field(kv, "delay", r);
}

static void job_fill(struct bmq_redis *r, struct bmq_job *j, redisReply *kv)
{
	memset(j, 0, sizeof *j);
	if (kv == NULL || kv->type != REDIS_REPLY_ARRAY || kv->elements == 0)
		return;
	j->exists = true;
	j->name = field(kv, "name", r);
	j->data = field(kv, "data", r);
	j->opts = field(kv, "opts", r);
	j->returnvalue = field(kv, "returnvalue", r);
	j->failed_reason = field(kv, "failedReason", r);
	j->stacktrace = field(kv, "stacktrace", r);
	j->parent_key = field(kv, "parentKey", r);
	j->timestamp_ms = num(field(kv, "timestamp", r));
	j->delay_ms = num(field(kv, "delay", r));
	j->processed_ms = num(field(kv, "processedOn", r));
	j->finished_ms = num(field(kv, "finishedOn", r));
	j->priority = num(field(kv, "priority", r));
	/* BullMQ 5 keeps "atm"/"ats"; earlier ones spell them out. */
	const char *atm = field(kv, "atm", r), *ats = field(kv, "ats", r);
	j->attempts_made = num(atm ? atm : field(kv, "attemptsMade", r));
	j->attempts_started = num(ats ? ats : field(kv, "attemptsStarted", r));
}

/* Reads the reply of a pipelined command; NULL (connection dropped) on failure. */
static redisReply *reply(struct bmq_redis *r)
{
	void *rep = NULL;
	if (redisGetReply(r->c, &rep) != REDIS_OK || rep == NULL) {
		drop(r, r->c->errstr[0] ? r->c->errstr : "the connection to Redis failed");
		return NULL;
	}
	return rep;
}

int bmq_redis_read(struct bmq_redis *r, const struct bmq_queue *queues, size_t n, struct bmq_item **items)
{
	*items = r->items;
	if (n == 0 || !bmq_redis_ready(r))
		return n == 0 ? 0 : -1;
	arena_reset(r);
	r->nchildren = 0;
	/* XREAD COUNT n BLOCK ms STREAMS k... id... */
	size_t argc = 6 + 2 * n;
	const char **argv = xcalloc(argc, sizeof *argv);
	char **keys = xcalloc(n, sizeof *keys);
	char count[16], block[16];
	snprintf(count, sizeof count, "%d", BMQ_BATCH);
	snprintf(block, sizeof block, "%d", r->cfg.block_ms);
	argv[0] = "XREAD";
	argv[1] = "COUNT";
	argv[2] = count;
	argv[3] = "BLOCK";
	argv[4] = block;
	argv[5] = "STREAMS";
	for (size_t i = 0; i < n; i++) {
		keys[i] = xasprintf("%s:%s:events", r->prefix, queues[i].name);
		argv[6 + i] = keys[i];
		argv[6 + n + i] = queues[i].pos[0] ? queues[i].pos : "0";
	}
	redisReply *rep = redisCommandArgv(r->c, (int)argc, argv, NULL);
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	free(argv);
	if (rep == NULL) {
		drop(r, r->c->errstr[0] ? r->c->errstr : "the connection to Redis failed");
		return -1;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		char why[256];
		snprintf(why, sizeof why, "Redis answered XREAD: %.200s", rep->str);
		freeReplyObject(rep);
		drop(r, why);
		return -1;
	}
	size_t count_items = 0;
	for (size_t s = 0; rep->type == REDIS_REPLY_ARRAY && s < rep->elements; s++) {
		redisReply *stream = rep->element[s];
		if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2)
			continue;
		const char *key = stream->element[0]->str;
		int qi = -1;
		for (size_t i = 0; key && i < n && qi < 0; i++) {
			char k[512];
			snprintf(k, sizeof k, "%s:%s:events", r->prefix, queues[i].name);
			if (strcmp(k, key) == 0)
				qi = (int)i;
		}
		redisReply *entries = stream->element[1];
		for (size_t e = 0; qi >= 0 && e < entries->elements && count_items < BMQ_BATCH; e++) {
			redisReply *en = entries->element[e];
			if (en->type != REDIS_REPLY_ARRAY || en->elements != 2 || en->element[0]->str == NULL)
				continue;
			struct bmq_item *it = &r->items[count_items++];
			it->queue = qi;
			entry_fill(r, &it->entry, queues[qi].name, en->element[0], en->element[1]);
			memset(&it->job, 0, sizeof it->job);
		}
	}
	freeReplyObject(rep);
	if (count_items == 0)
		return 0;

	/* Round trip 2: the jobs, and the dependencies of those just added. */
	for (size_t i = 0; i < count_items; i++) {
		const struct bmq_entry *e = &r->items[i].entry;
		if (e->job_id == NULL)
			continue;
		redisAppendCommand(r->c, "HGETALL %s:%s:%s", r->prefix, e->queue, e->job_id);
		if (e->event != NULL && strcmp(e->event, "added") == 0) {
			redisAppendCommand(r->c, "SMEMBERS %s:%s:%s:dependencies", r->prefix, e->queue, e->job_id);
			redisAppendCommand(r->c, "HKEYS %s:%s:%s:processed", r->prefix, e->queue, e->job_id);
		}
	}
	for (size_t i = 0; i < count_items; i++) {
		struct bmq_item *it = &r->items[i];
		if (it->entry.job_id == NULL)
			continue;
		redisReply *h = reply(r);
		if (h == NULL)
			return -1;
		job_fill(r, &it->job, h);
		freeReplyObject(h);
		if (it->entry.event == NULL || strcmp(it->entry.event, "added") != 0)
			continue;
		struct bmq_child *first = r->children + r->nchildren;
		size_t nkids = 0;
		for (int k = 0; k < 2; k++) {
			redisReply *set = reply(r);
			if (set == NULL)
				return -1;
			for (size_t c = 0; set->type == REDIS_REPLY_ARRAY && c < set->elements; c++) {
				if (r->nchildren >= (size_t)BMQ_BATCH * 8 || nkids >= BMQ_MAX_CHILDREN)
					break;
				struct bmq_child *ch = &r->children[r->nchildren];
				if (!bmq_split_key(r->prefix, set->element[c]->str, ch->queue, sizeof ch->queue, ch->id,
						   sizeof ch->id))
					continue;
				ch->name[0] = '\0';
				r->nchildren++;
				nkids++;
			}
			freeReplyObject(set);
		}
		it->job.children = first;
		it->job.nchildren = nkids;
	}

	/* Round trip 3: the names of parents and children. */
	size_t asked = 0;
	for (size_t i = 0; i < count_items; i++) {
		struct bmq_item *it = &r->items[i];
		if (it->job.parent_key != NULL) {
			redisAppendCommand(r->c, "HGET %s name", it->job.parent_key);
			asked++;
		}
		for (size_t c = 0; c < it->job.nchildren; c++) {
			redisAppendCommand(r->c, "HGET %s:%s:%s name", r->prefix, it->job.children[c].queue,
					   it->job.children[c].id);
			asked++;
		}
	}
	for (size_t i = 0; i < count_items && asked > 0; i++) {
		struct bmq_item *it = &r->items[i];
		if (it->job.parent_key != NULL) {
			redisReply *nm = reply(r);
			if (nm == NULL)
				return -1;
			if (nm->type == REDIS_REPLY_STRING)
				it->job.parent_name = arena_dup(r, nm->str, nm->len);
			freeReplyObject(nm);
		}
		for (size_t c = 0; c < it->job.nchildren; c++) {
			redisReply *nm = reply(r);
			if (nm == NULL)
				return -1;
			struct bmq_child *ch = (struct bmq_child *)&it->job.children[c];
			if (nm->type == REDIS_REPLY_STRING)
				snprintf(ch->name, sizeof ch->name, "%.*s", (int)(nm->len < 127 ? nm->len : 127), nm->str);
			freeReplyObject(nm);
		}
	}
	return (int)count_items;
}
