/* main.c: wfmond's command line: where the settings come from (the config
 * file, flags over it), --migrate, and the server's run. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "config.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "version.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wfmond [--config FILE] [--listen HOST:PORT] [--jwt-secret-file FILE]\n"
		"              [--jwt-alg HS256|RS256|ES256 --jwt-public-key FILE] [--log-level LEVEL]\n"
		"              [--database CONNINFO [--database-owner CONNINFO]] [--SETTING VALUE ...]\n"
		"       wfmond --migrate --database-owner CONNINFO [--app-role ROLE]\n"
		"       wfmond --help | --version\n"
		"The config file is %s unless --config names another.\n"
		"Every setting of wfmond.conf(5) is also a flag. See wfmond(8).\n",
		config_default_path);
}

/* A start-up error: on a terminal "wfmond: ...", under journald with its
 * priority. */
static void startup_error(const char *cause)
{
	if (log_stderr_is_journal())
		log_error("%s", cause);
	else
		fprintf(stderr, "wfmond: %s\n", cause);
}

/* Many dashboards: take every descriptor the hard limit allows. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

enum args_result { ARGS_RUN, ARGS_MIGRATE, ARGS_EXIT_OK, ARGS_EXIT_USAGE };

/* Sorts the command line into the config source (the file, then every
 * --key value / --key=value) and wfmond's own flags. */
static enum args_result parse_args(int argc, char **argv, struct config_source *src)
{
	enum args_result result = ARGS_RUN;
	config_source_set_file(src, config_default_path, false);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			usage(stdout);
			return ARGS_EXIT_OK;
		}
		if (strcmp(arg, "--version") == 0) {
			fputs(VERSION_LINE("wfmond"), stdout);
			return ARGS_EXIT_OK;
		}
		if (strcmp(arg, "--migrate") == 0) {
			result = ARGS_MIGRATE;
			continue;
		}
		if (strncmp(arg, "--", 2) != 0) {
			fprintf(stderr, "wfmond: unexpected argument '%s'\n", arg);
			usage(stderr);
			return ARGS_EXIT_USAGE;
		}
		char key[64];
		const char *value;
		const char *eq = strchr(arg, '=');
		if (eq != NULL) {
			snprintf(key, sizeof key, "%.*s", (int)(eq - arg - 2), arg + 2);
			value = eq + 1;
		} else {
			snprintf(key, sizeof key, "%s", arg + 2);
			if (i + 1 >= argc) {
				fprintf(stderr, "wfmond: %s needs a value\n", arg);
				return ARGS_EXIT_USAGE;
			}
			value = argv[++i];
		}
		if (strcmp(key, "config") == 0)
			config_source_set_file(src, value, true);
		else
			config_source_add_flag(src, key, value);
	}
	return result;
}

static int migrate(const struct config *cfg)
{
	char cause[512];
	if (cfg->database_owner == NULL) {
		fprintf(stderr, "wfmond: --migrate needs --database-owner CONNINFO (the schema owner's role)\n");
		return 2;
	}
	if (store_migrate(cfg->database_owner, cfg->app_role, cause, sizeof cause) < 0) {
		log_error("migrations failed: %s", cause);
		return 1;
	}
	log_info("migrations applied");
	return 0;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct config_source src;
	char cause[512];
	log_set_ident("wfmond");
	/* Until the event loop takes SIGHUP over (server_run), a reload asked
	 * for during start-up is ignored rather than fatal. */
	signal(SIGHUP, SIG_IGN);
	config_source_init(&src);
	enum args_result what = parse_args(argc, argv, &src);
	if (what == ARGS_EXIT_OK || what == ARGS_EXIT_USAGE) {
		config_source_free(&src);
		return what == ARGS_EXIT_OK ? 0 : 2;
	}
	if (config_build(&src, &cfg, cause, sizeof cause) < 0) {
		startup_error(cause);
		config_source_free(&src);
		return 2;
	}
	if (what == ARGS_MIGRATE) {
		int rc = migrate(&cfg);
		config_free(&cfg);
		config_source_free(&src);
		return rc;
	}
	if (config_check(&cfg, cause, sizeof cause) < 0) {
		startup_error(cause);
		config_free(&cfg);
		config_source_free(&src);
		return 2;
	}
	log_set_level(cfg.log_level);
	if (cfg.file_found)
		log_info("configuration from %s", src.path);
	else
		log_info("no configuration file at %s: defaults and flags only", src.path);
	raise_fd_limit();

	struct server srv;
	if (server_init(&srv, &cfg, &src, cause, sizeof cause) < 0) {
		log_error("%s", cause);
		return 1;
	}
	int rc = server_run(&srv);
	server_free(&srv);
	return rc;
}
