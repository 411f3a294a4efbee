/* metrics_cli.c: `wfmon metrics` (see metrics_cli.h): one connection, one
 * query, the answer printed as a table, CSV or JSON. */
#include "metrics_cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_request.h"
#include "fmt.h"
#include "metrics.h"
#include "metrics_data.h"

int metrics_format_parse(const char *name, enum metrics_format *out)
{
	static const char *const names[] = { "table", "csv", "json" };
	for (int i = 0; i < 3; i++)
		if (strcmp(name, names[i]) == 0) {
			*out = (enum metrics_format)i;
			return 0;
		}
	return -1;
}

/* ---- the table --------------------------------------------------------------------------- */

static void dur(int64_t ms, char *buf, size_t len)
{
	fmt_duration(FMT_EN, (double)ms, buf, len);
}

static void change(double v, const char *unit, char *buf, size_t len)
{
	if (isnan(v)) {
		snprintf(buf, len, "-");
		return;
	}
	char d[FMT_MAX];
	fmt_number(FMT_EN, fabs(v), 1, d, sizeof d);
	snprintf(buf, len, "%s%s %s", v > 0 ? "+" : v < 0 ? "-" : "", d, unit);
}

static void line(const char *label, const char *cur, const char *prev, const char *chg)
{
	printf("  %-14s %14s %14s   %s\n", label, cur, prev, chg);
}

static void print_summary(const struct metrics_data *d)
{
	const struct md_figures *c = &d->summary, *p = &d->previous;
	char a[FMT_MAX], b[FMT_MAX], x[FMT_MAX + 24];
	printf("\n  %-14s %14s %14s   %s\n", "", "this period", "previous", "change");
	snprintf(a, sizeof a, "%lld", (long long)c->runs);
	snprintf(b, sizeof b, "%lld", (long long)p->runs);
	change(d->change.runs_per_hour_pct, "% per hour", x, sizeof x);
	line("runs", a, b, x);
	metrics_format_percent(FMT_EN, c->success_rate, a, sizeof a);
	metrics_format_percent(FMT_EN, p->success_rate, b, sizeof b);
	change(d->change.success_points, "points", x, sizeof x);
	line("success rate", a, b, x);
	static const struct {
		const char *label;
		size_t cur;
		size_t chg;
	} durs[] = {
		{ "p50", offsetof(struct md_figures, p50_ms), offsetof(struct md_change, p50_pct) },
		{ "p95", offsetof(struct md_figures, p95_ms), offsetof(struct md_change, p95_pct) },
		{ "p99", offsetof(struct md_figures, p99_ms), offsetof(struct md_change, p99_pct) },
	};
	dur(c->avg_ms < 0 ? -1 : llround(c->avg_ms), a, sizeof a);
	dur(p->avg_ms < 0 ? -1 : llround(p->avg_ms), b, sizeof b);
	change(d->change.avg_pct, "%", x, sizeof x);
	line("average", a, b, x);
	for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++) {
		dur(*(const int64_t *)((const char *)c + durs[i].cur), a, sizeof a);
		dur(*(const int64_t *)((const char *)p + durs[i].cur), b, sizeof b);
		change(*(const double *)((const char *)&d->change + durs[i].chg), "%", x, sizeof x);
		line(durs[i].label, a, b, x);
	}
	char h[FMT_MAX], dd[FMT_MAX], w[FMT_MAX];
	fmt_number(FMT_EN, c->per_hour, 1, h, sizeof h);
	fmt_number(FMT_EN, c->per_day, 1, dd, sizeof dd);
	fmt_number(FMT_EN, c->per_week, 1, w, sizeof w);
	printf("  %-14s %s per hour, %s per day, %s per week\n", "executions", h, dd, w);
	dur(c->avg_wait_ms < 0 ? -1 : llround(c->avg_wait_ms), a, sizeof a);
	printf("  %-14s %s on average\n", "queue wait", a);
}

static void print_degradation(const struct md_degradation *g)
{
	if (!g->present)
		return;
	char a[48], b[48];
	if (!g->decidable) {
		printf("\n  Degradation: not enough runs to judge (%lld in the last %d h, %lld in the %d days before; "
		       "%lld needed on each side)\n", (long long)g->recent.runs, g->window_hours,
		       (long long)g->baseline.runs, g->baseline_days, (long long)g->min_runs);
		return;
	}
	printf("\n  %s\n", g->degraded ? "Performance degradation detected" : "Degradation: none");
	dur(g->recent.p95_ms, a, sizeof a);
	dur(g->baseline.p95_ms, b, sizeof b);
	printf("    p95 %s over the last %d h against %s over the %d days before (margin %.0f %%)%s\n", a,
	       g->window_hours, b, g->baseline_days, g->p95_margin, g->p95 ? "  <- degraded" : "");
	metrics_format_percent(FMT_EN, g->recent.success_rate, a, sizeof a);
	metrics_format_percent(FMT_EN, g->baseline.success_rate, b, sizeof b);
	printf("    success rate %s against %s (margin %.0f points)%s\n", a, b, g->success_margin,
	       g->success ? "  <- degraded" : "");
}

