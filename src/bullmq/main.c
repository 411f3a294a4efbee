/* main.c: wfmon-bullmq, the bridge from a BullMQ application's Redis to
 * wfmond: the command line, the state file and the loop.
 *
 *   Redis streams --read (bmq_redis)--> entries --translate (bmq)--> events
 *   --publisher--> wfmond --ack--> each queue's settled position --> state file
 *
 * Two positions per queue: where reading is (advances as entries are read)
 * and where everything is settled (advances as wfmond acknowledges the
 * events of each entry, in order). Only the settled one is saved: after a
 * crash, a restart of Redis or of wfmond, reading resumes there, and the
 * entries read again give the same event ids, which wfmond takes as
 * retries. Reading stops while wfmond has BACKLOG events to take, so memory
 * stays bounded whatever the outage. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bmq.h"
#include "bmq_redis.h"
#include "clock.h"
#include "keyfile.h"
#include "log.h"
#include "proto.h"
#include "publisher.h"
#include "statedir.h"
#include "tlsclient.h"
#include "version.h"
#include "wsurl.h"
#include "xalloc.h"

#ifndef WFMON_VERSION
#define WFMON_VERSION "0.1.0"
#endif

#define BACKLOG 5000                 /* events waiting for wfmond before reading pauses */
#define RING 65536                   /* entries read and not yet settled */
#define SAVE_EVERY_MS 1000
#define DRAIN_MS 10000

static const char *const default_masks[] = { "password", "passwd", "secret", "token", "apiKey", "api_key",
					     "authorization", "cookie", NULL };

struct pending_entry {
	int queue;
	char id[BMQ_STREAM_ID_MAX + 1];
	uint64_t seq;                /* settled once the publisher settled this far */
};

