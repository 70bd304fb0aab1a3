#include "providers/attributes.hh"

namespace fedihost::providers {

Result<std::string> stringAttribute(const json::object& attrs, std::string_view name) {
  auto* v = attrs.if_contains(name);
  if (!v) return Error::invalid("attributes." + std::string(name), "is required");
  if (!v->is_string()) return Error::invalid("attributes." + std::string(name), "must be a string");
  return std::string(v->get_string());
}

Result<void> checkSealed(const json::object& attrs, std::string_view name, bool required) {
  const std::string field = "attributes." + std::string(name);
  auto* v = attrs.if_contains(name);
  if (!v) {
    if (required) return Error::invalid(field, "is required");
    return {};
  }
  const auto* o = v->if_object();
  const json::value* secret = o ? o->if_contains("secret") : nullptr;
  const json::value* sealed = o ? o->if_contains("sealed") : nullptr;
  if (!secret || !secret->is_string() || !sealed || !sealed->is_string() ||
      !secrets::SecretBox::looksSealed(sealed->get_string()))
    return Error::invalid(field, "must be a sealed secret {\"secret\": name, \"sealed\": \"sb2:...\"}; "
                                 "providers never receive a secret in clear");
  return {};
}

Result<std::string> openSecret(const ResolvedResource& r, std::string_view name) {
  if (auto ok = checkSealed(r.resource.attributes, name, true); !ok) return ok.error();
  if (!r.box) return Error{ErrorKind::Internal, "no secret box to open attributes." + std::string(name), {}};
  auto sealed = r.resource.attributes.at(name).as_object().at("sealed").as_string();
  return r.box->open(std::string_view(sealed.data(), sealed.size()));
}

namespace {
[[noreturn]] void bad(std::string_view name, std::string msg) {
  throw AbortError(Error::invalid("settings." + std::string(name), std::move(msg)));
}
}  // namespace

std::string Settings::string(std::string_view name) const {
  auto* v = s_.if_contains(name);
  if (!v) bad(name, "is required");
  if (!v->is_string() || v->get_string().empty()) bad(name, "must be a non-empty string");
  return std::string(v->get_string());
}

std::string Settings::string(std::string_view name, std::string_view fallback) const {
  if (!s_.contains(name)) return std::string(fallback);
  return string(name);
}

std::int64_t Settings::integer(std::string_view name, std::int64_t fallback) const {
  auto* v = s_.if_contains(name);
  if (!v) return fallback;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  bad(name, "must be an integer");
}

bool Settings::boolean(std::string_view name, bool fallback) const {
  auto* v = s_.if_contains(name);
  if (!v) return fallback;
  if (!v->is_bool()) bad(name, "must be true or false");
  return v->get_bool();
}

std::vector<std::string> Settings::strings(std::string_view name) const {
  std::vector<std::string> out;
  auto* v = s_.if_contains(name);
  if (!v) return out;
  if (!v->is_array()) bad(name, "must be an array of strings");
  for (auto& e : v->get_array()) {
    if (!e.is_string()) bad(name, "must be an array of strings");
    out.emplace_back(e.get_string());
  }
  return out;
}

}  // namespace fedihost::providers
