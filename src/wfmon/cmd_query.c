/* cmd_query.c: the subcommands that ask the daemon and print its answer:
 * `wfmon alerts`, `wfmon dashboards` and `wfmon metrics` (their options; the
 * actions are alerts_cli.h's, dashboards_cli.h's and metrics_cli.h's). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "alerts_cli.h"
#include "cli_request.h"
#include "cmdline.h"
#include "dashboards_cli.h"
#include "metrics_cli.h"

/* ---- alerts ---------------------------------------------------------------------- */

/* A subcommand of the shape `wfmon CMD [link options] [--json] ACTION ...`:
 * its options, then run(ep, json, argc, argv) on the action and what follows. */
static int action_tool(int argc, char **argv, const char *cmd, void (*usage_fn)(FILE *),
		       int (*run)(const struct cli_action_options *opt))
{
	static const struct option longopts[] = {
		LINK_LONGOPTS,
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct link_opts lo = { 0 };
	bool json_out = false;
	int c;
	opterr = 0;
	optind = 1;
	/* "+": options stop at the action, whose own arguments follow (e.g. --note). */
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		if (cmdline_link_opt(&lo, c, optarg))
			continue;
		switch (c) {
		case 'j': json_out = true; break;
		case 'h':
			usage_fn(stdout);
			return 0;
		case ':':
			return cmdline_usage_error(cmd, "%s needs a value", cmdline_bad_option(argv, optind));
		default:
			return cmdline_usage_error(cmd, "unknown option %s", cmdline_bad_option(argv, optind));
		}
	}
	if (optind >= argc) {
		usage_fn(stderr);
		return EXIT_USAGE;
	}
	struct endpoint ep;
	int status = cmdline_endpoint(cmd, &lo, &ep, NULL);
	if (status != 0)
		return status;
	cmdline_cleartext_warn(cmd, &ep);
	struct cli_action_options o = { .ep = &ep, .json = json_out, .argc = argc - optind, .argv = argv + optind };
	int rc = run(&o);
	endpoint_clear(&ep);
	return rc;
}

int cmd_alerts(int argc, char **argv)
{
	return action_tool(argc, argv, "alerts", alerts_cli_usage, alerts_cli_run);
}

int cmd_dashboards(int argc, char **argv)
{
	return action_tool(argc, argv, "dashboards", dashboards_cli_usage, dashboards_cli_run);
}

/* ---- metrics ---------------------------------------------------------------------- */

int cmd_metrics(int argc, char **argv)
{
	static const struct option longopts[] = {
		LINK_LONGOPTS,
		{ "workflow", required_argument, NULL, 'w' },
		{ "range", required_argument, NULL, 'r' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "bucket", required_argument, NULL, 'b' },
		{ "format", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct link_opts lo = { 0 };
	struct metrics_cli_options mo = { .format = METRICS_FMT_TABLE };
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (cmdline_link_opt(&lo, c, optarg))
			continue;
		switch (c) {
		case 'w': mo.workflow = optarg; break;
		case 'r': mo.range = optarg; break;
		case 'F': mo.from = optarg; break;
		case 'T': mo.to = optarg; break;
		case 'b': mo.bucket = optarg; break;
		case 'o':
			if (metrics_format_parse(optarg, &mo.format) != 0)
				return cmdline_usage_error("metrics", "--format '%s': choose table, csv or json", optarg);
			break;
		case 'h':
			printf("usage: %s\n\n"
			       "  --workflow NAME|ID  one workflow (default: all of them)\n"
			       "  --range R           the last R: 1h, 24h, 7d, 30d, 90d, 1y, or N with m, h, d, w, y\n"
			       "                      (default 24h)\n"
			       "  --from T, --to T    a period instead (RFC 3339, e.g. 2026-11-01T00:00:00+01:00;\n"
			       "                      --to defaults to now)\n"
			       "  --bucket B          trend buckets: 1m, 5m, 15m, 1h, 1d, 1w (default: fits the range)\n"
			       "  --format F          table (default), csv or json\n\n"
			       "Figures and their definitions: wfmon(1), METRICS.\n", command_find("metrics")->usage);
			return 0;
		case ':':
			return cmdline_usage_error("metrics", "%s needs a value", cmdline_bad_option(argv, optind));
		default:
			return cmdline_usage_error("metrics", "unknown option %s", cmdline_bad_option(argv, optind));
		}
	}
	if (optind < argc)
		return cmdline_usage_error("metrics", "unexpected argument '%s'", argv[optind]);
	if (mo.range != NULL && (mo.from != NULL || mo.to != NULL))
		return cmdline_usage_error("metrics", "give --range or --from (and --to), not both");
	if (mo.to != NULL && mo.from == NULL)
		return cmdline_usage_error("metrics", "--to needs --from");
	struct endpoint ep;
	int status = cmdline_endpoint("metrics", &lo, &ep, NULL);
	if (status != 0)
		return status;
	cmdline_cleartext_warn("metrics", &ep);
	mo.ep = &ep;
	int rc = metrics_cli_run(&mo);
	endpoint_clear(&ep);
	return rc;
}

