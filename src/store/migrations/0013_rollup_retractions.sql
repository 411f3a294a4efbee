-- 0013_rollup_retractions: a retried success counts once in the rollups too.
--
-- 0008 marks the facts of an attempt that a later one replaced (retried), and
-- every reader of facts leaves marked ones out. But the rollups add facts as
-- they come (src/store/rollup.c, every few seconds): a failed attempt rolled
-- up before its retry arrived stayed in its hours. Now, when a later attempt
-- replaces facts that the rollups have already taken in (their id is at or
-- below the organization's watermark), the values they were rolled up with
-- are written to metric_rollup_retractions, read before the replaced rows
-- are reset; the next rollup pass takes them out of their rows and deletes
-- them, in one transaction.
--
-- Race: the rollups may run on another connection (a metrics query brings
-- them up to date) while the writer applies a retry. Both lock the
-- organization's metric_rollup_state row first: a pass that locked first
-- has moved the watermark when the retry reads it, so the retry writes the
-- retraction; a retry that locked first has marked the facts when the pass
-- reads them (read committed: each statement sees what committed before
-- it), so the pass leaves them out.
--
-- The values must be those rollup.c reads for a fact (exec_facts_sql,
-- step_facts_sql): the same expressions over the same rows.

CREATE TABLE metric_rollup_retractions (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id      text NOT NULL,
	workflow_id text NOT NULL,
	step_id     text NOT NULL DEFAULT '',    -- '' for an execution's fact
	status      text NOT NULL,
	finished_ms bigint NOT NULL,
	dur_ms      bigint,
	wait_ms     bigint,
	created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX metric_rollup_retractions_org ON metric_rollup_retractions (org_id, id);
ALTER TABLE metric_rollup_retractions ENABLE ROW LEVEL SECURITY;
ALTER TABLE metric_rollup_retractions FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON metric_rollup_retractions FOR ALL
	USING (org_id = current_setting('wfmon.org', true))
	WITH CHECK (org_id = current_setting('wfmon.org', true));

-- The organization's rollup watermarks, its state row locked until the
-- transaction ends (created when missing, so there is always a row to lock).
CREATE FUNCTION wfmon_rollup_lock(p_org text, OUT exec_wm bigint, OUT step_wm bigint)
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
	INSERT INTO metric_rollup_state (org_id) VALUES (p_org) ON CONFLICT (org_id) DO NOTHING;
	SELECT execution_fact_id, step_fact_id INTO exec_wm, step_wm
	FROM metric_rollup_state WHERE org_id = p_org FOR UPDATE;
END
$$;

ALTER FUNCTION wfmon_exec_attempt(text, jsonb) RENAME TO wfmon_exec_attempt_0008;
ALTER FUNCTION wfmon_step_attempt(text, text, text, integer) RENAME TO wfmon_step_attempt_0008;

-- 0008's rule, after writing the retractions of the facts it is about to mark.
CREATE FUNCTION wfmon_exec_attempt(p_org text, p_rec jsonb) RETURNS boolean
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	e jsonb := p_rec->'event';
	v_exec text := e->>'execution_id';
	v_att integer := (e->>'attempt')::integer;
	v_cur integer;
	v_wm bigint;
BEGIN
	IF v_att IS NOT NULL THEN
		SELECT attempt INTO v_cur FROM workflow_executions WHERE org_id = p_org AND execution_id = v_exec;
		IF v_att > v_cur THEN
			SELECT exec_wm INTO v_wm FROM wfmon_rollup_lock(p_org);
			INSERT INTO metric_rollup_retractions (org_id, workflow_id, step_id, status, finished_ms, dur_ms,
							       wait_ms)
			SELECT p_org, m.workflow_id, '', x.status,
			       floor(extract(epoch FROM x.finished_at) * 1000)::bigint,
			       CASE WHEN x.status <> 'cancelled' AND x.started_at IS NOT NULL
				    THEN greatest(0, floor(extract(epoch FROM x.finished_at - x.started_at) * 1000)::bigint) END,
			       CASE WHEN x.started_at IS NOT NULL AND x.queued_at IS NOT NULL
				    THEN greatest(0, floor(extract(epoch FROM x.started_at - x.queued_at) * 1000)::bigint) END
			FROM execution_metrics m
			JOIN workflow_executions x ON x.org_id = m.org_id AND x.execution_id = m.execution_id
			WHERE m.org_id = p_org AND m.execution_id = v_exec AND m.metric_type = 'duration_ms'
			  AND NOT (m.metadata ? 'retried') AND m.id <= v_wm AND x.finished_at IS NOT NULL;
		END IF;
	END IF;
	RETURN wfmon_exec_attempt_0008(p_org, p_rec);
END
$$;

CREATE FUNCTION wfmon_step_attempt(p_org text, p_exec text, p_step text, p_att integer) RETURNS boolean
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
	v_cur integer;
	v_wm bigint;
BEGIN
	IF p_att IS NOT NULL THEN
		SELECT attempt INTO v_cur FROM step_executions
		WHERE org_id = p_org AND execution_id = p_exec AND step_id = p_step;
		IF p_att > v_cur THEN
			SELECT step_wm INTO v_wm FROM wfmon_rollup_lock(p_org);
			INSERT INTO metric_rollup_retractions (org_id, workflow_id, step_id, status, finished_ms, dur_ms)
			SELECT p_org, m.workflow_id, m.step_id, m.status,
			       floor(extract(epoch FROM m.recorded_at) * 1000)::bigint,
			       coalesce(m.duration_ms, CASE WHEN s.started_at IS NOT NULL AND s.finished_at IS NOT NULL
				    THEN greatest(0, floor(extract(epoch FROM s.finished_at - s.started_at) * 1000)::bigint) END)
			FROM step_metrics m
			LEFT JOIN step_executions s ON s.org_id = m.org_id AND s.execution_id = m.execution_id
			  AND s.step_id = m.step_id
			WHERE m.org_id = p_org AND m.execution_id = p_exec AND m.step_id = p_step AND m.attempt < p_att
			  AND NOT m.retried AND m.id <= v_wm;
		END IF;
	END IF;
	RETURN wfmon_step_attempt_0008(p_org, p_exec, p_step, p_att);
END
$$;
