/* main.c: wfmond's command line: settings from --config and flags, then run. */
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
		"Every setting of wfmond.conf(5) is also a flag. See wfmond(8).\n");
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

int main(int argc, char **argv)
{
	struct config cfg;
	char cause[512];
	bool migrate_only = false;
	log_set_ident("wfmond");
	config_defaults(&cfg);

	/* The file first, so that flags override it wherever they stand. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc &&
		    config_load_file(&cfg, argv[i + 1], cause, sizeof cause) < 0) {
			fprintf(stderr, "wfmond: %s\n", cause);
			return 2;
		}
	}
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(arg, "--migrate") == 0) {
			migrate_only = true;
			continue;
		}
		if (strcmp(arg, "--version") == 0) {
			fputs(VERSION_LINE("wfmond"), stdout);
			return 0;
		}
		if (strncmp(arg, "--", 2) != 0) {
			fprintf(stderr, "wfmond: unexpected argument '%s'\n", arg);
			usage(stderr);
			return 2;
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
				return 2;
			}
			value = argv[++i];
		}
		if (strcmp(key, "config") == 0)
			continue;
		if (config_set(&cfg, key, value, cause, sizeof cause) < 0) {
			fprintf(stderr, "wfmond: %s\n", cause);
			return 2;
		}
	}
	if (migrate_only) {
		const char *owner = cfg.database_owner;
		int rc = 0;
		if (owner == NULL) {
			fprintf(stderr, "wfmond: --migrate needs --database-owner CONNINFO (the schema owner's role)\n");
			rc = 2;
		} else if (store_migrate(owner, cfg.app_role, cause, sizeof cause) < 0) {
			log_error("migrations failed: %s", cause);
			rc = 1;
		} else {
			log_info("migrations applied");
		}
		config_free(&cfg);
		return rc;
	}
	if (config_check(&cfg, cause, sizeof cause) < 0) {
		fprintf(stderr, "wfmond: %s\n", cause);
		config_free(&cfg);
		return 2;
	}
	log_set_level(cfg.log_level);
	raise_fd_limit();

	struct server srv;
	if (server_init(&srv, &cfg, cause, sizeof cause) < 0) {
		log_error("%s", cause);
		return 1;
	}
	int rc = server_run(&srv);
	server_free(&srv);
	return rc;
}
