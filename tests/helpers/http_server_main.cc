// The HTTP server alone (api::Server, every request answered 200 {"status":"ok"}),
// built without sanitizers: their runtime needs free file descriptors (UBSan's
// vptr check probes memory through a pipe, and with -fno-sanitize-recover its
// false reports are fatal), so only an unsanitized process can be run out of them.
// For the test of running out of descriptors (tests/integration/http_hardening_test.cc).
//   http_server_unsanitized PORT_FILE
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "api/server.hh"

int main(int argc, char** argv) {
  using namespace fedihost::api;
  if (argc != 2) {
    std::cerr << "usage: http_server_unsanitized PORT_FILE\n";
    return 2;
  }
  ServerOptions options;
  options.port = 0;
  options.handlerThreads = 1;
  options.credentialThreads = 1;
  Server server(options, RequestHandlers{[](const Request&) { return Lane::General; },
                                         [](const Request&) {
                                           Response r;
                                           r.headers["content-type"] = "application/json";
                                           r.body = R"({"status":"ok"})";
                                           return r;
                                         }});
  auto port = server.start();
  std::string portFile = argv[1];
  std::ofstream(portFile + ".tmp") << port << "\n";
  std::filesystem::rename(portFile + ".tmp", portFile);
  server.waitForSignal();
  server.stop();
  return 0;
}
