/* main.c: the `wfmon` command line.
 *
 * Owns argument parsing, the command table, and where settings come from:
 * the token (--token, --token-file, --token-command, $WFMON_TOKEN, the
 * config file's "token", "token-file" or "token-command"), the URL (--url,
 * $WFMON_URL, the config file's "url", the default), the TLS trust and
 * client certificate (--ca-file, --cert, --key, or the config file's
 * "ca-file", "cert", "key"), and the config file itself
 * ($XDG_CONFIG_HOME/wfmon/config or ~/.config/wfmon/config, "key = value"
 * lines, # comments). Invariants: exit status 2 means the command line or the
 * config file was wrong, and every message names what was wrong and what to
 * do; no message ever contains a token; a token bound for another host over
 * ws:// is warned about before it is sent. With no subcommand (or only
 * options) it runs the console (ui_app.h). */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "proto.h"
#include "alerts_cli.h"
#include "cli_request.h"
#include "dashboards_cli.h"
#include "conffile.h"
#include "endpoint.h"
#include "run_cli.h"
#include "keyfile.h"
#include "metrics_cli.h"
#include "tail.h"
#include "ui_app.h"
#include "token.h"
#include "version.h"
#include "wsurl.h"
#include "xalloc.h"

#define EXIT_USAGE 2
#define DEFAULT_URL WS_URL_EXAMPLE
#define MAX_CONFIG_FILE (64 * 1024)

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
	const char *summary;
};

#define CONSOLE_USAGE \
	"wfmon [--url URL] [--token T | --token-file F | --token-command CMD] [--ca-file F] " \
	"[--theme NAME] [--ascii] [--mono] [--readonly] [--no-bell] [--stale-after SECONDS] [--exec ID] " \
	"[--view dashboard|executions]"

static int cmd_token(int argc, char **argv);
static int cmd_tail(int argc, char **argv);
static int cmd_alerts(int argc, char **argv);
static int cmd_metrics(int argc, char **argv);
static int cmd_open(int argc, char **argv);
static int cmd_run(int argc, char **argv);
static int cmd_step(int argc, char **argv);
static int cmd_emit(int argc, char **argv);
static int cmd_dashboards(int argc, char **argv);

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

static const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* Prints "wfmon CMD: MESSAGE" and the way to get help; returns EXIT_USAGE. */
static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The console's own usage errors (there is no command name to show). */
static int console_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "wfmon %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n(wfmon %s --help for more)\n", command_find(cmd)->usage, cmd);
	return EXIT_USAGE;
}

/* The option getopt refused, for a message: "--x", "-x", or "--x=..." as given. */
static const char *bad_option(char **argv, int optind_after)
{
	return argv[optind_after - 1];
}

/* ---- The config file ---------------------------------------------------------- */

struct config {
	char path[4096];
	bool loaded;
	char *token;
	char *token_file;
	char *token_command;
	char *url;
	char *theme;
	char *ca_file;
	char *cert;
	char *key;
};

/* The keys this file knows; others are left for the console (which reads the
 * same file) and ignored here. */
static const struct {
	const char *key;
	size_t offset;
} config_keys[] = {
	{ "token", offsetof(struct config, token) },
	{ "token-file", offsetof(struct config, token_file) },
	{ "token-command", offsetof(struct config, token_command) },
	{ "url", offsetof(struct config, url) },
	{ "theme", offsetof(struct config, theme) },
	{ "ca-file", offsetof(struct config, ca_file) },
	{ "cert", offsetof(struct config, cert) },
	{ "key", offsetof(struct config, key) },
};
#define CONFIG_KEY_COUNT (sizeof config_keys / sizeof config_keys[0])

static void config_path(struct config *cfg)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	if (xdg != NULL && xdg[0] == '/') {
		snprintf(cfg->path, sizeof cfg->path, "%s/wfmon/config", xdg);
		return;
	}
	const char *home = getenv("HOME");
	if (home == NULL || home[0] == '\0') {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : "/";
	}
	snprintf(cfg->path, sizeof cfg->path, "%s/.config/wfmon/config", home);
}

static void config_clear(struct config *cfg)
{
	if (cfg->token)
		explicit_bzero(cfg->token, strlen(cfg->token));
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		char **slot = (char **)((char *)cfg + config_keys[i].offset);
		free(*slot);
		*slot = NULL;
	}
}

