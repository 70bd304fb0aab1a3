// The file mail provider: mail/<address>.json, the password kept sealed.
#include "providers/file/file_providers.hh"
#include "providers/file/file_store.hh"

namespace fedihost::providers::file {
namespace {

class FileMailProvider final : public ManifestProvider<MailProvider> {
 public:
  using ManifestProvider::ManifestProvider;

 protected:
  Result<fs::path> manifestPath(const Resource& r) const override {
    auto address = stringAttribute(r.attributes, "address");
    if (!address) return address.error();
    return fs::path("mail") / (*address + ".json");
  }

  Result<std::vector<fs::path>> manifests(const fs::path& deploymentDir) const override {
    return store_.filesIn(deploymentDir / "mail", ".json");
  }

  Result<void> validate(const Resource& r) const override {
    auto address = stringAttribute(r.attributes, "address");
    if (!address) return address.error();
    auto at = address->find('@');
    if (at == std::string::npos || at == 0 || at + 1 == address->size() || address->find('@', at + 1) != std::string::npos)
      return Error::invalid("attributes.address", "\"" + *address + "\" is not a mail address (local@domain)");
    if (auto ok = FileStore::checkComponent("attributes.address", *address); !ok) return ok.error();
    for (char c : *address)
      if (c == ' ' || c == '"' || c == '<' || c == '>')
        return Error::invalid("attributes.address", "\"" + *address + "\" is not a plain mail address");
    return checkSealed(r.attributes, "password", true);
  }

  /// A mail account in files has no relay: "host" is empty (the machine's operator names the
  /// relay, fedihost.smtp.host); the login is the address.
  Result<json::object> outputs(const ResolvedResource& r, const json::object*) override {
    const auto& a = r.resource.attributes;
    return json::object{{"host", ""}, {"port", 587}, {"username", a.contains("address") ? a.at("address") : json::value()}};
  }
};

}  // namespace

std::unique_ptr<MailProvider> makeMailProvider(const ProviderConfig& config) {
  return std::make_unique<FileMailProvider>(config);
}

}  // namespace fedihost::providers::file
