/* config.c: wfmond settings (see config.h). One table lists every setting with
 * its type and bounds; the file parser and the flag parser both go through it. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"

enum setting_type { SET_LISTEN, SET_PATH, SET_STRING, SET_ALG, SET_LOGLEVEL, SET_INT, SET_U32, SET_SIZE };

struct setting {
	const char *name;
	enum setting_type type;
	size_t offset;
	long long min, max;
};

#define OFF(field) offsetof(struct config, field)
static const struct setting settings[] = {
	{ "listen", SET_LISTEN, 0, 0, 0 },
	{ "jwt-secret-file", SET_PATH, OFF(jwt_secret_file), 0, 0 },
	{ "jwt-public-key", SET_PATH, OFF(jwt_public_key), 0, 0 },
	{ "jwt-alg", SET_ALG, OFF(jwt_alg), 0, 0 },
	{ "jwt-leeway", SET_INT, OFF(jwt_leeway_s), 0, 300 },
	{ "log-level", SET_LOGLEVEL, OFF(log_level), 0, 0 },
	{ "max-message", SET_SIZE, OFF(max_message), 1024, 16 << 20 },
	{ "outq-max-messages", SET_U32, OFF(outq_max_messages), 16, 1 << 20 },
	{ "outq-max-bytes", SET_SIZE, OFF(outq_max_bytes), 64 << 10, 1LL << 30 },
	{ "write-coalesce-ms", SET_INT, OFF(write_coalesce_ms), 0, 1000 },
	{ "write-threads", SET_INT, OFF(write_threads), 0, 16 },
	{ "max-subscriptions", SET_U32, OFF(max_subscriptions), 1, 4096 },
	{ "requests-per-second", SET_U32, OFF(requests_per_s), 1, 1000000 },
	{ "request-burst", SET_U32, OFF(request_burst), 1, 1000000 },
	{ "max-connections", SET_U32, OFF(max_connections), 1, 1000000 },
	{ "max-rooms-per-org", SET_U32, OFF(max_rooms_per_org), 1, 1000000 },
	{ "max-executions-per-org", SET_U32, OFF(max_executions_per_org), 1, 1000000 },
	{ "room-history", SET_U32, OFF(room_history), 0, 1000000 },
	{ "dedup-window", SET_U32, OFF(dedup_window), 1, 10000000 },
	{ "ping-interval", SET_INT, OFF(ping_interval_s), 1, 3600 },
	{ "ping-timeout", SET_INT, OFF(ping_timeout_s), 2, 7200 },
	{ "max-http-body", SET_SIZE, OFF(max_http_body), 1024, 1LL << 30 },
	{ "drain-timeout", SET_INT, OFF(drain_timeout_s), 0, 600 },
	{ "queue-backlog-threshold", SET_U32, OFF(queue_backlog_threshold), 1, 100000000 },
	{ "queue-wait-window", SET_INT, OFF(queue_wait_window_s), 1, 7 * 86400 },
	{ "queue-rate-window", SET_INT, OFF(queue_rate_window_s), 1, 7 * 86400 },
	{ "queue-snapshot-interval", SET_INT, OFF(queue_snapshot_interval_s), 1, 86400 },
	{ "sample-interval", SET_INT, OFF(sample_interval_s), 1, 3600 },
	{ "cpu-threshold", SET_INT, OFF(cpu_threshold), 1, 100 },
	{ "stale-after", SET_INT, OFF(stale_after_s), 1, 7 * 86400 },
	{ "notify-attempts", SET_INT, OFF(notify_attempts), 1, 20 },
	{ "notify-backoff-ms", SET_INT, OFF(notify_backoff_ms), 10, 600000 },
	{ "notify-timeout-ms", SET_INT, OFF(notify_timeout_ms), 100, 120000 },
	{ "database", SET_STRING, OFF(database), 0, 0 },
	{ "database-owner", SET_STRING, OFF(database_owner), 0, 0 },
	{ "app-role", SET_STRING, OFF(app_role), 0, 0 },
	{ "spool-dir", SET_PATH, OFF(spool_dir), 0, 0 },
	{ "spool-max", SET_SIZE, OFF(spool_max), 1 << 20, 1LL << 40 },
	{ "data-cap", SET_SIZE, OFF(data_cap), 1024, 16 << 20 },
	{ "reconnect-max", SET_INT, OFF(reconnect_max_s), 1, 3600 },
	{ "retention-events-days", SET_INT, OFF(retention_events_days), 0, 36500 },
	{ "retention-metrics-days", SET_INT, OFF(retention_metrics_days), 0, 36500 },
	{ "retention-snapshots-days", SET_INT, OFF(retention_snapshots_days), 0, 36500 },
};

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->listen_host, sizeof c->listen_host, "127.0.0.1");
	c->listen_port = 7681;
	c->jwt_alg = AUTH_HS256;
	c->jwt_leeway_s = 30;
	c->log_level = LOG_INFO;
	c->max_message = PROTO_MAX_MESSAGE;
	c->outq_max_messages = 8192;
	c->outq_max_bytes = 16 << 20;
	c->write_coalesce_ms = 5;
	/* One helper where there is a second core to run it. */
	c->write_threads = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0;
	c->max_subscriptions = 64;
	c->requests_per_s = 200;
	c->request_burst = 400;
	c->max_connections = 20000;
	c->max_rooms_per_org = 10000;
	c->max_executions_per_org = 5000;
	c->room_history = 1024;
	c->dedup_window = 100000;
	c->ping_interval_s = 15;
	c->ping_timeout_s = 30;
	c->max_http_body = 8 << 20;
	c->drain_timeout_s = 5;
	c->queue_backlog_threshold = 100;
	c->queue_wait_window_s = 15 * 60;
	c->queue_rate_window_s = 5 * 60;
	c->queue_snapshot_interval_s = 60;
	c->sample_interval_s = 5;
	c->cpu_threshold = 80;
	c->stale_after_s = 120;
	c->notify_attempts = 5;
	c->notify_backoff_ms = 1000;
	c->notify_timeout_ms = 10000;
	c->app_role = xstrdup("wfmon_app");
	c->spool_dir = xstrdup("/var/lib/wfmon/spool");
	c->spool_max = (size_t)1 << 30;
	c->data_cap = 64 << 10;
	c->reconnect_max_s = 30;
	c->retention_events_days = 90;
	c->retention_metrics_days = 30;
	c->retention_snapshots_days = 30;
}

