#include "core/private_file.hh"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/fd.hh"

namespace fedihost::files {
namespace {

namespace fs = std::filesystem;

Error ioError(const std::string& what, const fs::path& p, int err) {
  return Error{ErrorKind::Internal, "cannot " + what + " " + p.string() + ": " + std::strerror(err), {}};
}

std::string randomSuffix() {
  unsigned char raw[8];
  randombytes_buf(raw, sizeof raw);
  char hex[2 * sizeof raw + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return hex;
}

bool writeAll(int fd, std::string_view content) {
  std::size_t done = 0;
  while (done < content.size()) {
    auto n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

Result<void> makePrivateDirs(const fs::path& dir) {
  if (dir.empty()) return {};
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return Error{ErrorKind::Internal, dir.string() + " is not a directory", {}};
    return {};
  }
  if (dir.has_parent_path() && dir.parent_path() != dir)
    if (auto ok = makePrivateDirs(dir.parent_path()); !ok) return ok;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return ioError("create the directory", dir, errno);
  return {};
}

void syncDir(const fs::path& dir) {
  Fd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0) ::fsync(fd.get());
}

Result<bool> writePrivateFile(const fs::path& path, std::string_view content, Replace replace) {
  if (sodium_init() < 0) return Error{ErrorKind::Internal, "libsodium failed to initialise", {}};
  const auto dir = path.parent_path();
  if (auto ok = makePrivateDirs(dir); !ok) return ok.error();
  const auto tmp = dir / ("." + path.filename().string() + ".tmp." + std::to_string(::getpid()) + "." + randomSuffix());
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0) return ioError("create", tmp, errno);
  if (!writeAll(fd.get(), content) || ::fsync(fd.get()) != 0 || !fd.close()) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ioError("write", tmp, err);
  }
  if (replace == Replace::Yes) {
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      return ioError("rename into", path, err);
    }
  } else {
    int rc = ::link(tmp.c_str(), path.c_str());
    int err = errno;
    ::unlink(tmp.c_str());
    if (rc != 0) {
      if (err == EEXIST) return false;
      return ioError("create", path, err);
    }
  }
  syncDir(dir);
  return true;
}

Result<std::optional<std::string>> readFile(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return ioError("open", path, errno);
  }
  std::string out;
  char buf[8192];
  for (;;) {
    auto n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ioError("read", path, errno);
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return std::optional<std::string>(std::move(out));
}

}  // namespace fedihost::files
