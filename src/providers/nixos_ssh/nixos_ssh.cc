#include "providers/nixos_ssh/nixos_ssh.hh"

#include <sodium.h>

#include <map>
#include <mutex>
#include <regex>
#include <set>

#include "core/json_util.hh"
#include "providers/attributes.hh"
#include "providers/nixos_ssh/ssh_client.hh"
#include "store/ssh_host_key_store.hh"

namespace fedihost::providers::nixos_ssh {
namespace {

constexpr const char* kSecretsDir = "/run/fedihost/secrets";

std::string sha256Hex(std::string_view data) {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[2 * sizeof out + 1];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return hex;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool safeName(std::string_view s) {
  if (s.empty() || s.size() > 128 || s[0] == '.') return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

bool safePath(std::string_view s) {
  if (s.size() < 2 || s[0] != '/' || s.back() == '/') return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' && c != '/') return false;
  return s.find("/../") == std::string_view::npos && !s.ends_with("/..");
}

/// argv as one line for the remote shell.
std::string commandLine(const std::vector<std::string>& argv) {
  std::string out;
  for (auto& a : argv) out += (out.empty() ? "" : " ") + shellQuote(a);
  return out;
}

/// A script run by sh -c on the machine, with its arguments quoted.
std::string script(std::string_view body, const std::vector<std::string>& args) {
  return "sh -c " + shellQuote(body) + " fedihost " + commandLine(args);
}

/// What the machine holds, read by kProbe.
struct Held {
  std::int64_t generation = 0;          ///< of the profile link; 0 if there is none
  std::string configurationSha256;      ///< "" if the file is absent
  std::map<std::string, std::string> secrets;  ///< file name -> SHA-256 of its content
  json::object state;                   ///< delivery.json, {} if absent
};

// Prints what a delivery needs to compare: the profile's generation, the configuration's
// hash, delivery.json and the hash of each secret file (never the secrets themselves).
constexpr std::string_view kProbe = R"sh(cfg=$1 state=$2 dir=$3 profile=$4
echo "generation $(readlink "$profile" 2>/dev/null)"
if [ -f "$cfg" ]; then echo "configuration $(sha256sum <"$cfg" | cut -d' ' -f1)"; fi
if [ -f "$state" ]; then echo "state $(tr -d '\n' <"$state")"; fi
if [ -d "$dir" ]; then
  for f in "$dir"/*; do [ -f "$f" ] && echo "secret $(sha256sum <"$f" | cut -d' ' -f1) ${f##*/}"; done
fi
exit 0)sh";

// Writes one secret from standard input into the secrets directory, refusing a directory
// that is not in memory (tmpfs or ramfs), through a temporary file in the same directory.
constexpr std::string_view kWriteSecret = R"sh(set -e
dir=$1 name=$2 owner=$3 group=$4 mode=$5 tmpfs=$6
umask 022
mkdir -p "$dir"
chown root:root "$dir"
chmod "$mode" "$dir"
if [ "$tmpfs" = 1 ]; then
  fs=$(stat -f -c %T "$dir")
  case "$fs" in tmpfs|ramfs) ;; *) echo "$dir is on $fs, not tmpfs: a secret would be written to disk" >&2; exit 3 ;; esac
fi
umask 377
tmp="$dir/.$name.tmp"
rm -f "$tmp"
cat >"$tmp"
chown "$owner:$group" "$tmp"
chmod 0400 "$tmp"
mv -f "$tmp" "$dir/$name")sh";

// Removes secret files no longer delivered (names kept are the arguments after the directory).
constexpr std::string_view kPruneSecrets = R"sh(dir=$1; shift
[ -d "$dir" ] || exit 0
for f in "$dir"/* "$dir"/.*.tmp; do
  [ -e "$f" ] || continue
  n=${f##*/} keep=0
  for k in "$@"; do [ "$n" = "$k" ] && keep=1; done
  [ $keep = 1 ] || rm -f "$f"
done)sh";