void config_free(struct config *c)
{
	char **strings[] = { &c->jwt_secret_file, &c->jwt_public_key, &c->database, &c->database_owner,
			     &c->app_role, &c->spool_dir };
	for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
		free(*strings[i]);
		*strings[i] = NULL;
	}
}

static int parse_number(const char *value, bool sizes, long long *out)
{
	errno = 0;
	char *end;
	long long v = strtoll(value, &end, 10);
	if (end == value || errno != 0 || v < 0)
		return -1;
	if (sizes && *end != '\0') {
		static const struct { char suffix; int shift; } units[] = {
			{ 'K', 10 }, { 'k', 10 }, { 'M', 20 }, { 'm', 20 }, { 'G', 30 }, { 'g', 30 },
		};
		bool found = false;
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
			if (*end == units[i].suffix && end[1] == '\0') {
				if (v > (LLONG_MAX >> units[i].shift))
					return -1;
				v <<= units[i].shift;
				found = true;
			}
		if (!found)
			return -1;
	} else if (*end != '\0') {
		return -1;
	}
	*out = v;
	return 0;
}

static int set_listen(struct config *c, const char *value, char *cause, size_t causelen)
{
	const char *colon = strrchr(value, ':');
	long long port;
	if (colon == NULL || colon == value || (size_t)(colon - value) >= sizeof c->listen_host ||
	    parse_number(colon + 1, false, &port) < 0 || port < 1 || port > 65535) {
		snprintf(cause, causelen, "listen: expected HOST:PORT (e.g. 127.0.0.1:7681), got '%s'",
			 value);
		return -1;
	}
	snprintf(c->listen_host, sizeof c->listen_host, "%.*s", (int)(colon - value), value);
	c->listen_port = (int)port;
	return 0;
}

