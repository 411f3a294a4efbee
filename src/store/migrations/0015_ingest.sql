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
-- The write function reads the batch once: the records that are stored and
-- are not log lines are gathered as the rows are inserted, and only those go
-- through the per-kind functions afterwards. A batch of log lines only does
-- no second pass at all. Semantics are those of 0014: the batch's records in
-- order, each stored event counted once (even when the batch holds the same
-- record twice), the projections updated only for rows actually inserted.

ALTER TABLE execution_events DROP CONSTRAINT execution_events_pkey;
ALTER TABLE execution_events DROP CONSTRAINT execution_events_org_id_event_id_ts_key;
CREATE UNIQUE INDEX execution_events_event ON execution_events (org_id COLLATE "C", event_id COLLATE "C", ts);
CREATE INDEX execution_events_pos ON execution_events (org_id, pos);

DROP INDEX workflow_executions_heartbeat;
ALTER TABLE workflow_executions SET (fillfactor = 80);

CREATE OR REPLACE FUNCTION wfmon_apply_events(events jsonb, data_cap integer) RETURNS integer
LANGUAGE plpgsql SECURITY INVOKER SET search_path = public, pg_temp AS $$
DECLARE
	v_org text := current_setting('wfmon.org', true);
	v_rest jsonb[];
	v_stored integer;
	v_rec jsonb;
BEGIN
	IF v_org IS NULL OR v_org = '' THEN
		RAISE EXCEPTION 'wfmon.org is not set';
	END IF;
	WITH ev AS (
		SELECT t.ord, t.rec, (t.rec->>'pos')::bigint AS pos, x.e, x.e->>'id' AS id, x.e->>'type' AS kind,
		       x.e->>'execution_id' AS execution_id, x.e->>'workflow_id' AS workflow_id,
		       (x.e->>'ts')::timestamptz AS ts, wfmon_received_at(t.rec) AS received_at
		FROM jsonb_array_elements(events) WITH ORDINALITY AS t(rec, ord)
		CROSS JOIN LATERAL (SELECT t.rec->'event' AS e) x
	), ins AS (
		INSERT INTO execution_events (org_id, pos, event_id, execution_id, workflow_id, kind, step_id,
					      ts, received_at, body)
		SELECT v_org, pos, id, execution_id, workflow_id, kind, e->>'step_id', ts, received_at, e
		FROM ev ORDER BY ord
		ON CONFLICT DO NOTHING
		RETURNING pos, event_id
	), fresh AS (
		-- A record twice in the batch is inserted once and counted once.
		SELECT DISTINCT ON (ev.pos, ev.id) ev.*
		FROM ev JOIN ins ON ins.pos = ev.pos AND ins.event_id = ev.id
		ORDER BY ev.pos, ev.id, ev.ord
	), wf AS (
		SELECT workflow_id, min(ts) AS first_ts, max(ts) AS last_ts,
		       (array_agg(coalesce(e->>'workflow_name', workflow_id) ORDER BY ord DESC)
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
	SELECT coalesce(array_agg(rec ORDER BY ord) FILTER (WHERE kind <> 'log'), '{}'), count(*)
	INTO v_rest, v_stored FROM fresh;

	FOREACH v_rec IN ARRAY v_rest LOOP
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
			NULL;   -- other kinds live in the event log only
		END CASE;
	END LOOP;
	RETURN v_stored;
END
$$;
REVOKE ALL ON FUNCTION wfmon_apply_events(jsonb, integer) FROM PUBLIC;
