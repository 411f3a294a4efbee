/* alerts_cli.c: `wfmon alerts` (see alerts_cli.h): one connection, one
 * request, one answer, printed for people (or as JSON with --json).
 *
 * A rule to save is checked first with the protocol's rule schema
 * (alert_rule.h), the daemon's own parser: a bad rule is refused before any
 * connection, in the words and with the field the daemon would name. Alerts
 * and rules are printed from the typed record and rule. */
#include "alerts_cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alert_record.h"
#include "alert_rule.h"
#include "cli_request.h"
#include "fmt.h"
#include "proto.h"
#include "schedule.h"
#include "utf8.h"
#include "xalloc.h"

void alerts_cli_usage(FILE *f)
{
	fputs("usage: wfmon alerts [--url URL] [--token T | --token-file F] [--json] ACTION ...\n"
	      "  list                      active and recent alerts\n"
	      "  rules                     the alert rules (secrets masked)\n"
	      "  create FILE|-             save a new rule given as JSON\n"
	      "  update FILE|-             save a changed rule (the JSON carries its id)\n"
	      "  delete RULE_ID            delete a rule\n"
	      "  enable RULE_ID            enable a rule\n"
	      "  disable RULE_ID           disable a rule\n"
	      "  ack ALERT_ID [--note T]   acknowledge an alert\n"
	      "  resolve ALERT_ID [--note T]\n"
	      "  escalate ALERT_ID         raise its severity and notify the escalation channels\n"
	      "  schedules                 the workflows' expected runs and where each stands\n"
	      "  schedule FILE|-           save a workflow's expected runs given as JSON (see wfmond(8))\n"
	      "  unschedule WORKFLOW_ID    delete a workflow's expected runs\n", f);
}

static int usage(const char *fmt, const char *arg)
{
	return cli_usage_error("alerts", alerts_cli_usage, fmt, arg);
}

/* FILE (or - for standard input) as one JSON object; NULL once said. */
static json_t *read_object(const char *path)
{
	char cause[256];
	char *text = cli_read_file(path, cause, sizeof cause);
	if (text == NULL) {
		fprintf(stderr, "wfmon alerts: %s\n", cause);
		return NULL;
	}
	json_error_t err;
	json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	free(text);
	if (!json_is_object(o)) {
		fprintf(stderr, "wfmon alerts: %s: not a JSON object (line %d: %s)\n", path, err.line,
			o ? "expected an object" : err.text);
		json_decref(o);
		return NULL;
	}
	return o;
}

static const char *s_or(json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && *s ? s : dflt;
}

static const char *or_dash(const char *s, const char *dflt)
{
	return s != NULL && s[0] != '\0' ? s : dflt;
}

/* One line of a table: every cell but the last fitted to its width by
 * display columns (utf8.h), so that names with Polish letters or cut with
 * "…" never push the next column; the last cell as it is. */
static void print_row(const char *const *cells, const int *widths, size_t n)
{
	char cell[512];
	for (size_t i = 0; i + 1 < n; i++)
		printf("%s ", utf8_fit(cells[i], widths[i], false, cell, sizeof cell));
	printf("%s\n", cells[n - 1]);
}

static void print_alerts(json_t *snapshot)
{
	json_t *list = json_object_get(snapshot, "alerts");
	if (json_array_size(list) == 0) {
		printf("no alerts\n");
		return;
	}
	static const int widths[] = { 18, 9, 13, 19, 22, 20, 16 };
	static const char *const head[] = { "ID", "SEVERITY", "STATE", "TRIGGERED", "RULE", "WORKFLOW",
					    "ACKNOWLEDGED BY", "TITLE" };
	print_row(head, widths, 8);
	size_t i;
	json_t *j;
	json_array_foreach(list, i, j) {
		struct alert_record a;
		struct proto_cause cause;
		if (alert_record_parse(j, &a, &cause) < 0) {
			fprintf(stderr, "wfmon alerts: alert %zu of the list unreadable (%s: %s)\n", i, cause.field,
				cause.message);
			continue;
		}
		char id[32], when[FMT_MAX];
		snprintf(id, sizeof id, "%lld", (long long)a.id);
		fmt_datetime(FMT_EN, a.triggered_ms, when, sizeof when);
		const char *row[] = { id, alert_severity_name(a.severity), alert_state_name(a.state), when,
				      or_dash(a.rule_name, "-"), or_dash(a.workflow_id, "(all)"),
				      or_dash(a.acknowledged_by, "-"), a.title };
		print_row(row, widths, 8);
		alert_record_clear(&a);
	}
}

