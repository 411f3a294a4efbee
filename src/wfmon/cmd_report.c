/* cmd_report.c: `wfmon run`, `wfmon step` and `wfmon emit`: their options
 * (one table, each option marked with the commands that take it) and the
 * rule that a command given to run still runs when it cannot be reported;
 * the reporting is run_cli.h's. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "proto.h"
#include "run_cli.h"

/* ---- run, step, emit ------------------------------------------------------------- */

enum { RO_URL = 1000, RO_TOKEN, RO_TOKEN_FILE, RO_CA_FILE, RO_WORKFLOW, RO_NAME, RO_EXEC, RO_LABEL, RO_LOG_RATE, RO_NO_LOG,
       RO_SEND_TIMEOUT, RO_QUIET, RO_STEP_ID, RO_ATTEMPT, RO_JSON, RO_FLUSH, RO_HELP };

/* Options of run, step and emit; which command takes which is in `only`. */
static const struct {
	struct option opt;
	const char *only;    /* NULL: all three */
} report_options[] = {
	{ { "url", required_argument, NULL, RO_URL }, NULL },
	{ { "token", required_argument, NULL, RO_TOKEN }, NULL },
	{ { "token-file", required_argument, NULL, RO_TOKEN_FILE }, NULL },
	{ { "ca-file", required_argument, NULL, RO_CA_FILE }, NULL },
	{ { "workflow", required_argument, NULL, RO_WORKFLOW }, NULL },
	{ { "execution-id", required_argument, NULL, RO_EXEC }, NULL },
	{ { "send-timeout", required_argument, NULL, RO_SEND_TIMEOUT }, NULL },
	{ { "quiet", no_argument, NULL, RO_QUIET }, NULL },
	{ { "help", no_argument, NULL, RO_HELP }, NULL },
	{ { "name", required_argument, NULL, RO_NAME }, "run" },
	{ { "label", required_argument, NULL, RO_LABEL }, "run" },
	{ { "log-rate", required_argument, NULL, RO_LOG_RATE }, "run step" },
	{ { "no-log", no_argument, NULL, RO_NO_LOG }, "run step" },
	{ { "step-id", required_argument, NULL, RO_STEP_ID }, "step" },
	{ { "attempt", required_argument, NULL, RO_ATTEMPT }, "step" },
	{ { "json", required_argument, NULL, RO_JSON }, "emit" },
	{ { "flush", no_argument, NULL, RO_FLUSH }, "emit" },
};
#define REPORT_OPTIONS (sizeof report_options / sizeof report_options[0])

static bool option_for(const char *cmd, size_t i)
{
	const char *only = report_options[i].only;
	if (only == NULL)
		return true;
	size_t n = strlen(cmd);
	for (const char *p = strstr(only, cmd); p != NULL; p = strstr(p + 1, cmd))
		if ((p == only || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return true;
	return false;
}

static int parse_seconds(const char *cmd, const char *opt, const char *arg, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !(v >= min && v <= max))
		return cmdline_usage_error(cmd, "%s '%s' must be a number from %g to %g", opt, arg, min, max);
	*out = v;
	return 0;
}

/* Parses the options of run, step or emit into *o (labels into o->labels);
 * o->argc and o->argv get what follows them. 0, -1 after --help, or the
 * exit status of a usage error. */
static int report_parse(const char *cmd, int argc, char **argv, struct run_cli_options *o, struct link_opts *lo)
{
	struct option longopts[REPORT_OPTIONS + 1];
	size_t n = 0;
	for (size_t i = 0; i < REPORT_OPTIONS; i++)
		if (option_for(cmd, i))
			longopts[n++] = report_options[i].opt;
	memset(&longopts[n], 0, sizeof longopts[n]);
	o->log_rate = RUN_DEFAULT_LOG_RATE;
	o->send_timeout_ms = RUN_DEFAULT_SEND_TIMEOUT_MS;
	int c;
	double v;
	char cause[256];
	opterr = 0;
	optind = 1;
	/* "+": options stop at the first word that is not one (the command). */
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case RO_URL: lo->url = optarg; break;
		case RO_TOKEN: lo->token = optarg; o->token_given = true; break;
		case RO_TOKEN_FILE: lo->token_file = optarg; o->token_file = optarg; break;
		case RO_CA_FILE: lo->ca_file = optarg; break;
		case RO_WORKFLOW:
			if (!proto_id_valid(optarg))
				return cmdline_usage_error(cmd, "--workflow '%s' must be a workflow id: 1 to %d characters of "
						   "A-Z a-z 0-9 _ . : - (give a display name with --name)", optarg, PROTO_MAX_ID);
			o->workflow_id = optarg;
			break;
		case RO_NAME:
			if (optarg[0] == '\0' || strlen(optarg) > PROTO_MAX_NAME)
				return cmdline_usage_error(cmd, "--name must be 1 to %d bytes", PROTO_MAX_NAME);
			o->workflow_name = optarg;
			break;
		case RO_EXEC:
			if (!proto_id_valid(optarg))
				return cmdline_usage_error(cmd, "--execution-id '%s' must be 1 to %d characters of A-Z a-z 0-9 _ . : -",
						   optarg, PROTO_MAX_ID);
			o->execution_id = optarg;
			break;
		case RO_STEP_ID:
			if (!proto_id_valid(optarg))
				return cmdline_usage_error(cmd, "--step-id '%s' must be 1 to %d characters of A-Z a-z 0-9 _ . : -",
						   optarg, PROTO_MAX_ID);
			o->step_id = optarg;
			break;
		case RO_LABEL:
			if (run_cli_label(o->labels, optarg, cause, sizeof cause) < 0)
				return cmdline_usage_error(cmd, "%s", cause);
			break;
		case RO_LOG_RATE:
			if (parse_seconds(cmd, "--log-rate", optarg, 0.1, 10000, &o->log_rate) != 0)
				return EXIT_USAGE;
			break;
		case RO_NO_LOG: o->no_log = true; break;
		case RO_SEND_TIMEOUT:
			if (parse_seconds(cmd, "--send-timeout", optarg, 0, 3600, &v) != 0)
				return EXIT_USAGE;
			o->send_timeout_ms = (int)(v * 1000);
			break;
		case RO_QUIET: o->quiet = true; break;
		case RO_ATTEMPT:
			if (parse_seconds(cmd, "--attempt", optarg, 1, PROTO_MAX_ATTEMPT, &v) != 0 || v != (int)v)
				return cmdline_usage_error(cmd, "--attempt must be a whole number from 1 to %d", PROTO_MAX_ATTEMPT);
			o->attempt = (int)v;
			break;
		case RO_JSON: o->json = optarg; break;
		case RO_FLUSH: o->flush = true; break;
		case 'h':
		case RO_HELP:
			printf("usage: %s\nSee wfmon(1).\n", command_find(cmd)->usage);
			return -1;   /* done: exit 0 */
		case ':':
			return cmdline_usage_error(cmd, "%s needs a value", cmdline_bad_option(argv, optind));
		default:
			return cmdline_usage_error(cmd, "unknown option %s", cmdline_bad_option(argv, optind));
		}
	}
	o->argc = argc - optind;
	o->argv = argv + optind;
	return 0;
}

