-- Migrations of deployments to another target (docs/backup-and-migration.md, "Migration"):
-- a job like a restore, with a journal (bundle_journal) and a phase. While it runs it holds
-- its deployment through claim_id (a refresh-kind run row).
-- new_side: what it created at the new target so far ({identity key: outputs}, JSON), so
-- that a roll back after a crash finds it. old_side: the recorded resources at the old
-- target when the cut-over committed (JSON array), kept until removed on request.
-- old_side_status: '' (none yet), kept, removing, removed, failed.
-- downtime_ms: from the moment writes stopped to the end of the health check; -1 until then.
CREATE TABLE migrations (
  id               TEXT PRIMARY KEY,
  deployment_id    TEXT NOT NULL,
  organisation_id  TEXT NOT NULL,
  from_target      TEXT NOT NULL,
  to_target        TEXT NOT NULL,
  status           TEXT NOT NULL,             -- queued, running, succeeded, failed
  phase            TEXT NOT NULL DEFAULT 'queued',
  error            TEXT NOT NULL DEFAULT '',
  failed_part      TEXT NOT NULL DEFAULT '',
  done             INTEGER NOT NULL DEFAULT 0,
  total            INTEGER NOT NULL DEFAULT 0,
  claim_id         TEXT NOT NULL DEFAULT '',
  new_side         TEXT NOT NULL DEFAULT '{}',
  old_side         TEXT NOT NULL DEFAULT '[]',
  old_side_status  TEXT NOT NULL DEFAULT '',
  writes_stopped_at TEXT NOT NULL DEFAULT '',
  downtime_ms      INTEGER NOT NULL DEFAULT -1,
  requested_by     TEXT NOT NULL DEFAULT '',
  created_at       TEXT NOT NULL,
  started_at       TEXT NOT NULL DEFAULT '',
  finished_at      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX migrations_by_deployment ON migrations (deployment_id, created_at, id);
