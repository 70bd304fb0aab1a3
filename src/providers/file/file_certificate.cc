// The file certificate provider: certificates/<name>.json holding a key (sealed)
// and a certificate for the resource's names, self-signed or signed by a local
// test CA (settings caCert and caKey, PEM files). Renewal as for every
// certificate provider: due when a third of the lifetime is left.
#include <fstream>
#include <sstream>

#include "core/clock.hh"
#include "providers/acme/acme.hh"
#include "providers/acme/crypto.hh"
#include "providers/file/file_providers.hh"
#include "providers/file/file_store.hh"

namespace fedihost::providers::file {
namespace {

std::string readPemFile(const std::string& path, const std::string& field) {
  std::ifstream in(path);
  if (!in) throw AbortError(Error::invalid(field, "cannot read " + path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class FileCertificateProvider final : public ManifestProvider<CertificateProvider> {
 public:
  explicit FileCertificateProvider(const ProviderConfig& config) : ManifestProvider(config) {
    Settings s(config.settings);
    auto caCert = s.string("caCert", "");
    auto caKey = s.string("caKey", "");
    if (caCert.empty() != caKey.empty())
      throw AbortError(Error::invalid("settings.caCert", "caCert and caKey go together"));
    if (!caCert.empty()) {
      caCertPem_ = readPemFile(caCert, "settings.caCert");
      auto k = acme::Key::fromPem(readPemFile(caKey, "settings.caKey"));
      if (!k) throw AbortError(Error::invalid("settings.caKey", k.error().message));
      caKey_ = std::make_unique<acme::Key>(std::move(*k));
    }
    auto days = s.integer("lifetimeDays", 90);
    if (days < 1 || days > 825) throw AbortError(Error::invalid("settings.lifetimeDays", "must be from 1 to 825"));
    lifetime_ = std::chrono::hours(24 * days);
  }

  Result<Observed> read(const ResolvedResource& r) override {
    auto o = ManifestProvider::read(r);
    if (!o) return o;
    if (auto* chain = o->outputs.if_contains("chain"); chain && chain->is_string()) {
      auto info = acme::inspectChain(std::string(chain->get_string()));
      if (!info) return Error{ErrorKind::Provider, r.resource.key + ": the stored chain is unreadable", {}};
      if (acme::renewalDue(*info, clock::now())) o->due = "renewal due (expires " + clock::rfc3339(info->notAfter) + ")";
    }
    return o;
  }

 protected:
  Result<fs::path> manifestPath(const Resource& r) const override {
    if (auto ok = FileStore::checkComponent("name", r.name); !ok) return ok.error();
    return fs::path("certificates") / (r.name + ".json");
  }
  Result<std::vector<fs::path>> manifests(const fs::path& deploymentDir) const override {
    return store_.filesIn(deploymentDir / "certificates", ".json");
  }
  Result<void> validate(const Resource& r) const override {
    auto spec = acme::parseCertificate(r.attributes);
    if (!spec) return spec.error();
    return {};
  }
  /// A new key and certificate, unless the previous one covers the names and is not due.
  Result<json::object> outputs(const ResolvedResource& r, const json::object* previous) override {
    auto spec = acme::parseCertificate(r.resource.attributes);
    if (!spec) return spec.error();
    if (previous) {
      if (auto* chain = previous->if_contains("chain"); chain && chain->is_string()) {
        auto info = acme::inspectChain(std::string(chain->get_string()));
        if (info && info->names == spec->names && !acme::renewalDue(*info, clock::now())) return *previous;
      }
    }
    if (!r.box) return Error{ErrorKind::Internal, "the file certificate provider needs the secret box to seal keys", {}};
    auto key = acme::Key::generate(acme::KeyType::Es256);
    auto chain = acme::issueLocally(key, spec->names, clock::now(), lifetime_, caCertPem_, caKey_.get());
    if (!chain) return chain.error();
    auto info = acme::inspectChain(*chain);
    if (!info) return info.error();
    json::array sans;
    for (auto& n : info->names) sans.emplace_back(n);
    return json::object{{"chain", *chain},
                        {"key", r.box->seal(key.pem())},
                        {"notBefore", clock::rfc3339(info->notBefore)},
                        {"notAfter", clock::rfc3339(info->notAfter)},
                        {"serial", info->serial},
                        {"sans", std::move(sans)}};
  }

 private:
  std::string caCertPem_;
  std::unique_ptr<acme::Key> caKey_;
  std::chrono::seconds lifetime_{};
};

}  // namespace

std::unique_ptr<CertificateProvider> makeCertificateProvider(const ProviderConfig& config) {
  return std::make_unique<FileCertificateProvider>(config);
}

}  // namespace fedihost::providers::file
