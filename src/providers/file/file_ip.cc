// The file IP address provider: ip/<name>.json. A create allocates the lowest
// free address of the target's pool; "free" means held by no ip manifest of any
// deployment under the root. Allocation runs under a process mutex and an flock
// on <root>/.ip.lock, so neither two threads nor two processes can hand out
// the same address.
#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <set>

#include "providers/file/file_providers.hh"
#include "providers/file/file_store.hh"

namespace fedihost::providers::file {
namespace {

using Bytes = std::array<unsigned char, 16>;

/// An address pool in CIDR notation.
struct Pool {
  int family = AF_INET;
  Bytes network{};
  int prefix = 24;
  std::string text;

  std::size_t width() const { return family == AF_INET ? 4 : 16; }
  int bits() const { return static_cast<int>(width()) * 8; }

  static Result<Pool> parse(const std::string& text, int family, const std::string& field) {
    Pool p;
    p.family = family;
    p.text = text;
    auto slash = text.find('/');
    if (slash == std::string::npos) return Error::invalid(field, "\"" + text + "\" is not in CIDR notation (address/prefix)");
    auto addr = text.substr(0, slash);
    if (inet_pton(family, addr.c_str(), p.network.data()) != 1)
      return Error::invalid(field, "\"" + addr + "\" is not an " + (family == AF_INET ? "IPv4" : "IPv6") + " address");
    try {
      std::size_t used = 0;
      p.prefix = std::stoi(text.substr(slash + 1), &used);
      if (used != text.size() - slash - 1) throw std::invalid_argument("trailing characters");
    } catch (const std::exception&) {
      return Error::invalid(field, "\"" + text + "\" has no valid prefix length");
    }
    if (p.prefix < 0 || p.prefix > p.bits()) return Error::invalid(field, "\"" + text + "\" has no valid prefix length");
    for (int i = p.prefix; i < p.bits(); ++i) p.network[i / 8] &= static_cast<unsigned char>(~(0x80u >> (i % 8)));
    return p;
  }

  /// The address at `offset` from the network address (offset within the pool).
  Bytes at(std::uint64_t offset) const {
    Bytes b = network;
    unsigned carry = 0;
    for (int i = static_cast<int>(width()) - 1; i >= 0; --i) {
      unsigned sum = b[i] + static_cast<unsigned>(offset & 0xff) + carry;
      b[i] = static_cast<unsigned char>(sum & 0xff);
      carry = sum >> 8;
      offset >>= 8;
    }
    return b;
  }

  /// The last usable offset: the broadcast address (IPv4) and the all-ones address (IPv6) are skipped.
  std::uint64_t lastUsable() const {
    int hostBits = bits() - prefix;
    if (hostBits < 2) return 0;
    std::uint64_t size = hostBits >= 63 ? (std::uint64_t{1} << 63) : (std::uint64_t{1} << hostBits);
    return size - 2;
  }

  std::string toString(const Bytes& b) const {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(family, b.data(), buf, sizeof buf);
    return buf;
  }
};

class FileIpProvider final : public ManifestProvider<IpAddressProvider> {
 public:
  using ManifestProvider::ManifestProvider;

  /// Allocates under the pool lock (see the file comment).
  Result<Observed> create(const ResolvedResource& r) override {
    auto lock = store_.lock("ip");
    return ManifestProvider::create(r);
  }

  /// Keeps the address unless the family changed, under the pool lock.
  Result<Observed> update(const ResolvedResource& r) override {
    auto lock = store_.lock("ip");
    return ManifestProvider::update(r);
  }

 protected:
  Result<fs::path> manifestPath(const Resource& r) const override {
    if (auto ok = FileStore::checkComponent("name", r.name); !ok) return ok.error();
    return fs::path("ip") / (r.name + ".json");
  }

  Result<std::vector<fs::path>> manifests(const fs::path& deploymentDir) const override {
    return store_.filesIn(deploymentDir / "ip", ".json");
  }

  Result<void> validate(const Resource& r) const override {
    auto f = family(r);
    if (!f) return f.error();
    return {};
  }

  Result<json::object> outputs(const ResolvedResource& r, const json::object* previous) override {
    auto fam = family(r.resource);
    if (!fam) return fam.error();
    if (previous) {
      Bytes b{};
      auto* a = previous->if_contains("address");
      if (a && a->is_string() && inet_pton(*fam, std::string(a->get_string()).c_str(), b.data()) == 1)
        return json::object{{"address", *a}};
    }
    auto address = allocate(*fam);
    if (!address) return address.error();
    return json::object{{"address", *address}};
  }

 private:
  Result<int> family(const Resource& r) const {
    auto* f = r.attributes.if_contains("family");
    if (!f) return AF_INET;
    if (f->is_string() && f->get_string() == "ipv4") return AF_INET;
    if (f->is_string() && f->get_string() == "ipv6") return AF_INET6;
    return Error::invalid("attributes.family", "must be \"ipv4\" or \"ipv6\"");
  }

  /// The lowest address of the pool that no deployment under the root holds. Called with the pool lock held.
  Result<std::string> allocate(int family) {
    const std::string setting = family == AF_INET ? "ipv4Pool" : "ipv6Pool";
    std::string text = family == AF_INET ? "192.0.2.0/24" : "2001:db8::/64";
    if (auto* s = store_.settings().if_contains(setting)) {
      if (!s->is_string()) return Error::invalid("settings." + setting, "must be a string in CIDR notation");
      text = std::string(s->get_string());
    }
    auto pool = Pool::parse(text, family, "settings." + setting);
    if (!pool) return pool.error();

    std::set<Bytes> used;
    auto deployments = store_.deploymentDirs();
    if (!deployments) return deployments.error();
    for (auto& dep : *deployments) {
      auto files = manifests(dep);
      if (!files) return files.error();
      for (auto& f : *files) {
        auto m = loadManifest(f);
        if (!m) return m.error();
        if (!*m) continue;  // removed meanwhile (removes do not take the lock)
        auto* a = (*m)->outputs.if_contains("address");
        Bytes b{};
        if (a && a->is_string() && inet_pton(family, std::string(a->get_string()).c_str(), b.data()) == 1)
          used.insert(b);
      }
    }
    // Offset 0 is the network, 1 the gateway; the lowest free one is at most used.size() further.
    for (std::uint64_t offset = 2; offset <= pool->lastUsable(); ++offset) {
      auto candidate = pool->at(offset);
      if (!used.count(candidate)) return pool->toString(candidate);
    }
    return Error{ErrorKind::Provider,
                 "the " + std::string(family == AF_INET ? "IPv4" : "IPv6") + " pool " + pool->text + " of the file target " +
                     store_.root().string() + " is exhausted: every usable address is allocated (" +
                     std::to_string(used.size()) + " in use)",
                 "settings." + setting};
  }
};

}  // namespace

std::unique_ptr<IpAddressProvider> makeIpProvider(const ProviderConfig& config) {
  return std::make_unique<FileIpProvider>(config);
}

}  // namespace fedihost::providers::file
