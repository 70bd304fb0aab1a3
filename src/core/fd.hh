#pragma once
// RAII around a POSIX file descriptor.
#include <unistd.h>

namespace fedihost {

/// A file descriptor closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  /// Gives up ownership: the descriptor is no longer closed here.
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  /// Closes now; false if close() failed (errno set).
  bool close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0;
  }

 private:
  int fd_;
};

}  // namespace fedihost
