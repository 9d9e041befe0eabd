-- Portable DDL: the same file migrates SQLite and PostgreSQL. Split per backend only when a
-- statement truly differs.
-- Times are BIGINT milliseconds since the Unix epoch (UTC): sqlx::Any has no date type, and the
-- same integer arithmetic then works on SQLite and PostgreSQL.
CREATE TABLE access_keys (
    access_key_id TEXT PRIMARY KEY,
    secret        TEXT NOT NULL,
    actions       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    disabled      BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE signature_nonces (
    nonce      TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

CREATE TABLE projects (
    project_id      TEXT PRIMARY KEY,
    title           TEXT NOT NULL,
    project_type    TEXT NOT NULL,
    create_source   TEXT NOT NULL,
    business_config TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    modified_at     BIGINT NOT NULL
);

CREATE TABLE jobs (
    job_id           TEXT PRIMARY KEY,
    project_id       TEXT NOT NULL,
    media_id         TEXT NOT NULL,
    media_url        TEXT NOT NULL,
    status           TEXT NOT NULL,
    request          TEXT NOT NULL,
    code             TEXT NOT NULL DEFAULT '',
    message          TEXT NOT NULL DEFAULT '',
    report           TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,
    modified_at      BIGINT NOT NULL,
    started_at       BIGINT,
    completed_at     BIGINT,
    attempts         BIGINT NOT NULL DEFAULT 0,
    max_attempts     BIGINT NOT NULL,
    run_at           BIGINT NOT NULL,
    lease_owner      TEXT,
    lease_expires_at BIGINT
);
CREATE INDEX jobs_queuing ON jobs (run_at) WHERE status = 'Queuing';
CREATE INDEX jobs_processing ON jobs (lease_expires_at) WHERE status = 'Processing';

CREATE TABLE media_assets (
    media_id    TEXT PRIMARY KEY,
    job_id      TEXT NOT NULL DEFAULT '',
    input_url   TEXT NOT NULL,
    bucket      TEXT NOT NULL,
    object_key  TEXT NOT NULL,
    status      TEXT NOT NULL,
    title       TEXT NOT NULL DEFAULT '',
    cover_url   TEXT NOT NULL DEFAULT '',
    user_data   TEXT NOT NULL DEFAULT '',
    probe       TEXT NOT NULL DEFAULT '',
    file_size   BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    modified_at BIGINT NOT NULL
);
CREATE INDEX media_assets_location ON media_assets (bucket, object_key);

CREATE TABLE recordings (
    domain_name TEXT NOT NULL,
    app_name    TEXT NOT NULL,
    stream_name TEXT NOT NULL,
    playlist    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (domain_name, app_name, stream_name, playlist)
);
