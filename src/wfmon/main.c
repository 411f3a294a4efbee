/* main.c: the `wfmon` command line: the table of subcommands, help and
 * version, `wfmon token`, and the console's own options (`wfmon` with no
 * subcommand, or only options, runs the console, ui_app.h; `wfmon open ID`
 * runs it on one execution). What the subcommands share (usage errors, the
 * link options, the config file, where the URL and the token come from) is
 * cmdline.h's; the other subcommands are in cmd_*.c. */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmdline.h"
#include "i18n.h"
#include "proto.h"
#include "token.h"
#include "ui_app.h"
#include "version.h"
#include "xalloc.h"

static int cmd_token(int argc, char **argv);
static int cmd_open(int argc, char **argv);

static const struct command commands[] = {
	{ "token", cmd_token,
	  "wfmon token --org ORG --sub USER --role ROLE [--ttl 1h] --secret-file FILE",
	  "mint a development token (HS256) and print it" },
	{ "tail", cmd_tail,
	  "wfmon tail [--url URL] [--token T | --token-file F | --token-command CMD] [--ca-file F] "
	  "[--since ROOM=SEQ]... ROOM...",
	  "print every message of the rooms as one JSON line, reconnecting as needed" },
	{ "alerts", cmd_alerts,
	  "wfmon alerts [--url URL] [--token T | --token-file F | --token-command CMD] [--ca-file F] "
	  "[--json] ACTION ...",
	  "list, acknowledge, resolve and escalate alerts; list and change alert rules" },
	{ "metrics", cmd_metrics,
	  "wfmon metrics [--url URL] [--token T | --token-file F | --token-command CMD] [--ca-file F]\n"
	  "                [--workflow NAME|ID]\n"
	  "                [--range 30d | --from T [--to T]] [--bucket 1h] [--format table|csv|json]",
	  "success rate, durations and trends over a range, as a table, CSV or JSON" },
	{ "open", cmd_open,
	  "wfmon open [console options] EXECUTION_ID",
	  "the console, opened on one execution (the command alert notifications give)" },
	{ "run", cmd_run,
	  "wfmon run --workflow ID [--name NAME] [--label K=V]... [--execution-id ID] [--log-rate N] [--no-log] "
	  "[--send-timeout S] [--quiet] [--url URL] [--token T | --token-file F] -- COMMAND [ARGS...]",
	  "run a command and report it as an execution (cron jobs, scripts)" },
	{ "step", cmd_step,
	  "wfmon step [--step-id ID] [--attempt N] [--execution-id ID --workflow ID] [--log-rate N] [--no-log] "
	  "[--send-timeout S] [--quiet] NAME -- COMMAND [ARGS...]",
	  "run a command as one step of the execution wfmon run reports" },
	{ "emit", cmd_emit,
	  "wfmon emit [--execution-id ID --workflow ID] [--send-timeout S] [--quiet] "
	  "(KIND [KEY=VALUE | KEY:=JSON]... | --json EVENT | - | --flush)",
	  "send one event (or NDJSON from standard input); --flush sends the outbox" },
	{ "dashboards", cmd_dashboards,
	  "wfmon dashboards [--url URL] [--token T | --token-file F | --token-command CMD] [--ca-file F] "
	  "[--json] ACTION ...",
	  "list, export, import, delete dashboards and mark the default one" },
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static void usage_print(FILE *f)
{
	fprintf(f, "usage:\n");
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "  %s\n", CONSOLE_USAGE);
	fprintf(f, "  wfmon --help | --version\n\ncommands:\n");
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		fprintf(f, "  %-7s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  (none)  the full-screen console (wfmon --help-console for its options)\n");
	fprintf(f, "\nrooms: org, queue, resources, alerts, control, execution:<id>, workflow:<id>\n"
		   "See wfmon(1).\n");
}

const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* ---- wfmon token ------------------------------------------------------------- */

