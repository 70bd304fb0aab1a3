// The NixOS modules in nix/: every file parses, and every app's module,
// evaluated on the configuration fedihost renders for a deployment with that
// app, sets the nixpkgs options we expect, with secrets only as file paths.
//
// NixOS itself cannot be built here (no nixpkgs, no network): the modules are
// evaluated with nix/tests/eval.nix, a small model of the module system with
// a stub of lib and pkgs. What that leaves unchecked is listed in nix/README.md.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "catalog/catalog.hh"
#include "core/json_util.hh"
#include "core/naming.hh"
#include "nixos/render.hh"
#include "support/process.hh"
#include "support/temp_dir.hh"

namespace fedihost {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kSource = FEDIHOST_SOURCE_DIR;
const std::string kNix = kSource + "/nix";
const std::string kAccessKeyId = "GKfedihostaccesskey0000";
const std::string kAddress = "192.0.2.10";
const std::string kSecrets = "/run/fedihost/secrets/";

std::string nixInstantiate() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && ::access((dir + "/nix-instantiate").c_str(), X_OK) == 0) return dir + "/nix-instantiate";
  return {};
}

#define SKIP_WITHOUT_NIX()                                                          \
  if (nixInstantiate().empty()) GTEST_SKIP() << "nix-instantiate is not installed"

std::string shellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// A Nix string literal.
std::string nixString(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\' || c == '$') q += '\\';
    q += c;
  }
  return q + "\"";
}

/// A Nix path from an absolute file name (whatever characters it holds).
std::string nixPath(const std::string& absolute) { return "(/. + " + nixString(absolute) + ")"; }

struct NixResult {
  int exitCode = -1;
  std::string out;
  std::string err;
};

NixResult runNix(const std::string& args) {
  testing::TempDir tmp("fedihost-nix");
  const std::string errFile = (tmp / "stderr").string();
  NixResult r;
  FILE* p = ::popen((shellQuote(nixInstantiate()) + " --store dummy:// " + args + " 2>" + shellQuote(errFile)).c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = ::pclose(p);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(errFile);
  std::stringstream e;
  e << in.rdbuf();
  r.err = e.str();
  return r;
}

// ---- the deployment and its rendered configuration --------------------------

Deployment deployment(const std::vector<std::string>& apps) {
  Deployment d;
  d.id = "dep_0000000000000000";
  d.organisation = "org_0000000000000000";
  d.name = "social";
  d.domain = "social.example.test";
  d.catalogVersion = catalog::release().version;
  d.nixpkgsRevision = catalog::release().nixpkgsRevision;
  for (auto& id : apps) {
    auto* app = catalog::find(id);
    if (!app) throw std::runtime_error("the catalog has no " + id);
    AppInstance inst;
    inst.app = id;
    inst.settings = catalog::validateSettings(*app, json::object{}, "apps[0].settings").orThrow();
    d.apps.push_back(std::move(inst));
  }
  return d;
}

json::object render(const Deployment& d) {
  return nixos::renderMachineConfiguration(
      d, {"main", json::object{{"ref", resourceKey(d.id, ResourceKind::IpAddress, "main")}, {"output", "address"}}});
}

/// The output `output` of the resource `key` ("<deployment>/<kind>/<name>").
using Outputs = std::function<json::value(const std::string& key, const std::string& output)>;

/// What the file providers (the local target) give: a database on the machine's own server,
/// no relay and no object storage (the machine's operator names them).
json::value fileOutputs(const std::string& key, const std::string& output) {
  const std::string kind = key.substr(key.find('/') + 1, key.rfind('/') - key.find('/') - 1);
  const std::string name = key.substr(key.rfind('/') + 1);
  const std::string deployment = key.substr(0, key.find('/'));
  if (output == "address") return json::value(kAddress);
  if (output == "accessKeyId") return json::value(kAccessKeyId);
  if (kind == "access-key" && (output == "endpoint" || output == "region")) return "";
  if (kind == "database") {
    const bool mysql = catalog::find(name)->needs.databases.front() == "mysql";
    if (output == "host") return "localhost";
    if (output == "port") return mysql ? 3306 : 5432;
    if (output == "name" || output == "role") return json::value(naming::databaseName(deployment, name));
  }
  if (kind == "mail-account") {
    if (output == "host") return "";
    if (output == "port") return 587;
    if (output == "username") return json::value(naming::mailAddress("social.example.test", name));
  }
  if (kind == "certificate" && output == "serial") return "0a1b2c";
  throw std::runtime_error("unexpected reference to " + output + " of " + key);
}

/// What a target's real providers give (postgresql, s3 or garage, postfix, acme).
json::value realOutputs(const std::string& key, const std::string& output) {
  const std::string kind = key.substr(key.find('/') + 1, key.rfind('/') - key.find('/') - 1);
  if (kind == "database" && output == "host") return "db.dc1.example.net";
  if (kind == "database" && output == "port") return 6432;
  if (kind == "access-key" && output == "endpoint") return "https://s3.dc1.example.net:3900";
  if (kind == "access-key" && output == "region") return "dc1";
  if (kind == "mail-account" && output == "host") return "smtp.dc1.example.net";
  if (kind == "mail-account" && output == "port") return 2525;
  return fileOutputs(key, output);
}

/// Replaces {"ref", "output"} references by values, as the executor does before delivering the file.
json::value resolve(const json::value& v, const Outputs& outputs = fileOutputs) {
  if (v.is_object()) {
    const auto& o = v.get_object();
    if (o.size() == 2 && o.contains("ref") && o.contains("output"))
      return outputs(std::string(o.at("ref").as_string()), std::string(o.at("output").as_string()));
    json::object out;
    for (auto& kv : o) out[kv.key()] = resolve(kv.value(), outputs);
    return out;
  }
  if (v.is_array()) {
    json::array out;
    for (auto& e : v.get_array()) out.push_back(resolve(e, outputs));
    return out;
  }
  return v;
}

/// What the machine's operator sets beside the configuration.
std::string operatorConfig(bool edumeet) {
  std::string c =
      "{ fedihost.smtp.host = \"smtp.example.test\"; fedihost.s3.endpoint = \"https://s3.example.test:3900\";";
  if (edumeet)
    c +=
        " fedihost.edumeet = { roomServerPackage = \"/nix/store/00000000000000000000000000000000-edumeet-room-server\";"
        " mediaNodePackage = \"/nix/store/00000000000000000000000000000000-edumeet-media-node\";"
        " clientPackage = \"/nix/store/00000000000000000000000000000000-edumeet-client\"; };";
  return c + " }";
}

struct Evaluation {
  json::object rendered;  ///< the configuration as delivered (references resolved)
  NixResult nix;
  json::value config;  ///< the evaluated NixOS `config`, when nix succeeded
};

/// Writes `rendered` to a file and evaluates `module` on it with nix/tests/eval.nix.
Evaluation evaluate(const std::string& module, json::object rendered, const std::string& extraConfig) {
  testing::TempDir tmp("fedihost-nix-eval");
  const std::string file = (tmp / "configuration.json").string();
  std::ofstream(file, std::ios::binary) << jsonutil::canonical(rendered);
  const std::string expr = "import " + nixPath(kNix + "/tests/eval.nix") + " { module = " + nixPath(module) +
                           "; configurationFile = " + nixString(file) + "; extraConfig = " + extraConfig + "; }";
  Evaluation e{std::move(rendered), runNix("--eval --strict --json -E " + shellQuote(expr)), nullptr};
  if (e.nix.exitCode == 0) e.config = json::parse(e.nix.out);
  return e;
}

Evaluation evaluateApps(const std::vector<std::string>& apps, const std::string& module) {
  bool edumeet = std::find(apps.begin(), apps.end(), "edumeet") != apps.end();
  return evaluate(module, resolve(render(deployment(apps))).as_object(), operatorConfig(edumeet));
}

// ---- looking into the result --------------------------------------------------

const json::value* at(const json::value& v, const std::vector<std::string>& path) {
  const json::value* cur = &v;
  for (auto& key : path) {
    if (!cur->is_object()) return nullptr;
    cur = cur->get_object().if_contains(key);
    if (!cur) return nullptr;
  }
  return cur;
}

/// The value at `path`, or null.
json::value get(const json::value& v, const std::vector<std::string>& path) {
  const json::value* found = at(v, path);
  return found ? *found : json::value(nullptr);
}

std::string show(const std::vector<std::string>& path) {
  std::string s;
  for (auto& k : path) s += (s.empty() ? "" : ".") + (k.find('.') == std::string::npos ? k : "\"" + k + "\"");
  return s;
}

std::set<std::string> strings(const json::value* v) {
  std::set<std::string> out;
  if (v && v->is_array())
    for (auto& e : v->get_array())
      if (e.is_string()) out.insert(std::string(e.get_string()));
  return out;
}

/// Every string in the tree, with where it is.
void collectStrings(const json::value& v, const std::string& where, std::vector<std::pair<std::string, std::string>>& out) {
  if (v.is_string()) {
    out.emplace_back(where, std::string(v.get_string()));
  } else if (v.is_object()) {
    for (auto& kv : v.get_object()) collectStrings(kv.value(), where + "." + std::string(kv.key()), out);
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.get_array().size(); ++i)
      collectStrings(v.get_array()[i], where + "[" + std::to_string(i) + "]", out);
  }
}

