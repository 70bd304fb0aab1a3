-- PostgreSQL form of 009_plan_inputs.sql (SQLite's trigger bodies have no
-- translation): the same table and the same bumps, through one trigger function.
CREATE TABLE plan_inputs (
  deployment_id TEXT PRIMARY KEY,
  generation    BIGINT NOT NULL DEFAULT 0
);

CREATE FUNCTION plan_inputs_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO plan_inputs (deployment_id, generation) VALUES (OLD.deployment_id, 1)
      ON CONFLICT (deployment_id) DO UPDATE SET generation = plan_inputs.generation + 1;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO plan_inputs (deployment_id, generation) VALUES (NEW.deployment_id, 1)
      ON CONFLICT (deployment_id) DO UPDATE SET generation = plan_inputs.generation + 1;
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER plan_inputs_resources AFTER INSERT OR UPDATE OR DELETE ON resources
  FOR EACH ROW EXECUTE FUNCTION plan_inputs_bump();
CREATE TRIGGER plan_inputs_drift AFTER INSERT OR UPDATE OR DELETE ON resource_drift
  FOR EACH ROW EXECUTE FUNCTION plan_inputs_bump();
