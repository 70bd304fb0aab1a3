-- Scheduled backups with retention (docs/backup-and-migration.md): at most one schedule
-- per deployment. A schedule is due when next_due_at (RFC 3339 UTC, text order is time
-- order) is not after now; an instance claims it by advancing next_due_at only if it
-- still holds the value read (a conditional update), so two instances sharing a
-- PostgreSQL database never both start the same backup.
CREATE TABLE backup_schedules (
  deployment_id   TEXT PRIMARY KEY,
  organisation_id TEXT NOT NULL,
  enabled         INTEGER NOT NULL DEFAULT 1,
  every_hours     INTEGER NOT NULL DEFAULT 0,   -- cadence "every N hours" (aligned to multiples of N hours since 1970), or 0
  daily_at        TEXT NOT NULL DEFAULT '',     -- cadence "daily at HH:MM UTC", or ''
  keep_hourly     INTEGER NOT NULL DEFAULT 0,
  keep_daily      INTEGER NOT NULL DEFAULT 0,
  keep_weekly     INTEGER NOT NULL DEFAULT 0,
  keep_monthly    INTEGER NOT NULL DEFAULT 0,
  next_due_at     TEXT NOT NULL DEFAULT '',     -- '' while disabled
  last_run_at     TEXT NOT NULL DEFAULT '',
  last_result     TEXT NOT NULL DEFAULT '',     -- '', started, skipped, failed, succeeded
  last_message    TEXT NOT NULL DEFAULT '',
  last_backup_id  TEXT NOT NULL DEFAULT '',
  updated_at      TEXT NOT NULL
);
CREATE INDEX backup_schedules_due ON backup_schedules (enabled, next_due_at);
-- Which backups the schedule made: retention prunes only these.
ALTER TABLE backups ADD COLUMN scheduled INTEGER NOT NULL DEFAULT 0;
