#pragma once
// Rendering of a machine's NixOS configuration (configuration.json), which the
// static modules in nix/ read. Deterministic: same input, same bytes.
#include <boost/json.hpp>
#include <string>

#include "core/domain.hh"

namespace fedihost::nixos {

namespace json = boost::json;

/// Inputs that come from other resources, passed as values or as unresolved
/// references ({"ref": key, "output": name}).
struct MachineInputs {
  std::string machineName;  ///< e.g. "main"
  json::value address;      ///< the machine's IPv4 address (or a reference to it)
};

/// The configuration of the machine that runs all of `d`'s apps. Secrets appear
/// only as file paths under /run/fedihost/secrets/, never as values.
///
/// It records the deployment's catalog release and nixpkgs revision, and per app
/// the instance's version (else the catalog's) and settings schema. Settings on
/// the catalog's current schema are validated and completed with defaults;
/// settings stored under another schema are rendered as stored (they are
/// migrated only when their owner upgrades the app).
///
/// Where an app's services are comes from their providers, as references to the outputs of
/// the deployment's resources ({"ref": key, "output": name}), resolved at apply time: the
/// database's host, port, name and role (a file database: "localhost", a machine-local
/// server of its engine, listed under services.postgresql / services.mysql), the S3 endpoint,
/// region and key id of the app's access key, the SMTP relay's host, port and login of its
/// mail account, and the serial of the deployment's certificate, whose chain and key are
/// delivered beside the secrets (services.nginx.certificate).
/// Throws AbortError for an unknown app, an app listed twice or a host name used twice.
json::object renderMachineConfiguration(const Deployment& d, const MachineInputs& inputs);

/// The host name of an app of a deployment, e.g. "mastodon.social.example.test".
std::string appHost(const Deployment& d, const AppInstance& app);

/// Every host name a deployment publishes in DNS: its domain, each app's host and
/// the app's extra hosts; sorted, each once. Unknown apps are skipped.
std::vector<std::string> publishedHosts(const Deployment& d);

}  // namespace fedihost::nixos
