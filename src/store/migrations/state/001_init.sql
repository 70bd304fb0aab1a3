-- State database: what should exist (desired) and what does (recorded).
CREATE TABLE organisations (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  created_at   TEXT NOT NULL
);

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL,
  created_at    TEXT NOT NULL
);

-- A user's role in an organisation.
CREATE TABLE grants (
  user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  organisation_id TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
  role            TEXT NOT NULL,
  PRIMARY KEY (user_id, organisation_id)
);

-- API tokens are stored as their BLAKE2b hash only.
CREATE TABLE api_tokens (
  token_hash   TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  expires_at   TEXT
);

CREATE TABLE deployments (
  id              TEXT PRIMARY KEY,
  organisation_id TEXT NOT NULL REFERENCES organisations(id),
  name            TEXT NOT NULL,
  domain          TEXT NOT NULL,
  target          TEXT NOT NULL,
  status          TEXT NOT NULL,
  version         INTEGER NOT NULL,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
-- A name is unique among an organisation's live deployments.
CREATE UNIQUE INDEX deployments_live_name ON deployments (organisation_id, name) WHERE status <> 'deleted';
-- A domain is served by one live deployment only.
CREATE UNIQUE INDEX deployments_live_domain ON deployments (domain) WHERE status <> 'deleted';
CREATE INDEX deployments_by_org ON deployments (organisation_id, created_at, id);

CREATE TABLE deployment_apps (
  deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  app           TEXT NOT NULL,
  settings      TEXT NOT NULL,
  PRIMARY KEY (deployment_id, app)
);

-- Generated secrets of a deployment, sealed with the data directory's key.
CREATE TABLE secrets (
  deployment_id TEXT NOT NULL,
  name          TEXT NOT NULL,
  sealed        TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  PRIMARY KEY (deployment_id, name)
);

-- Recorded state: each resource as last applied, and what its provider returned.
CREATE TABLE resources (
  key           TEXT PRIMARY KEY,
  deployment_id TEXT NOT NULL,
  kind          TEXT NOT NULL,
  name          TEXT NOT NULL,
  attributes    TEXT NOT NULL,
  depends_on    TEXT NOT NULL,
  outputs       TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
CREATE INDEX resources_by_deployment ON resources (deployment_id);

CREATE TABLE runs (
  id            TEXT PRIMARY KEY,
  deployment_id TEXT NOT NULL,
  kind          TEXT NOT NULL,
  status        TEXT NOT NULL,
  error         TEXT NOT NULL DEFAULT '',
  total         INTEGER NOT NULL,
  created_at    TEXT NOT NULL,
  started_at    TEXT NOT NULL DEFAULT '',
  finished_at   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_deployment ON runs (deployment_id, created_at);
CREATE INDEX runs_by_status ON runs (status);

-- The journal: one row per planned action of a run.
CREATE TABLE run_steps (
  run_id       TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  seq          INTEGER NOT NULL,
  action       TEXT NOT NULL,
  resource_key TEXT NOT NULL,
  kind         TEXT NOT NULL,
  status       TEXT NOT NULL,
  error        TEXT NOT NULL DEFAULT '',
  started_at   TEXT NOT NULL DEFAULT '',
  finished_at  TEXT NOT NULL DEFAULT '',
  resource     TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
);
