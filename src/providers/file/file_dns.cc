// The file DNS provider. The record sets of a zone are kept together in
// dns/<zone>.rrsets.json ({"zone", "serial", "recordSets": {<identity key>:
// <attributes>}}), and after every change dns/<zone>.zone is rendered again
// from all of them, as an authoritative server would load it. The last record
// set removed takes both files with it.
#include <algorithm>

#include "core/clock.hh"
#include "core/json_util.hh"
#include "providers/file/file_providers.hh"
#include "providers/file/file_store.hh"
#include "providers/file/zone_file.hh"

namespace fedihost::providers::file {
namespace {

constexpr std::string_view kStateSuffix = ".rrsets.json";

/// The record sets of one zone of one deployment, as stored.
struct ZoneState {
  std::string zone;
  std::uint32_t serial = 0;
  json::object recordSets;  ///< identity key -> attributes as given
  fs::path statePath;
  fs::path zonePath;
};

/// A resource's attributes as a record set of its (normalised) zone.
struct Parsed {
  std::string zone;
  RecordSet set;
};

Result<Parsed> parse(const json::object& attrs) {
  Parsed p;
  auto zone = stringAttribute(attrs, "zone");
  if (!zone) return zone.error();
  auto z = normaliseZone(*zone, "attributes.zone");
  if (!z) return z.error();
  p.zone = *z;
  auto name = stringAttribute(attrs, "name");
  if (!name) return name.error();
  auto abs = absoluteName(*name, p.zone, "attributes.name");
  if (!abs) return abs.error();
  p.set.name = *abs;
  auto type = stringAttribute(attrs, "type");
  if (!type) return type.error();
  p.set.type = *type;
  for (auto& c : p.set.type)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  auto* ttl = attrs.if_contains("ttl");
  if (!ttl) return Error::invalid("attributes.ttl", "is required");
  if (ttl->is_int64() && ttl->get_int64() >= 0 && ttl->get_int64() <= 2147483647)
    p.set.ttl = static_cast<std::uint32_t>(ttl->get_int64());
  else if (ttl->is_uint64() && ttl->get_uint64() <= 2147483647)
    p.set.ttl = static_cast<std::uint32_t>(ttl->get_uint64());
  else
    return Error::invalid("attributes.ttl", "must be an integer from 0 to 2147483647");
  auto* records = attrs.if_contains("records");
  if (!records || !records->is_array()) return Error::invalid("attributes.records", "must be an array of strings");
  for (auto& r : records->get_array()) {
    if (!r.is_string()) return Error::invalid("attributes.records", "must be an array of strings");
    p.set.records.emplace_back(r.get_string());
  }
  if (auto ok = checkRecordSet(p.set, p.zone); !ok) return ok.error();
  return p;
}

/// The next SOA serial: YYYYMMDDnn of today, or one more than the last if that is higher.
std::uint32_t nextSerial(std::uint32_t last) {
  auto now = clock::nowRfc3339();  // "2026-11-25T13:00:00Z"
  std::uint32_t today = 0;
  if (now.size() >= 10) {
    try {
      today = static_cast<std::uint32_t>(std::stoul(now.substr(0, 4) + now.substr(5, 2) + now.substr(8, 2))) * 100;
    } catch (const std::exception&) {
      today = 0;
    }
  }
  return std::max(last + 1, today);
}

class FileDnsProvider final : public DnsProvider {
 public:
  explicit FileDnsProvider(const ProviderConfig& config) : store_(config) {}

  std::string implementation() const override { return "file"; }
  Capabilities capabilities() const override { return {true, true}; }

  /// Adds the record set to its zone and renders the zone; an existing key is returned unchanged.
  Result<Observed> create(const ResolvedResource& r) override {
    auto dir = check(r.resource);
    if (!dir) return dir.error();
    auto parsed = parse(r.resource.attributes);
    if (!parsed) return parsed.error();
    auto soa = soaSettings();
    if (!soa) return soa.error();
    auto lock = store_.lock("dns");
    auto found = findByKey(*dir, r.resource.key);
    if (!found) return found.error();
    if (*found) {
      // Already there; finish the rendering in case a crash interrupted it.
      if (auto ok = syncZone(**found, *soa); !ok) return ok.error();
      return observed(**found, r.resource.key);
    }
    auto state = loadZone(*dir, parsed->zone);
    if (!state) return state.error();
    if (auto ok = checkCoexistence(*state, *parsed, r.resource.key); !ok) return ok.error();
    state->recordSets[r.resource.key] = r.resource.attributes;
    state->serial = nextSerial(state->serial);
    if (auto ok = save(*state, *soa); !ok) return ok.error();
    return observed(*state, r.resource.key);
  }

  /// Finds the record set by identity key in any zone of the deployment; NotFound if absent.
  Result<Observed> read(const ResolvedResource& r) override {
    auto dir = check(r.resource);
    if (!dir) return dir.error();
    auto found = findByKey(*dir, r.resource.key);
    if (!found) return found.error();
    if (!*found) return Error::notFound("dns-record-set " + r.resource.key + " not found under " + dir->string());
    return observed(**found, r.resource.key);
  }

