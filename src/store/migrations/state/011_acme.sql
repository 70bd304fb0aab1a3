-- ACME (the "acme" certificate provider, RFC 8555): the account of each ACME
-- directory, and per certificate resource (identity key) the certificate held
-- and the order in progress. The order is recorded as soon as the CA created it,
-- so a create that is resumed after a crash continues that order instead of
-- placing a second one (CAs limit orders and certificates per week).
-- Private keys are PKCS#8 PEM sealed with the data directory's secret box ("sb1:…").
CREATE TABLE acme_accounts (
  directory_url TEXT PRIMARY KEY,
  key_sealed    TEXT NOT NULL,
  account_url   TEXT NOT NULL DEFAULT '',   -- the JWS "kid"; '' until the CA made the account
  created_at    TEXT NOT NULL
);

CREATE TABLE acme_certificates (
  identity_key   TEXT PRIMARY KEY,
  target         TEXT NOT NULL,
  deployment_id  TEXT NOT NULL,
  directory_url  TEXT NOT NULL,
  -- the certificate held ('' while none was issued yet)
  names          TEXT NOT NULL DEFAULT '',  -- JSON array of the host names asked for
  key_sealed     TEXT NOT NULL DEFAULT '',
  chain          TEXT NOT NULL DEFAULT '',  -- PEM, leaf first
  order_url      TEXT NOT NULL DEFAULT '',  -- the order it came from
  -- the order in progress ('' when none)
  pending_order  TEXT NOT NULL DEFAULT '',
  pending_names  TEXT NOT NULL DEFAULT '',
  pending_key    TEXT NOT NULL DEFAULT '',
  updated_at     TEXT NOT NULL
);
CREATE INDEX acme_certificates_by_deployment ON acme_certificates (target, deployment_id);
