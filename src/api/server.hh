#pragma once
// The HTTP server (Boost.Beast with C++20 coroutines). This header keeps Beast
// out of everything that includes it.
//
// I/O threads only accept, parse and write. Every parsed request runs on a pool
// of handler threads chosen by its lane (Dispatcher::lane): General, or a small
// Credentials pool for password checks. Each lane queues a bounded number of
// requests; beyond it the server answers 503 at once.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "api/dispatcher.hh"
#include "core/result.hh"

namespace fedihost::api {

struct ServerOptions {
  std::string address = "127.0.0.1";
  unsigned short port = 8080;  ///< 0 picks a free port
  int threads = 1;             ///< I/O threads: accept, parse, write (never run a handler)
  /// Threads running General-lane requests and polling event streams.
  int handlerThreads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int credentialThreads = 2;                 ///< threads running Credentials-lane requests
  std::size_t maxQueued = 1024;              ///< General requests waiting for a thread; beyond: 503
  std::size_t maxQueuedCredentials = 64;     ///< Credentials requests waiting for a thread; beyond: 503
  std::size_t maxConnections = 4096;         ///< open connections; beyond: 503 and close
  std::size_t bodyLimit = 1 << 20;           ///< larger bodies get 413
  std::size_t headerLimit = 16 * 1024;       ///< larger request headers get 431
};

/// What the server does with a parsed request: the Dispatcher's lane() and
/// handle(), or a test's stand-ins wrapping them.
struct RequestHandlers {
  /// The pool that runs a request; called on an I/O thread, so it must be quick.
  std::function<Lane(const Request&)> lane;
  /// Handles a request on a handler thread; should not throw (a throw becomes a 500).
  std::function<Response(const Request&)> handle;
};

class Server {
 public:
  Server(ServerOptions options, RequestHandlers handlers);
  /// Serves `dispatcher`, which must outlive the server (or its stop()).
  Server(ServerOptions options, Dispatcher& dispatcher)
      : Server(std::move(options),
               RequestHandlers{[&dispatcher](const Request& r) { return dispatcher.lane(r); },
                               [&dispatcher](const Request& r) { return dispatcher.handle(r); }}) {}
  ~Server();

  /// Binds and starts serving on background threads; returns the bound port.
  /// Throws std::system_error if the address cannot be bound.
  unsigned short start();
  /// Stops accepting, closes connections and joins every thread: when it returns,
  /// no handler runs or will run.
  void stop();
  /// Blocks until stop() is called or SIGINT/SIGTERM arrives.
  void waitForSignal();
  /// Calls `beat` now and then every `interval` on an I/O thread, until stop(): beats stop
  /// when the I/O threads are stuck (what systemd's watchdog is fed from). `beat` must be quick.
  void heartbeat(std::chrono::steady_clock::duration interval, std::function<void()> beat);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Reads one request from `bytes` by the server's rules (header and body limits,
/// RFC 9112 message framing); the error is what the server would answer before
/// closing the connection. Bytes after the request are ignored. The server reads
/// from sockets itself; this is for tests and the fuzzer.
Result<Request> parseRequest(std::string_view bytes, const ServerOptions& options = {});

}  // namespace fedihost::api
