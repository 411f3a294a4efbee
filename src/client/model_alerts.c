/* model_alerts.c: the alerts of room "alerts", the critical banner and the
 * alert rules list (see model.h). Alerts are the protocol's records
 * (alert_record.h), read by its one reader, replaced by id and kept in the
 * daemon's order: active and acknowledged first, then resolved. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model-internal.h"
#include "xalloc.h"

/* ---- alerts ------------------------------------------------------------------------ */

void model_alerts_clear(struct model *m)
{
	for (size_t i = 0; i < m->nalerts; i++)
		alert_record_clear(&m->alerts[i]);
	m->nalerts = 0;
}

/* Fills *a from a record; false (and nothing to free) when it does not read. */
static bool alert_parse(json_t *j, struct alert_record *a)
{
	struct proto_cause cause;
	return alert_record_parse(j, a, &cause) == 0;
}

/* Open (active, acknowledged) before resolved; newest first; then by id. */
static int alert_cmp(const void *pa, const void *pb)
{
	const struct alert_record *a = pa, *b = pb;
	bool ra = a->state == ALERT_RESOLVED, rb = b->state == ALERT_RESOLVED;
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

struct alert_record *model_alert_find(struct model *m, int64_t id)
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
		n += m->alerts[i].state != ALERT_RESOLVED;
	return n;
}

static void banner_set(struct model *m, const struct alert_record *a)
{
	m->banner.alert_id = a->id;
	copy_str(m->banner.title, sizeof m->banner.title, a->title);
}

/* The banner follows its alert: gone once it is no longer active and critical. */
static unsigned banner_follow(struct model *m)
{
	if (m->banner.alert_id == 0)
		return MC_NONE;
	const struct alert_record *a = model_alert_find(m, m->banner.alert_id);
	if (a != NULL && a->state == ALERT_ACTIVE && a->severity == SEV_CRITICAL) {
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
			const struct alert_record *a = &m->alerts[k];
			if (a->state == ALERT_ACTIVE && a->severity == SEV_CRITICAL && a->id != m->banner.dismissed_id) {
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
static struct alert_record *alert_slot(struct model *m)
{
	if (m->nalerts < MODEL_MAX_ALERTS)
		return &m->alerts[m->nalerts++];
	struct alert_record *last = &m->alerts[m->nalerts - 1];
	alert_record_clear(last);
	return last;
}

/* A live record: replaces the one with its id, or joins the list. A new
 * critical alert, or one that became critical, raises the banner; a new
 * active alert whose rule wants the bell asks for it once. */
unsigned model_alerts_on_message(struct model *m, json_t *msg)
{
	struct alert_record rec;
	if (!alert_parse(json_object_get(msg, "alert"), &rec))
		return MC_NONE;
	struct alert_record *a = model_alert_find(m, rec.id);
	bool was_critical = a != NULL && a->severity == SEV_CRITICAL;
	if (a == NULL && rec.bell && rec.state == ALERT_ACTIVE)
		m->banner.bell = true;
	if (a != NULL)
		alert_record_clear(a);
	else
		a = alert_slot(m);
	*a = rec;
	unsigned changed = MC_ALERTS;
	if (rec.state == ALERT_ACTIVE && rec.severity == SEV_CRITICAL && !was_critical) {
		banner_set(m, &rec);
		changed |= MC_BANNER;
	}
	alerts_sort(m);
	return changed | banner_follow(m);
}

/* ---- rules --------------------------------------------------------------------------- */

void model_rules_clear(struct model *m)
{
	for (size_t i = 0; i < m->rules.n; i++)
		alert_rule_clear(&m->rules.list[i]);
	free(m->rules.list);
	m->rules.list = NULL;
	m->rules.n = 0;
}

/* A "rules" answer replaces the list. A rule this console cannot read (a
 * newer daemon's type, say) is left out and counted. */
unsigned model_rules_on_message(struct model *m, json_t *msg)
{
	json_t *list = json_object_get(msg, "rules");
	if (!json_is_array(list))
		return MC_NONE;
	model_rules_clear(m);
	m->rules.list = xcalloc(json_array_size(list) + 1, sizeof *m->rules.list);
	m->rules.unreadable = 0;
	size_t i;
	json_t *j;
	json_array_foreach(list, i, j) {
		struct proto_cause cause;
		if (alert_rule_parse_client(j, &m->rules.list[m->rules.n], &cause) == 0)
			m->rules.n++;
		else
			m->rules.unreadable++;
	}
	m->rules.loaded = true;
	m->rules.serial++;
	return MC_RULES;
}

/* A "rule_saved" answer: the saved rule's id, for the list to select. */
unsigned model_rules_on_saved(struct model *m, json_t *msg)
{
	const char *id = jstr(msg, "id");
	struct alert_rule rule;
	struct proto_cause cause;
	if (id == NULL || alert_rule_parse_client(json_object_get(msg, "rule"), &rule, &cause) < 0)
		return MC_NONE;
	copy_str(m->rules.saved_id, sizeof m->rules.saved_id, rule.id);
	alert_rule_clear(&rule);
	return model_reply_set(m, id, true, NULL, NULL);
}

const struct alert_rule *model_rule_find(const struct model *m, const char *id)
{
	for (size_t i = 0; id != NULL && i < m->rules.n; i++)
		if (strcmp(m->rules.list[i].id, id) == 0)
			return &m->rules.list[i];
	return NULL;
}
