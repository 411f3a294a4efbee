-- 0001_schema: the tables, their indexes and row-level security.
--
-- Every table but schema_migrations carries org_id, and every such table has
-- ENABLE + FORCE ROW LEVEL SECURITY with one policy: a row is visible and
-- writable only when its org_id equals the transaction's wfmon.org setting.
-- With no organization set, current_setting('wfmon.org', true) is NULL and
-- nothing matches. Ids are protocol ids (text), times are timestamptz.

CREATE TABLE workflows (
	org_id      text NOT NULL,
	workflow_id text NOT NULL,
	name        text NOT NULL,
	first_seen  timestamptz NOT NULL,
	last_seen   timestamptz NOT NULL,
	PRIMARY KEY (org_id, workflow_id)
);

CREATE TABLE workflow_executions (
	org_id         text NOT NULL,
	execution_id   text NOT NULL,
	workflow_id    text NOT NULL,
	workflow_name  text NOT NULL,
	status         text NOT NULL
		CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
	priority       text NOT NULL DEFAULT 'NORMAL' CHECK (priority IN ('HIGH', 'NORMAL', 'LOW')),
	first_seen     timestamptz NOT NULL,            -- time of its earliest event
	queued_at      timestamptz,
	started_at     timestamptz,
	finished_at    timestamptz,
	last_heartbeat timestamptz NOT NULL,            -- time of its latest event
	-- The list order: queued_at, or started_at when never queued.
	sort_at        timestamptz GENERATED ALWAYS AS (coalesce(queued_at, started_at, first_seen)) STORED,
	error          text,
	error_code     text,
	worker         text,
	params         jsonb,
	steps_total    integer NOT NULL DEFAULT 0,      -- steps in the queued plan
	event_count    bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (org_id, execution_id)
);
CREATE INDEX workflow_executions_org_time
	ON workflow_executions (org_id, sort_at DESC, execution_id DESC);
CREATE INDEX workflow_executions_workflow_time
	ON workflow_executions (org_id, workflow_id, sort_at DESC, execution_id DESC);
CREATE INDEX workflow_executions_workflow_finished
	ON workflow_executions (org_id, workflow_id, finished_at DESC) WHERE finished_at IS NOT NULL;
CREATE INDEX workflow_executions_active
	ON workflow_executions (org_id, sort_at DESC) WHERE status IN ('queued', 'running');
CREATE INDEX workflow_executions_heartbeat
	ON workflow_executions (org_id, last_heartbeat);

CREATE TABLE step_executions (
	org_id           text NOT NULL,
	execution_id     text NOT NULL,
	step_id          text NOT NULL,
	seq              integer,                        -- position in the queued plan, NULL if unplanned
	name             text,
	depends_on       jsonb NOT NULL DEFAULT '[]',
	status           text NOT NULL DEFAULT 'pending'
		CHECK (status IN ('pending', 'running', 'completed', 'failed')),
	started_at       timestamptz,
	finished_at      timestamptz,
	duration_ms      bigint,
	input            jsonb,                          -- {"truncated": true, "size": n} past the data cap
	output           jsonb,
	input_size       integer,                        -- bytes of the compact JSON as received
	output_size      integer,
	error            text,
	error_code       text,
	cpu_percent      double precision,
	memory_bytes     bigint,
	worker           text,
	progress_current bigint,
	progress_total   bigint,
	progress_unit    text,
	progress_message text,
	PRIMARY KEY (org_id, execution_id, step_id),
	FOREIGN KEY (org_id, execution_id) REFERENCES workflow_executions ON DELETE CASCADE
);

-- Counters are absolute totals: the stored value is the largest seen.
CREATE TABLE execution_counters (
	org_id       text NOT NULL,
	execution_id text NOT NULL,
	name         text NOT NULL,
	value        bigint NOT NULL,
	updated_at   timestamptz NOT NULL,
	PRIMARY KEY (org_id, execution_id, name),
	FOREIGN KEY (org_id, execution_id) REFERENCES workflow_executions ON DELETE CASCADE
);

-- The event log: every accepted event once, with its organization position.
CREATE TABLE execution_events (
	org_id       text NOT NULL,
	pos          bigint NOT NULL,
	event_id     text NOT NULL,
	execution_id text NOT NULL,
	workflow_id  text NOT NULL,
	kind         text NOT NULL,
	step_id      text,
	ts           timestamptz NOT NULL,
	received_at  timestamptz NOT NULL DEFAULT now(),
	body         jsonb NOT NULL,
	PRIMARY KEY (org_id, pos),
	UNIQUE (org_id, event_id)
);
CREATE INDEX execution_events_execution ON execution_events (org_id, execution_id, pos);
CREATE INDEX execution_events_workflow ON execution_events (org_id, workflow_id, pos);
CREATE INDEX execution_events_kind ON execution_events (org_id, kind, pos);
CREATE INDEX execution_events_received ON execution_events (org_id, received_at);

