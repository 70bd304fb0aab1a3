#include "providers/file/zone_file.hh"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <vector>

namespace fedihost::providers::file {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// Labels of 1 to 63 of [a-z0-9-_], the first of a record name may be "*"; at most 253 bytes.
bool validDomain(std::string_view name, bool allowWildcard) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  bool first = true;
  while (start <= name.size()) {
    auto end = name.find('.', start);
    if (end == std::string_view::npos) end = name.size();
    auto label = name.substr(start, end - start);
    if (label.empty() || label.size() > 63) return false;
    if (!(first && allowWildcard && label == "*")) {
      if (label.front() == '-' || label.back() == '-') return false;
      for (char c : label)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
    }
    first = false;
    start = end + 1;
  }
  return true;
}

/// The owner name as written in the zone: "@" for the apex, else relative to $ORIGIN.
std::string owner(const std::string& name, std::string_view zone) {
  std::string apex = std::string(zone) + ".";
  if (name == apex) return "@";
  return name.substr(0, name.size() - apex.size() - 1);
}

/// No control characters, and ";", "(" and ")" only inside quotes (they would
/// start a comment or a multi-line record).
bool plainRdata(std::string_view rdata) {
  bool quoted = false;
  bool escaped = false;
  for (char c : rdata) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;
    if (escaped) {
      escaped = false;
      continue;
    }
    if (c == '\\') escaped = true;
    else if (c == '"') quoted = !quoted;
    else if (!quoted && (c == ';' || c == '(' || c == ')')) return false;
  }
  return !quoted && !escaped;
}

/// DNS canonical order (RFC 4034, 6.1): by labels from the right, so the apex
/// comes first and a name's subdomains follow it.
bool canonicalLess(std::string_view a, std::string_view b) {
  auto labels = [](std::string_view n) {
    std::vector<std::string_view> out;
    if (!n.empty() && n.back() == '.') n.remove_suffix(1);
    std::size_t start = 0;
    while (start <= n.size()) {
      auto end = n.find('.', start);
      if (end == std::string_view::npos) end = n.size();
      out.push_back(n.substr(start, end - start));
      start = end + 1;
    }
    std::reverse(out.begin(), out.end());
    return out;
  };
  auto la = labels(a), lb = labels(b);
  return std::lexicographical_compare(la.begin(), la.end(), lb.begin(), lb.end());
}

}  // namespace

std::string quoteTxt(std::string_view text) {
  std::string out;
  if (text.empty()) return "\"\"";
  for (std::size_t pos = 0; pos < text.size(); pos += 255) {
    auto chunk = text.substr(pos, 255);
    if (!out.empty()) out += ' ';
    out += '"';
    for (char c : chunk) {
      auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (u < 0x20 || u >= 0x7f) {
        char buf[5];
        std::snprintf(buf, sizeof buf, "\\%03u", static_cast<unsigned>(u));
        out += buf;
      } else {
        out += c;
      }
    }
    out += '"';
  }
  return out;
}

std::string absoluteDomain(std::string_view name) {
  std::string out(name);
  if (auto at = out.find('@'); at != std::string::npos) out[at] = '.';
  if (out.empty() || out.back() != '.') out += '.';
  return out;
}

Result<std::string> normaliseZone(std::string_view zone, std::string_view field) {
  std::string z = lower(zone);
  if (!z.empty() && z.back() == '.') z.pop_back();
  if (!validDomain(z, false)) return Error::invalid(std::string(field), "\"" + std::string(zone) + "\" is not a domain name");
  return z;
}

Result<std::string> absoluteName(std::string_view name, std::string_view zone, std::string_view field) {
  std::string n = lower(name);
  if (!n.empty() && n.back() == '.') n.pop_back();
  if (!validDomain(n, true)) return Error::invalid(std::string(field), "\"" + std::string(name) + "\" is not a domain name");
  if (n != zone && !(n.size() > zone.size() && n.ends_with(zone) && n[n.size() - zone.size() - 1] == '.'))
    return Error::invalid(std::string(field),
                          "\"" + std::string(name) + "\" is outside the zone \"" + std::string(zone) + "\"");
  return n + ".";
}

