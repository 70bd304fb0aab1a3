#pragma once
// DNS lookups the control plane makes itself (a customer's domain-ownership TXT
// record, for instance), with ldns: over UDP, asked again with EDNS0 and then
// over TCP when an answer comes truncated; a timeout on every call, failures as values.
#include <string>
#include <vector>

#include "core/result.hh"

namespace fedihost::net {

/// Which server to ask.
struct Resolver {
  std::string address;        ///< an IPv4 or IPv6 address; "": the servers of /etc/resolv.conf
  unsigned short port = 53;   ///< used with `address`
  int timeoutMs = 3000;       ///< per server asked (one try each)
};

/// The TXT records of `name`, each one's character-strings joined into one
/// string, in the order of the answer (after a CNAME, those of its target).
/// A name that does not exist or has no TXT records gives an empty vector.
/// Unavailable when no server answers in time or one answers SERVFAIL or
/// REFUSED (the rcode is named); Invalid (field "name" or "address") for what cannot be asked.
Result<std::vector<std::string>> lookupTxt(const std::string& name, const Resolver& resolver);

}  // namespace fedihost::net
