/* org_summary.c: an organization's summary written to JSON and read back
 * (see org_summary.h).
 *
 * Invariants: the writer writes every member (a warning not raised as null);
 * what the reader accepts the writer could have written, so a round trip
 * gives back the same summary (stale_after in whole seconds). */
#include "org_summary.h"

#include <float.h>
#include <string.h>

#include "jfield.h"

#define COUNT_MAX INT64_MAX

bool org_summary_equal(const struct org_summary *a, const struct org_summary *b)
{
	if (a->running != b->running || a->stale != b->stale || a->queued != b->queued ||
	    a->failed_unhandled != b->failed_unhandled || a->alerts_open != b->alerts_open ||
	    a->stale_after_ms != b->stale_after_ms || a->backlog != b->backlog ||
	    a->backlog_threshold != b->backlog_threshold || a->cpu != b->cpu || a->ndegraded != b->ndegraded)
		return false;
	if (a->cpu && (a->cpu_percent != b->cpu_percent || a->cpu_threshold != b->cpu_threshold))
		return false;
	for (uint32_t i = 0; i < a->ndegraded; i++)
		if (strcmp(a->degraded[i], b->degraded[i]) != 0)
			return false;
	if (a->has_system != b->has_system || a->spool_pending != b->spool_pending ||
	    a->spool_bytes != b->spool_bytes || strcmp(a->database, b->database) != 0 ||
	    strcmp(a->notifier, b->notifier) != 0 || strcmp(a->notifier_error, b->notifier_error) != 0 ||
	    strcmp(a->peers, b->peers) != 0 || a->outbox != b->outbox)
		return false;
	if (a->nstale_ids != b->nstale_ids)
		return false;
	for (uint32_t i = 0; i < a->nstale_ids; i++)
		if (strcmp(a->stale_ids[i], b->stale_ids[i]) != 0)
			return false;
	return true;
}

json_t *org_summary_json_new(const struct org_summary *s)
{
	json_t *o = json_object();
	jfield_put_time(o, "at", s->at_ms);
	json_object_set_new(o, "running", json_integer((json_int_t)s->running));
	json_object_set_new(o, "stale", json_integer((json_int_t)s->stale));
	json_object_set_new(o, "queued", json_integer((json_int_t)s->queued));
	json_object_set_new(o, "failed_unhandled", json_integer((json_int_t)s->failed_unhandled));
	json_object_set_new(o, "alerts_open", json_integer((json_int_t)s->alerts_open));
	json_object_set_new(o, "stale_after_s", json_integer((json_int_t)(s->stale_after_ms / 1000)));
	json_t *ids = json_array();
	for (uint32_t i = 0; i < s->nstale_ids && i < ORG_SUMMARY_STALE_IDS; i++)
		json_array_append_new(ids, json_string(s->stale_ids[i]));
	json_object_set_new(o, "stale_ids", ids);
	json_t *w = json_object();
	json_object_set_new(w, "backlog", s->backlog
		? json_pack("{s:I,s:I}", "depth", (json_int_t)s->queued, "threshold", (json_int_t)s->backlog_threshold)
		: json_null());
	json_object_set_new(w, "cpu", s->cpu
		? json_pack("{s:f,s:f}", "percent", s->cpu_percent, "threshold", s->cpu_threshold)
		: json_null());
	json_t *deg = json_array();
	for (uint32_t i = 0; i < s->ndegraded && i < ORG_SUMMARY_DEGRADED_MAX; i++)
		json_array_append_new(deg, json_string(s->degraded[i]));
	json_object_set_new(w, "degraded", deg);
	json_object_set_new(o, "warnings", w);
	if (s->has_system) {
		json_t *sys = json_pack("{s:s,s:I,s:I,s:s,s:s}", "database", s->database,
					"spool_pending", (json_int_t)s->spool_pending, "spool_bytes",
					(json_int_t)s->spool_bytes, "notifier", s->notifier, "notifier_error",
					s->notifier_error);
		if (s->peers[0] != '\0') {
			json_object_set_new(sys, "peers", json_string(s->peers));
			json_object_set_new(sys, "outbox", json_integer((json_int_t)s->outbox));
		}
		json_object_set_new(o, "system", sys);
	}
	return o;
}