static int config_pair(const char *key, const char *value, void *arg, char *why, size_t whylen)
{
	(void)why;
	(void)whylen;
	struct config *cfg = arg;
	for (size_t i = 0; i < CONFIG_KEY_COUNT; i++) {
		if (strcmp(key, config_keys[i].key) != 0)
			continue;
		char **slot = (char **)((char *)cfg + config_keys[i].offset);
		free(*slot);
		*slot = value[0] ? xstrdup(value) : NULL;
	}
	return 0;
}

/* Loads the config file once; a missing file is an empty config. Returns 0, or
 * -1 after printing what is wrong with it. */
static int config_load(struct config *cfg)
{
	if (cfg->loaded)
		return 0;
	cfg->loaded = true;
	config_path(cfg);
	char cause[512];
	if (conffile_load(cfg->path, MAX_CONFIG_FILE, "\"key = value\"; fix or remove the line",
			  config_pair, cfg, cause, sizeof cause) == 0)
		return 0;
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	fprintf(stderr, "wfmon: config file %s\n", cause);
	return -1;
}

/* ---- Token and URL lookup ------------------------------------------------------ */

/* What the command line says about the token and TLS, for endpoint_resolve. */
struct link_opts {
	const char *url, *token, *token_file, *token_command;
	const char *ca_file, *cert, *key;
};

/* Finds the token in lookup order and makes its source (tokensrc.h).
 * Returns it, or NULL after printing why. */
static struct tokensrc *token_lookup(const struct link_opts *o, struct config *cfg)
{
	char cause[2 * PATH_MAX + 512];
	if (o->token != NULL)
		return tokensrc_given(o->token);
	const char *file = o->token_file, *command = o->token_command;
	const char *env = getenv("WFMON_TOKEN");
	if (file == NULL && command == NULL && env != NULL && env[0] != '\0')
		return tokensrc_given(env);
	/* What wfmon run gives the commands it runs (wfmon step, wfmon emit). */
	const char *inherited = getenv("WFMON_TOKEN_FILE");
	if (file == NULL && command == NULL && inherited != NULL && inherited[0] != '\0')
		file = inherited;
	if (file == NULL && command == NULL) {
		if (config_load(cfg) != 0)
			return NULL;
		if (cfg->token != NULL)
			return tokensrc_given(cfg->token);
		file = cfg->token_file;
		command = cfg->token_command;
	}
	struct tokensrc *t = NULL;
	if (file != NULL)
		t = tokensrc_file(file, cause, sizeof cause);
	else if (command != NULL)
		t = tokensrc_command(command, cause, sizeof cause);
	else
		snprintf(cause, sizeof cause, "no token: pass --token, --token-file or --token-command, set "
					      "WFMON_TOKEN, or add \"token = ...\", \"token-file = ...\" or "
					      "\"token-command = ...\" to %s; mint one with `wfmon token`", cfg->path);
	if (t == NULL)
		fprintf(stderr, "wfmon: %s\n", cause);
	return t;
}

/* Finds the URL in lookup order; *from names where it came from for messages. */
static const char *url_lookup(const char *opt_url, struct config *cfg, const char **from, int *status)
{
	*status = EXIT_USAGE;
	if (opt_url != NULL) {
		*from = "--url";
		return opt_url;
	}
	const char *env = getenv("WFMON_URL");
	if (env != NULL && env[0] != '\0') {
		*from = "WFMON_URL";
		return env;
	}
	if (config_load(cfg) != 0)
		return NULL;
	if (cfg->url != NULL) {
		*from = cfg->path;
		return cfg->url;
	}
	*from = "the default";
	return DEFAULT_URL;
}

/* Resolves the URL, the TLS files and the token from the options, the
 * environment and the config file for command cmd ("tail", "alerts"; NULL
 * for the console). Returns 0, or the exit status after saying what is
 * wrong. */
