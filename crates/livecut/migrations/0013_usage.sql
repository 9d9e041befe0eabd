-- Usage per account, metered as IMS bills live editing (output minutes per mode): one row per
-- account, UTC day of the job's end and mode, added to in the transaction that ends each job, so
-- every job is counted exactly once whichever worker finishes it.
CREATE TABLE account_usage (
    account        TEXT NOT NULL,
    day            BIGINT NOT NULL,
    mode           TEXT NOT NULL,
    jobs_succeeded BIGINT NOT NULL DEFAULT 0,
    jobs_failed    BIGINT NOT NULL DEFAULT 0,
    output_ms      BIGINT NOT NULL DEFAULT 0,
    output_bytes   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (account, day, mode)
);

-- Jobs that ended before metering: counted, with their output bytes; their output duration was
-- not kept apart from the probe, so it counts from here on.
INSERT INTO account_usage (account, day, mode, jobs_succeeded, jobs_failed, output_ms, output_bytes)
SELECT j.account, j.completed_at / 86400000, j.mode,
       SUM(CASE WHEN j.status = 'Success' THEN 1 ELSE 0 END),
       SUM(CASE WHEN j.status = 'Failed' THEN 1 ELSE 0 END),
       0,
       SUM(CASE WHEN j.status = 'Success' THEN COALESCE(m.file_size, 0) ELSE 0 END)
FROM jobs j LEFT JOIN media_assets m ON m.media_id = j.media_id
WHERE j.completed_at IS NOT NULL AND j.status IN ('Success', 'Failed')
GROUP BY j.account, j.completed_at / 86400000, j.mode;
