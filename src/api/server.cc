#include "api/server.hh"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/url.hpp>
#include <thread>

#include "api/problem.hh"

namespace fedihost::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto tuple = asio::as_tuple(use_awaitable);

struct Server::Impl {
  ServerOptions options;
  Dispatcher& dispatcher;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  asio::signal_set signals{io, SIGINT, SIGTERM};
  std::vector<std::thread> threads;
  bool stopped = false;

  Impl(ServerOptions o, Dispatcher& d) : options(std::move(o)), dispatcher(d) {}

  static Request toRequest(const http::request<http::string_body>& req, const std::string& remote) {
    Request r;
    r.method = std::string(req.method_string());
    r.remote = remote;
    auto target = std::string(req.target());
    auto parsed = boost::urls::parse_origin_form(target);
    if (parsed) {
      r.path = parsed->path();
      for (auto p : parsed->params()) r.query[p.key] = p.value;
    } else {
      r.path = target.substr(0, target.find('?'));
    }
    for (auto& h : req) {
      std::string name(h.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(h.value());
    }
    r.body = req.body();
    return r;
  }

  awaitable<void> writeResponse(beast::tcp_stream& stream, const Response& resp, unsigned version, bool keepAlive,
                                bool head, bool& closed) {
    http::response<http::string_body> res{static_cast<http::status>(resp.status), version};
    res.set(http::field::server, "fedihost");
    for (auto& [k, v] : resp.headers) res.set(k, v);
    res.keep_alive(keepAlive);
    res.body() = head ? std::string() : resp.body;
    res.prepare_payload();
    if (head) res.content_length(resp.body.size());
    auto [ec, n] = co_await http::async_write(stream, res, tuple);
    closed = static_cast<bool>(ec);
  }

  awaitable<void> streamEvents(beast::tcp_stream& stream, const Response& resp, unsigned version) {
    http::response<http::empty_body> res{static_cast<http::status>(resp.status), version};
    res.set(http::field::server, "fedihost");
    for (auto& [k, v] : resp.headers) res.set(k, v);
    res.keep_alive(false);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    stream.expires_never();
    auto [ec, n] = co_await http::async_write_header(stream, sr, tuple);
    if (ec) co_return;
    asio::steady_timer timer(stream.get_executor());
    for (;;) {
      StreamChunk chunk;
      try {
        chunk = resp.stream();
      } catch (const std::exception& e) {
        spdlog::error("event stream failed: {}", e.what());
        chunk = {"event: error\ndata: internal error\n\n", true};
      }
      if (!chunk.data.empty()) {
        auto [wec, wn] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(chunk.data)), tuple);
        if (wec) co_return;
      }
      if (chunk.done) break;
      timer.expires_after(std::chrono::milliseconds(150));
      auto [tec] = co_await timer.async_wait(tuple);
      if (tec || stopped) break;
    }
    co_await asio::async_write(stream, http::make_chunk_last(), tuple);
  }

  /// After refusing a request early, stops sending and reads (and drops) what the
  /// client is still uploading, so that it gets to read our answer instead of a
  /// reset connection. Bounded: 16 MiB or 5 s.
  awaitable<void> drain(beast::tcp_stream& stream) {
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    std::array<char, 64 * 1024> sink;
    std::size_t total = 0;
    stream.expires_after(std::chrono::seconds(5));
    while (total < (16u << 20)) {
      auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), tuple);
      if (rec) break;
      total += n;
    }
  }

  awaitable<void> session(tcp::socket socket) {
    std::string remote;
    boost::system::error_code rec;
    auto ep = socket.remote_endpoint(rec);
    if (!rec) remote = ep.address().to_string();
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options.bodyLimit);
      parser.header_limit(16 * 1024);
      stream.expires_after(std::chrono::seconds(60));
      auto [ec, n] = co_await http::async_read(stream, buffer, parser, tuple);
      if (ec == http::error::body_limit) {
        auto resp = problem({ErrorKind::TooLarge,
                             "the body is larger than " + std::to_string(options.bodyLimit / 1024) + " KiB", {}});
        bool closed = false;
        co_await writeResponse(stream, resp, parser.get().version(), false, false, closed);
        if (!closed) co_await drain(stream);
        break;
      }
      if (ec) break;  // end of stream, timeout, or garbage
      auto& req = parser.get();
      Response resp = dispatcher.handle(toRequest(req, remote));
      if (resp.stream) {
        co_await streamEvents(stream, resp, req.version());
        break;
      }
      bool closed = false;
      co_await writeResponse(stream, resp, req.version(), req.keep_alive(), req.method() == http::verb::head, closed);
      if (closed || !req.keep_alive()) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  awaitable<void> listen() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(tuple);
      if (ec) {
        if (ec == asio::error::operation_aborted) co_return;
        continue;
      }
      socket.set_option(tcp::no_delay(true));
      asio::co_spawn(acceptor.get_executor(), session(std::move(socket)), asio::detached);
    }
  }
};

Server::Server(ServerOptions options, Dispatcher& dispatcher)
    : impl_(std::make_unique<Impl>(std::move(options), dispatcher)) {}

Server::~Server() { stop(); }

unsigned short Server::start() {
  auto& i = *impl_;
  tcp::endpoint ep(asio::ip::make_address(i.options.address), i.options.port);
  i.acceptor.open(ep.protocol());
  i.acceptor.set_option(asio::socket_base::reuse_address(true));
  i.acceptor.bind(ep);
  i.acceptor.listen(asio::socket_base::max_listen_connections);
  asio::co_spawn(i.io, i.listen(), asio::detached);
  i.signals.async_wait([&i](const boost::system::error_code& ec, int) {
    if (!ec) i.io.stop();
  });
  auto port = i.acceptor.local_endpoint().port();
  for (int t = 0; t < std::max(1, i.options.threads); ++t) i.threads.emplace_back([&i] { i.io.run(); });
  return port;
}

void Server::stop() {
  if (!impl_) return;
  auto& i = *impl_;
  i.stopped = true;
  i.io.stop();
  for (auto& t : i.threads)
    if (t.joinable()) t.join();
  i.threads.clear();
}

void Server::waitForSignal() {
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->threads.clear();
}

}  // namespace fedihost::api
