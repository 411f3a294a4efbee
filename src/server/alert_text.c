/* alert_text.c: everything an alert says, in English and Polish: the fixed
 * texts of the original specification, the sentences of a firing's body, and
 * the title, body and context of a firing built from what triggered it (see
 * alert.h).
 *
 * Invariants: every text and sentence has both languages, with the same
 * conversions in the same order (the unit tests check the texts); an unknown
 * or missing language falls back to English; the Polish strings are UTF-8 with
 * diacritics; a title or body cut to fit its buffer never ends inside a
 * character. Pure: no I/O. */
#include "alert.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "utf8.h"

#define ERROR_IN_BODY 400     /* bytes of an execution's error quoted in a body */

enum text_lang { LANG_EN, LANG_PL, LANG__COUNT };

static enum text_lang text_lang(const char *language)
{
	if (language != NULL && strcmp(language, "pl") == 0)
		return LANG_PL;
	return LANG_EN;
}

/* ---- the fixed texts ----------------------------------------------------------------- */

static const char *const texts[TXT__COUNT][LANG__COUNT] = {
	[TXT_EXECUTION_STARTED] = { "Workflow execution started", "Wykonanie workflow rozpoczęte" },
	[TXT_EXECUTION_COMPLETED] = { "Workflow execution completed successfully",
				      "Wykonanie workflow zakończone pomyślnie" },
	[TXT_EXECUTION_FAILED] = { "Workflow execution failed", "Wykonanie workflow nie powiodło się" },
	[TXT_STEP_COMPLETED] = { "Step completed", "Krok zakończony" },
	[TXT_STEP_FAILED] = { "Step failed", "Krok nie powiódł się" },
	[TXT_ALERT_TRIGGERED] = { "Alert triggered", "Wyzwolono alert" },
	[TXT_ALERT_ACKNOWLEDGED] = { "Alert acknowledged", "Alert został potwierdzony" },
	[TXT_QUEUE_BACKLOG] = { "Queue backlog detected", "Wykryto zaległości w kolejce" },
	[TXT_RESOURCE_WARNING] = { "System resource warning", "Ostrzeżenie o zasobach systemu" },
	[TXT_PERFORMANCE_DEGRADED] = { "Performance degradation detected", "Wykryto spadek wydajności" },
	[TXT_SCHEDULE_MISSED] = { "Scheduled run missed", "Zaplanowane uruchomienie nie odbyło się" },
};

const char *alert_text(enum alert_text t, const char *language)
{
	if ((unsigned)t >= TXT__COUNT)
		return NULL;
	return texts[t][text_lang(language)];
}

/* ---- the sentences of a body ---------------------------------------------------------- */

enum phrase { P_EXECUTION, P_WORKFLOW, P_RULE, P_ERROR, P_STEP, P_CONSECUTIVE, P_RATE, P_TOOK, P_RUNNING,
	      P_METRIC, P_OPEN, P_P95, P_SUCCESS, P_ACK_LINK, P_ESCALATE_LINK, P_ACK_SHELL, P_ESCALATE_SHELL,
	      P_SCHEDULE, P_MISS_START, P_MISS_FINISH, P_MISS_FAILED, P__COUNT };

