-- 0006_exec_model: the SQL side of the one execution model. src/proto/exec.h
-- states the rules; tests/integration/test_exec_model.c feeds the daemon's
-- model and this function the same event scripts and compares them field by
-- field.
--
-- What changes against 0002_apply:
--   - step_executions.seen_pos: the position of the event that first named a
--     step, so that steps come in plan order, then the unplanned ones in the
--     order they were first seen, as the daemon and the console list them;
--   - an unplanned step is made only while the execution has fewer than 512
--     steps (PROTO_MAX_STEPS), a counter name only while it has fewer than 32
--     (EXEC_COUNTERS): both sides keep the same bounded picture;
--   - one function per event kind, which wfmon_apply_events calls for each
--     event it inserted: a later migration that changes what one kind does
--     (a new step field, say) redefines that kind's function alone.
-- The kinds' functions run as the caller, under row-level security as it is;
-- each takes the organization, the record {"pos","event","in_size"?,
-- "out_size"?} and the data cap, as wfmon_apply_events does.

ALTER TABLE step_executions ADD COLUMN seen_pos bigint;

-- Whether an event may touch this step: it exists, or there is room for one
-- more (an unplanned step only while the execution has fewer than 512).
CREATE FUNCTION wfmon_step_room(p_org text, p_exec text, p_step text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
	SELECT EXISTS (SELECT 1 FROM step_executions
		       WHERE org_id = p_org AND execution_id = p_exec AND step_id = p_step)
	    OR (SELECT count(*) FROM step_executions
		WHERE org_id = p_org AND execution_id = p_exec) < 512
$$;

CREATE FUNCTION wfmon_apply_queued(p_org text, p_rec jsonb, p_cap integer) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	e jsonb := p_rec->'event';
BEGIN
	UPDATE workflow_executions SET
		workflow_name = e->>'workflow_name',
		priority = e->>'priority',
		params = coalesce(e->'params', params),
		queued_at = (e->>'ts')::timestamptz,
		steps_total = jsonb_array_length(e->'steps')
	WHERE org_id = p_org AND execution_id = e->>'execution_id';
	-- The plan's steps always get in; the latest plan says what each depends on.
	INSERT INTO step_executions AS s (org_id, execution_id, step_id, seq, name, depends_on, seen_pos)
	SELECT p_org, e->>'execution_id', st.value->>'id', st.ord::integer, st.value->>'name',
	       coalesce(st.value->'depends_on', '[]'::jsonb), (p_rec->>'pos')::bigint
	FROM jsonb_array_elements(e->'steps') WITH ORDINALITY AS st(value, ord)
	ON CONFLICT (org_id, execution_id, step_id) DO UPDATE SET
		seq = excluded.seq,
		name = coalesce(excluded.name, s.name),
		depends_on = excluded.depends_on;
END
$$;

CREATE FUNCTION wfmon_apply_started(p_org text, p_rec jsonb, p_cap integer) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	e jsonb := p_rec->'event';
	v_ts timestamptz := (e->>'ts')::timestamptz;
	v_from timestamptz;
BEGIN
	UPDATE workflow_executions SET
		status = CASE WHEN status = 'queued' THEN 'running' ELSE status END,
		started_at = v_ts,
		worker = coalesce(e->>'worker', worker)
	WHERE org_id = p_org AND execution_id = e->>'execution_id'
	RETURNING queued_at INTO v_from;
	IF v_from IS NOT NULL THEN
		INSERT INTO execution_metrics (org_id, execution_id, workflow_id, metric_type, metric_value,
					       recorded_at)
		VALUES (p_org, e->>'execution_id', e->>'workflow_id', 'queue_wait_ms',
			extract(epoch FROM v_ts - v_from) * 1000, v_ts);
	END IF;
END
$$;

CREATE FUNCTION wfmon_apply_step_started(p_org text, p_rec jsonb, p_cap integer) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	e jsonb := p_rec->'event';
BEGIN
	UPDATE workflow_executions SET status = 'running'
	WHERE org_id = p_org AND execution_id = e->>'execution_id' AND status = 'queued';
	IF NOT wfmon_step_room(p_org, e->>'execution_id', e->>'step_id') THEN
		RETURN;
	END IF;
	INSERT INTO step_executions AS s (org_id, execution_id, step_id, status, started_at, input, input_size,
					  worker, seen_pos)
	VALUES (p_org, e->>'execution_id', e->>'step_id', 'running', (e->>'ts')::timestamptz,
		wfmon_cap(e->'input', (p_rec->>'in_size')::integer, p_cap), (p_rec->>'in_size')::integer,
		e->>'worker', (p_rec->>'pos')::bigint)
	ON CONFLICT (org_id, execution_id, step_id) DO UPDATE SET
		status = CASE WHEN s.status = 'pending' THEN 'running' ELSE s.status END,
		started_at = excluded.started_at,
		input = coalesce(excluded.input, s.input),
		input_size = coalesce(excluded.input_size, s.input_size),
		worker = coalesce(excluded.worker, s.worker);
END
$$;

CREATE FUNCTION wfmon_apply_step_progress(p_org text, p_rec jsonb, p_cap integer) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	e jsonb := p_rec->'event';
BEGIN
	IF NOT wfmon_step_room(p_org, e->>'execution_id', e->>'step_id') THEN
		RETURN;
	END IF;
	INSERT INTO step_executions AS s (org_id, execution_id, step_id, status, progress_current,
					  progress_total, progress_unit, progress_message, seen_pos)
	VALUES (p_org, e->>'execution_id', e->>'step_id', 'running', (e->>'current')::bigint,
		(e->>'total')::bigint, e->>'unit', e->>'message', (p_rec->>'pos')::bigint)
	ON CONFLICT (org_id, execution_id, step_id) DO UPDATE SET
		status = CASE WHEN s.status = 'pending' THEN 'running' ELSE s.status END,
		progress_current = excluded.progress_current,
		progress_total = excluded.progress_total,
		progress_unit = coalesce(excluded.progress_unit, s.progress_unit),
		progress_message = coalesce(excluded.progress_message, s.progress_message);
END
$$;

-- step.completed and step.failed: a step's terminal event always applies.
CREATE FUNCTION wfmon_apply_step_finished(p_org text, p_rec jsonb, p_cap integer) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	e jsonb := p_rec->'event';
	v_exec text := e->>'execution_id';
	v_step text := e->>'step_id';
	v_ts timestamptz := (e->>'ts')::timestamptz;
BEGIN
	IF NOT wfmon_step_room(p_org, v_exec, v_step) THEN
		RETURN;
	END IF;
	INSERT INTO step_executions AS s (org_id, execution_id, step_id, status, finished_at, output,
					  output_size, duration_ms, cpu_percent, memory_bytes, error,
					  error_code, seen_pos)
	VALUES (p_org, v_exec, v_step,
		CASE WHEN e->>'type' = 'step.completed' THEN 'completed' ELSE 'failed' END, v_ts,
		wfmon_cap(e->'output', (p_rec->>'out_size')::integer, p_cap), (p_rec->>'out_size')::integer,
		(e->>'duration_ms')::bigint, (e->>'cpu_percent')::double precision,
		(e->>'memory_bytes')::bigint, e->>'error', e->>'error_code', (p_rec->>'pos')::bigint)
	ON CONFLICT (org_id, execution_id, step_id) DO UPDATE SET
		status = excluded.status,
		finished_at = excluded.finished_at,
		output = coalesce(excluded.output, s.output),
		output_size = coalesce(excluded.output_size, s.output_size),
		duration_ms = coalesce(excluded.duration_ms, s.duration_ms),
		cpu_percent = coalesce(excluded.cpu_percent, s.cpu_percent),
		memory_bytes = coalesce(excluded.memory_bytes, s.memory_bytes),
		error = coalesce(excluded.error, s.error),
		error_code = coalesce(excluded.error_code, s.error_code),
		progress_current = CASE WHEN excluded.status = 'completed' AND s.progress_total > 0
					THEN s.progress_total ELSE s.progress_current END;
	INSERT INTO step_metrics (org_id, execution_id, workflow_id, step_id, status, duration_ms, cpu_percent,
				  memory_bytes, input_size, output_size, recorded_at)
	SELECT p_org, v_exec, e->>'workflow_id', v_step, s.status, s.duration_ms, s.cpu_percent,
	       s.memory_bytes, s.input_size, s.output_size, v_ts
	FROM step_executions s
	WHERE s.org_id = p_org AND s.execution_id = v_exec AND s.step_id = v_step;
END
$$;

-- Absolute totals: the larger value wins; a new name only below 32.
CREATE FUNCTION wfmon_apply_counter(p_org text, p_rec jsonb, p_cap integer) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	e jsonb := p_rec->'event';
	v_exec text := e->>'execution_id';
BEGIN
	INSERT INTO execution_counters AS c (org_id, execution_id, name, value, updated_at)
	SELECT p_org, v_exec, e->>'name', (e->>'value')::bigint, (e->>'ts')::timestamptz
	WHERE EXISTS (SELECT 1 FROM execution_counters
		      WHERE org_id = p_org AND execution_id = v_exec AND name = e->>'name')
	   OR (SELECT count(*) FROM execution_counters WHERE org_id = p_org AND execution_id = v_exec) < 32
	ON CONFLICT (org_id, execution_id, name) DO UPDATE SET
		value = greatest(c.value, excluded.value),
		updated_at = greatest(c.updated_at, excluded.updated_at);
END
$$;

CREATE FUNCTION wfmon_apply_sample(p_org text, p_rec jsonb, p_cap integer) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	e jsonb := p_rec->'event';
BEGIN
	INSERT INTO resource_metrics (org_id, worker, execution_id, workflow_id, step_id, cpu_percent,
				      memory_bytes, recorded_at)
	VALUES (p_org, e->>'worker', e->>'execution_id', e->>'workflow_id', e->>'step_id',
		(e->>'cpu_percent')::double precision, (e->>'memory_bytes')::bigint, (e->>'ts')::timestamptz);
END
$$;

-- execution.completed, .failed, .cancelled: the first one wins; a failed or
-- cancelled execution's running steps fail.
CREATE FUNCTION wfmon_apply_finished(p_org text, p_rec jsonb, p_cap integer) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	e jsonb := p_rec->'event';
	v_kind text := e->>'type';
	v_exec text := e->>'execution_id';
	v_ts timestamptz := (e->>'ts')::timestamptz;
	v_status text := CASE v_kind WHEN 'execution.completed' THEN 'completed'
				     WHEN 'execution.failed' THEN 'failed' ELSE 'cancelled' END;
	v_from timestamptz;
	v_n integer;
BEGIN
	UPDATE workflow_executions SET
		status = v_status,
		finished_at = v_ts,
		error = CASE v_kind WHEN 'execution.failed' THEN e->>'error'
				    WHEN 'execution.cancelled' THEN coalesce(e->>'reason', error)
				    ELSE error END,
		error_code = CASE WHEN v_kind = 'execution.failed'
				  THEN coalesce(e->>'error_code', error_code) ELSE error_code END
	WHERE org_id = p_org AND execution_id = v_exec AND status IN ('queued', 'running')
	RETURNING coalesce(started_at, queued_at) INTO v_from;
	GET DIAGNOSTICS v_n = ROW_COUNT;
	IF v_n = 0 THEN
		RETURN;
	END IF;
	IF v_status <> 'completed' THEN
		UPDATE step_executions SET status = 'failed'
		WHERE org_id = p_org AND execution_id = v_exec AND status = 'running';
	END IF;
	IF v_from IS NOT NULL THEN
		INSERT INTO execution_metrics (org_id, execution_id, workflow_id, metric_type, metric_value,
					       metadata, recorded_at)
		VALUES (p_org, v_exec, e->>'workflow_id', 'duration_ms', extract(epoch FROM v_ts - v_from) * 1000,
			jsonb_build_object('status', v_status), v_ts);
	END IF;
END
$$;

CREATE OR REPLACE FUNCTION wfmon_apply_events(events jsonb, data_cap integer) RETURNS integer
LANGUAGE plpgsql SECURITY INVOKER SET search_path = public, pg_temp AS $$
DECLARE
	v_org text := current_setting('wfmon.org', true);
	v_rec jsonb;
	v_e jsonb;
	v_kind text;
	v_ts timestamptz;
	v_exec text;
	v_wf text;
	v_n integer;
	v_inserted integer := 0;
BEGIN
	IF v_org IS NULL OR v_org = '' THEN
		RAISE EXCEPTION 'wfmon.org is not set';
	END IF;
	FOR v_rec IN SELECT value FROM jsonb_array_elements(events) LOOP
		v_e := v_rec->'event';
		v_kind := v_e->>'type';
		v_ts := (v_e->>'ts')::timestamptz;
		v_exec := v_e->>'execution_id';
		v_wf := v_e->>'workflow_id';

		INSERT INTO execution_events (org_id, pos, event_id, execution_id, workflow_id, kind,
					      step_id, ts, body)
		VALUES (v_org, (v_rec->>'pos')::bigint, v_e->>'id', v_exec, v_wf, v_kind, v_e->>'step_id',
			v_ts, v_e)
		ON CONFLICT DO NOTHING;
		GET DIAGNOSTICS v_n = ROW_COUNT;
		CONTINUE WHEN v_n = 0;
		v_inserted := v_inserted + 1;

		INSERT INTO workflows AS w (org_id, workflow_id, name, first_seen, last_seen)
		VALUES (v_org, v_wf, coalesce(CASE WHEN v_kind = 'execution.queued'
					      THEN v_e->>'workflow_name' END, v_wf), v_ts, v_ts)
		ON CONFLICT (org_id, workflow_id) DO UPDATE SET
			name = CASE WHEN v_kind = 'execution.queued' THEN excluded.name ELSE w.name END,
			first_seen = least(w.first_seen, excluded.first_seen),
			last_seen = greatest(w.last_seen, excluded.last_seen);

		-- Anything but a queued event means the execution is already under way.
		INSERT INTO workflow_executions AS x (org_id, execution_id, workflow_id, workflow_name,
						      status, first_seen, last_heartbeat, event_count)
		VALUES (v_org, v_exec, v_wf, v_wf,
			CASE WHEN v_kind = 'execution.queued' THEN 'queued' ELSE 'running' END, v_ts, v_ts, 1)
		ON CONFLICT (org_id, execution_id) DO UPDATE SET
			first_seen = least(x.first_seen, excluded.first_seen),
			last_heartbeat = greatest(x.last_heartbeat, excluded.last_heartbeat),
			event_count = x.event_count + 1;

		CASE v_kind
		WHEN 'execution.queued' THEN PERFORM wfmon_apply_queued(v_org, v_rec, data_cap);
		WHEN 'execution.started' THEN PERFORM wfmon_apply_started(v_org, v_rec, data_cap);
		WHEN 'step.started' THEN PERFORM wfmon_apply_step_started(v_org, v_rec, data_cap);
		WHEN 'step.progress' THEN PERFORM wfmon_apply_step_progress(v_org, v_rec, data_cap);
		WHEN 'step.completed', 'step.failed' THEN PERFORM wfmon_apply_step_finished(v_org, v_rec, data_cap);
		WHEN 'counter' THEN PERFORM wfmon_apply_counter(v_org, v_rec, data_cap);
		WHEN 'resource.sample' THEN PERFORM wfmon_apply_sample(v_org, v_rec, data_cap);
		WHEN 'execution.completed', 'execution.failed', 'execution.cancelled' THEN
			PERFORM wfmon_apply_finished(v_org, v_rec, data_cap);
		ELSE
			NULL;   -- log lines live in the event log only
		END CASE;
	END LOOP;
	RETURN v_inserted;
END
$$;
REVOKE ALL ON FUNCTION wfmon_apply_events(jsonb, integer) FROM PUBLIC;
