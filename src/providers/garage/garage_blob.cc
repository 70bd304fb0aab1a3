// The "garage" bucket and access-key providers (garage.hh), over Garage's
// admin API v1.
#include <sodium.h>

#include <algorithm>
#include <optional>
#include <set>

#include "net/http.hh"
#include "providers/attributes.hh"
#include "providers/garage/garage.hh"
#include "providers/s3/s3.hh"

namespace fedihost::providers::garage {
namespace {

struct GarageSettings {
  std::string adminUrl;
  std::string adminToken;
  std::string s3Endpoint;
  std::string region;
  std::chrono::milliseconds timeout{10000};

  static GarageSettings from(const json::object& settings) {
    Settings s(settings);
    GarageSettings g;
    g.adminUrl = s.string("adminUrl");
    if (!g.adminUrl.starts_with("http://") && !g.adminUrl.starts_with("https://"))
      throw AbortError(Error::invalid("settings.adminUrl", "must be an http:// or https:// URL, e.g. http://127.0.0.1:3903"));
    while (g.adminUrl.ends_with("/")) g.adminUrl.pop_back();
    g.adminToken = s.string("adminToken");
    g.s3Endpoint = s.string("s3Endpoint");
    g.region = s.string("region", "garage");
    g.timeout = s.timeout();
    return g;
  }
  json::object outputs() const { return {{"endpoint", s3Endpoint}, {"region", region}}; }
};

/// An answer of the admin API: its status and its JSON body (null if none).
struct Answer {
  long status = 0;
  json::value body;
};

class AdminApi {
 public:
  explicit AdminApi(GarageSettings s) : s_(std::move(s)) {}
  const GarageSettings& settings() const { return s_; }

  /// One call; `pathAndQuery` starts with "/v1/". The answer whatever its status.
  Result<Answer> call(const std::string& method, const std::string& pathAndQuery, const json::object* body = nullptr) const {
    net::HttpRequest req;
    req.method = method;
    req.url = s_.adminUrl + pathAndQuery;
    req.headers = {{"Authorization", "Bearer " + s_.adminToken}, {"Accept", "application/json"}};
    if (body) {
      req.headers.emplace_back("Content-Type", "application/json");
      req.body = json::serialize(*body);
    }
    req.timeout = s_.timeout;
    auto r = net::send(req);
    if (!r) return r.error();
    Answer a;
    a.status = r->status;
    if (!r->body.empty()) {
      boost::system::error_code ec;
      a.body = json::parse(r->body, ec);
      if (ec && net::ok(*r))
        return Error{ErrorKind::Provider, "Garage admin API at " + s_.adminUrl + " answered " + method + " " +
                                              pathAndQuery + " with something that is not JSON",
                     {}};
    }
    if (!net::ok(*r)) return failure(*r, a);
    return a;
  }

 private:
  /// net::statusError's kind, with Garage's own {"code", "message"} when it gave them.
  Error failure(const net::HttpResponse& r, const Answer& a) const {
    Error e = net::statusError("Garage admin API at " + s_.adminUrl, r);
    if (const auto* o = a.body.if_object()) {
      const auto* code = o->if_contains("code");
      const auto* message = o->if_contains("message");
      if (code && code->is_string() && message && message->is_string()) {
        e.message = "Garage admin API at " + s_.adminUrl + " answered " + std::to_string(r.status) + ": " +
                    std::string(code->get_string()) + ": " + std::string(message->get_string());
        if (e.kind == ErrorKind::Unauthorized) e.message += " (credentials refused)";
      }
    }
    return e;
  }

