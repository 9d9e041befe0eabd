-- How far a running job is (JSON: Step, Done, Total, Unit, Percent), written by its worker at
-- most once a second while it holds the lease; GetLiveEditingJob shows it.
ALTER TABLE jobs ADD COLUMN progress TEXT NOT NULL DEFAULT '';
