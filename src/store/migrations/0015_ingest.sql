-- 0015_ingest: storing an event costs PostgreSQL less (issue 16).
--
-- Measured with tests/bench_store_apply.sh (perf on the backend): of the
-- cost of a log event, inserting into execution_events took about half, of
-- which the unique indexes took the most: ON CONFLICT DO NOTHING probes every
-- unique index before inserting (two probes) and each unique insertion checks
-- again, and every text comparison in them went through the cluster's
-- collation (strcoll under C.UTF-8). Then came re-reading the whole batch a
-- second time to find its few events that are not log lines.
--
-- Keys. An event is stored once per (org, event id, its time): that unique
-- index is the only arbiter left, and compares its text bytewise (COLLATE
-- "C": ids are ASCII identifiers, equality is the same under any
-- deterministic collation, and nobody looks events up by id, so no query
-- needs its collation to match). A spool replay carries the same id and time
-- as the first copy, as does a producer's retry, so both are absorbed as
-- before. The position stays indexed, for the reads by position (the daemon's
-- start-up reads the highest and the latest ids; room replays read by
-- position), but no longer unique: it was a second arbiter for the same
-- thing (a replayed record has the same id), and a unique index costs a
-- probe and a check an insertion more than a plain one.
--
-- Executions. Every batch updates the row of each execution it has events of
-- (last_heartbeat, event_count). The index on last_heartbeat made each of
-- those updates a new version in all seven indexes of workflow_executions;
-- without it, and with room left on each page (fillfactor), the update is
-- HOT: no index is touched. Retention, its only reader, finds old executions
-- through the index on sort_at instead (src/store/retention.c): sort_at is
-- the time of one of the execution's events, so never after last_heartbeat.
--
-- The write function. Nearly every batch holds new events only, and ON
-- CONFLICT DO NOTHING costs every row a probe of the unique index and a
-- speculative insertion (a second WAL record) even when nothing conflicts.
-- So a batch is first inserted as it is, in a subtransaction; a unique
-- violation (a spool replay, a producer's retry past the daemon's dedup
-- window, a record twice in the batch) undoes it and the batch goes again
-- with ON CONFLICT DO NOTHING, as before. Either way the rows actually
-- inserted come back (RETURNING) with what the projections need, so the batch
-- is expanded once; only a batch with stored events that are not log lines
-- reads its records again, to hand those to the per-kind functions. Semantics
-- are those of 0014: the batch's records in order, the first copy of an event
-- wins, each stored event counted once, the projections updated only for rows
-- actually inserted.

ALTER TABLE execution_events DROP CONSTRAINT execution_events_pkey;
ALTER TABLE execution_events DROP CONSTRAINT execution_events_org_id_event_id_ts_key;
CREATE UNIQUE INDEX execution_events_event ON execution_events (org_id COLLATE "C", event_id COLLATE "C", ts);
CREATE INDEX execution_events_pos ON execution_events (org_id, pos);

DROP INDEX workflow_executions_heartbeat;
ALTER TABLE workflow_executions SET (fillfactor = 80);

