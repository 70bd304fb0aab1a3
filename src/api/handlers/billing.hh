#pragma once
// Usage, price plans, statements and adjustments (accounting/billing.hh does the
// arithmetic; store/billing_store.hh stores). Registered in routes.cc. Who may
// use what (docs/billing.md): usage — any role in the organisation; statements
// and the organisation's plan — its org-admins; price plans, assigning them and
// adjustments — operators.
#include "api/router.hh"

namespace fedihost::api::handlers {

/// GET /api/v1/organisations/{id}/usage?from=&to=&step=hour|day|month
Response getUsage(RequestContext& ctx);
/// GET /api/v1/organisations/{id}/statements/{month}: JSON; text/html when asked for by Accept; ?format=csv.
Response getStatement(RequestContext& ctx);
/// GET /api/v1/organisations/{id}/forecast: the open month's statement at its end if what runs now
/// keeps running (accounting::Forecast); 409 (field "plan") without a price plan.
Response getForecast(RequestContext& ctx);
/// GET /api/v1/statements?month=YYYY-MM&limit=&cursor= (operators): one page of the live
/// organisations, each with its statement total of the month (and forecast for the open month).
Response listStatements(RequestContext& ctx);
/// GET /api/v1/statements/totals?month=YYYY-MM (operators): the month's sums per currency over
/// every live organisation.
Response getStatementTotals(RequestContext& ctx);
/// POST /api/v1/organisations/{id}/adjustments {"description", "amount", "month"?}: a line on an open month.
Response postAdjustment(RequestContext& ctx);
/// GET /api/v1/organisations/{id}/adjustments?month=: the adjustment lines of a month.
Response listAdjustments(RequestContext& ctx);
/// GET /api/v1/organisations/{id}/price-plan: {"plan": plan or null}
Response getOrganisationPricePlan(RequestContext& ctx);
/// PUT /api/v1/organisations/{id}/price-plan {"plan": id}
Response putOrganisationPricePlan(RequestContext& ctx);
/// POST /api/v1/price-plans, GET /api/v1/price-plans, GET and PATCH /api/v1/price-plans/{id}
Response postPricePlan(RequestContext& ctx);
Response listPricePlans(RequestContext& ctx);
Response getPricePlan(RequestContext& ctx);
Response patchPricePlan(RequestContext& ctx);

}  // namespace fedihost::api::handlers
