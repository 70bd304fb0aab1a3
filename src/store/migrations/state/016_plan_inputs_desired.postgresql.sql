-- PostgreSQL form of 016_plan_inputs_desired.sql: the generation of a deployment's
-- planning inputs also moves when its desired state (its row or its apps) changes.
-- Apps use 009's trigger function (their deployment is deployment_id); the row, one of its own.
CREATE FUNCTION plan_inputs_bump_deployment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO plan_inputs (deployment_id, generation) VALUES (NEW.id, 1)
    ON CONFLICT (deployment_id) DO UPDATE SET generation = plan_inputs.generation + 1;
  RETURN NULL;
END;
$$;

CREATE TRIGGER plan_inputs_deployment_inserted AFTER INSERT ON deployments
  FOR EACH ROW EXECUTE FUNCTION plan_inputs_bump_deployment();
CREATE TRIGGER plan_inputs_deployment_updated
  AFTER UPDATE OF name, domain, target, status, catalog_version, nixpkgs_revision, organisation_id ON deployments
  FOR EACH ROW EXECUTE FUNCTION plan_inputs_bump_deployment();
CREATE TRIGGER plan_inputs_apps AFTER INSERT OR UPDATE OR DELETE ON deployment_apps
  FOR EACH ROW EXECUTE FUNCTION plan_inputs_bump();

-- Surveys page through live deployments by id.
CREATE INDEX plan_inputs_live_deployments ON deployments (id) WHERE status <> 'deleted';
