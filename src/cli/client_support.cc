#include "cli/client_support.hh"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <random>
#include <sstream>
#include <utility>

#include "core/result.hh"

namespace fedihost::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr const char* kDefaultServer = "http://127.0.0.1:8080";

/// A file descriptor, closed when it goes out of scope.
class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int operator*() const { return fd_; }

 private:
  int fd_;
};

[[noreturn]] void fail(const std::string& what, int err) { abortCommand(what + ": " + std::strerror(err)); }

fs::path configDir() {
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : ".") / ".config" / "fedihost";
}

fs::path legacyTokenFile() { return configDir() / "token"; }

std::string withoutTrailingSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

std::string envOr(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

/// Makes `dir` (and its missing parents) with mode 0700, and narrows it to 0700 if others may enter it.
void makePrivateDir(const fs::path& dir) {
  fs::path p;
  for (auto& part : dir) {
    p /= part;
    std::error_code ec;
    if (!fs::exists(p, ec) && ::mkdir(p.c_str(), 0700) != 0 && errno != EEXIST)
      fail("cannot create " + p.string(), errno);
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) fail("cannot use " + dir.string(), errno);
  if (!S_ISDIR(st.st_mode)) abortCommand(dir.string() + " is not a directory");
  if (st.st_uid != ::geteuid()) abortCommand(dir.string() + " belongs to another user: not saving credentials in it");
  if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0)
    fail("cannot make " + dir.string() + " private", errno);
}

std::string randomSuffix() {
  std::random_device rd;
  std::ostringstream s;
  s << std::hex << rd() << rd();
  return s.str();
}

/// Writes `content` to a new file `path` created 0600 (never an existing file, never through a link).
void writeNewPrivateFile(const fs::path& path, const std::string& content) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (*fd < 0) fail("cannot create " + path.string(), errno);
  std::size_t done = 0;
  while (done < content.size()) {
    auto n = ::write(*fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write " + path.string(), errno);
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(*fd) != 0) fail("cannot write " + path.string(), errno);
}

std::optional<Credentials> readLegacyToken() {
  std::ifstream in(legacyTokenFile());
  std::string t;
  if (!in || !std::getline(in, t) || t.empty()) return std::nullopt;
  return Credentials{{}, t};
}

std::string serverFor(const Common& c, const std::optional<Credentials>& saved) {
  if (!c.server.empty()) return withoutTrailingSlash(c.server);
  if (auto env = envOr("FEDIHOST_SERVER"); !env.empty()) return withoutTrailingSlash(env);
  if (saved && !saved->server.empty()) return saved->server;
  return kDefaultServer;
}

std::string tokenFor(const Common& c, const std::optional<Credentials>& saved) {
  if (!c.token.empty()) return c.token;
  if (auto env = envOr("FEDIHOST_TOKEN"); !env.empty()) return env;
  if (!saved) return {};
  // The old token file named no server: it goes wherever the command goes, as it always did.
  if (saved->server.empty() || saved->server == serverFor(c, saved)) return saved->token;
  return {};
}

}  // namespace

void abortCommand(std::string message) {
  Error e;
  e.kind = ErrorKind::Invalid;
  e.message = std::move(message);
  throw AbortError(std::move(e));
}

fs::path credentialsFile() { return configDir() / "credentials.json"; }

std::optional<Credentials> loadCredentials() {
  auto path = credentialsFile();
  std::ifstream in(path);
  if (!in) return readLegacyToken();
  static bool warned = false;  // once per process, however often the credentials are read
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0 && !std::exchange(warned, true))
    std::cerr << "warning: " << path.string() << " may be read by others: log in again to rewrite it 0600\n";
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  auto v = json::parse(ss.str(), ec);
  if (ec || !v.is_object() || str(v, "token").empty()) {
    if (!std::exchange(warned, true))
      std::cerr << "warning: " << path.string() << " is not what `fedihost login` writes: ignored (log in again)\n";
    return std::nullopt;
  }
  return Credentials{withoutTrailingSlash(str(v, "server")), str(v, "token")};
}

