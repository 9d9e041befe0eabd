-- How a registered playlist's segments get their UTC times (`livecut recordings add
-- --segment-times`): 'pdt', 'name-epoch-ms', 'name-unix-seconds' or 'name-strftime:…@±hhmm'.
ALTER TABLE recordings ADD COLUMN segment_times TEXT NOT NULL DEFAULT 'pdt';