/* Same conversions in the same order in both languages. */
static const char *const phrases[P__COUNT][LANG__COUNT] = {
	[P_EXECUTION] = { "Execution: %s", "Wykonanie: %s" },
	[P_WORKFLOW] = { "Workflow: %s", "Workflow: %s" },
	[P_RULE] = { "Rule: %s", "Reguła: %s" },
	[P_ERROR] = { "Error: %s", "Błąd: %s" },
	[P_STEP] = { "Failed step: %s", "Nieudany krok: %s" },
	[P_CONSECUTIVE] = { "%d failures in a row", "%d niepowodzeń z rzędu" },
	[P_RATE] = { "Error rate %s (%d of %d finished) over the last %d min, above %s",
		     "Odsetek błędów %s (%d z %d zakończonych) w ciągu ostatnich %d min, powyżej %s" },
	[P_TOOK] = { "Took %s, longer than %s", "Trwało %s, dłużej niż %s" },
	[P_RUNNING] = { "Running for %s, longer than %s", "Trwa już %s, dłużej niż %s" },
	[P_METRIC] = { "%s is %s (condition: %s %s)", "%s wynosi %s (warunek: %s %s)" },
	[P_OPEN] = { "Open it: wfmon open %s", "Otwórz: wfmon open %s" },
	[P_P95] = { "p95 %s over the last %d h against %s over the %d days before (%s%s, margin %s)",
		    "p95 %s w ciągu ostatnich %d h wobec %s w %d dniach wcześniej (%s%s, margines %s)" },
	[P_SUCCESS] = { "Success rate %s over the last %d h against %s over the %d days before "
			"(margin %s points)",
			"Odsetek udanych %s w ciągu ostatnich %d h wobec %s w %d dniach wcześniej "
			"(margines %s pkt proc.)" },
	[P_ACK_LINK] = { "Acknowledge: %s", "Potwierdź: %s" },
	[P_ESCALATE_LINK] = { "Escalate: %s", "Eskaluj: %s" },
	[P_ACK_SHELL] = { "Acknowledge from a shell: wfmon alerts ack %lld",
			  "Potwierdź z powłoki: wfmon alerts ack %lld" },
	[P_ESCALATE_SHELL] = { "Escalate from a shell: wfmon alerts escalate %lld",
			       "Eskaluj z powłoki: wfmon alerts escalate %lld" },
	[P_SCHEDULE] = { "The run expected at %s %s (due %s)", "Uruchomienie oczekiwane o %s %s (termin %s)" },
	[P_MISS_START] = { "did not start", "nie rozpoczęło się" },
	[P_MISS_FINISH] = { "did not complete in time", "nie zakończyło się na czas" },
	[P_MISS_FAILED] = { "failed", "nie powiodło się" },
};

static const char *phrase(enum phrase p, const char *language)
{
	return phrases[p][text_lang(language)];
}

/* A bounded buffer that fills up and then ignores the rest. */
struct sbuf {
	char *buf;
	size_t len, used;
};

static void sbuf_vadd(struct sbuf *b, const char *fmt, va_list ap)
{
	if (b->used + 1 >= b->len)
		return;
	int w = vsnprintf(b->buf + b->used, b->len - b->used, fmt, ap);
	if (w < 0) {
		b->buf[b->used] = '\0';
		return;
	}
	if ((size_t)w >= b->len - b->used) {
		utf8_trim_tail(b->buf);
		b->used = b->len;   /* full */
		return;
	}
	b->used += (size_t)w;
}

static void sbuf_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sbuf_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sbuf_vadd(b, fmt, ap);
	va_end(ap);
}

/* A line from the phrase table (the format is ours, not input). */
static void sbuf_line(struct sbuf *b, const char *fmt, ...)
{
	if (b->used > 0)
		sbuf_add(b, "\n");
	va_list ap;
	va_start(ap, fmt);
	sbuf_vadd(b, fmt, ap);
	va_end(ap);
}

/* Numbers in the rule's language, through fmt.h like everything shown. */
static enum fmt_lang rule_lang(const struct alert_rule *r)
{
	return text_lang(r->language) == LANG_PL ? FMT_PL : FMT_EN;
}

