/* alert_record.c: an alert record and its delivery attempts, typed, written
 * to JSON and read back (see alert_record.h).
 *
 * Invariants: an initialized record has a title, a body and a context object,
 * so readers of the struct never meet NULL there; a record holds at most
 * ALERT_DELIVERIES_KEPT attempts, the newest; the reader either fills the
 * whole record or leaves nothing allocated. */
#include "alert_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jfield.h"
#include "utf8.h"
#include "xalloc.h"

static const char *const state_names[ALERT__STATE_COUNT] = {
	[ALERT_ACTIVE] = "active", [ALERT_ACKNOWLEDGED] = "acknowledged", [ALERT_RESOLVED] = "resolved",
};

const char *alert_state_name(enum alert_state s)
{
	return (unsigned)s < ALERT__STATE_COUNT ? state_names[s] : NULL;
}

/* ---- the struct ------------------------------------------------------------------------ */

void alert_record_init(struct alert_record *r)
{
	memset(r, 0, sizeof *r);
	r->title = xstrdup("");
	r->body = xstrdup("");
	r->context = json_object();
}

void alert_record_clear(struct alert_record *r)
{
	free(r->title);
	free(r->body);
	free(r->ack_note);
	free(r->resolve_note);
	json_decref(r->context);
	free(r->deliveries);
	memset(r, 0, sizeof *r);
}

void alert_record_set_text(char **dst, const char *text, size_t max)
{
	free(*dst);
	*dst = NULL;
	if (text == NULL)
		return;
	size_t n = strnlen(text, max);
	char *s = xmalloc(n + 1);
	memcpy(s, text, n);
	s[n] = '\0';
	utf8_trim_tail(s);
	*dst = s;
}

void alert_record_add_delivery(struct alert_record *r, const struct alert_delivery *d)
{
	if (r->deliveries == NULL)
		r->deliveries = xcalloc(ALERT_DELIVERIES_KEPT, sizeof *r->deliveries);
	if (r->ndeliveries == ALERT_DELIVERIES_KEPT) {
		memmove(&r->deliveries[0], &r->deliveries[1], (ALERT_DELIVERIES_KEPT - 1) * sizeof r->deliveries[0]);
		r->ndeliveries--;
	}
	r->deliveries[r->ndeliveries++] = *d;
}

/* ---- deliveries ------------------------------------------------------------------------------ */

json_t *alert_delivery_json_new(const struct alert_delivery *d)
{
	json_t *o = json_object();
	json_object_set_new(o, "channel", json_string(channel_type_name(d->channel) ? channel_type_name(d->channel) : "?"));
	json_object_set_new(o, "channel_index", json_integer(d->channel_index));
	json_object_set_new(o, "attempt", json_integer(d->attempt));
	json_object_set_new(o, "ok", json_boolean(d->ok));
	json_object_set_new(o, "final", json_boolean(d->final));
	json_t *detail = json_string(d->detail);
	json_object_set_new(o, "detail", detail != NULL ? detail : json_string(""));
	jfield_put_time(o, "at", d->at_ms);
	return o;
}

static int delivery_read(json_t *j, const char *prefix, struct alert_delivery *d, struct proto_cause *cause)
{
	memset(d, 0, sizeof *d);
	if (!json_is_object(j))
		return proto_fail(cause, prefix, "must be an object");
	char channel[16] = "";
	int64_t index = 0, attempt = 0;
	if (jfield_chars(j, prefix, "channel", true, channel, sizeof channel, cause) < 0)
		return -1;
	int t = alert_choice_find(alert_channel_types(), CH__COUNT, channel);
	if (t < 0) {
		char path[96];
		jfield_path(path, sizeof path, prefix, "channel");
		return proto_fail(cause, path, "must be a channel type (in_app, webhook, slack, email, sms)");
	}
	d->channel = (enum channel_type)t;
	if (jfield_int(j, prefix, "channel_index", false, 0, ALERT_MAX_CHANNELS - 1, &index, cause) < 0 ||
	    jfield_int(j, prefix, "attempt", true, 0, INT32_MAX, &attempt, cause) < 0 ||
	    jfield_bool(j, prefix, "ok", true, &d->ok, cause) < 0 ||
	    jfield_bool(j, prefix, "final", true, &d->final, cause) < 0 ||
	    jfield_chars(j, prefix, "detail", false, d->detail, sizeof d->detail, cause) < 0 ||
	    jfield_time(j, prefix, "at", false, &d->at_ms, cause) < 0)
		return -1;
	d->channel_index = (int)index;
	d->attempt = (int)attempt;
	return 0;
}

int alert_delivery_parse(json_t *j, struct alert_delivery *d, struct proto_cause *cause)
{
	return delivery_read(j, "", d, cause);
}

/* ---- the record -------------------------------------------------------------------------------- */