// Writes the configuration from standard input, keeping the one it replaces as .previous.
constexpr std::string_view kWriteConfiguration = R"sh(set -e
cfg=$1
umask 022
mkdir -p "${cfg%/*}"
tmp="${cfg%/*}/.${cfg##*/}.tmp"
cat >"$tmp"
chown root:root "$tmp"
chmod 0644 "$tmp"
if [ -f "$cfg" ]; then cp -p "$cfg" "$cfg.previous"; else rm -f "$cfg.previous"; fi
mv -f "$tmp" "$cfg")sh";

// Puts the previous configuration back (after a roll back); none: the file goes.
constexpr std::string_view kRestoreConfiguration = R"sh(cfg=$1
if [ -f "$cfg.previous" ]; then mv -f "$cfg.previous" "$cfg"; else rm -f "$cfg"; fi)sh";

// Writes delivery.json (its content is the second argument).
constexpr std::string_view kWriteState = R"sh(set -e
umask 022
mkdir -p "${1%/*}"
printf '%s\n' "$2" >"$1.tmp"
mv -f "$1.tmp" "$1")sh";

// Removes what was delivered.
constexpr std::string_view kRemove = R"sh(cfg=$1 state=$2 dir=$3
rm -f "$cfg" "$cfg.previous" "$state" "${cfg%/*}/.${cfg##*/}.tmp" "$state.tmp"
rm -rf "$dir"
rmdir "${cfg%/*}" 2>/dev/null
exit 0)sh";

/// A nixos-config resource's attributes, parsed.
struct Spec {
  std::string address;
  std::string hostKey;                         ///< the machine's own ("SHA256:…", its provider's output); "" if none
  std::string configuration;                   ///< canonical JSON, the file's exact bytes
  std::map<std::string, std::string> secrets;  ///< file name -> clear value
};

class SshNixosProvider final : public NixosProvider {
 public:
  explicit SshNixosProvider(const ProviderConfig& config) : target_(config.target), stateUrl_(config.stateUrl) {
    static const std::set<std::string, std::less<>> known{
        "privateKey",    "user",          "port",           "knownHostKeys",        "configurationPath",
        "secretsOwner",  "secretsGroup",  "secretsDirectoryMode", "requireTmpfs",   "switchCommand",
        "rollbackCommand", "healthCommand", "profile",      "timeoutMs",            "commandTimeoutMs",
        "switchTimeoutMs"};
    for (auto& kv : config.settings)
      if (!known.count(kv.key()))
        bad(std::string(kv.key()),
            "unknown setting of the ssh NixOS provider (known: privateKey, user, port, knownHostKeys, "
            "configurationPath, secretsOwner, secretsGroup, secretsDirectoryMode, requireTmpfs, switchCommand, "
            "rollbackCommand, healthCommand, profile, timeoutMs, commandTimeoutMs, switchTimeoutMs)");
    Settings s(config.settings);
    privateKey_ = s.string("privateKey");
    if (privateKey_.find("PRIVATE KEY-----") == std::string::npos)
      bad("privateKey", "must be a private key (OpenSSH or PEM text; give it as {\"file\": path} or sealed)");
    user_ = s.string("user", "root");
    port_ = static_cast<int>(s.integer("port", 22));
    if (port_ < 1 || port_ > 65535) bad("port", "must be a TCP port");
    if (auto* k = config.settings.if_contains("knownHostKeys")) {
      if (!k->is_object()) bad("knownHostKeys", "must be an object of address to \"SHA256:…\" fingerprint");
      for (auto& kv : k->get_object()) {
        if (!kv.value().is_string() || !kv.value().get_string().starts_with("SHA256:"))
          bad("knownHostKeys." + std::string(kv.key()), "must be a fingerprint \"SHA256:<base64>\" (ssh-keygen -lf)");
        knownHostKeys_[std::string(kv.key())] = std::string(kv.value().get_string());
      }
    }
    configurationPath_ = s.string("configurationPath", "/etc/nixos/fedihost/configuration.json");
    if (!safePath(configurationPath_)) bad("configurationPath", "must be an absolute path of [A-Za-z0-9._/-]");
    statePath_ = configurationPath_.substr(0, configurationPath_.rfind('/')) + "/delivery.json";
    secretsOwner_ = s.string("secretsOwner", "root");
    secretsGroup_ = s.string("secretsGroup", "root");
    if (!safeName(secretsOwner_)) bad("secretsOwner", "must be a user name");
    if (!safeName(secretsGroup_)) bad("secretsGroup", "must be a group name");
    secretsDirectoryMode_ = s.string("secretsDirectoryMode", "0711");
    if (!std::regex_match(secretsDirectoryMode_, std::regex("07[0-7][0-7]")))
      bad("secretsDirectoryMode", "must be an octal mode the owner can use, 0700 to 0777");
    requireTmpfs_ = s.boolean("requireTmpfs", true);
    switchCommand_ = command(config.settings, "switchCommand", {"nixos-rebuild", "switch"});
    // Back to the generation that ran before, by number: `nixos-rebuild switch --rollback`
    // would take the one before the current, which is a failed one after a failure.
    rollbackCommand_ = command(config.settings, "rollbackCommand",
                               {"sh", "-c",
                                "nix-env -p \"$1\" --switch-generation \"$2\" && \"$1/bin/switch-to-configuration\" switch",
                                "rollback", "{profile}", "{generation}"});
    healthCommand_ = command(config.settings, "healthCommand", {});
    profile_ = s.string("profile", "/nix/var/nix/profiles/system");
    if (!safePath(profile_)) bad("profile", "must be an absolute path of [A-Za-z0-9._/-]");
    connectTimeout_ = s.timeout();
    commandTimeout_ = std::chrono::milliseconds(s.integer("commandTimeoutMs", 60000));
    switchTimeout_ = std::chrono::milliseconds(s.integer("switchTimeoutMs", 30 * 60 * 1000));
    if (connectTimeout_.count() <= 0) bad("timeoutMs", "must be positive");
    if (commandTimeout_.count() <= 0) bad("commandTimeoutMs", "must be positive");
    if (switchTimeout_.count() <= 0) bad("switchTimeoutMs", "must be positive");
    if (stateUrl_.empty()) throw AbortError(Error::invalid("stateUrl", "the ssh provider pins host keys in the state database"));
  }

