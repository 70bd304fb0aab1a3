#pragma once
// TLS certificates (resource kind "certificate"). A certificate resource has
// the attributes {"zone": "example.org", "names": ["example.org", "social.example.org", …]}:
// one certificate per deployment for every host name it publishes (one SAN
// certificate, so a deployment costs one certificate of the CA's weekly limit).
// Its outputs: "chain" (PEM, leaf first), "key" (the private key, PKCS#8 PEM
// sealed with the data directory's secret box), "notBefore", "notAfter"
// (RFC 3339), "serial" (hex), "sans" (the names the certificate covers).
// A refresh reports "renewal due" when less than a third of the lifetime is
// left; the next apply updates the resource, which renews it.
//
// The "acme" implementation: an ACME v2 client (RFC 8555) with DNS-01
// challenges published through the target's DNS provider. Settings:
//   directoryUrl (required), caFile (PEM of the CA that signs the directory's
//   TLS certificate; default the system's), keyType ("es256" default, or
//   "rs256", for the account and certificate keys), contact (mail address, optional),
//   wildcard (false: order "<zone>" and "*.<zone>" instead of the names, when
//   every name is the zone or one label under it), challengeTtl (60),
//   pollIntervalMs (1000), pollTimeoutMs (120000), timeoutMs (15000 per call).
// Accounts and orders are kept in the state database (migration 011); an
// order is recorded as soon as the CA made it, so a create that is resumed
// after a crash continues that order (no second order). remove() revokes the
// certificate (reason cessationOfOperation) and forgets it.
#include <memory>
#include <string>
#include <vector>

#include "core/result.hh"
#include "providers/provider.hh"

namespace fedihost::providers::acme {

/// A certificate resource's attributes, checked: the zone, and the names sorted, lower case, unique.
struct CertificateSpec {
  std::string zone;
  std::vector<std::string> names;
};
/// Reads {"zone", "names"}; Invalid naming "attributes.<name>" when wrong.
Result<CertificateSpec> parseCertificate(const json::object& attributes);
/// The attributes read() gives back for a spec.
json::object certificateAttributes(const CertificateSpec& spec);

/// The "acme" certificate provider; throws AbortError(Invalid "settings.<name>") for bad settings.
std::unique_ptr<CertificateProvider> makeCertificateProvider(const ProviderConfig& config);

}  // namespace fedihost::providers::acme
