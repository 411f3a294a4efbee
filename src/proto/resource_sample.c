/* resource_sample.c: a resource sample written to JSON and read back (see
 * resource_sample.h).
 *
 * Invariants: the writer writes every member, an unknown one as null, so the
 * reader gives back the same sample; what the reader accepts is what the
 * writer could have written. */
#include "resource_sample.h"

#include <float.h>
#include <stdio.h>
#include <string.h>

#include "jfield.h"

void resource_sample_init(struct resource_sample *s)
{
	memset(s, 0, sizeof *s);
	s->host_cpu = s->daemon_cpu = s->events_in = s->events_out = s->cpu_threshold = -1;
	s->mem_total = s->mem_available = s->daemon_rss = -1;
	s->load[0] = s->load[1] = s->load[2] = -1;
	s->db_active = s->db_idle = s->db_total = s->db_max = -1;
	s->ws_connections = s->queue_depth = -1;
}

/* ---- writing ---------------------------------------------------------------------------- */

static json_t *real_or_null(double v)
{
	return v < 0 ? json_null() : json_real(v);
}

static json_t *int_or_null(int64_t v)
{
	return v < 0 ? json_null() : json_integer(v);
}

json_t *resource_sample_json_new(const struct resource_sample *s)
{
	json_t *o = json_object();
	jfield_put_time(o, "at", s->at_ms);

	json_t *host = json_object();
	json_object_set_new(host, "cpu_percent", real_or_null(s->host_cpu));
	json_object_set_new(host, "mem_total_bytes", int_or_null(s->mem_total));
	json_object_set_new(host, "mem_available_bytes", int_or_null(s->mem_available));
	json_t *load = json_array();
	for (int i = 0; i < 3; i++)
		json_array_append_new(load, real_or_null(s->load[i]));
	json_object_set_new(host, "load", load);
	json_object_set_new(o, "host", host);

	json_object_set_new(o, "daemon", json_pack("{s:o,s:o}", "cpu_percent", real_or_null(s->daemon_cpu),
						   "rss_bytes", int_or_null(s->daemon_rss)));
	json_t *db = json_object();
	json_object_set_new(db, "state", s->db_state[0] ? json_string(s->db_state) : json_null());
	json_object_set_new(db, "active", int_or_null(s->db_active));
	json_object_set_new(db, "idle", int_or_null(s->db_idle));
	json_object_set_new(db, "total", int_or_null(s->db_total));
	json_object_set_new(db, "max", int_or_null(s->db_max));
	json_object_set_new(o, "database", db);
	json_object_set_new(o, "websocket", json_pack("{s:o}", "connections", int_or_null(s->ws_connections)));
	json_object_set_new(o, "events_per_s", json_pack("{s:o,s:o}", "in", real_or_null(s->events_in), "out",
							 real_or_null(s->events_out)));
	json_object_set_new(o, "queue_depth", int_or_null(s->queue_depth));

	json_t *top = json_array();
	for (uint32_t i = 0; i < s->ntop && i < RESOURCE_TOP_CONSUMERS; i++) {
		const struct resource_consumer *c = &s->top[i];
		json_array_append_new(top, json_pack("{s:s,s:f,s:I,s:I}", "workflow_id", c->workflow_id, "cpu_percent",
						     c->cpu_percent, "memory_bytes", (json_int_t)c->memory_bytes,
						     "executions", (json_int_t)c->executions));
	}
	json_object_set_new(o, "top_consumers", top);
	json_object_set_new(o, "cpu_threshold", real_or_null(s->cpu_threshold));
	json_object_set_new(o, "warning", json_boolean(s->warning));
	return o;
}

/* ---- reading ---------------------------------------------------------------------------- */

/* An object member that may be absent or null (then *out is NULL). */
static int part(json_t *j, const char *key, json_t **out, struct proto_cause *cause)
{
	*out = jfield_get(j, key);
	if (*out != NULL && !json_is_object(*out))
		return proto_fail(cause, key, "must be an object");
	return 0;
}