  std::string implementation() const override { return "ssh"; }
  Capabilities capabilities() const override { return {.canUpdateInPlace = true, .canList = false, .hasData = false}; }

  Result<Observed> create(const ResolvedResource& r) override { return deliver(r); }
  Result<Observed> update(const ResolvedResource& r) override { return deliver(r); }

  Result<Observed> read(const ResolvedResource& r) override {
    auto spec = parse(r);
    if (!spec) return spec.error();
    auto c = connect(r, *spec);
    if (!c) return c.error();
    auto held = probe(c->conn);
    if (!held) return held.error();
    if (held->configurationSha256.empty() && held->state.empty())
      return Error{ErrorKind::NotFound, "no configuration delivered at " + spec->address + ":" + configurationPath_, {}};
    Observed o;
    o.attributes = {{"machine", r.resource.attributes.at("machine")}, {"address", spec->address}};
    if (!held->configurationSha256.empty()) {
      auto text = runChecked(c->conn, "cat " + shellQuote(configurationPath_), {}, commandTimeout_);
      if (!text) return text.error();
      try {
        o.attributes["configuration"] = json::parse(*text);
      } catch (const std::exception&) {
        o.attributes["configuration"] = *text;  // not JSON: differs, so the next apply writes it again
      }
    }
    o.outputs = outputs(*c, *held, held->configurationSha256);
    std::vector<std::string> due;
    if (secretHashes(*spec) != held->secrets) due.push_back("secrets differ in " + std::string(kSecretsDir));
    const auto delivered = stateInt(held->state, "generation");
    if (!held->state.empty() && delivered != held->generation)
      due.push_back("the machine runs generation " + std::to_string(held->generation) + ", not " +
                    std::to_string(delivered) + " that was delivered");
    for (auto& d : due) o.due += (o.due.empty() ? "" : "; ") + d;
    return o;
  }

