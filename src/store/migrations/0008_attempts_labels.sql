-- 0008_attempts_labels: protocol revision 2 in the store, by the rules of
-- src/proto/exec.h (tests/integration/test_exec_model.c checks that this and
-- the C model agree):
--   - attempts: workflow_executions.attempt and step_executions.attempt are
--     the current attempts; step_executions.attempts holds a step's earlier
--     attempts ({"attempt","status","started_at","finished_at","duration_ms",
--     "error"}, the 16 latest, by attempt). An event of a later attempt starts
--     it (a finished execution opens again; a step starts over from pending),
--     one of an earlier attempt changes nothing;
--   - labels: at most 16 per execution, merged from execution.queued and
--     execution.started (new keys in byte order while there is room);
--   - an unplanned step's name from its events; delayed_until from each
--     execution.queued;
--   - control: the last cancel or retry requested and where it stands.
-- Metrics count a retried success once: a step attempt that failed and was
-- tried again is marked retried in step_metrics, and an execution's duration
-- fact of an attempt that a later one replaced is marked "retried" in its
-- metadata; readers of outcomes leave both out.

ALTER TABLE workflow_executions ADD COLUMN attempt integer NOT NULL DEFAULT 1;
ALTER TABLE workflow_executions ADD COLUMN labels jsonb NOT NULL DEFAULT '{}';
ALTER TABLE workflow_executions ADD COLUMN delayed_until timestamptz;
ALTER TABLE workflow_executions ADD COLUMN control jsonb;
CREATE INDEX workflow_executions_labels ON workflow_executions USING gin (labels jsonb_path_ops);

ALTER TABLE step_executions ADD COLUMN attempt integer NOT NULL DEFAULT 1;
ALTER TABLE step_executions ADD COLUMN attempts jsonb NOT NULL DEFAULT '[]';

ALTER TABLE step_metrics ADD COLUMN attempt integer NOT NULL DEFAULT 1;
ALTER TABLE step_metrics ADD COLUMN retried boolean NOT NULL DEFAULT false;