bool looksSecretName(std::string name) {
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name.ends_with("file") || name.ends_with("files") || name.ends_with("dir")) return false;
  for (const char* word : {"password", "passwd", "secret", "token", "jwt"})
    if (name.find(word) != std::string::npos) return true;
  return name.ends_with("pass") && name != "proxypass";  // smtp_pass, SMTPPass
}

/// Where a secret may be named: a delivered or assembled secret file,
/// a systemd credential, or a placeholder that is replaced at boot.
bool isSecretReference(const std::string& s) {
  for (const char* prefix : {"/run/fedihost/secrets/", "/run/fedihost/files/"})
    if (s.starts_with(prefix)) return true;
  return s.find("@FEDIHOST_") != std::string::npos || s.starts_with("$FEDIHOST_") || s == "%p" ||
         s.find("file_get_contents('/run/fedihost/secrets/") != std::string::npos;
}

/// Members named like a secret hold only references to secret files, and no
/// string holds a sealed secret.
void expectNoSecrets(const json::value& v, const std::string& where = "config") {
  // Attribute sets whose keys are names of units or files (such as
  // "fedihost-postgresql-passwords"), not settings.
  static const std::set<std::string> named{"config.systemd.services", "config.fedihost.secretFiles",
                                           "config.environment.etc"};
  if (v.is_object()) {
    for (auto& kv : v.get_object()) {
      std::string key(kv.key());
      std::string here = where + "." + key;
      if (!named.count(where) && !named.count(here) && looksSecretName(key)) {
        std::vector<std::pair<std::string, std::string>> values;
        collectStrings(kv.value(), here, values);
        for (auto& [w, s] : values) EXPECT_TRUE(isSecretReference(s)) << w << " = \"" << s << "\" looks like a secret";
      }
      expectNoSecrets(kv.value(), here);
    }
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.get_array().size(); ++i)
      expectNoSecrets(v.get_array()[i], where + "[" + std::to_string(i) + "]");
  } else if (v.is_string()) {
    EXPECT_THAT(std::string(v.get_string()), ::testing::Not(HasSubstr("sb2:"))) << where << " holds a sealed secret";
  }
}

std::string secret(const std::string& app, const std::string& purpose) {
  return naming::secretPath(naming::secretName(app, purpose));
}

// ---- 1. every file parses -----------------------------------------------------

TEST(NixModules, EveryFileParses) {
  SKIP_WITHOUT_NIX();
  std::set<std::string> files;
  for (auto& entry : fs::recursive_directory_iterator(kNix))
    if (entry.is_regular_file() && entry.path().extension() == ".nix") files.insert(entry.path().string());
  for (auto& app : catalog::all()) EXPECT_TRUE(files.count(kNix + "/apps/" + app.id + ".nix")) << "no module for " << app.id;
  for (const char* f : {"default.nix", "shared.nix", "options.nix", "lib.nix", "tests/eval.nix"})
    EXPECT_TRUE(files.count(kNix + "/" + f)) << f;
  for (auto& f : files) {
    auto r = runNix("--parse " + shellQuote(f));
    EXPECT_EQ(r.exitCode, 0) << f << ":\n" << r.err;
  }
}

TEST(NixModules, ParsingCatchesABrokenFile) {
  SKIP_WITHOUT_NIX();
  testing::TempDir tmp;
  std::ofstream(tmp / "broken.nix") << "{ config, ... }: { services.x = { enable = true; ; }";
  EXPECT_NE(runNix("--parse " + shellQuote((tmp / "broken.nix").string())).exitCode, 0);
}

// ---- 2. every app's module, alone on a machine ----------------------------------

struct Expectation {
  std::vector<std::string> path;
  json::value value;
};