  GarageSettings s_;
};

std::string str(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string{};
}

bool flag(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  return v && v->is_bool() && v->get_bool();
}

std::vector<std::string> strings(const json::object& o, std::string_view name) {
  std::vector<std::string> out;
  if (auto* v = o.if_contains(name); v && v->is_array())
    for (auto& e : v->get_array())
      if (e.is_string()) out.emplace_back(e.get_string());
  return out;
}

Result<json::object> asObject(const Answer& a, std::string_view what) {
  if (!a.body.is_object()) return Error{ErrorKind::Provider, "Garage answered " + std::string(what) + " without a JSON object", {}};
  return a.body.get_object();
}

/// The bucket with a global alias; nullopt if there is none.
Result<std::optional<json::object>> findBucket(const AdminApi& api, const std::string& alias) {
  auto r = api.call("GET", "/v1/bucket?globalAlias=" + net::uriEncode(alias));
  if (!r) {
    if (r.error().kind == ErrorKind::NotFound) return std::optional<json::object>{};
    return r.error();
  }
  auto o = asObject(*r, "GetBucketInfo");
  if (!o) return o.error();
  return std::optional<json::object>(std::move(*o));
}

// ---------------------------------------------------------------- buckets

struct BucketSpec {
  std::string name;
  std::optional<json::object> quotas;         ///< {"maxSize", "maxObjects"}, each a number or null
  std::optional<json::object> websiteAccess;  ///< {"enabled", "indexDocument", "errorDocument"}
};

Result<BucketSpec> parseBucket(const Resource& r) {
  BucketSpec spec;
  auto name = stringAttribute(r.attributes, "name");
  if (!name) return name.error();
  spec.name = *name;
  if (auto ok = s3::checkBucketName(spec.name, "attributes.name"); !ok) return ok.error();
  if (s3::bucketKeyFromName(r.deployment, spec.name).empty())
    return Error::invalid("attributes.name", "\"" + spec.name + "\" must start with the deployment's id suffix and \"-\" "
                                                 "(as naming::bucketName makes it): that is how list() knows it");
  if (auto* p = r.attributes.if_contains("purpose"); p && !p->is_string())
    return Error::invalid("attributes.purpose", "must be a string");
  if (auto* v = r.attributes.if_contains("versioning"); v && !(v->is_bool() && !v->get_bool()))
    return Error::invalid("attributes.versioning", "Garage has no bucket versioning");
  if (auto* q = r.attributes.if_contains("quotas")) {
    const auto* o = q->if_object();
    if (!o) return Error::invalid("attributes.quotas", "must be {\"maxSize\": bytes or null, \"maxObjects\": n or null}");
    json::object quotas;
    for (auto field : {"maxSize", "maxObjects"}) {
      const auto* v = o->if_contains(field);
      if (!v || v->is_null()) continue;
      if (!(v->is_int64() && v->get_int64() >= 0) && !v->is_uint64())
        return Error::invalid("attributes.quotas." + std::string(field), "must be a non-negative integer or null");
      quotas[field] = *v;
    }
    for (auto& [k, _] : *o)
      if (k != "maxSize" && k != "maxObjects") return Error::invalid("attributes.quotas." + std::string(k), "is not a quota");
    spec.quotas = std::move(quotas);
  }
  if (auto* w = r.attributes.if_contains("websiteAccess")) {
    const auto* o = w->if_object();
    if (!o || !o->contains("enabled") || !o->at("enabled").is_bool())
      return Error::invalid("attributes.websiteAccess", "must be {\"enabled\": bool, \"indexDocument\", \"errorDocument\"}");
    json::object web{{"enabled", o->at("enabled")}};
    for (auto field : {"indexDocument", "errorDocument"})
      if (const auto* v = o->if_contains(field); v && !v->is_null()) {
        if (!v->is_string()) return Error::invalid("attributes.websiteAccess." + std::string(field), "must be a string");
        web[field] = *v;
      }
    if (web.at("enabled").get_bool() && !web.contains("indexDocument"))
      return Error::invalid("attributes.websiteAccess.indexDocument", "is required when the website is enabled");
    if (!web.at("enabled").get_bool() && web.size() > 1)
      return Error::invalid("attributes.websiteAccess", "takes no documents when the website is disabled");
    spec.websiteAccess = std::move(web);
  }
  return spec;
}

/// What Garage holds of a bucket, in the attributes' form.
json::object heldQuotas(const json::object& info) {
  json::object out;
  if (auto* q = info.if_contains("quotas"); q && q->is_object())
    for (auto field : {"maxSize", "maxObjects"})
      if (auto* v = q->get_object().if_contains(field); v && !v->is_null()) out[field] = *v;
  return out;
}

json::object heldWebsite(const json::object& info) {
  json::object out{{"enabled", flag(info, "websiteAccess")}};
  if (auto* c = info.if_contains("websiteConfig"); c && c->is_object())
    for (auto field : {"indexDocument", "errorDocument"})
      if (auto* v = c->get_object().if_contains(field); v && v->is_string()) out[field] = *v;
  return out;
}

class GarageBlobProvider final : public BlobProvider {
 public:
  explicit GarageBlobProvider(GarageSettings s) : api_(std::move(s)) {}

