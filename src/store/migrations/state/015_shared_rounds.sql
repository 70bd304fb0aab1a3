-- Shared rounds: periodic work of which one instance a period is enough (the periodic
-- refresh, which reads every deployment from its providers; housekeeping). An instance
-- that wakes claims the round by moving next_due_at forward only if it is due (a
-- conditional update): of several instances sharing the state database, one does each
-- round, and if it dies another does the next one.
CREATE TABLE shared_rounds (
  name         TEXT PRIMARY KEY,              -- 'periodic-refresh' | 'housekeeping'
  next_due_at  TEXT NOT NULL,                 -- RFC 3339 (real clock); '' : due
  instance_id  TEXT NOT NULL DEFAULT '',      -- who claimed the last round
  claimed_at   TEXT NOT NULL DEFAULT ''
);
