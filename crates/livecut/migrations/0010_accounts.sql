-- Accounts: every access key belongs to one, and so does everything its calls create. Another
-- account's ids answer NotFound. Rows from before accounts belong to the default account.
ALTER TABLE access_keys ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
ALTER TABLE jobs ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
ALTER TABLE media_assets ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
ALTER TABLE projects ADD COLUMN account TEXT NOT NULL DEFAULT 'default';
UPDATE event_callbacks SET account = 'default' WHERE account = '';
