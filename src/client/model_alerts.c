/* model_alerts.c: the alerts of room "alerts", the critical banner and the
 * alert rules list (see model.h). Alerts are replaced by id and kept in the
 * daemon's order: active and acknowledged first, then resolved. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model-internal.h"
#include "names.h"
#include "xalloc.h"

/* ---- alerts ------------------------------------------------------------------------ */

static const char *const severity_names[MSEV__COUNT] = {
	[MSEV_INFO] = "info", [MSEV_WARNING] = "warning", [MSEV_ERROR] = "error",
	[MSEV_CRITICAL] = "critical",
};
static const char *const alert_state_names[MAS__COUNT] = {
	[MAS_ACTIVE] = "active", [MAS_ACKNOWLEDGED] = "acknowledged", [MAS_RESOLVED] = "resolved",
};

int model_severity_parse(const char *name, enum model_severity *out)
{
	int i = names_find(severity_names, MSEV__COUNT, name);
	if (i < 0)
		return -1;
	*out = (enum model_severity)i;
	return 0;
}

static void alert_clear(struct model_alert *a)
{
	free(a->title);
	free(a->body);
	free(a->ack_note);
	free(a->resolve_note);
	json_decref(a->context);
	json_decref(a->deliveries);
	memset(a, 0, sizeof *a);
}

void model_alerts_clear(struct model *m)
{
	for (size_t i = 0; i < m->nalerts; i++)
		alert_clear(&m->alerts[i]);
	m->nalerts = 0;
}

