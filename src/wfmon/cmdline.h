/* cmdline.h: what the `wfmon` subcommands share, internal to src/wfmon.
 *
 * Where settings come from: the token (--token, --token-file,
 * --token-command, $WFMON_TOKEN, $WFMON_TOKEN_FILE from a `wfmon run`, the
 * config file's "token", "token-file" or "token-command"), the URL (--url,
 * $WFMON_URL, the config file's "url", the default), the TLS trust and client
 * certificate (--ca-file, --cert, --key, or the config file's "ca-file",
 * "cert", "key"), and the config file itself ($XDG_CONFIG_HOME/wfmon/config
 * or ~/.config/wfmon/config, "key = value" lines, # comments).
 *
 * Invariants: exit status 2 (EXIT_USAGE) means the command line or the config
 * file was wrong, and every message names what was wrong and what to do; no
 * message ever contains a token; a token bound for another host over ws:// is
 * warned about before it is sent. */
#ifndef WFMON_CMDLINE_H
#define WFMON_CMDLINE_H

#include <getopt.h>
#include <stdbool.h>

#include "endpoint.h"
#include "wsurl.h"

#define EXIT_USAGE 2
#define DEFAULT_URL WS_URL_EXAMPLE

#define CONSOLE_USAGE \
	"wfmon [--url URL] [--token T | --token-file F | --token-command CMD] [--ca-file F] " \
	"[--theme NAME] [--ascii] [--mono] [--readonly] [--no-bell] [--stale-after SECONDS] [--exec ID] " \
	"[--view dashboard|executions]"

/* One subcommand of the table in main.c. */
struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
	const char *summary;
};
/* The subcommand called name (main.c), NULL when there is none. */
const struct command *command_find(const char *name);

/* The subcommands outside main.c: cmd_tail.c, cmd_query.c, cmd_report.c. */
int cmd_tail(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_dashboards(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_step(int argc, char **argv);
int cmd_emit(int argc, char **argv);

/* Prints "wfmon CMD: MESSAGE" and the way to get help (the console's when
 * cmd is NULL); returns EXIT_USAGE. */
int cmdline_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The option getopt refused, for a message: "--x", "-x", or "--x=..." as given. */
const char *cmdline_bad_option(char **argv, int optind_after);

/* What the command line says about the token and TLS, for endpoint_resolve. */
struct link_opts {
	const char *url, *token, *token_file, *token_command;
	const char *ca_file, *cert, *key;
};

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
bool cmdline_link_opt(struct link_opts *o, int c, const char *arg);

#define LINK_HELP \
	"  --url URL             ws://HOST:PORT[/PATH], or wss://HOST[:PORT][/PATH] for TLS\n" \
	"                        (default: $WFMON_URL, the config file's url, then " DEFAULT_URL ")\n" \
	"  --token TOKEN         the token (default: $WFMON_TOKEN, then the config file's)\n" \
	"  --token-file FILE     read the token from FILE, again before it expires\n" \
	"  --token-command CMD   run CMD (sh -c) for a token, again before it expires\n" \
	"  --ca-file FILE        trust only this CA for wss:// (default: the system's CAs)\n" \
	"  --cert FILE, --key FILE  a client certificate, for a daemon that asks for one\n"

/* Resolves the URL, the TLS files and the token from the options, the
 * environment and the config file for command cmd ("tail", "alerts"; NULL
 * for the console); *theme (when theme is not NULL) gets the config file's
 * theme. Returns 0, or the exit status after saying what is wrong. */
int cmdline_endpoint(const char *cmd, const struct link_opts *o, struct endpoint *ep, char **theme);
/* Says, before anything is sent, that the token would cross a network in the
 * clear; returns the warning (NULL for none). */
const char *cmdline_cleartext_warn(const char *cmd, const struct endpoint *ep);

#endif