-- The rows of execution_events a batch's records make, in the batch's order
-- (inlined into the caller's statement).
CREATE FUNCTION wfmon_event_rows(p_org text, p_events jsonb)
RETURNS TABLE (org_id text, pos bigint, event_id text, execution_id text, workflow_id text, kind text,
	       step_id text, ts timestamptz, received_at timestamptz, body jsonb)
LANGUAGE sql STABLE AS $$
	SELECT p_org, (t.rec->>'pos')::bigint, x.e->>'id', x.e->>'execution_id', x.e->>'workflow_id',
	       x.e->>'type', x.e->>'step_id', (x.e->>'ts')::timestamptz, wfmon_received_at(t.rec), x.e
	FROM jsonb_array_elements(p_events) WITH ORDINALITY AS t(rec, ord)
	CROSS JOIN LATERAL (SELECT t.rec->'event' AS e) x
	ORDER BY t.ord
$$;

CREATE OR REPLACE FUNCTION wfmon_apply_events(events jsonb, data_cap integer) RETURNS integer
LANGUAGE plpgsql SECURITY INVOKER SET search_path = public, pg_temp AS $$
DECLARE
	v_org text := current_setting('wfmon.org', true);
	-- the rows inserted, in the batch's order
	v_pos bigint[];
	v_exec text[];
	v_wf text[];
	v_kind text[];
	v_ts timestamptz[];
	v_name text[];          -- an execution.queued event's workflow_name
	v_rest bigint[];        -- the positions of those that are not log lines
	v_rec jsonb;
BEGIN
	IF v_org IS NULL OR v_org = '' THEN
		RAISE EXCEPTION 'wfmon.org is not set';
	END IF;
	BEGIN
		WITH ins AS (
			INSERT INTO execution_events (org_id, pos, event_id, execution_id, workflow_id, kind,
						      step_id, ts, received_at, body)
			SELECT * FROM wfmon_event_rows(v_org, events)
			RETURNING pos, execution_id, workflow_id, kind, ts,
				  CASE WHEN kind = 'execution.queued' THEN body->>'workflow_name' END AS queued_name
		)
		SELECT array_agg(pos), array_agg(execution_id), array_agg(workflow_id), array_agg(kind),
		       array_agg(ts), array_agg(queued_name)
		INTO v_pos, v_exec, v_wf, v_kind, v_ts, v_name FROM ins;
	EXCEPTION WHEN unique_violation THEN
		WITH ins AS (
			INSERT INTO execution_events (org_id, pos, event_id, execution_id, workflow_id, kind,
						      step_id, ts, received_at, body)
			SELECT * FROM wfmon_event_rows(v_org, events)
			ON CONFLICT DO NOTHING
			RETURNING pos, execution_id, workflow_id, kind, ts,
				  CASE WHEN kind = 'execution.queued' THEN body->>'workflow_name' END AS queued_name
		)
		SELECT array_agg(pos), array_agg(execution_id), array_agg(workflow_id), array_agg(kind),
		       array_agg(ts), array_agg(queued_name)
		INTO v_pos, v_exec, v_wf, v_kind, v_ts, v_name FROM ins;
	END;
	IF v_pos IS NULL THEN
		RETURN 0;
	END IF;

	WITH fresh AS (
		SELECT * FROM unnest(v_pos, v_exec, v_wf, v_kind, v_ts, v_name) WITH ORDINALITY
			AS f(pos, execution_id, workflow_id, kind, ts, queued_name, ord)
	), wf AS (
		SELECT workflow_id, min(ts) AS first_ts, max(ts) AS last_ts,
		       (array_agg(coalesce(queued_name, workflow_id) ORDER BY ord DESC)
			FILTER (WHERE kind = 'execution.queued'))[1] AS queued_name
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
		SELECT execution_id,
		       (array_agg(workflow_id ORDER BY ord))[1] AS workflow_id,
		       (array_agg(kind ORDER BY ord))[1] AS first_kind,
		       min(ts) AS first_ts, max(ts) AS last_ts, count(*) AS n
		FROM fresh GROUP BY 1
	)
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
		event_count = x.event_count + excluded.event_count;

	IF NOT ('log' = ALL(v_kind)) THEN
		SELECT array_agg(p) INTO v_rest FROM unnest(v_pos, v_kind) AS u(p, k) WHERE k <> 'log';
		FOR v_rec IN
			-- A record twice in the batch was inserted once: applied once.
			-- (No join: the planner may nest it, costing batch x stored.)
			SELECT r.rec FROM (
				SELECT DISTINCT ON ((t.rec->>'pos')::bigint, t.rec->'event'->>'id') t.rec, t.ord
				FROM jsonb_array_elements(events) WITH ORDINALITY AS t(rec, ord)
				WHERE t.rec->'event'->>'type' <> 'log' AND (t.rec->>'pos')::bigint = ANY(v_rest)
				ORDER BY (t.rec->>'pos')::bigint, t.rec->'event'->>'id', t.ord
			) r ORDER BY r.ord
		LOOP
			CASE v_rec->'event'->>'type'
			WHEN 'execution.queued' THEN PERFORM wfmon_apply_queued(v_org, v_rec, data_cap);
			WHEN 'execution.started' THEN PERFORM wfmon_apply_started(v_org, v_rec, data_cap);
			WHEN 'step.started' THEN PERFORM wfmon_apply_step_started(v_org, v_rec, data_cap);
			WHEN 'step.progress' THEN PERFORM wfmon_apply_step_progress(v_org, v_rec, data_cap);
			WHEN 'step.completed', 'step.failed' THEN
				PERFORM wfmon_apply_step_finished(v_org, v_rec, data_cap);
			WHEN 'counter' THEN PERFORM wfmon_apply_counter(v_org, v_rec, data_cap);
			WHEN 'resource.sample' THEN PERFORM wfmon_apply_sample(v_org, v_rec, data_cap);
			WHEN 'execution.completed', 'execution.failed', 'execution.cancelled' THEN
				PERFORM wfmon_apply_finished(v_org, v_rec, data_cap);
			WHEN 'control.requested' THEN PERFORM wfmon_apply_control_requested(v_org, v_rec, data_cap);
			WHEN 'control.replied' THEN PERFORM wfmon_apply_control_replied(v_org, v_rec, data_cap);
			ELSE
				NULL;   -- other kinds live in the event log only
			END CASE;
		END LOOP;
	END IF;
	RETURN cardinality(v_pos);
END
$$;
REVOKE ALL ON FUNCTION wfmon_apply_events(jsonb, integer) FROM PUBLIC;
