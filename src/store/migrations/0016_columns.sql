-- 0016_columns: the batch comes as typed columns, the body is stored as json
-- (issue 16).
--
-- Measured with tests/bench_store_apply.sh (perf on the backend) after 0015:
-- of a log event's cost, jsonb_in over the whole batch (one jsonb parameter)
-- took a sixth, and expanding it again (jsonb_array_elements, ->> per
-- column, the body copied out of the batch as a jsonb of its own) most of
-- the rest that a COPY of the same rows does not pay. The same rows COPYed
-- with the body as json text instead of jsonb cost about a quarter less.
--
-- Columns. The daemon sends a batch as one array a column, in the batch's
-- order, as binary parameters (src/store/batch.c): positions, times of
-- acceptance (ms since the epoch, NULL for a record that has none: now()),
-- event ids, execution ids, workflow ids, kinds, step ids, event times (text,
-- cast here as 0015 cast them), the recorded input and output sizes, and the
-- events' JSON text (cast to json here: validated, no jsonb built). The rows
-- are read by subscript over generate_series: PL/pgSQL keeps an array
-- parameter expanded, so each subscript is direct, where unnest of eleven
-- arrays WITH ORDINALITY materialized every column (the bodies copied) and
-- sorted the rows again by their ordinal (measured: 18.3 -> 17.6 µs an event).
--
-- Body. execution_events.body is json: the event's text as the daemon
-- validated it. Readers that need jsonb operators cast (the room replay's
-- `body::jsonb - 'input' - 'output'`, src/store/queries.c); the others read
-- it as text and parse it in the daemon, as before.
--
-- The per-kind functions (0008 and later) still take the jsonb record
-- {"org","pos","at"?,"in_size"?,"out_size"?,"event"}: it is built here for
-- the few stored events that are not log lines, not for the whole batch.
-- wfmon_apply_events(jsonb, integer) stays, as the same thing over one jsonb
-- array of records (what the daemon sent up to 0015), so callers of either
-- shape get the same semantics: the batch's records in order, the first copy
-- of an event wins, each stored event counted once, the projections updated
-- only for rows actually inserted.

ALTER TABLE execution_events ALTER COLUMN body TYPE json USING body::json;