/// What the module of `id` must set, given the configuration it read.
std::vector<Expectation> expectationsFor(const std::string& id, const json::object& c) {
  const auto& a = c.at("apps").at(id).as_object();
  const std::string host(a.at("host").as_string());
  auto db = [&](const char* field) { return a.at("database").at(field); };
  auto bucket = [&](const char* name) { return a.at("s3").at("buckets").at(name); };
  const json::value smtpHost = "smtp.example.test";
  auto file = [&](const std::string& name) { return json::value("/run/fedihost/files/" + name); };

  if (id == "mastodon")
    return {
        {{"services", "mastodon", "enable"}, true},
        {{"services", "mastodon", "localDomain"}, json::value(host)},
        {{"services", "mastodon", "configureNginx"}, true},
        {{"services", "mastodon", "database", "createLocally"}, false},
        {{"services", "mastodon", "database", "host"}, "localhost"},
        {{"services", "mastodon", "database", "name"}, db("name")},
        {{"services", "mastodon", "database", "user"}, db("user")},
        {{"services", "mastodon", "database", "passwordFile"}, json::value(secret(id, "database-password"))},
        {{"services", "mastodon", "smtp", "host"}, smtpHost},
        {{"services", "mastodon", "smtp", "passwordFile"}, json::value(secret(id, "mail-password"))},
        {{"services", "mastodon", "smtp", "fromAddress"}, a.at("smtp").at("from")},
        {{"services", "mastodon", "extraConfig", "S3_ENABLED"}, "true"},
        {{"services", "mastodon", "extraConfig", "S3_BUCKET"}, bucket("media")},
        {{"services", "mastodon", "extraConfig", "S3_ENDPOINT"}, "https://s3.example.test:3900"},
        {{"services", "mastodon", "extraConfig", "AWS_ACCESS_KEY_ID"}, json::value(kAccessKeyId)},
        {{"services", "mastodon", "extraEnvFiles"}, json::array{file("mastodon-s3-env")}},
        {{"fedihost", "secretFiles", "mastodon-s3-env", "placeholders", "@FEDIHOST_S3_SECRET_ACCESS_KEY@"},
         json::value(secret(id, "s3-secret-key"))},
        // Its own secrets: the control plane's files, not the ones the module would generate.
        {{"services", "mastodon", "secretKeyBaseFile"}, json::value(secret(id, "secret-key-base"))},
        {{"services", "mastodon", "otpSecretFile"}, json::value(secret(id, "otp-secret"))},
        {{"services", "mastodon", "vapidPrivateKeyFile"}, json::value(secret(id, "vapid-private-key"))},
        {{"services", "mastodon", "vapidPublicKeyFile"}, json::value(secret(id, "vapid-public-key"))},
        {{"services", "mastodon", "activeRecordEncryptionPrimaryKeyFile"},
         json::value(secret(id, "active-record-primary-key"))},
        {{"services", "mastodon", "activeRecordEncryptionDeterministicKeyFile"},
         json::value(secret(id, "active-record-deterministic-key"))},
        {{"services", "mastodon", "activeRecordEncryptionKeyDerivationSaltFile"},
         json::value(secret(id, "active-record-derivation-salt"))},
    };
  if (id == "pixelfed")
    return {
        {{"services", "pixelfed", "enable"}, true},
        {{"services", "pixelfed", "domain"}, json::value(host)},
        {{"services", "pixelfed", "secretFile"}, file("pixelfed-env")},
        {{"services", "pixelfed", "database", "createLocally"}, false},
        {{"services", "pixelfed", "database", "type"}, "pgsql"},
        {{"services", "pixelfed", "settings", "DB_DATABASE"}, db("name")},
        {{"services", "pixelfed", "settings", "AWS_BUCKET"}, bucket("media")},
        {{"services", "pixelfed", "settings", "MAIL_HOST"}, smtpHost},
        {{"services", "pixelfed", "settings", "OPEN_REGISTRATION"}, true},
        {{"services", "pixelfed", "settings", "INSTANCE_CUR_REG"}, true},
        {{"fedihost", "secretFiles", "pixelfed-env", "placeholders", "@FEDIHOST_DB_PASSWORD@"},
         json::value(secret(id, "database-password"))},
        {{"fedihost", "secretFiles", "pixelfed-env", "placeholders", "@FEDIHOST_APP_KEY@"},
         json::value(secret(id, "app-key"))},
        {{"fedihost", "secretFiles", "pixelfed-env", "placeholders", "@FEDIHOST_PASSPORT_PRIVATE_KEY@"},
         json::value(secret(id, "passport-private-key"))},
        {{"fedihost", "secretFiles", "pixelfed-env", "placeholders", "@FEDIHOST_PASSPORT_PUBLIC_KEY@"},
         json::value(secret(id, "passport-public-key"))},
    };
  if (id == "peertube")
    return {
        {{"services", "peertube", "enable"}, true},
        {{"services", "peertube", "localDomain"}, json::value(host)},
        {{"services", "peertube", "enableWebHttps"}, true},
        {{"services", "peertube", "configureNginx"}, true},
        {{"services", "peertube", "database", "name"}, db("name")},
        {{"services", "peertube", "database", "passwordFile"}, json::value(secret(id, "database-password"))},
        {{"services", "peertube", "smtp", "passwordFile"}, json::value(secret(id, "mail-password"))},
        {{"services", "peertube", "secrets", "secretsFile"}, json::value(secret(id, "server-secret"))},
        {{"services", "peertube", "settings", "object_storage", "web_videos", "bucket_name"}, bucket("videos")},
        {{"services", "peertube", "settings", "object_storage", "streaming_playlists", "bucket_name"},
         bucket("streaming-playlists")},
        {{"services", "peertube", "settings", "transcoding", "enabled"}, true},
        // The first administrator's password, in the environment file PeerTube reads at its first start.
        {{"services", "peertube", "serviceEnvironmentFile"}, file("peertube-env")},
        {{"fedihost", "secretFiles", "peertube-env", "placeholders", "@FEDIHOST_ADMIN_PASSWORD@"},
         json::value(secret(id, "admin-password"))},
    };
  if (id == "matrix")
    return {
        {{"services", "matrix-synapse", "enable"}, true},
        {{"services", "matrix-synapse", "settings", "server_name"}, json::value(host)},
        {{"services", "matrix-synapse", "settings", "public_baseurl"}, json::value("https://" + host + "/")},
        {{"services", "matrix-synapse", "settings", "database", "args", "database"}, db("name")},
        {{"services", "matrix-synapse", "settings", "enable_registration"}, false},
        {{"services", "matrix-synapse", "extraConfigFiles"}, json::array{file("matrix-synapse-secrets")}},
        {{"services", "matrix-synapse", "settings", "signing_key_path"}, json::value(secret(id, "signing-key"))},
        {{"services", "nginx", "virtualHosts", host, "locations", "/_matrix", "proxyPass"}, "http://127.0.0.1:8008"},
    };
  if (id == "owncast")
    return {
        {{"services", "owncast", "enable"}, true},
        {{"services", "owncast", "listen"}, "127.0.0.1"},
        {{"services", "owncast", "port"}, 8080},
        {{"services", "owncast", "rtmp-port"}, 1935},
        {{"systemd", "services", "fedihost-owncast-settings", "after"}, json::array{"owncast.service"}},
        {{"services", "nginx", "virtualHosts", host, "locations", "/", "proxyPass"}, "http://127.0.0.1:8080"},
        {{"services", "nginx", "virtualHosts", host, "locations", "/", "proxyWebsockets"}, true},
    };
  if (id == "castopod")
    return {
        {{"services", "castopod", "enable"}, true},
        {{"services", "castopod", "localDomain"}, json::value(host)},
        {{"services", "castopod", "database", "createLocally"}, false},
        {{"services", "castopod", "database", "name"}, db("name")},
        {{"services", "castopod", "database", "passwordFile"}, json::value(secret(id, "database-password"))},
        {{"services", "castopod", "environmentFile"}, file("castopod-env")},
        {{"services", "castopod", "settings", "media.s3.bucket"}, bucket("media")},
        {{"services", "castopod", "settings", "cache.redis.host"}, "/run/redis-castopod/redis.sock"},
        {{"services", "mysql", "enable"}, true},
        {{"services", "mysql", "ensureDatabases"}, json::array{db("name")}},
    };
  if (id == "edumeet")
    return {
        {{"systemd", "services", "edumeet-room-server", "description"}, "Edumeet room server"},
        {{"systemd", "services", "edumeet-media-node", "description"}, "Edumeet media node"},
        {{"systemd", "services", "edumeet-media-node", "serviceConfig", "LoadCredential"},
         json::array{json::value("secret:" + secret(id, "media-node-secret"))}},
        {{"fedihost", "secretFiles", "edumeet-room-server", "placeholders", "@FEDIHOST_MEDIA_NODE_SECRET@"},
         json::value(secret(id, "media-node-secret"))},
        {{"services", "nginx", "virtualHosts", host, "locations", "/socket.io/", "proxyPass"}, "http://127.0.0.1:3030"},
        {{"services", "nginx", "virtualHosts", host, "locations", "/socket.io/", "proxyWebsockets"}, true},
        {{"networking", "firewall", "allowedUDPPortRanges"}, json::array{{{"from", 40000}, {"to", 49999}}}},
    };
  if (id == "nextcloud")
    return {
        {{"services", "nextcloud", "enable"}, true},
        {{"services", "nextcloud", "hostName"}, json::value(host)},
        {{"services", "nextcloud", "https"}, true},
        {{"services", "nextcloud", "package"}, "/nix/store/00000000000000000000000000000000-nextcloud30"},
        {{"services", "nextcloud", "config", "dbtype"}, "pgsql"},
        {{"services", "nextcloud", "config", "dbname"}, db("name")},
        {{"services", "nextcloud", "config", "dbpassFile"}, json::value(secret(id, "database-password"))},
        {{"services", "nextcloud", "config", "adminpassFile"}, json::value(secret(id, "admin-password"))},
        {{"services", "nextcloud", "config", "objectstore", "s3", "bucket"}, bucket("files")},
        {{"services", "nextcloud", "config", "objectstore", "s3", "hostname"}, "s3.example.test"},
        {{"services", "nextcloud", "config", "objectstore", "s3", "port"}, 3900},
        {{"services", "nextcloud", "config", "objectstore", "s3", "secretFile"}, json::value(secret(id, "s3-secret-key"))},
        {{"services", "nextcloud", "secretFile"}, file("nextcloud-secrets")},
        {{"fedihost", "secretFiles", "nextcloud-secrets", "placeholders", "@FEDIHOST_SECRET@"},
         json::value(secret(id, "config-secret"))},
        {{"fedihost", "secretFiles", "nextcloud-secrets", "placeholders", "@FEDIHOST_PASSWORD_SALT@"},
         json::value(secret(id, "password-salt"))},
        {{"fedihost", "secretFiles", "nextcloud-secrets", "placeholders", "@FEDIHOST_INSTANCE_ID@"},
         json::value(secret(id, "instance-id"))},
    };
  if (id == "cryptpad")
    return {
        {{"services", "cryptpad", "enable"}, true},
        {{"services", "cryptpad", "configureNginx"}, false},
        {{"services", "cryptpad", "settings", "httpUnsafeOrigin"}, json::value("https://" + host)},
        {{"services", "cryptpad", "settings", "httpSafeOrigin"}, json::value("https://sandbox." + host)},
        {{"services", "cryptpad", "settings", "httpPort"}, 3010},
        {{"services", "nginx", "virtualHosts", host, "serverAliases"}, json::array{json::value("sandbox." + host)}},
        {{"services", "nginx", "virtualHosts", host, "locations", "/", "proxyPass"}, "http://127.0.0.1:3010"},
        {{"services", "nginx", "virtualHosts", host, "locations", "/cryptpad_websocket", "proxyPass"},
         "http://127.0.0.1:3013"},
    };
  if (id == "forgejo")
    return {
        {{"services", "forgejo", "enable"}, true},
        {{"services", "forgejo", "database", "type"}, "postgres"},
        {{"services", "forgejo", "database", "name"}, db("name")},
        {{"services", "forgejo", "database", "passwordFile"}, json::value(secret(id, "database-password"))},
        {{"services", "forgejo", "settings", "server", "DOMAIN"}, json::value(host)},
        {{"services", "forgejo", "settings", "server", "ROOT_URL"}, json::value("https://" + host + "/")},
        {{"services", "forgejo", "settings", "server", "SSH_PORT"}, 2222},
        {{"services", "forgejo", "settings", "attachment", "MINIO_BUCKET"}, bucket("attachments")},
        {{"services", "forgejo", "settings", "lfs", "MINIO_BUCKET"}, bucket("lfs")},
        {{"services", "forgejo", "secrets", "mailer", "PASSWD"}, json::value(secret(id, "mail-password"))},
        {{"services", "forgejo", "secrets", "lfs", "MINIO_SECRET_ACCESS_KEY"}, json::value(secret(id, "s3-secret-key"))},
        // Over the module's own files in its custom folder (mkForce).
        {{"services", "forgejo", "secrets", "security", "SECRET_KEY"}, json::value(secret(id, "secret-key"))},
        {{"services", "forgejo", "secrets", "security", "INTERNAL_TOKEN"}, json::value(secret(id, "internal-token"))},
        {{"services", "forgejo", "secrets", "oauth2", "JWT_SECRET"}, json::value(secret(id, "jwt-secret"))},
        {{"services", "forgejo", "secrets", "server", "LFS_JWT_SECRET"}, json::value(secret(id, "lfs-jwt-secret"))},
        // The first administrator, made once after Forgejo starts, with the control plane's password.
        {{"systemd", "services", "fedihost-forgejo-admin", "after"}, json::array{"forgejo.service"}},
        {{"systemd", "services", "fedihost-forgejo-admin", "serviceConfig", "User"}, "forgejo"},
        {{"systemd", "services", "fedihost-forgejo-admin", "unitConfig", "ConditionPathExists"},
         "!/var/lib/fedihost-first-admin/forgejo/done"},
        {{"services", "nginx", "virtualHosts", host, "locations", "/", "proxyPass"}, "http://127.0.0.1:3000"},
    };
  if (id == "roundcube")
    return {
        {{"services", "roundcube", "enable"}, true},
        {{"services", "roundcube", "hostName"}, json::value(host)},
        {{"services", "roundcube", "database", "dbname"}, db("name")},
        {{"services", "roundcube", "database", "username"}, db("user")},
        {{"services", "roundcube", "database", "passwordFile"}, file("roundcube-pgpass")},
        {{"fedihost", "secretFiles", "roundcube-pgpass", "placeholders", "@FEDIHOST_DB_PASSWORD@"},
         json::value(secret(id, "database-password"))},
    };
  if (id == "hedgedoc")
    return {
        {{"services", "hedgedoc", "enable"}, true},
        {{"services", "hedgedoc", "settings", "domain"}, json::value(host)},
        {{"services", "hedgedoc", "settings", "protocolUseSSL"}, true},
        {{"services", "hedgedoc", "settings", "db", "database"}, db("name")},
        {{"services", "hedgedoc", "settings", "db", "password"}, "$FEDIHOST_DB_PASSWORD"},
        {{"services", "hedgedoc", "settings", "s3bucket"}, bucket("uploads")},
        {{"services", "hedgedoc", "environmentFile"}, file("hedgedoc-env")},
        {{"fedihost", "secretFiles", "hedgedoc-env", "placeholders", "@FEDIHOST_SESSION_SECRET@"},
         json::value(secret(id, "session-secret"))},
    };
  if (id == "vikunja")
    return {
        {{"services", "vikunja", "enable"}, true},
        {{"services", "vikunja", "frontendHostname"}, json::value(host)},
        {{"services", "vikunja", "database", "database"}, db("name")},
        {{"services", "vikunja", "environmentFiles"}, json::array{file("vikunja-env")}},
        {{"fedihost", "secretFiles", "vikunja-env", "placeholders", "@FEDIHOST_JWT_SECRET@"},
         json::value(secret(id, "jwt-secret"))},
        {{"services", "vikunja", "settings", "mailer", "host"}, smtpHost},
        {{"services", "nginx", "virtualHosts", host, "locations", "/", "proxyPass"}, "http://127.0.0.1:3456"},
    };
  ADD_FAILURE() << "no expectations for " << id;
  return {};
}