static char *str_or_null_dup(const char *s)
{
	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

/* Fills *a from a record; false when the record has no usable id. */
static bool alert_parse(json_t *j, struct model_alert *a)
{
	json_t *id = json_object_get(j, "id");
	if (!json_is_integer(id) || json_integer_value(id) <= 0)
		return false;
	memset(a, 0, sizeof *a);
	a->id = (int64_t)json_integer_value(id);
	copy_str(a->rule_id, sizeof a->rule_id, jstr(j, "rule_id"));
	copy_str(a->rule_name, sizeof a->rule_name, jstr(j, "rule_name"));
	copy_str(a->workflow_id, sizeof a->workflow_id, jstr(j, "workflow_id"));
	copy_str(a->execution_id, sizeof a->execution_id, jstr(j, "execution_id"));
	enum model_severity sev = MSEV_ERROR;
	model_severity_parse(jstr(j, "severity"), &sev);
	a->severity = sev;
	int st = names_find(alert_state_names, MAS__COUNT, jstr(j, "state"));
	a->state = st < 0 ? MAS_ACTIVE : (enum model_alert_state)st;
	a->title = xstrdup(jstr(j, "title") ? jstr(j, "title") : "");
	a->body = xstrdup(jstr(j, "body") ? jstr(j, "body") : "");
	a->ack_note = str_or_null_dup(jstr(j, "ack_note"));
	a->resolve_note = str_or_null_dup(jstr(j, "resolve_note"));
	copy_str(a->acknowledged_by, sizeof a->acknowledged_by, jstr(j, "acknowledged_by"));
	copy_str(a->resolved_by, sizeof a->resolved_by, jstr(j, "resolved_by"));
	a->triggered_ms = jtime(j, "triggered_at");
	a->acknowledged_ms = jtime(j, "acknowledged_at");
	a->resolved_ms = jtime(j, "resolved_at");
	a->escalated_ms = jtime(j, "escalated_at");
	if (!jint(j, "escalations", &a->escalations))
		a->escalations = 0;
	a->bell = json_is_true(json_object_get(j, "bell"));
	json_t *ctx = json_object_get(j, "context");
	a->context = json_is_object(ctx) ? json_incref(ctx) : json_object();
	json_t *dl = json_object_get(j, "deliveries");
	a->deliveries = json_is_array(dl) ? json_incref(dl) : json_array();
	return true;
}

/* Open (active, acknowledged) before resolved; newest first; then by id. */
static int alert_cmp(const void *pa, const void *pb)
{
	const struct model_alert *a = pa, *b = pb;
	bool ra = a->state == MAS_RESOLVED, rb = b->state == MAS_RESOLVED;
	if (ra != rb)
		return ra ? 1 : -1;
	if (a->triggered_ms != b->triggered_ms)
		return a->triggered_ms > b->triggered_ms ? -1 : 1;
	return a->id > b->id ? -1 : a->id < b->id ? 1 : 0;
}

static void alerts_sort(struct model *m)
{
	qsort(m->alerts, m->nalerts, sizeof m->alerts[0], alert_cmp);
}

struct model_alert *model_alert_find(struct model *m, int64_t id)
{
	for (size_t i = 0; i < m->nalerts; i++)
		if (m->alerts[i].id == id)
			return &m->alerts[i];
	return NULL;
}

int model_alerts_open(const struct model *m)
{
	int n = 0;
	for (size_t i = 0; i < m->nalerts; i++)
		n += m->alerts[i].state != MAS_RESOLVED;
	return n;
}

static void banner_set(struct model *m, const struct model_alert *a)
{
	m->banner.alert_id = a->id;
	copy_str(m->banner.title, sizeof m->banner.title, a->title);
}

/* The banner follows its alert: gone once it is no longer active and critical. */
static unsigned banner_follow(struct model *m)
{
	if (m->banner.alert_id == 0)
		return MC_NONE;
	const struct model_alert *a = model_alert_find(m, m->banner.alert_id);
	if (a != NULL && a->state == MAS_ACTIVE && a->severity == MSEV_CRITICAL) {
		copy_str(m->banner.title, sizeof m->banner.title, a->title);
		return MC_NONE;
	}
	m->banner.alert_id = 0;
	return MC_BANNER;
}

void model_banner_dismiss(struct model *m)
{
	if (m->banner.alert_id != 0)
		m->banner.dismissed_id = m->banner.alert_id;
	m->banner.alert_id = 0;
}

bool model_banner_take_bell(struct model *m)
{
	bool b = m->banner.bell;
	m->banner.bell = false;
	return b;
}

/* A snapshot replaces the list. The banner shows the newest active critical
 * alert not dismissed, without the bell: it is not news. */
unsigned model_alerts_snapshot(struct model *m, json_t *list)
{
	model_alerts_clear(m);
	size_t i;
	json_t *j;
	json_array_foreach(list, i, j) {
		if (m->nalerts >= MODEL_MAX_ALERTS)
			break;
		if (alert_parse(j, &m->alerts[m->nalerts]))
			m->nalerts++;
	}
	alerts_sort(m);
	unsigned changed = MC_ALERTS | banner_follow(m);
	if (m->banner.alert_id == 0) {
		for (size_t k = 0; k < m->nalerts; k++) {
			const struct model_alert *a = &m->alerts[k];
			if (a->state == MAS_ACTIVE && a->severity == MSEV_CRITICAL && a->id != m->banner.dismissed_id) {
				banner_set(m, a);
				changed |= MC_BANNER;
				break;
			}
		}
	}
	return changed;
}

/* Where a new record goes when the list is full: the oldest resolved one,
 * else the oldest of all (the list is sorted, so the last). */
static struct model_alert *alert_slot(struct model *m)
{
	if (m->nalerts < MODEL_MAX_ALERTS)
		return &m->alerts[m->nalerts++];
	struct model_alert *last = &m->alerts[m->nalerts - 1];
	alert_clear(last);
	return last;
}

/* A live record: replaces the one with its id, or joins the list. A new
 * critical alert, or one that became critical, raises the banner; a new
 * active alert whose rule wants the bell asks for it once. */
unsigned model_alerts_on_message(struct model *m, json_t *msg)
{
	struct model_alert rec;
	if (!alert_parse(json_object_get(msg, "alert"), &rec))
		return MC_NONE;
	struct model_alert *a = model_alert_find(m, rec.id);
	bool was_critical = a != NULL && a->severity == MSEV_CRITICAL;
	if (a == NULL && rec.bell && rec.state == MAS_ACTIVE)
		m->banner.bell = true;
	if (a != NULL)
		alert_clear(a);
	else
		a = alert_slot(m);
	*a = rec;
	unsigned changed = MC_ALERTS;
	if (rec.state == MAS_ACTIVE && rec.severity == MSEV_CRITICAL && !was_critical) {
		banner_set(m, &rec);
		changed |= MC_BANNER;
	}
	alerts_sort(m);
	return changed | banner_follow(m);
}

/* ---- rules --------------------------------------------------------------------------- */

unsigned model_rules_on_message(struct model *m, json_t *msg)
{
	json_t *list = json_object_get(msg, "rules");
	if (!json_is_array(list))
		return MC_NONE;
	json_decref(m->rules.list);
	m->rules.list = json_incref(list);
	m->rules.loaded = true;
	m->rules.serial++;
	return MC_RULES;
}
