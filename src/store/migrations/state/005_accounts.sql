-- Tenancy: accounts, sessions and API tokens, second factors, invitations,
-- password resets, organisation domains, and the host names each live
-- deployment publishes (so no organisation can take another's names).

-- users.role is 'operator' (the provider's staff) or 'customer' (roles come from grants).
ALTER TABLE users ADD COLUMN disabled_at TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';         -- sealed; '' when none
ALTER TABLE users ADD COLUMN totp_pending TEXT NOT NULL DEFAULT '';        -- sealed; set up but not confirmed
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;    -- refuses a replayed code
ALTER TABLE users ADD COLUMN password_changed_at TEXT NOT NULL DEFAULT '';

CREATE INDEX grants_by_organisation ON grants (organisation_id);

ALTER TABLE organisations ADD COLUMN require_totp INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organisations ADD COLUMN deleted_at TEXT NOT NULL DEFAULT '';

-- Login sessions (panel and CLI) and API tokens, stored by the hash of their secret only.
DROP TABLE api_tokens;
CREATE TABLE sessions (
  id              TEXT PRIMARY KEY,                 -- ses_… or tok_…
  token_hash      TEXT NOT NULL UNIQUE,
  user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind            TEXT NOT NULL CHECK (kind IN ('session', 'token')),
  name            TEXT NOT NULL,
  scopes          TEXT NOT NULL,                    -- space-separated: read write deploy admin
  organisation_id TEXT NOT NULL DEFAULT '',         -- a token bound to one organisation
  created_at      TEXT NOT NULL,
  last_used_at    TEXT NOT NULL,
  expires_at      TEXT NOT NULL DEFAULT '',         -- absolute expiry ('' = never, tokens only)
  idle_seconds    INTEGER NOT NULL DEFAULT 0,       -- idle expiry (0 = none)
  revoked_at      TEXT NOT NULL DEFAULT '',
  remote          TEXT NOT NULL DEFAULT '',
  user_agent      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_by_user ON sessions (user_id, kind);

-- One-time recovery codes of a user's second factor, by hash.
CREATE TABLE recovery_codes (
  user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  used_at   TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE invitations (
  id              TEXT PRIMARY KEY,
  organisation_id TEXT NOT NULL REFERENCES organisations(id),
  email           TEXT NOT NULL,
  role            TEXT NOT NULL,
  token_hash      TEXT NOT NULL UNIQUE,
  invited_by      TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  expires_at      TEXT NOT NULL,
  accepted_at     TEXT NOT NULL DEFAULT '',
  accepted_by     TEXT NOT NULL DEFAULT '',
  revoked_at      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX invitations_by_organisation ON invitations (organisation_id, created_at);

CREATE TABLE password_resets (
  token_hash TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at    TEXT NOT NULL DEFAULT ''
);

-- Domains an organisation claims, proved by a TXT record _fedihost-challenge.<domain>.
CREATE TABLE organisation_domains (
  organisation_id TEXT NOT NULL REFERENCES organisations(id),
  domain          TEXT NOT NULL,
  challenge       TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  verified_at     TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (organisation_id, domain)
);

-- Every host name a deployment publishes, and the same with its labels
-- reversed ("test.example.social"), so that names inside a given one are a range.
CREATE TABLE deployment_hosts (
  host            TEXT NOT NULL,
  reversed        TEXT NOT NULL,
  deployment_id   TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
  organisation_id TEXT NOT NULL,
  PRIMARY KEY (deployment_id, host)
);
CREATE INDEX deployment_hosts_by_host ON deployment_hosts (host);
CREATE INDEX deployment_hosts_by_reversed ON deployment_hosts (reversed);
-- Addresses are kept in lower case (the UNIQUE constraint then ignores case).
UPDATE users SET email = lower(email);
