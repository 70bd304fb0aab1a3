#include "providers/file/file_store.hh"

#include "core/private_file.hh"

#include <signal.h>
#include <unistd.h>

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "core/fd.hh"
#include "core/json_util.hh"

namespace fedihost::providers::file {
namespace {

Error ioError(const std::string& what, const fs::path& p, int err) {
  return {ErrorKind::Provider, "file provider: cannot " + what + " " + p.string() + ": " + std::strerror(err), {}};
}


std::string randomHex(std::size_t bytes) {
  static const bool ok = sodium_init() >= 0;
  (void)ok;
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  std::string out(bytes * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), buf.data(), buf.size());
  out.pop_back();
  return out;
}

bool writeAll(int fd, std::string_view content) {
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

void fsyncDir(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0) ::fsync(fd.get());
}

/// The process-wide mutex of a lock file (flock alone would also exclude
/// threads, but the mutex keeps the intent plain and avoids busy descriptors).
std::mutex& processMutex(const fs::path& lockFile) {
  static std::mutex registryMutex;
  static std::map<std::string, std::unique_ptr<std::mutex>> mutexes;
  std::error_code ec;
  auto canonical = fs::weakly_canonical(fs::absolute(lockFile, ec), ec).string();
  std::lock_guard guard(registryMutex);
  auto& m = mutexes[canonical];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

bool hidden(const fs::path& p) { return p.filename().string().rfind('.', 0) == 0; }

}  // namespace

// ---------------------------------------------------------------- Manifest

json::object Manifest::toJson() const {
  return {{"key", key}, {"kind", toString(kind)}, {"attributes", attributes}, {"outputs", outputs}};
}

Result<Manifest> Manifest::fromJson(const json::value& v, const fs::path& path) {
  auto corrupt = [&](const std::string& why) {
    return Error{ErrorKind::Internal, "file provider: " + path.string() + " is not a manifest: " + why, {}};
  };
  if (!v.is_object()) return corrupt("not an object");
  const auto& o = v.get_object();
  Manifest m;
  auto* key = o.if_contains("key");
  if (!key || !key->is_string()) return corrupt("no \"key\"");
  m.key = std::string(key->get_string());
  auto* kind = o.if_contains("kind");
  if (!kind || !kind->is_string()) return corrupt("no \"kind\"");
  auto k = resourceKindFromString(kind->get_string());
  if (!k) return corrupt("unknown kind \"" + std::string(kind->get_string()) + "\"");
  m.kind = *k;
  if (auto* a = o.if_contains("attributes")) {
    if (!a->is_object()) return corrupt("\"attributes\" is not an object");
    m.attributes = a->get_object();
  }
  if (auto* out = o.if_contains("outputs")) {
    if (!out->is_object()) return corrupt("\"outputs\" is not an object");
    m.outputs = out->get_object();
  }
  return m;
}

// ---------------------------------------------------------------- FileLock

FileLock::FileLock(const fs::path& lockFile) : threadLock_(processMutex(lockFile)) {
  std::error_code ec;
  (void)files::makePrivateDirs(lockFile.parent_path());  // an error shows at open
  fd_ = ::open(lockFile.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd_ < 0) throw AbortError(ioError("open lock file", lockFile, errno));
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd_);
    throw AbortError(ioError("lock", lockFile, err));
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

// ---------------------------------------------------------------- FileStore

FileStore::FileStore(const ProviderConfig& config, Access access)
    : root_(config.root), settings_(config.settings), access_(access) {
  if (root_.empty())
    throw AbortError({ErrorKind::Invalid, "the file provider needs a root directory", "root"});
}

Result<void> FileStore::checkComponent(std::string_view field, std::string_view value) {
  if (value.empty()) return Error::invalid(std::string(field), "must not be empty");
  if (value.size() > 200) return Error::invalid(std::string(field), "is longer than 200 bytes");
  if (value.front() == '.')
    return Error::invalid(std::string(field), "\"" + std::string(value) + "\" must not start with \".\"");
  for (char c : value) {
    if (c == '/' || c == '\\')
      return Error::invalid(std::string(field), "\"" + std::string(value) + "\" must not contain \"" + c + "\"");
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return Error::invalid(std::string(field), "must not contain control characters");
  }
  return {};
}

Result<fs::path> FileStore::deploymentDir(std::string_view deployment) const {
  if (auto ok = checkComponent("deployment", deployment); !ok) return ok.error();
  return root_ / std::string(deployment);
}

Result<bool> FileStore::write(const fs::path& path, std::string_view content, WriteMode mode) const {
  const auto dir = path.parent_path();
  // The writer's PID in the name lets prune() tell a write in progress from one a crash left behind.
  const auto tmp = dir / ("." + path.filename().string() + ".tmp." + std::to_string(::getpid()) + "." + randomHex(8));
  // The directory may be pruned by a concurrent remove between its creation and
  // our temporary file appearing in it; once the file exists, it cannot be.
  int fd = -1;
  int err = 0;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    if (access_ == Access::Private) {
      (void)files::makePrivateDirs(dir);  // a concurrent prune may race it: the open below tells
    } else {
      std::error_code ec;
      fs::create_directories(dir, ec);
      if (ec && ec != std::errc::file_exists && ec != std::errc::no_such_file_or_directory)
        return ioError("create directory", dir, ec.value());
    }
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                access_ == Access::Private ? 0600 : 0644);
    err = errno;
    if (fd < 0 && err != ENOENT) return ioError("create", tmp, err);
  }
  if (fd < 0) return ioError("create", tmp, err);
  Fd file(fd);
  if (!writeAll(file.get(), content) || ::fsync(file.get()) != 0 || !file.close()) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ioError("write", tmp, err);
  }
  if (mode == WriteMode::Replace) {
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      return ioError("rename into", path, err);
    }
  } else {
    // link() never replaces: the file appears whole, and only if absent.
    int rc = ::link(tmp.c_str(), path.c_str());
    int err = errno;
    ::unlink(tmp.c_str());
    if (rc != 0) {
      if (err == EEXIST) return false;
      return ioError("create", path, err);
    }
  }
  fsyncDir(dir);
  return true;
}

