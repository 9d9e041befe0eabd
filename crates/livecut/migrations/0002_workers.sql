-- The worker registry: one row per worker process (`livecut serve` with workers, `livecut
-- worker`), written by the process itself. `livecut workers` reads it; a row whose heartbeat is
-- older than its lease belongs to a dead process (its jobs are taken back by the lease recovery,
-- not through this table).
CREATE TABLE workers (
    worker_id    TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          BIGINT NOT NULL,
    started_at   BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    lease_ms     BIGINT NOT NULL,
    state        TEXT NOT NULL,
    slots        BIGINT NOT NULL,
    -- Comma-separated job ids (job ids never contain a comma).
    running_jobs TEXT NOT NULL DEFAULT ''
);

-- The cut mode of a job as a column, so that counting jobs by mode (`/metrics`) does not decode
-- every stored request. Jobs stored before this column get it from their request JSON.
ALTER TABLE jobs ADD COLUMN mode TEXT NOT NULL DEFAULT '';
UPDATE jobs SET mode = 'AccurateFast' WHERE request LIKE '%"mode":"AccurateFast"%';
UPDATE jobs SET mode = 'Accurate' WHERE request LIKE '%"mode":"Accurate"%';
UPDATE jobs SET mode = 'RoughFast' WHERE request LIKE '%"mode":"RoughFast"%';
UPDATE jobs SET mode = 'Rough' WHERE request LIKE '%"mode":"Rough"%';
