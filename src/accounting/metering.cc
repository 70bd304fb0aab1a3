#include "accounting/metering.hh"

#include <boost/json.hpp>

namespace fedihost::accounting {
namespace {

std::int64_t intAttribute(const json::object& a, std::string_view name) {
  auto* v = a.if_contains(name);
  if (!v) return 0;
  if (v->is_int64()) return std::max<std::int64_t>(0, v->as_int64());
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return 0;
}

}  // namespace

const std::vector<Unit>& units() {
  static const std::vector<Unit> all{
      {"machine", "machine", 1, "Machines", "machine-hours"},
      {"vcpu", "vcpu", 1, "vCPUs", "vCPU-hours"},
      {"ram_gib", "ram_mib", 1024, "RAM (GiB)", "GiB-RAM-hours"},
      {"disk_gib", "disk_gib", 1, "Disk (GiB)", "disk GiB-hours"},
      {"bucket", "bucket", 1, "Buckets", "bucket-hours"},
      {"stored_gib", "stored_kib", 1024 * 1024, "Bucket storage (GiB)", "stored GiB-hours"},
      {"database", "database", 1, "Databases", "database-hours"},
      {"mail_account", "mail_account", 1, "Mail accounts", "mail-account-hours"},
      {"ip_address", "ip_address", 1, "IP addresses", "IP-hours"},
      {"certificate", "certificate", 1, "Certificates", "certificate-hours"},
  };
  return all;
}

const Unit* findUnit(std::string_view key) {
  for (auto& u : units())
    if (u.key == key) return &u;
  return nullptr;
}

Quantities quantitiesOf(const Resource& r) {
  const auto& a = r.attributes;
  switch (r.kind) {
    case ResourceKind::Machine:
      return {{"machine", 1},
              {"vcpu", intAttribute(a, "cpu")},
              {"ram_mib", intAttribute(a, "memoryMiB")},
              {"disk_gib", intAttribute(a, "diskGiB")}};
    case ResourceKind::Bucket: return {{"bucket", 1}};
    case ResourceKind::Database: return {{"database", 1}};
    case ResourceKind::MailAccount: return {{"mail_account", 1}};
    case ResourceKind::IpAddress: return {{"ip_address", 1}};
    case ResourceKind::DnsRecordSet: {
      auto* type = a.if_contains("type");
      if (type && type->is_string() && (type->as_string() == "A" || type->as_string() == "AAAA"))
        return {{"certificate", 1}};
      return {};
    }
    case ResourceKind::AccessKey:
    // Certificates are metered per published host name (the A/AAAA sets above), whoever issues them.
    case ResourceKind::Certificate:
    case ResourceKind::NixosConfig: return {};
  }
  return {};
}

Quantities storedQuantities(std::int64_t bytes) {
  return {{"stored_kib", bytes / 1024 + (bytes % 1024 != 0 ? 1 : 0)}};
}

std::string quantitiesJson(const Resource& r) {
  json::object o;
  for (auto& [k, v] : quantitiesOf(r)) o[k] = v;
  return json::serialize(o);
}

Result<Quantities> parseQuantities(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return Error::invalid("quantities", "stored quantities are not a JSON object: " + std::string(text));
  Quantities q;
  for (auto& [k, x] : v.as_object()) {
    if (x.is_int64() && x.as_int64() >= 0)
      q[std::string(k)] = x.as_int64();
    else if (x.is_uint64() && x.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
      q[std::string(k)] = static_cast<std::int64_t>(x.as_uint64());
    else
      return Error::invalid("quantities", "stored quantity \"" + std::string(k) + "\" is not a non-negative integer");
  }
  return q;
}

std::string machineSize(const Quantities& q) {
  auto get = [&](const char* k) {
    auto it = q.find(k);
    return it == q.end() ? std::int64_t{0} : it->second;
  };
  if (get("machine") == 0) return "";
  auto mib = get("ram_mib");
  std::string ram = mib % 1024 == 0 ? std::to_string(mib / 1024) + " GiB" : std::to_string(mib) + " MiB";
  return std::to_string(get("vcpu")) + " vCPU, " + ram + " RAM, " + std::to_string(get("disk_gib")) + " GiB disk";
}

}  // namespace fedihost::accounting