static int count_read(json_t *j, const char *key, uint64_t *out, struct proto_cause *cause)
{
	int64_t v = 0;
	if (jfield_int(j, "", key, true, 0, COUNT_MAX, &v, cause) < 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* One of the words a system field may hold, copied into out. */
static int word_read(json_t *sys, const char *key, const char *const *words, char *out, size_t outlen,
		     struct proto_cause *cause)
{
	const char *v = json_string_value(jfield_get(sys, key));
	for (size_t i = 0; v != NULL && words[i] != NULL; i++)
		if (strcmp(v, words[i]) == 0) {
			snprintf(out, outlen, "%s", v);
			return 0;
		}
	char field[64];
	snprintf(field, sizeof field, "system.%s", key);
	return proto_fail(cause, field, "must be one of the known states");
}

static int system_read(json_t *sys, struct org_summary *s, struct proto_cause *cause)
{
	static const char *const db_words[] = { "up", "down", "connecting", "none", "unknown", NULL };
	static const char *const notify_words[] = { "ok", "retrying", "failing", "off", NULL };
	static const char *const peer_words[] = { "current", "delayed", NULL };
	if (sys == NULL)
		return 0;
	if (!json_is_object(sys))
		return proto_fail(cause, "system", "must be an object");
	json_t *err = jfield_get(sys, "notifier_error");
	int64_t pending = 0, bytes = 0;
	if (word_read(sys, "database", db_words, s->database, sizeof s->database, cause) < 0 ||
	    jfield_int(sys, "system", "spool_pending", true, 0, COUNT_MAX, &pending, cause) < 0 ||
	    jfield_int(sys, "system", "spool_bytes", true, 0, COUNT_MAX, &bytes, cause) < 0 ||
	    word_read(sys, "notifier", notify_words, s->notifier, sizeof s->notifier, cause) < 0)
		return -1;
	s->peers[0] = '\0';
	if (jfield_get(sys, "peers") != NULL &&
	    word_read(sys, "peers", peer_words, s->peers, sizeof s->peers, cause) < 0)
		return -1;
	int64_t outbox = 0;
	if (jfield_int(sys, "system", "outbox", false, 0, COUNT_MAX, &outbox, cause) < 0)
		return -1;
	s->outbox = (uint64_t)outbox;
	if (err != NULL && !json_is_string(err))
		return proto_fail(cause, "system.notifier_error", "must be a string");
	s->spool_pending = (uint64_t)pending;
	s->spool_bytes = (uint64_t)bytes;
	snprintf(s->notifier_error, sizeof s->notifier_error, "%s", err ? json_string_value(err) : "");
	s->has_system = true;
	return 0;
}

static int ids_read(json_t *list, const char *field, char (*out)[PROTO_MAX_ID + 1], uint32_t max, uint32_t *n,
		    struct proto_cause *cause);

static int warnings_read(json_t *w, struct org_summary *s, struct proto_cause *cause)
{
	if (w == NULL)
		return 0;
	if (!json_is_object(w))
		return proto_fail(cause, "warnings", "must be an object");
	json_t *b = jfield_get(w, "backlog");
	if (b != NULL) {
		int64_t t = 0;
		if (!json_is_object(b))
			return proto_fail(cause, "warnings.backlog", "must be an object or null");
		if (jfield_int(b, "warnings.backlog", "threshold", true, 0, COUNT_MAX, &t, cause) < 0)
			return -1;
		s->backlog = true;
		s->backlog_threshold = (uint64_t)t;
	}
	json_t *c = jfield_get(w, "cpu");
	if (c != NULL) {
		if (!json_is_object(c))
			return proto_fail(cause, "warnings.cpu", "must be an object or null");
		if (jfield_number(c, "warnings.cpu", "percent", true, 0, DBL_MAX, &s->cpu_percent, cause) < 0 ||
		    jfield_number(c, "warnings.cpu", "threshold", true, 0, DBL_MAX, &s->cpu_threshold, cause) < 0)
			return -1;
		s->cpu = true;
	}
	return ids_read(jfield_get(w, "degraded"), "warnings.degraded", s->degraded, ORG_SUMMARY_DEGRADED_MAX,
			&s->ndegraded, cause);
}

/* Ids, at most max kept, into out; a list of anything else is refused. */
static int ids_read(json_t *list, const char *field, char (*out)[PROTO_MAX_ID + 1], uint32_t max, uint32_t *n,
		    struct proto_cause *cause)
{
	*n = 0;
	if (list == NULL)
		return 0;
	if (!json_is_array(list))
		return proto_fail(cause, field, "must be a list of ids");
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		if (!proto_json_id_valid(v))
			return proto_fail(cause, field, "must be a list of ids");
		if (*n < max)
			snprintf(out[(*n)++], PROTO_MAX_ID + 1, "%s", json_string_value(v));
	}
	return 0;
}

int org_summary_parse(json_t *j, struct org_summary *s, struct proto_cause *cause)
{
	memset(s, 0, sizeof *s);
	if (!json_is_object(j))
		return proto_fail(cause, "", "the summary must be an object");
	int64_t stale_s = 0;
	if (jfield_time(j, "", "at", false, &s->at_ms, cause) < 0 || count_read(j, "running", &s->running, cause) < 0 ||
	    count_read(j, "stale", &s->stale, cause) < 0 || count_read(j, "queued", &s->queued, cause) < 0 ||
	    count_read(j, "failed_unhandled", &s->failed_unhandled, cause) < 0 ||
	    count_read(j, "alerts_open", &s->alerts_open, cause) < 0 ||
	    jfield_int(j, "", "stale_after_s", true, 1, INT64_MAX / 1000, &stale_s, cause) < 0 ||
	    warnings_read(jfield_get(j, "warnings"), s, cause) < 0 ||
	    system_read(jfield_get(j, "system"), s, cause) < 0 ||
	    ids_read(jfield_get(j, "stale_ids"), "stale_ids", s->stale_ids, ORG_SUMMARY_STALE_IDS, &s->nstale_ids,
		     cause) < 0)
		return -1;
	if (s->nstale_ids > s->stale)
		return proto_fail(cause, "stale_ids", "names more executions than stale counts");
	s->stale_after_ms = stale_s * 1000;
	return 0;
}