/// What every module must do, whatever the app: TLS on its host, the ports
/// open, its database on the shared server of its engine, no secret values.
void expectSharedServices(const Evaluation& e) {
  const auto& c = e.config;
  for (auto& [id, app] : e.rendered.at("apps").as_object()) {
    SCOPED_TRACE(std::string(id));
    const std::string host(app.at("host").as_string());
    const json::value* vhost = at(c, {"services", "nginx", "virtualHosts", host});
    ASSERT_TRUE(vhost) << "no nginx virtual host " << host;
    EXPECT_EQ(vhost->at("forceSSL"), true);
    // The deployment's certificate, delivered beside the secrets; not nginx's own ACME.
    EXPECT_EQ(vhost->at("enableACME"), false);
    EXPECT_EQ(vhost->at("sslCertificate"), json::value(kSecrets + "certificate-chain"));
    EXPECT_EQ(vhost->at("sslCertificateKey"), json::value(kSecrets + "certificate-key"));
    if (auto* db = app.as_object().if_contains("database")) {
      const std::string name(db->at("name").as_string());
      const std::string credential = name + ":" + secret(std::string(id), "database-password");
      if (db->at("engine") == "postgresql") {
        EXPECT_TRUE(strings(at(c, {"services", "postgresql", "ensureDatabases"})).count(name));
        EXPECT_TRUE(strings(at(c, {"systemd", "services", "fedihost-postgresql-passwords", "serviceConfig", "LoadCredential"}))
                        .count(credential));
      } else {
        EXPECT_EQ(db->at("engine"), "mysql");
        EXPECT_TRUE(strings(at(c, {"services", "mysql", "ensureDatabases"})).count(name));
        EXPECT_TRUE(strings(at(c, {"systemd", "services", "fedihost-mysql-users", "serviceConfig", "LoadCredential"}))
                        .count(credential));
      }
    }
    if (auto* redis = app.as_object().if_contains("redis")) {
      EXPECT_EQ(get(c, {"services", "redis", "servers", std::string(redis->at("server").as_string()), "unixSocket"}),
                redis->at("unixSocket"));
    }
  }
  const auto& firewall = e.rendered.at("networking").at("firewall");
  EXPECT_EQ(get(c, {"networking", "firewall", "allowedTCPPorts"}), firewall.at("allowedTCPPorts"));
  EXPECT_EQ(get(c, {"networking", "firewall", "allowedUDPPortRanges"}), firewall.at("allowedUDPPortRanges"));
  for (auto& [host, vhost] : e.rendered.at("services").at("nginx").at("virtualHosts").as_object())
    if (auto* aliases = vhost.as_object().if_contains("serverAliases")) {
      EXPECT_EQ(get(c, {"services", "nginx", "virtualHosts", std::string(host), "serverAliases"}), *aliases);
    }
  EXPECT_EQ(get(c, {"networking", "hostName"}), "social");
  // Every file assembled from secrets has its unit, and every placeholder a secret file.
  if (auto* files = at(c, {"fedihost", "secretFiles"}))
    for (auto& [name, f] : files->as_object()) {
      EXPECT_TRUE(at(c, {"systemd", "services", "fedihost-file-" + std::string(name), "script"})) << name;
      for (auto& [placeholder, path] : f.at("placeholders").as_object()) {
        EXPECT_THAT(std::string(f.at("template").as_string()), HasSubstr(std::string(placeholder))) << name;
        EXPECT_TRUE(isSecretReference(std::string(path.as_string()))) << name << " " << placeholder;
      }
    }
  expectNoSecrets(c);
}

