-- 0005_metrics: performance rollups.
--
-- metric_rollups holds, per organization, workflow and step, for every UTC
-- hour, day, week (Monday to Monday) and four-week block, the executions (or
-- steps) that finished in it: counts per outcome, duration count, sum,
-- minimum and maximum, queue wait count and sum, and a mergeable duration
-- histogram (src/common/hist.c writes and reads its bytes; SQL never looks
-- inside). workflow_id '' is the whole organization; step_id '' is the
-- execution as a whole. A week is 7 day rows and a four-week block 4 week
-- rows summed, kept so that a year is read in a few dozen rows.
--
-- The rows are built from the facts the write path already records, one per
-- finished execution (execution_metrics, metric_type 'duration_ms') and one
-- per finished step (step_metrics): metric_rollup_state keeps, per
-- organization, the highest fact id rolled up, and the daemon's store thread
-- rolls up what came after it (every metrics-rollup-interval seconds and
-- before each metrics query) in one transaction with the new watermark, so
-- each fact counts exactly once. When this migration runs, wfmond fills the
-- rollups from the history already stored (workflow_executions and
-- step_executions) in the same transaction and sets the watermarks.
--
-- Rollups have their own retention (retention-rollups-days, 400 by default),
-- longer than the raw history's, so long trends outlive deleted events.
-- Row-level security is forced like on every other tenant table.

CREATE TABLE metric_rollups (
	org_id          text NOT NULL,
	workflow_id     text NOT NULL,                 -- '' : every workflow
	step_id         text NOT NULL,                 -- '' : the execution as a whole
	span_hours      integer NOT NULL CHECK (span_hours IN (1, 24, 168, 672)),
	bucket_start    timestamptz NOT NULL,
	bucket_end      timestamptz NOT NULL,
	completed       bigint NOT NULL DEFAULT 0,
	failed          bigint NOT NULL DEFAULT 0,
	cancelled       bigint NOT NULL DEFAULT 0,
	duration_count  bigint NOT NULL DEFAULT 0,     -- completed and failed with a start
	duration_sum_ms bigint NOT NULL DEFAULT 0,
	duration_min_ms bigint,
	duration_max_ms bigint,
	wait_count      bigint NOT NULL DEFAULT 0,     -- queued, then started
	wait_sum_ms     bigint NOT NULL DEFAULT 0,
	histogram       bytea NOT NULL,
	updated_at      timestamptz NOT NULL DEFAULT now(),
	-- One workflow's rows of a period, all its steps, in one range.
	PRIMARY KEY (org_id, workflow_id, span_hours, bucket_start, step_id)
) WITH (toast_tuple_target = 8160);
-- Every workflow's rows of a period (the "all workflows" answers), in one range.
CREATE INDEX metric_rollups_time ON metric_rollups (org_id, step_id, span_hours, bucket_start, workflow_id);
-- Retention.
CREATE INDEX metric_rollups_end ON metric_rollups (org_id, bucket_end);

-- The facts after a watermark, one organization's at a time: without these,
-- an organization whose facts are few would scan every other one's.
CREATE INDEX execution_metrics_org_id ON execution_metrics (org_id, id) WHERE metric_type = 'duration_ms';
CREATE INDEX step_metrics_org_id ON step_metrics (org_id, id);

CREATE TABLE metric_rollup_state (
	org_id            text PRIMARY KEY,
	execution_fact_id bigint NOT NULL DEFAULT 0,   -- execution_metrics.id rolled up so far
	step_fact_id      bigint NOT NULL DEFAULT 0,   -- step_metrics.id rolled up so far
	updated_at        timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE metric_rollups ENABLE ROW LEVEL SECURITY;
ALTER TABLE metric_rollups FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON metric_rollups FOR ALL
	USING (org_id = current_setting('wfmon.org', true))
	WITH CHECK (org_id = current_setting('wfmon.org', true));
ALTER TABLE metric_rollup_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE metric_rollup_state FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON metric_rollup_state FOR ALL
	USING (org_id = current_setting('wfmon.org', true))
	WITH CHECK (org_id = current_setting('wfmon.org', true));
