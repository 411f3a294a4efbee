/* store.h: durable history: an fsync'd on-disk spool and PostgreSQL, behind
 * two store threads, so that the WebSocket loop never waits on either and an
 * acknowledgement never waits on PostgreSQL.
 *
 * Flow. The loop thread hands accepted events to store_append. The spool
 * thread appends them to the spool and fdatasyncs (group commit: everything
 * queued is written with one sync); then it reports the batch DURABLE (the
 * producer's ack may go out). The database thread writes what the spool holds
 * into PostgreSQL in one transaction per organization. When PostgreSQL is
 * down, slow or catching up after an outage, events keep going to the spool
 * (bounded by spool_max_bytes) at the disk's pace and are written once it can
 * take them; a full spool makes store_append refuse, and the producer is told
 * to retry. Spool segments are deleted once every record in them is in
 * PostgreSQL; at start-up whatever is left is written again (inserting is
 * idempotent on (org, event_id)).
 *
 * Queries run on the database thread in FIFO order. A query submitted after
 * an append sees that append's events: it waits for the spool thread to have
 * taken them, and the spool is written into PostgreSQL before it runs; while
 * the spool still holds events PostgreSQL has not taken (it is away or
 * catching up), a query that reads history is refused ("catching up"), so an
 * answer never has a gap.
 *
 * Migrations. Given the schema owner's conninfo (migrate_conninfo), the
 * database thread applies the migrations before it writes or queries
 * anything, retrying with the connection's backoff while PostgreSQL is away:
 * the daemon can start, serve and spool without it.
 *
 * Isolation. Every transaction starts with set_config('wfmon.org', $org, true);
 * the daemon's role is not a superuser, does not own the tables and has no
 * BYPASSRLS, so row-level security holds even if this code had a bug.
 *
 * Threads: store_new, store_append, store_query, store_take_done, store_status
 * and store_free are called from the loop thread only; `wake` is called from
 * either store thread (wfmond passes a function that calls lws_cancel_service). */
#ifndef WFMON_STORE_H
#define WFMON_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "proto.h"

struct store;

struct store_config {
	const char *conninfo;        /* libpq conninfo of the daemon's role; also PG* environment */
	const char *spool_dir;       /* created if missing */
	size_t spool_max_bytes;      /* refuse appends past this */
	size_t data_cap_bytes;       /* step input/output kept in the step table, larger ones are cut */
	int reconnect_max_s;         /* backoff ceiling */
	int retention_events_days;   /* execution_events, executions, steps */
	int retention_metrics_days;  /* *_metrics */
	int retention_snapshots_days;/* queue_snapshots */
	const char *migrate_conninfo;/* the schema owner's: migrate before anything else; NULL: migrated */
	const char *app_role;        /* granted its rights by those migrations */
	struct metrics_settings metrics; /* rollup upkeep and retention, degradation margins */
};

/* One accepted event. */
struct store_event {
	char org[PROTO_MAX_ID + 1];
	int64_t pos;                 /* its position (see room.h) */
	const char *json;            /* borrowed: the validated event, compact JSON */
	size_t len;                  /* its length (0: up to its NUL) */
	int64_t in_size, out_size;   /* bytes of its step input / output as compact JSON; 0 or less: none */
};