  Result<void> remove(const ResolvedResource& r) override {
    auto spec = parse(r);
    if (!spec) return spec.error();
    auto c = connect(r, *spec);
    if (!c) return c.error();
    if (auto ok = runChecked(c->conn, script(kRemove, {configurationPath_, statePath_, kSecretsDir}), {},
                             commandTimeout_);
        !ok)
      return ok.error();
    auto forgotten = db<bool>([&](store::SshHostKeyStore& keys) -> Result<bool> {
      keys.remove(r.resource.key);
      return true;
    });
    if (!forgotten) return forgotten.error();
    return {};
  }

  Result<std::vector<std::string>> list(std::string_view) override {
    return Error::invalid("list", "the ssh NixOS provider cannot list: it knows a machine only from its resource");
  }

 private:
  [[noreturn]] static void bad(const std::string& name, const std::string& msg) {
    throw AbortError(Error::invalid("settings." + name, msg));
  }

  static std::vector<std::string> command(const json::object& settings, std::string_view name,
                                          std::vector<std::string> fallback) {
    auto* v = settings.if_contains(name);
    if (!v) return fallback;
    if (!v->is_array()) bad(std::string(name), "must be an array of strings (the command and its arguments)");
    std::vector<std::string> out;
    for (auto& e : v->get_array()) {
      if (!e.is_string() || e.get_string().empty()) bad(std::string(name), "must be an array of non-empty strings");
      out.emplace_back(e.get_string());
    }
    if (out.empty() && name != "healthCommand") bad(std::string(name), "must name a command");
    return out;
  }

  static std::int64_t stateInt(const json::object& state, std::string_view name) {
    auto* v = state.if_contains(name);
    return v && v->is_int64() ? v->get_int64() : 0;
  }
  static std::string stateString(const json::object& state, std::string_view name) {
    auto* v = state.if_contains(name);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  }

  static Result<Spec> parse(const ResolvedResource& r) {
    if (r.resource.kind != ResourceKind::NixosConfig)
      return Error{ErrorKind::Internal, "a " + std::string(toString(r.resource.kind)) + " resource was given to ssh", {}};
    const auto& a = r.resource.attributes;
    if (auto m = stringAttribute(a, "machine"); !m) return m.error();
    Spec s;
    auto addr = stringAttribute(a, "address");
    if (!addr) return Error::invalid("attributes.address", "the machine's address is required (the IP resource's output)");
    if (addr->empty() || addr->find_first_of(" \t\n/@") != std::string::npos)
      return Error::invalid("attributes.address", "\"" + *addr + "\" is not an address");
    s.address = *addr;
    if (auto* k = a.if_contains("hostKeyFingerprint"); k && !k->is_null()) {
      if (!k->is_string() || !k->get_string().starts_with("SHA256:") || k->get_string().size() < 8)
        return Error::invalid("attributes.hostKeyFingerprint",
                              "must be a fingerprint \"SHA256:<base64>\" (the machine's output) or null");
      s.hostKey = std::string(k->get_string());
    }
    auto* c = a.if_contains("configuration");
    if (!c || !c->is_object()) return Error::invalid("attributes.configuration", "must be an object");
    s.configuration = jsonutil::canonical(*c);
    if (auto* sec = a.if_contains("secrets")) {
      if (!sec->is_object()) return Error::invalid("attributes.secrets", "must be an object of file name to secret");
      for (auto& kv : sec->get_object()) {
        const std::string field = "attributes.secrets." + std::string(kv.key());
        if (!safeName(kv.key())) return Error::invalid(field, "is not a file name of [A-Za-z0-9._-]");
        const auto* o = kv.value().if_object();
        const auto* sealed = o ? o->if_contains("sealed") : nullptr;
        if (!sealed || !sealed->is_string()) return Error::invalid(field, "must be a sealed secret");
        if (!r.box) return Error{ErrorKind::Internal, "no secret box to open " + field, {}};
        auto clear = r.box->open(std::string_view(sealed->get_string().data(), sealed->get_string().size()));
        if (!clear) return clear.error();
        s.secrets[std::string(kv.key())] = std::move(*clear);
      }
    }
    return s;
  }

  static std::map<std::string, std::string> secretHashes(const Spec& s) {
    std::map<std::string, std::string> out;
    for (auto& [name, value] : s.secrets) out[name] = sha256Hex(value);
    return out;
  }