json_t *alert_record_json_new(const struct alert_record *r, bool with_deliveries)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "rule_id", json_string(r->rule_id));
	json_object_set_new(o, "rule_name", json_string(r->rule_name));
	jfield_put_str(o, "workflow_id", r->workflow_id);
	jfield_put_str(o, "execution_id", r->execution_id);
	json_object_set_new(o, "severity", json_string(alert_severity_name(r->severity)));
	json_object_set_new(o, "state", json_string(alert_state_name(r->state)));
	json_t *v = json_string(r->title ? r->title : "");
	json_object_set_new(o, "title", v ? v : json_string(""));
	v = json_string(r->body ? r->body : "");
	json_object_set_new(o, "body", v ? v : json_string(""));
	json_object_set_new(o, "context", r->context ? json_incref(r->context) : json_object());
	jfield_put_time(o, "triggered_at", r->triggered_ms);
	jfield_put_str(o, "acknowledged_by", r->acknowledged_by);
	jfield_put_time(o, "acknowledged_at", r->acknowledged_ms);
	jfield_put_str(o, "ack_note", r->ack_note);
	jfield_put_str(o, "resolved_by", r->resolved_by);
	jfield_put_time(o, "resolved_at", r->resolved_ms);
	jfield_put_str(o, "resolve_note", r->resolve_note);
	json_object_set_new(o, "escalations", json_integer(r->escalations));
	jfield_put_time(o, "escalated_at", r->escalated_ms);
	json_object_set_new(o, "bell", json_boolean(r->bell));
	if (with_deliveries) {
		json_t *a = json_array();
		for (size_t i = 0; i < r->ndeliveries; i++)
			json_array_append_new(a, alert_delivery_json_new(&r->deliveries[i]));
		json_object_set_new(o, "deliveries", a);
	}
	return o;
}

static int record_read(json_t *j, struct alert_record *r, struct proto_cause *cause)
{
	if (!json_is_object(j))
		return proto_fail(cause, "", "an alert must be an object");
	const char *sev_names[SEV__COUNT];
	for (int s = 0; s < SEV__COUNT; s++)
		sev_names[s] = alert_severity_name((enum alert_severity)s);
	int sev = 0, state = 0;
	int64_t escalations = 0;
	char *title = NULL, *body = NULL;
	if (jfield_int(j, "", "id", true, 1, INT64_MAX, &r->id, cause) < 0 ||
	    jfield_id(j, "", "rule_id", true, r->rule_id, cause) < 0 ||
	    jfield_chars(j, "", "rule_name", true, r->rule_name, sizeof r->rule_name, cause) < 0 ||
	    jfield_id(j, "", "workflow_id", false, r->workflow_id, cause) < 0 ||
	    jfield_id(j, "", "execution_id", false, r->execution_id, cause) < 0 ||
	    jfield_choice(j, "", "severity", true, sev_names, SEV__COUNT, &sev, cause) < 0 ||
	    jfield_choice(j, "", "state", true, state_names, ALERT__STATE_COUNT, &state, cause) < 0 ||
	    jfield_text(j, "", "title", true, ALERT_TITLE_MAX, &title, cause) < 0)
		return -1;
	free(r->title);
	r->title = title;
	if (jfield_text(j, "", "body", true, ALERT_BODY_MAX, &body, cause) < 0)
		return -1;
	free(r->body);
	r->body = body;
	r->severity = (enum alert_severity)sev;
	r->state = (enum alert_state)state;
	json_t *ctx = jfield_get(j, "context");
	if (ctx != NULL && !json_is_object(ctx))
		return proto_fail(cause, "context", "must be an object");
	if (ctx != NULL) {
		json_decref(r->context);
		r->context = json_incref(ctx);
	}
	if (jfield_time(j, "", "triggered_at", true, &r->triggered_ms, cause) < 0 ||
	    jfield_chars(j, "", "acknowledged_by", false, r->acknowledged_by, sizeof r->acknowledged_by, cause) < 0 ||
	    jfield_time(j, "", "acknowledged_at", false, &r->acknowledged_ms, cause) < 0 ||
	    jfield_text(j, "", "ack_note", false, PROTO_MAX_TEXT, &r->ack_note, cause) < 0 ||
	    jfield_chars(j, "", "resolved_by", false, r->resolved_by, sizeof r->resolved_by, cause) < 0 ||
	    jfield_time(j, "", "resolved_at", false, &r->resolved_ms, cause) < 0 ||
	    jfield_text(j, "", "resolve_note", false, PROTO_MAX_TEXT, &r->resolve_note, cause) < 0 ||
	    jfield_int(j, "", "escalations", false, 0, INT32_MAX, &escalations, cause) < 0 ||
	    jfield_time(j, "", "escalated_at", false, &r->escalated_ms, cause) < 0 ||
	    jfield_bool(j, "", "bell", false, &r->bell, cause) < 0)
		return -1;
	r->escalations = (int)escalations;
	json_t *dl = jfield_get(j, "deliveries");
	if (dl != NULL && !json_is_array(dl))
		return proto_fail(cause, "deliveries", "must be an array");
	/* The newest ALERT_DELIVERIES_KEPT: the writer never sends more. */
	size_t n = json_array_size(dl), first = n > ALERT_DELIVERIES_KEPT ? n - ALERT_DELIVERIES_KEPT : 0;
	for (size_t i = first; i < n; i++) {
		char prefix[48];
		snprintf(prefix, sizeof prefix, "deliveries[%zu]", i);
		struct alert_delivery d;
		if (delivery_read(json_array_get(dl, i), prefix, &d, cause) < 0)
			return -1;
		alert_record_add_delivery(r, &d);
	}
	return 0;
}

int alert_record_parse(json_t *j, struct alert_record *r, struct proto_cause *cause)
{
	alert_record_init(r);
	if (record_read(j, r, cause) < 0) {
		alert_record_clear(r);
		return -1;
	}
	return 0;
}
