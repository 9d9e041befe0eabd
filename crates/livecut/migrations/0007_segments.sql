-- The segment index: every segment a recorder told livecut about (`livecut recordings
-- add-segment`, a directory registered with `recordings add`), with its UTC start and duration in
-- microseconds (media times need more than the milliseconds of the other tables). A clip is
-- planned by a range query on (stream, start_us), whatever the length of the history.
CREATE TABLE segments (
    domain_name   TEXT NOT NULL,
    app_name      TEXT NOT NULL,
    stream_name   TEXT NOT NULL,
    uri           TEXT NOT NULL,
    start_us      BIGINT NOT NULL,
    duration_us   BIGINT NOT NULL,
    init_uri      TEXT,
    sequence      BIGINT NOT NULL,
    discontinuity INTEGER NOT NULL,
    video_codec   TEXT,
    audio_codec   TEXT,
    added_by      TEXT NOT NULL,
    added_at      BIGINT NOT NULL,
    PRIMARY KEY (domain_name, app_name, stream_name, uri)
);
CREATE INDEX segments_by_start ON segments (domain_name, app_name, stream_name, start_us);
