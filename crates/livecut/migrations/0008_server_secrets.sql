-- Keys the service makes for itself, shared by every process of a deployment (the key that signs
-- preview links: an index file made by one API process is served by any other).
CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