CREATE TABLE execution_metrics (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id       text NOT NULL,
	execution_id text NOT NULL,
	workflow_id  text NOT NULL,
	metric_type  text NOT NULL,                      -- queue_wait_ms, duration_ms
	metric_value double precision NOT NULL,
	metadata     jsonb NOT NULL DEFAULT '{}',
	recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX execution_metrics_workflow_time ON execution_metrics (org_id, workflow_id, recorded_at DESC);
CREATE INDEX execution_metrics_org_time ON execution_metrics (org_id, recorded_at DESC);

CREATE TABLE step_metrics (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id       text NOT NULL,
	execution_id text NOT NULL,
	workflow_id  text NOT NULL,
	step_id      text NOT NULL,
	status       text NOT NULL,
	duration_ms  bigint,
	cpu_percent  double precision,
	memory_bytes bigint,
	input_size   integer,
	output_size  integer,
	recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX step_metrics_execution ON step_metrics (org_id, execution_id);
CREATE INDEX step_metrics_step_time ON step_metrics (org_id, workflow_id, step_id, recorded_at DESC);
CREATE INDEX step_metrics_org_time ON step_metrics (org_id, recorded_at DESC);

CREATE TABLE resource_metrics (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id       text NOT NULL,
	worker       text NOT NULL,
	execution_id text,
	workflow_id  text,
	step_id      text,
	cpu_percent  double precision NOT NULL,
	memory_bytes bigint NOT NULL,
	recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX resource_metrics_org_time ON resource_metrics (org_id, recorded_at DESC);
CREATE INDEX resource_metrics_worker_time ON resource_metrics (org_id, worker, recorded_at DESC);

CREATE TABLE queue_snapshots (
	id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id                     text NOT NULL,
	queue_name                 text NOT NULL DEFAULT 'default',
	pending_count              integer NOT NULL DEFAULT 0,
	processing_count           integer NOT NULL DEFAULT 0,
	pending_by_priority        jsonb NOT NULL DEFAULT '{}',
	oldest_wait_ms             bigint,
	average_wait_ms            bigint,
	processing_rate_per_minute double precision,
	recorded_at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX queue_snapshots_org_time ON queue_snapshots (org_id, recorded_at DESC);

CREATE TABLE monitoring_alerts (
	org_id                text NOT NULL,
	alert_id              text NOT NULL,
	workflow_id           text,                      -- NULL: every workflow
	alert_type            text NOT NULL,
	name                  text NOT NULL,
	conditions            jsonb NOT NULL,
	notification_channels jsonb NOT NULL DEFAULT '[]',
	cooldown_minutes      integer NOT NULL DEFAULT 15,
	is_active             boolean NOT NULL DEFAULT true,
	created_by            text NOT NULL,
	created_at            timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, alert_id)
);

CREATE TABLE alert_history (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id          text NOT NULL,
	alert_id        text NOT NULL,
	workflow_id     text,
	execution_id    text,
	severity        text NOT NULL,
	message         text NOT NULL,
	context         jsonb NOT NULL DEFAULT '{}',
	status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'acknowledged', 'resolved')),
	acknowledged_by text,
	acknowledged_at timestamptz,
	resolved_at     timestamptz,
	triggered_at    timestamptz NOT NULL DEFAULT now(),
	FOREIGN KEY (org_id, alert_id) REFERENCES monitoring_alerts ON DELETE CASCADE
);
CREATE INDEX alert_history_org_time ON alert_history (org_id, triggered_at DESC);
CREATE INDEX alert_history_active ON alert_history (org_id, status) WHERE status = 'active';

CREATE TABLE user_dashboards (
	org_id     text NOT NULL,
	user_id    text NOT NULL,                        -- the token's subject
	name       text NOT NULL,
	layout     jsonb NOT NULL DEFAULT '{}',
	widgets    jsonb NOT NULL DEFAULT '[]',
	is_default boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, user_id, name)
);

CREATE TABLE audit_log (
	id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id  text NOT NULL,
	actor   text NOT NULL,
	action  text NOT NULL,
	target  text,
	details jsonb NOT NULL DEFAULT '{}',
	at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_org_time ON audit_log (org_id, at DESC);

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['workflows', 'workflow_executions', 'step_executions',
			'execution_counters', 'execution_events', 'execution_metrics', 'step_metrics',
			'resource_metrics', 'queue_snapshots', 'monitoring_alerts', 'alert_history',
			'user_dashboards', 'audit_log'] LOOP
		EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY org_isolation ON %I FOR ALL'
			' USING (org_id = current_setting(''wfmon.org'', true))'
			' WITH CHECK (org_id = current_setting(''wfmon.org'', true))', t);
	END LOOP;
END
$$;

-- The one exception: the schema owner (who could switch row security off
-- anyway) may read the workflow list, so that wfmon_known_orgs(), which runs
-- as the owner, can list the organizations at start-up.
CREATE POLICY owner_lists_orgs ON workflows FOR SELECT TO CURRENT_USER USING (true);