static int endpoint_resolve(const char *cmd, const struct link_opts *o, struct endpoint *ep, char **theme)
{
	memset(ep, 0, sizeof *ep);
	/* Checked here, once for every command that talks to the daemon: an
	 * empty token would only be refused by the daemon, later and less clearly. */
	const char *misuse = NULL;
	if (o->token != NULL && o->token[0] == '\0')
		misuse = "--token is empty; mint one with `wfmon token`";
	else if ((o->token != NULL) + (o->token_file != NULL) + (o->token_command != NULL) > 1)
		misuse = "give one of --token, --token-file and --token-command";
	if (misuse != NULL)
		return cmd ? usage_error(cmd, "%s", misuse) : console_usage_error("%s", misuse);
	struct config cfg = { .loaded = false };
	int status;
	const char *from = NULL;
	const char *url = url_lookup(o->url, &cfg, &from, &status);
	if (url == NULL) {
		config_clear(&cfg);
		return status;
	}
	char cause[512];
	if (ws_url_parse(url, &ep->where, cause, sizeof cause) != 0) {
		fprintf(stderr, "wfmon%s%s: bad URL '%s' (from %s): %s\n", cmd ? " " : "", cmd ? cmd : "",
			url, from, cause);
		config_clear(&cfg);
		return EXIT_USAGE;
	}
	if ((o->ca_file == NULL || o->cert == NULL || o->key == NULL) && config_load(&cfg) != 0) {
		config_clear(&cfg);
		return EXIT_USAGE;
	}
	const char *ca = o->ca_file ? o->ca_file : cfg.ca_file, *cert = o->cert ? o->cert : cfg.cert;
	const char *key = o->key ? o->key : cfg.key;
	/* Given on the command line for a plain URL: a mistake worth a word. */
	if (!ep->where.tls && (o->ca_file || o->cert || o->key)) {
		fprintf(stderr, "wfmon%s%s: --ca-file, --cert and --key are for TLS: the URL '%s' (from %s) "
				"is not wss:// or https://\n", cmd ? " " : "", cmd ? cmd : "", url, from);
		config_clear(&cfg);
		return EXIT_USAGE;
	}
	ep->url = xstrdup(url);
	ep->tls.ca_file = ca ? xstrdup(ca) : NULL;
	ep->tls.cert_file = cert ? xstrdup(cert) : NULL;
	ep->tls.key_file = key ? xstrdup(key) : NULL;
	ep->token = token_lookup(o, &cfg);
	if (theme != NULL)
		*theme = cfg.theme ? xstrdup(cfg.theme) : NULL;
	config_clear(&cfg);
	if (ep->token == NULL) {
		endpoint_clear(ep);
		if (theme != NULL) {
			free(*theme);
			*theme = NULL;
		}
		return EXIT_USAGE;
	}
	return 0;
}

/* The options every command that talks to the daemon takes, and where they go. */
#define LINK_LONGOPTS \
	{ "url", required_argument, NULL, 'u' }, \
	{ "token", required_argument, NULL, 't' }, \
	{ "token-file", required_argument, NULL, 'f' }, \
	{ "token-command", required_argument, NULL, 'C' }, \
	{ "ca-file", required_argument, NULL, 'A' }, \
	{ "cert", required_argument, NULL, 'E' }, \
	{ "key", required_argument, NULL, 'K' }

/* Takes option c when it is one of LINK_LONGOPTS; false otherwise. */
static bool link_opt(struct link_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'u': o->url = arg; return true;
	case 't': o->token = arg; return true;
	case 'f': o->token_file = arg; return true;
	case 'C': o->token_command = arg; return true;
	case 'A': o->ca_file = arg; return true;
	case 'E': o->cert = arg; return true;
	case 'K': o->key = arg; return true;
	default: return false;
	}
}

#define LINK_HELP \
	"  --url URL             ws://HOST:PORT[/PATH], or wss://HOST[:PORT][/PATH] for TLS\n" \
	"                        (default: $WFMON_URL, the config file's url, then " DEFAULT_URL ")\n" \
	"  --token TOKEN         the token (default: $WFMON_TOKEN, then the config file's)\n" \
	"  --token-file FILE     read the token from FILE, again before it expires\n" \
	"  --token-command CMD   run CMD (sh -c) for a token, again before it expires\n" \
	"  --ca-file FILE        trust only this CA for wss:// (default: the system's CAs)\n" \
	"  --cert FILE, --key FILE  a client certificate, for a daemon that asks for one\n"

