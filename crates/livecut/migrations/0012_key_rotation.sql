-- Rotation with an overlap: after `livecut keys rotate --overlap-minutes N`, the previous secret
-- still verifies signatures until `previous_until` (ms), so clients can switch without a gap.
ALTER TABLE access_keys ADD COLUMN previous_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE access_keys ADD COLUMN previous_until BIGINT NOT NULL DEFAULT 0;