/* Parses, resolves the endpoint and runs one of the three. */
static int report_command(const char *cmd, int argc, char **argv, int (*run)(const struct run_cli_options *))
{
	struct run_cli_options o = { .labels = json_object() };
	struct link_opts lo = { 0 };
	int status = report_parse(cmd, argc, argv, &o, &lo);
	if (status != 0) {
		json_decref(o.labels);
		return status < 0 ? 0 : status;
	}
	if (strcmp(cmd, "step") == 0) {
		if (o.argc < 1 || strcmp(o.argv[0], "--") == 0) {
			json_decref(o.labels);
			return cmdline_usage_error(cmd, "the step's NAME comes first");
		}
		o.step_name = o.argv[0];
		o.argc--;
		o.argv++;
	}
	if (strcmp(cmd, "emit") != 0) {
		if (o.argc > 0 && strcmp(o.argv[0], "--") == 0) {
			o.argc--;
			o.argv++;
		}
		if (o.argc < 1) {
			json_decref(o.labels);
			return cmdline_usage_error(cmd, "no command to run: give it after --");
		}
	}
	if (strcmp(cmd, "run") == 0 && o.workflow_id == NULL) {
		json_decref(o.labels);
		return cmdline_usage_error(cmd, "--workflow is required: the workflow this command is an execution of");
	}
	struct endpoint ep;
	status = cmdline_endpoint(cmd, &lo, &ep, NULL);
	if (status != 0) {
		json_decref(o.labels);
		/* A command that was to run still runs: monitoring must not stop a job. */
		if (strcmp(cmd, "emit") != 0) {
			fprintf(stderr, "wfmon %s: running the command without reporting it\n", cmd);
			fflush(stderr);
			execvp(o.argv[0], o.argv);
			fprintf(stderr, "wfmon %s: cannot run '%s': %s\n", cmd, o.argv[0], strerror(errno));
			return errno == ENOENT ? 127 : 126;
		}
		return status;
	}
	o.url = ep.url;
	o.host = ep.where.host;
	o.port = ep.where.port;
	o.path = ep.where.path;
	o.token = tokensrc_token(ep.token);
	int rc = -1;
	if (ep.where.tls) {
		char cause[512];
		o.tls = tlsc_ctx_new(&ep.tls, cause, sizeof cause);
		o.tls_ca_file = ep.tls.ca_file;
		if (o.tls == NULL) {
			fprintf(stderr, "wfmon %s: %s\n", cmd, cause);
			rc = EXIT_USAGE;
		}
	}
	if (rc == -1)
		rc = run(&o);
	SSL_CTX_free(o.tls);
	endpoint_clear(&ep);
	json_decref(o.labels);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	return report_command("run", argc, argv, run_cli_run);
}

int cmd_step(int argc, char **argv)
{
	return report_command("step", argc, argv, run_cli_step);
}

int cmd_emit(int argc, char **argv)
{
	return report_command("emit", argc, argv, run_cli_emit);
}

