-- Backups and restores (docs/backup-and-migration.md): each a job with progress and
-- a journal, like a run. A backup's bundle is a file under the backup directory; the
-- row records where, its size and checksum once complete.
CREATE TABLE backups (
  id              TEXT PRIMARY KEY,
  deployment_id   TEXT NOT NULL,
  organisation_id TEXT NOT NULL,
  status          TEXT NOT NULL,             -- queued, running, succeeded, failed
  error           TEXT NOT NULL DEFAULT '',
  path            TEXT NOT NULL DEFAULT '',  -- the bundle, once complete
  size            INTEGER NOT NULL DEFAULT 0,
  checksum        TEXT NOT NULL DEFAULT '',  -- BLAKE2b-256 of the bundle file
  done            INTEGER NOT NULL DEFAULT 0,
  total           INTEGER NOT NULL DEFAULT 0,
  claim_id        TEXT NOT NULL DEFAULT '',  -- the deployment's claim (a refresh-kind run row) while it runs
  created_at      TEXT NOT NULL,
  started_at      TEXT NOT NULL DEFAULT '',
  finished_at     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX backups_by_deployment ON backups (deployment_id, created_at, id);

CREATE TABLE restores (
  id              TEXT PRIMARY KEY,
  backup_id       TEXT NOT NULL,
  organisation_id TEXT NOT NULL,
  deployment_id   TEXT NOT NULL,             -- the new deployment
  status          TEXT NOT NULL,             -- queued, running, succeeded, failed
  error           TEXT NOT NULL DEFAULT '',
  failed_part     TEXT NOT NULL DEFAULT '',  -- the part or step that failed
  done            INTEGER NOT NULL DEFAULT 0,
  total           INTEGER NOT NULL DEFAULT 0,
  created_at      TEXT NOT NULL,
  finished_at     TEXT NOT NULL DEFAULT ''
);

-- The journal of backups and restores: one line per step, in order.
CREATE TABLE bundle_journal (
  job_id  TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  at      TEXT NOT NULL,
  part    TEXT NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY (job_id, seq)
);