struct app {
	struct bmq_options opt;
	struct bmq_redis_config rc;
	const char *redis_text;
	char state_path[PATH_MAX];
	bool from_now, verbose;
	int discover_s;
	struct bmq_queue queues[BMQ_MAX_QUEUES];
	char settled[BMQ_MAX_QUEUES][BMQ_STREAM_ID_MAX + 1];
	bool started[BMQ_MAX_QUEUES];  /* its start position is set */
	size_t nqueues;
	struct pending_entry *ring;
	size_t ring_head, ring_count;
	bool dirty;
	int64_t saved_at_ms;
	struct publisher *pub;
	struct bmq_memory *mem;
	json_t *state;               /* the loaded state's positions */
	uint64_t entries, events;
	bool redis_down_said;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int64_t now_ms(void)
{
	return clock_mono_us() / 1000;
}

static void say(const char *line, void *arg)
{
	(void)arg;
	log_warn("%s", line);
}

/* ---- the state file ------------------------------------------------------------------------ */

static void state_default_path(struct app *a)
{
	char base[PATH_MAX - 512];
	statedir_path("", base, sizeof base);
	char where[256];
	bmq_id(a->rc.socket ? a->rc.socket : a->rc.host, "_", a->opt.prefix, where, sizeof where);
	snprintf(a->state_path, sizeof a->state_path, "%sbullmq-%s-%d-%d.json", base, where, a->rc.port, a->rc.db);
}

static void state_load(struct app *a)
{
	json_error_t err;
	a->state = json_load_file(a->state_path, 0, &err);
	if (a->state == NULL) {
		if (access(a->state_path, F_OK) == 0)
			log_warn("the state file %s cannot be read (%s): starting as if it were new", a->state_path, err.text);
		a->state = json_object();
		return;
	}
	const char *prefix = json_string_value(json_object_get(a->state, "prefix"));
	if (prefix != NULL && strcmp(prefix, a->opt.prefix) != 0)
		log_warn("the state file %s was written for the prefix %s, not %s: its positions are not used",
			 a->state_path, prefix, a->opt.prefix);
	if (prefix != NULL && strcmp(prefix, a->opt.prefix) != 0)
		json_object_clear(a->state);
}

/* Writes the settled positions (atomically: a synced temporary file renamed). */
static void state_save(struct app *a)
{
	json_t *qs = json_object();
	for (size_t i = 0; i < a->nqueues; i++)
		if (a->settled[i][0] != '\0')
			json_object_set_new(qs, a->queues[i].name, json_string(a->settled[i]));
	json_t *st = json_pack("{s:i,s:s,s:s,s:o}", "version", 1, "redis", a->redis_text, "prefix", a->opt.prefix,
			       "queues", qs);
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof tmp, "%s.tmp", a->state_path);
	char *text = json_dumps(st, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(st);
	int fd = statedir_make(a->state_path, 1) == 0 ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	bool ok = fd >= 0 && text != NULL && write(fd, text, strlen(text)) == (ssize_t)strlen(text) && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	if (ok && rename(tmp, a->state_path) == 0) {
		a->dirty = false;
	} else {
		log_error("cannot write the state file %s: %s (positions are kept in memory; reading goes on)",
			  a->state_path, strerror(errno));
		unlink(tmp);
	}
	free(text);
	a->saved_at_ms = now_ms();
}

/* ---- queues and positions --------------------------------------------------------------------- */

static int id_cmp(const char *a, const char *b)
{
	unsigned long long a1 = strtoull(a, NULL, 10), b1 = strtoull(b, NULL, 10);
	const char *ad = strchr(a, '-'), *bd = strchr(b, '-');
	unsigned long long a2 = ad ? strtoull(ad + 1, NULL, 10) : 0, b2 = bd ? strtoull(bd + 1, NULL, 10) : 0;
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	return a2 < b2 ? -1 : a2 > b2;
}

/* Finds new queues (unless they were named) and sets where each new one's
 * reading starts: the saved position, else the stream's start (what Redis
 * still holds) or, with --from-now, its end. */
static void queues_refresh(struct app *a, struct bmq_redis *r, bool explicit_queues)
{
	size_t before = a->nqueues;
	if (!explicit_queues && bmq_redis_discover(r, a->queues, &a->nqueues, BMQ_MAX_QUEUES, say, NULL) < 0)
		return;
	for (size_t i = 0; i < a->nqueues; i++) {
		if (a->started[i])
			continue;
		struct bmq_queue *q = &a->queues[i];
		char first[BMQ_STREAM_ID_MAX + 1], last[BMQ_STREAM_ID_MAX + 1];
		if (bmq_redis_stream_ends(r, q->name, first, last, sizeof first) < 0)
			return;
		const char *saved = json_string_value(json_object_get(json_object_get(a->state, "queues"), q->name));
		if (saved != NULL) {
			snprintf(q->pos, sizeof q->pos, "%s", saved);
			if (strcmp(first, "0-0") != 0 && id_cmp(saved, first) < 0 && id_cmp(last, saved) > 0)
				log_warn("queue %s: Redis trimmed its events stream past the saved position %s (the oldest "
					 "entry now is %s): what happened between them is lost to the bridge; raise the "
					 "queue's maxLenEvents or keep the bridge running", q->name, saved, first);
		} else if (a->from_now) {
			snprintf(q->pos, sizeof q->pos, "%s", last);
		} else {
			snprintf(q->pos, sizeof q->pos, "0");
		}
		snprintf(a->settled[i], sizeof a->settled[i], "%s", q->pos);
		a->started[i] = true;
		log_info("queue %s: reading its events from %s", q->name,
			 strcmp(q->pos, "0") == 0 ? "the oldest Redis keeps" : q->pos);
	}
	if (a->nqueues > before)
		log_info("%zu queue(s) under the prefix %s", a->nqueues, a->opt.prefix);
}

/* ---- the loop ----------------------------------------------------------------------------------- */

static void emit(json_t *event, void *arg)
{
	struct app *a = arg;
	if (publisher_add(a->pub, event) == 0)
		log_error("the queue to wfmond is full: an event was dropped (a bug: reading should have paused)");
	a->events++;
}

static void settle(struct app *a)
{
	uint64_t through = publisher_settled_through(a->pub);
	while (a->ring_count > 0) {
		struct pending_entry *p = &a->ring[a->ring_head];
		if (p->seq > through)
			break;
		snprintf(a->settled[p->queue], sizeof a->settled[p->queue], "%s", p->id);
		a->dirty = true;
		a->ring_head = (a->ring_head + 1) % RING;
		a->ring_count--;
	}
	if (a->dirty && now_ms() - a->saved_at_ms >= SAVE_EVERY_MS)
		state_save(a);
}

static void serve_publisher(struct app *a, int wait_ms)
{
	struct pollfd pfd = { .fd = publisher_fd(a->pub), .events = publisher_poll_events(a->pub) };
	int t = publisher_timeout_ms(a->pub, now_ms());
	if (t >= 0 && t < wait_ms)
		wait_ms = t;
	int n = poll(&pfd, pfd.fd >= 0 ? 1 : 0, wait_ms);
	publisher_io(a->pub, n > 0 ? pfd.revents : 0, now_ms());
	settle(a);
}

static int run(struct app *a, struct bmq_redis *r, bool explicit_queues)
{
	int64_t discovered_at = -1000000;
	while (!stop_signal) {
		if (!bmq_redis_ready(r)) {
			if (!a->redis_down_said)
				log_warn("%s; trying again (what was read is kept)", bmq_redis_error(r));
			a->redis_down_said = true;
			serve_publisher(a, 200);
			continue;
		}
		if (a->redis_down_said) {
			log_info("Redis is back");
			a->redis_down_said = false;
		}
		if (now_ms() - discovered_at >= (int64_t)a->discover_s * 1000 || a->nqueues == 0) {
			queues_refresh(a, r, explicit_queues);
			discovered_at = now_ms();
			if (a->nqueues == 0) {
				serve_publisher(a, 1000);
				continue;
			}
		}
		serve_publisher(a, 0);
		if (publisher_pending(a->pub) >= BACKLOG || a->ring_count + BMQ_BATCH >= RING) {
			serve_publisher(a, 200);
			continue;
		}
		struct bmq_item *items;
		int n = bmq_redis_read(r, a->queues, a->nqueues, &items);
		if (n < 0)
			continue;
		struct bmq_sink sink = { emit, say, a };
		for (int i = 0; i < n; i++) {
			struct bmq_item *it = &items[i];
			size_t k = bmq_translate(&a->opt, a->mem, &it->entry, &it->job, &sink);
			if (a->verbose)
				log_info("%s %s %s %s: %zu event(s)", it->entry.queue, it->entry.stream_id,
					 it->entry.event ? it->entry.event : "?", it->entry.job_id ? it->entry.job_id : "", k);
			struct bmq_queue *q = &a->queues[it->queue];
			snprintf(q->pos, sizeof q->pos, "%s", it->entry.stream_id);
			struct pending_entry *p = &a->ring[(a->ring_head + a->ring_count) % RING];
			p->queue = it->queue;
			snprintf(p->id, sizeof p->id, "%s", it->entry.stream_id);
			/* Settled when every event added so far is. */
			struct publisher_stats st;
			publisher_get_stats(a->pub, &st);
			p->seq = st.added;
			a->ring_count++;
			a->entries++;
		}
		settle(a);
	}
	log_info("stopping: %llu entries read, %llu events made; waiting up to %d s for wfmond to take the rest",
		 (unsigned long long)a->entries, (unsigned long long)a->events, DRAIN_MS / 1000);
	publisher_drain(a->pub, DRAIN_MS);
	settle(a);
	if (a->dirty)
		state_save(a);
	if (publisher_pending(a->pub) > 0)
		log_warn("%zu events did not reach wfmond (%s); they are read again from Redis at the next start",
			 publisher_pending(a->pub), publisher_error(a->pub));
	return 0;
}

/* ---- the command line --------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fputs("usage: wfmon-bullmq [--redis HOST:PORT | --redis-socket PATH] [--redis-db N]\n"
	      "                    [--redis-password-file FILE] [--prefix bull] [--queue NAME]...\n"
	      "                    [--state FILE] [--from-now] [--url ws://HOST:PORT]\n"
	      "                    [--token T | --token-file FILE] [--mask KEY]... [--label KEY]...\n"
	      "                    [--max-data BYTES] [--high-priority N] [--discover-interval SECONDS]\n"
	      "                    [--quiet] [--verbose]\n"
	      "Publishes what a BullMQ application's queues do to wfmond. See wfmon-bullmq(1).\n", f);
}

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "wfmon-bullmq: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(wfmon-bullmq --help for the options)\n");
	return 2;
}

static bool int_arg(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "redis", required_argument, NULL, 'r' }, { "redis-socket", required_argument, NULL, 'S' },
		{ "redis-db", required_argument, NULL, 'd' }, { "redis-password-file", required_argument, NULL, 'P' },
		{ "prefix", required_argument, NULL, 'p' }, { "queue", required_argument, NULL, 'q' },
		{ "state", required_argument, NULL, 's' }, { "from-now", no_argument, NULL, 'n' },
		{ "url", required_argument, NULL, 'u' }, { "token", required_argument, NULL, 't' },
		{ "token-file", required_argument, NULL, 'f' }, { "mask", required_argument, NULL, 'm' },
		{ "label", required_argument, NULL, 'l' }, { "max-data", required_argument, NULL, 'D' },
		{ "high-priority", required_argument, NULL, 'H' }, { "discover-interval", required_argument, NULL, 'i' },
		{ "quiet", no_argument, NULL, 'Q' }, { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 },
	};
	struct app a;
	memset(&a, 0, sizeof a);
	a.opt.prefix = "bull";
	a.opt.max_data = 16384;
	a.opt.high_priority = 10;
	a.rc.port = 6379;
	a.rc.block_ms = 500;
	a.discover_s = 30;
	for (const char *const *m = default_masks; *m != NULL; m++)
		a.opt.masks[a.opt.nmasks++] = *m;
	const char *redis = "127.0.0.1:6379", *url = getenv("WFMON_URL"), *token = NULL, *token_file = NULL;
	const char *password_file = NULL, *state = NULL;
	bool explicit_queues = false, quiet = false;
	long v;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': redis = optarg; break;
		case 'S': a.rc.socket = optarg; break;
		case 'd':
			if (!int_arg(optarg, 0, 1000, &v))
				return bad("--redis-db '%s' must be a database number", optarg);
			a.rc.db = (int)v;
			break;
		case 'P': password_file = optarg; break;
		case 'p':
			if (optarg[0] == '\0' || strlen(optarg) > 64)
				return bad("--prefix '%s' must be 1 to 64 characters", optarg);
			a.opt.prefix = optarg;
			break;
		case 'q':
			if (optarg[0] == '\0' || strlen(optarg) > BMQ_QUEUE_NAME_MAX || strchr(optarg, ':') != NULL)
				return bad("--queue '%s' must be a BullMQ queue name (no ':')", optarg);
			if (a.nqueues == BMQ_MAX_QUEUES)
				return bad("at most %s queues", "256");
			snprintf(a.queues[a.nqueues++].name, sizeof a.queues[0].name, "%s", optarg);
			explicit_queues = true;
			break;
		case 's': state = optarg; break;
		case 'n': a.from_now = true; break;
		case 'u': url = optarg; break;
		case 't': token = optarg; break;
		case 'f': token_file = optarg; break;
		case 'm':
			if (a.opt.nmasks == BMQ_MAX_MASKS)
				return bad("at most %s masked keys", "32");
			a.opt.masks[a.opt.nmasks++] = optarg;
			break;
		case 'l':
			if (!proto_label_key_valid(optarg) || a.opt.nlabel_keys == BMQ_MAX_LABEL_KEYS)
				return bad("--label '%s' must be a label key (A-Z a-z 0-9 _ . - /), at most 8 of them", optarg);
			a.opt.label_keys[a.opt.nlabel_keys++] = optarg;
			break;
		case 'D':
			if (!int_arg(optarg, 256, PROTO_MAX_DATA, &v))
				return bad("--max-data '%s' must be from 256 to 65536 bytes", optarg);
			a.opt.max_data = (size_t)v;
			break;
		case 'H':
			if (!int_arg(optarg, 0, 2097152, &v))
				return bad("--high-priority '%s' must be a BullMQ priority from 0 to 2097152", optarg);
			a.opt.high_priority = (int)v;
			break;
		case 'i':
			if (!int_arg(optarg, 1, 3600, &v))
				return bad("--discover-interval '%s' must be 1 to 3600 seconds", optarg);
			a.discover_s = (int)v;
			break;
		case 'Q': quiet = true; break;
		case 'v': a.verbose = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': fputs(VERSION_LINE("wfmon-bullmq"), stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc)
		return bad("unexpected argument '%s'", argv[optind]);
	log_set_ident("wfmon-bullmq");
	if (quiet)
		log_set_level(LOG_WARN);

	/* Redis: HOST:PORT, or a socket. */
	char host[256] = "";
	if (a.rc.socket == NULL) {
		const char *colon = strrchr(redis, ':');
		if (strncmp(redis, "redis://", 8) == 0)
			redis += 8;
		colon = strrchr(redis, ':');
		if (colon == NULL || colon == redis || !int_arg(colon + 1, 1, 65535, &v))
			return bad("--redis '%s' must be HOST:PORT, such as 127.0.0.1:6379", redis);
		snprintf(host, sizeof host, "%.*s", (int)(colon - redis), redis);
		a.rc.host = host;
		a.rc.port = (int)v;
	}
	char redis_text[300];
	if (a.rc.socket != NULL)
		snprintf(redis_text, sizeof redis_text, "unix:%s/%d", a.rc.socket, a.rc.db);
	else
		snprintf(redis_text, sizeof redis_text, "%s:%d/%d", host, a.rc.port, a.rc.db);
	a.redis_text = redis_text;
	char *password = NULL;
	char cause[PATH_MAX + 256];
	if (password_file != NULL) {
		if (token_file_read(password_file, &password, cause, sizeof cause) != 0) {
			fprintf(stderr, "wfmon-bullmq: the Redis password: %s\n", cause);
			return 2;
		}
		a.rc.password = password;
	}
	a.rc.prefix = a.opt.prefix;