class AppModule : public ::testing::TestWithParam<std::string> {};

TEST_P(AppModule, SetsTheNixosOptionsOfItsApp) {
  SKIP_WITHOUT_NIX();
  const std::string id = GetParam();
  auto e = evaluateApps({id}, kNix + "/apps/" + id + ".nix");
  ASSERT_EQ(e.nix.exitCode, 0) << e.nix.err;
  expectSharedServices(e);
  for (auto& x : expectationsFor(id, e.rendered)) {
    const json::value* v = at(e.config, x.path);
    ASSERT_TRUE(v) << show(x.path) << " is not set";
    EXPECT_EQ(*v, x.value) << show(x.path);
  }
}

TEST_P(AppModule, DoesNothingWithoutItsApp) {
  SKIP_WITHOUT_NIX();
  const std::string id = GetParam();
  // Another app on the machine: this module must set nothing of its own.
  const std::string other = id == "cryptpad" ? "owncast" : "cryptpad";
  auto e = evaluateApps({other}, kNix + "/apps/" + id + ".nix");
  ASSERT_EQ(e.nix.exitCode, 0) << e.nix.err;
  const auto* services = at(e.config, {"systemd", "services"});
  ASSERT_TRUE(services);
  for (auto& [name, _] : services->as_object())
    EXPECT_THAT(std::string(name), ::testing::Not(HasSubstr(id == "matrix" ? "synapse" : id)));
  const auto* vhosts = at(e.config, {"services", "nginx", "virtualHosts"});
  ASSERT_TRUE(vhosts);
  EXPECT_EQ(vhosts->as_object().size(), 1u);
}