static void print_rules(json_t *rules)
{
	if (json_array_size(rules) == 0) {
		printf("no rules\n");
		return;
	}
	static const int widths[] = { 20, 8, 22, 24, 9, 9 };
	static const char *const head[] = { "ID", "ENABLED", "NAME", "TYPE", "SEVERITY", "COOLDOWN", "WORKFLOW" };
	print_row(head, widths, 7);
	size_t i;
	json_t *j;
	json_array_foreach(rules, i, j) {
		struct alert_rule r;
		struct proto_cause cause;
		if (alert_rule_parse_client(j, &r, &cause) < 0) {
			fprintf(stderr, "wfmon alerts: rule %s unreadable (%s: %s)\n",
				or_dash(json_string_value(json_object_get(j, "id")), "?"), cause.field, cause.message);
			continue;
		}
		char cool[FMT_MAX];
		fmt_duration(FMT_EN, (double)r.cooldown_s * 1000, cool, sizeof cool);
		const char *row[] = { or_dash(r.id, "-"), r.enabled ? "yes" : "no", r.name, alert_type_name(r.type),
				      alert_severity_name(r.severity), cool, or_dash(r.workflow_id, "(all)") };
		print_row(row, widths, 7);
		alert_rule_clear(&r);
	}
}

static void print_schedules(json_t *list)
{
	if (json_array_size(list) == 0) {
		printf("no schedules\n");
		return;
	}
	printf("%-24s %-22s %-9s %-16s %-20s %s\n", "WORKFLOW", "EXPECTED", "STATE", "MISS", "DUE (LOCAL)", "ZONE");
	size_t i;
	json_t *j;
	json_array_foreach(list, i, j) {
		struct schedule sc;
		struct proto_cause cause;
		json_t *bare = json_copy(j);   /* the schedule without its status */
		json_object_del(bare, "status");
		int rc = schedule_parse(bare, &sc, &cause);
		json_decref(bare);
		if (rc < 0) {
			fprintf(stderr, "wfmon alerts: schedule of %s unreadable (%s: %s)\n",
				or_dash(json_string_value(json_object_get(j, "workflow_id")), "?"), cause.field, cause.message);
			continue;
		}
		char when[CRON_TEXT_MAX + 32];
		if (sc.kind == SCHEDULE_CRON)
			snprintf(when, sizeof when, "%s", sc.cron_text);
		else
			snprintf(when, sizeof when, "working day %d %02d:%02d", sc.working_day, sc.at_minute / 60,
				 sc.at_minute % 60);
		json_t *st = json_object_get(j, "status");
		printf("%-24s %-22.22s %-9s %-16s %-20s %s%s\n", sc.workflow_id, when, s_or(st, "state", "-"),
		       s_or(st, "miss", "-"), s_or(st, "due_local", s_or(st, "expected_local", "-")), sc.timezone, sc.enabled ? "" : " (disabled)");
	}
}

/* What the daemon's own check refused, said as the daemon would; drops obj.
 * The exit status. */
static int refused_here(const char *what, const struct proto_cause *c, json_t *obj)
{
	fprintf(stderr, "wfmon alerts: %s at %s%s%s: %s\n", proto_error_name(PROTO_ERR_BAD_REQUEST), what,
		c->field[0] ? "." : "", c->field, c->message);
	json_decref(obj);
	return 1;
}

/* {"type":type,"action":"save",type:obj} (takes obj). */
static json_t *save_request(const char *type, json_t *obj)
{
	return json_pack("{s:s,s:s,s:s,s:o}", "type", type, "id", "cli", "action", "save", type, obj);
}

static int parse_alert_id(const char *s, json_int_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0)
		return -1;
	*out = v;
	return 0;
}