void saveCredentials(const Credentials& c) {
  auto path = credentialsFile();
  makePrivateDir(path.parent_path());
  auto tmp = path.parent_path() / ("." + path.filename().string() + "." + randomSuffix() + ".tmp");
  auto content = json::serialize(json::object{{"server", withoutTrailingSlash(c.server)}, {"token", c.token}}) + "\n";
  try {
    writeNewPrivateFile(tmp, content);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    fail("cannot save " + path.string(), err);
  }
  UniqueFd dir(::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (*dir >= 0) ::fsync(*dir);
  std::error_code ec;
  fs::remove(legacyTokenFile(), ec);  // migrated: the credentials file supersedes it
}

bool forgetCredentials() {
  std::error_code ec;
  bool had = fs::remove(credentialsFile(), ec);
  had = fs::remove(legacyTokenFile(), ec) || had;
  return had;
}

std::string resolveServer(const Common& c) {
  if (!c.server.empty() || !envOr("FEDIHOST_SERVER").empty()) return serverFor(c, std::nullopt);
  return serverFor(c, loadCredentials());
}

std::string resolveToken(const Common& c) { return tokenFor(c, loadCredentials()); }

void addCommonOptions(CLI::App* cmd, Common& c) {
  cmd->add_option("--server", c.server,
                  "API base URL (default: env FEDIHOST_SERVER, else the server you logged in to, else " +
                      std::string(kDefaultServer) + ")");
  cmd->add_option("--token", c.token, "API token (default: env FEDIHOST_TOKEN, else the one saved by login)");
  cmd->add_option("-o,--output", c.output, "table or json")->check(CLI::IsMember({"table", "json"}));
}

std::shared_ptr<client::Client> connect(const Common& c) {
  auto saved = loadCredentials();
  return std::make_shared<client::Client>(serverFor(c, saved), tokenFor(c, saved));
}

json::value expectOk(const client::HttpResponse& r) {
  json::value body;
  boost::system::error_code ec;
  if (!r.body.empty()) body = json::parse(r.body, ec);
  if (r.status >= 200 && r.status < 300) return ec ? json::value() : body;
  std::string msg = "the server answered " + std::to_string(r.status);
  if (!ec && body.is_object()) {
    auto& o = body.get_object();
    if (auto* d = o.if_contains("detail"); d && d->is_string()) msg = std::string(d->get_string());
    if (auto* f = o.if_contains("field"); f && f->is_string()) msg = std::string(f->get_string()) + ": " + msg;
  }
  if (r.status == 429) {
    auto wait = retryAfterText(r);
    msg += wait.empty() ? "; try again later" : "; try again in " + wait;
  }
  abortCommand(msg);
}

std::string problemMember(const client::HttpResponse& r, std::string_view key) {
  boost::system::error_code ec;
  auto body = json::parse(r.body, ec);
  if (ec || !body.is_object()) return {};
  auto* m = body.get_object().if_contains(key);
  return m && m->is_string() ? std::string(m->get_string()) : std::string();
}

std::string retryAfterText(const client::HttpResponse& r) {
  auto it = r.headers.find("retry-after");
  if (it == r.headers.end()) return {};
  std::string v = it->second;
  while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.pop_back();
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) return v;  // an HTTP date
  if (v.size() > 9) return v + " seconds";
  auto seconds = std::stoll(v);
  std::string text = v + (seconds == 1 ? " second" : " seconds");
  if (seconds >= 120) text += " (" + std::to_string((seconds + 59) / 60) + " minutes)";
  return text;
}

std::string str(const json::value& v, std::string_view key) {
  if (!v.is_object()) return {};
  auto* m = v.get_object().if_contains(key);
  if (!m || m->is_null()) return {};
  if (m->is_string()) return std::string(m->get_string());
  return json::serialize(*m);
}

