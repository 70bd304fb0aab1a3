-- Instances: the `fedihost serve` processes that share this state database (one on
-- SQLite, any number on PostgreSQL). Each one writes its heartbeat; one whose heartbeat
-- is older than its lease is taken for dead by the others (`stopped_at` set, saying who
-- saw it), and what it held goes back to the pool: its runs are claimed by another
-- instance and resume from their journal, its jobs fail (ask again), its refresh claims go.
CREATE TABLE instances (
  id            TEXT PRIMARY KEY,            -- "inst_…", new at each start
  host          TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  version       TEXT NOT NULL,
  started_at    TEXT NOT NULL,
  heartbeat_at  TEXT NOT NULL,               -- RFC 3339, the instance's own clock
  lease_ms      INTEGER NOT NULL,            -- dead when heartbeat_at is older than this
  stopped_at    TEXT NOT NULL DEFAULT '',
  stop_reason   TEXT NOT NULL DEFAULT ''
);
-- Who holds a run while it executes ('' : nobody; any instance may claim it), who did
-- each step, who runs a job and who holds a refresh claim.
ALTER TABLE runs ADD COLUMN instance_id TEXT NOT NULL DEFAULT '';
ALTER TABLE run_steps ADD COLUMN instance_id TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN instance_id TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_claimable ON runs (status, instance_id);
