-- The orchestrator engine: retries and cancellation in the journal, drift
-- found by refreshes, and saved plans.
ALTER TABLE run_steps ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN plan_id TEXT NOT NULL DEFAULT '';

-- What the last refresh found different at the provider, per resource.
CREATE TABLE resource_drift (
  resource_key  TEXT PRIMARY KEY,
  deployment_id TEXT NOT NULL,
  status        TEXT NOT NULL,              -- 'changed' | 'missing'
  detail        TEXT NOT NULL DEFAULT '',
  checked_at    TEXT NOT NULL
);
CREATE INDEX resource_drift_by_deployment ON resource_drift (deployment_id);
ALTER TABLE deployments ADD COLUMN refreshed_at TEXT NOT NULL DEFAULT '';

-- A plan kept to be applied later, with what it was computed from.
CREATE TABLE saved_plans (
  id            TEXT PRIMARY KEY,
  deployment_id TEXT NOT NULL,
  basis         TEXT NOT NULL,               -- {"version": n, "resources": {key: hash}, "drift": {key: status}}
  actions       TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  run_id        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX saved_plans_by_deployment ON saved_plans (deployment_id, created_at);
