#pragma once
// Secrets given by reference instead of in clear, in target files and in the
// configuration file: {"file": "/path"} (the file's content), {"credential": "name"}
// (a systemd credential: $CREDENTIALS_DIRECTORY/name) or {"sealed": "sb2:…"}
// (sealed under the master key with `fedihost secret seal`).
#include <boost/json.hpp>
#include <filesystem>
#include <string>

#include "core/result.hh"
#include "secrets/secret_box.hh"

namespace fedihost::secrets {

namespace json = boost::json;

/// A file's content without its final line break(s); Invalid naming `field` if unreadable or empty.
Result<std::string> readSecretFile(const std::filesystem::path& path, const std::string& field);
/// The systemd credential `name` (from $CREDENTIALS_DIRECTORY, as `getenv` tells).
Result<std::string> readCredential(const std::string& name, const std::string& field,
                                   const char* credentialsDirectory);

/// True if `v` is an object of exactly one of the keys file, credential, sealed.
bool isReference(const json::value& v);
/// The clear text a reference names; Invalid naming `field` when it cannot be read or opened.
/// `box` may be null when no sealed value is expected (a sealed one is then an error).
Result<std::string> resolveReference(const json::object& ref, const SecretBox* box, const std::string& field);

/// A copy of `settings` with every reference (at any depth) replaced by its clear text.
Result<json::object> resolveReferences(const json::object& settings, const SecretBox* box,
                                       const std::string& fieldPrefix);

}  // namespace fedihost::secrets
