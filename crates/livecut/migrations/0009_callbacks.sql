-- Where completion events go (SetEventCallback): one row per account ('' until accounts exist).
CREATE TABLE event_callbacks (
    account       TEXT PRIMARY KEY,
    callback_type TEXT NOT NULL,
    callback_url  TEXT NOT NULL,
    event_types   TEXT NOT NULL,
    auth_switch   TEXT NOT NULL,
    auth_key      TEXT NOT NULL,
    modified_at   BIGINT NOT NULL
);

-- The callback outbox: one row per event to deliver, written in the transaction that ends the
-- job, so an event is never lost (a restart, a dead worker) and never sent for a job that did
-- not end. Any process delivers due rows; a delivery holds its row until `lease_until`.
CREATE TABLE callback_outbox (
    id              TEXT PRIMARY KEY,
    job_id          TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT NOT NULL,
    address         TEXT NOT NULL,
    last_error      TEXT NOT NULL,
    delivered_at    BIGINT
);
CREATE INDEX callback_outbox_due ON callback_outbox (state, next_attempt_at);
CREATE INDEX callback_outbox_by_job ON callback_outbox (job_id, created_at);
