-- Which job writes each output location: one row per (bucket, object_key), taken in the Submit
-- transaction, so two Submits of one MediaURL cannot both be accepted (the second sees the
-- first's row). A row whose job failed may be taken over by a new job.
CREATE TABLE output_owners (
    bucket     TEXT NOT NULL,
    object_key TEXT NOT NULL,
    job_id     TEXT NOT NULL,
    PRIMARY KEY (bucket, object_key)
);
-- The outputs of jobs stored before this table existed (the newest live one per location).
INSERT INTO output_owners (bucket, object_key, job_id)
SELECT bucket, object_key, MAX(job_id) FROM media_assets
WHERE status <> 'ProduceFailed' AND job_id <> ''
GROUP BY bucket, object_key;
