// The domains an organisation claims, proved by a TXT record, and which domains
// a deployment of the organisation may use.
#include "api/handlers/domains.hh"

#include "api/handlers/handlers.hh"
#include "api/input.hh"
#include "api/json_mapping.hh"
#include "core/ids.hh"
#include "net/dns_lookup.hh"
#include "store/account_store.hh"

namespace fedihost::api::handlers {
namespace {

bool inside(const std::string& name, const std::string& parent) {
  return name.size() > parent.size() && name.ends_with(parent) && name[name.size() - parent.size() - 1] == '.';
}

net::Resolver resolverOf(const ApiOptions& o) {
  net::Resolver r;
  if (o.resolver.empty()) return r;
  auto colon = o.resolver.rfind(':');
  r.address = o.resolver.substr(0, colon);
  if (colon != std::string::npos) r.port = static_cast<unsigned short>(std::stoi(o.resolver.substr(colon + 1)));
  return r;
}

store::OrganisationDomain claimed(RequestContext& ctx) {
  auto d = ctx.app.accounts.domain(ctx.organisation, ctx.param("domain"));
  if (!d) throw AbortError(Error::notFound("this organisation has not claimed " + ctx.param("domain")));
  return *d;
}

}  // namespace

void checkDomainAllowed(RequestContext& ctx, const std::string& organisation, const std::string& domain) {
  if (ctx.user && ctx.user->isOperator) return;
  for (auto& parent : ctx.app.options.customerDomains)
    if (inside(domain, parent)) return;
  for (auto& d : ctx.app.accounts.domains(organisation))
    if (!d.verifiedAt.empty() && (domain == d.domain || inside(domain, d.domain))) return;
  std::string offered;
  for (auto& parent : ctx.app.options.customerDomains) offered += (offered.empty() ? "" : ", ") + parent;
  throw AbortError(Error::invalid(
      "domain", "you may use " + (offered.empty() ? std::string() : "a sub-domain of " + offered + ", or ") +
                    "a domain of your own once you have verified it (Organisation → Domains); " + domain +
                    " is neither"));
}

Response postDomain(RequestContext& ctx) {
  auto body = input::jsonObject(ctx.request, {"domain"}).orThrow();
  auto domain = input::requiredString(body, "domain").orThrow();
  input::checkDomain(domain, "domain").orThrow();
  for (auto& parent : ctx.app.options.customerDomains)
    if (domain == parent || inside(domain, parent))
      throw AbortError(Error::invalid("domain", domain + " is the provider's: use a sub-domain of " + parent +
                                                    " directly, no verification needed"));
  auto d = ctx.app.accounts.claimDomain(ctx.organisation, domain, "fedihost-" + ids::randomToken(24));
  auto r = json(201, mapping::toJson(d));
  r.headers["location"] = "/api/v1/organisations/" + ctx.organisation + "/domains/" + domain;
  return r;
}

Response listDomains(RequestContext& ctx) {
  boost::json::array items;
  for (auto& d : ctx.app.accounts.domains(ctx.organisation)) items.push_back(mapping::toJson(d));
  return json(200, {{"items", std::move(items)}});
}

Response postDomainVerify(RequestContext& ctx) {
  input::optionalJsonObject(ctx.request, {}).orThrow();
  auto d = claimed(ctx);
  auto name = "_fedihost-challenge." + d.domain;
  auto records = net::lookupTxt(name, resolverOf(ctx.app.options));
  if (!records) throw AbortError(records.error());
  bool found = false;
  for (auto& text : *records) found = found || text == d.challenge;
  if (!found)
    throw AbortError(Error::invalid(
        "domain", "no TXT record " + name + " with the value " + d.challenge +
                      " was found (" + std::to_string(records->size()) +
                      " other value(s)); publish it at your DNS provider, wait for it to spread, then try again"));
  ctx.app.accounts.markDomainVerified(ctx.organisation, d.domain);
  return json(200, mapping::toJson(claimed(ctx)));
}

Response deleteDomain(RequestContext& ctx) {
  if (!ctx.app.accounts.removeDomain(ctx.organisation, ctx.param("domain")))
    throw AbortError(Error::notFound("this organisation has not claimed " + ctx.param("domain")));
  Response r;
  r.status = 204;
  return r;
}

}  // namespace fedihost::api::handlers
