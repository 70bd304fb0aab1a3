-- How a migration moved each data part (docs/backup-and-migration.md, "Migration"): a JSON
-- object, part -> {"method": "replicated" | "copied", "reason": why it was not replicated,
-- "lagBytes": how far a replicated database was behind when writes stopped}.
ALTER TABLE migrations ADD COLUMN data_copies TEXT NOT NULL DEFAULT '{}';
