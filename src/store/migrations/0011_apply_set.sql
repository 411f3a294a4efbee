-- 0011: wfmon_apply_events writes a batch set-based.
--
-- Before, each event cost four statements or more in a PL/pgSQL loop: its row
-- in execution_events, an upsert of its workflow, an upsert of its execution
-- (a non-HOT update touching all six indexes of workflow_executions, as
-- last_heartbeat is indexed), then its kind's function. Executor start-up per
-- statement and index maintenance were most of PostgreSQL's time.
-- Now one statement inserts the whole batch into execution_events and, from
-- the rows it really inserted (a retried copy inserts nothing, as before),
-- upserts each workflow and each execution once per batch with the batch's
-- aggregates; then the kinds that have a function of their own are applied in
-- batch order. The result is the same as applying the events one by one: the
-- kinds' functions read none of what the aggregated upserts write
-- (first_seen, last_seen, last_heartbeat, event_count, a workflow's name), and
-- a new execution is created with the status its first event in the batch
-- gives it, as the first of the single upserts did. The kinds are those of
-- 0008 (protocol revision 2: control requests and replies included).
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
		       (t.rec->'event'->>'ts')::timestamptz AS ts
		FROM jsonb_array_elements(events) WITH ORDINALITY AS t(rec, ord)
	), ins AS (
		INSERT INTO execution_events (org_id, pos, event_id, execution_id, workflow_id, kind, step_id,
					      ts, body)
		SELECT v_org, pos, e->>'id', e->>'execution_id', e->>'workflow_id', e->>'type', e->>'step_id', ts, e
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
