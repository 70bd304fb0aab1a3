#pragma once
// OpenSSH public key lines ("ssh-ed25519 AAAA… comment", as in authorized_keys and
// *.pub files): checked, and their SHA-256 fingerprints as `ssh-keygen -l` prints them.
#include <string>
#include <string_view>

#include "core/result.hh"

namespace fedihost::providers {

/// The key blob of one public key line (`type base64 [comment]`), checked: a known key
/// type, valid base64, and a blob that names the same type. Options before the type
/// (authorized_keys' `from=…`) and line breaks are refused. Invalid(field) otherwise.
Result<std::string> publicKeyBlob(std::string_view line, const std::string& field);

/// "SHA256:<base64 without padding>" of a key blob, as `ssh-keygen -lf` and libssh print it.
std::string sshFingerprint(std::string_view blob);

}  // namespace fedihost::providers