	/* wfmond: URL and a producer token. */
	struct ws_url u;
	if (ws_url_parse(url ? url : WS_URL_EXAMPLE, &u, cause, sizeof cause) != 0)
		return bad("bad --url: %s", cause);
	/* wss://: the system's CA store (or SSL_CERT_FILE), the host name checked. */
	SSL_CTX *tls = NULL;
	if (u.tls) {
		struct tlsc_files none = { 0 };
		tls = tlsc_ctx_new(&none, cause, sizeof cause);
		if (tls == NULL) {
			fprintf(stderr, "wfmon-bullmq: --url %s: %s\n", url, cause);
			return 2;
		}
	}
	char *tok = NULL;
	if (token != NULL)
		tok = xstrdup(token);
	else if (token_file != NULL || (token_file = getenv("WFMON_TOKEN_FILE")) != NULL) {
		if (token_file_read(token_file, &tok, cause, sizeof cause) != 0) {
			fprintf(stderr, "wfmon-bullmq: %s\n", cause);
			return 2;
		}
	} else if (getenv("WFMON_TOKEN") != NULL && getenv("WFMON_TOKEN")[0] != '\0') {
		tok = xstrdup(getenv("WFMON_TOKEN"));
	}
	if (tok == NULL) {
		fprintf(stderr, "wfmon-bullmq: no token: pass --token-file with a producer token (mint one with "
				"`wfmon token --role producer`), or set WFMON_TOKEN\n");
		return 2;
	}

	if (state != NULL)
		snprintf(a.state_path, sizeof a.state_path, "%s", state);
	else
		state_default_path(&a);
	state_load(&a);
	for (size_t i = 0; i < a.nqueues; i++)
		a.queues[i].pos[0] = '\0';

	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct publisher_config pc = {
		.host = u.host, .port = u.port, .path = u.path, .token = tok, .tls = tls,
		.client = "wfmon-bullmq " WFMON_VERSION,
		.max_queued = BACKLOG * 4,
	};
	a.pub = publisher_new(&pc);
	explicit_bzero(tok, strlen(tok));
	free(tok);
	a.mem = bmq_memory_new();
	a.ring = xcalloc(RING, sizeof *a.ring);
	struct bmq_redis *r = bmq_redis_new(&a.rc);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	log_info("reading the BullMQ queues of %s (prefix %s) into %s; positions kept in %s", redis_text, a.opt.prefix,
		 url ? url : WS_URL_EXAMPLE, a.state_path);
	int rc = run(&a, r, explicit_queues);
	bmq_redis_free(r);
	publisher_free(a.pub);
	SSL_CTX_free(tls);
	bmq_memory_free(a.mem);
	json_decref(a.state);
	free(a.ring);
	return rc;
}