static int cmd_token(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "org", required_argument, NULL, 'o' },
		{ "sub", required_argument, NULL, 's' },
		{ "role", required_argument, NULL, 'r' },
		{ "ttl", required_argument, NULL, 't' },
		{ "secret-file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct token_request req = { .ttl_s = 3600 };
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': req.org = optarg; break;
		case 's': req.sub = optarg; break;
		case 'r': req.role = optarg; break;
		case 'f': req.secret_file = optarg; break;
		case 't':
			if (token_parse_ttl(optarg, &req.ttl_s) != 0)
				return cmdline_usage_error("token", "--ttl '%s' is not a duration: write 90s, "
						   "15m, 1h, 7d or plain seconds", optarg);
			if (req.ttl_s > 366 * 86400)
				return cmdline_usage_error("token", "--ttl %s is longer than 366 days; "
						   "mint a shorter-lived token", optarg);
			break;
		case 'h':
			printf("usage: %s\n\n"
			       "  --org ORG          organization id the token grants access to\n"
			       "  --sub USER         who the token speaks for (1 to 128 characters)\n"
			       "  --role ROLE        viewer, operator, admin or producer\n"
			       "  --ttl DURATION     lifetime: 90s, 15m, 1h (default), 7d; at most 366d\n"
			       "  --secret-file FILE the daemon's HS256 secret (at least 32 bytes)\n",
			       commands[0].usage);
			return 0;
		case ':':
			return cmdline_usage_error("token", "%s needs a value", cmdline_bad_option(argv, optind));
		default:
			return cmdline_usage_error("token", "unknown option %s", cmdline_bad_option(argv, optind));
		}
	}
	if (optind < argc)
		return cmdline_usage_error("token", "unexpected argument '%s'", argv[optind]);
	static const struct {
		const char *opt;
		size_t offset;
		const char *what;
	} required[] = {
		{ "--org", offsetof(struct token_request, org), "the organization id" },
		{ "--sub", offsetof(struct token_request, sub), "the user the token is for" },
		{ "--role", offsetof(struct token_request, role), "viewer, operator, admin or producer" },
		{ "--secret-file", offsetof(struct token_request, secret_file),
		  "the daemon's HS256 secret file" },
	};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (*(const char *const *)((const char *)&req + required[i].offset) == NULL)
			return cmdline_usage_error("token", "%s is required (%s)", required[i].opt,
					   required[i].what);

	req.now_s = (int64_t)time(NULL);
	char cause[512];
	char *tok = token_mint(&req, cause, sizeof cause);
	if (tok == NULL) {
		fprintf(stderr, "wfmon token: %s\n", cause);
		return 1;
	}
	int rc = printf("%s\n", tok) < 0 || fflush(stdout) != 0 ? 1 : 0;
	if (rc != 0)
		fprintf(stderr, "wfmon token: cannot write the token: %s\n", strerror(errno));
	explicit_bzero(tok, strlen(tok));
	free(tok);
	return rc;
}

/* ---- the console --------------------------------------------------------------- */

static void console_help(void)
{
	printf("usage: %s\n\n" LINK_HELP
	       "  --theme NAME         colour theme (default: the config file's theme, then\n"
	       "                       \"default\"); see wfmon-themes(5)\n"
	       "  --ascii              ASCII symbols only (automatic outside UTF-8 locales)\n"
	       "  --mono               no colours (also when NO_COLOR is set)\n"
	       "  --readonly           no actions that change anything\n"
	       "  --no-bell            no beep or flash for new alerts\n"
	       "  --stale-after SECS   show a running execution silent this long as stale\n"
	       "                       (default 120)\n"
	       "  --exec ID            open this execution first\n"
	       "  --view V             the first view: dashboard (the default dashboard, the\n"
	       "                       default) or executions\n\n"
	       "Keys: ? in the console lists them. See wfmon(1).\n", CONSOLE_USAGE);
}

