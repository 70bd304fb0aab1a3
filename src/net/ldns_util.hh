#pragma once
// What code that speaks DNS through ldns shares: owning handles around ldns's
// C objects, and the text of names, rcodes and TXT records.
#include <ldns/ldns.h>

#include <cstdlib>
#include <memory>
#include <string>

namespace fedihost::net {

struct LdnsPktFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
struct LdnsRrFree {
  void operator()(ldns_rr* r) const { ldns_rr_free(r); }
};
struct LdnsRrListFree {
  void operator()(ldns_rr_list* l) const { ldns_rr_list_deep_free(l); }
};
struct LdnsRdfFree {
  void operator()(ldns_rdf* r) const { ldns_rdf_deep_free(r); }
};
struct LdnsResolverFree {
  void operator()(ldns_resolver* r) const { ldns_resolver_deep_free(r); }
};
/// For what ldns allocates with malloc (ldns_rdf2str, ldns_pkt2wire).
struct CFree {
  void operator()(void* p) const { std::free(p); }
};
using LdnsPkt = std::unique_ptr<ldns_pkt, LdnsPktFree>;
using LdnsRr = std::unique_ptr<ldns_rr, LdnsRrFree>;
using LdnsRrList = std::unique_ptr<ldns_rr_list, LdnsRrListFree>;
using LdnsRdf = std::unique_ptr<ldns_rdf, LdnsRdfFree>;
using LdnsResolver = std::unique_ptr<ldns_resolver, LdnsResolverFree>;

/// The presentation form of an rdata field or name ("www.example.org.").
std::string rdfText(const ldns_rdf* rdf);

/// The mnemonic of an rcode ("NXDOMAIN", "SERVFAIL", ...).
const char* rcodeName(int rcode);

/// The text of a TXT record: its character-strings joined, unquoted.
std::string txtText(const ldns_rr* rr);

}  // namespace fedihost::net