Result<std::optional<std::string>> FileStore::readText(const fs::path& path) const {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
    return ioError("open", path, errno);
  }
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ioError("read", path, errno);
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return std::optional<std::string>(std::move(out));
}

Result<std::optional<json::value>> FileStore::readJson(const fs::path& path) const {
  auto text = readText(path);
  if (!text) return text.error();
  if (!*text) return std::optional<json::value>();
  boost::system::error_code ec;
  auto v = json::parse(**text, ec);
  if (ec) return Error{ErrorKind::Internal, "file provider: " + path.string() + " is not JSON: " + ec.message(), {}};
  return std::optional<json::value>(std::move(v));
}

Result<void> FileStore::removeFile(const fs::path& path) const {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) return ioError("delete", path, errno);
  return {};
}

namespace {
/// Removes temporary files of writers that no longer run (killed mid-write).
void removeStaleTemporaries(const fs::path& dir) {
  std::error_code ec;
  for (auto& e : fs::directory_iterator(dir, ec)) {
    auto name = e.path().filename().string();
    auto at = name.find(".tmp.");
    if (name.empty() || name[0] != '.' || at == std::string::npos) continue;
    auto rest = name.substr(at + 5);
    auto dot = rest.find('.');
    if (dot == std::string::npos) continue;
    pid_t pid = 0;
    try {
      pid = static_cast<pid_t>(std::stol(rest.substr(0, dot)));
    } catch (...) {
      continue;
    }
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) ::unlink(e.path().c_str());
  }
}
}  // namespace

void FileStore::prune(fs::path dir, const fs::path& deploymentDir) const {
  const auto top = deploymentDir.lexically_normal();
  dir = dir.lexically_normal();
  for (;;) {
    auto rel = dir.lexically_relative(top);
    if (rel.empty() || *rel.begin() == "..") return;  // not under the deployment directory
    removeStaleTemporaries(dir);
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) return;  // not empty (or not ours to remove)
    if (dir == top) return;
    dir = dir.parent_path();
  }
}

void FileStore::pruneEmptyUnder(const fs::path& deploymentDir) const {
  std::error_code ec;
  std::vector<fs::path> dirs;
  for (fs::recursive_directory_iterator it(deploymentDir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec) && !it->is_symlink(ec)) dirs.push_back(it->path());
  auto depth = [](const fs::path& p) { return std::distance(p.begin(), p.end()); };
  std::sort(dirs.begin(), dirs.end(), [&](const fs::path& a, const fs::path& b) { return depth(a) > depth(b); });
  for (auto& d : dirs) {
    removeStaleTemporaries(d);
    ::rmdir(d.c_str());  // fails, and stays, unless empty
  }
  prune(deploymentDir, deploymentDir);
}