Result<void> checkRecordSet(const RecordSet& set, std::string_view zone) {
  const bool apex = set.name == std::string(zone) + ".";
  if (set.type.empty() || set.type.size() > 10 ||
      !std::all_of(set.type.begin(), set.type.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }))
    return Error::invalid("attributes.type", "\"" + set.type + "\" is not a record type");
  if (set.type == "SOA") return Error::invalid("attributes.type", "the SOA record is managed by the provider");
  if (apex && set.type == "NS") return Error::invalid("attributes.type", "the NS records of the apex are managed by the provider");
  if (apex && set.type == "CNAME") return Error::invalid("attributes.type", "a CNAME cannot be at the zone apex");
  if (set.records.empty()) return Error::invalid("attributes.records", "a record set needs at least one record");
  if (set.type == "CNAME" && set.records.size() != 1)
    return Error::invalid("attributes.records", "a CNAME record set holds exactly one record");
  for (std::size_t i = 0; i < set.records.size(); ++i) {
    const auto& rec = set.records[i];
    const std::string field = "attributes.records[" + std::to_string(i) + "]";
    std::array<unsigned char, 16> buf{};
    if (set.type == "A") {
      if (inet_pton(AF_INET, rec.c_str(), buf.data()) != 1)
        return Error::invalid(field, "\"" + rec + "\" is not an IPv4 address");
    } else if (set.type == "AAAA") {
      if (inet_pton(AF_INET6, rec.c_str(), buf.data()) != 1)
        return Error::invalid(field, "\"" + rec + "\" is not an IPv6 address");
    } else if (set.type == "TXT") {
      if (rec.find('\0') != std::string::npos) return Error::invalid(field, "must not contain NUL bytes");
    } else if (rec.empty() || !plainRdata(rec)) {
      return Error::invalid(field, "\"" + rec + "\" is not valid record data for " + set.type);
    }
  }
  return {};
}

std::string renderZone(std::string_view zone, std::uint32_t serial, const SoaSettings& soa, std::vector<RecordSet> sets) {
  std::sort(sets.begin(), sets.end(), [](const RecordSet& a, const RecordSet& b) {
    if (a.name != b.name) return canonicalLess(a.name, b.name);
    return a.type < b.type;
  });
  const std::string origin = std::string(zone) + ".";
  const std::string hostmaster = soa.hostmaster.empty() ? "hostmaster." + origin : absoluteDomain(soa.hostmaster);
  const std::string primary = soa.nameservers.empty() ? "ns1.fedihost.invalid." : absoluteDomain(soa.nameservers.front());

  std::string out;
  out += "; Zone " + std::string(zone) + ", rendered by fedihost (file provider). Do not edit: it is rewritten.\n";
  out += "$ORIGIN " + origin + "\n";
  out += "$TTL " + std::to_string(soa.defaultTtl) + "\n";
  out += "@\t" + std::to_string(soa.defaultTtl) + "\tIN\tSOA\t" + primary + " " + hostmaster + " " +
         std::to_string(serial) + " " + std::to_string(soa.refresh) + " " + std::to_string(soa.retry) + " " +
         std::to_string(soa.expire) + " " + std::to_string(soa.minimum) + "\n";
  for (auto& ns : soa.nameservers) out += "@\t" + std::to_string(soa.defaultTtl) + "\tIN\tNS\t" + absoluteDomain(ns) + "\n";
  for (auto& set : sets) {
    const auto name = owner(set.name, zone);
    for (auto& rec : set.records)
      out += name + "\t" + std::to_string(set.ttl) + "\tIN\t" + set.type + "\t" +
             (set.type == "TXT" ? quoteTxt(rec) : rec) + "\n";
  }
  return out;
}

}  // namespace fedihost::providers::file