-- Labels of new merged into old: changed values, new keys while fewer than 16.
CREATE FUNCTION wfmon_labels_merge(p_old jsonb, p_new jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE SET search_path = public, pg_temp AS $$
DECLARE
	r jsonb := coalesce(p_old, '{}');
	k text;
BEGIN
	IF p_new IS NULL OR jsonb_typeof(p_new) <> 'object' THEN
		RETURN r;
	END IF;
	FOR k IN SELECT key FROM jsonb_object_keys(p_new) AS key ORDER BY key COLLATE "C" LOOP
		IF r ? k OR (SELECT count(*) FROM jsonb_object_keys(r)) < 16 THEN
			r := r || jsonb_build_object(k, p_new->k);
		END IF;
	END LOOP;
	RETURN r;
END
$$;

-- The attempt of an execution-level event: false when an earlier one (the
-- event changes nothing); a later one opens a finished execution again.
CREATE FUNCTION wfmon_exec_attempt(p_org text, p_rec jsonb) RETURNS boolean
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	e jsonb := p_rec->'event';
	v_exec text := e->>'execution_id';
	v_att integer := (e->>'attempt')::integer;
	v_cur integer;
BEGIN
	IF v_att IS NULL THEN
		RETURN true;
	END IF;
	SELECT attempt INTO v_cur FROM workflow_executions WHERE org_id = p_org AND execution_id = v_exec;
	IF v_att < v_cur THEN
		RETURN false;
	END IF;
	IF v_att > v_cur THEN
		UPDATE workflow_executions SET
			attempt = v_att,
			status = CASE WHEN status IN ('completed', 'failed', 'cancelled')
				      THEN CASE WHEN e->>'type' = 'execution.queued' THEN 'queued' ELSE 'running' END
				      ELSE status END,
			finished_at = CASE WHEN status IN ('completed', 'failed', 'cancelled') THEN NULL ELSE finished_at END,
			error = CASE WHEN status IN ('completed', 'failed', 'cancelled') THEN NULL ELSE error END,
			error_code = CASE WHEN status IN ('completed', 'failed', 'cancelled') THEN NULL ELSE error_code END,
			control = CASE WHEN control->>'command' = 'retry' AND control->>'state' IN ('requested', 'accepted')
				       THEN jsonb_set(control, '{state}', '"done"') ELSE control END
		WHERE org_id = p_org AND execution_id = v_exec;
		UPDATE execution_metrics SET metadata = metadata || '{"retried": true}'
		WHERE org_id = p_org AND execution_id = v_exec AND metric_type = 'duration_ms'
		  AND NOT (metadata ? 'retried');
	END IF;
	RETURN true;
END
$$;

-- The attempt of a step event (after wfmon_step_room said the step may be
-- touched): false when an earlier one; a later one moves the step's current
-- attempt to its earlier ones and starts it over from pending.
CREATE FUNCTION wfmon_step_attempt(p_org text, p_exec text, p_step text, p_att integer) RETURNS boolean
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	s step_executions%ROWTYPE;
BEGIN
	IF p_att IS NULL THEN
		RETURN true;
	END IF;
	SELECT * INTO s FROM step_executions WHERE org_id = p_org AND execution_id = p_exec AND step_id = p_step;
	IF NOT FOUND THEN
		RETURN true;
	END IF;
	IF p_att < s.attempt THEN
		RETURN false;
	END IF;
	IF p_att = s.attempt THEN
		RETURN true;
	END IF;
	UPDATE step_executions SET
		attempts = CASE WHEN s.status = 'pending' THEN s.attempts ELSE (
			SELECT coalesce(jsonb_agg(t.v ORDER BY (t.v->>'attempt')::integer), '[]')
			FROM (SELECT v FROM (
				SELECT DISTINCT ON ((a.v->>'attempt')::integer) a.v
				FROM jsonb_array_elements(s.attempts || jsonb_build_array(jsonb_build_object(
					'attempt', s.attempt, 'status', s.status, 'started_at', s.started_at,
					'finished_at', s.finished_at, 'duration_ms', s.duration_ms, 'error', s.error)))
				     WITH ORDINALITY AS a(v, ord)
				ORDER BY (a.v->>'attempt')::integer, a.ord) d
			      ORDER BY (v->>'attempt')::integer DESC LIMIT 16) t) END,
		attempt = p_att,
		status = 'pending',
		started_at = NULL, finished_at = NULL, duration_ms = NULL,
		progress_current = NULL, progress_total = NULL, progress_unit = NULL, progress_message = NULL,
		input = NULL, input_size = NULL, output = NULL, output_size = NULL,
		error = NULL, error_code = NULL, worker = NULL, cpu_percent = NULL, memory_bytes = NULL
	WHERE org_id = p_org AND execution_id = p_exec AND step_id = p_step;
	UPDATE step_metrics SET retried = true
	WHERE org_id = p_org AND execution_id = p_exec AND step_id = p_step AND attempt < p_att AND NOT retried;
	RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION wfmon_apply_queued(p_org text, p_rec jsonb, p_cap integer) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	e jsonb := p_rec->'event';
BEGIN
	IF NOT wfmon_exec_attempt(p_org, p_rec) THEN
		RETURN;
	END IF;
	UPDATE workflow_executions SET
		workflow_name = e->>'workflow_name',
		priority = e->>'priority',
		params = coalesce(e->'params', params),
		queued_at = (e->>'ts')::timestamptz,
		delayed_until = (e->>'delayed_until')::timestamptz,
		labels = wfmon_labels_merge(labels, e->'labels'),
		steps_total = jsonb_array_length(coalesce(e->'steps', '[]'))
	WHERE org_id = p_org AND execution_id = e->>'execution_id';
	-- The plan's steps always get in; the latest plan says what each depends on.
	INSERT INTO step_executions AS s (org_id, execution_id, step_id, seq, name, depends_on, seen_pos)
	SELECT p_org, e->>'execution_id', st.value->>'id', st.ord::integer, st.value->>'name',
	       coalesce(st.value->'depends_on', '[]'::jsonb), (p_rec->>'pos')::bigint
	FROM jsonb_array_elements(coalesce(e->'steps', '[]')) WITH ORDINALITY AS st(value, ord)
	ON CONFLICT (org_id, execution_id, step_id) DO UPDATE SET
		seq = excluded.seq,
		name = coalesce(excluded.name, s.name),
		depends_on = excluded.depends_on;
END
$$;

CREATE OR REPLACE FUNCTION wfmon_apply_started(p_org text, p_rec jsonb, p_cap integer) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	e jsonb := p_rec->'event';
	v_ts timestamptz := (e->>'ts')::timestamptz;
	v_from timestamptz;
BEGIN
	IF NOT wfmon_exec_attempt(p_org, p_rec) THEN
		RETURN;
	END IF;
	UPDATE workflow_executions SET
		status = CASE WHEN status = 'queued' THEN 'running' ELSE status END,
		started_at = v_ts,
		worker = coalesce(e->>'worker', worker),
		labels = wfmon_labels_merge(labels, e->'labels')
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

CREATE OR REPLACE FUNCTION wfmon_apply_step_started(p_org text, p_rec jsonb, p_cap integer) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	e jsonb := p_rec->'event';
BEGIN
	UPDATE workflow_executions SET status = 'running'
	WHERE org_id = p_org AND execution_id = e->>'execution_id' AND status = 'queued';
	IF NOT wfmon_step_room(p_org, e->>'execution_id', e->>'step_id')
	   OR NOT wfmon_step_attempt(p_org, e->>'execution_id', e->>'step_id', (e->>'attempt')::integer) THEN
		RETURN;
	END IF;
	INSERT INTO step_executions AS s (org_id, execution_id, step_id, status, started_at, input, input_size,
					  worker, seen_pos, attempt, name)
	VALUES (p_org, e->>'execution_id', e->>'step_id', 'running', (e->>'ts')::timestamptz,
		wfmon_cap(e->'input', (p_rec->>'in_size')::integer, p_cap), (p_rec->>'in_size')::integer,
		e->>'worker', (p_rec->>'pos')::bigint, coalesce((e->>'attempt')::integer, 1), e->>'name')
	ON CONFLICT (org_id, execution_id, step_id) DO UPDATE SET
		status = CASE WHEN s.status = 'pending' THEN 'running' ELSE s.status END,
		started_at = excluded.started_at,
		input = coalesce(excluded.input, s.input),
		input_size = coalesce(excluded.input_size, s.input_size),
		worker = coalesce(excluded.worker, s.worker),
		name = CASE WHEN s.seq IS NULL THEN coalesce(excluded.name, s.name) ELSE s.name END;
END
$$;

CREATE OR REPLACE FUNCTION wfmon_apply_step_progress(p_org text, p_rec jsonb, p_cap integer) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	e jsonb := p_rec->'event';
BEGIN
	IF NOT wfmon_step_room(p_org, e->>'execution_id', e->>'step_id')
	   OR NOT wfmon_step_attempt(p_org, e->>'execution_id', e->>'step_id', (e->>'attempt')::integer) THEN
		RETURN;
	END IF;
	INSERT INTO step_executions AS s (org_id, execution_id, step_id, status, progress_current,
					  progress_total, progress_unit, progress_message, seen_pos, attempt)
	VALUES (p_org, e->>'execution_id', e->>'step_id', 'running', (e->>'current')::bigint,
		(e->>'total')::bigint, e->>'unit', e->>'message', (p_rec->>'pos')::bigint,
		coalesce((e->>'attempt')::integer, 1))
	ON CONFLICT (org_id, execution_id, step_id) DO UPDATE SET
		status = CASE WHEN s.status = 'pending' THEN 'running' ELSE s.status END,
		progress_current = excluded.progress_current,
		progress_total = excluded.progress_total,
		progress_unit = coalesce(excluded.progress_unit, s.progress_unit),
		progress_message = coalesce(excluded.progress_message, s.progress_message);
END
$$;

-- step.completed and step.failed: a step's terminal event always applies
-- within its attempt.
CREATE OR REPLACE FUNCTION wfmon_apply_step_finished(p_org text, p_rec jsonb, p_cap integer) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	e jsonb := p_rec->'event';
	v_exec text := e->>'execution_id';
	v_step text := e->>'step_id';
	v_ts timestamptz := (e->>'ts')::timestamptz;
BEGIN
	IF NOT wfmon_step_room(p_org, v_exec, v_step)
	   OR NOT wfmon_step_attempt(p_org, v_exec, v_step, (e->>'attempt')::integer) THEN
		RETURN;
	END IF;
	INSERT INTO step_executions AS s (org_id, execution_id, step_id, status, finished_at, output,
					  output_size, duration_ms, cpu_percent, memory_bytes, error,
					  error_code, seen_pos, attempt, name)
	VALUES (p_org, v_exec, v_step,
		CASE WHEN e->>'type' = 'step.completed' THEN 'completed' ELSE 'failed' END, v_ts,
		wfmon_cap(e->'output', (p_rec->>'out_size')::integer, p_cap), (p_rec->>'out_size')::integer,
		(e->>'duration_ms')::bigint, (e->>'cpu_percent')::double precision,
		(e->>'memory_bytes')::bigint, e->>'error', e->>'error_code', (p_rec->>'pos')::bigint,
		coalesce((e->>'attempt')::integer, 1), e->>'name')
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
		name = CASE WHEN s.seq IS NULL THEN coalesce(excluded.name, s.name) ELSE s.name END,
		progress_current = CASE WHEN excluded.status = 'completed' AND s.progress_total > 0
					THEN s.progress_total ELSE s.progress_current END;
	INSERT INTO step_metrics (org_id, execution_id, workflow_id, step_id, status, duration_ms, cpu_percent,
				  memory_bytes, input_size, output_size, recorded_at, attempt)
	SELECT p_org, v_exec, e->>'workflow_id', v_step, s.status, s.duration_ms, s.cpu_percent,
	       s.memory_bytes, s.input_size, s.output_size, v_ts, s.attempt
	FROM step_executions s
	WHERE s.org_id = p_org AND s.execution_id = v_exec AND s.step_id = v_step;
END
$$;

-- execution.completed, .failed, .cancelled: the first one of an attempt wins;
-- a failed or cancelled execution's running steps fail; a cancel asked for
-- is done.
CREATE OR REPLACE FUNCTION wfmon_apply_finished(p_org text, p_rec jsonb, p_cap integer) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	e jsonb := p_rec->'event';
	v_kind text := e->>'type';
	v_exec text := e->>'execution_id';
	v_ts timestamptz := (e->>'ts')::timestamptz;
	v_status text := CASE v_kind WHEN 'execution.completed' THEN 'completed'
				     WHEN 'execution.failed' THEN 'failed' ELSE 'cancelled' END;
	v_from timestamptz;
	v_att integer;
	v_n integer;
BEGIN
	IF NOT wfmon_exec_attempt(p_org, p_rec) THEN
		RETURN;
	END IF;
	UPDATE workflow_executions SET
		status = v_status,
		finished_at = v_ts,
		error = CASE v_kind WHEN 'execution.failed' THEN e->>'error'
				    WHEN 'execution.cancelled' THEN coalesce(e->>'reason', error)
				    ELSE error END,
		error_code = CASE WHEN v_kind = 'execution.failed'
				  THEN coalesce(e->>'error_code', error_code) ELSE error_code END,
		control = CASE WHEN control->>'command' = 'cancel' AND control->>'state' IN ('requested', 'accepted')
			       THEN jsonb_set(control, '{state}', '"done"') ELSE control END
	WHERE org_id = p_org AND execution_id = v_exec AND status IN ('queued', 'running')
	RETURNING coalesce(started_at, queued_at), attempt INTO v_from, v_att;
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
			jsonb_build_object('status', v_status, 'attempt', v_att), v_ts);
	END IF;