Result<std::vector<fs::path>> FileStore::filesIn(const fs::path& dir, std::string_view suffix) const {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) return out;
    return ioError("list", dir, ec.value());
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const auto& p = it->path();
    auto name = p.filename().string();
    if (hidden(p) || name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    std::error_code sec;
    if (it->is_regular_file(sec)) out.push_back(p);
  }
  if (ec) return ioError("list", dir, ec.value());
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<fs::path>> FileStore::filesInSubdirs(const fs::path& dir, std::string_view name) const {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) return out;
    return ioError("list", dir, ec.value());
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code sec;
    if (hidden(it->path()) || !it->is_directory(sec)) continue;
    auto candidate = it->path() / std::string(name);
    if (fs::is_regular_file(candidate, sec)) out.push_back(candidate);
  }
  if (ec) return ioError("list", dir, ec.value());
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<fs::path>> FileStore::deploymentDirs() const {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::directory_iterator it(root_, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return out;
    return ioError("list", root_, ec.value());
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code sec;
    if (!hidden(it->path()) && it->is_directory(sec)) out.push_back(it->path());
  }
  if (ec) return ioError("list", root_, ec.value());
  std::sort(out.begin(), out.end());
  return out;
}

std::unique_ptr<FileLock> FileStore::lock(std::string_view name) const {
  return std::make_unique<FileLock>(root_ / ("." + std::string(name) + ".lock"));
}

// ---------------------------------------------------------------- attribute helpers

// ---------------------------------------------------------------- ManifestProvider

template <class I>
Result<void> ManifestProvider<I>::checkResource(const Resource& r) const {
  if (r.kind != this->kind())
    return Error{ErrorKind::Internal,
                 "a " + std::string(toString(r.kind)) + " resource was given to the " +
                     std::string(toString(this->kind())) + " provider",
                 {}};
  if (r.key.empty()) return Error::invalid("key", "a resource needs an identity key");
  if (auto d = FileStore::checkComponent("deployment", r.deployment); !d) return d.error();
  return {};
}

template <class I>
Result<bool> ManifestProvider<I>::writeManifest(const fs::path& path, const Manifest& m, WriteMode mode) {
  return store_.write(path, jsonutil::canonical(m.toJson()), mode);
}

template <class I>
Result<std::optional<Manifest>> ManifestProvider<I>::loadManifest(const fs::path& path) {
  auto v = store_.readJson(path);
  if (!v) return v.error();
  if (!*v) return std::optional<Manifest>();
  auto m = Manifest::fromJson(**v, path);
  if (!m) return m.error();
  return std::optional<Manifest>(std::move(*m));
}

template <class I>
Result<void> ManifestProvider<I>::removeManifest(const fs::path& path) {
  return store_.removeFile(path);
}

template <class I>
Result<std::optional<std::pair<fs::path, Manifest>>> ManifestProvider<I>::findByKey(const fs::path& deploymentDir,
                                                                                   const std::string& key) {
  using Found = std::optional<std::pair<fs::path, Manifest>>;
  auto files = manifests(deploymentDir);
  if (!files) return files.error();
  for (auto& f : *files) {
    auto m = loadManifest(f);
    if (!m) return m.error();
    if (*m && (*m)->key == key && (*m)->kind == this->kind()) return Found(std::in_place, f, std::move(**m));
  }
  return Found();
}

template <class I>
Result<Observed> ManifestProvider<I>::create(const ResolvedResource& r) {
  const auto& res = r.resource;
  if (auto ok = checkResource(res); !ok) return ok.error();
  if (auto ok = validate(res); !ok) return ok.error();
  auto dir = store_.deploymentDir(res.deployment);
  if (!dir) return dir.error();
  auto found = findByKey(*dir, res.key);
  if (!found) return found.error();
  if (*found) return (*found)->second.observed();

  auto rel = manifestPath(res);
  if (!rel) return rel.error();
  const auto path = *dir / *rel;
  auto outs = outputs(r, nullptr);
  if (!outs) return outs.error();
  Manifest m{res.key, res.kind, res.attributes, std::move(*outs)};
  auto written = writeManifest(path, m, WriteMode::IfAbsent);
  if (!written) return written.error();
  if (!*written) {
    // Someone holds the path: the same resource (a concurrent create) or another one.
    auto other = loadManifest(path);
    if (!other) return other.error();
    if (*other && (*other)->key == res.key) return (*other)->observed();
    return Error::conflict("file provider: " + path.string() + " already belongs to " +
                           (*other ? (*other)->key : std::string("another resource")));
  }
  return m.observed();
}