std::vector<std::string> appIds() {
  std::vector<std::string> ids;
  for (auto& app : catalog::all()) ids.push_back(app.id);
  return ids;
}

INSTANTIATE_TEST_SUITE_P(Catalog, AppModule, ::testing::ValuesIn(appIds()),
                         [](const auto& info) { return info.param; });

TEST(NixModules, CoverTheWholeCatalog) { EXPECT_EQ(appIds().size(), 13u); }

// ---- a machine with several apps -----------------------------------------------

TEST(NixModules, ThreeAppsShareOnePostgresqlOneMariadbAndNginx) {
  SKIP_WITHOUT_NIX();
  auto e = evaluateApps({"castopod", "mastodon", "pixelfed"}, kNix + "/default.nix");
  ASSERT_EQ(e.nix.exitCode, 0) << e.nix.err;
  expectSharedServices(e);
  const auto& c = e.config;
  EXPECT_EQ(strings(at(c, {"services", "postgresql", "ensureDatabases"})),
            (std::set<std::string>{"mastodon_0000000000000000", "pixelfed_0000000000000000"}));
  EXPECT_EQ(get(c, {"services", "postgresql", "ensureUsers"}),
            (json::array{{{"name", "mastodon_0000000000000000"}, {"ensureDBOwnership", true}},
                         {{"name", "pixelfed_0000000000000000"}, {"ensureDBOwnership", true}}}));
  EXPECT_EQ(get(c, {"services", "mysql", "ensureDatabases"}), json::array{"castopod_0000000000000000"});
  EXPECT_EQ(get(c, {"services", "redis", "servers"}).as_object().size(), 3u);
  EXPECT_EQ(get(c, {"services", "nginx", "virtualHosts"}).as_object().size(), 3u);
  for (const char* app : {"castopod", "mastodon", "pixelfed"})
    EXPECT_EQ(get(c, {"services", app, "enable"}), true) << app;
  // The apps the machine does not run are absent.
  for (const char* app : {"peertube", "nextcloud", "forgejo", "owncast"}) EXPECT_FALSE(at(c, {"services", app})) << app;
  // One file per app built from secrets, each before the units that read it.
  EXPECT_EQ(get(c, {"systemd", "services", "fedihost-file-pixelfed-env", "requiredBy"}),
            json::array{"pixelfed-data-setup.service"});
  EXPECT_TRUE(at(c, {"systemd", "services", "fedihost-file-castopod-env"}));
  EXPECT_TRUE(at(c, {"systemd", "services", "fedihost-file-mastodon-s3-env"}));
  auto release = json::parse(std::string(get(c, {"environment", "etc", "fedihost/release.json", "text"}).as_string()));
  EXPECT_EQ(release.at("catalogVersion"), json::value(catalog::release().version));
  EXPECT_EQ(release.at("nixpkgsRevision"), json::value(catalog::release().nixpkgsRevision));
  EXPECT_EQ(release.at("apps").at("castopod"), json::value(catalog::find("castopod")->version));
}

TEST(NixModules, ForgejoMakesItsFirstAdministratorOnceWithTheControlPlanesPassword) {
  SKIP_WITHOUT_NIX();
  auto e = evaluateApps({"forgejo"}, kNix + "/apps/forgejo.nix");
  ASSERT_EQ(e.nix.exitCode, 0) << e.nix.err;
  const auto script = std::string(get(e.config, {"systemd", "services", "fedihost-forgejo-admin", "script"}).as_string());
  const auto admin = catalog::find("forgejo")->adminLogin.value();
  EXPECT_THAT(script, HasSubstr("--username " + admin.username));
  EXPECT_THAT(script, HasSubstr("$(cat " + secret("forgejo", admin.passwordSecret) + ")"));
  EXPECT_THAT(script, HasSubstr("/bin/forgejo --work-path /var/lib/forgejo --config /var/lib/forgejo/custom/conf/app.ini"));
  // Made once: the marker the unit's condition looks for is written last.
  EXPECT_THAT(script, ::testing::EndsWith("touch /var/lib/fedihost-first-admin/forgejo/done\n"));
  // Forgejo (its user) reads the password file.
  EXPECT_THAT(json::serialize(get(e.config, {"systemd", "tmpfiles", "rules"})),
              HasSubstr("z " + secret("forgejo", admin.passwordSecret) + " 0400 forgejo"));
}

TEST(NixModules, EveryAppOnOneMachine) {
  SKIP_WITHOUT_NIX();
  auto e = evaluateApps(appIds(), kNix + "/default.nix");
  ASSERT_EQ(e.nix.exitCode, 0) << e.nix.err;
  expectSharedServices(e);
  // The apps nginx proxies to listen on distinct local ports.
  std::set<std::string> upstreams;
  const json::value vhosts = get(e.config, {"services", "nginx", "virtualHosts"});
  for (auto& [host, vhost] : vhosts.as_object())
    if (auto* pass = at(vhost, {"locations", "/", "proxyPass"})) {
      EXPECT_TRUE(upstreams.insert(std::string(pass->as_string())).second) << host << " shares " << *pass;
    }
  EXPECT_GE(upstreams.size(), 4u);
}