  std::string implementation() const override { return "garage"; }

  Result<Observed> create(const ResolvedResource& rr) override {
    auto spec = parseBucket(rr.resource);
    if (!spec) return spec.error();
    auto found = findBucket(api_, spec->name);
    if (!found) return found.error();
    if (!*found) {
      json::object body{{"globalAlias", spec->name}};
      auto made = api_.call("POST", "/v1/bucket", &body);
      if (made) {
        auto o = asObject(*made, "CreateBucket");
        if (!o) return o.error();
        *found = std::move(*o);
      } else if (made.error().message.find("BucketAlreadyExists") != std::string::npos) {
        found = findBucket(api_, spec->name);  // made meanwhile
        if (!found) return found.error();
        if (!*found) return made.error();
      } else {
        return made.error();
      }
    }
    return apply(*spec, **found);
  }

  Result<Observed> read(const ResolvedResource& rr) override {
    auto spec = parseBucket(rr.resource);
    if (!spec) return spec.error();
    auto found = findBucket(api_, spec->name);
    if (!found) return found.error();
    if (!*found) return missing(spec->name);
    return observe(**found);
  }

  Result<Observed> update(const ResolvedResource& rr) override {
    auto spec = parseBucket(rr.resource);
    if (!spec) return spec.error();
    auto found = findBucket(api_, spec->name);
    if (!found) return found.error();
    if (!*found) return missing(spec->name);
    return apply(*spec, **found);
  }

  Result<void> remove(const ResolvedResource& rr) override {
    auto name = stringAttribute(rr.resource.attributes, "name");
    if (!name) return name.error();
    auto found = findBucket(api_, *name);
    if (!found) return found.error();
    if (!*found) return {};
    auto r = api_.call("DELETE", "/v1/bucket?id=" + net::uriEncode(str(**found, "id")));
    if (!r && r.error().kind != ErrorKind::NotFound) return r.error();
    return {};
  }

  /// GetBucketInfo by the bucket's id (GET /v1/bucket?id=): Garage's "bytes" and "objects".
  Result<StoredSize> storedSize(const ResolvedResource& rr) override {
    auto name = stringAttribute(rr.resource.attributes, "name");
    if (!name) return name.error();
    auto found = findBucket(api_, *name);
    if (!found) return found.error();
    if (!*found) return missing(*name);
    auto r = api_.call("GET", "/v1/bucket?id=" + net::uriEncode(str(**found, "id")));
    if (!r) return r.error();
    auto info = asObject(*r, "GetBucketInfo");
    if (!info) return info.error();
    StoredSize size;
    for (auto [field, out] : {std::pair{"bytes", &size.bytes}, std::pair{"objects", &size.objects}}) {
      auto* v = info->if_contains(field);
      if (!v || !(v->is_int64() || v->is_uint64()) || (v->is_int64() && v->get_int64() < 0) ||
          (v->is_uint64() && v->get_uint64() > static_cast<std::uint64_t>(INT64_MAX)))
        return Error{ErrorKind::Provider, "Garage at " + api_.settings().adminUrl + " answered GetBucketInfo of \"" +
                                              *name + "\" without a count of " + field, {}};
      *out = v->is_int64() ? v->get_int64() : static_cast<std::int64_t>(v->get_uint64());
    }
    return size;
  }