  /// Runs `f` on the state database; a database failure is Unavailable.
  template <class T, class F>
  Result<T> db(F&& f) {
    std::lock_guard lock(dbMu_);
    try {
      if (!conn_) conn_ = store::connect(stateUrl_);
      store::SshHostKeyStore keys(*conn_);
      return f(keys);
    } catch (const store::DatabaseError& e) {
      conn_.reset();
      return Error{ErrorKind::Unavailable, std::string("ssh: the state database failed: ") + e.what(), {}};
    }
  }

  struct Connected {
    SshConnection conn;
    std::string fingerprint;
  };

  /// Connects, checks the host key, and only then authenticates. The key expected is, in
  /// this order: the one the target's knownHostKeys names for the address; the machine's own
  /// (the resource's hostKeyFingerprint, its machine provider's output), which a delivery
  /// (`pin`) then pins in place of any older pin, so a rebuilt machine is followed; or else
  /// the one pinned, which a delivery pins at first sight when none is (trust on first use).
  /// Read and remove pin nothing (no pin is left behind for a resource that is gone) and
  /// send nothing secret.
  Result<Connected> connect(const ResolvedResource& r, const Spec& spec, bool pin = false) {
    const auto& address = spec.address;
    auto conn = SshConnection::open({address, port_, user_, connectTimeout_});
    if (!conn) return conn.error();
    auto seen = conn->hostKeyFingerprint();
    if (!seen) return seen.error();
    const store::SshHostKey mine{r.resource.key, target_, r.resource.deployment, address, *seen, {}};
    auto named = knownHostKeys_.find(address);
    const bool fromMachine = named == knownHostKeys_.end() && !spec.hostKey.empty();
    auto pinned = db<std::optional<store::SshHostKey>>(
        [&](store::SshHostKeyStore& keys) -> Result<std::optional<store::SshHostKey>> {
          if (named != knownHostKeys_.end()) {
            if (*seen == named->second) keys.replace(mine);
            return std::optional(mine);
          }
          if (fromMachine) {
            if (pin && *seen == spec.hostKey) keys.replace(mine);
            return keys.find(r.resource.key);
          }
          if (pin) return std::optional(keys.pinIfAbsent(mine));
          return std::optional(keys.find(r.resource.key).value_or(mine));
        });
    if (!pinned) return pinned.error();
    auto pinDescribed = [&](const store::SshHostKey& k) {
      return k.fingerprint + " was pinned for " + r.resource.key + " on " + k.pinnedAt + " (at " + k.address + ")";
    };
    if (named != knownHostKeys_.end() && *seen != named->second)
      return Error{ErrorKind::Provider,
                   "ssh: the host key of " + address + " is " + *seen + ", not " + named->second +
                       " as the target's knownHostKeys says; refusing to connect",
                   {}};
    if (fromMachine && *seen != spec.hostKey)
      return Error{ErrorKind::Provider,
                   "ssh: the host key of " + address + " is " + *seen + ", but the machine's host key is " +
                       spec.hostKey + " (the output hostKeyFingerprint of its machine provider)" +
                       (*pinned ? " and " + pinDescribed(**pinned) : std::string(", and no key was pinned")) +
                       "; refusing to connect",
                   {}};
    if (!fromMachine && *pinned && (*pinned)->fingerprint != *seen)
      return Error{ErrorKind::Provider,
                   "ssh: the host key of " + address + " is " + *seen + ", but " + pinDescribed(**pinned) +
                       "; refusing to connect. If the machine was rebuilt, put its new fingerprint in the target's "
                       "knownHostKeys for " + address,
                   {}};
    if (auto ok = conn->authenticate(privateKey_); !ok) return ok.error();
    return Connected{std::move(*conn), *seen};
  }

  /// Runs a command; an exit status other than 0 is a Provider error with its error output.
  static Result<std::string> runChecked(SshConnection& c, const std::string& cmd, std::string_view input,
                                        std::chrono::milliseconds timeout) {
    auto r = c.run(cmd, input, timeout);
    if (!r) return r.error();
    if (r->exitStatus != 0) return failure(c, cmd, *r);
    return std::move(r->out);
  }