  /// Replaces the record set (moving it if its zone changed) and renders the zone(s); NotFound if absent.
  Result<Observed> update(const ResolvedResource& r) override {
    auto dir = check(r.resource);
    if (!dir) return dir.error();
    auto parsed = parse(r.resource.attributes);
    if (!parsed) return parsed.error();
    auto soa = soaSettings();
    if (!soa) return soa.error();
    auto lock = store_.lock("dns");
    auto found = findByKey(*dir, r.resource.key);
    if (!found) return found.error();
    if (!*found) return Error::notFound("dns-record-set " + r.resource.key + " not found under " + dir->string());
    auto& old = **found;
    if (old.zone == parsed->zone) {
      if (old.recordSets[r.resource.key] == json::value(r.resource.attributes)) {
        if (auto ok = syncZone(old, *soa); !ok) return ok.error();
        return observed(old, r.resource.key);
      }
      if (auto ok = checkCoexistence(old, *parsed, r.resource.key); !ok) return ok.error();
      old.recordSets[r.resource.key] = r.resource.attributes;
      old.serial = nextSerial(old.serial);
      if (auto ok = save(old, *soa); !ok) return ok.error();
      return observed(old, r.resource.key);
    }
    auto target = loadZone(*dir, parsed->zone);
    if (!target) return target.error();
    if (auto ok = checkCoexistence(*target, *parsed, r.resource.key); !ok) return ok.error();
    // Out of the old zone first: a crash in between leaves the record set absent (to be created), never twice.
    if (auto ok = erase(old, r.resource.key, *dir, *soa); !ok) return ok.error();
    target->recordSets[r.resource.key] = r.resource.attributes;
    target->serial = nextSerial(target->serial);
    if (auto ok = save(*target, *soa); !ok) return ok.error();
    return observed(*target, r.resource.key);
  }

  /// Takes the record set out of its zone; the last one removes the zone's files.
  Result<void> remove(const ResolvedResource& r) override {
    auto dir = check(r.resource);
    if (!dir) return dir.error();
    auto soa = soaSettings();
    if (!soa) return soa.error();
    auto lock = store_.lock("dns");
    auto found = findByKey(*dir, r.resource.key);
    if (!found) return found.error();
    if (!*found) {
      store_.prune(*dir, *dir);
      return {};
    }
    return erase(**found, r.resource.key, *dir, *soa);
  }