-- Positions. The btree on (org_id, pos) cost every stored event an index
-- insertion for two start-up reads. The highest position of each
-- organization is now one row, moved once per batch (a HOT update: its one
-- index is on org_id, and its pages keep room); the events with the newest
-- positions (the dedup window the daemon reloads, src/store/load.c) are
-- found through a BRIN index on pos, which costs an insertion next to
-- nothing (pos rises with the table's physical order, and the newest,
-- unsummarized pages are read whatever the bounds; 3 million rows of three
-- organizations: 0.5 s for one's 100,000 latest ids, 2.3 s with no index).
-- The room replays read by position through their own indexes (execution,
-- workflow, kind: each ends in pos). An organization's highest position now
-- survives the deletion of its newest events (retention): positions never go
-- back.
CREATE TABLE event_positions (
	org_id  text PRIMARY KEY,
	max_pos bigint NOT NULL
) WITH (fillfactor = 50);
-- The owner may not read the events under forced row security: lifted for
-- this one statement, inside the migration's transaction.
ALTER TABLE execution_events NO FORCE ROW LEVEL SECURITY;
INSERT INTO event_positions (org_id, max_pos) SELECT org_id, max(pos) FROM execution_events GROUP BY 1;
ALTER TABLE execution_events FORCE ROW LEVEL SECURITY;
ALTER TABLE event_positions ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_positions FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON event_positions FOR ALL
	USING (org_id = current_setting('wfmon.org', true))
	WITH CHECK (org_id = current_setting('wfmon.org', true));

DROP INDEX execution_events_pos;
CREATE INDEX execution_events_pos_range ON execution_events USING brin (pos);

DROP FUNCTION wfmon_event_rows(text, jsonb);

CREATE FUNCTION wfmon_store_events(p_pos bigint[], p_at bigint[], p_id text[], p_exec text[], p_wf text[],
				   p_kind text[], p_step text[], p_ts text[], p_in bigint[], p_out bigint[],
				   p_body text[], data_cap integer) RETURNS integer
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
	IF cardinality(p_pos) IS DISTINCT FROM cardinality(p_body) THEN
		RAISE EXCEPTION 'wfmon_store_events: columns of different lengths';
	END IF;
	BEGIN
		WITH ins AS (
			INSERT INTO execution_events (org_id, pos, event_id, execution_id, workflow_id, kind,
						      step_id, ts, received_at, body)
			SELECT v_org, p_pos[i], p_id[i], p_exec[i], p_wf[i], p_kind[i], p_step[i], p_ts[i]::timestamptz,
			       coalesce(timestamptz 'epoch' + p_at[i] * interval '1 millisecond', now()),
			       p_body[i]::json
			FROM generate_series(1, cardinality(p_pos)) AS i
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
			SELECT v_org, p_pos[i], p_id[i], p_exec[i], p_wf[i], p_kind[i], p_step[i], p_ts[i]::timestamptz,
			       coalesce(timestamptz 'epoch' + p_at[i] * interval '1 millisecond', now()),
			       p_body[i]::json
			FROM generate_series(1, cardinality(p_pos)) AS i
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
			-- The record as the per-kind functions take it, keys absent
			-- where the daemon's record had none.
			SELECT jsonb_build_object('org', v_org, 'pos', r.pos, 'event', r.body::jsonb)
			       || CASE WHEN r.at IS NULL THEN '{}' ELSE jsonb_build_object('at', r.at) END
			       || CASE WHEN r.isz IS NULL THEN '{}' ELSE jsonb_build_object('in_size', r.isz) END
			       || CASE WHEN r.osz IS NULL THEN '{}' ELSE jsonb_build_object('out_size', r.osz) END
			FROM (
				SELECT DISTINCT ON (u.pos, u.id) u.*
				FROM unnest(p_pos, p_at, p_id, p_kind, p_in, p_out, p_body)
					WITH ORDINALITY AS u(pos, at, id, kind, isz, osz, body, ord)
				WHERE u.kind <> 'log' AND u.pos = ANY(v_rest)
				ORDER BY u.pos, u.id, u.ord
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
	-- Last: the organization's row stays locked until the commit, so two
	-- writers of one organization (nodes of a cluster) wait on each other
	-- for as short a time as can be.
	INSERT INTO event_positions AS p (org_id, max_pos)
	SELECT v_org, max(x) FROM unnest(v_pos) AS x
	ON CONFLICT (org_id) DO UPDATE SET max_pos = greatest(p.max_pos, excluded.max_pos);
	RETURN cardinality(v_pos);
END
$$;
REVOKE ALL ON FUNCTION wfmon_store_events(bigint[], bigint[], text[], text[], text[], text[], text[], text[],
					  bigint[], bigint[], text[], integer) FROM PUBLIC;

-- The same over one jsonb array of records, as sent up to 0015.
CREATE OR REPLACE FUNCTION wfmon_apply_events(events jsonb, data_cap integer) RETURNS integer
LANGUAGE sql SECURITY INVOKER SET search_path = public, pg_temp AS $$
	SELECT wfmon_store_events(
		coalesce(array_agg((t.rec->>'pos')::bigint ORDER BY t.ord), '{}'),
		array_agg((t.rec->>'at')::bigint ORDER BY t.ord),
		array_agg(t.rec->'event'->>'id' ORDER BY t.ord),
		array_agg(t.rec->'event'->>'execution_id' ORDER BY t.ord),
		array_agg(t.rec->'event'->>'workflow_id' ORDER BY t.ord),
		array_agg(t.rec->'event'->>'type' ORDER BY t.ord),
		array_agg(t.rec->'event'->>'step_id' ORDER BY t.ord),
		array_agg(t.rec->'event'->>'ts' ORDER BY t.ord),
		array_agg((t.rec->>'in_size')::bigint ORDER BY t.ord),
		array_agg((t.rec->>'out_size')::bigint ORDER BY t.ord),
		coalesce(array_agg((t.rec->'event')::text ORDER BY t.ord), '{}'),
		data_cap)
	FROM jsonb_array_elements(events) WITH ORDINALITY AS t(rec, ord)
$$;
REVOKE ALL ON FUNCTION wfmon_apply_events(jsonb, integer) FROM PUBLIC;