static int host_read(json_t *j, struct resource_sample *s, struct proto_cause *cause)
{
	json_t *host;
	if (part(j, "host", &host, cause) < 0)
		return -1;
	if (jfield_number(host, "host", "cpu_percent", false, 0, 100, &s->host_cpu, cause) < 0 ||
	    jfield_int(host, "host", "mem_total_bytes", false, 0, INT64_MAX, &s->mem_total, cause) < 0 ||
	    jfield_int(host, "host", "mem_available_bytes", false, 0, INT64_MAX, &s->mem_available, cause) < 0)
		return -1;
	json_t *load = jfield_get(host, "load");
	if (load == NULL)
		return 0;
	if (!json_is_array(load) || json_array_size(load) > 3)
		return proto_fail(cause, "host.load", "must be an array of the 1, 5 and 15 minute averages");
	for (size_t i = 0; i < json_array_size(load); i++) {
		json_t *v = json_array_get(load, i);
		if (json_is_null(v))
			continue;
		if (!json_is_number(v) || json_number_value(v) < 0) {
			char path[32];
			snprintf(path, sizeof path, "host.load[%zu]", i);
			return proto_fail(cause, path, "must be a number of at least 0");
		}
		s->load[i] = json_number_value(v);
	}
	return 0;
}

static int consumers_read(json_t *j, struct resource_sample *s, struct proto_cause *cause)
{
	json_t *top = jfield_get(j, "top_consumers");
	if (top == NULL)
		return 0;
	if (!json_is_array(top))
		return proto_fail(cause, "top_consumers", "must be an array");
	for (size_t i = 0; i < json_array_size(top) && s->ntop < RESOURCE_TOP_CONSUMERS; i++) {
		json_t *c = json_array_get(top, i);
		char prefix[48];
		snprintf(prefix, sizeof prefix, "top_consumers[%zu]", i);
		if (!json_is_object(c))
			return proto_fail(cause, prefix, "must be an object");
		struct resource_consumer *t = &s->top[s->ntop];
		memset(t, 0, sizeof *t);
		if (jfield_id(c, prefix, "workflow_id", true, t->workflow_id, cause) < 0 ||
		    jfield_number(c, prefix, "cpu_percent", false, 0, DBL_MAX, &t->cpu_percent, cause) < 0 ||
		    jfield_int(c, prefix, "memory_bytes", false, 0, INT64_MAX, &t->memory_bytes, cause) < 0 ||
		    jfield_int(c, prefix, "executions", false, 0, INT64_MAX, &t->executions, cause) < 0)
			return -1;
		s->ntop++;
	}
	return 0;
}

int resource_sample_parse(json_t *j, struct resource_sample *s, struct proto_cause *cause)
{
	resource_sample_init(s);
	if (!json_is_object(j))
		return proto_fail(cause, "", "a resource sample must be an object");
	json_t *self, *db, *ws, *eps;
	if (jfield_time(j, "", "at", true, &s->at_ms, cause) < 0 || host_read(j, s, cause) < 0 ||
	    part(j, "daemon", &self, cause) < 0 || part(j, "database", &db, cause) < 0 ||
	    part(j, "websocket", &ws, cause) < 0 || part(j, "events_per_s", &eps, cause) < 0)
		return -1;
	if (jfield_number(self, "daemon", "cpu_percent", false, 0, DBL_MAX, &s->daemon_cpu, cause) < 0 ||
	    jfield_int(self, "daemon", "rss_bytes", false, 0, INT64_MAX, &s->daemon_rss, cause) < 0 ||
	    jfield_chars(db, "database", "state", false, s->db_state, sizeof s->db_state, cause) < 0 ||
	    jfield_int(db, "database", "active", false, 0, INT64_MAX, &s->db_active, cause) < 0 ||
	    jfield_int(db, "database", "idle", false, 0, INT64_MAX, &s->db_idle, cause) < 0 ||
	    jfield_int(db, "database", "total", false, 0, INT64_MAX, &s->db_total, cause) < 0 ||
	    jfield_int(db, "database", "max", false, 0, INT64_MAX, &s->db_max, cause) < 0 ||
	    jfield_int(ws, "websocket", "connections", false, 0, INT64_MAX, &s->ws_connections, cause) < 0 ||
	    jfield_number(eps, "events_per_s", "in", false, 0, DBL_MAX, &s->events_in, cause) < 0 ||
	    jfield_number(eps, "events_per_s", "out", false, 0, DBL_MAX, &s->events_out, cause) < 0 ||
	    jfield_int(j, "", "queue_depth", false, 0, INT64_MAX, &s->queue_depth, cause) < 0 ||
	    consumers_read(j, s, cause) < 0 ||
	    jfield_number(j, "", "cpu_threshold", false, 0, 100, &s->cpu_threshold, cause) < 0 ||
	    jfield_bool(j, "", "warning", false, &s->warning, cause) < 0)
		return -1;
	return 0;
}
