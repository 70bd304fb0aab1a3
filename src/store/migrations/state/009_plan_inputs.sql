-- The generation of a deployment's recorded resources and drift: bumped by the
-- database itself (the triggers below) on every insert, update or delete of
-- either, whichever code path or process writes them. Together with the
-- deployment's desired state and the code's catalog release it is the
-- fingerprint of the deployment's planning inputs (orchestrator/fingerprint.hh):
-- a plan whose fingerprint is unchanged need not be computed again.
CREATE TABLE plan_inputs (
  deployment_id TEXT PRIMARY KEY,
  generation    INTEGER NOT NULL DEFAULT 0
);

CREATE TRIGGER plan_inputs_resource_inserted AFTER INSERT ON resources BEGIN
  INSERT INTO plan_inputs (deployment_id, generation) VALUES (NEW.deployment_id, 1)
    ON CONFLICT (deployment_id) DO UPDATE SET generation = generation + 1;
END;
CREATE TRIGGER plan_inputs_resource_updated AFTER UPDATE ON resources BEGIN
  INSERT INTO plan_inputs (deployment_id, generation) VALUES (OLD.deployment_id, 1)
    ON CONFLICT (deployment_id) DO UPDATE SET generation = generation + 1;
  INSERT INTO plan_inputs (deployment_id, generation) VALUES (NEW.deployment_id, 1)
    ON CONFLICT (deployment_id) DO UPDATE SET generation = generation + 1;
END;
CREATE TRIGGER plan_inputs_resource_deleted AFTER DELETE ON resources BEGIN
  INSERT INTO plan_inputs (deployment_id, generation) VALUES (OLD.deployment_id, 1)
    ON CONFLICT (deployment_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER plan_inputs_drift_inserted AFTER INSERT ON resource_drift BEGIN
  INSERT INTO plan_inputs (deployment_id, generation) VALUES (NEW.deployment_id, 1)
    ON CONFLICT (deployment_id) DO UPDATE SET generation = generation + 1;
END;
CREATE TRIGGER plan_inputs_drift_updated AFTER UPDATE ON resource_drift BEGIN
  INSERT INTO plan_inputs (deployment_id, generation) VALUES (OLD.deployment_id, 1)
    ON CONFLICT (deployment_id) DO UPDATE SET generation = generation + 1;
  INSERT INTO plan_inputs (deployment_id, generation) VALUES (NEW.deployment_id, 1)
    ON CONFLICT (deployment_id) DO UPDATE SET generation = generation + 1;
END;
CREATE TRIGGER plan_inputs_drift_deleted AFTER DELETE ON resource_drift BEGIN
  INSERT INTO plan_inputs (deployment_id, generation) VALUES (OLD.deployment_id, 1)
    ON CONFLICT (deployment_id) DO UPDATE SET generation = generation + 1;
END;
