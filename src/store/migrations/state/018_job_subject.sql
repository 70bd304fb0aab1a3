-- What a job works on besides its deployment: the backup whose bundle a
-- "bundle-verify" job reads (POST /api/v1/backups/{id}/verify). '' for refreshes
-- and orphan scans.
ALTER TABLE jobs ADD COLUMN subject TEXT NOT NULL DEFAULT '';
