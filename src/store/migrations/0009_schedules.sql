-- 0009_schedules: workflows' expected runs (src/proto/schedule.h: the
-- schedule as its JSON form, read back through schedule_parse), one per
-- workflow, under forced row-level security like every tenant table.
-- The daemon judges the runs itself (src/server/schedules.c); at start-up it
-- reads each scheduled workflow's latest start, completion and failure from
-- workflow_executions, which this index keeps cheap.

CREATE TABLE workflow_schedules (
	org_id      text NOT NULL,
	workflow_id text NOT NULL,
	schedule    jsonb NOT NULL,
	updated_at  timestamptz NOT NULL DEFAULT now(),
	updated_by  text NOT NULL,
	PRIMARY KEY (org_id, workflow_id)
);
ALTER TABLE workflow_schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE workflow_schedules FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON workflow_schedules FOR ALL
	USING (org_id = current_setting('wfmon.org', true))
	WITH CHECK (org_id = current_setting('wfmon.org', true));

CREATE INDEX workflow_executions_workflow_started
	ON workflow_executions (org_id, workflow_id, started_at DESC) WHERE started_at IS NOT NULL;
