// The "powerdns" DNS provider (see powerdns.hh), and the reading of a
// dns-record-set's attributes that the "rfc2136" provider shares.
#include "providers/powerdns/powerdns.hh"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "net/http.hh"
#include "providers/attributes.hh"
#include "providers/file/zone_file.hh"

namespace fedihost::providers::powerdns {
namespace {

constexpr std::string_view kOwnerPrefix = "fedihost:";
/// Most comments one search-data call returns; more is an error rather than a silently short list.
constexpr int kMaxSearchResults = 100000;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> tokens(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    auto start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::optional<unsigned> number(std::string_view s, unsigned max) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

/// A host name in a record's data, absolute and lower case.
Result<std::string> hostName(std::string_view name, const std::string& field) {
  auto n = file::normaliseZone(name, field);
  if (!n) return n.error();
  return *n + ".";
}

Error bad(const std::string& field, std::string_view type, std::string_view rec, std::string_view expected) {
  return Error::invalid(field, "\"" + std::string(rec) + "\" is not valid " + std::string(type) + " data (expected " +
                                   std::string(expected) + ")");
}

/// A CAA value: the quoted string (escapes undone) or the bare token.
std::optional<std::string> caaValue(std::string_view s) {
  if (s.empty() || s.front() != '"') {
    if (s.find_first_of(" \t\"") != std::string_view::npos) return std::nullopt;
    return std::string(s);
  }
  auto text = unquoteTxt(s);
  // One string only: "a" "b" is not a CAA value.
  if (!text) return std::nullopt;
  std::size_t quotes = 0;
  bool escaped = false;
  for (char c : s) {
    if (escaped) escaped = false;
    else if (c == '\\') escaped = true;
    else if (c == '"') ++quotes;
  }
  if (quotes != 2) return std::nullopt;
  return text;
}

std::string quoteCaa(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

// ---------------------------------------------------------------- attributes

Result<std::string> canonicalRecord(std::string_view type, std::string_view rec, const std::string& field) {
  if (type == "A" || type == "AAAA") {
    const int family = type == "A" ? AF_INET : AF_INET6;
    std::array<unsigned char, 16> buf{};
    std::string s(rec);
    if (inet_pton(family, s.c_str(), buf.data()) != 1)
      return Error::invalid(field, "\"" + s + "\" is not an " + (type == "A" ? "IPv4" : "IPv6") + " address");
    std::array<char, INET6_ADDRSTRLEN> out{};
    inet_ntop(family, buf.data(), out.data(), out.size());
    return std::string(out.data());
  }
  if (type == "TXT") {
    if (rec.find('\0') != std::string_view::npos) return Error::invalid(field, "must not contain NUL bytes");
    return std::string(rec);
  }
  auto t = tokens(rec);
  if (type == "CNAME" || type == "NS") {
    if (t.size() != 1) return bad(field, type, rec, "a host name");
    return hostName(t[0], field);
  }
  if (type == "MX") {
    if (t.size() != 2 || !number(t[0], 65535)) return bad(field, type, rec, "\"<preference> <host>\"");
    auto host = hostName(t[1], field);
    if (!host) return host.error();
    return std::to_string(*number(t[0], 65535)) + " " + *host;
  }
  if (type == "SRV") {
    if (t.size() != 4 || !number(t[0], 65535) || !number(t[1], 65535) || !number(t[2], 65535))
      return bad(field, type, rec, "\"<priority> <weight> <port> <target>\"");
    std::string target = ".";
    if (t[3] != ".") {
      auto host = hostName(t[3], field);
      if (!host) return host.error();
      target = *host;
    }
    return std::to_string(*number(t[0], 65535)) + " " + std::to_string(*number(t[1], 65535)) + " " +
           std::to_string(*number(t[2], 65535)) + " " + target;
  }
  if (type == "CAA") {
    // flags tag value, the value possibly quoted and holding spaces.
    auto s = rec;
    auto skip = [&] {
      while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    };
    auto word = [&] {
      skip();
      auto end = s.find_first_of(" \t");
      auto w = s.substr(0, end);
      s.remove_prefix(end == std::string_view::npos ? s.size() : end);
      return w;
    };
    auto flags = word();
    auto tag = word();
    skip();
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    const char* expected = "\"<flags> <tag> \\\"<value>\\\"\"";
    if (!number(flags, 255) || tag.empty() ||
        !std::all_of(tag.begin(), tag.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); }))
      return bad(field, type, rec, expected);
    auto value = caaValue(s);
    if (!value) return bad(field, type, rec, expected);
    return std::to_string(*number(flags, 255)) + " " + lower(tag) + " " + quoteCaa(*value);
  }
  return Error::invalid("attributes.type", "\"" + std::string(type) + "\" is not a supported record type");
}

Result<RecordSetSpec> parseRecordSet(const json::object& attrs) {
  RecordSetSpec spec;
  auto zone = stringAttribute(attrs, "zone");
  if (!zone) return zone.error();
  auto z = file::normaliseZone(*zone, "attributes.zone");
  if (!z) return z.error();
  spec.zone = *z;
  auto name = stringAttribute(attrs, "name");
  if (!name) return name.error();
  auto abs = file::absoluteName(*name, spec.zone, "attributes.name");
  if (!abs) return abs.error();
  spec.name = *abs;
  auto type = stringAttribute(attrs, "type");
  if (!type) return type.error();
  spec.type = upper(*type);
  if (std::find(std::begin(kRecordTypes), std::end(kRecordTypes), spec.type) == std::end(kRecordTypes)) {
    std::string known;
    for (auto t : kRecordTypes) known += (known.empty() ? "" : ", ") + std::string(t);
    return Error::invalid("attributes.type", "\"" + *type + "\" is not a supported record type (supported: " + known + ")");
  }
  auto* ttl = attrs.if_contains("ttl");
  if (!ttl) return Error::invalid("attributes.ttl", "is required");
  if (ttl->is_int64() && ttl->get_int64() >= 0 && ttl->get_int64() <= 2147483647)
    spec.ttl = static_cast<std::uint32_t>(ttl->get_int64());
  else if (ttl->is_uint64() && ttl->get_uint64() <= 2147483647)
    spec.ttl = static_cast<std::uint32_t>(ttl->get_uint64());
  else
    return Error::invalid("attributes.ttl", "must be an integer from 0 to 2147483647");
  auto* records = attrs.if_contains("records");
  if (!records || !records->is_array()) return Error::invalid("attributes.records", "must be an array of strings");
  file::RecordSet set{spec.name, spec.type, spec.ttl, {}};
  for (auto& r : records->get_array()) {
    if (!r.is_string()) return Error::invalid("attributes.records", "must be an array of strings");
    set.records.emplace_back(r.get_string());
  }
  // The rules of the file provider too: no NS or CNAME at the apex, one CNAME, no stray ";" or "(".
  if (auto ok = file::checkRecordSet(set, spec.zone); !ok) return ok.error();
  for (std::size_t i = 0; i < set.records.size(); ++i) {
    auto c = canonicalRecord(spec.type, set.records[i], "attributes.records[" + std::to_string(i) + "]");
    if (!c) return c.error();
    spec.records.push_back(std::move(*c));
  }
  std::sort(spec.records.begin(), spec.records.end());
  if (auto dup = std::adjacent_find(spec.records.begin(), spec.records.end()); dup != spec.records.end())
    return Error::invalid("attributes.records", "\"" + *dup + "\" is given twice");
  return spec;
}

json::object recordSetAttributes(const RecordSetSpec& spec) {
  json::array records;
  for (auto& r : spec.records) records.emplace_back(r);
  return {{"zone", spec.zone}, {"name", spec.name}, {"type", spec.type}, {"ttl", spec.ttl}, {"records", std::move(records)}};
}

std::string ownerComment(std::string_view key) { return std::string(kOwnerPrefix) + std::string(key); }

std::optional<std::string> ownerFromComment(std::string_view content) {
  if (!content.starts_with(kOwnerPrefix) || content.size() == kOwnerPrefix.size()) return std::nullopt;
  return std::string(content.substr(kOwnerPrefix.size()));
}

std::string apiContent(std::string_view type, std::string_view record) {
  return type == "TXT" ? file::quoteTxt(record) : std::string(record);
}

std::optional<std::string> unquoteTxt(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  bool any = false;
  while (i < s.size()) {
    if (s[i] == ' ' || s[i] == '\t') {
      ++i;
      continue;
    }
    any = true;
    const bool quoted = s[i] == '"';
    if (quoted) ++i;
    bool closed = !quoted;
    while (i < s.size()) {
      char c = s[i];
      if (quoted && c == '"') {
        closed = true;
        ++i;
        break;
      }
      if (!quoted && (c == ' ' || c == '\t')) break;
      if (!quoted && c == '"') return std::nullopt;
      if (c == '\\') {
        if (i + 1 >= s.size()) return std::nullopt;
        if (std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
          if (i + 4 > s.size()) return std::nullopt;
          auto v = number(s.substr(i + 1, 3), 255);
          if (!v) return std::nullopt;
          out += static_cast<char>(*v);
          i += 4;
        } else {
          out += s[i + 1];
          i += 2;
        }
        continue;
      }
      out += c;
      ++i;
    }
    if (!closed) return std::nullopt;
    if (quoted && i < s.size() && s[i] != ' ' && s[i] != '\t') return std::nullopt;
  }
  if (!any) return std::nullopt;
  return out;
}

json::object replaceRrset(const RecordSetSpec& spec, std::string_view key) {
  json::array records;
  for (auto& r : spec.records) records.push_back(json::object{{"content", apiContent(spec.type, r)}, {"disabled", false}});
  return {{"name", spec.name},
          {"type", spec.type},
          {"ttl", spec.ttl},
          {"changetype", "REPLACE"},
          {"records", std::move(records)},
          {"comments", json::array{json::object{{"content", ownerComment(key)}, {"account", "fedihost"}}}}};
}

// ---------------------------------------------------------------- provider

namespace {

/// Where a set lives: its zone's id as the API names it ("example.org."), its name and type.
struct Location {
  std::string zoneId;
  std::string name;
  std::string type;
};

/// A set found by its owner comment, as the server holds it.
struct Found {
  Location at;
  json::object rrset;
};

std::string str(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

/// The owner key in a set's comments, if any.
std::optional<std::string> ownerOf(const json::object& rrset) {
  auto* comments = rrset.if_contains("comments");
  if (!comments || !comments->is_array()) return std::nullopt;
  for (auto& c : comments->get_array())
    if (c.is_object())
      if (auto key = ownerFromComment(str(c.get_object(), "content"))) return key;
  return std::nullopt;
}

bool hasRecords(const json::object& rrset) {
  auto* records = rrset.if_contains("records");
  return records && records->is_array() && !records->get_array().empty();
}

/// The set (name, type) in a zone as returned by GET .../zones/<id>; nullptr if absent.
const json::object* findRrset(const json::object& zone, std::string_view name, std::string_view type) {
  auto* rrsets = zone.if_contains("rrsets");
  if (!rrsets || !rrsets->is_array()) return nullptr;
  for (auto& v : rrsets->get_array()) {
    if (!v.is_object()) continue;
    auto& o = v.get_object();
    if (lower(str(o, "name")) == name && upper(str(o, "type")) == type) return &o;
  }
  return nullptr;
}

class PowerDnsProvider final : public DnsProvider {
 public:
  explicit PowerDnsProvider(const ProviderConfig& config) {
    Settings s(config.settings);
    url_ = s.string("url");
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
    if (!url_.starts_with("http://") && !url_.starts_with("https://"))
      throw AbortError(Error::invalid("settings.url", "must be the API's http:// or https:// base URL"));
    apiKey_ = s.string("apiKey");
    server_ = s.string("server", "localhost");
    for (auto& ns : s.strings("nameservers")) {
      auto n = hostName(ns, "settings.nameservers");
      if (!n) throw AbortError(n.error());
      nameservers_.push_back(*n);
    }
    if (nameservers_.empty())
      throw AbortError(Error::invalid("settings.nameservers", "must name the NS of the zones it creates"));
    if (config.settings.contains("hostmaster")) hostmaster_ = file::absoluteDomain(lower(s.string("hostmaster")));
    timeout_ = s.timeout();
    if (timeout_.count() <= 0) throw AbortError(Error::invalid("settings.timeoutMs", "must be positive"));
  }

  std::string implementation() const override { return "powerdns"; }
  Capabilities capabilities() const override { return {true, true}; }

  /// Makes the zone if missing, then the set, owned by the resource's key; a
  /// set the key owns already is returned as it is; a set held by another key,
  /// or by none, is refused (Conflict).
  Result<Observed> create(const ResolvedResource& r) override {
    auto spec = parse(r.resource);
    if (!spec) return spec.error();
    auto found = findOwned(r.resource.key, &*spec);
    if (!found) return found.error();
    if (*found) return observed(**found);
    auto zone = ensureZone(spec->zone, r.resource.deployment);
    if (!zone) return zone.error();
    if (auto ok = checkFree(*zone, *spec, r.resource.key); !ok) return ok.error();
    if (auto ok = patch(spec->zone + ".", json::array{replaceRrset(*spec, r.resource.key)}); !ok) return ok.error();
    return Observed{recordSetAttributes(*spec), {}};
  }

  /// The set the key owns, wherever it is, as the server holds it; NotFound if none.
  Result<Observed> read(const ResolvedResource& r) override {
    if (auto ok = checkKey(r.resource); !ok) return ok.error();
    std::optional<RecordSetSpec> spec;
    if (auto s = parseRecordSet(r.resource.attributes)) spec = std::move(*s);
    auto found = findOwned(r.resource.key, spec ? &*spec : nullptr);
    if (!found) return found.error();
    if (!*found) return notFound(r.resource.key);
    return observed(**found);
  }

  /// Replaces the set's records and TTL; moves it (delete, then create) when its
  /// zone, name or type changed; NotFound if the key owns no set.
  Result<Observed> update(const ResolvedResource& r) override {
    auto spec = parse(r.resource);
    if (!spec) return spec.error();
    const auto& key = r.resource.key;
    auto found = findOwned(key, &*spec);
    if (!found) return found.error();
    if (!*found) return notFound(key);
    const auto& old = (*found)->at;
    const std::string zoneId = spec->zone + ".";
    if (lower(old.zoneId) == zoneId && old.name == spec->name && old.type == spec->type) {
      if (observed(**found).attributes == recordSetAttributes(*spec)) return observed(**found);
      if (auto ok = patch(old.zoneId, json::array{replaceRrset(*spec, key)}); !ok) return ok.error();
      return Observed{recordSetAttributes(*spec), {}};
    }
    auto zone = ensureZone(spec->zone, r.resource.deployment);
    if (!zone) return zone.error();
    if (auto ok = checkFree(*zone, *spec, key); !ok) return ok.error();
    if (lower(old.zoneId) == zoneId) {
      // One PATCH: PowerDNS applies it in one transaction.
      if (auto ok = patch(zoneId, json::array{deleteRrset(old), replaceRrset(*spec, key)}); !ok) return ok.error();
    } else {
      // Out of the old zone first: a crash in between leaves the set absent (to be created), never twice.
      if (auto ok = patch(old.zoneId, json::array{deleteRrset(old)}); !ok) return ok.error();
      if (auto ok = patch(zoneId, json::array{replaceRrset(*spec, key)}); !ok) return ok.error();
    }
    return Observed{recordSetAttributes(*spec), {}};
  }

  /// Deletes every set the key owns; none is success. The zone stays (see powerdns.hh).
  Result<void> remove(const ResolvedResource& r) override {
    if (auto ok = checkKey(r.resource); !ok) return ok.error();
    auto locations = locate(r.resource.key);
    if (!locations) return locations.error();
    for (auto& at : *locations) {
      auto ok = patch(at.zoneId, json::array{deleteRrset(at)});
      if (!ok && ok.error().kind != ErrorKind::NotFound) return ok.error();
    }
    return {};
  }

  /// The keys of every set whose owner comment names the deployment.
  Result<std::vector<std::string>> list(std::string_view deployment) override {
    const std::string prefix = std::string(deployment) + "/";
    auto hits = search(ownerComment(prefix) + "*");
    if (!hits) return hits.error();
    std::vector<std::string> keys;
    for (auto& h : *hits)
      if (auto key = ownerFromComment(str(h, "content")); key && key->starts_with(prefix)) keys.push_back(*key);
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
  }

 private:
  static Result<void> checkKey(const Resource& r) {
    if (r.kind != ResourceKind::DnsRecordSet)
      return Error{ErrorKind::Internal, "a " + std::string(toString(r.kind)) + " resource was given to the DNS provider", {}};
    if (r.key.empty()) return Error::invalid("key", "a resource needs an identity key");
    return {};
  }

  static Result<RecordSetSpec> parse(const Resource& r) {
    if (auto ok = checkKey(r); !ok) return ok.error();
    return parseRecordSet(r.attributes);
  }

  static Error notFound(const std::string& key) {
    return Error::notFound("dns-record-set " + key + " not found on powerdns (no record set carries its owner comment)");
  }

  /// The error a non-2xx answer means, with PowerDNS's own "error" text.
  static Error apiError(const net::HttpResponse& resp) {
    auto e = net::statusError("powerdns", resp);
    std::string said;
    boost::system::error_code ec;
    auto v = json::parse(resp.body, ec);
    if (!ec && v.is_object()) said = str(v.get_object(), "error");
    if (e.kind == ErrorKind::Unauthorized)
      e.message = "powerdns refused the API key (HTTP " + std::to_string(resp.status) + (said.empty() ? "" : ": " + said) +
                  "): check settings.apiKey";
    else if (!said.empty())
      e.message = "powerdns answered " + std::to_string(resp.status) + ": " + said;
    return e;
  }

  Result<net::HttpResponse> call(std::string method, const std::string& path, const json::value* body = nullptr) const {
    net::HttpRequest req;
    req.method = std::move(method);
    req.url = url_ + "/api/v1/servers/" + net::uriEncode(server_) + path;
    req.headers = {{"X-API-Key", apiKey_}, {"Accept", "application/json"}};
    if (body) {
      req.headers.emplace_back("Content-Type", "application/json");
      req.body = json::serialize(*body);
    }
    req.timeout = timeout_;
    req.connectTimeout = std::min(timeout_, req.connectTimeout);
    return net::send(req);
  }

  /// Comments matching a search-data pattern ("*" any characters).
  Result<std::vector<json::object>> search(const std::string& pattern) const {
    auto resp = call("GET", "/search-data?q=" + net::uriEncode(pattern) + "&object_type=comment&max=" +
                                std::to_string(kMaxSearchResults));
    if (!resp) return resp.error();
    if (!net::ok(*resp)) return apiError(*resp);
    boost::system::error_code ec;
    auto v = json::parse(resp->body, ec);
    if (ec || !v.is_array()) return Error{ErrorKind::Provider, "powerdns search-data did not answer a JSON array", {}};
    std::vector<json::object> out;
    for (auto& e : v.get_array())
      if (e.is_object() && str(e.get_object(), "object_type") == "comment") out.push_back(e.get_object());
    if (out.size() >= static_cast<std::size_t>(kMaxSearchResults))
      return Error{ErrorKind::Provider, "powerdns holds more than " + std::to_string(kMaxSearchResults) +
                                            " matching comments; the list would be incomplete", {}};
    return out;
  }

  /// Every set whose comment is the key's owner comment.
  Result<std::vector<Location>> locate(const std::string& key) const {
    const auto comment = ownerComment(key);
    auto hits = search(comment);
    if (!hits) return hits.error();
    std::vector<Location> out;
    for (auto& h : *hits) {
      if (str(h, "content") != comment) continue;  // the search is a LIKE: take only the exact key
      auto zone = str(h, "zone_id").empty() ? str(h, "zone") : str(h, "zone_id");
      out.push_back({zone, lower(str(h, "name")), upper(str(h, "type"))});
    }
    return out;
  }

  /// The zone as GET returns it (with its rrsets); NotFound if the server has no such zone.
  Result<json::object> getZone(const std::string& zoneId) const {
    auto resp = call("GET", "/zones/" + net::uriEncode(zoneId));
    if (!resp) return resp.error();
    if (resp->status == 404 || (resp->status == 422 && resp->body.find("Could not find domain") != std::string::npos))
      return Error::notFound("powerdns has no zone " + zoneId);
    if (!net::ok(*resp)) return apiError(*resp);
    boost::system::error_code ec;
    auto v = json::parse(resp->body, ec);
    if (ec || !v.is_object()) return Error{ErrorKind::Provider, "powerdns answered a zone that is not a JSON object", {}};
    return std::move(v.get_object());
  }

  /// The set the key owns (with records), preferring the one at the spec's place; nullopt if none.
  Result<std::optional<Found>> findOwned(const std::string& key, const RecordSetSpec* spec) const {
    auto locations = locate(key);
    if (!locations) return locations.error();
    if (spec)
      std::stable_partition(locations->begin(), locations->end(), [&](const Location& l) {
        return lower(l.zoneId) == spec->zone + "." && l.name == spec->name && l.type == spec->type;
      });
    for (auto& at : *locations) {
      auto zone = getZone(at.zoneId);
      if (!zone && zone.error().kind == ErrorKind::NotFound) continue;
      if (!zone) return zone.error();
      auto* rrset = findRrset(*zone, at.name, at.type);
      if (!rrset || !hasRecords(*rrset) || ownerOf(*rrset) != key) continue;
      return std::optional<Found>(Found{at, *rrset});
    }
    return std::optional<Found>();
  }

  /// The set as the server holds it, in the attributes' form.
  static Observed observed(const Found& f) {
    RecordSetSpec spec;
    spec.zone = lower(f.at.zoneId);
    if (!spec.zone.empty() && spec.zone.back() == '.') spec.zone.pop_back();
    spec.name = f.at.name;
    spec.type = f.at.type;
    if (auto* ttl = f.rrset.if_contains("ttl"); ttl && ttl->is_number())
      spec.ttl = static_cast<std::uint32_t>(ttl->to_number<std::int64_t>());
    for (auto& rec : f.rrset.at("records").get_array()) {
      if (!rec.is_object()) continue;
      auto content = str(rec.get_object(), "content");
      if (spec.type == "TXT") {
        auto text = unquoteTxt(content);
        spec.records.push_back(text ? *text : content);
      } else {
        auto c = canonicalRecord(spec.type, content, "records");
        spec.records.push_back(c ? *c : content);
      }
    }
    std::sort(spec.records.begin(), spec.records.end());
    return Observed{recordSetAttributes(spec), {}};
  }

  /// Refuses to take a set that exists already and is not the key's.
  static Result<void> checkFree(const json::object& zone, const RecordSetSpec& spec, const std::string& key) {
    auto* rrset = findRrset(zone, spec.name, spec.type);
    if (!rrset || !hasRecords(*rrset)) return {};
    auto owner = ownerOf(*rrset);
    if (owner == key) return {};
    if (owner)
      return Error::conflict("the record set " + spec.name + " " + spec.type + " is held by " + *owner, "attributes.name");
    return Error::conflict("the record set " + spec.name + " " + spec.type + " exists in zone " + spec.zone +
                               " and is not managed by fedihost; it is left alone",
                           "attributes.name");
  }

  /// The zone, made (Native, SOA and NS from the settings) if the server has none.
  Result<json::object> ensureZone(const std::string& zone, const std::string& deployment) const {
    const std::string zoneId = zone + ".";
    auto existing = getZone(zoneId);
    if (existing || existing.error().kind != ErrorKind::NotFound) return existing;
    const std::string hostmaster = hostmaster_.empty() ? "hostmaster." + zoneId : hostmaster_;
    json::array ns;
    for (auto& n : nameservers_) ns.emplace_back(n);
    json::value body = json::object{
        {"name", zoneId},
        {"kind", "Native"},
        {"nameservers", std::move(ns)},
        {"account", "fedihost:" + deployment},
        {"soa_edit_api", "DEFAULT"},
        {"rrsets", json::array{json::object{
                       {"name", zoneId},
                       {"type", "SOA"},
                       {"ttl", 3600},
                       {"records", json::array{json::object{
                                       {"content", nameservers_.front() + " " + hostmaster + " 0 10800 3600 604800 300"},
                                       {"disabled", false}}}}}}}};
    auto resp = call("POST", "/zones", &body);
    if (!resp) return resp.error();
    if (resp->status == 409) return getZone(zoneId);  // made meanwhile by another call
    if (!net::ok(*resp)) return apiError(*resp);
    boost::system::error_code ec;
    auto v = json::parse(resp->body, ec);
    if (ec || !v.is_object()) return getZone(zoneId);
    return std::move(v.get_object());
  }

  static json::object deleteRrset(const Location& at) {
    return {{"name", at.name}, {"type", at.type}, {"changetype", "DELETE"}};
  }

  Result<void> patch(const std::string& zoneId, json::array rrsets) const {
    json::value body = json::object{{"rrsets", std::move(rrsets)}};
    auto resp = call("PATCH", "/zones/" + net::uriEncode(zoneId), &body);
    if (!resp) return resp.error();
    if (!net::ok(*resp)) {
      if (resp->status == 404 || (resp->status == 422 && resp->body.find("Could not find domain") != std::string::npos))
        return Error::notFound("powerdns has no zone " + zoneId);
      return apiError(*resp);
    }
    return {};
  }

  std::string url_;
  std::string apiKey_;
  std::string server_;
  std::vector<std::string> nameservers_;
  std::string hostmaster_;
  std::chrono::milliseconds timeout_{10000};
};

}  // namespace

std::unique_ptr<DnsProvider> makeDnsProvider(const ProviderConfig& config) {
  return std::make_unique<PowerDnsProvider>(config);
}

}  // namespace fedihost::providers::powerdns
