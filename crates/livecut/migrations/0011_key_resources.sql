-- What a key may touch besides its actions (RAM resources): output buckets or bucket/prefix it
-- may write, and DomainName or DomainName/AppName it may read; '*' is everything.
ALTER TABLE access_keys ADD COLUMN write_buckets TEXT NOT NULL DEFAULT '*';
ALTER TABLE access_keys ADD COLUMN read_streams TEXT NOT NULL DEFAULT '*';
