-- The objects each job writes into its buckets, recorded before the upload starts, so that
-- every object in a bucket has an owner, and whatever a killed attempt left (an unfinished
-- multipart upload, the objects of a job that then failed) is found and removed.
-- upload_id: the multipart upload in flight ('' once the object is whole).
CREATE TABLE job_objects (
    job_id     TEXT NOT NULL,
    bucket     TEXT NOT NULL,
    object_key TEXT NOT NULL,
    upload_id  TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (job_id, bucket, object_key)
);
CREATE INDEX job_objects_location ON job_objects (bucket, object_key);