enum store_query_kind {
	/* The three history queries' params obey proto_query_params_new (the
	 * store checks them with it); a refusal names the parameter. */
	/* params {"status"?: "running"|[...], "workflow"?: id, "from"?: time, "to"?: time,
	 *         "text"?: string, "limit"?: 1..500 (50), "after"?: cursor}
	 * result {"executions": [summary...], "next": cursor|null}, newest first */
	STORE_Q_EXECUTIONS,
	/* params {"id": execution id}
	 * result {"execution": full|null, "events": [event with "pos", oldest first, at most 2000]} */
	STORE_Q_EXECUTION,
	/* params {"workflow_id": id, "runs"?: 1..1000 (20)}
	 * result {"workflow_id":..,"runs":n,"steps":[{"step_id","name","count","avg_ms","p95_ms",
	 *         "min_ms","max_ms"}]} over the last n finished executions of the workflow */
	STORE_Q_STEP_STATS,
	/* params {"room": name, "since": pos, "limit": n}
	 * result {"found": bool (an event at position `since` exists and belongs to the room),
	 *         "events": [{"pos": p, "event": {...}} in order, input/output removed for
	 *         rooms other than execution:], "truncated": bool (more than limit)} */
	STORE_Q_REPLAY,
	/* Writes that are not events; params is the row. Best effort: they wait
	 * while the database is away (bounded) and are never refused for a spool
	 * that is catching up. result {} */
	STORE_Q_PUT_QUEUE_SNAPSHOT, /* {"depth","processing","by_priority":{..},"oldest_age_ms",
				     *  "avg_wait_ms","rate_per_min"} -> queue_snapshots */
	STORE_Q_PUT_DAEMON_SAMPLE,  /* {"cpu_percent","memory_bytes","tags":{..}} -> resource_metrics */
	STORE_Q_PUT_AUDIT,          /* {"actor","action","target","details":{..}} -> audit_log */
	STORE_Q_PUT_RULE,           /* {"rule": storage form, "by"} -> monitoring_alerts (upsert) */
	STORE_Q_PUT_RULE_DELETE,    /* {"rule_id"} */
	STORE_Q_PUT_ALERT,          /* the alert record (alerts.h) -> alert_history (upsert by id) */
	STORE_Q_PUT_NOTIFY_ATTEMPT, /* {"alert_id","channel","channel_index","attempt","ok","final","detail"} */
	STORE_Q_PUT_ACTION_USE,     /* {"nonce","alert_id","action","by","exp_s"} -> action_link_uses (once) */
	STORE_Q_PUT_SCHEDULE,       /* {"schedule": its JSON form (schedule.h), "by"} -> workflow_schedules (upsert) */
	STORE_Q_PUT_SCHEDULE_DELETE,/* {"workflow_id"} */
	/* params {} -> {"active":n,"idle":n,"total":n,"max":n}: this database's
	 * connections, from PostgreSQL itself */
	STORE_Q_DB_CONNECTIONS,
	/* params {"query": the metrics query's params as metrics_params_new
	 * leaves them, "now_ms": the daemon's clock} -> the metrics answer
	 * (man/wfmon-protocol.7); rollups are brought up to date first. A
	 * workflow that is not found gives {"workflow": null}. */
	STORE_Q_METRICS,
	/* params {"op": "list"|"get"|"save"|"delete"|"default", "actor": the
	 * token's subject, "role": its role, "user": whose dashboards, "name"?,
	 * "dashboard"? (save), "rename_from"? (save)} -> {"dashboards": [..]}
	 * (list), {"dashboard": {..}} (get, default, save with "created"),
	 * {"name"} (delete), or {"refused": {"code","field","message"}}; audit
	 * rows in the same transaction (src/store/dashboards.c). Never refused
	 * while the spool catches up: it reads no history. */
	STORE_Q_DASHBOARD,
	STORE_Q__COUNT
};
/* Whether a query kind only writes (and so may run while the spool drains). */
bool store_query_is_put(enum store_query_kind kind);

enum store_done_kind { STORE_DONE_DURABLE, STORE_DONE_QUERY };

/* A completion, handed back to the loop thread. */
struct store_done {
	enum store_done_kind kind;
	uint64_t ticket;             /* as given to store_append / store_query */
	int status;                  /* 0, or -1 with error set */
	char error[256];             /* a sentence safe to show a client */
	json_t *result;              /* queries: owned */
};

enum store_db_state { STORE_DB_CONNECTING, STORE_DB_UP, STORE_DB_DOWN };
const char *store_db_state_name(enum store_db_state s);