/* Says, before anything is sent, that the token would cross a network in the clear. */
static const char *cleartext_warn(const char *cmd, const struct endpoint *ep)
{
	const char *w = endpoint_cleartext_warning(ep);
	if (w != NULL)
		fprintf(stderr, "wfmon%s%s: warning: %s\n", cmd ? " " : "", cmd ? cmd : "", w);
	return w;
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
				return usage_error("token", "--ttl '%s' is not a duration: write 90s, "
						   "15m, 1h, 7d or plain seconds", optarg);
			if (req.ttl_s > 366 * 86400)
				return usage_error("token", "--ttl %s is longer than 366 days; "
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
			return usage_error("token", "%s needs a value", bad_option(argv, optind));
		default:
			return usage_error("token", "unknown option %s", bad_option(argv, optind));
		}
	}
	if (optind < argc)
		return usage_error("token", "unexpected argument '%s'", argv[optind]);
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
			return usage_error("token", "%s is required (%s)", required[i].opt,
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

/* ---- wfmon tail -------------------------------------------------------------- */

struct since_arg {
	char room[PROTO_MAX_ROOM + 1];
	int64_t seq;
};

/* Parses a room name into its canonical form; prints why not. */
static int room_canonical(const char *name, char *out, size_t outlen)
{
	struct proto_room room;
	struct proto_cause cause = { { 0 }, { 0 } };
	if (proto_room_parse(name, &room, &cause) != 0 || proto_room_format(&room, out, outlen) < 0) {
		usage_error("tail", "%s", cause.message[0] ? cause.message : "invalid room name");
		return -1;
	}
	return 0;
}

static int since_parse(const char *arg, struct since_arg *out)
{
	const char *eq = strrchr(arg, '=');
	if (eq == NULL || eq == arg) {
		usage_error("tail", "--since '%s' must be ROOM=SEQ, as in --since org=42", arg);
		return -1;
	}
	char room[PROTO_MAX_ROOM + 2];
	size_t n = (size_t)(eq - arg);
	if (n >= sizeof room) {
		usage_error("tail", "--since: the room name is longer than %d bytes", PROTO_MAX_ROOM);
		return -1;
	}
	memcpy(room, arg, n);
	room[n] = '\0';
	if (room_canonical(room, out->room, sizeof out->room) != 0)
		return -1;
	char *end;
	errno = 0;
	long long seq = (eq[1] >= '0' && eq[1] <= '9') ? strtoll(eq + 1, &end, 10) : -1;
	if (seq < 0 || errno != 0 || *end != '\0') {
		usage_error("tail", "--since %s: SEQ must be a whole number of at least 0", arg);
		return -1;
	}
	out->seq = seq;
	return 0;
}

static int cmd_tail(int argc, char **argv)
{
	static const struct option longopts[] = {
		LINK_LONGOPTS,
		{ "since", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct link_opts lo = { 0 };
	struct since_arg since[TAIL_MAX_ROOMS];
	size_t nsince = 0;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (link_opt(&lo, c, optarg))
			continue;
		switch (c) {
		case 's':
			if (nsince == TAIL_MAX_ROOMS)
				return usage_error("tail", "at most %d --since options", TAIL_MAX_ROOMS);
			if (since_parse(optarg, &since[nsince]) != 0)
				return EXIT_USAGE;
			nsince++;
			break;
		case 'h':
			printf("usage: %s\n\n" LINK_HELP
			       "  --since ROOM=SEQ      resume ROOM after position SEQ\n\n"
			       "Prints one JSON line per message until interrupted.\n",
			       commands[1].usage);
			return 0;
		case ':':
			return usage_error("tail", "%s needs a value", bad_option(argv, optind));
		default:
			return usage_error("tail", "unknown option %s", bad_option(argv, optind));
		}
	}
	if (optind >= argc)
		return usage_error("tail", "name at least one room to follow, e.g. org or execution:ID");
	if (argc - optind > TAIL_MAX_ROOMS)
		return usage_error("tail", "at most %d rooms at once", TAIL_MAX_ROOMS);

	char names[TAIL_MAX_ROOMS][PROTO_MAX_ROOM + 1];
	struct tail_room rooms[TAIL_MAX_ROOMS];
	size_t nrooms = 0;
	for (int i = optind; i < argc; i++) {
		if (room_canonical(argv[i], names[nrooms], sizeof names[0]) != 0)
			return EXIT_USAGE;
		bool dup = false;
		for (size_t j = 0; j < nrooms; j++)
			dup = dup || strcmp(names[j], names[nrooms]) == 0;
		if (dup)
			continue;
		rooms[nrooms] = (struct tail_room){ .name = names[nrooms] };
		nrooms++;
	}
	for (size_t s = 0; s < nsince; s++) {
		size_t r;
		for (r = 0; r < nrooms; r++)
			if (strcmp(rooms[r].name, since[s].room) == 0)
				break;
		if (r == nrooms)
			return usage_error("tail", "--since names %s, which is not one of the rooms to "
					   "follow; add it to the room list", since[s].room);
		rooms[r].has_since = true;
		rooms[r].since = since[s].seq;
	}

	struct endpoint ep;
	int status = endpoint_resolve("tail", &lo, &ep, NULL);
	if (status != 0)
		return status;
	cleartext_warn("tail", &ep);
	struct tail_options topt = {
		.ep = &ep,
		.rooms = rooms,
		.nrooms = nrooms,
		.out = stdout,
	};
	int rc = tail_run(&topt);
	endpoint_clear(&ep);
	return rc;
}

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
		if (link_opt(&lo, c, optarg))
			continue;
		switch (c) {
		case 'j': json_out = true; break;
		case 'h':
			usage_fn(stdout);
			return 0;
		case ':':
			return usage_error(cmd, "%s needs a value", bad_option(argv, optind));
		default:
			return usage_error(cmd, "unknown option %s", bad_option(argv, optind));
		}
	}
	if (optind >= argc) {
		usage_fn(stderr);
		return EXIT_USAGE;
	}
	struct endpoint ep;
	int status = endpoint_resolve(cmd, &lo, &ep, NULL);
	if (status != 0)
		return status;
	cleartext_warn(cmd, &ep);
	struct cli_action_options o = { .ep = &ep, .json = json_out, .argc = argc - optind, .argv = argv + optind };
	int rc = run(&o);
	endpoint_clear(&ep);
	return rc;
}

