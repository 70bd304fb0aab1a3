#include "net/dns_lookup.hh"

#include <sys/time.h>

#include "net/ldns_util.hh"

namespace fedihost::net {
namespace {

/// The resolver to ask, configured from `r`.
Result<LdnsResolver> makeResolver(const Resolver& r) {
  LdnsResolver res;
  if (r.address.empty()) {
    ldns_resolver* raw = nullptr;
    auto status = ldns_resolver_new_frm_file(&raw, nullptr);
    res.reset(raw);
    if (status != LDNS_STATUS_OK)
      return Error{ErrorKind::Unavailable,
                   std::string("cannot read the system's DNS servers from /etc/resolv.conf: ") +
                       ldns_get_errorstr_by_id(status),
                   {}};
  } else {
    const bool v6 = r.address.find(':') != std::string::npos;
    LdnsRdf server(ldns_rdf_new_frm_str(v6 ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, r.address.c_str()));
    if (!server) return Error::invalid("address", "\"" + r.address + "\" is not an IP address");
    res.reset(ldns_resolver_new());
    if (!res || ldns_resolver_push_nameserver(res.get(), server.get()) != LDNS_STATUS_OK)
      return Error{ErrorKind::Internal, "ldns could not make a resolver", {}};
    ldns_resolver_set_port(res.get(), r.port);
  }
  timeval timeout{r.timeoutMs / 1000, (r.timeoutMs % 1000) * 1000};
  ldns_resolver_set_timeout(res.get(), timeout);
  ldns_resolver_set_retry(res.get(), 1);  // one try per server: the timeout bounds the call
  ldns_resolver_set_fallback(res.get(), true);  // truncated: again with EDNS0, then over TCP
  ldns_resolver_set_recursive(res.get(), true);
  return res;
}

std::string serverName(const Resolver& r) {
  return r.address.empty() ? "the system's DNS servers" : "DNS server " + r.address + " port " + std::to_string(r.port);
}

}  // namespace

Result<std::vector<std::string>> lookupTxt(const std::string& name, const Resolver& resolver) {
  const std::string absolute = name.ends_with('.') ? name : name + ".";
  LdnsRdf qname(ldns_dname_new_frm_str(absolute.c_str()));
  if (name.empty() || !qname) return Error::invalid("name", "\"" + name + "\" is not a domain name");
  auto res = makeResolver(resolver);
  if (!res) return res.error();

  ldns_pkt* raw = nullptr;
  auto status = ldns_resolver_send(&raw, res->get(), qname.get(), LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, LDNS_RD);
  LdnsPkt answer(raw);
  if (status != LDNS_STATUS_OK || !answer)
    return Error{ErrorKind::Unavailable,
                 serverName(resolver) + " did not answer TXT " + name + " within " + std::to_string(resolver.timeoutMs) +
                     " ms: " + ldns_get_errorstr_by_id(status),
                 {}};
  const int rcode = ldns_pkt_get_rcode(answer.get());
  if (rcode == LDNS_RCODE_NXDOMAIN) return std::vector<std::string>{};
  if (rcode != LDNS_RCODE_NOERROR)
    return Error{rcode == LDNS_RCODE_SERVFAIL || rcode == LDNS_RCODE_REFUSED ? ErrorKind::Unavailable
                                                                               : ErrorKind::Provider,
                 serverName(resolver) + " answered " + rcodeName(rcode) + " for TXT " + name, {}};
  std::vector<std::string> texts;
  const ldns_rr_list* rrs = ldns_pkt_answer(answer.get());
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(rrs); ++i)
    if (const ldns_rr* rr = ldns_rr_list_rr(rrs, i); ldns_rr_get_type(rr) == LDNS_RR_TYPE_TXT)
      texts.push_back(txtText(rr));
  return texts;
}

}  // namespace fedihost::net
