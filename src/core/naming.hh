#pragma once
// The names fedihost gives to things at providers, in one place, so that the
// expansion into resources, the NixOS rendering and the API agree.
#include <string>
#include <string_view>

namespace fedihost::naming {

/// The random part of an id: "dep_7k2m9x4q1c8v5b3n" -> "7k2m9x4q1c8v5b3n".
std::string_view idSuffix(std::string_view id);

/// Host name of an app: subdomain "mastodon" under "social.example.test" ->
/// "mastodon.social.example.test"; an empty subdomain is the domain itself.
std::string appHost(std::string_view domain, std::string_view subdomain);

/// Database (and its owner role) of an app: "mastodon_7k2m9x4q1c8v5b3n".
std::string databaseName(std::string_view deploymentId, std::string_view app);

/// Bucket of an app: "7k2m9x4q1c8v5b3n-mastodon-media" (S3-valid: lowercase, <= 63).
std::string bucketName(std::string_view deploymentId, std::string_view app, std::string_view bucket);

/// Mail account (sender address) of an app: "mastodon@social.example.test".
std::string mailAddress(std::string_view domain, std::string_view app);

/// Name of a generated secret of a deployment: secretName("mastodon", "database-password").
std::string secretName(std::string_view app, std::string_view purpose);

/// Where a secret file is delivered on the machine (never in the Nix store).
std::string secretPath(std::string_view secret);

}  // namespace fedihost::naming
