-- Live-editing projects as the IMS project calls see them (CreateEditingProject and the rest),
-- and the media library's editable fields (UpdateMediaInfo). Status is the project's state as IMS
-- names it (Draft, Producing, Produced, ProduceFailed), set when its jobs are submitted and end.
ALTER TABLE projects ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN cover_url TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN timeline TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN template_id TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN template_type TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN clips_param TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN business_status TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN status TEXT NOT NULL DEFAULT 'Draft';
ALTER TABLE projects ADD COLUMN modified_source TEXT NOT NULL DEFAULT '';
UPDATE projects SET modified_source = create_source;
-- Each project's state from its latest job. The index also serves the end of every job (a
-- project stays Producing while another of its jobs waits or runs).
CREATE INDEX jobs_by_project ON jobs (project_id, created_at);
UPDATE projects SET status = COALESCE((
    SELECT CASE j.status WHEN 'Success' THEN 'Produced' WHEN 'Failed' THEN 'ProduceFailed'
           ELSE 'Producing' END
    FROM jobs j WHERE j.project_id = projects.project_id
    ORDER BY j.created_at DESC LIMIT 1), 'Draft');
CREATE INDEX projects_by_account ON projects (account, created_at, project_id);

ALTER TABLE media_assets ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE media_assets ADD COLUMN media_tags TEXT NOT NULL DEFAULT '';
ALTER TABLE media_assets ADD COLUMN category TEXT NOT NULL DEFAULT '';
ALTER TABLE media_assets ADD COLUMN cate_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE media_assets ADD COLUMN business_type TEXT NOT NULL DEFAULT 'general';
ALTER TABLE media_assets ADD COLUMN reference_id TEXT NOT NULL DEFAULT '';
UPDATE media_assets SET reference_id = job_id;
CREATE INDEX media_by_account ON media_assets (account, created_at, media_id);
