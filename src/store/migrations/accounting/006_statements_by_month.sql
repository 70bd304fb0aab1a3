-- The operators' totals of a month (GET /api/v1/statements/totals, docs/billing.md) read
-- every stored statement of one month in a query: by month, not by organisation.
CREATE INDEX statements_by_month ON statements (month);
