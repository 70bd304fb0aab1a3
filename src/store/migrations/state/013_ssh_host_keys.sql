-- The host keys pinned by the "ssh" NixOS provider: per nixos-config resource
-- (identity key), the SHA-256 fingerprint of the machine's SSH host key seen at
-- the first connection ("SHA256:<base64>", as OpenSSH prints it), recorded
-- before anything is sent; later connections refuse any other key. Public data.
CREATE TABLE ssh_host_keys (
  identity_key   TEXT PRIMARY KEY,
  target         TEXT NOT NULL,
  deployment_id  TEXT NOT NULL,
  address        TEXT NOT NULL,
  fingerprint    TEXT NOT NULL,
  pinned_at      TEXT NOT NULL
);
CREATE INDEX ssh_host_keys_by_deployment ON ssh_host_keys (target, deployment_id);
