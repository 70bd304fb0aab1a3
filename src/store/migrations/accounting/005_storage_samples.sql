-- Bucket storage measured at the provider (docs/billing.md, "Bucket storage"): the
-- storage sampler asks each live bucket's provider how many bytes it holds, at
-- intervals, and writes one row per bucket and round. A failed call is a row too,
-- with bytes NULL and the error: never a size of 0.
CREATE TABLE storage_samples (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  at              TEXT NOT NULL,        -- RFC 3339 UTC, when the provider was asked
  organisation_id TEXT NOT NULL,
  deployment_id   TEXT NOT NULL,
  resource_key    TEXT NOT NULL,        -- the bucket's identity key
  provider        TEXT NOT NULL,        -- the implementation that answered: s3, garage, file
  bytes           INTEGER,              -- NULL: the sample failed
  objects         INTEGER,              -- NULL: failed, or not counted by the provider
  error           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX storage_samples_by_org ON storage_samples (organisation_id, at);
CREATE INDEX storage_samples_by_resource ON storage_samples (resource_key, at);