const json::array& itemsOf(const json::value& v) {
  static const json::array empty;
  if (v.is_array()) return v.get_array();
  if (v.is_object())
    if (auto* items = v.get_object().if_contains("items"); items && items->is_array()) return items->get_array();
  return empty;
}

json::array listAll(client::Client& c, const std::string& path) {
  json::array all;
  std::string cursor;
  for (int page = 0; page < 1000; ++page) {
    auto sep = path.find('?') == std::string::npos ? "?" : "&";
    auto v = expectOk(c.get(cursor.empty() ? path : path + sep + "cursor=" + pathSegment(cursor)));
    for (auto& i : itemsOf(v)) all.push_back(i);
    cursor = str(v, "next");
    if (cursor.empty()) break;
  }
  return all;
}

std::string pathSegment(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

namespace {

/// Columns a UTF-8 string takes on a terminal (one per code point; good enough for our tables).
std::size_t displayWidth(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

/// The terminal's width, or 0 when standard output is not a terminal (a pipe gets whole values).
std::size_t terminalWidth() {
  if (!::isatty(STDOUT_FILENO)) return 0;
  struct winsize ws {};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return 80;
  return ws.ws_col;
}

}  // namespace

std::string fitWidth(std::string_view s, std::size_t width) {
  std::string out;
  if (displayWidth(s) <= width) {
    out = s;
  } else {
    std::size_t points = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      bool start = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
      if (start && ++points > width - 1) break;
      out += s[i];
    }
    out += "…";
  }
  out.append(width - std::min(width, displayWidth(out)), ' ');
  return out;
}

void printTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                std::size_t maxWidth) {
  std::vector<std::size_t> w(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) w[i] = displayWidth(header[i]);
  for (auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], displayWidth(r[i]));
  // Too wide for the terminal: the widest column gives way first, down to 8 columns each.
  if (maxWidth == std::size_t(-1)) maxWidth = terminalWidth();
  if (maxWidth) {
    auto total = [&] {
      std::size_t t = 0;
      for (auto x : w) t += x + 2;
      return t - 2;
    };
    while (total() > maxWidth) {
      auto widest = std::max_element(w.begin(), w.end());
      if (*widest <= 8) break;
      --*widest;
    }
  }
  auto line = [&](const std::vector<std::string>& r) {
    std::string out;
    for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) {
      out += fitWidth(r[i], w[i]);
      if (i + 1 < r.size()) out += "  ";
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::cout << out << "\n";
  };
  line(header);
  for (auto& r : rows) line(r);
}

void printJson(const json::value& v) { std::cout << json::serialize(v) << "\n"; }

std::optional<std::string> askOnTerminal(const std::string& prompt) {
  if (!::isatty(STDIN_FILENO)) return std::nullopt;
  std::cerr << prompt << std::flush;
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  auto first = line.find_first_not_of(" \t\r");
  if (first == std::string::npos) return std::string();
  return line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
}

json::value followJob(client::Client& c, const json::value& accepted, bool quiet, std::string_view unit) {
  json::value job = accepted;
  c.stream(str(accepted.at("links"), "events"), [&](const std::string& event, const std::string& data) {
    if (event == "error") throw AbortError({ErrorKind::Unavailable, "the job can no longer be read: " + data, {}});
    if (event != "job") return true;
    job = json::parse(data);
    if (!quiet) {
      auto& p = job.at("progress");
      std::cout << "\r" << str(job, "kind") << " " << str(job, "id") << ": " << str(job, "state") << " ("
                << p.at("done").to_number<std::int64_t>() << "/" << p.at("total").to_number<std::int64_t>()
                << " " << unit << ")   " << std::flush;
    }
    return true;
  });
  if (!quiet) std::cout << "\n";
  if (str(job, "state") != "done")
    throw AbortError({ErrorKind::Provider, str(job, "kind") + " " + str(job, "id") + " " + str(job, "state") +
                                               (job.at("error").is_string() ? ": " + str(job, "error") : ""),
                      {}});
  return job;
}


}  // namespace fedihost::cli