template <class I>
Result<void> ManifestProvider<I>::exportData(const ResolvedResource& r, const fs::path& out) {
  const auto& res = r.resource;
  if (auto ok = checkResource(res); !ok) return ok.error();
  auto dir = store_.deploymentDir(res.deployment);
  if (!dir) return dir.error();
  auto found = findByKey(*dir, res.key);
  if (!found) return found.error();
  if (!*found) return Error::notFound(std::string(toString(res.kind)) + " " + res.key + " not found under " + dir->string());
  std::error_code ec;
  fs::copy_file((*found)->first, out / (*found)->first.filename(), ec);
  if (ec) return Error{ErrorKind::Internal, "cannot copy " + (*found)->first.string() + ": " + ec.message(), {}};
  return {};
}

template <class I>
Result<Observed> ManifestProvider<I>::read(const ResolvedResource& r) {
  const auto& res = r.resource;
  if (auto ok = checkResource(res); !ok) return ok.error();
  auto dir = store_.deploymentDir(res.deployment);
  if (!dir) return dir.error();
  auto found = findByKey(*dir, res.key);
  if (!found) return found.error();
  if (!*found) return Error::notFound(std::string(toString(res.kind)) + " " + res.key + " not found under " + dir->string());
  return (*found)->second.observed();
}

template <class I>
Result<Observed> ManifestProvider<I>::update(const ResolvedResource& r) {
  const auto& res = r.resource;
  if (auto ok = checkResource(res); !ok) return ok.error();
  if (auto ok = validate(res); !ok) return ok.error();
  auto dir = store_.deploymentDir(res.deployment);
  if (!dir) return dir.error();
  auto found = findByKey(*dir, res.key);
  if (!found) return found.error();
  if (!*found) return Error::notFound(std::string(toString(res.kind)) + " " + res.key + " not found under " + dir->string());
  auto& [oldPath, old] = **found;

  auto rel = manifestPath(res);
  if (!rel) return rel.error();
  const auto path = *dir / *rel;
  auto outs = outputs(r, &old.outputs);
  if (!outs) return outs.error();
  Manifest m{res.key, res.kind, res.attributes, std::move(*outs)};
  if (path != oldPath) {
    auto other = loadManifest(path);
    if (!other) return other.error();
    if (*other && (*other)->key != res.key)
      return Error::conflict("file provider: " + path.string() + " already belongs to " + (*other)->key);
  }
  auto written = writeManifest(path, m, WriteMode::Replace);
  if (!written) return written.error();
  if (path != oldPath) {
    if (auto removed = removeManifest(oldPath); !removed) return removed.error();
    store_.prune(oldPath.parent_path(), *dir);
  }
  return m.observed();
}

template <class I>
Result<void> ManifestProvider<I>::remove(const ResolvedResource& r) {
  const auto& res = r.resource;
  if (auto ok = checkResource(res); !ok) return ok.error();
  auto dir = store_.deploymentDir(res.deployment);
  if (!dir) return dir.error();
  auto found = findByKey(*dir, res.key);
  if (!found) return found.error();
  if (!*found) {
    store_.pruneEmptyUnder(*dir);  // an interrupted remove may have left its (empty) directories behind
    return {};
  }
  const auto& path = (*found)->first;
  if (auto removed = removeManifest(path); !removed) return removed.error();
  store_.prune(path.parent_path(), *dir);
  return {};
}

template <class I>
Result<std::vector<std::string>> ManifestProvider<I>::list(std::string_view deployment) {
  auto dir = store_.deploymentDir(deployment);
  if (!dir) return dir.error();
  auto files = manifests(*dir);
  if (!files) return files.error();
  std::vector<std::string> keys;
  for (auto& f : *files) {
    auto m = loadManifest(f);
    if (!m) return m.error();
    if (*m && (*m)->kind == this->kind()) keys.push_back((*m)->key);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

template class ManifestProvider<IpAddressProvider>;
template class ManifestProvider<MachineProvider>;
template class ManifestProvider<DatabaseProvider>;
template class ManifestProvider<BlobProvider>;
template class ManifestProvider<AccessKeyProvider>;
template class ManifestProvider<MailProvider>;
template class ManifestProvider<NixosProvider>;
template class ManifestProvider<CertificateProvider>;

}  // namespace fedihost::providers::file
