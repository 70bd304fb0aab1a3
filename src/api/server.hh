#pragma once
// The HTTP server (Boost.Beast with C++20 coroutines). This header keeps Beast
// out of everything that includes it.
#include <memory>
#include <string>

#include "api/dispatcher.hh"

namespace fedihost::api {

struct ServerOptions {
  std::string address = "127.0.0.1";
  unsigned short port = 8080;   ///< 0 picks a free port
  int threads = 1;              ///< I/O threads (handlers share one state connection: keep 1)
  std::size_t bodyLimit = 1 << 20;  ///< larger bodies get 413
};

class Server {
 public:
  Server(ServerOptions options, Dispatcher& dispatcher);
  ~Server();

  /// Binds and starts serving on background threads; returns the bound port.
  /// Throws std::system_error if the address cannot be bound.
  unsigned short start();
  /// Stops accepting, closes connections and joins the threads.
  void stop();
  /// Blocks until stop() is called or SIGINT/SIGTERM arrives.
  void waitForSignal();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fedihost::api
