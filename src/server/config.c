/* config.c: wfmond settings (see config.h). One table lists every setting with
 * its type, bounds and whether SIGHUP may change it; the file, the flags, the
 * reload's comparison and its log all go through it. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "conffile.h"
#include "install_paths.h"
#include "xalloc.h"

#define CONFIG_FILE_MAX (256 * 1024)

/* SET_LIST: a setting that may be given several times; its values are kept
 * in order, one per line of one string. SET_BOOL: on/off (also yes/no,
 * true/false, 1/0). */
enum setting_type { SET_LISTEN, SET_PATH, SET_STRING, SET_LIST, SET_BOOL, SET_ALG, SET_LOGLEVEL, SET_INT,
		    SET_U32, SET_SIZE };

/* RELOAD: a SIGHUP applies it (to new connections and rooms at least; see
 * wfmond.conf(5)); otherwise only a restart does. SECRET: its value may hold
 * a password (a conninfo) and is never logged. SWITCH_RESTART: a reloadable
 * setting whose going from unset to set, or back, only a restart applies (a
 * TLS certificate: a new one is reloaded, TLS itself is not switched on). */
enum { RESTART = 0, RELOAD = 1, SECRET = 2, SWITCH_RESTART = 4 };

/* Modern ciphers only (forward secrecy, AEAD); TLS 1.3 has its own list. */
#define TLS12_CIPHERS "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
		      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
		      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS13_SUITES "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

struct setting {
	const char *name;
	enum setting_type type;
	size_t offset;
	long long min, max;
	unsigned flags;
};

