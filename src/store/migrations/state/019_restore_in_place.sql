-- Restore in place (docs/backup-and-migration.md, "Restore in place"): a restore into
-- the deployment the backup was made of, after a safety backup of its current state.
-- in_place: 1 for such a restore (deployment_id is then the deployment restored into,
-- which the restore holds through claim_id, a refresh-kind run row, while it runs).
-- safety_backup_id: the backup taken before anything was replaced ('' until it exists).
-- backups.safety_for: the in-place restore a backup was taken for ('' for others).
ALTER TABLE restores ADD COLUMN in_place INTEGER NOT NULL DEFAULT 0;
ALTER TABLE restores ADD COLUMN safety_backup_id TEXT NOT NULL DEFAULT '';
ALTER TABLE restores ADD COLUMN claim_id TEXT NOT NULL DEFAULT '';
ALTER TABLE backups ADD COLUMN safety_for TEXT NOT NULL DEFAULT '';
