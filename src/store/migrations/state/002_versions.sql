-- Versions: each deployment records the catalog release and nixpkgs revision it
-- was configured (or last upgraded) with, and each app its version and the
-- schema version of its stored settings.
ALTER TABLE deployments ADD COLUMN catalog_version TEXT NOT NULL DEFAULT '';
ALTER TABLE deployments ADD COLUMN nixpkgs_revision TEXT NOT NULL DEFAULT '';
ALTER TABLE deployment_apps ADD COLUMN version TEXT NOT NULL DEFAULT '';
ALTER TABLE deployment_apps ADD COLUMN schema_version INTEGER NOT NULL DEFAULT 0;