#define OFF(field) offsetof(struct config, field)
static const struct setting settings[] = {
	{ "listen", SET_LISTEN, 0, 0, 0, RESTART },
	{ "jwt-secret-file", SET_PATH, OFF(jwt_secret_file), 0, 0, RELOAD },
	{ "jwt-public-key", SET_PATH, OFF(jwt_public_key), 0, 0, RELOAD },
	{ "jwt-alg", SET_ALG, OFF(jwt_alg), 0, 0, RELOAD },
	{ "jwt-leeway", SET_INT, OFF(jwt_leeway_s), 0, 300, RELOAD },
	{ "jwt-key", SET_LIST, OFF(jwt_keys), 0, 0, RELOAD },
	{ "jwt-jwks-file", SET_PATH, OFF(jwt_jwks_file), 0, 0, RELOAD },
	{ "jwt-issuer", SET_STRING, OFF(jwt_issuer), 0, 0, RELOAD },
	{ "jwt-audience", SET_STRING, OFF(jwt_audience), 0, 0, RELOAD },
	{ "tls-cert", SET_PATH, OFF(tls_cert), 0, 0, RELOAD | SWITCH_RESTART },
	{ "tls-key", SET_PATH, OFF(tls_key), 0, 0, RELOAD | SWITCH_RESTART },
	{ "tls-client-ca", SET_PATH, OFF(tls_client_ca), 0, 0, RELOAD | SWITCH_RESTART },
	{ "tls-ciphers", SET_STRING, OFF(tls_ciphers), 0, 0, RESTART },
	{ "tls-ciphersuites", SET_STRING, OFF(tls_ciphersuites), 0, 0, RESTART },
	{ "tls-ktls", SET_BOOL, OFF(tls_ktls), 0, 0, RESTART },
	{ "public-url", SET_STRING, OFF(public_url), 0, 0, RELOAD },
	{ "action-secret-file", SET_PATH, OFF(action_secret_file), 0, 0, RELOAD },
	{ "action-link-ttl", SET_INT, OFF(action_link_ttl_s), 300, 30 * 86400, RELOAD },
	{ "log-level", SET_LOGLEVEL, OFF(log_level), 0, 0, RELOAD },
	{ "max-message", SET_SIZE, OFF(max_message), 1024, 16 << 20, RELOAD },
	{ "outq-max-messages", SET_U32, OFF(outq_max_messages), 16, 1 << 20, RELOAD },
	{ "outq-max-bytes", SET_SIZE, OFF(outq_max_bytes), 64 << 10, 1LL << 30, RELOAD },
	{ "write-coalesce-ms", SET_INT, OFF(write_coalesce_ms), 0, 1000, RELOAD },
	{ "write-threads", SET_INT, OFF(write_threads), 0, 16, RESTART },
	{ "max-subscriptions", SET_U32, OFF(max_subscriptions), 1, 4096, RELOAD },
	{ "requests-per-second", SET_U32, OFF(requests_per_s), 1, 1000000, RELOAD },
	{ "request-burst", SET_U32, OFF(request_burst), 1, 1000000, RELOAD },
	{ "max-rate-limited", SET_U32, OFF(max_rate_limited), 1, 10000, RELOAD },
	{ "rate-limited-window", SET_INT, OFF(rate_limited_window_s), 1, 3600, RELOAD },
	{ "max-bad-requests", SET_U32, OFF(max_bad_requests), 1, 10000, RELOAD },
	{ "bad-requests-window", SET_INT, OFF(bad_requests_window_s), 1, 3600, RELOAD },
	{ "max-connections", SET_U32, OFF(max_connections), 1, 1000000, RESTART },
	{ "max-orgs", SET_U32, OFF(max_orgs), 1, 10000000, RELOAD },
	{ "org-idle-evict", SET_INT, OFF(org_idle_evict_s), 0, 30 * 86400, RELOAD },
	{ "max-rooms-per-org", SET_U32, OFF(max_rooms_per_org), 1, 1000000, RELOAD },
	{ "max-executions-per-org", SET_U32, OFF(max_executions_per_org), 1, 1000000, RELOAD },
	{ "room-history", SET_U32, OFF(room_history), 0, 1000000, RELOAD },
	{ "room-history-bytes", SET_SIZE, OFF(room_history_bytes), 64 << 10, 1LL << 40, RELOAD },
	{ "dedup-window", SET_U32, OFF(dedup_window), 1, 10000000, RESTART },
	{ "ping-interval", SET_INT, OFF(ping_interval_s), 1, 3600, RELOAD },
	{ "ping-timeout", SET_INT, OFF(ping_timeout_s), 1, 3600, RELOAD },
	{ "http-request-timeout", SET_INT, OFF(http_request_timeout_s), 1, 600, RELOAD },
	{ "max-http-body", SET_SIZE, OFF(max_http_body), 1024, 1LL << 30, RELOAD },
	{ "drain-timeout", SET_INT, OFF(drain_timeout_s), 0, 600, RELOAD },
	{ "queue-backlog-threshold", SET_U32, OFF(queue_backlog_threshold), 1, 100000000, RELOAD },
	{ "queue-wait-window", SET_INT, OFF(queue_wait_window_s), 1, 7 * 86400, RESTART },
	{ "queue-rate-window", SET_INT, OFF(queue_rate_window_s), 1, 7 * 86400, RESTART },
	{ "queue-snapshot-interval", SET_INT, OFF(queue_snapshot_interval_s), 1, 86400, RELOAD },
	{ "sample-interval", SET_INT, OFF(sample_interval_s), 1, 3600, RELOAD },
	{ "cpu-threshold", SET_INT, OFF(cpu_threshold), 1, 100, RELOAD },
	{ "stale-after", SET_INT, OFF(stale_after_s), 1, 7 * 86400, RELOAD },
	{ "notify-attempts", SET_INT, OFF(notify_attempts), 1, 20, RESTART },
	{ "notify-backoff-ms", SET_INT, OFF(notify_backoff_ms), 10, 600000, RESTART },
	{ "notify-timeout-ms", SET_INT, OFF(notify_timeout_ms), 100, 120000, RESTART },
	{ "database", SET_STRING, OFF(database), 0, 0, RESTART | SECRET },
	{ "database-owner", SET_STRING, OFF(database_owner), 0, 0, RESTART | SECRET },
	{ "app-role", SET_STRING, OFF(app_role), 0, 0, RESTART },
	{ "spool-dir", SET_PATH, OFF(spool_dir), 0, 0, RESTART },
	{ "spool-max", SET_SIZE, OFF(spool_max), 1 << 20, 1LL << 40, RESTART },
	{ "data-cap", SET_SIZE, OFF(data_cap), 1024, 16 << 20, RESTART },
	{ "reconnect-max", SET_INT, OFF(reconnect_max_s), 1, 3600, RESTART },
	{ "retention-events-days", SET_INT, OFF(retention_events_days), 0, 36500, RESTART },
	{ "retention-metrics-days", SET_INT, OFF(retention_metrics_days), 0, 36500, RESTART },
	{ "retention-snapshots-days", SET_INT, OFF(retention_snapshots_days), 0, 36500, RESTART },
	{ "retention-rollups-days", SET_INT, OFF(metrics.rollup_retention_days), 0, 36500, RESTART },
	{ "metrics-rollup-interval", SET_INT, OFF(metrics.rollup_interval_s), 0, 3600, RESTART },
	{ "degradation-window-hours", SET_INT, OFF(metrics.degrade_window_hours), 1, 168, RELOAD },
	{ "degradation-baseline-days", SET_INT, OFF(metrics.degrade_baseline_days), 1, 90, RELOAD },
	{ "degradation-p95-margin-percent", SET_INT, OFF(metrics.degrade_p95_margin_pct), 1, 10000, RELOAD },
	{ "degradation-success-margin-points", SET_INT, OFF(metrics.degrade_success_margin_pts), 1, 100, RELOAD },
	{ "degradation-min-runs", SET_INT, OFF(metrics.degrade_min_runs), 1, 100000, RELOAD },
	{ "degradation-check-interval", SET_INT, OFF(metrics.degrade_check_interval_s), 1, 86400, RELOAD },
	{ "prometheus-workflows", SET_INT, OFF(metrics.prometheus_workflows), 0, 1000, RESTART },
	{ "cluster", SET_STRING, OFF(cluster), 0, 0, RESTART },
	{ "cluster-history", SET_U32, OFF(cluster_history), 100, 10000000, RESTART },
	{ "cluster-outbox-max", SET_SIZE, OFF(cluster_outbox_max), 0, 1LL << 40, RESTART },
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

const char *const config_default_path = WFMON_SYSCONFDIR "/wfmon/wfmond.conf";

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->listen_host, sizeof c->listen_host, "127.0.0.1");
	c->listen_port = 7681;
	c->jwt_alg = AUTH_HS256;
	c->jwt_leeway_s = 30;
	c->tls_ciphers = xstrdup(TLS12_CIPHERS);
	c->tls_ciphersuites = xstrdup(TLS13_SUITES);
	c->tls_ktls = true;
	c->action_link_ttl_s = 86400;
	c->log_level = LOG_INFO;
	c->max_message = PROTO_MAX_MESSAGE;
	c->outq_max_messages = 8192;
	c->outq_max_bytes = 1 << 20;
	c->write_coalesce_ms = 5;
	/* One helper where there is a second core to run it. */
	c->write_threads = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0;
	c->max_subscriptions = 64;
	c->requests_per_s = 200;
	c->request_burst = 400;
	c->max_connections = 20000;
	c->max_rooms_per_org = 10000;
	c->max_orgs = 10000;
	c->org_idle_evict_s = 3600;
	c->max_executions_per_org = 5000;
	c->room_history = 1024;
	c->room_history_bytes = (size_t)64 << 20;
	c->dedup_window = 100000;
	c->max_rate_limited = 100;
	c->rate_limited_window_s = 10;
	c->max_bad_requests = 20;
	c->bad_requests_window_s = 5;
	c->ping_interval_s = 25;
	c->ping_timeout_s = 10;
	c->http_request_timeout_s = 10;
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
	c->cluster_history = 20000;
	c->cluster_outbox_max = (size_t)256 << 20;
	c->data_cap = 64 << 10;
	c->reconnect_max_s = 30;
	c->retention_events_days = 90;
	c->retention_metrics_days = 30;
	c->retention_snapshots_days = 30;
	metrics_settings_defaults(&c->metrics);
}

