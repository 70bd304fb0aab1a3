-- Jobs: work that reads providers at length (a deployment's refresh, an orphan
-- scan) and is done by the orchestrator's workers, not inside the request that
-- asks for it. The request answers 202 with the job; its progress and result are
-- read back here (GET /api/v1/jobs/{id}, or its event stream).
--
-- A refresh job also holds its deployment for as long as it is queued or running,
-- with the claim of migration 006 (a row of runs of kind 'refresh', named by
-- claim_id): so runs and refreshes still exclude each other in the database.
CREATE TABLE jobs (
  id              TEXT PRIMARY KEY,
  kind            TEXT NOT NULL,                -- 'refresh' | 'orphan-scan'
  deployment_id   TEXT NOT NULL DEFAULT '',     -- of a refresh
  organisation_id TEXT NOT NULL DEFAULT '',     -- '' for the provider's own jobs (orphan scans: operators only)
  state           TEXT NOT NULL,                -- 'queued' | 'running' | 'done' | 'failed'
  done            INTEGER NOT NULL DEFAULT 0,   -- progress: provider calls made
  total           INTEGER NOT NULL DEFAULT 0,   -- of about this many
  result          TEXT NOT NULL DEFAULT '',     -- JSON once done
  error           TEXT NOT NULL DEFAULT '',     -- why it failed
  claim_id        TEXT NOT NULL DEFAULT '',
  requested_by    TEXT NOT NULL DEFAULT '',
  created_at      TEXT NOT NULL,
  started_at      TEXT NOT NULL DEFAULT '',
  finished_at     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX jobs_by_deployment ON jobs (deployment_id, created_at);
-- One orphan scan at a time: asking again while one is queued or running gets that one.
CREATE UNIQUE INDEX jobs_one_active_orphan_scan ON jobs (kind)
  WHERE kind = 'orphan-scan' AND state IN ('queued', 'running');
