-- The outbox: audit rows and resource lifecycle events written in the same state
-- transaction as the change they record; a shipper moves them to the accounting
-- database (idempotent by event_id there) and then deletes them here.
CREATE TABLE outbox (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,  -- shipping order
  event_id   TEXT NOT NULL UNIQUE,
  kind       TEXT NOT NULL CHECK (kind IN ('audit', 'resource')),
  body       TEXT NOT NULL,                      -- JSON of the event
  ready      INTEGER NOT NULL DEFAULT 1,         -- 0: an audit row awaiting its request's outcome
  created_at TEXT NOT NULL
);
CREATE INDEX outbox_ready ON outbox (ready, seq);