static bool setting_is_string(const struct setting *s)
{
	return s->type == SET_PATH || s->type == SET_STRING || s->type == SET_LIST;
}

void config_free(struct config *c)
{
	for (size_t i = 0; i < NSETTINGS; i++) {
		if (setting_is_string(&settings[i])) {
			char **field = (char **)((char *)c + settings[i].offset);
			free(*field);
			*field = NULL;
		}
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

static const struct setting *setting_find(const char *key)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].name, key) == 0)
			return &settings[i];
	return NULL;
}

int config_set(struct config *c, const char *key, const char *value, char *cause, size_t causelen)
{
	const struct setting *s = setting_find(key);
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
	case SET_LIST: {
		if (*value == '\0') {
			snprintf(cause, causelen, "%s: a value is required", key);
			return -1;
		}
		char *old = *(char **)field;
		*(char **)field = old ? xasprintf("%s\n%s", old, value) : xstrdup(value);
		free(old);
		return 0;
	}
	case SET_BOOL: {
		static const char *const yes[] = { "on", "yes", "true", "1" }, *const no[] = { "off", "no", "false", "0" };
		for (size_t i = 0; i < 4; i++) {
			if (strcmp(value, yes[i]) == 0 || strcmp(value, no[i]) == 0) {
				*(bool *)field = strcmp(value, yes[i]) == 0;
				return 0;
			}
		}
		snprintf(cause, causelen, "%s: expected on or off, got '%s'", key, value);
		return -1;
	}
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

static int config_file_pair(const char *key, const char *value, void *arg, char *why, size_t whylen)
{
	return config_set(arg, key, value, why, whylen);
}

int config_load_file(struct config *c, const char *path, char *cause, size_t causelen)
{
	return conffile_load(path, CONFIG_FILE_MAX, "\"key = value\"", config_file_pair, c, cause,
			     causelen);
}

int config_check(const struct config *c, char *cause, size_t causelen)
{
	bool ring = c->jwt_keys != NULL || c->jwt_jwks_file != NULL;
	if (c->jwt_alg == AUTH_HS256 && c->jwt_secret_file == NULL && !ring) {
		snprintf(cause, causelen,
			 "no JWT key: give --jwt-secret-file FILE (HS256), --jwt-alg RS256|ES256 "
			 "--jwt-public-key FILE, --jwt-key \"KID ALG FILE\" or --jwt-jwks-file FILE");
		return -1;
	}
	if (c->jwt_alg != AUTH_HS256 && c->jwt_public_key == NULL && !ring) {
		snprintf(cause, causelen, "--jwt-alg %s needs --jwt-public-key FILE (a PEM public key)",
			 c->jwt_alg == AUTH_RS256 ? "RS256" : "ES256");
		return -1;
	}
	if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
		snprintf(cause, causelen, "TLS needs both --tls-cert FILE (the certificate chain, PEM) and "
					  "--tls-key FILE (its private key, PEM)");
		return -1;
	}
	if (c->tls_client_ca != NULL && c->tls_cert == NULL) {
		snprintf(cause, causelen, "--tls-client-ca asks clients for certificates over TLS: give "
					  "--tls-cert and --tls-key too");
		return -1;
	}
	if (c->public_url != NULL && strncmp(c->public_url, "https://", 8) != 0 &&
	    strncmp(c->public_url, "http://", 7) != 0) {
		snprintf(cause, causelen, "public-url must be the daemon's address as people's browsers "
					  "reach it, as in https://wfmon.example.com:7681, got '%s'", c->public_url);
		return -1;
	}
	if (c->public_url != NULL && c->action_secret_file == NULL) {
		snprintf(cause, causelen, "public-url puts signed links in notifications: give "
					  "action-secret-file FILE too (at least 32 random bytes), e.g. "
					  "head -c 48 /dev/urandom | base64 > /etc/wfmon/action-secret");
		return -1;
	}
	if (c->cluster != NULL) {
		char host[256];
		int port;
		if (cluster_url_parse(c->cluster, host, sizeof host, &port, cause, causelen) < 0)
			return -1;
		if (c->database == NULL) {
			snprintf(cause, causelen, "--cluster needs --database: the nodes of a cluster share one "
						  "PostgreSQL (see wfmond(8), CLUSTER)");
			return -1;
		}
	}
	if (c->request_burst < c->requests_per_s / 10) {
		snprintf(cause, causelen, "request-burst must be at least a tenth of requests-per-second");
		return -1;
	}
	return 0;
}