static bool given(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* ---- a firing ---------------------------------------------------------------------------- */

static const char *title_subject(const struct alert_rule *r, enum alert_subject subject,
				 const struct alert_trigger *t)
{
	switch (subject) {
	case SUBJECT_WORKFLOW:
		if (given(t->workflow_name))
			return t->workflow_name;
		if (given(t->workflow_id))
			return t->workflow_id;
		return r->name;
	case SUBJECT_METRIC:
		return r->metric;
	case SUBJECT_RULE:
		break;
	}
	return r->name;
}

/* The body's first line: the numbers of the measure. */
static void measure_line(struct sbuf *body, const struct alert_rule *r, enum alert_measure m,
			 const struct alert_trigger *t)
{
	const char *lang = r->language;
	enum fmt_lang fl = rule_lang(r);
	char a[FMT_MAX], b[FMT_MAX];
	switch (m) {
	case MEASURE_CONSECUTIVE:
		sbuf_line(body, phrase(P_CONSECUTIVE, lang), t->consecutive);
		break;
	case MEASURE_RATE:
		fmt_percent(fl, t->rate, 1, a, sizeof a);
		/* A threshold reads as it was set: 90%, 12.5%. */
		fmt_percent(fl, r->threshold, r->threshold == (double)(int64_t)r->threshold ? 0 : 1, b, sizeof b);
		sbuf_line(body, phrase(P_RATE, lang), a, t->failed, t->finished, r->window_s / 60, b);
		break;
	case MEASURE_TOOK:
	case MEASURE_RUNNING:
		fmt_duration(fl, (double)(t->duration_ms > 0 ? t->duration_ms : 0), a, sizeof a);
		fmt_duration(fl, (double)(t->threshold_ms > 0 ? t->threshold_ms : 0), b, sizeof b);
		sbuf_line(body, phrase(m == MEASURE_TOOK ? P_TOOK : P_RUNNING, lang), a, b);
		break;
	case MEASURE_METRIC:
	case MEASURE_CUSTOM:
		fmt_value(fl, t->value, a, sizeof a);
		fmt_value(fl, r->threshold, b, sizeof b);
		sbuf_line(body, phrase(P_METRIC, lang), r->metric, a, alert_op_symbol(r->op), b);
		break;
	case MEASURE_DEGRADED:
		if (t->degraded & DEGRADED_P95) {
			const struct metrics_health *now = &t->health->recent, *base = &t->health->baseline;
			char change[FMT_MAX], margin[FMT_MAX];
			fmt_duration(fl, (double)now->p95_ms, a, sizeof a);
			fmt_duration(fl, (double)base->p95_ms, b, sizeof b);
			double pct = base->p95_ms > 0 ? 100.0 * (double)(now->p95_ms - base->p95_ms) / (double)base->p95_ms
						      : 0;
			fmt_percent(fl, pct, 0, change, sizeof change);
			fmt_percent(fl, t->margins.p95_percent, 0, margin, sizeof margin);
			sbuf_line(body, phrase(P_P95, lang), a, t->window_hours, b, t->baseline_days, pct >= 0 ? "+" : "",
				  change, margin);
		}
		if (t->degraded & DEGRADED_SUCCESS) {
			char margin[FMT_MAX];
			fmt_percent(fl, t->health->recent.success_rate, 1, a, sizeof a);
			fmt_percent(fl, t->health->baseline.success_rate, 1, b, sizeof b);
			fmt_value(fl, t->margins.success_points, margin, sizeof margin);
			sbuf_line(body, phrase(P_SUCCESS, lang), a, t->window_hours, b, t->baseline_days, margin);
		}
		break;
	case MEASURE_SCHEDULE:
		sbuf_line(body, phrase(P_SCHEDULE, lang), given(t->expected_text) ? t->expected_text : "?",
			  phrase(t->miss == MISS_FAILED ? P_MISS_FAILED : t->miss == MISS_FINISH ? P_MISS_FINISH
											  : P_MISS_START, lang),
			  given(t->due_text) ? t->due_text : "?");
		break;
	case MEASURE_NONE:
		break;
	}
}

static void firing_body(char *buf, size_t len, const struct alert_rule *r, enum alert_measure m,
			const struct alert_trigger *t)
{
	const char *lang = r->language;
	struct sbuf body = { buf, len, 0 };
	buf[0] = '\0';
	measure_line(&body, r, m, t);
	if (given(t->workflow_id))
		sbuf_line(&body, phrase(P_WORKFLOW, lang), t->workflow_id);
	if (given(t->execution_id))
		sbuf_line(&body, phrase(P_EXECUTION, lang), t->execution_id);
	if (given(t->step_id))
		sbuf_line(&body, phrase(P_STEP, lang), t->step_id);
	if (given(t->error)) {
		char err[ERROR_IN_BODY + 1];
		snprintf(err, sizeof err, "%s", t->error);
		utf8_trim_tail(err);
		sbuf_line(&body, phrase(P_ERROR, lang), err);
	}
	sbuf_line(&body, phrase(P_RULE, lang), r->name);
	if (given(t->execution_id))
		sbuf_line(&body, phrase(P_OPEN, lang), t->execution_id);
}

static json_t *firing_context_new(const struct alert_rule *r, enum alert_measure m, const struct alert_trigger *t)
{
	json_t *c = json_object();
	switch (m) {
	case MEASURE_CONSECUTIVE:
		json_object_set_new(c, "consecutive", json_integer(t->consecutive));
		break;
	case MEASURE_RATE:
		json_object_set_new(c, "rate_percent", json_real(t->rate));
		json_object_set_new(c, "failed", json_integer(t->failed));
		json_object_set_new(c, "finished", json_integer(t->finished));
		json_object_set_new(c, "threshold_percent", json_real(r->threshold));
		json_object_set_new(c, "window_minutes", json_integer(r->window_s / 60));
		break;
	case MEASURE_TOOK:
	case MEASURE_RUNNING:
		json_object_set_new(c, "duration_ms", json_integer(t->duration_ms));
		json_object_set_new(c, "threshold_ms", json_integer(t->threshold_ms));
		break;
	case MEASURE_METRIC:
	case MEASURE_CUSTOM:
		json_object_set_new(c, "value", json_real(t->value));
		json_object_set_new(c, "metric", json_string(r->metric));
		json_object_set_new(c, "threshold", json_real(r->threshold));
		if (m == MEASURE_CUSTOM)
			json_object_set_new(c, "op", json_string(alert_op_name(r->op)));
		break;
	case MEASURE_DEGRADED:
		json_object_set_new(c, "degradation",
				    metrics_degradation_new(&t->health->recent, &t->health->baseline, &t->margins,
							    t->window_hours, t->baseline_days));
		break;
	case MEASURE_SCHEDULE: {
		char at[40];
		json_object_set_new(c, "miss", json_string(schedule_miss_name(t->miss)));
		proto_time_format(t->expected_ms, at, sizeof at);
		json_object_set_new(c, "expected_at", json_string(at));
		proto_time_format(t->due_ms, at, sizeof at);
		json_object_set_new(c, "due_at", json_string(at));
		break;
	}
	case MEASURE_NONE:
		break;
	}
	if (given(t->execution_id))
		json_object_set_new(c, "execution_id", json_string(t->execution_id));
	if (given(t->workflow_id))
		json_object_set_new(c, "workflow_id", json_string(t->workflow_id));
	/* Facts come from validated events, so their strings are UTF-8; json_string
	 * refuses anything else and the field is then left out. */
	json_t *v;
	if (t->error != NULL && (v = json_string(t->error)) != NULL)
		json_object_set_new(c, "error", v);
	if (t->step_id != NULL && (v = json_string(t->step_id)) != NULL)
		json_object_set_new(c, "step_id", v);
	return c;
}

void alert_text_firing(struct alert_firing *af, const struct alert_rule *r, const struct alert_wording *w,
		       const struct alert_trigger *t)
{
	struct sbuf title = { af->title, sizeof af->title, 0 };
	af->title[0] = '\0';
	sbuf_add(&title, "%s: %s", alert_text(w->title, r->language), title_subject(r, w->subject, t));
	firing_body(af->body, sizeof af->body, r, w->measure, t);
	af->context = firing_context_new(r, w->measure, t);
}

/* ---- acting from the notification ------------------------------------------------------- */

/* Where the notifications say how to act. One function, so that the wording
 * of the links and of the shell commands (which `wfmon alerts` runs with the
 * URL and token of $WFMON_URL, $WFMON_TOKEN or the config file) changes in
 * one place. */
void alert_text_actions(char *buf, size_t len, const char *language, int64_t alert_id, const char *ack_url,
			const char *escalate_url)
{
	struct sbuf b = { buf, len, strlen(buf) };
	if (b.used > 0)
		sbuf_add(&b, "\n");
	if (ack_url != NULL && escalate_url != NULL) {
		sbuf_line(&b, phrase(P_ACK_LINK, language), ack_url);
		sbuf_line(&b, phrase(P_ESCALATE_LINK, language), escalate_url);
	} else {
		sbuf_line(&b, phrase(P_ACK_SHELL, language), (long long)alert_id);
		sbuf_line(&b, phrase(P_ESCALATE_SHELL, language), (long long)alert_id);
	}
}