static int cmd_alerts(int argc, char **argv)
{
	return action_tool(argc, argv, "alerts", alerts_cli_usage, alerts_cli_run);
}

static int cmd_dashboards(int argc, char **argv)
{
	return action_tool(argc, argv, "dashboards", dashboards_cli_usage, dashboards_cli_run);
}

/* ---- metrics ---------------------------------------------------------------------- */

static int cmd_metrics(int argc, char **argv)
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
		if (link_opt(&lo, c, optarg))
			continue;
		switch (c) {
		case 'w': mo.workflow = optarg; break;
		case 'r': mo.range = optarg; break;
		case 'F': mo.from = optarg; break;
		case 'T': mo.to = optarg; break;
		case 'b': mo.bucket = optarg; break;
		case 'o':
			if (metrics_format_parse(optarg, &mo.format) != 0)
				return usage_error("metrics", "--format '%s': choose table, csv or json", optarg);
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
			return usage_error("metrics", "%s needs a value", bad_option(argv, optind));
		default:
			return usage_error("metrics", "unknown option %s", bad_option(argv, optind));
		}
	}
	if (optind < argc)
		return usage_error("metrics", "unexpected argument '%s'", argv[optind]);
	if (mo.range != NULL && (mo.from != NULL || mo.to != NULL))
		return usage_error("metrics", "give --range or --from (and --to), not both");
	if (mo.to != NULL && mo.from == NULL)
		return usage_error("metrics", "--to needs --from");
	struct endpoint ep;
	int status = endpoint_resolve("metrics", &lo, &ep, NULL);
	if (status != 0)
		return status;
	cleartext_warn("metrics", &ep);
	mo.ep = &ep;
	int rc = metrics_cli_run(&mo);
	endpoint_clear(&ep);
	return rc;
}

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
		return usage_error(cmd, "%s '%s' must be a number from %g to %g", opt, arg, min, max);
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
				return usage_error(cmd, "--workflow '%s' must be a workflow id: 1 to %d characters of "
						   "A-Z a-z 0-9 _ . : - (give a display name with --name)", optarg, PROTO_MAX_ID);
			o->workflow_id = optarg;
			break;
		case RO_NAME:
			if (optarg[0] == '\0' || strlen(optarg) > PROTO_MAX_NAME)
				return usage_error(cmd, "--name must be 1 to %d bytes", PROTO_MAX_NAME);
			o->workflow_name = optarg;
			break;
		case RO_EXEC:
			if (!proto_id_valid(optarg))
				return usage_error(cmd, "--execution-id '%s' must be 1 to %d characters of A-Z a-z 0-9 _ . : -",
						   optarg, PROTO_MAX_ID);
			o->execution_id = optarg;
			break;
		case RO_STEP_ID:
			if (!proto_id_valid(optarg))
				return usage_error(cmd, "--step-id '%s' must be 1 to %d characters of A-Z a-z 0-9 _ . : -",
						   optarg, PROTO_MAX_ID);
			o->step_id = optarg;
			break;
		case RO_LABEL:
			if (run_cli_label(o->labels, optarg, cause, sizeof cause) < 0)
				return usage_error(cmd, "%s", cause);
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
				return usage_error(cmd, "--attempt must be a whole number from 1 to %d", PROTO_MAX_ATTEMPT);
			o->attempt = (int)v;
			break;
		case RO_JSON: o->json = optarg; break;
		case RO_FLUSH: o->flush = true; break;
		case 'h':
		case RO_HELP:
			printf("usage: %s\nSee wfmon(1).\n", command_find(cmd)->usage);
			return -1;   /* done: exit 0 */
		case ':':
			return usage_error(cmd, "%s needs a value", bad_option(argv, optind));
		default:
			return usage_error(cmd, "unknown option %s", bad_option(argv, optind));
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
			return usage_error(cmd, "the step's NAME comes first");
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
			return usage_error(cmd, "no command to run: give it after --");
		}
	}
	if (strcmp(cmd, "run") == 0 && o.workflow_id == NULL) {
		json_decref(o.labels);
		return usage_error(cmd, "--workflow is required: the workflow this command is an execution of");
	}
	struct endpoint ep;
	status = endpoint_resolve(cmd, &lo, &ep, NULL);
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

