-- One active run per deployment, kept by the database: a second queued or
-- running run (or a refresh's claim, a run of kind 'refresh') of the same
-- deployment is refused by this index, whichever process or thread inserts it.
--
-- A database from before may hold several active runs of one deployment (the
-- race this closes); all but the oldest are ended as failed, so that the index
-- can be built. Refresh claims never outlive their process.
DELETE FROM runs WHERE kind = 'refresh';
UPDATE runs
   SET status = 'failed',
       error = 'ended by migration 006: another run of this deployment was already active',
       finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
 WHERE status IN ('queued', 'running')
   AND EXISTS (SELECT 1 FROM runs older
                WHERE older.deployment_id = runs.deployment_id
                  AND older.status IN ('queued', 'running')
                  AND (older.created_at < runs.created_at
                       OR (older.created_at = runs.created_at AND older.id < runs.id)));
CREATE UNIQUE INDEX runs_one_active_per_deployment ON runs (deployment_id) WHERE status IN ('queued', 'running');
