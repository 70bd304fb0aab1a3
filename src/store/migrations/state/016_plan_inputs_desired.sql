-- The generation of a deployment's planning inputs (009) also moves when its
-- desired state changes: the deployment's row (name, domain, target, status,
-- catalog and nixpkgs versions, organisation) or its apps and their settings,
-- whichever code path or process writes them. With it alone, and the code's
-- catalog release, a survey of every deployment's plan (orchestrator/fingerprint.hh,
-- PlanCache::survey) knows which plans cannot have changed without reading the
-- deployments at all.
CREATE TRIGGER plan_inputs_deployment_inserted AFTER INSERT ON deployments BEGIN
  INSERT INTO plan_inputs (deployment_id, generation) VALUES (NEW.id, 1)
    ON CONFLICT (deployment_id) DO UPDATE SET generation = generation + 1;
END;
CREATE TRIGGER plan_inputs_deployment_updated
  AFTER UPDATE OF name, domain, target, status, catalog_version, nixpkgs_revision, organisation_id ON deployments BEGIN
  INSERT INTO plan_inputs (deployment_id, generation) VALUES (NEW.id, 1)
    ON CONFLICT (deployment_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER plan_inputs_app_inserted AFTER INSERT ON deployment_apps BEGIN
  INSERT INTO plan_inputs (deployment_id, generation) VALUES (NEW.deployment_id, 1)
    ON CONFLICT (deployment_id) DO UPDATE SET generation = generation + 1;
END;
CREATE TRIGGER plan_inputs_app_updated AFTER UPDATE ON deployment_apps BEGIN
  INSERT INTO plan_inputs (deployment_id, generation) VALUES (OLD.deployment_id, 1)
    ON CONFLICT (deployment_id) DO UPDATE SET generation = generation + 1;
  INSERT INTO plan_inputs (deployment_id, generation) VALUES (NEW.deployment_id, 1)
    ON CONFLICT (deployment_id) DO UPDATE SET generation = generation + 1;
END;
CREATE TRIGGER plan_inputs_app_deleted AFTER DELETE ON deployment_apps BEGIN
  INSERT INTO plan_inputs (deployment_id, generation) VALUES (OLD.deployment_id, 1)
    ON CONFLICT (deployment_id) DO UPDATE SET generation = generation + 1;
END;

-- Surveys page through live deployments by id.
CREATE INDEX plan_inputs_live_deployments ON deployments (id) WHERE status <> 'deleted';