// ---- a machine on a real target -----------------------------------------------------

TEST(NixModules, TheEndpointsOfARealTargetReachTheApps) {
  SKIP_WITHOUT_NIX();
  // The operator of the machine sets nothing: the database, the relay and the object storage are
  // the target's, from its providers' outputs.
  auto rendered = resolve(render(deployment({"castopod", "mastodon"})), realOutputs).as_object();
  auto e = evaluate(kNix + "/default.nix", rendered, "{ }");
  ASSERT_EQ(e.nix.exitCode, 0) << e.nix.err;
  const auto& c = e.config;
  EXPECT_EQ(get(c, {"services", "mastodon", "database", "host"}), "db.dc1.example.net");
  EXPECT_EQ(get(c, {"services", "mastodon", "database", "port"}), 6432);
  EXPECT_EQ(get(c, {"services", "mastodon", "database", "name"}), "mastodon_0000000000000000");
  EXPECT_EQ(get(c, {"services", "mastodon", "smtp", "host"}), "smtp.dc1.example.net");
  EXPECT_EQ(get(c, {"services", "mastodon", "smtp", "port"}), 2525);
  EXPECT_EQ(get(c, {"services", "mastodon", "smtp", "user"}), "mastodon@social.example.test");
  EXPECT_EQ(get(c, {"services", "mastodon", "extraConfig", "S3_ENDPOINT"}), "https://s3.dc1.example.net:3900");
  EXPECT_EQ(get(c, {"services", "mastodon", "extraConfig", "S3_REGION"}), "dc1");
  EXPECT_EQ(get(c, {"services", "mastodon", "extraConfig", "S3_HOSTNAME"}), "s3.dc1.example.net");
  EXPECT_EQ(get(c, {"services", "castopod", "settings", "email.SMTPHost"}), "smtp.dc1.example.net");
  // No database server on the machine, and no unit waits for one.
  EXPECT_FALSE(at(c, {"services", "postgresql", "enable"}));
  EXPECT_FALSE(at(c, {"services", "mysql", "enable"}));
  EXPECT_FALSE(at(c, {"systemd", "services", "fedihost-postgresql-passwords"}));
  EXPECT_FALSE(at(c, {"systemd", "services", "fedihost-mysql-users"}));
  EXPECT_FALSE(at(c, {"systemd", "services", "mastodon-init-db", "requires"}));
  // TLS from the deployment's certificate; the serial it was made with is recorded.
  EXPECT_EQ(get(c, {"services", "nginx", "virtualHosts", "mastodon.social.example.test", "sslCertificate"}),
            json::value(kSecrets + "certificate-chain"));
  EXPECT_FALSE(at(c, {"security", "acme"}));
  auto release = json::parse(std::string(get(c, {"environment", "etc", "fedihost/release.json", "text"}).as_string()));
  EXPECT_EQ(release.at("certificateSerial"), "0a1b2c");
  expectNoSecrets(c);
}

// ---- what the modules refuse ---------------------------------------------------

TEST(NixModules, RefuseAMissingMailRelay) {
  SKIP_WITHOUT_NIX();
  auto e = evaluate(kNix + "/apps/mastodon.nix", resolve(render(deployment({"mastodon"}))).as_object(),
                    "{ fedihost.s3.endpoint = \"https://s3.example.test\"; }");
  EXPECT_NE(e.nix.exitCode, 0);
  EXPECT_THAT(e.nix.err, HasSubstr("fedihost.smtp.host"));
}

TEST(NixModules, RefuseAnUnresolvedReference) {
  SKIP_WITHOUT_NIX();
  auto e = evaluate(kNix + "/apps/mastodon.nix", render(deployment({"mastodon"})), operatorConfig(false));
  EXPECT_NE(e.nix.exitCode, 0);
  EXPECT_THAT(e.nix.err, HasSubstr("unresolved reference"));
}

TEST(NixModules, RefuseAnAppWithoutModule) {
  SKIP_WITHOUT_NIX();
  auto c = resolve(render(deployment({"cryptpad"}))).as_object();
  c["apps"].as_object()["gitlab"] = c.at("apps").at("cryptpad");
  auto e = evaluate(kNix + "/default.nix", c, operatorConfig(false));
  EXPECT_NE(e.nix.exitCode, 0);
  EXPECT_THAT(e.nix.err, HasSubstr("no module for the app(s) gitlab"));
}

TEST(NixModules, EdumeetNeedsItsPackages) {
  SKIP_WITHOUT_NIX();
  auto e = evaluate(kNix + "/apps/edumeet.nix", resolve(render(deployment({"edumeet"}))).as_object(),
                    operatorConfig(false));
  EXPECT_NE(e.nix.exitCode, 0);
  EXPECT_THAT(e.nix.err, HasSubstr("fedihost.edumeet"));
}

TEST(NixModules, ReadSettingsOfAnOlderSchema) {
  SKIP_WITHOUT_NIX();
  // Mastodon settings stored under schema 1 are rendered as stored until their owner upgrades.
  auto d = deployment({});
  AppInstance old;
  old.app = "mastodon";
  old.settings = json::object{{"openRegistrations", true}};
  old.version = "4.2.0";
  old.schemaVersion = 1;
  d.apps.push_back(old);
  auto e = evaluate(kNix + "/apps/mastodon.nix", resolve(render(d)).as_object(), operatorConfig(false));
  ASSERT_EQ(e.nix.exitCode, 0) << e.nix.err;
  EXPECT_THAT(std::string(get(e.config, {"systemd", "services", "fedihost-mastodon-settings", "script"}).as_string()),
              HasSubstr("settings registrations open"));
  EXPECT_EQ(get(e.config, {"services", "mastodon", "extraConfig", "DEFAULT_LOCALE"}), "en");
}

// ---- a generated script against a real server ----------------------------------------

