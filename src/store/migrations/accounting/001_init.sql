-- Accounting database: who did what, and what resources existed when (usage).
CREATE TABLE audit_log (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  at              TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  organisation_id TEXT NOT NULL DEFAULT '',
  method          TEXT NOT NULL,
  path            TEXT NOT NULL,
  status          INTEGER NOT NULL,
  remote          TEXT NOT NULL,
  detail          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_org ON audit_log (organisation_id, at);

-- Resource lifecycle events, from which usage is computed.
CREATE TABLE resource_events (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  at              TEXT NOT NULL,
  organisation_id TEXT NOT NULL,
  deployment_id   TEXT NOT NULL,
  resource_key    TEXT NOT NULL,
  kind            TEXT NOT NULL,
  event           TEXT NOT NULL
);
CREATE INDEX resource_events_by_org ON resource_events (organisation_id, at);
