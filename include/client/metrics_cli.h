/* metrics_cli.h: `wfmon metrics`: performance figures from the command line.
 *
 *   wfmon metrics [--workflow NAME|ID] [--range 30d | --from T [--to T]]
 *                 [--bucket 1h] [--format table|csv|json]
 *
 * One "metrics" query (man/wfmon-protocol.7), printed for people (table, in
 * local time), as CSV or as JSON (metrics_data.h says how). Connection
 * options and the token lookup live in main.c. */
#ifndef WFMON_METRICS_CLI_H
#define WFMON_METRICS_CLI_H

#include <stdio.h>

enum metrics_format { METRICS_FMT_TABLE, METRICS_FMT_CSV, METRICS_FMT_JSON };

struct endpoint;

struct metrics_cli_options {
	const struct endpoint *ep;                            /* where and as whom (endpoint.h) */
	const char *workflow, *range, *from, *to, *bucket;   /* NULL: not given */
	enum metrics_format format;
};

/* 0 on success, 1 when the daemon refused or could not be reached. */
int metrics_cli_run(const struct metrics_cli_options *opt);
/* "table", "csv", "json" -> 0 and *out, or -1. */
int metrics_format_parse(const char *name, enum metrics_format *out);

#endif
