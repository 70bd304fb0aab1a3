#include "core/naming.hh"

namespace fedihost::naming {

std::string_view idSuffix(std::string_view id) {
  auto pos = id.find('_');
  return pos == std::string_view::npos ? id : id.substr(pos + 1);
}

std::string appHost(std::string_view domain, std::string_view subdomain) {
  if (subdomain.empty()) return std::string(domain);
  return std::string(subdomain) + "." + std::string(domain);
}

std::string databaseName(std::string_view deploymentId, std::string_view app) {
  std::string n(app);
  for (auto& c : n)
    if (c == '-') c = '_';
  return n + "_" + std::string(idSuffix(deploymentId));
}

std::string bucketName(std::string_view deploymentId, std::string_view app, std::string_view bucket) {
  return std::string(idSuffix(deploymentId)) + "-" + std::string(app) + "-" + std::string(bucket);
}

std::string mailAddress(std::string_view domain, std::string_view app) {
  return std::string(app) + "@" + std::string(domain);
}

std::string secretName(std::string_view app, std::string_view purpose) {
  return std::string(app) + "-" + std::string(purpose);
}

std::string secretPath(std::string_view secret) { return "/run/fedihost/secrets/" + std::string(secret); }

}  // namespace fedihost::naming
