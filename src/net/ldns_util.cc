#include "net/ldns_util.hh"

#include <algorithm>
#include <cstdint>

namespace fedihost::net {

std::string rdfText(const ldns_rdf* rdf) {
  std::unique_ptr<char, CFree> s(ldns_rdf2str(rdf));
  return s ? std::string(s.get()) : std::string();
}

const char* rcodeName(int rcode) {
  switch (rcode) {
    case LDNS_RCODE_NOERROR: return "NOERROR";
    case LDNS_RCODE_FORMERR: return "FORMERR";
    case LDNS_RCODE_SERVFAIL: return "SERVFAIL";
    case LDNS_RCODE_NXDOMAIN: return "NXDOMAIN";
    case LDNS_RCODE_NOTIMPL: return "NOTIMP";
    case LDNS_RCODE_REFUSED: return "REFUSED";
    case LDNS_RCODE_YXDOMAIN: return "YXDOMAIN";
    case LDNS_RCODE_YXRRSET: return "YXRRSET";
    case LDNS_RCODE_NXRRSET: return "NXRRSET";
    case LDNS_RCODE_NOTAUTH: return "NOTAUTH";
    case LDNS_RCODE_NOTZONE: return "NOTZONE";
    default: return "an unknown rcode";
  }
}

std::string txtText(const ldns_rr* rr) {
  std::string out;
  for (std::size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    const ldns_rdf* rdf = ldns_rr_rdf(rr, i);
    const std::uint8_t* d = ldns_rdf_data(rdf);
    std::size_t size = ldns_rdf_size(rdf);
    if (size == 0) continue;
    std::size_t len = std::min<std::size_t>(d[0], size - 1);
    out.append(reinterpret_cast<const char*>(d + 1), len);
  }
  return out;
}

}  // namespace fedihost::net
