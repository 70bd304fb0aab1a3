#pragma once
// HTTP/1.1 over a plain loopback socket, for tests that send what no well-behaved
// client would (smuggling attempts, huge headers) and watch when the server closes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace fedihost::testing {

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class RawConnection {
 public:
  /// Connects to 127.0.0.1:`port`. A read waits at most `failAfterSeconds` (so that a
  /// broken server fails the test instead of hanging it; no test relies on it).
  explicit RawConnection(unsigned short port, int failAfterSeconds = 60) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    timeval tv{failAfterSeconds, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect() failed");
    }
  }
  ~RawConnection() { close(); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd() const { return fd_; }

  /// Sends all of `bytes`; false if the server reset the connection.
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Reads one response (framed by Content-Length); nullopt if the server closed
  /// the connection first. Throws if the read times out.
  std::optional<RawResponse> readResponse() {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return std::nullopt;
    RawResponse r;
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    auto lineEnd = head.find("\r\n");
    std::string statusLine = head.substr(0, lineEnd);
    r.status = std::stoi(statusLine.substr(statusLine.find(' ') + 1, 3));
    std::size_t pos = lineEnd;
    while (pos != std::string::npos && pos < head.size()) {
      auto next = head.find("\r\n", pos + 2);
      std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      pos = next;
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      r.headers[name] = value;
    }
    std::size_t length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    while (buffer_.size() < length)
      if (!fill()) throw std::runtime_error("the connection closed inside a response body");
    r.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return r;
  }

  /// True when the server has closed the connection after what was read so far
  /// (nothing more arrives but the end of the stream).
  bool closedByServer() { return buffer_.empty() && !fill(); }

 private:
  /// Reads more; false at the end of the stream or on a reset.
  bool fill() {
    char chunk[16 * 1024];
    auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) throw std::runtime_error("timed out waiting for the server");
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
};

/// Waits until one of `connections` has something to read; returns its index.
inline std::size_t firstReadable(const std::vector<RawConnection*>& connections, int failAfterSeconds = 60) {
  std::vector<pollfd> fds;
  for (auto* c : connections) fds.push_back({c->fd(), POLLIN, 0});
  if (::poll(fds.data(), fds.size(), failAfterSeconds * 1000) <= 0)
    throw std::runtime_error("timed out waiting for the server");
  for (std::size_t i = 0; i < fds.size(); ++i)
    if (fds[i].revents) return i;
  throw std::runtime_error("poll() woke without an event");
}

/// A minimal request: `method` `path` with optional extra header lines (each ending in CRLF) and body.
inline std::string rawRequest(const std::string& method, const std::string& path, const std::string& headers = {},
                              const std::string& body = {}) {
  std::string r = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers;
  if (!body.empty()) r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  return r + "\r\n" + body;
}

}  // namespace fedihost::testing