/// PostgreSQL 15 on a Unix socket in `dir` (and 127.0.0.1:port), stopped on destruction.
class Postgres {
 public:
  static constexpr const char* kBin = "/usr/lib/postgresql/15/bin";
  Postgres(const fs::path& dir, int port) : dir_(dir), port_(port) {
    using fedihost::testing::run;
    auto r = run("chown postgres: " + shellQuote(dir_.string()) + " && runuser -u postgres -- " + kBin +
                 "/initdb -D " + shellQuote((dir_ / "data").string()) +
                 " -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8");
    if (r.exitCode != 0) throw std::runtime_error("initdb: " + r.output);
    // Password authentication over TCP, as on the machine.
    std::ofstream(dir_ / "data" / "pg_hba.conf")
        << "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n";
    r = run("runuser -u postgres -- " + std::string(kBin) + "/pg_ctl -D " + shellQuote((dir_ / "data").string()) +
            " -l " + shellQuote((dir_ / "pg.log").string()) + " -w -o " +
            shellQuote("-k " + dir_.string() + " -p " + std::to_string(port_) +
                       " -c listen_addresses=127.0.0.1 -c fsync=off") +
            " start");
    if (r.exitCode != 0) throw std::runtime_error("pg_ctl start: " + r.output);
    started_ = true;
  }
  ~Postgres() {
    if (started_)
      (void)fedihost::testing::run("runuser -u postgres -- " + std::string(kBin) + "/pg_ctl -D " +
                                   shellQuote((dir_ / "data").string()) + " -m fast -w stop");
  }
  /// psql as the superuser, or as `user` with `password` over TCP.
  fedihost::testing::CommandResult psql(const std::string& sql, const std::string& user = "",
                                        const std::string& password = "") const {
    if (user.empty())
      return fedihost::testing::run("runuser -u postgres -- psql -h " + shellQuote(dir_.string()) + " -p " +
                                    std::to_string(port_) + " -d postgres -tAc " + shellQuote(sql));
    return fedihost::testing::run("PGPASSWORD=" + shellQuote(password) + " psql -h 127.0.0.1 -p " +
                                  std::to_string(port_) + " -U " + user + " -d postgres -tAc " + shellQuote(sql));
  }
  std::string env() const { return "PGHOST=" + shellQuote(dir_.string()) + " PGPORT=" + std::to_string(port_); }

 private:
  fs::path dir_;
  int port_;
  bool started_ = false;
};

TEST(NixModules, ThePostgresqlPasswordScriptSetsThePasswords) {
  SKIP_WITHOUT_NIX();
  if (::geteuid() != 0 || ::access((std::string(Postgres::kBin) + "/initdb").c_str(), X_OK) != 0)
    GTEST_SKIP() << "needs root and PostgreSQL 15";
  auto e = evaluateApps({"mastodon", "pixelfed"}, kNix + "/default.nix");
  ASSERT_EQ(e.nix.exitCode, 0) << e.nix.err;
  const auto service = get(e.config, {"systemd", "services", "fedihost-postgresql-passwords"});
  ASSERT_TRUE(service.is_object());
  EXPECT_EQ(service.at("serviceConfig").at("User"), "postgres");

  testing::TempDir tmp("fedihost-nix-pg");
  Postgres pg(tmp.path(), 55000 + static_cast<int>(::getpid() % 5000));
  // The roles exist (services.postgresql.ensureUsers); the script gives them their passwords,
  // read from the unit's credentials: here, passwords with characters SQL and the shell treat specially.
  const std::map<std::string, std::string> passwords{{"mastodon_0000000000000000", "it's a \\ \"test\" $HOME"},
                                                     {"pixelfed_0000000000000000", "plain-0123456789"}};
  fs::create_directories(tmp / "credentials");
  for (auto& [role, password] : passwords) {
    ASSERT_EQ(pg.psql("CREATE ROLE " + role).exitCode, 0);
    std::ofstream(tmp / "credentials" / role) << password << "\n";
  }
  std::ofstream(tmp / "script.sh") << service.at("script").as_string().c_str();
  auto r = fedihost::testing::run("chown -R postgres: " + shellQuote(tmp.path().string()) +
                                  " && runuser -u postgres -- env CREDENTIALS_DIRECTORY=" +
                                  shellQuote((tmp / "credentials").string()) + " " + pg.env() + " bash -eu " +
                                  shellQuote((tmp / "script.sh").string()));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  for (auto& [role, password] : passwords) {
    auto signIn = pg.psql("SELECT current_user", role, password);
    EXPECT_EQ(signIn.exitCode, 0) << signIn.output;
    EXPECT_THAT(signIn.output, HasSubstr(role));
    EXPECT_NE(pg.psql("SELECT 1", role, "wrong").exitCode, 0);
  }
}

// ---- the evaluator itself ----------------------------------------------------------

/// Evaluates an inline module (Nix text) on a one-app configuration.
NixResult evaluateInline(const std::string& module) {
  testing::TempDir tmp("fedihost-nix-eval");
  const std::string file = (tmp / "configuration.json").string();
  std::ofstream(file) << jsonutil::canonical(resolve(render(deployment({"cryptpad"}))));
  const std::string expr = "import " + nixPath(kNix + "/tests/eval.nix") + " { module = " + module +
                           "; configurationFile = " + nixString(file) + "; }";
  return runNix("--eval --strict --json -E " + shellQuote(expr));
}

TEST(NixEvalStub, MergesLikeTheModuleSystem) {
  SKIP_WITHOUT_NIX();
  auto r = evaluateInline(
      "{ lib, config, ... }: { imports = [ " + nixPath(kNix + "/options.nix") +
      " { x.list = [ 2 ]; x.v = lib.mkDefault 1; } ];"
      " config = lib.mkMerge [ { x.list = [ 1 ]; x.v = 2; x.c = lib.mkForce 3; }"
      " (lib.mkIf false { x.d = 4; x.list = [ 9 ]; })"
      " { x.c = 5; x.e = lib.mkIf (config.y.v == 2) \"yes\"; y.v = 2; x.f = lib.mkIf (config.fedihost.s3.endpoint != null) 1; }"
      " (lib.mkIf (config.fedihost.configurationFile != null) { x.g.h = lib.mkDefault 6; }) ]; }");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto c = json::parse(r.out).at("x");
  EXPECT_EQ(c.at("list"), (json::array{1, 2}));  // lists concatenate
  EXPECT_EQ(c.at("v"), 2);                       // a plain definition beats mkDefault
  EXPECT_EQ(c.at("c"), 3);                       // mkForce beats a plain definition
  EXPECT_FALSE(c.as_object().contains("d"));     // mkIf false defines nothing
  EXPECT_EQ(c.at("e"), "yes");                   // conditions may read config
  EXPECT_FALSE(c.as_object().contains("f"));     // an option default (null) reaches conditions
  EXPECT_EQ(c.at("g").at("h"), 6);
}

TEST(NixEvalStub, RefusesConflictsAndFailedAssertions) {
  SKIP_WITHOUT_NIX();
  auto r = evaluateInline("{ imports = [ { x = 1; } ]; x = 2; }");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("conflicting definitions of x"));
  r = evaluateInline("{ assertions = [ { assertion = false; message = \"no way\"; } ]; }");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("no way"));
}

}  // namespace
}  // namespace fedihost
