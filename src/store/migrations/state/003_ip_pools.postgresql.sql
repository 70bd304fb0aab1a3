-- PostgreSQL version of 003_ip_pools.sql (the translation of it, plus a rowid column:
-- the store lists a pool's reserved ranges in the order they were given, ORDER BY rowid).
-- IP address pools: per target, the prefixes the "pool" ip-address provider
-- allocates from, and every address it handed out, keyed by the resource's
-- identity key (so allocating twice for one resource gives the same address).
CREATE TABLE ip_pools (
  id         TEXT PRIMARY KEY,
  target     TEXT NOT NULL,
  name       TEXT NOT NULL,
  family     BIGINT NOT NULL CHECK (family IN (4, 6)),
  prefix     TEXT NOT NULL,              -- canonical CIDR, host bits zero: "192.0.2.0/24"
  gateway    TEXT NOT NULL DEFAULT '',   -- '' when the pool has none
  created_at TEXT NOT NULL,
  seq        BIGINT NOT NULL UNIQUE,      -- creation order (timestamps can tie): pools are tried in this order
  UNIQUE (target, name)
);

-- Ranges of a pool that are never allocated (inclusive bounds).
CREATE TABLE ip_pool_reserved (
  rowid         BIGINT GENERATED ALWAYS AS IDENTITY,   -- SQLite's implicit rowid: insertion order
  pool_id       TEXT NOT NULL REFERENCES ip_pools(id) ON DELETE CASCADE,
  first_address TEXT NOT NULL,
  last_address  TEXT NOT NULL
);
CREATE INDEX ip_pool_reserved_by_pool ON ip_pool_reserved (pool_id);

CREATE TABLE ip_allocations (
  pool_id       TEXT NOT NULL REFERENCES ip_pools(id),
  address       TEXT NOT NULL,             -- canonical text (inet_ntop)
  ordinal       BIGINT NOT NULL,           -- offset from the pool's network address: orders and finds gaps
  identity_key  TEXT NOT NULL UNIQUE,
  deployment_id TEXT NOT NULL,
  allocated_at  TEXT NOT NULL,
  UNIQUE (pool_id, address),
  UNIQUE (pool_id, ordinal)
);
CREATE INDEX ip_allocations_by_deployment ON ip_allocations (deployment_id);