  Result<std::vector<std::string>> list(std::string_view deployment) override {
    auto r = api_.call("GET", "/v1/bucket");
    if (!r) return r.error();
    if (!r->body.is_array()) return Error{ErrorKind::Provider, "Garage answered ListBuckets without an array", {}};
    std::vector<std::string> keys;
    for (auto& b : r->body.get_array()) {
      if (!b.is_object()) continue;
      for (auto& alias : strings(b.get_object(), "globalAliases"))
        if (auto key = s3::bucketKeyFromName(deployment, alias); !key.empty()) keys.push_back(std::move(key));
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
  }

 private:
  Error missing(const std::string& name) const {
    return Error::notFound("Garage at " + api_.settings().adminUrl + " has no bucket \"" + name + "\"");
  }

  /// Brings quotas and website access to what the spec asks (UpdateBucket), if they differ.
  Result<Observed> apply(const BucketSpec& spec, const json::object& info) {
    json::object body;
    if (spec.quotas && *spec.quotas != heldQuotas(info))
      body["quotas"] = json::object{{"maxSize", spec.quotas->contains("maxSize") ? spec.quotas->at("maxSize") : nullptr},
                                    {"maxObjects", spec.quotas->contains("maxObjects") ? spec.quotas->at("maxObjects") : nullptr}};
    if (spec.websiteAccess && *spec.websiteAccess != heldWebsite(info)) body["websiteAccess"] = *spec.websiteAccess;
    if (body.empty()) return observe(info);
    auto r = api_.call("PUT", "/v1/bucket?id=" + net::uriEncode(str(info, "id")), &body);
    if (!r) return r.error();
    auto o = asObject(*r, "UpdateBucket");
    if (!o) return o.error();
    return observe(*o);
  }

  Observed observe(const json::object& info) const {
    auto aliases = strings(info, "globalAliases");
    return Observed{{{"name", aliases.empty() ? std::string{} : aliases.front()},
                     {"quotas", heldQuotas(info)},
                     {"websiteAccess", heldWebsite(info)}},
                    api_.settings().outputs()};
  }

  AdminApi api_;
};

// ---------------------------------------------------------------- access keys

struct KeySpec {
  std::vector<std::string> buckets;  ///< sorted, unique
};

Result<KeySpec> parseKey(const Resource& r) {
  KeySpec spec;
  if (auto* n = r.attributes.if_contains("name"); n && !n->is_string())
    return Error::invalid("attributes.name", "must be a string");
  if (auto* b = r.attributes.if_contains("buckets")) {
    const auto* arr = b->if_array();
    if (!arr) return Error::invalid("attributes.buckets", "must be an array of bucket names");
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const std::string field = "attributes.buckets[" + std::to_string(i) + "]";
      if (!(*arr)[i].is_string()) return Error::invalid(field, "must be a bucket name");
      std::string name((*arr)[i].get_string());
      if (auto ok = s3::checkBucketName(name, field); !ok) return ok.error();
      spec.buckets.push_back(std::move(name));
    }
  }
  std::sort(spec.buckets.begin(), spec.buckets.end());
  spec.buckets.erase(std::unique(spec.buckets.begin(), spec.buckets.end()), spec.buckets.end());
  return spec;
}

/// The secret as Garage takes it: 64 hex digits (32 bytes).
Result<std::string> garageSecret(const ResolvedResource& rr) {
  auto secret = openSecret(rr, "secretKey");
  if (!secret) return secret.error();
  bool ok = secret->size() == 64;
  for (char c : *secret) ok = ok && std::isxdigit(static_cast<unsigned char>(c));
  if (!ok)
    return Error::invalid("attributes.secretKey", "Garage takes only a secret key of 64 hexadecimal digits (32 bytes); "
                                                  "this one has " + std::to_string(secret->size()) + " characters");
  return secret;
}

std::string newKeyId() {
  static const bool ok = sodium_init() >= 0;
  (void)ok;
  unsigned char bytes[12];
  randombytes_buf(bytes, sizeof bytes);
  char hex[2 * sizeof bytes + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return "GK" + std::string(hex);
}

class GarageAccessKeyProvider final : public AccessKeyProvider {
 public:
  explicit GarageAccessKeyProvider(GarageSettings s) : api_(std::move(s)) {}

  std::string implementation() const override { return "garage"; }

  Result<Observed> create(const ResolvedResource& rr) override {
    auto spec = parseKey(rr.resource);
    if (!spec) return spec.error();
    auto secret = garageSecret(rr);
    if (!secret) return secret.error();
    auto key = findKey(rr.resource.key);
    if (!key) return key.error();
    if (*key) {
      if (str(**key, "secretAccessKey") != *secret) return secretChanged(rr.resource.key);
    } else {
      for (int attempt = 0; attempt < 2 && !*key; ++attempt) {
        json::object body{{"name", rr.resource.key}, {"accessKeyId", newKeyId()}, {"secretAccessKey", *secret}};
        auto made = api_.call("POST", "/v1/key/import", &body);
        if (!made) {
          if (made.error().message.find("KeyAlreadyExists") != std::string::npos) continue;  // a taken id: draw again
          return made.error();
        }
        auto o = asObject(*made, "ImportKey");
        if (!o) return o.error();
        *key = std::move(*o);
      }
      if (!*key) return Error{ErrorKind::Provider, "Garage refused two fresh key ids in a row", {}};
    }
    return converge(*spec, **key, /*denyOthers=*/false);
  }

  Result<Observed> read(const ResolvedResource& rr) override {
    auto spec = parseKey(rr.resource);
    if (!spec) return spec.error();
    auto key = findKey(rr.resource.key);
    if (!key) return key.error();
    if (!*key) return missing(rr.resource.key);
    return observe(**key);
  }

  Result<Observed> update(const ResolvedResource& rr) override {
    auto spec = parseKey(rr.resource);
    if (!spec) return spec.error();
    auto secret = garageSecret(rr);
    if (!secret) return secret.error();
    auto key = findKey(rr.resource.key);
    if (!key) return key.error();
    if (!*key) return missing(rr.resource.key);
    if (str(**key, "secretAccessKey") != *secret) return secretChanged(rr.resource.key);
    return converge(*spec, **key, /*denyOthers=*/true);
  }

  Result<void> remove(const ResolvedResource& rr) override {
    auto key = findKey(rr.resource.key);
    if (!key) return key.error();
    if (!*key) return {};
    auto r = api_.call("DELETE", "/v1/key?id=" + net::uriEncode(str(**key, "accessKeyId")));
    if (!r && r.error().kind != ErrorKind::NotFound) return r.error();
    return {};
  }

  Result<std::vector<std::string>> list(std::string_view deployment) override {
    auto r = api_.call("GET", "/v1/key");
    if (!r) return r.error();
    if (!r->body.is_array()) return Error{ErrorKind::Provider, "Garage answered ListKeys without an array", {}};
    const std::string prefix = resourceKey(deployment, ResourceKind::AccessKey, "");
    std::vector<std::string> keys;
    for (auto& k : r->body.get_array())
      if (k.is_object())
        if (auto name = str(k.get_object(), "name"); name.starts_with(prefix) && name.size() > prefix.size())
          keys.push_back(std::move(name));
    std::sort(keys.begin(), keys.end());
    return keys;
  }

 private:
  /// The key whose Garage name is the identity key (with its secret); nullopt if none.
  Result<std::optional<json::object>> findKey(const std::string& identity) const {
    auto r = api_.call("GET", "/v1/key?search=" + net::uriEncode(identity) + "&showSecretKey=true");
    if (!r) {
      if (r.error().kind == ErrorKind::NotFound) return std::optional<json::object>{};
      return r.error();
    }
    auto o = asObject(*r, "GetKeyInfo");
    if (!o) return o.error();
    if (str(*o, "name") != identity) return std::optional<json::object>{};  // matched a key id prefix, not ours
    return std::optional<json::object>(std::move(*o));
  }

  Error missing(const std::string& identity) const {
    return Error::notFound("Garage at " + api_.settings().adminUrl + " has no key named \"" + identity + "\"");
  }
  Error secretChanged(const std::string& identity) const {
    return Error::conflict("Garage cannot change the secret of key \"" + identity +
                               "\": replace the access key to change its secret",
                           "attributes.secretKey");
  }

  /// Read and write on the spec's buckets; with `denyOthers`, none on the others it has.
  Result<Observed> converge(const KeySpec& spec, json::object key, bool denyOthers) {
    const std::string id = str(key, "accessKeyId");
    std::set<std::string> granted;  // global aliases of the buckets it reads and writes
    std::vector<std::string> others;  // ids of other buckets it has a permission on
    if (auto* bs = key.if_contains("buckets"); bs && bs->is_array())
      for (auto& b : bs->get_array()) {
        if (!b.is_object()) continue;
        const auto& bo = b.get_object();
        auto aliases = strings(bo, "globalAliases");
        const auto* perms = bo.if_contains("permissions");
        const bool rw = perms && perms->is_object() && flag(perms->get_object(), "read") && flag(perms->get_object(), "write");
        bool wanted = false;
        for (auto& a : aliases) {
          if (std::binary_search(spec.buckets.begin(), spec.buckets.end(), a)) wanted = true;
          if (rw) granted.insert(a);
        }
        if (!wanted) others.push_back(str(bo, "id"));
      }
    bool changed = false;
    for (auto& bucket : spec.buckets) {
      if (granted.count(bucket)) continue;
      auto found = findBucket(api_, bucket);
      if (!found) return found.error();
      if (!*found)
        return Error{ErrorKind::Provider, "bucket \"" + bucket + "\" of attributes.buckets does not exist in Garage at " +
                                              api_.settings().adminUrl, {}};
      json::object body{{"bucketId", str(**found, "id")},
                        {"accessKeyId", id},
                        {"permissions", json::object{{"read", true}, {"write", true}, {"owner", false}}}};
      auto r = api_.call("POST", "/v1/bucket/allow", &body);
      if (!r) return r.error();
      changed = true;
    }
    if (denyOthers)
      for (auto& bucketId : others) {
        json::object body{{"bucketId", bucketId},
                          {"accessKeyId", id},
                          {"permissions", json::object{{"read", true}, {"write", true}, {"owner", true}}}};
        auto r = api_.call("POST", "/v1/bucket/deny", &body);
        if (!r && r.error().kind != ErrorKind::NotFound) return r.error();
        changed = true;
      }
    if (changed) {
      auto again = api_.call("GET", "/v1/key?id=" + net::uriEncode(id));
      if (!again) return again.error();
      auto o = asObject(*again, "GetKeyInfo");
      if (!o) return o.error();
      key = std::move(*o);
    }
    return observe(key);
  }

  Observed observe(const json::object& key) const {
    std::vector<std::string> held;
    if (auto* bs = key.if_contains("buckets"); bs && bs->is_array())
      for (auto& b : bs->get_array()) {
        if (!b.is_object()) continue;
        const auto* perms = b.get_object().if_contains("permissions");
        if (!(perms && perms->is_object() && flag(perms->get_object(), "read") && flag(perms->get_object(), "write")))
          continue;
        for (auto& a : strings(b.get_object(), "globalAliases")) held.push_back(a);
      }
    std::sort(held.begin(), held.end());
    json::array buckets;
    for (auto& h : held) buckets.emplace_back(h);
    json::object outputs = api_.settings().outputs();
    outputs["accessKeyId"] = str(key, "accessKeyId");
    return Observed{{{"buckets", std::move(buckets)}}, outputs};
  }

  AdminApi api_;
};

}  // namespace

std::unique_ptr<BlobProvider> makeBlobProvider(const ProviderConfig& config) {
  return std::make_unique<GarageBlobProvider>(GarageSettings::from(config.settings));
}

std::unique_ptr<AccessKeyProvider> makeAccessKeyProvider(const ProviderConfig& config) {
  return std::make_unique<GarageAccessKeyProvider>(GarageSettings::from(config.settings));
}

}  // namespace fedihost::providers::garage
