/* cmdline.c: what the `wfmon` subcommands share (see cmdline.h): usage
 * errors, the options of the link to the daemon, the config file, and where
 * the URL, the TLS files and the token come from. */
#include "cmdline.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conffile.h"
#include "wsurl.h"
#include "xalloc.h"

#define MAX_CONFIG_FILE (64 * 1024)

int cmdline_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, cmd ? "wfmon %s: " : "wfmon: ", cmd);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd != NULL)
		fprintf(stderr, "\nusage: %s\n(wfmon %s --help for more)\n", command_find(cmd)->usage, cmd);
	else
		fprintf(stderr, "\nusage: %s\n(wfmon --help-console for more)\n", CONSOLE_USAGE);
	return EXIT_USAGE;
}

const char *cmdline_bad_option(char **argv, int optind_after)
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

int cmdline_endpoint(const char *cmd, const struct link_opts *o, struct endpoint *ep, char **theme)
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
		return cmdline_usage_error(cmd, "%s", misuse);
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

bool cmdline_link_opt(struct link_opts *o, int c, const char *arg)
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

const char *cmdline_cleartext_warn(const char *cmd, const struct endpoint *ep)
{
	const char *w = endpoint_cleartext_warning(ep);
	if (w != NULL)
		fprintf(stderr, "wfmon%s%s: warning: %s\n", cmd ? " " : "", cmd ? cmd : "", w);
	return w;
}