void config_auth_settings(const struct config *c, struct auth_settings *st)
{
	memset(st, 0, sizeof *st);
	st->alg = c->jwt_alg;
	st->key_path = c->jwt_alg == AUTH_HS256 ? c->jwt_secret_file : c->jwt_public_key;
	st->ring = c->jwt_keys;
	st->jwks_path = c->jwt_jwks_file;
	st->issuer = c->jwt_issuer;
	st->audience = c->jwt_audience;
	st->leeway_s = c->jwt_leeway_s;
}

/* ---- where settings come from ------------------------------------------------------ */

void config_source_init(struct config_source *src)
{
	memset(src, 0, sizeof *src);
}

void config_source_free(struct config_source *src)
{
	free(src->path);
	for (size_t i = 0; i < src->nflags; i++) {
		free(src->flags[i].key);
		free(src->flags[i].value);
	}
	free(src->flags);
	config_source_init(src);
}

void config_source_set_file(struct config_source *src, const char *path, bool given)
{
	free(src->path);
	src->path = xstrdup(path);
	src->path_given = given;
}

void config_source_add_flag(struct config_source *src, const char *key, const char *value)
{
	src->flags = xrealloc(src->flags, sizeof *src->flags * (src->nflags + 1));
	src->flags[src->nflags].key = xstrdup(key);
	src->flags[src->nflags].value = xstrdup(value);
	src->nflags++;
}

