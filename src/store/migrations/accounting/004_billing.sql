-- Billing: price plans (defined by operators), the plan of each organisation,
-- adjustment lines added to open months, and the statements of closed months
-- (stored once when the month has ended, then served from here unchanged).
-- Money is in integer minor units of the plan's currency (cents); rates in basis points.
CREATE TABLE price_plans (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  currency    TEXT NOT NULL,            -- ISO 4217
  base_fee    INTEGER NOT NULL,         -- minor units per month
  vat_bp      INTEGER NOT NULL,         -- basis points: 1900 = 19 %
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);

-- The price of one metered unit per month, and the quantity included in the base fee (unit-months).
CREATE TABLE price_plan_units (
  plan_id     TEXT NOT NULL REFERENCES price_plans (id),
  unit        TEXT NOT NULL,
  price       INTEGER NOT NULL,         -- minor units per unit-month
  included    INTEGER NOT NULL,         -- unit-months
  PRIMARY KEY (plan_id, unit)
);

CREATE TABLE organisation_price_plans (
  organisation_id TEXT PRIMARY KEY,
  plan_id         TEXT NOT NULL REFERENCES price_plans (id),
  assigned_at     TEXT NOT NULL
);

CREATE TABLE billing_adjustments (
  id              TEXT PRIMARY KEY,
  organisation_id TEXT NOT NULL,
  month           TEXT NOT NULL,        -- YYYY-MM, an open month when added
  description     TEXT NOT NULL,
  amount          INTEGER NOT NULL,     -- minor units; negative for a credit
  created_at      TEXT NOT NULL,
  created_by      TEXT NOT NULL
);
CREATE INDEX billing_adjustments_by_org ON billing_adjustments (organisation_id, month);

CREATE TABLE statements (
  organisation_id TEXT NOT NULL,
  month           TEXT NOT NULL,        -- YYYY-MM
  body            TEXT NOT NULL,        -- the statement as served (JSON)
  closed_at       TEXT NOT NULL,
  PRIMARY KEY (organisation_id, month)
);
