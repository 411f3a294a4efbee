/* config.h: wfmond's settings, from defaults, then the config file, then flags.
 *
 * The config file holds "key = value" lines (conffile.h); every key is also a
 * long flag (--key value). man/wfmond.conf.5 lists them all. The file is
 * config_default_path unless --config names another; a missing default file
 * means defaults and flags only, a missing named file is an error.
 *
 * struct config_source keeps where the settings came from (the file and the
 * flags, in order), so that SIGHUP (reload.h) builds the next configuration
 * exactly as start-up built the first, flags still overriding the file. */
#ifndef WFMON_CONFIG_H
#define WFMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "log.h"
#include "metrics.h"

struct config {
	char listen_host[64];
	int listen_port;
	char *jwt_secret_file;         /* HS256 */
	char *jwt_public_key;          /* RS256 / ES256 */
	enum auth_alg jwt_alg;
	int jwt_leeway_s;
	char *jwt_keys;                /* "KID ALG FILE" lines: the keyring (auth.h) */
	char *jwt_jwks_file;           /* a JWKS file: more of the keyring */
	char *jwt_issuer;              /* required "iss", NULL: not checked */
	char *jwt_audience;            /* required in "aud", NULL: not checked */
	char *tls_cert;                /* PEM chain: HTTPS and WSS on the listener (tls.h) */
	char *tls_key;
	char *tls_client_ca;           /* clients must show a certificate this CA signed */
	char *tls_ciphers;             /* TLS 1.2 */
	char *tls_ciphersuites;        /* TLS 1.3 */
	bool tls_ktls;                 /* let OpenSSL hand the encryption to the kernel */
	char *public_url;              /* how people reach the daemon: action links (action.h) */
	char *action_secret_file;      /* signs action links */
	int action_link_ttl_s;
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
	uint32_t max_orgs;            /* organizations in memory */
	int org_idle_evict_s;         /* an idle one is freed after this (0: never) */
	uint32_t max_rooms_per_org;
	uint32_t max_executions_per_org;
	uint32_t room_history;         /* events a room keeps for resume */
	size_t room_history_bytes;     /* bytes of kept events per organization, all its rooms */
	uint32_t dedup_window;         /* event ids remembered per organization */
	uint32_t max_rate_limited;     /* refusals for the budget tolerated within ... */
	int rate_limited_window_s;     /* ... this window; then close 4002 */
	uint32_t max_bad_requests;     /* malformed requests tolerated within ... */
	int bad_requests_window_s;     /* ... this window; then close 4003 */
	int ping_interval_s;           /* silence before a ping */
	int ping_timeout_s;            /* then this long for any sign of life */
	int http_request_timeout_s;    /* to send a whole HTTP request (slowloris) */
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
	/* performance metrics: rollups, degradation, Prometheus series (metrics.h) */
	struct metrics_settings metrics;
	/* several nodes (cluster.h): NULL runs alone */
	char *cluster;                 /* redis://HOST:PORT */
	uint32_t cluster_history;      /* recent events kept per organization for resuming anywhere */
	size_t cluster_outbox_max;     /* bytes of batches kept while Redis is away; 0: refuse them */
	bool file_found;               /* the config file was read (config_build) */
};

/* The default config file: SYSCONFDIR/wfmon/wfmond.conf of the build. */
extern const char *const config_default_path;

struct config_flag {
	char *key;                     /* without its dashes */
	char *value;
};

struct config_source {
	char *path;                    /* the config file, NULL: none */
	bool path_given;               /* named by --config: it must exist */
	struct config_flag *flags;     /* command-line settings, in order */
	size_t nflags;
};

void config_source_init(struct config_source *src);
void config_source_free(struct config_source *src);
/* Copies path. */
void config_source_set_file(struct config_source *src, const char *path, bool given);
/* Copies key and value (checked when the configuration is built). */
void config_source_add_flag(struct config_source *src, const char *key, const char *value);
/* Defaults, the file, then the flags (config_check is the caller's next
 * step). Returns 0 with *out filled (free it with config_free), or -1 with a
 * cause ("FILE:LINE: ..." or "--key: ...") and nothing to free. */
int config_build(const struct config_source *src, struct config *out, char *cause, size_t causelen);

void config_defaults(struct config *c);
void config_free(struct config *c);
/* Applies the config file at path. Returns -1 with "path:line: message" in cause. */
int config_load_file(struct config *c, const char *path, char *cause, size_t causelen);
/* Applies one setting by name (a file key or a flag without its dashes). */
int config_set(struct config *c, const char *key, const char *value, char *cause, size_t causelen);
/* Checks the settings belong together (a key is given, limits are sane). */
int config_check(const struct config *c, char *cause, size_t causelen);
/* The verifier's settings (auth.h); strings borrowed from c. */
void config_auth_settings(const struct config *c, struct auth_settings *st);

/* The settings one by one, in table order, for the reload's comparison. */
size_t config_setting_count(void);
const char *config_setting_name(size_t i);
/* Whether SIGHUP may change it (else only a restart does). */
bool config_setting_reloadable(size_t i);
/* Whether its value may hold a password (never log it). */
bool config_setting_secret(size_t i);
/* Whether only a restart may set or unset it (a reload may change it). */
bool config_setting_switch_restart(size_t i);
/* False for a string setting without a value. */
bool config_setting_is_set(const struct config *c, size_t i);
/* Its value as text ("(none)" for an unset string). */
void config_setting_format(const struct config *c, size_t i, char *buf, size_t len);
bool config_setting_equal(const struct config *a, const struct config *b, size_t i);
/* Sets dst's value of setting i to src's. */
void config_setting_copy(struct config *dst, const struct config *src, size_t i);

#endif
