// The "postfix" mail provider (see postfix.hh): SASL users in a sasldb, a
// sender login map generated from our manifest, both managed with Postfix's
// and Cyrus SASL's own commands.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "core/fd.hh"
#include "core/json_util.hh"
#include "providers/attributes.hh"
#include "providers/file/file_store.hh"
#include "providers/postfix/postfix.hh"

namespace fedihost::providers::postfix {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// ------------------------------------------------------------ child processes

struct CommandOutput {
  int exitCode = -1;   ///< -1 if killed by a signal
  std::string output;  ///< stdout and stderr together
};

std::string describe(const std::vector<std::string>& argv) {
  std::string s;
  for (auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

/// Runs argv[0] (an absolute path; no shell) with `input` on its standard input
/// (a socket, so that a child that does not read cannot kill us with SIGPIPE);
/// killed and Unavailable after `timeout`.
Result<CommandOutput> runCommand(const std::vector<std::string>& argv, std::string_view input,
                                 std::chrono::milliseconds timeout) {
  int in[2], out[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0)
    return Error{ErrorKind::Internal, std::string("socketpair: ") + std::strerror(errno), {}};
  Fd inParent(in[0]), inChild(in[1]);
  if (::pipe2(out, O_CLOEXEC) != 0) return Error{ErrorKind::Internal, std::string("pipe: ") + std::strerror(errno), {}};
  Fd outParent(out[0]), outChild(out[1]);

  std::vector<char*> args;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) return Error{ErrorKind::Unavailable, std::string("fork: ") + std::strerror(errno), {}};
  if (pid == 0) {
    // Only async-signal-safe calls until exec. dup2 clears close-on-exec on 0, 1, 2.
    if (::dup2(inChild.get(), 0) < 0 || ::dup2(outChild.get(), 1) < 0 || ::dup2(outChild.get(), 2) < 0) _exit(126);
    ::execv(args[0], args.data());
    _exit(127);
  }
  inChild.close();
  outChild.close();

  const auto deadline = Clock::now() + timeout;
  bool timedOut = false;
  for (std::size_t sent = 0; sent < input.size();) {
    ssize_t n = ::send(inParent.get(), input.data() + sent, input.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;  // the child closed its input: its exit status tells the rest
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(inParent.get(), SHUT_WR);

  CommandOutput result;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      timedOut = true;
      break;
    }
    pollfd p{outParent.get(), POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(outParent.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child (and anything it started) closed its output
    if (result.output.size() < (1u << 20)) result.output.append(buf, static_cast<std::size_t>(n));
  }

  if (timedOut) ::kill(pid, SIGKILL);
  int status = 0;
  for (;;) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return Error{ErrorKind::Internal, std::string("waitpid: ") + std::strerror(errno), {}};
    if (!timedOut && Clock::now() >= deadline) {  // closed its output but lingers
      timedOut = true;
      ::kill(pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (timedOut)
    return Error{ErrorKind::Unavailable,
                 describe(argv) + " did not finish within " + std::to_string(timeout.count()) + " ms",
                 {}};
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  while (!result.output.empty() && (result.output.back() == '\n' || result.output.back() == ' '))
    result.output.pop_back();
  return result;
}

// ------------------------------------------------------------ attributes

struct Address {
  std::string full;    ///< local@domain, the SASL login and the sender address
  std::string local;   ///< the SASL user name
  std::string domain;  ///< the SASL realm
};

bool localChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-' || c == '+';
}
bool domainChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/// A plain address: what goes into a map line and a SASL user name must be unambiguous.
Result<Address> parseAddress(const std::string& a) {
  const auto bad = [&](const std::string& why) { return Error::invalid("attributes.address", "\"" + a + "\" " + why); };
  const auto at = a.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == a.size() || a.find('@', at + 1) != std::string::npos)
    return bad("is not a mail address (local@domain)");
  if (a.size() > 254) return bad("is longer than 254 characters");
  Address r{a, a.substr(0, at), a.substr(at + 1)};
  for (char c : r.local)
    if (!localChar(c)) return bad("has a local part with characters other than letters, digits and . _ - +");
  if (r.local.front() == '.' || r.local.back() == '.' || r.local.find("..") != std::string::npos)
    return bad("has a misplaced dot in its local part");
  for (char c : r.domain)
    if (!domainChar(c)) return bad("has a domain with characters other than letters, digits, . and -");
  if (r.domain.front() == '.' || r.domain.back() == '.' || r.domain.find("..") != std::string::npos ||
      r.domain.find('.') == std::string::npos)
    return bad("has no valid domain name");
  return r;
}

Result<std::string> checkPassword(Result<std::string> pw) {
  if (!pw) return pw.error();
  if (pw->empty()) return Error::invalid("attributes.password", "must not be empty");
  if (pw->size() > 255) return Error::invalid("attributes.password", "is longer than 255 bytes");
  for (char c : *pw)
    if (c == '\n' || c == '\r' || c == '\0')
      return Error::invalid("attributes.password", "must not contain line breaks or NUL (saslpasswd2 reads one line)");
  return pw;
}

// ------------------------------------------------------------ settings

std::string commandSetting(const Settings& s, const json::object& raw, std::string_view name, std::string_view fallback,
                           bool mayBeEmpty = false) {
  std::string v;
  if (mayBeEmpty) {
    auto* p = raw.if_contains(name);
    if (p && !p->is_string()) throw AbortError(Error::invalid("settings." + std::string(name), "must be a string"));
    v = p ? std::string(p->get_string()) : std::string(fallback);
    if (v.empty()) return v;
  } else {
    v = s.string(name, fallback);
  }
  if (v.front() != '/')
    throw AbortError(
        Error::invalid("settings." + std::string(name), "must be an absolute path (no shell, no PATH search)"));
  return v;
}

std::string pathSetting(const Settings& s, std::string_view name) {
  auto v = s.string(name);
  if (v.front() != '/') throw AbortError(Error::invalid("settings." + std::string(name), "must be an absolute path"));
  return v;
}

// ------------------------------------------------------------ the provider

/// Identity key → address, as kept in the manifest.
using Accounts = std::map<std::string, std::string>;

class PostfixMailProvider final : public MailProvider {
 public:
  explicit PostfixMailProvider(const ProviderConfig& config)
      : files_(ProviderConfig{"postfix", mapDirOf(config), config.settings, {}, {}}, file::FileStore::Access::Shared) {
    Settings s(config.settings);
    host_ = s.string("host");
    port_ = s.integer("port", 587);
    if (port_ < 1 || port_ > 65535)
      throw AbortError(Error::invalid("settings.port", "must be a TCP port (1 to 65535)"));
    configDir_ = pathSetting(s, "configDir");
    saslDb_ = pathSetting(s, "saslDb");
    senderMap_ = pathSetting(s, "senderLoginMap");
    mapType_ = s.string("mapType", "hash");
    for (char c : mapType_)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
        throw AbortError(Error::invalid("settings.mapType", "must be a Postfix map type such as hash, lmdb or cdb"));
    postmap_ = commandSetting(s, config.settings, "postmapCommand", "/usr/sbin/postmap");
    postfix_ = commandSetting(s, config.settings, "postfixCommand", "/usr/sbin/postfix", true);
    saslpasswd_ = commandSetting(s, config.settings, "saslpasswdCommand", "/usr/sbin/saslpasswd2");
    sasldblistusers_ = commandSetting(s, config.settings, "sasldblistusersCommand", "/usr/sbin/sasldblistusers2");
    if (auto* g = config.settings.if_contains("saslDbGroup")) {
      if (!g->is_string()) throw AbortError(Error::invalid("settings.saslDbGroup", "must be a group name"));
      saslDbGroup_ = std::string(g->get_string());
    }
    timeout_ = s.timeout();
    if (timeout_.count() <= 0)
      throw AbortError(Error::invalid("settings.timeoutMs", "must be a positive number of milliseconds"));
    manifest_ = senderMap_.string() + ".fedihost.json";
    lockFile_ = senderMap_.string() + ".fedihost.lock";
  }

  std::string implementation() const override { return "postfix"; }

  Result<Observed> create(const ResolvedResource& r) override { return converge(r, false); }
  Result<Observed> update(const ResolvedResource& r) override { return converge(r, true); }

  Result<Observed> read(const ResolvedResource& r) override {
    if (auto a = stringAttribute(r.resource.attributes, "address"); !a) return a.error();
    auto lock = takeLock();
    if (!lock) return lock.error();
    auto accounts = loadAccounts();
    if (!accounts) return accounts.error();
    auto it = accounts->find(r.resource.key);
    if (it == accounts->end()) return Error::notFound("no mail account for " + r.resource.key);
    auto address = parseAddress(it->second);
    if (!address) return Error{ErrorKind::Internal, manifest_.string() + ": " + address.error().message, {}};
    auto users = saslUsers();
    if (!users) return users.error();
    if (!users->contains(address->full))
      return Error::notFound("the SASL account " + address->full + " is missing from " + saslDb_.string());
    auto owner = lookupSender(address->full);
    if (!owner) return owner.error();
    if (*owner != address->full)
      return Error::notFound("the sender login map " + senderMap_.string() + " does not give " + address->full +
                             " to its account");
    return observed(*address);
  }

  Result<void> remove(const ResolvedResource& r) override {
    auto lock = takeLock();
    if (!lock) return lock.error();
    auto accounts = loadAccounts();
    if (!accounts) return accounts.error();
    auto it = accounts->find(r.resource.key);
    if (it == accounts->end()) return {};  // not ours (or gone): nothing to do
    auto address = parseAddress(it->second);
    if (address) {
      if (auto ok = deleteSaslUser(*address); !ok) return ok;
    }
    accounts->erase(it);
    // The map first, the manifest last: an interrupted remove is found and finished again.
    if (auto ok = publishMap(*accounts); !ok) return ok;
    return saveAccounts(*accounts);
  }

  Result<std::vector<std::string>> list(std::string_view deployment) override {
    auto lock = takeLock();
    if (!lock) return lock.error();
    auto accounts = loadAccounts();
    if (!accounts) return accounts.error();
    const std::string prefix = std::string(deployment) + "/";
    std::vector<std::string> keys;
    for (auto& [key, _] : *accounts)
      if (key.starts_with(prefix)) keys.push_back(key);
    return keys;
  }

 private:
  static fs::path mapDirOf(const ProviderConfig& c) {
    auto* m = c.settings.if_contains("senderLoginMap");
    if (!m || !m->is_string() || m->get_string().empty())
      throw AbortError(Error::invalid("settings.senderLoginMap", "is required"));
    auto dir = fs::path(std::string(m->get_string())).parent_path();
    return dir.empty() ? fs::path(".") : dir;
  }

  Observed observed(const Address& a) const {
    Observed o;
    o.attributes = {{"address", a.full}};
    o.outputs = {{"host", host_}, {"port", port_}, {"username", a.full}};
    return o;
  }

  Result<std::unique_ptr<file::FileLock>> takeLock() const {
    try {
      return std::make_unique<file::FileLock>(lockFile_);
    } catch (const AbortError& e) {
      return e.error();
    }
  }

  Result<Accounts> loadAccounts() const {
    auto v = files_.readJson(manifest_);
    if (!v) return v.error();
    Accounts out;
    if (!*v) return out;
    const auto bad = [&] {
      return Error{ErrorKind::Internal, manifest_.string() + " is not a fedihost mail manifest", {}};
    };
    auto* o = (*v)->if_object();
    auto* accounts = o ? o->if_contains("accounts") : nullptr;
    if (!accounts || !accounts->is_object()) return bad();
    for (auto& [key, address] : accounts->get_object()) {
      if (!address.is_string()) return bad();
      out.emplace(std::string(key), std::string(address.get_string()));
    }
    return out;
  }

  Result<void> saveAccounts(const Accounts& accounts) const {
    json::object list;
    for (auto& [key, address] : accounts) list[key] = address;
    json::object doc{{"version", 1}, {"accounts", std::move(list)}};
    auto ok = files_.write(manifest_, jsonutil::canonical(doc));
    if (!ok) return ok.error();
    return {};
  }

  Result<CommandOutput> command(std::vector<std::string> argv, std::string_view input = {}) const {
    return runCommand(argv, input, timeout_);
  }

  static Error commandFailed(const std::vector<std::string>& argv, const CommandOutput& out) {
    return {ErrorKind::Provider,
            describe(argv) + " failed (exit " + std::to_string(out.exitCode) + ")" +
                (out.output.empty() ? std::string() : ": " + out.output),
            {}};
  }

  /// Every user in the sasldb, as "user@realm".
  Result<std::set<std::string>> saslUsers() const {
    std::set<std::string> users;
    std::error_code ec;
    if (!fs::exists(saslDb_, ec)) return users;
    std::vector<std::string> argv{sasldblistusers_, "-f", saslDb_.string()};
    auto out = command(argv);
    if (!out) return out.error();
    // It exits 0 even when it fails; a failure is a line without ": ".
    std::istringstream lines(out->output);
    for (std::string line; std::getline(lines, line);) {
      auto colon = line.find(": ");
      if (colon == std::string::npos) return commandFailed(argv, *out);
      users.insert(line.substr(0, colon));
    }
    if (out->exitCode != 0) return commandFailed(argv, *out);
    return users;
  }

  Result<void> fixSaslDbPermissions() const {
    if (saslDbGroup_.empty()) return {};
    struct group gr {};
    struct group* found = nullptr;
    std::vector<char> buf(16384);
    if (::getgrnam_r(saslDbGroup_.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found)
      return Error::invalid("settings.saslDbGroup", "no group named \"" + saslDbGroup_ + "\"");
    if (::chown(saslDb_.c_str(), static_cast<uid_t>(-1), found->gr_gid) != 0 || ::chmod(saslDb_.c_str(), 0640) != 0)
      return Error{ErrorKind::Internal,
                   "cannot give " + saslDb_.string() + " to group " + saslDbGroup_ + ": " + std::strerror(errno),
                   {}};
    return {};
  }

  Result<void> setSaslUser(const Address& a, const std::string& password) const {
    std::vector<std::string> argv{saslpasswd_, "-p", "-c", "-f", saslDb_.string(), "-u", a.domain, a.local};
    auto out = command(argv, password);
    if (!out) return out.error();
    if (out->exitCode != 0) return commandFailed(argv, *out);
    return fixSaslDbPermissions();
  }

  Result<void> deleteSaslUser(const Address& a) const {
    std::error_code ec;
    if (!fs::exists(saslDb_, ec)) return {};
    std::vector<std::string> argv{saslpasswd_, "-d", "-f", saslDb_.string(), "-u", a.domain, a.local};
    auto out = command(argv);
    if (!out) return out.error();
    if (out->exitCode != 0) return commandFailed(argv, *out);
    return {};
  }

  /// The login the sender map gives `address` to ("" if none).
  Result<std::string> lookupSender(const std::string& address) const {
    std::vector<std::string> argv{postmap_, "-c",    configDir_.string(),
                                  "-q",     address, mapType_ + ":" + senderMap_.string()};
    auto out = command(argv);
    if (!out) return out.error();
    if (out->exitCode == 0) return out->output;
    if (out->exitCode == 1 && out->output.empty()) return std::string();  // not found
    return commandFailed(argv, *out);
  }

  /// Writes the sender login map from the accounts, rebuilds it with postmap,
  /// and has Postfix reload if its content changed.
  Result<void> publishMap(const Accounts& accounts) const {
    std::set<std::string> addresses;
    for (auto& [_, a] : accounts) addresses.insert(a);
    std::string text =
        "# Generated by fedihost from " + manifest_.filename().string() + "; every change here is overwritten.\n";
    for (auto& a : addresses) text += a + " " + a + "\n";
    auto current = files_.readText(senderMap_);
    if (!current) return current.error();
    const bool changed = !*current || **current != text;
    if (changed)
      if (auto w = files_.write(senderMap_, text); !w) return w.error();
    // Always rebuilt: a previous call may have stopped between writing the text and postmap.
    std::vector<std::string> argv{postmap_, "-c", configDir_.string(), mapType_ + ":" + senderMap_.string()};
    auto out = command(argv);
    if (!out) return out.error();
    if (out->exitCode != 0) return commandFailed(argv, *out);
    if (changed && !postfix_.empty()) {
      std::vector<std::string> reload{postfix_, "-c", configDir_.string(), "reload"};
      auto r = command(reload);
      if (!r) return r.error();
      if (r->exitCode != 0) return Error{ErrorKind::Unavailable, describe(reload) + " failed: " + r->output, {}};
    }
    return {};
  }

  Result<Observed> converge(const ResolvedResource& r, bool mustExist) {
    auto attr = stringAttribute(r.resource.attributes, "address");
    if (!attr) return attr.error();
    auto address = parseAddress(*attr);
    if (!address) return address.error();
    auto password = checkPassword(openSecret(r, "password"));
    if (!password) return password.error();
    const auto& key = r.resource.key;

    auto lock = takeLock();
    if (!lock) return lock.error();
    auto accounts = loadAccounts();
    if (!accounts) return accounts.error();
    auto mine = accounts->find(key);
    if (mine == accounts->end() && mustExist) return Error::notFound("no mail account for " + key);
    for (auto& [other, a] : *accounts)
      if (other != key && a == address->full)
        return Error::conflict(address->full + " is already the mail account of " + other, "attributes.address");
    if (mine == accounts->end() || mine->second != address->full) {
      // Never adopt a SASL user we did not record: it belongs to someone else.
      auto users = saslUsers();
      if (!users) return users.error();
      if (users->contains(address->full))
        return Error::conflict(
            "the SASL account " + address->full + " exists in " + saslDb_.string() + " and is not managed by fedihost",
            "attributes.address");
    }
    if (mine != accounts->end() && mine->second != address->full) {
      // A new address: the old login goes first (an interrupted change still finds it recorded).
      if (auto old = parseAddress(mine->second); old)
        if (auto ok = deleteSaslUser(*old); !ok) return ok.error();
    }
    if (mine == accounts->end() || mine->second != address->full) {
      (*accounts)[key] = address->full;
      if (auto ok = saveAccounts(*accounts); !ok) return ok.error();  // recorded before it exists
    }
    if (auto ok = setSaslUser(*address, *password); !ok) return ok.error();
    if (auto ok = publishMap(*accounts); !ok) return ok.error();
    return observed(*address);
  }

  file::FileStore files_;
  std::string host_;
  std::int64_t port_ = 587;
  fs::path configDir_, saslDb_, senderMap_, manifest_, lockFile_;
  std::string mapType_, postmap_, postfix_, saslpasswd_, sasldblistusers_, saslDbGroup_;
  std::chrono::milliseconds timeout_{10000};
};

}  // namespace

std::unique_ptr<MailProvider> makeMailProvider(const ProviderConfig& config) {
  return std::make_unique<PostfixMailProvider>(config);
}

}  // namespace fedihost::providers::postfix