int config_build(const struct config_source *src, struct config *out, char *cause, size_t causelen)
{
	config_defaults(out);
	out->file_found = false;
	if (src->path != NULL) {
		if (config_load_file(out, src->path, cause, causelen) == 0) {
			out->file_found = true;
		} else if (errno != ENOENT || src->path_given) {
			config_free(out);
			return -1;
		}
	}
	for (size_t i = 0; i < src->nflags; i++) {
		char msg[400];
		if (config_set(out, src->flags[i].key, src->flags[i].value, msg, sizeof msg) < 0) {
			snprintf(cause, causelen, "--%s: %s", src->flags[i].key, msg);
			config_free(out);
			return -1;
		}
	}
	return 0;
}

/* ---- settings one by one (for the reload) --------------------------------------- */

size_t config_setting_count(void)
{
	return NSETTINGS;
}

const char *config_setting_name(size_t i)
{
	return settings[i].name;
}

bool config_setting_reloadable(size_t i)
{
	return (settings[i].flags & RELOAD) != 0;
}

bool config_setting_secret(size_t i)
{
	return (settings[i].flags & SECRET) != 0;
}

bool config_setting_switch_restart(size_t i)
{
	return (settings[i].flags & SWITCH_RESTART) != 0;
}

bool config_setting_is_set(const struct config *c, size_t i)
{
	if (!setting_is_string(&settings[i]))
		return true;
	return *(char *const *)((const char *)c + settings[i].offset) != NULL;
}

void config_setting_format(const struct config *c, size_t i, char *buf, size_t len)
{
	const struct setting *s = &settings[i];
	const char *field = (const char *)c + s->offset;
	switch (s->type) {
	case SET_LISTEN:
		snprintf(buf, len, "%s:%d", c->listen_host, c->listen_port);
		return;
	case SET_PATH:
	case SET_STRING:
		snprintf(buf, len, "%s", *(char *const *)field ? *(char *const *)field : "(none)");
		return;
	case SET_LIST:
		snprintf(buf, len, "%s", *(char *const *)field ? *(char *const *)field : "(none)");
		for (char *p = buf; (p = strchr(p, '\n')) != NULL;)
			*p = ';';
		return;
	case SET_BOOL:
		snprintf(buf, len, "%s", *(const bool *)field ? "on" : "off");
		return;
	case SET_ALG:
		snprintf(buf, len, "%s", auth_alg_name(*(const enum auth_alg *)field));
		return;
	case SET_LOGLEVEL:
		snprintf(buf, len, "%s", log_level_name(*(const enum log_level *)field));
		return;
	case SET_INT:
		snprintf(buf, len, "%d", *(const int *)field);
		return;
	case SET_U32:
		snprintf(buf, len, "%u", *(const uint32_t *)field);
		return;
	case SET_SIZE:
		snprintf(buf, len, "%zu", *(const size_t *)field);
		return;
	}
	buf[0] = '\0';
}

bool config_setting_equal(const struct config *a, const struct config *b, size_t i)
{
	char x[512], y[512];
	config_setting_format(a, i, x, sizeof x);
	config_setting_format(b, i, y, sizeof y);
	return strcmp(x, y) == 0;
}

void config_setting_copy(struct config *dst, const struct config *src, size_t i)
{
	const struct setting *s = &settings[i];
	char *to = (char *)dst + s->offset;
	const char *from = (const char *)src + s->offset;
	switch (s->type) {
	case SET_LISTEN:
		memcpy(dst->listen_host, src->listen_host, sizeof dst->listen_host);
		dst->listen_port = src->listen_port;
		return;
	case SET_PATH:
	case SET_STRING:
	case SET_LIST:
		free(*(char **)to);
		*(char **)to = *(char *const *)from ? xstrdup(*(char *const *)from) : NULL;
		return;
	case SET_BOOL:
		*(bool *)to = *(const bool *)from;
		return;
	case SET_ALG:
		*(enum auth_alg *)to = *(const enum auth_alg *)from;
		return;
	case SET_LOGLEVEL:
		*(enum log_level *)to = *(const enum log_level *)from;
		return;
	case SET_INT:
		*(int *)to = *(const int *)from;
		return;
	case SET_U32:
		*(uint32_t *)to = *(const uint32_t *)from;
		return;
	case SET_SIZE:
		*(size_t *)to = *(const size_t *)from;
		return;
	}
}