static int cmd_run(int argc, char **argv)
{
	return report_command("run", argc, argv, run_cli_run);
}

static int cmd_step(int argc, char **argv)
{
	return report_command("step", argc, argv, run_cli_step);
}

static int cmd_emit(int argc, char **argv)
{
	return report_command("emit", argc, argv, run_cli_emit);
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

static int console_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "wfmon: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n(wfmon --help-console for more)\n", CONSOLE_USAGE);
	return EXIT_USAGE;
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
		if (link_opt(&lo, c, optarg))
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
				return console_usage_error("--view '%s': choose dashboard or executions", optarg);
			break;
		case 's': {
			char *end;
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v < 1 || v > 86400 * 7)
				return console_usage_error("--stale-after '%s' must be whole seconds from 1 "
							   "to 604800", optarg);
			co.stale_after_s = (int)v;
			break;
		}
		case 'e':
			if (!proto_id_valid(optarg))
				return console_usage_error("--exec '%s' is not an execution id", optarg);
			co.exec_id = optarg;
			break;
		case 'h':
			console_help();
			return 0;
		case ':':
			return console_usage_error("%s needs a value", bad_option(argv, optind));
		default:
			return console_usage_error("unknown option %s (commands: token, tail)",
						   bad_option(argv, optind));
		}
	}
	if (optind < argc)
		return console_usage_error("unknown command '%s'; run wfmon --help for the commands",
					   argv[optind]);

	struct endpoint ep;
	char *theme = NULL;
	int status = endpoint_resolve(NULL, &lo, &ep, &theme);
	if (status != 0)
		return status;
	i18n_init();
	co.url = ep.url;
	co.ep = &ep;
	co.warning = cleartext_warn(NULL, &ep);
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
		return usage_error("open", "name the execution to open, as in: wfmon open ex-42");
	const char *id = argv[argc - 1];
	if (!proto_id_valid(id))
		return usage_error("open", "'%s' is not an execution id (1 to %d characters of A-Z a-z 0-9 _ . : -)",
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