static void print_rows(const struct metrics_data *d)
{
	if (d->nrows == 0)
		return;
	printf("\n  %-30s %8s %9s %9s %9s %9s %9s %11s\n", d->steps ? "STEP" : "WORKFLOW", "RUNS", "SUCCESS", "AVG",
	       "P50", "P95", "P99", "P95 CHANGE");
	for (size_t i = 0; i < d->nrows; i++) {
		const struct md_row *r = &d->rows[i];
		char s[48], a[32], p50[32], p95[32], p99[32], c[48];
		metrics_format_percent(FMT_EN, r->cur.success_rate, s, sizeof s);
		dur(r->cur.avg_ms < 0 ? -1 : llround(r->cur.avg_ms), a, sizeof a);
		dur(r->cur.p50_ms, p50, sizeof p50);
		dur(r->cur.p95_ms, p95, sizeof p95);
		dur(r->cur.p99_ms, p99, sizeof p99);
		change(r->change.p95_pct, "%", c, sizeof c);
		printf("  %-30.30s %8lld %9s %9s %9s %9s %9s %11s%s\n", r->name[0] ? r->name : r->id,
		       (long long)r->cur.runs, s, a, p50, p95, p99, c, r->deg.degraded ? "  DEGRADED" : "");
	}
}

static void print_trend(const struct metrics_data *d)
{
	if (d->npoints == 0)
		return;
	const char *b = metrics_bucket_name(d->bucket_ms);
	printf("\n  TREND (buckets of %s, local time)\n  %-16s %8s %9s %9s %9s\n", b ? b : "?", "START", "RUNS", "SUCCESS", "P50",
	       "P95");
	for (size_t i = 0; i < d->npoints; i++) {
		const struct md_point *p = &d->trend[i];
		char t[32], s[48], p50[32], p95[32];
		metrics_time_local(p->start_ms, t, sizeof t);
		metrics_format_percent(FMT_EN, p->f.success_rate, s, sizeof s);
		dur(p->f.p50_ms, p50, sizeof p50);
		dur(p->f.p95_ms, p95, sizeof p95);
		printf("  %-16s %8lld %9s %9s %9s\n", t, (long long)p->f.runs, s, p50, p95);
	}
}

static void print_table(const struct metrics_data *d)
{
	char a[32], b[32], c[32], e[32];
	int64_t end = d->now_ms > 0 && d->now_ms < d->to_ms ? d->now_ms : d->to_ms;
	metrics_time_local(d->from_ms, a, sizeof a);
	metrics_time_local(end, b, sizeof b);
	metrics_time_local(d->prev_from_ms, c, sizeof c);
	metrics_time_local(d->prev_to_ms, e, sizeof e);
	const char *bk = metrics_bucket_name(d->bucket_ms);
	if (d->workflow_id[0])
		printf("Workflow: %s (%s)\n", d->workflow_name, d->workflow_id);
	else
		printf("All workflows\n");
	printf("Period:   %s to %s (buckets of %s, local time)\n", a, b, bk ? bk : "?");
	printf("Compared: %s to %s%s\n", c, e, d->prev_complete ? "" : " (partly older than the rollups kept)");
	if (d->behind)
		printf("Note: the rollups are still catching up with stored events; figures may be short.\n");
	if (d->has_summary)
		print_summary(d);
	print_degradation(&d->deg);
	print_rows(d);
	print_trend(d);
}

int metrics_cli_run(const struct metrics_cli_options *opt)
{
	json_t *req = metrics_request_new("cli", opt->workflow, opt->range, opt->from, opt->to, opt->bucket);
	struct wsl *c = cli_connect("metrics", opt->ep);
	if (c == NULL) {
		json_decref(req);
		return 1;
	}
	json_t *m = cli_ask(c, req, 60000);
	json_decref(req);
	cli_close(c);
	if (m == NULL) {
		fprintf(stderr, "wfmon metrics: no answer from the daemon\n");
		return 1;
	}
	const char *type = json_string_value(json_object_get(m, "type"));
	if (type != NULL && strcmp(type, "error") == 0) {
		const char *field = json_string_value(json_object_get(m, "field"));
		fprintf(stderr, "wfmon metrics: %s%s%s: %s\n", json_string_value(json_object_get(m, "code")) ?: "error",
			field ? " at " : "", field ? field : "", json_string_value(json_object_get(m, "message")) ?: "");
		json_decref(m);
		return 1;
	}
	struct metrics_data d;
	metrics_data_init(&d);
	char err[128];
	if (metrics_data_parse(&d, json_object_get(m, "data"), err, sizeof err) != 0) {
		fprintf(stderr, "wfmon metrics: unexpected answer: %s\n", err);
		json_decref(m);
		return 1;
	}
	json_decref(m);
	int rc = 0;
	switch (opt->format) {
	case METRICS_FMT_CSV:
		rc = metrics_export_csv(&d, stdout);
		break;
	case METRICS_FMT_JSON:
		rc = metrics_export_json(&d, stdout);
		break;
	case METRICS_FMT_TABLE:
		print_table(&d);
		rc = fflush(stdout) == 0 ? 0 : -1;
		break;
	}
	metrics_data_free(&d);
	if (rc != 0) {
		fprintf(stderr, "wfmon metrics: cannot write the output\n");
		return 1;
	}
	return 0;
}