struct store_status {
	enum store_db_state db;
	char db_error[256];          /* last connection error, without passwords */
	uint64_t spool_bytes;        /* on disk now */
	uint64_t pending_records;    /* in the spool, not yet in PostgreSQL */
	uint64_t written_total;      /* events written to PostgreSQL since start */
	uint64_t refused_total;      /* appends refused for a full spool */
	uint64_t write_us_total;     /* time the store thread spent writing events */
	uint64_t write_batches;      /* transactions that wrote them */
	uint64_t rollup_us_total;    /* time it spent in periodic rollup passes */
	uint64_t rollup_facts_total; /* facts those passes rolled up */
	int64_t last_write_ms;       /* wall clock of the last successful write, 0 if none */
	/* How long the spool's group commits (write and fdatasync) took: the
	 * floor of every acknowledgement's wait. syncs_le[i] counts those that
	 * took at most store_sync_bounds_ms[i]; syncs counts them all. */
	uint64_t syncs;
	uint64_t sync_us_total;
	uint64_t syncs_le[8];
};
extern const unsigned store_sync_bounds_ms[8];

/* Opens the spool (recovering what a crash left) and starts the thread, which
 * connects to PostgreSQL by itself with backoff. Returns NULL with a cause if
 * the spool folder cannot be used. */
struct store *store_new(const struct store_config *cfg, void (*wake)(void *arg), void *wake_arg,
			char *cause, size_t causelen);
/* Stops the thread after it has synced what it was given; frees everything. */
void store_free(struct store *s);

/* The highest event position found in the spool at start-up (0 if none). */
int64_t store_spool_max_pos(const struct store *s);
/* Calls fn for the organization and event id of every event found in the
 * spool at start-up (then forgets them): the daemon recognises their retries
 * even before PostgreSQL has them. Loop thread, once. */
void store_take_recovered(struct store *s, void (*fn)(const char *org, const char *event_id, void *arg),
			  void *arg);
/* Start-up: waits until what the spool held is in PostgreSQL. 0, or -1 when
 * PostgreSQL is away or timeout_ms passed. */
int store_wait_drained(struct store *s, int timeout_ms);

/* Copies the events (their texts are borrowed for the call). Returns -1 when
 * the spool is full. The DURABLE completion for `ticket` follows once synced. */
int store_append(struct store *s, struct store_event *events, size_t n, uint64_t ticket);
/* Takes params. Returns -1 if the query queue is full. */
int store_query(struct store *s, enum store_query_kind kind, const char *org, json_t *params,
		uint64_t ticket);

/* Moves up to max ready completions into out; returns how many. */
size_t store_take_done(struct store *s, struct store_done **out, size_t max);
void store_done_free(struct store_done *d);

void store_get_status(struct store *s, struct store_status *out);

/* ---- start-up, synchronous (before the loop runs) -------------------------- */

/* Applies pending migrations in order as the owner (conninfo of the owner role),
 * recording each in schema_migrations; grants the daemon role (app_role) what
 * it needs. Safe to run twice. Returns 0, -1 with a cause, or
 * STORE_MIGRATE_UNREACHABLE (with a cause) when PostgreSQL did not answer
 * at all (down, starting up or shutting down): worth retrying later, unlike a
 * refused login or a failing migration. */
#define STORE_MIGRATE_UNREACHABLE (-2)
int store_migrate(const char *owner_conninfo, const char *app_role, char *cause, size_t causelen);

/* What the daemon reloads into memory after a restart, for every organization
 * with history: {"orgs": [{"org": id, "max_pos": n, "recent_event_ids": [..],
 * "executions": [full execution, as exec_json_new (exec.h) shapes it,
 * for every queued or running one, and the 100 most recent finished ones,
 * oldest first], "rules": [storage forms], "alerts": [alert records: every
 * active or acknowledged one and the 50 most recent resolved, oldest first],
 * "cooldowns": [{"rule_id","workflow_id","fired_ms"}], "attention": {"failed":
 * [{"execution_id","workflow_id","failed_ms"}: failed executions not handled
 * yet, as org_summary.h defines it, newest first, at most 10000],
 * "succeeded": [{"workflow_id","start_ms"}: each workflow's latest start of a
 * completed run]}, "schedules": [JSON forms], "workflow_runs":
 * [{"workflow_id","last_started_ms","last_completed_ms","last_failed_ms"}] of
 * the scheduled workflows}]}. Returns NULL with a cause when PostgreSQL cannot
 * be reached. */
json_t *store_load_state(const char *conninfo, size_t recent_ids, char *cause, size_t causelen);

#endif