  /// Identity keys of every record set in every zone of the deployment.
  Result<std::vector<std::string>> list(std::string_view deployment) override {
    auto dir = store_.deploymentDir(deployment);
    if (!dir) return dir.error();
    auto files = store_.filesIn(*dir / "dns", kStateSuffix);
    if (!files) return files.error();
    std::vector<std::string> keys;
    for (auto& f : *files) {
      auto state = loadState(f);
      if (!state) return state.error();
      if (!*state) continue;
      for (auto& kv : (*state)->recordSets) keys.emplace_back(kv.key());
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  }

 private:
  Result<fs::path> check(const Resource& r) const {
    if (r.kind != ResourceKind::DnsRecordSet)
      return Error{ErrorKind::Internal, "a " + std::string(toString(r.kind)) + " resource was given to the DNS provider", {}};
    if (r.key.empty()) return Error::invalid("key", "a resource needs an identity key");
    return store_.deploymentDir(r.deployment);
  }

  Result<SoaSettings> soaSettings() const {
    SoaSettings soa;
    const auto& s = store_.settings();
    if (auto* ns = s.if_contains("nameservers")) {
      const auto* arr = ns->if_array();
      if (!arr || arr->empty()) return Error::invalid("settings.nameservers", "must be a non-empty array of host names");
      soa.nameservers.clear();
      for (auto& n : *arr) {
        if (!n.is_string()) return Error::invalid("settings.nameservers", "must be a non-empty array of host names");
        auto name = normaliseZone(n.get_string(), "settings.nameservers");
        if (!name) return name.error();
        soa.nameservers.push_back(*name + ".");
      }
    }
    if (auto* h = s.if_contains("hostmaster")) {
      if (!h->is_string()) return Error::invalid("settings.hostmaster", "must be a string");
      soa.hostmaster = absoluteDomain(h->get_string());
    }
    return soa;
  }

  static fs::path statePath(const fs::path& dir, const std::string& zone) {
    return dir / "dns" / (zone + std::string(kStateSuffix));
  }

  /// A zone's stored state, nullopt if the zone has no record sets.
  Result<std::optional<ZoneState>> loadState(const fs::path& path) const {
    auto v = store_.readJson(path);
    if (!v) return v.error();
    if (!*v) return std::optional<ZoneState>();
    auto corrupt = Error{ErrorKind::Internal, "file provider: " + path.string() + " is not a record set file", {}};
    const auto* o = (*v)->if_object();
    if (!o) return corrupt;
    ZoneState st;
    const auto* zone = o->if_contains("zone");
    const auto* serial = o->if_contains("serial");
    const auto* sets = o->if_contains("recordSets");
    if (!zone || !zone->is_string() || !serial || !sets || !sets->is_object()) return corrupt;
    st.zone = std::string(zone->get_string());
    std::int64_t n = serial->is_int64() ? serial->get_int64()
                     : serial->is_uint64() && serial->get_uint64() <= 0xffffffffu ? static_cast<std::int64_t>(serial->get_uint64())
                                                                               : -1;
    if (n < 0 || n > 0xffffffffll) return corrupt;
    st.serial = static_cast<std::uint32_t>(n);
    st.recordSets = sets->get_object();
    st.statePath = path;
    st.zonePath = path.parent_path() / (st.zone + ".zone");
    return std::optional<ZoneState>(std::move(st));
  }

  /// A zone's state, empty if it has no record sets yet.
  Result<ZoneState> loadZone(const fs::path& dir, const std::string& zone) const {
    auto path = statePath(dir, zone);
    auto st = loadState(path);
    if (!st) return st.error();
    if (*st) return std::move(**st);
    ZoneState fresh;
    fresh.zone = zone;
    fresh.statePath = path;
    fresh.zonePath = dir / "dns" / (zone + ".zone");
    return fresh;
  }

  Result<std::optional<ZoneState>> findByKey(const fs::path& dir, const std::string& key) const {
    auto files = store_.filesIn(dir / "dns", kStateSuffix);
    if (!files) return files.error();
    for (auto& f : *files) {
      auto st = loadState(f);
      if (!st) return st.error();
      if (*st && (*st)->recordSets.contains(key)) return st;
    }
    return std::optional<ZoneState>();
  }

  static Observed observed(const ZoneState& st, const std::string& key) {
    Observed o;
    if (auto* attrs = st.recordSets.if_contains(key); attrs && attrs->is_object()) o.attributes = attrs->get_object();
    return o;
  }

  /// One record set per name and type, and a CNAME alone at its name.
  static Result<void> checkCoexistence(const ZoneState& st, const Parsed& p, const std::string& key) {
    for (auto& kv : st.recordSets) {
      if (kv.key() == key || !kv.value().is_object()) continue;
      auto other = parse(kv.value().get_object());
      if (!other || other->set.name != p.set.name) continue;
      if (other->set.type == p.set.type)
        return Error::conflict("the record set " + p.set.name + " " + p.set.type + " is already held by " +
                                   std::string(kv.key()),
                               "attributes.name");
      if (other->set.type == "CNAME" || p.set.type == "CNAME")
        return Error::invalid("attributes.type", "a CNAME cannot share its name " + p.set.name +
                                                     " with other records (held by " + std::string(kv.key()) + ")");
    }
    return {};
  }

  Result<std::string> render(const ZoneState& st, const SoaSettings& soa) const {
    std::vector<RecordSet> sets;
    for (auto& kv : st.recordSets) {
      if (!kv.value().is_object()) continue;
      auto p = parse(kv.value().get_object());
      if (!p) return Error{ErrorKind::Internal, "file provider: stored record set " + std::string(kv.key()) + " in " +
                                                    st.statePath.string() + " is invalid: " + p.error().message,
                           {}};
      sets.push_back(std::move(p->set));
    }
    return renderZone(st.zone, st.serial, soa, std::move(sets));
  }

  /// Writes the record sets, then the zone rendered from them.
  Result<void> save(const ZoneState& st, const SoaSettings& soa) const {
    json::object doc{{"zone", st.zone}, {"serial", st.serial}, {"recordSets", st.recordSets}};
    if (auto w = store_.write(st.statePath, jsonutil::canonical(doc)); !w) return w.error();
    auto text = render(st, soa);
    if (!text) return text.error();
    if (auto w = store_.write(st.zonePath, *text); !w) return w.error();
    return {};
  }

  /// Renders the zone again if its file does not match the record sets (after an interrupted save).
  Result<void> syncZone(const ZoneState& st, const SoaSettings& soa) const {
    auto text = render(st, soa);
    if (!text) return text.error();
    auto current = store_.readText(st.zonePath);
    if (!current) return current.error();
    if (*current && **current == *text) return {};
    if (auto w = store_.write(st.zonePath, *text); !w) return w.error();
    return {};
  }

  /// Takes a record set out of a zone; the last one deletes the zone file, then the record set file.
  Result<void> erase(ZoneState st, const std::string& key, const fs::path& dir, const SoaSettings& soa) const {
    st.recordSets.erase(key);
    if (!st.recordSets.empty()) {
      st.serial = nextSerial(st.serial);
      return save(st, soa);
    }
    if (auto ok = store_.removeFile(st.zonePath); !ok) return ok;
    if (auto ok = store_.removeFile(st.statePath); !ok) return ok;
    store_.prune(st.statePath.parent_path(), dir);
    return {};
  }

  FileStore store_;
};

}  // namespace

std::unique_ptr<DnsProvider> makeDnsProvider(const ProviderConfig& config) {
  return std::make_unique<FileDnsProvider>(config);
}

}  // namespace fedihost::providers::file
