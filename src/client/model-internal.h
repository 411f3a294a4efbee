/* model-internal.h: what the files of the console's model share and nothing
 * outside src/client/model*.c uses: small JSON readers, and the functions one
 * part of the model calls in another (each defined in the file its prefix
 * names). */
#ifndef WFMON_MODEL_INTERNAL_H
#define WFMON_MODEL_INTERNAL_H

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "xalloc.h"

/* ---- JSON helpers ---------------------------------------------------------------- */

static inline const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static inline bool jint(json_t *o, const char *key, int64_t *out)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v))
		return false;
	*out = (int64_t)json_integer_value(v);
	return true;
}

static inline int64_t jtime(json_t *o, const char *key)
{
	int64_t ms;
	const char *s = jstr(o, key);
	if (s == NULL || proto_time_parse(s, &ms) != 0)
		return 0;
	return ms;
}

static inline void copy_str(char *dst, size_t len, const char *src)
{
	if (src != NULL)
		snprintf(dst, len, "%s", src);
}

static inline void set_str(char **dst, const char *src)
{
	if (src == NULL)
		return;
	free(*dst);
	*dst = xstrdup(src);
}

static inline void set_json(json_t **dst, json_t *src)
{
	if (src == NULL || json_is_null(src))
		return;
	json_decref(*dst);
	*dst = json_incref(src);
}

static inline int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static inline bool jnum(json_t *o, const char *key, double *out)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

/* A whole number (a real is rounded: the store sends averages as reals), or
 * dflt when absent, null or not a number. */
static inline int64_t jint_or(json_t *o, const char *key, int64_t dflt)
{
	json_t *v = json_object_get(o, key);
	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	if (json_is_real(v) && json_real_value(v) > -9e18 && json_real_value(v) < 9e18)
		return (int64_t)llround(json_real_value(v));
	return dflt;
}

static inline double jnum_or(json_t *o, const char *key, double dflt)
{
	double v;
	return jnum(o, key, &v) ? v : dflt;
}

/* ---- across the model's files ------------------------------------------------------ */

/* model.c */
const char *model_room_execution_id(const char *name);   /* "execution:<id>" -> id, else NULL */
unsigned model_reply_set(struct model *m, const char *id, bool ok, const char *code,
			 const char *message);
/* model_exec.c */
unsigned model_exec_on_event(struct model *m, const char *room, json_t *ev, int64_t now_ms);
unsigned model_exec_snapshot_list(struct model *m, json_t *list, int64_t now_ms);
unsigned model_exec_snapshot_detail(struct model *m, json_t *x, int64_t now_ms);
void model_exec_detail_follow(struct model *m, const char *xid);
void model_exec_detail_forget(struct model *m, const char *xid);
void model_exec_clear_all(struct model *m);
/* model_alerts.c */
unsigned model_alerts_snapshot(struct model *m, json_t *list);
unsigned model_alerts_on_message(struct model *m, json_t *msg);
unsigned model_rules_on_message(struct model *m, json_t *msg);
unsigned model_rules_on_saved(struct model *m, json_t *msg);
void model_rules_clear(struct model *m);
void model_alerts_clear(struct model *m);
/* model_monitor.c */
unsigned model_queue_snapshot(struct model *m, json_t *snap, int64_t now_ms);
unsigned model_res_snapshot(struct model *m, json_t *snap);
unsigned model_res_on_event(struct model *m, json_t *ev);
unsigned model_monitor_on_stats(struct model *m, struct model_room *r, json_t *msg, int64_t now_ms);
unsigned model_summary_set(struct model *m, json_t *j, int64_t now_ms);
/* model_search.c */
bool model_search_owns(const char *id);
unsigned model_search_on_result(struct model *m, json_t *msg);
unsigned model_search_on_error(struct model *m, json_t *msg);
/* model_health.c */
unsigned model_health_read(struct model *m, json_t *data);
void model_health_clear(struct model *m);
/* model_stats.c */
unsigned model_stats_on_result(struct model *m, json_t *msg);
void model_stats_clear(struct model_step_stats *st);

#endif
