// The HTTP server under hostile or heavy use, over raw sockets: request
// smuggling, oversized headers, duplicate JSON members, the connection cap, the
// handler pools (a slow credential check stalls nobody else; a full queue
// answers 503) and running out of file descriptors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "support/process.hh"
#include "support/raw_http.hh"
#include "support/temp_dir.hh"
#include "support/test_server.hh"

namespace fedihost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::RawConnection;
using testing::RawResponse;
using testing::rawRequest;

void expectProblem(const RawResponse& r, int status, const std::string& field = {}) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  auto p = json::parse(r.body).as_object();
  EXPECT_EQ(p.at("status").as_int64(), status);
  if (!field.empty()) {
    ASSERT_TRUE(p.contains("field")) << r.body;
    EXPECT_EQ(p.at("field").as_string(), field);
  }
}

class HttpHardeningTest : public ::testing::Test {
 protected:
  testing::TestServer server_;
};

TEST_F(HttpHardeningTest, ATransferEncodingNotEndingInChunkedCannotSmuggleARequest) {
  // A proxy honouring "identity" would pass the GET on as this request's body;
  // reading the body as empty would run it as a second request.
  RawConnection c(server_.port());
  c.send("POST /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n" +
         rawRequest("GET", "/api/v1/health"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  expectProblem(*r, 400, "Transfer-Encoding");
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(c.closedByServer()) << "a second response followed: the smuggled request ran";
}

TEST_F(HttpHardeningTest, AmbiguousOrUnsupportedFramingIsRefusedAndTheConnectionClosed) {
  const std::string get = rawRequest("GET", "/api/v1/health");
  for (std::string framing : {"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                              "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                              "Transfer-Encoding: gzip\r\nContent-Length: 5\r\n",
                              "Transfer-Encoding: gzip\r\n",
                              "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
                              "Transfer-Encoding: gzip, chunked\r\n"}) {
    SCOPED_TRACE(framing);
    RawConnection c(server_.port());
    c.send("POST /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + framing + "\r\n0\r\n\r\n" + get);
    auto r = c.readResponse();
    ASSERT_TRUE(r);
    expectProblem(*r, 400);
    EXPECT_TRUE(c.closedByServer());
  }
}

TEST_F(HttpHardeningTest, AChunkedBodyIsStillRead) {
  RawConnection c(server_.port());
  const std::string body = R"({"email":"a@example.test","email":"b@example.test","password":"x"})";
  std::ostringstream chunked;
  chunked << std::hex << body.size() << "\r\n" << body << "\r\n0\r\n\r\n";
  c.send("POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Transfer-Encoding: chunked\r\n\r\n" +
         chunked.str() + rawRequest("GET", "/api/v1/health"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  expectProblem(*r, 422, "email");
  auto next = c.readResponse();  // the connection stays usable
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST_F(HttpHardeningTest, OversizedHeadersGet431) {
  RawConnection c(server_.port());
  c.send(rawRequest("GET", "/api/v1/health", "X-Padding: " + std::string(20 * 1024, 'a') + "\r\n"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  expectProblem(*r, 431);
  EXPECT_TRUE(c.closedByServer());
}

TEST_F(HttpHardeningTest, DuplicateMembersAreRefusedWhereverTheyAre) {
  auto api = server_.operatorClient();
  auto org = api->post("/api/v1/organisations", R"({"name":"acme"})");
  ASSERT_EQ(org.status, 201) << org.body;
  auto orgId = std::string(json::parse(org.body).at("id").as_string());
  auto expect422 = [](const client::HttpResponse& r, const std::string& field) {
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(json::parse(r.body).at("field").as_string(), field) << r.body;
  };
  expect422(api->post("/api/v1/organisations", R"({"name":"a","name":"b"})"), "name");
  const std::string path = "/api/v1/organisations/" + orgId + "/deployments";
  expect422(api->post(path, R"({"name":"social","domain":"a.example.test","domain":"b.example.test",)"
                            R"("apps":[{"app":"mastodon"}]})"),
            "domain");
  expect422(api->post(path, R"({"name":"social","domain":"a.example.test",)"
                            R"("apps":[{"app":"mastodon"},{"app":"pixelfed","app":"mastodon"}]})"),
            "apps[1].app");
  auto unknown = api->post(path, R"({"name":"social","domain":"a.example.test","apps":[{"app":"mastodon"}],"x":1})");
  expect422(unknown, "x");
  EXPECT_NE(unknown.body.find("unknown member \\\"x\\\""), std::string::npos) << unknown.body;
  EXPECT_EQ(json::parse(api->get("/api/v1/deployments").body).at("items").as_array().size(), 0u);
}

TEST(HttpConnectionCapTest, ConnectionsOverTheCapGet503AndAreClosed) {
  auto options = testing::testServerOptions();
  options.maxConnections = 2;
  testing::TestServer server({}, {}, options);
  RawConnection a(server.port()), b(server.port());
  for (auto* c : {&a, &b}) {  // both accepted and counted
    c->send(rawRequest("GET", "/api/v1/health"));
    auto r = c->readResponse();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  RawConnection third(server.port());
  third.send(rawRequest("GET", "/api/v1/health"));
  auto r = third.readResponse();
  ASSERT_TRUE(r);
  expectProblem(*r, 503);
  EXPECT_NE(r->body.find("too many connections"), std::string::npos);
  EXPECT_EQ(r->header("retry-after"), "1");
  EXPECT_TRUE(third.closedByServer());

  // Once a connection ends, its slot is free again (the server notices the close
  // on its own time: try until it has).
  a.close();
  std::optional<RawResponse> again;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    RawConnection c(server.port());
    c.send(rawRequest("GET", "/api/v1/health"));
    again = c.readResponse();
    if (again && again->status == 200) break;
  }
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

/// Blocks the requests to /api/v1/auth/slow (a Credentials-lane path) until opened.
class Gate {
 public:
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  /// Called by a handler: counts it as started, then waits for open().
  void pass() {
    std::unique_lock lock(mu_);
    ++started_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    ++finished_;
  }
  void waitStarted(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return started_ >= n; });
  }
  int finished() {
    std::lock_guard lock(mu_);
    return finished_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int started_ = 0;
  int finished_ = 0;
};

/// A second server on a TestServer's dispatcher whose /api/v1/auth/slow waits on a gate.
class HandlerPoolTest : public ::testing::Test {
 protected:
  void start(api::ServerOptions options) {
    auto& dispatcher = base_.dispatcher();
    server_ = std::make_unique<api::Server>(
        options, api::RequestHandlers{[&dispatcher](const api::Request& r) { return dispatcher.lane(r); },
                                      [this, &dispatcher](const api::Request& r) {
                                        if (r.path != "/api/v1/auth/slow") return dispatcher.handle(r);
                                        gate_.pass();
                                        api::Response resp;
                                        resp.body = "{}";
                                        return resp;
                                      }});
    port_ = server_->start();
  }
  void TearDown() override {
    gate_.open();  // before the server joins its handler threads
    if (server_) server_->stop();
  }

  testing::TestServer base_;
  Gate gate_;
  std::unique_ptr<api::Server> server_;
  unsigned short port_ = 0;
};

TEST_F(HandlerPoolTest, ASlowCredentialCheckDoesNotStallOtherRequests) {
  auto options = testing::testServerOptions();
  options.credentialThreads = 1;
  start(options);
  RawConnection slow(port_);
  slow.send(rawRequest("POST", "/api/v1/auth/slow", "", "{}"));
  gate_.waitStarted(1);  // every Credentials thread is busy now
  RawConnection other(port_);
  other.send(rawRequest("GET", "/api/v1/health"));
  auto health = other.readResponse();
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(gate_.finished(), 0);  // answered while the slow request still runs
  gate_.open();
  auto r = slow.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HandlerPoolTest, AFullCredentialsQueueAnswers503AtOnce) {
  auto options = testing::testServerOptions();
  options.credentialThreads = 1;
  options.maxQueuedCredentials = 1;
  start(options);
  RawConnection running(port_);
  running.send(rawRequest("POST", "/api/v1/auth/slow", "", "{}"));
  gate_.waitStarted(1);
  // One of these two waits in the queue; the other finds it full.
  RawConnection b(port_), c(port_);
  b.send(rawRequest("POST", "/api/v1/auth/slow", "", "{}"));
  c.send(rawRequest("POST", "/api/v1/auth/slow", "", "{}"));
  auto first = testing::firstReadable({&b, &c});
  RawConnection& refused = first == 0 ? b : c;
  RawConnection& queued = first == 0 ? c : b;
  auto busy = refused.readResponse();
  ASSERT_TRUE(busy);
  expectProblem(*busy, 503);
  EXPECT_EQ(busy->header("retry-after"), "1");
  EXPECT_EQ(gate_.finished(), 0);
  gate_.open();
  for (auto* conn : {&running, &queued}) {
    auto r = conn->readResponse();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  // The General lane was never involved.
  RawConnection health(port_);
  health.send(rawRequest("GET", "/api/v1/health"));
  EXPECT_EQ(health.readResponse()->status, 200);
}

/// utime + stime of a process, in clock ticks.
long cpuTicks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) "
  std::string f;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stol(f);
    if (i == 15) stime = std::stol(f);
  }
  return utime + stime;
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto i = text.find(what); i != std::string::npos; i = text.find(what, i + 1)) ++n;
  return n;
}

TEST(HttpDescriptorsTest, OutOfDescriptorsTheServerBacksOffAndRecovers) {
  // The server alone, unsanitized (see tests/helpers/http_server_main.cc), with few descriptors.
  testing::TempDir tmp("fedihost-emfile");
  const auto log = tmp / "server.log";
  testing::Process server({"/usr/bin/prlimit", "--nofile=32:32", HTTP_SERVER_BIN, (tmp / "port").string()},
                          log.string());
  for (int i = 0; i < 1500 && !fs::exists(tmp / "port"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(fs::exists(tmp / "port")) << readFile(log);
  unsigned short port = 0;
  std::ifstream(tmp / "port") >> port;

  // More connections than the server has descriptors: it accepts until it has none left.
  std::vector<std::unique_ptr<RawConnection>> clients;
  for (int i = 0; i < 100; ++i) {
    clients.push_back(std::make_unique<RawConnection>(port));
    clients.back()->send(rawRequest("GET", "/api/v1/health"));
  }
  for (int i = 0; i < 3000 && count(readFile(log), "cannot accept connections") == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(count(readFile(log), "cannot accept connections"), 1u) << readFile(log);

  // While it cannot accept, it waits instead of retrying in a busy loop: over two
  // seconds it uses far less than two seconds of CPU (a spinning accept loop uses all).
  const long ticksPerSecond = ::sysconf(_SC_CLK_TCK);
  auto before = cpuTicks(server.pid());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto used = cpuTicks(server.pid()) - before;
  EXPECT_LT(used, ticksPerSecond / 2) << "the server used " << used << " ticks of CPU in 2 s";
  EXPECT_EQ(count(readFile(log), "cannot accept connections"), 1u) << "logged once per episode";

  clients.clear();  // descriptors come free as the server sees these connections end
  RawConnection fresh(port);
  fresh.send(rawRequest("GET", "/api/v1/health"));
  auto r = fresh.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  // (Accepting the backlog of closed connections may run it out again for a moment: another episode.)
  EXPECT_GE(count(readFile(log), "accepting connections again"), 1u) << readFile(log);
}

}  // namespace
}  // namespace fedihost
