-- Playlists `livecut recordings add` refused (a codec livecut cannot cut, say), with the reason,
-- so that a job on such a stream says why instead of "no recording is known".
CREATE TABLE refused_recordings (
    domain_name TEXT NOT NULL,
    app_name    TEXT NOT NULL,
    stream_name TEXT NOT NULL,
    playlist    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (domain_name, app_name, stream_name, playlist)
);