  static Error failure(SshConnection& c, const std::string& what, const CommandResult& r) {
    auto detail = trimmed(r.err.empty() ? r.out : r.err);
    if (detail.size() > 4000) detail = "…" + detail.substr(detail.size() - 4000);
    return {ErrorKind::Provider,
            "`" + what + "` failed on " + c.endpoint().host + " (exit status " + std::to_string(r.exitStatus) +
                "): " + detail,
            {}};
  }

  Result<Held> probe(SshConnection& c) {
    auto out = runChecked(c, script(kProbe, {configurationPath_, statePath_, kSecretsDir, profile_}), {}, commandTimeout_);
    if (!out) return out.error();
    Held h;
    static const std::regex generation(R"(^generation .*-([0-9]+)-link$)");
    std::size_t pos = 0;
    while (pos < out->size()) {
      auto end = out->find('\n', pos);
      if (end == std::string::npos) end = out->size();
      std::string line = out->substr(pos, end - pos);
      pos = end + 1;
      std::smatch m;
      if (std::regex_match(line, m, generation)) {
        h.generation = std::stoll(m[1]);
      } else if (line.starts_with("configuration ")) {
        h.configurationSha256 = line.substr(14);
      } else if (line.starts_with("state ")) {
        try {
          auto v = json::parse(line.substr(6));
          if (v.is_object()) h.state = std::move(v.get_object());
        } catch (const std::exception&) {
          // A damaged delivery.json counts as none: the next delivery switches and writes it again.
        }
      } else if (line.starts_with("secret ")) {
        auto sp = line.find(' ', 7);
        if (sp != std::string::npos) h.secrets[line.substr(sp + 1)] = line.substr(7, sp - 7);
      }
    }
    return h;
  }

  json::object outputs(const Connected& c, const Held& h, const std::string& sha) const {
    return {{"generation", h.generation},
            {"configurationSha256", sha},
            {"hostKeyFingerprint", c.fingerprint},
            {"address", c.conn.endpoint().host}};
  }

  Result<void> writeState(SshConnection& c, const json::object& state) {
    auto ok = runChecked(c, script(kWriteState, {statePath_, json::serialize(state)}), {}, commandTimeout_);
    if (!ok) return ok.error();
    return {};
  }

  /// The switch (or the health check) failed: back to generation `before` and the previous configuration file.
  Error rollBack(SshConnection& c, Error failed, std::int64_t before, const json::object& stateBefore) {
    auto held = probe(c);
    if (held && held->generation != before) {
      std::vector<std::string> argv;
      for (auto word : rollbackCommand_) {
        for (auto [name, value] : {std::pair<std::string, std::string>{"{generation}", std::to_string(before)},
                                   {"{profile}", profile_}})
          for (auto at = word.find(name); at != std::string::npos; at = word.find(name, at + value.size()))
            word.replace(at, name.size(), value);
        argv.push_back(std::move(word));
      }
      const auto cmd = commandLine(argv);
      auto rb = c.run(cmd, {}, switchTimeout_);
      if (!rb)
        failed.message += "; the roll back could not run: " + rb.error().message;
      else if (rb->exitStatus != 0)
        failed.message += "; the roll back failed too: " + failure(c, cmd, *rb).message;
      else
        failed.message += "; rolled back to generation " + std::to_string(before);
    } else if (held) {
      failed.message += "; no new generation was made (generation " + std::to_string(before) + " still runs)";
    }
    if (auto ok = runChecked(c, script(kRestoreConfiguration, {configurationPath_}), {}, commandTimeout_); !ok)
      failed.message += "; the previous configuration file could not be put back: " + ok.error().message;
    (void)writeState(c, stateBefore);
    return failed;
  }