int alerts_cli_run(const struct cli_action_options *opt)
{
	if (opt->argc < 1)
		return usage("name an action%s", "");
	const char *action = opt->argv[0];
	json_t *req = NULL;
	bool want_list = strcmp(action, "list") == 0;

	if (strcmp(action, "rules") == 0) {
		req = json_pack("{s:s,s:s,s:s}", "type", "rule", "id", "cli", "action", "list");
	} else if (strcmp(action, "create") == 0 || strcmp(action, "update") == 0) {
		if (opt->argc != 2)
			return usage("%s takes one FILE (or - for standard input)", action);
		json_t *rule = read_object(opt->argv[1]);
		if (rule == NULL)
			return 2;
		if (strcmp(action, "update") == 0 && json_object_get(rule, "id") == NULL) {
			json_decref(rule);
			return usage("update needs the rule's \"id\" in the JSON%s", "");
		}
		if (strcmp(action, "create") == 0 && json_object_get(rule, "id") != NULL) {
			json_decref(rule);
			return usage("create makes a new rule: leave \"id\" out (use update to change one)%s", "");
		}
		/* The daemon's check, before connecting (a rule copied from `rules
		 * --json` carries masked secrets: the daemon keeps the stored ones). */
		struct alert_rule checked;
		struct proto_cause rc;
		if (alert_rule_parse_client(rule, &checked, &rc) < 0)
			return refused_here("rule", &rc, rule);
		alert_rule_clear(&checked);
		req = save_request("rule", rule);
	} else if (strcmp(action, "delete") == 0 || strcmp(action, "enable") == 0 || strcmp(action, "disable") == 0) {
		if (opt->argc != 2 || !proto_id_valid(opt->argv[1]))
			return usage("%s takes one RULE_ID", action);
		req = json_pack("{s:s,s:s,s:s,s:s}", "type", "rule", "id", "cli", "action", action, "rule_id",
				opt->argv[1]);
	} else if (strcmp(action, "ack") == 0 || strcmp(action, "resolve") == 0 || strcmp(action, "escalate") == 0) {
		json_int_t id;
		if (opt->argc < 2 || parse_alert_id(opt->argv[1], &id) < 0)
			return usage("%s takes an ALERT_ID (a number, see `wfmon alerts list`)", action);
		const char *note = NULL;
		for (int i = 2; i < opt->argc; i++) {
			if (strcmp(opt->argv[i], "--note") == 0 && i + 1 < opt->argc && strcmp(action, "escalate") != 0)
				note = opt->argv[++i];
			else
				return usage("unexpected argument '%s'", opt->argv[i]);
		}
		req = json_pack("{s:s,s:s,s:s,s:I}", "type", "alert", "id", "cli", "action",
				strcmp(action, "ack") == 0 ? "acknowledge" : action, "alert_id", id);
		if (note != NULL)
			json_object_set_new(req, "note", json_string(note));
	} else if (strcmp(action, "schedules") == 0) {
		if (opt->argc != 1)
			return usage("schedules takes no arguments%s", "");
		req = json_pack("{s:s,s:s,s:s}", "type", "schedule", "id", "cli", "action", "list");
	} else if (strcmp(action, "schedule") == 0) {
		if (opt->argc != 2)
			return usage("schedule takes one FILE (or - for standard input)%s", "");
		json_t *sched = read_object(opt->argv[1]);
		if (sched == NULL)
			return 2;
		/* The daemon's own check first (whether the zone exists is the daemon's). */
		struct schedule checked;
		struct proto_cause sc;
		if (schedule_parse(sched, &checked, &sc) < 0)
			return refused_here("schedule", &sc, sched);
		req = save_request("schedule", sched);
	} else if (strcmp(action, "unschedule") == 0) {
		if (opt->argc != 2 || !proto_id_valid(opt->argv[1]))
			return usage("unschedule takes one WORKFLOW_ID%s", "");
		req = json_pack("{s:s,s:s,s:s,s:s}", "type", "schedule", "id", "cli", "action", "delete", "workflow_id",
				opt->argv[1]);
	} else if (want_list) {
		if (opt->argc != 1)
			return usage("list takes no arguments%s", "");
		req = json_pack("{s:s,s:s,s:s}", "type", "subscribe", "id", "cli", "room", "alerts");
	} else {
		return usage("unknown action '%s'", action);
	}

	struct wsl *c = cli_connect("alerts", opt->ep);
	if (c == NULL) {
		json_decref(req);
		return 1;
	}
	json_t *m = cli_ask(c, req, CLI_TIMEOUT_MS);
	json_decref(req);
	int rc = cli_answer_status("alerts", m, opt->json);
	if (rc == 0 && !opt->json) {
		const char *type = s_or(m, "type", "");
		if (strcmp(type, "subscribed") == 0)
			print_alerts(json_object_get(m, "snapshot"));
		else if (strcmp(type, "rules") == 0)
			print_rules(json_object_get(m, "rules"));
		else if (strcmp(type, "schedules") == 0)
			print_schedules(json_object_get(m, "schedules"));
		else if (strcmp(type, "schedule_saved") == 0)
			printf("saved the schedule of %s\n", s_or(json_object_get(m, "schedule"), "workflow_id", "?"));
		else if (strcmp(type, "rule_saved") == 0)
			printf("saved rule %s\n", s_or(json_object_get(m, "rule"), "id", "?"));
		else
			printf("done\n");
	}
	json_decref(m);
	cli_close(c);
	return rc;
}
