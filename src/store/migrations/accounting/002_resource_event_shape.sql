-- Resource lifecycle events carry an id (so shipping one twice records it once) and
-- the metered quantities of the resource at that moment (JSON object, e.g.
-- {"vcpu":2,"ram_gib":4,"disk_gib":40}), from which usage is computed.
ALTER TABLE resource_events ADD COLUMN event_id TEXT;
ALTER TABLE resource_events ADD COLUMN quantities TEXT NOT NULL DEFAULT '{}';
CREATE UNIQUE INDEX resource_events_by_event_id ON resource_events (event_id) WHERE event_id IS NOT NULL;
CREATE INDEX resource_events_by_deployment ON resource_events (deployment_id, at);