int config_set(struct config *c, const char *key, const char *value, char *cause, size_t causelen)
{
	const struct setting *s = NULL;
	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
		if (strcmp(settings[i].name, key) == 0)
			s = &settings[i];
	if (s == NULL) {
		snprintf(cause, causelen, "unknown setting '%s'", key);
		return -1;
	}
	char *field = (char *)c + s->offset;
	long long v;
	switch (s->type) {
	case SET_LISTEN:
		return set_listen(c, value, cause, causelen);
	case SET_STRING:
	case SET_PATH:
		if (*value == '\0') {
			snprintf(cause, causelen, "%s: a value is required", key);
			return -1;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	case SET_ALG:
		if (auth_alg_parse(value, (enum auth_alg *)field) < 0) {
			snprintf(cause, causelen, "%s: expected HS256, RS256 or ES256, got '%s'", key, value);
			return -1;
		}
		return 0;
	case SET_LOGLEVEL:
		if (log_level_parse(value, (enum log_level *)field) < 0) {
			snprintf(cause, causelen, "%s: expected error, warn, info or debug, got '%s'", key, value);
			return -1;
		}
		return 0;
	case SET_INT:
	case SET_U32:
	case SET_SIZE:
		if (parse_number(value, s->type == SET_SIZE, &v) < 0 || v < s->min || v > s->max) {
			snprintf(cause, causelen, "%s: expected a number from %lld to %lld%s, got '%s'", key,
				 s->min, s->max, s->type == SET_SIZE ? " (K, M, G suffixes allowed)" : "", value);
			return -1;
		}
		if (s->type == SET_INT)
			*(int *)field = (int)v;
		else if (s->type == SET_U32)
			*(uint32_t *)field = (uint32_t)v;
		else
			*(size_t *)field = (size_t)v;
		return 0;
	}
	return -1;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int config_load_file(struct config *c, const char *path, char *cause, size_t causelen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(cause, causelen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char line[4096];
	int lineno = 0;
	int rc = 0;
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(cause, causelen, "%s:%d: line too long", path, lineno);
			rc = -1;
			break;
		}
		char *hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		char *s = trim(line);
		if (*s == '\0')
			continue;
		char *eq = strchr(s, '=');
		if (eq == NULL) {
			snprintf(cause, causelen, "%s:%d: expected 'key = value'", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		char msg[256];
		if (config_set(c, trim(s), trim(eq + 1), msg, sizeof msg) < 0) {
			snprintf(cause, causelen, "%s:%d: %s", path, lineno, msg);
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}

int config_check(const struct config *c, char *cause, size_t causelen)
{
	if (c->jwt_alg == AUTH_HS256 && c->jwt_secret_file == NULL) {
		snprintf(cause, causelen,
			 "no JWT key: give --jwt-secret-file FILE (HS256) or --jwt-alg RS256|ES256 "
			 "--jwt-public-key FILE");
		return -1;
	}
	if (c->jwt_alg != AUTH_HS256 && c->jwt_public_key == NULL) {
		snprintf(cause, causelen, "--jwt-alg %s needs --jwt-public-key FILE (a PEM public key)",
			 c->jwt_alg == AUTH_RS256 ? "RS256" : "ES256");
		return -1;
	}
	if (c->ping_timeout_s <= c->ping_interval_s) {
		snprintf(cause, causelen, "ping-timeout (%d s) must be longer than ping-interval (%d s)",
			 c->ping_timeout_s, c->ping_interval_s);
		return -1;
	}
	if (c->request_burst < c->requests_per_s / 10) {
		snprintf(cause, causelen, "request-burst must be at least a tenth of requests-per-second");
		return -1;
	}
	return 0;
}
