#include "secrets/reference.hh"

#include <cstdlib>

#include "core/private_file.hh"

namespace fedihost::secrets {

Result<std::string> readSecretFile(const std::filesystem::path& path, const std::string& field) {
  auto content = files::readFile(path);
  if (!content) return Error::invalid(field, content.error().message);
  if (!*content) return Error::invalid(field, "the secret file " + path.string() + " does not exist");
  std::string s = std::move(**content);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty()) return Error::invalid(field, "the secret file " + path.string() + " is empty");
  return s;
}

Result<std::string> readCredential(const std::string& name, const std::string& field, const char* credentialsDirectory) {
  if (name.empty() || name.find('/') != std::string::npos || name.front() == '.')
    return Error::invalid(field, "\"" + name + "\" is not a credential name");
  if (!credentialsDirectory || !*credentialsDirectory)
    return Error::invalid(field, "the systemd credential \"" + name +
                                     "\" is named, but CREDENTIALS_DIRECTORY is not set (LoadCredential= in the unit)");
  return readSecretFile(std::filesystem::path(credentialsDirectory) / name, field);
}

bool isReference(const json::value& v) {
  const auto* o = v.if_object();
  return o && o->size() == 1 && (o->contains("file") || o->contains("credential") || o->contains("sealed"));
}

Result<std::string> resolveReference(const json::object& ref, const SecretBox* box, const std::string& field) {
  if (ref.size() != 1) return Error::invalid(field, "a secret reference has one key: file, credential or sealed");
  const auto& kv = *ref.begin();
  const std::string key(kv.key());
  const auto& value = kv.value();
  if (!value.is_string() || value.get_string().empty())
    return Error::invalid(field + "." + key, "must be a non-empty string");
  std::string text(value.get_string());
  if (key == "file") return readSecretFile(text, field);
  if (key == "credential") return readCredential(text, field, std::getenv("CREDENTIALS_DIRECTORY"));
  if (key == "sealed") {
    if (!box) return Error::invalid(field, "a sealed secret needs the master key, which is not available here");
    auto clear = box->open(text);
    if (!clear) return Error::invalid(field, clear.error().message);
    return clear;
  }
  return Error::invalid(field, "unknown secret reference \"" + key + "\" (known: file, credential, sealed)");
}

namespace {
Result<json::value> resolveValue(const json::value& v, const SecretBox* box, const std::string& field) {
  if (isReference(v)) {
    auto clear = resolveReference(v.get_object(), box, field);
    if (!clear) return clear.error();
    return json::value(*clear);
  }
  if (const auto* o = v.if_object()) {
    json::object out;
    for (auto& kv : *o) {
      auto r = resolveValue(kv.value(), box, field + "." + std::string(kv.key()));
      if (!r) return r.error();
      out[kv.key()] = std::move(*r);
    }
    return json::value(std::move(out));
  }
  if (const auto* a = v.if_array()) {
    json::array out;
    for (std::size_t i = 0; i < a->size(); ++i) {
      auto r = resolveValue((*a)[i], box, field + "[" + std::to_string(i) + "]");
      if (!r) return r.error();
      out.push_back(std::move(*r));
    }
    return json::value(std::move(out));
  }
  return v;
}
}  // namespace

Result<json::object> resolveReferences(const json::object& settings, const SecretBox* box,
                                       const std::string& fieldPrefix) {
  auto r = resolveValue(json::value(settings), box, fieldPrefix);
  if (!r) return r.error();
  return std::move(r->get_object());
}

}  // namespace fedihost::secrets
