-- The objects each job writes into its buckets, recorded before the upload starts, so that
-- every object in a bucket has an owner, and whatever a killed attempt left (an unfinished
-- multipart upload, the objects of a job that then failed) is found and removed.
-- upload_id: a multipart upload in flight, or '' for an object that is whole (or was written
-- with one PUT). An object may have several uploads listed while a retry runs.
CREATE TABLE job_objects (
    job_id     TEXT NOT NULL,
    bucket     TEXT NOT NULL,
    object_key TEXT NOT NULL,
    upload_id  TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (job_id, bucket, object_key, upload_id)
);
CREATE INDEX job_objects_location ON job_objects (bucket, object_key);
