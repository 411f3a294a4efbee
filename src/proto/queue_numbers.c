/* queue_numbers.c: the queue's numbers written to JSON and read back (see
 * queue_numbers.h).
 *
 * Invariants: the writer writes every field, unknown ones as null; what the
 * reader accepts the writer could have written (counts from 0, times and ids
 * as the protocol has them), so a round trip gives back the same numbers. */
#include "queue_numbers.h"

#include <float.h>
#include <string.h>

#include "jfield.h"

/* Counts on the wire are JSON integers: at most INT64_MAX. */
#define COUNT_MAX INT64_MAX

json_t *queue_numbers_json_new(const struct queue_numbers *n)
{
	json_t *o = json_object();
	json_object_set_new(o, "depth", json_integer((json_int_t)n->depth));
	json_t *prio = json_object();
	for (int p = 0; p < PRIO__COUNT; p++)
		json_object_set_new(prio, proto_priority_name((enum proto_priority)p),
				    json_integer((json_int_t)n->by_priority[p]));
	json_object_set_new(o, "by_priority", prio);
	json_object_set_new(o, "untracked", json_integer((json_int_t)n->untracked));
	json_object_set_new(o, "delayed", json_integer((json_int_t)n->delayed));
	json_object_set_new(o, "oldest", n->has_oldest
		? json_pack("{s:s, s:I, s:I}", "execution_id", n->oldest_id,
			    "queued_ms", (json_int_t)n->oldest_queued_ms, "age_ms", (json_int_t)n->oldest_age_ms)
		: json_null());
	jfield_put_ms(o, "avg_wait_ms", n->avg_wait_ms);
	json_object_set_new(o, "wait_samples", json_integer((json_int_t)n->wait_samples));
	json_object_set_new(o, "finished_in_window", json_integer((json_int_t)n->finished_in_window));
	json_object_set_new(o, "rate_per_min", json_real(n->rate_per_min));
	jfield_put_ms(o, "eta_ms", n->eta_ms);
	json_object_set_new(o, "backlog", json_boolean(n->backlog));
	json_object_set_new(o, "threshold", json_integer((json_int_t)n->threshold));
	json_object_set_new(o, "wait_window_s", json_integer((json_int_t)(n->wait_window_ms / 1000)));
	json_object_set_new(o, "rate_window_s", json_integer((json_int_t)(n->rate_window_ms / 1000)));
	return o;
}

static int count_read(json_t *j, const char *prefix, const char *key, bool required, uint64_t *out,
		      struct proto_cause *cause)
{
	int64_t v = 0;
	if (jfield_int(j, prefix, key, required, 0, COUNT_MAX, &v, cause) < 0)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static int oldest_read(json_t *j, struct queue_numbers *n, struct proto_cause *cause)
{
	json_t *old = jfield_get(j, "oldest");
	n->has_oldest = false;
	if (old == NULL)
		return 0;
	if (!json_is_object(old))
		return proto_fail(cause, "oldest", "must be an object or null");
	if (jfield_id(old, "oldest", "execution_id", true, n->oldest_id, cause) < 0 ||
	    jfield_int(old, "oldest", "queued_ms", true, INT64_MIN, INT64_MAX, &n->oldest_queued_ms, cause) < 0 ||
	    jfield_int(old, "oldest", "age_ms", true, 0, INT64_MAX, &n->oldest_age_ms, cause) < 0)
		return -1;
	n->has_oldest = true;
	return 0;
}

int queue_numbers_parse(json_t *j, struct queue_numbers *n, struct proto_cause *cause)
{
	memset(n, 0, sizeof *n);
	n->avg_wait_ms = -1;
	n->eta_ms = -1;
	if (!json_is_object(j))
		return proto_fail(cause, "", "the queue's numbers must be an object");
	json_t *prio = jfield_get(j, "by_priority");
	if (!json_is_object(prio))
		return proto_fail(cause, "by_priority", "must be an object of counts by priority");
	for (int p = 0; p < PRIO__COUNT; p++)
		if (count_read(prio, "by_priority", proto_priority_name((enum proto_priority)p), true,
			       &n->by_priority[p], cause) < 0)
			return -1;
	if (count_read(j, "", "depth", true, &n->depth, cause) < 0 ||
	    count_read(j, "", "untracked", false, &n->untracked, cause) < 0 ||
	    count_read(j, "", "delayed", false, &n->delayed, cause) < 0 ||
	    oldest_read(j, n, cause) < 0 ||
	    jfield_int(j, "", "avg_wait_ms", false, 0, INT64_MAX, &n->avg_wait_ms, cause) < 0 ||
	    count_read(j, "", "wait_samples", false, &n->wait_samples, cause) < 0 ||
	    count_read(j, "", "finished_in_window", false, &n->finished_in_window, cause) < 0 ||
	    jfield_number(j, "", "rate_per_min", false, 0, DBL_MAX, &n->rate_per_min, cause) < 0 ||
	    jfield_int(j, "", "eta_ms", false, 0, INT64_MAX, &n->eta_ms, cause) < 0 ||
	    jfield_bool(j, "", "backlog", true, &n->backlog, cause) < 0 ||
	    count_read(j, "", "threshold", true, &n->threshold, cause) < 0 ||
	    jfield_int(j, "", "wait_window_s", false, 0, INT64_MAX / 1000, &n->wait_window_ms, cause) < 0 ||
	    jfield_int(j, "", "rate_window_s", false, 0, INT64_MAX / 1000, &n->rate_window_ms, cause) < 0)
		return -1;
	n->wait_window_ms *= 1000;
	n->rate_window_ms *= 1000;
	return 0;
}
