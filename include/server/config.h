/* config.h: wfmond's settings, from defaults, then the config file, then flags.
 *
 * The config file holds "key = value" lines (# starts a comment); every key is
 * also a long flag (--key value). man/wfmond.conf.5 lists them all. */
#ifndef WFMON_CONFIG_H
#define WFMON_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "log.h"

struct config {
	char listen_host[64];
	int listen_port;
	char *jwt_secret_file;         /* HS256 */
	char *jwt_public_key;          /* RS256 / ES256 */
	enum auth_alg jwt_alg;
	int jwt_leeway_s;
	enum log_level log_level;
	size_t max_message;            /* inbound frame limit (close 1009) */
	uint32_t outq_max_messages;    /* per connection, before it is cut off as slow */
	size_t outq_max_bytes;
	int write_coalesce_ms;         /* least time between two writes of room events to a socket */
	int write_threads;             /* helpers that share a flush of many sockets */
	uint32_t max_subscriptions;    /* per connection */
	uint32_t requests_per_s;       /* per connection, token bucket rate */
	uint32_t request_burst;
	uint32_t max_connections;
	uint32_t max_rooms_per_org;
	uint32_t max_executions_per_org;
	uint32_t room_history;         /* events a room keeps for resume */
	uint32_t dedup_window;         /* event ids remembered per organization */
	int ping_interval_s;
	int ping_timeout_s;
	size_t max_http_body;
	int drain_timeout_s;
	/* queue and resources (monitor.h) */
	uint32_t queue_backlog_threshold;
	int queue_wait_window_s;
	int queue_rate_window_s;
	int queue_snapshot_interval_s;
	int sample_interval_s;
	int cpu_threshold;
	int stale_after_s;             /* a running execution silent this long counts as stale */
	/* alert notifications (notify.h) */
	int notify_attempts;
	int notify_backoff_ms;
	int notify_timeout_ms;
	/* storage (all optional: without a database the daemon keeps nothing) */
	char *database;                /* libpq conninfo of the daemon's role */
	char *database_owner;          /* conninfo of the schema owner: migrate at start-up */
	char *app_role;                /* the daemon's role, granted rights by migrations */
	char *spool_dir;
	size_t spool_max;
	size_t data_cap;
	int reconnect_max_s;
	int retention_events_days;
	int retention_metrics_days;
	int retention_snapshots_days;
};

void config_defaults(struct config *c);
void config_free(struct config *c);
/* Applies the config file at path. Returns -1 with "path:line: message" in cause. */
int config_load_file(struct config *c, const char *path, char *cause, size_t causelen);
/* Applies one setting by name (a file key or a flag without its dashes). */
int config_set(struct config *c, const char *key, const char *value, char *cause, size_t causelen);
/* Checks the settings belong together (a key is given, limits are sane). */
int config_check(const struct config *c, char *cause, size_t causelen);

#endif
