-- The daemon's own samples (host and process, database connections, traffic,
-- queue depth) go to resource_metrics beside the workers' samples; source
-- tells them apart and tags holds the numbers that have no column.
ALTER TABLE resource_metrics ADD COLUMN source text NOT NULL DEFAULT 'worker'
	CHECK (source IN ('worker', 'daemon'));
ALTER TABLE resource_metrics ADD COLUMN tags jsonb NOT NULL DEFAULT '{}';
CREATE INDEX resource_metrics_source_time ON resource_metrics (org_id, source, recorded_at DESC);
