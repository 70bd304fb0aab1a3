-- The audit log becomes a hash chain: each row carries its place (seq), the hash of
-- the row before it and its own hash over a canonical encoding of every field
-- (see src/store/audit_chain.cc). Rows written before this migration are kept in
-- audit_log_v1, outside the chain.
ALTER TABLE audit_log RENAME TO audit_log_v1;
DROP INDEX IF EXISTS audit_log_by_org;
CREATE INDEX audit_log_v1_by_org ON audit_log_v1 (organisation_id, at);

CREATE TABLE audit_log (
  seq             INTEGER PRIMARY KEY,        -- 1, 2, 3, ... without gaps
  event_id        TEXT NOT NULL UNIQUE,       -- shipping the same event twice records it once
  at              TEXT NOT NULL,
  actor_kind      TEXT NOT NULL,              -- user | token | system | anonymous
  actor_id        TEXT NOT NULL,              -- user id ('' for system/anonymous)
  via             TEXT NOT NULL,              -- session or token id (ses_..., tok_...), never a secret
  organisation_id TEXT NOT NULL,              -- on behalf of which organisation ('' if none)
  action          TEXT NOT NULL,              -- "POST /api/v1/deployments/{id}/apply" or "run.started"
  object_id       TEXT NOT NULL,
  method          TEXT NOT NULL,
  path            TEXT NOT NULL,
  status          INTEGER NOT NULL,           -- HTTP status; 0: committed, no answer sent (server stopped)
  outcome         TEXT NOT NULL,              -- ok | refused | failed | unanswered | running | succeeded | ...
  remote          TEXT NOT NULL,
  request_id      TEXT NOT NULL,
  detail          TEXT NOT NULL,
  prev_hash       TEXT NOT NULL,
  hash            TEXT NOT NULL
);
CREATE INDEX audit_log_by_org ON audit_log (organisation_id, seq);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id, seq);
CREATE INDEX audit_log_by_object ON audit_log (object_id, seq);
CREATE INDEX audit_log_by_at ON audit_log (at);

-- Append-only: the store offers no update or delete, and the database refuses them.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