END
$$;

CREATE FUNCTION wfmon_apply_control_requested(p_org text, p_rec jsonb, p_cap integer) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	e jsonb := p_rec->'event';
BEGIN
	UPDATE workflow_executions SET control = jsonb_build_object(
		'state', 'requested', 'command', e->>'command', 'request_id', e->>'request_id',
		'by', e->>'by', 'reason', e->'reason', 'requested_at', (e->>'ts')::timestamptz, 'answered_at', NULL)
	WHERE org_id = p_org AND execution_id = e->>'execution_id';
END
$$;

-- A reply counts for the request it answers: same command, same request id
-- when it names one, while the request waits.
CREATE FUNCTION wfmon_apply_control_replied(p_org text, p_rec jsonb, p_cap integer) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	e jsonb := p_rec->'event';
BEGIN
	UPDATE workflow_executions SET control = control || jsonb_build_object(
		'state', CASE WHEN (e->>'accepted')::boolean THEN 'accepted' ELSE 'refused' END,
		'answered_at', (e->>'ts')::timestamptz)
		|| CASE WHEN e ? 'reason' THEN jsonb_build_object('reason', e->'reason') ELSE '{}' END
	WHERE org_id = p_org AND execution_id = e->>'execution_id'
	  AND control->>'state' = 'requested' AND control->>'command' = e->>'command'
	  AND (e->>'request_id' IS NULL OR control->>'request_id' = e->>'request_id');
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
		WHEN 'control.requested' THEN PERFORM wfmon_apply_control_requested(v_org, v_rec, data_cap);
		WHEN 'control.replied' THEN PERFORM wfmon_apply_control_replied(v_org, v_rec, data_cap);
		ELSE
			NULL;   -- log lines live in the event log only
		END CASE;
	END LOOP;
	RETURN v_inserted;
END
$$;
REVOKE ALL ON FUNCTION wfmon_apply_events(jsonb, integer) FROM PUBLIC;
