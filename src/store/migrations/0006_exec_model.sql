-- 0006_exec_model: the SQL side of the one execution model (src/proto/exec.c
-- states the rules; tests/integration/test_exec_model.c feeds both the same
-- event scripts and compares them field by field).
--
-- What changes against 0002_apply:
--   - step_executions.seen_pos: the position of the event that first named a
--     step, so that steps come in plan order, then the unplanned ones in the
--     order they were first seen, as the daemon and the console list them;
--   - an unplanned step is made only while the execution has fewer than 512
--     steps (PROTO_MAX_STEPS), and a counter name only while it has fewer than
--     32 (EXEC_COUNTERS): both sides now keep the same bounded picture.
-- Everything else in wfmon_apply_events is as 0002 wrote it.

ALTER TABLE step_executions ADD COLUMN seen_pos bigint;

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
	v_step text;
	v_n integer;
	v_inserted integer := 0;
	v_status text;
	v_from timestamptz;
	v_pos bigint;
	v_step_ok boolean;
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
		v_step := v_e->>'step_id';
		v_pos := (v_rec->>'pos')::bigint;

		INSERT INTO execution_events (org_id, pos, event_id, execution_id, workflow_id, kind,
					      step_id, ts, body)
		VALUES (v_org, v_pos, v_e->>'id', v_exec, v_wf, v_kind, v_step, v_ts, v_e)
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

		-- An unplanned step only while the execution has fewer than 512
		-- (PROTO_MAX_STEPS) steps; the events of a step past that change no step.
		v_step_ok := true;
		IF v_kind IN ('step.started', 'step.progress', 'step.completed', 'step.failed') THEN
			PERFORM 1 FROM step_executions
			WHERE org_id = v_org AND execution_id = v_exec AND step_id = v_step;
			IF NOT FOUND THEN
				v_step_ok := (SELECT count(*) FROM step_executions
					      WHERE org_id = v_org AND execution_id = v_exec) < 512;
			END IF;
		END IF;

		CASE v_kind
		WHEN 'execution.queued' THEN
			UPDATE workflow_executions SET
				workflow_name = v_e->>'workflow_name',
				priority = v_e->>'priority',
				params = coalesce(v_e->'params', params),
				queued_at = v_ts,
				steps_total = jsonb_array_length(v_e->'steps')
			WHERE org_id = v_org AND execution_id = v_exec;
			INSERT INTO step_executions AS s (org_id, execution_id, step_id, seq, name, depends_on,
							  seen_pos)
			SELECT v_org, v_exec, st.value->>'id', st.ord::integer, st.value->>'name',
			       coalesce(st.value->'depends_on', '[]'::jsonb), v_pos
			FROM jsonb_array_elements(v_e->'steps') WITH ORDINALITY AS st(value, ord)
			ON CONFLICT (org_id, execution_id, step_id) DO UPDATE SET
				seq = excluded.seq,
				name = coalesce(excluded.name, s.name),
				depends_on = excluded.depends_on;

		WHEN 'execution.started' THEN
			UPDATE workflow_executions SET
				status = CASE WHEN status = 'queued' THEN 'running' ELSE status END,
				started_at = v_ts,
				worker = coalesce(v_e->>'worker', worker)
			WHERE org_id = v_org AND execution_id = v_exec
			RETURNING queued_at INTO v_from;
			IF v_from IS NOT NULL THEN
				INSERT INTO execution_metrics (org_id, execution_id, workflow_id, metric_type,
							       metric_value, recorded_at)
				VALUES (v_org, v_exec, v_wf, 'queue_wait_ms',
					extract(epoch FROM v_ts - v_from) * 1000, v_ts);
			END IF;

		WHEN 'step.started' THEN
			INSERT INTO step_executions AS s (org_id, execution_id, step_id, status, started_at,
							  input, input_size, worker, seen_pos)
			SELECT v_org, v_exec, v_step, 'running', v_ts,
				wfmon_cap(v_e->'input', (v_rec->>'in_size')::integer, data_cap),
				(v_rec->>'in_size')::integer, v_e->>'worker', v_pos
			WHERE v_step_ok
			ON CONFLICT (org_id, execution_id, step_id) DO UPDATE SET
				status = CASE WHEN s.status = 'pending' THEN 'running' ELSE s.status END,
				started_at = excluded.started_at,
				input = coalesce(excluded.input, s.input),
				input_size = coalesce(excluded.input_size, s.input_size),
				worker = coalesce(excluded.worker, s.worker);
			UPDATE workflow_executions SET status = 'running'
			WHERE org_id = v_org AND execution_id = v_exec AND status = 'queued';

		WHEN 'step.progress' THEN
			INSERT INTO step_executions AS s (org_id, execution_id, step_id, status,
							  progress_current, progress_total, progress_unit,
							  progress_message, seen_pos)
			SELECT v_org, v_exec, v_step, 'running', (v_e->>'current')::bigint,
				(v_e->>'total')::bigint, v_e->>'unit', v_e->>'message', v_pos
			WHERE v_step_ok
			ON CONFLICT (org_id, execution_id, step_id) DO UPDATE SET
				status = CASE WHEN s.status = 'pending' THEN 'running' ELSE s.status END,
				progress_current = excluded.progress_current,
				progress_total = excluded.progress_total,
				progress_unit = coalesce(excluded.progress_unit, s.progress_unit),
				progress_message = coalesce(excluded.progress_message, s.progress_message);

		WHEN 'step.completed', 'step.failed' THEN
			CONTINUE WHEN NOT v_step_ok;
			INSERT INTO step_executions AS s (org_id, execution_id, step_id, status, finished_at,
							  output, output_size, duration_ms, cpu_percent,
							  memory_bytes, error, error_code, seen_pos)
			SELECT v_org, v_exec, v_step,
				CASE WHEN v_kind = 'step.completed' THEN 'completed' ELSE 'failed' END, v_ts,
				wfmon_cap(v_e->'output', (v_rec->>'out_size')::integer, data_cap),
				(v_rec->>'out_size')::integer, (v_e->>'duration_ms')::bigint,
				(v_e->>'cpu_percent')::double precision, (v_e->>'memory_bytes')::bigint,
				v_e->>'error', v_e->>'error_code', v_pos
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
			INSERT INTO step_metrics (org_id, execution_id, workflow_id, step_id, status, duration_ms,
						  cpu_percent, memory_bytes, input_size, output_size, recorded_at)
			SELECT v_org, v_exec, v_wf, v_step, s.status, s.duration_ms, s.cpu_percent,
			       s.memory_bytes, s.input_size, s.output_size, v_ts
			FROM step_executions s
			WHERE s.org_id = v_org AND s.execution_id = v_exec AND s.step_id = v_step;

		WHEN 'counter' THEN
			-- A new name only while the execution has fewer than 32 (EXEC_COUNTERS).
			INSERT INTO execution_counters AS c (org_id, execution_id, name, value, updated_at)
			SELECT v_org, v_exec, v_e->>'name', (v_e->>'value')::bigint, v_ts
			WHERE EXISTS (SELECT 1 FROM execution_counters
				      WHERE org_id = v_org AND execution_id = v_exec AND name = v_e->>'name')
			   OR (SELECT count(*) FROM execution_counters
			       WHERE org_id = v_org AND execution_id = v_exec) < 32
			ON CONFLICT (org_id, execution_id, name) DO UPDATE SET
				value = greatest(c.value, excluded.value),
				updated_at = greatest(c.updated_at, excluded.updated_at);

		WHEN 'resource.sample' THEN
			INSERT INTO resource_metrics (org_id, worker, execution_id, workflow_id, step_id,
						      cpu_percent, memory_bytes, recorded_at)
			VALUES (v_org, v_e->>'worker', v_exec, v_wf, v_step,
				(v_e->>'cpu_percent')::double precision, (v_e->>'memory_bytes')::bigint, v_ts);

		WHEN 'execution.completed', 'execution.failed', 'execution.cancelled' THEN
			v_status := CASE v_kind WHEN 'execution.completed' THEN 'completed'
					       WHEN 'execution.failed' THEN 'failed'
					       ELSE 'cancelled' END;
			UPDATE workflow_executions SET
				status = v_status,
				finished_at = v_ts,
				error = CASE v_kind WHEN 'execution.failed' THEN v_e->>'error'
						    WHEN 'execution.cancelled' THEN coalesce(v_e->>'reason', error)
						    ELSE error END,
				error_code = CASE WHEN v_kind = 'execution.failed'
						  THEN coalesce(v_e->>'error_code', error_code) ELSE error_code END
			WHERE org_id = v_org AND execution_id = v_exec AND status IN ('queued', 'running')
			RETURNING coalesce(started_at, queued_at) INTO v_from;
			GET DIAGNOSTICS v_n = ROW_COUNT;
			IF v_n > 0 THEN
				-- A running step of an ended execution will never finish on its own.
				IF v_status <> 'completed' THEN
					UPDATE step_executions SET status = 'failed'
					WHERE org_id = v_org AND execution_id = v_exec AND status = 'running';
				END IF;
				IF v_from IS NOT NULL THEN
					INSERT INTO execution_metrics (org_id, execution_id, workflow_id, metric_type,
								       metric_value, metadata, recorded_at)
					VALUES (v_org, v_exec, v_wf, 'duration_ms',
						extract(epoch FROM v_ts - v_from) * 1000,
						jsonb_build_object('status', v_status), v_ts);
				END IF;
			END IF;

		ELSE
			NULL;   -- log lines live in the event log only
		END CASE;
	END LOOP;
	RETURN v_inserted;
END
$$;
REVOKE ALL ON FUNCTION wfmon_apply_events(jsonb, integer) FROM PUBLIC;
