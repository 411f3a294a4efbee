-- 0014_partitions: the time-series tables partitioned by day.
--
-- execution_events (by ts, the event's time) and execution_metrics,
-- step_metrics, resource_metrics and queue_snapshots (by recorded_at, which
-- the write functions set to the event's time too) become range-partitioned
-- tables with one partition per UTC day, named <table>_pYYYYMMDD, and a
-- default partition, <table>_default, for the
-- rows of a day that has no partition (a backdated or far-future event time,
-- or a day retention has already dropped). Retention drops a day's partition
-- once the whole day is older than the table's retention (DROP TABLE: no dead
-- rows, no vacuum, no index churn) and deletes old rows row by row only in
-- the default partitions, which stay small.
--
-- Who may do what. Partitions are made and dropped only by two functions that
-- run as the schema owner (SECURITY DEFINER): wfmon_partitions_ensure(from,
-- to) creates the missing days of a bounded range (the daemon asks for today
-- to three days ahead, off its event loop, at start-up and every hour, busy
-- or not), and wfmon_partitions_drop(table, before, max) drops at most max
-- day partitions wholly before a date. The daemon role keeps no DDL and owns
-- nothing. It has no privilege on a day partition (it reads and writes through
-- the parent, whose row-level security applies), so the day partitions need
-- no policy of their own; the default partitions, where retention deletes
-- row by row as the daemon role, are granted SELECT and DELETE and carry the
-- same forced org_isolation policy as every tenant table, plus one that lets
-- the owner's functions move their rows into a new day partition.
--
-- Keys. A unique key of a partitioned table must contain the partition key,
-- which is why events are partitioned by their own time: a replayed spool
-- record and a producer's retry of an event both carry the event's ts, so
-- they fall in the same partition as the first copy, and the primary key
-- (org_id, pos, ts) and the unique (org_id, event_id, ts) absorb them through
-- ON CONFLICT DO NOTHING exactly as the unpartitioned keys did, at the same
-- cost (received_at would not do: a retry is received later). Retention thus
-- counts an event's age from its own time, as it already did for executions
-- (last_heartbeat) and metrics. The (org_id, received_at) index only served
-- retention's deletes and goes. The spool record now carries its time of
-- acceptance ("at", milliseconds since the epoch, see store.c), so that
-- received_at says when the daemon accepted the event, not when a replay
-- after an outage stored it. A retry that changes an event's ts is a new
-- row, as it falls in another partition; the daemon's dedup window still
-- catches it while the id is recent. The metrics tables' identity ids keep
-- their sequences' names and values (rollup.c reads them) and their primary
-- keys become (id, recorded_at).
--
-- Existing rows move into the new tables: one partition per day that has rows,
-- plus today and the three days ahead.

CREATE OR REPLACE FUNCTION wfmon_partition_key(p_table text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE p_table
		WHEN 'execution_events' THEN 'ts'
		WHEN 'execution_metrics' THEN 'recorded_at'
		WHEN 'step_metrics' THEN 'recorded_at'
		WHEN 'resource_metrics' THEN 'recorded_at'
		WHEN 'queue_snapshots' THEN 'recorded_at'
	END
$$;

-- Creates p_table's partition for the UTC day p_day unless it exists; rows
-- the default partition holds for that day move into it. True if created.
CREATE OR REPLACE FUNCTION wfmon_partition_day(p_table text, p_day date) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
	v_key text := wfmon_partition_key(p_table);
	v_name text := p_table || '_p' || to_char(p_day, 'YYYYMMDD');
	v_default text := p_table || '_default';
	v_lo timestamptz := p_day::timestamp AT TIME ZONE 'UTC';
	v_hi timestamptz := (p_day + 1)::timestamp AT TIME ZONE 'UTC';
	v_stray boolean;
BEGIN
	IF v_key IS NULL THEN
		RAISE EXCEPTION 'not a partitioned table: %', p_table;
	END IF;
	IF to_regclass(v_name) IS NOT NULL THEN
		RETURN false;
	END IF;
	EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I >= $1 AND %I < $2)', v_default, v_key, v_key)
		INTO v_stray USING v_lo, v_hi;
	IF v_stray THEN
		-- The new partition's range must be empty in the default partition.
		EXECUTE format('CREATE TEMP TABLE wfmon_moving ON COMMIT DROP AS SELECT * FROM %I WITH NO DATA',
			       v_default);
		EXECUTE format('WITH m AS (DELETE FROM %I WHERE %I >= $1 AND %I < $2 RETURNING *) '
			       'INSERT INTO wfmon_moving SELECT * FROM m', v_default, v_key, v_key) USING v_lo, v_hi;
	END IF;
	EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', v_name, p_table, v_lo, v_hi);
	IF v_stray THEN
		EXECUTE format('INSERT INTO %I SELECT * FROM wfmon_moving', v_name);
		DROP TABLE wfmon_moving;
	END IF;
	RETURN true;
END
$$;

-- The day partitions of every partitioned table from p_from to p_to (UTC
-- days, both included, at most 62 days): the number created.
CREATE OR REPLACE FUNCTION wfmon_partitions_ensure(p_from date, p_to date) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
	v_table text;
	v_day date;
	v_made integer := 0;
BEGIN
	IF p_from IS NULL OR p_to IS NULL OR p_to < p_from OR p_to - p_from > 61 THEN
		RAISE EXCEPTION 'partition range % to % is not 1 to 62 days', p_from, p_to;
	END IF;
	FOREACH v_table IN ARRAY ARRAY['execution_events', 'execution_metrics', 'step_metrics',
				       'resource_metrics', 'queue_snapshots'] LOOP
		FOR v_day IN SELECT generate_series(p_from, p_to, interval '1 day')::date LOOP
			IF wfmon_partition_day(v_table, v_day) THEN
				v_made := v_made + 1;
			END IF;
		END LOOP;
	END LOOP;
	RETURN v_made;
END
$$;

-- Drops at most p_max of p_table's day partitions whose whole day is before
-- p_before, oldest first: the number dropped.
CREATE OR REPLACE FUNCTION wfmon_partitions_drop(p_table text, p_before date, p_max integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
	v_name text;
	v_dropped integer := 0;
BEGIN
	IF wfmon_partition_key(p_table) IS NULL THEN
		RAISE EXCEPTION 'not a partitioned table: %', p_table;
	END IF;
	FOR v_name IN
		SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = p_table::regclass
		  AND c.relname ~ ('^' || p_table || '_p[0-9]{8}$')
		  AND to_date(right(c.relname, 8), 'YYYYMMDD') + 1 <= p_before
		ORDER BY c.relname
		LIMIT greatest(p_max, 0)
	LOOP
		EXECUTE format('DROP TABLE %I', v_name);
		v_dropped := v_dropped + 1;
	END LOOP;
	RETURN v_dropped;
END
$$;
REVOKE ALL ON FUNCTION wfmon_partition_day(text, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION wfmon_partitions_ensure(date, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION wfmon_partitions_drop(text, date, integer) FROM PUBLIC;

-- The old tables step aside with their sequences (whose names the new
-- identity columns take); their indexes go when they are dropped. Row
-- security is forced on them, which would hide every row from this copy.
ALTER TABLE execution_events RENAME TO execution_events_0013;
ALTER TABLE execution_events_0013 DISABLE ROW LEVEL SECURITY;
ALTER TABLE execution_metrics RENAME TO execution_metrics_0013;
ALTER TABLE execution_metrics_0013 DISABLE ROW LEVEL SECURITY;
ALTER SEQUENCE execution_metrics_id_seq RENAME TO execution_metrics_0013_id_seq;
ALTER TABLE step_metrics RENAME TO step_metrics_0013;
ALTER TABLE step_metrics_0013 DISABLE ROW LEVEL SECURITY;
ALTER SEQUENCE step_metrics_id_seq RENAME TO step_metrics_0013_id_seq;
ALTER TABLE resource_metrics RENAME TO resource_metrics_0013;
ALTER TABLE resource_metrics_0013 DISABLE ROW LEVEL SECURITY;
ALTER SEQUENCE resource_metrics_id_seq RENAME TO resource_metrics_0013_id_seq;
ALTER TABLE queue_snapshots RENAME TO queue_snapshots_0013;
ALTER TABLE queue_snapshots_0013 DISABLE ROW LEVEL SECURITY;
ALTER SEQUENCE queue_snapshots_id_seq RENAME TO queue_snapshots_0013_id_seq;

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
	body         jsonb NOT NULL
) PARTITION BY RANGE (ts);

CREATE TABLE execution_metrics (
	id           bigint GENERATED ALWAYS AS IDENTITY,
	org_id       text NOT NULL,
	execution_id text NOT NULL,
	workflow_id  text NOT NULL,
	metric_type  text NOT NULL,                      -- queue_wait_ms, duration_ms
	metric_value double precision NOT NULL,
	metadata     jsonb NOT NULL DEFAULT '{}',
	recorded_at  timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (recorded_at);

CREATE TABLE step_metrics (
	id           bigint GENERATED ALWAYS AS IDENTITY,
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
	recorded_at  timestamptz NOT NULL DEFAULT now(),
	attempt      integer NOT NULL DEFAULT 1,
	retried      boolean NOT NULL DEFAULT false
) PARTITION BY RANGE (recorded_at);

CREATE TABLE resource_metrics (
	id           bigint GENERATED ALWAYS AS IDENTITY,
	org_id       text NOT NULL,
	worker       text NOT NULL,
	execution_id text,
	workflow_id  text,
	step_id      text,
	cpu_percent  double precision NOT NULL,
	memory_bytes bigint NOT NULL,
	recorded_at  timestamptz NOT NULL DEFAULT now(),
	source       text NOT NULL DEFAULT 'worker' CHECK (source IN ('worker', 'daemon')),
	tags         jsonb NOT NULL DEFAULT '{}'
) PARTITION BY RANGE (recorded_at);

CREATE TABLE queue_snapshots (
	id                         bigint GENERATED ALWAYS AS IDENTITY,
	org_id                     text NOT NULL,
	queue_name                 text NOT NULL DEFAULT 'default',
	pending_count              integer NOT NULL DEFAULT 0,
	processing_count           integer NOT NULL DEFAULT 0,
	pending_by_priority        jsonb NOT NULL DEFAULT '{}',
	oldest_wait_ms             bigint,
	average_wait_ms            bigint,
	processing_rate_per_minute double precision,
	recorded_at                timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (recorded_at);

DO $$
DECLARE
	t text;
	d date;
	v_today date := (now() AT TIME ZONE 'UTC')::date;
	v_tables text[] := ARRAY['execution_events', 'execution_metrics', 'step_metrics', 'resource_metrics',
				 'queue_snapshots'];
BEGIN
	FOREACH t IN ARRAY v_tables LOOP
		EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', t || '_default', t);
	END LOOP;
	PERFORM wfmon_partitions_ensure(v_today, v_today + 3);
	FOREACH t IN ARRAY v_tables LOOP
		FOR d IN EXECUTE format('SELECT DISTINCT (%I AT TIME ZONE ''UTC'')::date FROM %I',
					wfmon_partition_key(t), t || '_0013') LOOP
			PERFORM wfmon_partition_day(t, d);
		END LOOP;
		EXECUTE format('INSERT INTO %I OVERRIDING SYSTEM VALUE SELECT * FROM %I', t, t || '_0013');
		IF t <> 'execution_events' THEN
			-- The next id follows the old table's last one.
			EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, ''id''), last_value, true) FROM %I '
				       'WHERE is_called', t, t || '_0013_id_seq');
		END IF;
		EXECUTE format('DROP TABLE %I', t || '_0013');
	END LOOP;
END
$$;

-- The indexes, built once over the moved rows; each partition gets its own.
ALTER TABLE execution_events ADD PRIMARY KEY (org_id, pos, ts);
ALTER TABLE execution_events ADD UNIQUE (org_id, event_id, ts);
CREATE INDEX execution_events_execution ON execution_events (org_id, execution_id, pos);
-- The room replays (src/store/queries.c) that read by kind or by workflow ask
-- for the kinds a room receives, never for log lines, progress or counters,
-- the most frequent kinds: those stay out of both indexes (an event of them
-- costs two index insertions fewer). The replay names its kinds as a constant
-- so that the planner can prove the predicate.
CREATE INDEX execution_events_workflow ON execution_events (org_id, workflow_id, pos)
	WHERE kind NOT IN ('log', 'step.progress', 'counter');
CREATE INDEX execution_events_kind ON execution_events (org_id, kind, pos)
	WHERE kind NOT IN ('log', 'step.progress', 'counter');

ALTER TABLE execution_metrics ADD PRIMARY KEY (id, recorded_at);
CREATE INDEX execution_metrics_workflow_time ON execution_metrics (org_id, workflow_id, recorded_at DESC);
CREATE INDEX execution_metrics_org_time ON execution_metrics (org_id, recorded_at DESC);
CREATE INDEX execution_metrics_org_id ON execution_metrics (org_id, id) WHERE metric_type = 'duration_ms';

ALTER TABLE step_metrics ADD PRIMARY KEY (id, recorded_at);
CREATE INDEX step_metrics_execution ON step_metrics (org_id, execution_id);
CREATE INDEX step_metrics_step_time ON step_metrics (org_id, workflow_id, step_id, recorded_at DESC);
CREATE INDEX step_metrics_org_time ON step_metrics (org_id, recorded_at DESC);
CREATE INDEX step_metrics_org_id ON step_metrics (org_id, id);

ALTER TABLE resource_metrics ADD PRIMARY KEY (id, recorded_at);
CREATE INDEX resource_metrics_org_time ON resource_metrics (org_id, recorded_at DESC);
CREATE INDEX resource_metrics_worker_time ON resource_metrics (org_id, worker, recorded_at DESC);
CREATE INDEX resource_metrics_source_time ON resource_metrics (org_id, source, recorded_at DESC);

ALTER TABLE queue_snapshots ADD PRIMARY KEY (id, recorded_at);
CREATE INDEX queue_snapshots_org_time ON queue_snapshots (org_id, recorded_at DESC);

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['execution_events', 'execution_metrics', 'step_metrics', 'resource_metrics',
				 'queue_snapshots', 'execution_events_default', 'execution_metrics_default',
				 'step_metrics_default', 'resource_metrics_default', 'queue_snapshots_default'] LOOP
		EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY org_isolation ON %I FOR ALL'
			' USING (org_id = current_setting(''wfmon.org'', true))'
			' WITH CHECK (org_id = current_setting(''wfmon.org'', true))', t);
		IF t LIKE '%\_default' THEN
			-- wfmon_partition_day, running as the owner, moves a day's rows out.
			EXECUTE format('CREATE POLICY owner_moves_rows ON %I FOR ALL TO CURRENT_USER'
				       ' USING (true) WITH CHECK (true)', t);
		END IF;
	END LOOP;
END
$$;

-- A record's time of acceptance; one spooled before 0014 has none: now.
CREATE OR REPLACE FUNCTION wfmon_received_at(rec jsonb) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
	SELECT coalesce(timestamptz 'epoch' + (rec->>'at')::bigint * interval '1 millisecond', now())
$$;

-- The write function, as in 0011, with the time of acceptance from the record.
CREATE OR REPLACE FUNCTION wfmon_apply_events(events jsonb, data_cap integer) RETURNS integer
LANGUAGE plpgsql SECURITY INVOKER SET search_path = public, pg_temp AS $$
DECLARE
	v_org text := current_setting('wfmon.org', true);
	v_new bigint[];
	v_rec jsonb;
BEGIN
	IF v_org IS NULL OR v_org = '' THEN
		RAISE EXCEPTION 'wfmon.org is not set';
	END IF;
	WITH ev AS (
		SELECT t.ord, t.rec, (t.rec->>'pos')::bigint AS pos, t.rec->'event' AS e,
		       (t.rec->'event'->>'ts')::timestamptz AS ts, wfmon_received_at(t.rec) AS received_at
		FROM jsonb_array_elements(events) WITH ORDINALITY AS t(rec, ord)
	), ins AS (
		INSERT INTO execution_events (org_id, pos, event_id, execution_id, workflow_id, kind, step_id,
					      ts, received_at, body)
		SELECT v_org, pos, e->>'id', e->>'execution_id', e->>'workflow_id', e->>'type', e->>'step_id', ts,
		       received_at, e
		FROM ev ORDER BY ord
		ON CONFLICT DO NOTHING
		RETURNING pos
	), fresh AS (
		SELECT ev.* FROM ev JOIN ins USING (pos)
	), wf AS (
		SELECT e->>'workflow_id' AS workflow_id, min(ts) AS first_ts, max(ts) AS last_ts,
		       (array_agg(coalesce(e->>'workflow_name', e->>'workflow_id') ORDER BY ord DESC)
			FILTER (WHERE e->>'type' = 'execution.queued'))[1] AS queued_name
		FROM fresh GROUP BY 1
	), wf_up AS (
		INSERT INTO workflows AS w (org_id, workflow_id, name, first_seen, last_seen)
		SELECT v_org, workflow_id, coalesce(queued_name, workflow_id), first_ts, last_ts FROM wf
		ORDER BY workflow_id
		ON CONFLICT (org_id, workflow_id) DO UPDATE SET
			-- the name of the batch's last queued event, else the one it had
			name = coalesce((SELECT wf.queued_name FROM wf WHERE wf.workflow_id = excluded.workflow_id),
					w.name),
			first_seen = least(w.first_seen, excluded.first_seen),
			last_seen = greatest(w.last_seen, excluded.last_seen)
	), ex AS (
		SELECT e->>'execution_id' AS execution_id,
		       (array_agg(e->>'workflow_id' ORDER BY ord))[1] AS workflow_id,
		       (array_agg(e->>'type' ORDER BY ord))[1] AS first_kind,
		       min(ts) AS first_ts, max(ts) AS last_ts, count(*) AS n
		FROM fresh GROUP BY 1
	), ex_up AS (
		-- Anything but a queued event means the execution is already under way.
		INSERT INTO workflow_executions AS x (org_id, execution_id, workflow_id, workflow_name, status,
						      first_seen, last_heartbeat, event_count)
		SELECT v_org, execution_id, workflow_id, workflow_id,
		       CASE WHEN first_kind = 'execution.queued' THEN 'queued' ELSE 'running' END,
		       first_ts, last_ts, n
		FROM ex ORDER BY execution_id
		ON CONFLICT (org_id, execution_id) DO UPDATE SET
			first_seen = least(x.first_seen, excluded.first_seen),
			last_heartbeat = greatest(x.last_heartbeat, excluded.last_heartbeat),
			event_count = x.event_count + excluded.event_count
	)
	SELECT coalesce(array_agg(pos), '{}') INTO v_new FROM fresh;

	FOR v_rec IN
		SELECT t.rec FROM jsonb_array_elements(events) WITH ORDINALITY AS t(rec, ord)
		JOIN unnest(v_new) AS n(pos) ON n.pos = (t.rec->>'pos')::bigint
		WHERE t.rec->'event'->>'type' <> 'log'
		ORDER BY t.ord
	LOOP
		CASE v_rec->'event'->>'type'
		WHEN 'execution.queued' THEN PERFORM wfmon_apply_queued(v_org, v_rec, data_cap);
		WHEN 'execution.started' THEN PERFORM wfmon_apply_started(v_org, v_rec, data_cap);
		WHEN 'step.started' THEN PERFORM wfmon_apply_step_started(v_org, v_rec, data_cap);
		WHEN 'step.progress' THEN PERFORM wfmon_apply_step_progress(v_org, v_rec, data_cap);
		WHEN 'step.completed', 'step.failed' THEN PERFORM wfmon_apply_step_finished(v_org, v_rec, data_cap);
		WHEN 'counter' THEN PERFORM wfmon_apply_counter(v_org, v_rec, data_cap);
		WHEN 'resource.sample' THEN PERFORM wfmon_apply_sample(v_org, v_rec, data_cap);
		WHEN 'execution.completed', 'execution.failed', 'execution.cancelled' THEN
			PERFORM wfmon_apply_finished(v_org, v_rec, data_cap);
		WHEN 'control.requested' THEN PERFORM wfmon_apply_control_requested(v_org, v_rec, data_cap);
		WHEN 'control.replied' THEN PERFORM wfmon_apply_control_replied(v_org, v_rec, data_cap);
		ELSE
			NULL;   -- log lines live in the event log only
		END CASE;
	END LOOP;
	RETURN cardinality(v_new);
END
$$;
REVOKE ALL ON FUNCTION wfmon_apply_events(jsonb, integer) FROM PUBLIC;