  Result<Observed> deliver(const ResolvedResource& r) {
    auto spec = parse(r);
    if (!spec) return spec.error();
    auto c = connect(r, *spec, true);
    if (!c) return c.error();
    auto held = probe(c->conn);
    if (!held) return held.error();
    const std::string sha = sha256Hex(spec->configuration);

    // Secrets first (only those that differ), so the switch finds them; then the configuration.
    const auto want = secretHashes(*spec);
    const bool secretsChanged = want != held->secrets;
    for (auto& [name, value] : spec->secrets) {
      auto it = held->secrets.find(name);
      if (it != held->secrets.end() && it->second == want.at(name)) continue;
      const auto cmd = script(kWriteSecret, {kSecretsDir, name, secretsOwner_, secretsGroup_, secretsDirectoryMode_,
                                             requireTmpfs_ ? "1" : "0"});
      auto ok = c->conn.run(cmd, value, commandTimeout_);
      if (!ok) return ok.error();
      if (ok->exitStatus != 0) return failure(c->conn, "writing " + std::string(kSecretsDir) + "/" + name, *ok);
    }
    if (secretsChanged) {
      std::vector<std::string> keep{kSecretsDir};
      for (auto& [name, _] : spec->secrets) keep.push_back(name);
      if (auto ok = runChecked(c->conn, script(kPruneSecrets, keep), {}, commandTimeout_); !ok) return ok.error();
    }
    if (held->configurationSha256 != sha)
      if (auto ok = runChecked(c->conn, script(kWriteConfiguration, {configurationPath_}), spec->configuration,
                               commandTimeout_);
          !ok)
        return ok.error();

    json::object state = held->state;
    std::int64_t generation = held->generation;
    const bool switched = stateString(state, "configurationSha256") == sha && stateInt(state, "generation") == generation;
    // A switch to this configuration made by a delivery that was killed before it recorded it.
    const bool switchedBeforeKill = stateString(state, "pendingSha256") == sha &&
                                    held->configurationSha256 == sha &&
                                    stateInt(state, "pendingFrom") != generation;
    if (!switched || secretsChanged) {
      json::object before = state;
      before.erase("pendingSha256");
      before.erase("pendingFrom");
      std::int64_t from = generation;
      if (switchedBeforeKill && !secretsChanged) {
        from = stateInt(state, "pendingFrom");
      } else {
        json::object pending = before;
        pending["pendingSha256"] = sha;
        pending["pendingFrom"] = generation;
        if (auto ok = writeState(c->conn, pending); !ok) return ok.error();
        const auto cmd = commandLine(switchCommand_);
        auto sw = c->conn.run(cmd, {}, switchTimeout_);
        if (!sw) return rollBack(c->conn, sw.error(), from, before);
        if (sw->exitStatus != 0) return rollBack(c->conn, failure(c->conn, cmd, *sw), from, before);
      }
      if (!healthCommand_.empty()) {
        const auto cmd = commandLine(healthCommand_);
        auto hc = c->conn.run(cmd, {}, commandTimeout_);
        if (!hc) return rollBack(c->conn, hc.error(), from, before);
        if (hc->exitStatus != 0) return rollBack(c->conn, failure(c->conn, cmd, *hc), from, before);
      }
      auto after = probe(c->conn);
      if (!after) return after.error();
      generation = after->generation;
      state = {{"configurationSha256", sha}, {"generation", generation}};
      if (auto ok = writeState(c->conn, state); !ok) return ok.error();
      held = std::move(*after);
    }
    Observed o;
    o.attributes = r.resource.attributes;
    held->generation = generation;
    o.outputs = outputs(*c, *held, sha);
    return o;
  }

  std::string target_;
  std::string stateUrl_;
  std::string privateKey_;
  std::string user_;
  int port_ = 22;
  std::map<std::string, std::string> knownHostKeys_;
  std::string configurationPath_;
  std::string statePath_;
  std::string secretsOwner_;
  std::string secretsGroup_;
  std::string secretsDirectoryMode_;
  bool requireTmpfs_ = true;
  std::vector<std::string> switchCommand_;
  std::vector<std::string> rollbackCommand_;
  std::vector<std::string> healthCommand_;
  std::string profile_;
  std::chrono::milliseconds connectTimeout_{10000};
  std::chrono::milliseconds commandTimeout_{60000};
  std::chrono::milliseconds switchTimeout_{1800000};
  std::mutex dbMu_;
  std::unique_ptr<store::Connection> conn_;
};

}  // namespace

std::unique_ptr<NixosProvider> makeNixosProvider(const ProviderConfig& config) {
  return std::make_unique<SshNixosProvider>(config);
}

}  // namespace fedihost::providers::nixos_ssh