static int cmd_console(int argc, char **argv)
{
	static const struct option longopts[] = {
		LINK_LONGOPTS,
		{ "theme", required_argument, NULL, 'T' },
		{ "ascii", no_argument, NULL, 'a' },
		{ "mono", no_argument, NULL, 'm' },
		{ "readonly", no_argument, NULL, 'r' },
		{ "no-bell", no_argument, NULL, 'B' },
		{ "stale-after", required_argument, NULL, 's' },
		{ "exec", required_argument, NULL, 'e' },
		{ "view", required_argument, NULL, 'V' },
		{ "help-console", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct console_options co = { .stale_after_s = 120 };
	struct link_opts lo = { 0 };
	const char *opt_theme = NULL;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (cmdline_link_opt(&lo, c, optarg))
			continue;
		switch (c) {
		case 'T': opt_theme = optarg; break;
		case 'a': co.ascii = true; break;
		case 'm': co.mono = true; break;
		case 'r': co.readonly = true; break;
		case 'B': co.no_bell = true; break;
		case 'V':
			if (strcmp(optarg, "dashboard") == 0)
				co.view = CONSOLE_VIEW_DASHBOARD;
			else if (strcmp(optarg, "executions") == 0)
				co.view = CONSOLE_VIEW_EXECUTIONS;
			else
				return cmdline_usage_error(NULL, "--view '%s': choose dashboard or executions", optarg);
			break;
		case 's': {
			char *end;
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v < 1 || v > 86400 * 7)
				return cmdline_usage_error(NULL, "--stale-after '%s' must be whole seconds from 1 "
							   "to 604800", optarg);
			co.stale_after_s = (int)v;
			break;
		}
		case 'e':
			if (!proto_id_valid(optarg))
				return cmdline_usage_error(NULL, "--exec '%s' is not an execution id", optarg);
			co.exec_id = optarg;
			break;
		case 'h':
			console_help();
			return 0;
		case ':':
			return cmdline_usage_error(NULL, "%s needs a value", cmdline_bad_option(argv, optind));
		default:
			return cmdline_usage_error(NULL, "unknown option %s (wfmon --help lists the commands)",
						   cmdline_bad_option(argv, optind));
		}
	}
	if (optind < argc)
		return cmdline_usage_error(NULL, "unknown command '%s'; run wfmon --help for the commands",
					   argv[optind]);

	struct endpoint ep;
	char *theme = NULL;
	int status = cmdline_endpoint(NULL, &lo, &ep, &theme);
	if (status != 0)
		return status;
	i18n_init();
	co.url = ep.url;
	co.ep = &ep;
	co.warning = cmdline_cleartext_warn(NULL, &ep);
	co.theme = opt_theme ? opt_theme : theme;
	int rc = console_run(&co);
	endpoint_clear(&ep);
	free(theme);
	return rc;
}

/* ---- wfmon open ----------------------------------------------------------------- */

/* The console on one execution: the options are the console's, the id comes
 * last, so that "wfmon open ID" pasted from a notification just works. */
static int cmd_open(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: %s\n\nOpens the console on the execution; the options are the console's "
		       "(wfmon --help-console).\n", command_find("open")->usage);
		return 0;
	}
	if (argc < 2 || argv[argc - 1][0] == '-')
		return cmdline_usage_error("open", "name the execution to open, as in: wfmon open ex-42");
	const char *id = argv[argc - 1];
	if (!proto_id_valid(id))
		return cmdline_usage_error("open", "'%s' is not an execution id (1 to %d characters of A-Z a-z 0-9 _ . : -)",
				   id, PROTO_MAX_ID);
	char **args = xcalloc((size_t)argc + 3, sizeof *args);
	int n = 0;
	args[n++] = (char *)"wfmon";
	for (int i = 1; i < argc - 1; i++)
		args[n++] = argv[i];
	args[n++] = (char *)"--exec";
	args[n++] = (char *)id;
	int rc = cmd_console(n, args);
	free(args);
	return rc;
}

/* ---- Entry ------------------------------------------------------------------- */

/* Tables in the commands' output are fitted by display width (utf8.h),
 * which needs a UTF-8 character type whatever the environment says. */
static void ctype_utf8(void)
{
	const char *cs = setlocale(LC_CTYPE, "") != NULL ? nl_langinfo(CODESET) : NULL;
	if (cs == NULL || strcmp(cs, "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");
}

int main(int argc, char **argv)
{
	ctype_utf8();
	if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "--help") != 0 &&
			 strcmp(argv[1], "-h") != 0 && strcmp(argv[1], "--version") != 0 &&
			 strcmp(argv[1], "-V") != 0))
		return cmd_console(argc, argv);
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		usage_print(stdout);
		return 0;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
		fputs(VERSION_LINE("wfmon"), stdout);
		return 0;
	}
	const struct command *cmd = command_find(name);
	if (cmd == NULL) {
		fprintf(stderr, "wfmon: unknown %s '%s'; run wfmon --help for the commands\n",
			name[0] == '-' ? "option" : "command", name);
		return EXIT_USAGE;
	}
	return cmd->run(argc - 1, argv + 1);
}
