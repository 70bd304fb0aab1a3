#include "api/server.hh"

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/url.hpp>
#include <optional>
#include <thread>
#include <type_traits>

#include "api/problem.hh"

namespace fedihost::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;
constexpr auto tuple = asio::as_tuple(use_awaitable);
// GCC 12 mishandles class temporaries in a co_await expression (the frame ends up
// freeing memory it never allocated): name them before awaiting.

namespace {

using Parser = http::request_parser<http::string_body>;

void configure(Parser& parser, const ServerOptions& options) {
  parser.body_limit(options.bodyLimit);
  parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(options.headerLimit, UINT32_MAX)));
}

std::string kib(std::size_t bytes) { return std::to_string(bytes / 1024) + " KiB"; }

/// What to answer when reading a request failed; nullopt when there is no one to
/// answer (the peer closed, reset or timed out).
std::optional<Error> readError(const beast::error_code& ec, const ServerOptions& options) {
  if (ec == http::error::body_limit)
    return Error{ErrorKind::TooLarge, "the body is larger than " + kib(options.bodyLimit), {}};
  if (ec == http::error::header_limit)
    return Error{ErrorKind::HeadersTooLarge, "the request's headers are larger than " + kib(options.headerLimit), {}};
  if (ec.category() != http::make_error_code(http::error::end_of_stream).category() ||
      ec == http::error::end_of_stream || ec == http::error::partial_message)
    return std::nullopt;
  return Error::malformed("", "the request is not valid HTTP/1.1: " + ec.message());
}

/// RFC 9112 §6.1 and §6.3: a request's length must be unambiguous, or a proxy in
/// front of us could see a request's body where we see a second request (smuggling).
/// Beast refuses Transfer-Encoding with Content-Length in some orders, and reads a
/// body of length 0 when the last coding is not chunked: both are refused here.
std::optional<Error> framingError(const http::request<http::string_body>& req) {
  auto [first, last] = req.equal_range(http::field::transfer_encoding);
  if (first == last) return std::nullopt;
  auto refuse = [](const std::string& why) { return Error::malformed("Transfer-Encoding", why); };
  if (req.count(http::field::content_length))
    return refuse("a request cannot have both Transfer-Encoding and Content-Length");
  if (req.version() < 11) return refuse("Transfer-Encoding needs HTTP/1.1");
  std::vector<std::string> codings;  // every coding, in order, over all Transfer-Encoding lines
  for (auto it = first; it != last; ++it) {
    std::string_view list = it->value();
    while (!list.empty()) {
      auto comma = list.find(',');
      auto item = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      auto begin = item.find_first_not_of(" \t");
      if (begin == std::string_view::npos) continue;
      item = item.substr(begin, item.find_last_not_of(" \t") + 1 - begin);
      std::string coding(item);
      for (auto& c : coding) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      codings.push_back(std::move(coding));
    }
  }
  if (codings.empty() || codings.back() != "chunked")
    return refuse("the last transfer coding of a request must be chunked");
  if (codings.size() > 1) return refuse("only the chunked transfer coding is supported");
  return std::nullopt;
}

Request toRequest(const http::request<http::string_body>& req, const std::string& remote) {
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

/// Feeds `input` to `parser` until `done()` or an error; the end of `input` is the end of the stream.
template <class Done>
void feed(Parser& parser, asio::const_buffer& input, beast::error_code& ec, Done done) {
  while (!ec && !done()) {
    auto n = input.size() ? parser.put(input, ec) : 0;
    input += n;
    if (ec == http::error::need_more) ec = {};
    if (ec || n > 0) continue;
    // No progress: the input is used up.
    if (!parser.got_some()) {
      ec = http::error::end_of_stream;
    } else {
      parser.put_eof(ec);
      if (!ec && !done()) ec = http::error::partial_message;
    }
  }
}

/// A pool of handler threads for one lane; at most `maxQueued` tasks wait for a thread.
class HandlerPool {
 public:
  HandlerPool(int threads, std::size_t maxQueued)
      : pool_(static_cast<std::size_t>(std::max(1, threads))), maxQueued_(maxQueued) {}

  /// Runs `fn` (which must not throw) on the pool and resumes the awaiting coroutine on
  /// its own executor with the result; nullopt if `maxQueued` tasks are waiting already,
  /// unless `force`. Not a coroutine itself: `fn` moves into the task and stays there.
  template <class Fn>
  auto run(Fn fn, bool force = false) {
    using T = std::optional<std::invoke_result_t<Fn&>>;
    return asio::async_initiate<decltype(use_awaitable), void(T)>(
        [this, force](auto handler, Fn fn) {
          auto work = asio::make_work_guard(asio::get_associated_executor(handler));
          auto complete = [work = std::move(work), handler = std::move(handler)](T result) mutable {
            asio::post(work.get_executor(), [handler = std::move(handler), result = std::move(result)]() mutable {
              std::move(handler)(std::move(result));
            });
          };
          if (!enqueue(force)) return complete(std::nullopt);
          asio::post(pool_, [this, fn = std::move(fn), complete = std::move(complete)]() mutable {
            waiting_.fetch_sub(1);
            complete(fn());
          });
        },
        use_awaitable, std::move(fn));
  }

  /// Abandons the tasks still waiting and joins the threads (after the running tasks end).
  void stop() {
    pool_.stop();
    pool_.join();
  }

 private:
  /// Counts a task in as waiting, unless `maxQueued` are waiting already (and not `force`).
  bool enqueue(bool force) {
    auto waiting = waiting_.load();
    do {
      if (!force && waiting >= maxQueued_) return false;
    } while (!waiting_.compare_exchange_weak(waiting, waiting + 1));
    return true;
  }

  asio::thread_pool pool_;
  std::atomic<std::size_t> waiting_{0};
  const std::size_t maxQueued_;
};

/// Counts an open connection for as long as it lives.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(std::atomic<std::size_t>& open) : open_(open) {}
  ~ConnectionSlot() { open_.fetch_sub(1); }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

 private:
  std::atomic<std::size_t>& open_;
};

}  // namespace

Result<Request> parseRequest(std::string_view bytes, const ServerOptions& options) {
  Parser parser;
  configure(parser, options);
  asio::const_buffer input(bytes.data(), bytes.size());
  beast::error_code ec;
  feed(parser, input, ec, [&] { return parser.is_header_done(); });
  if (!ec) {
    if (auto e = framingError(parser.get())) return *e;
  }
  feed(parser, input, ec, [&] { return parser.is_done(); });
  if (ec) {
    if (auto e = readError(ec, options)) return *e;
    return Error::malformed("", "the request is incomplete");
  }
  return toRequest(parser.get(), "");
}

// Member order matters for shutdown: the pools are destroyed first (their abandoned
// tasks post the destruction of the coroutines awaiting them to `io`), then `io`
// (which destroys those coroutines), then what the coroutines refer to.
struct Server::Impl {
  ServerOptions options;
  RequestHandlers handlers;
  std::atomic<bool> stopped{false};
  std::atomic<std::size_t> connections{0};
  asio::io_context io;
  tcp::acceptor acceptor{io};
  asio::signal_set signals{io, SIGINT, SIGTERM};
  std::vector<std::thread> threads;
  HandlerPool general;
  HandlerPool credentials;

  Impl(ServerOptions o, RequestHandlers h)
      : options(std::move(o)),
        handlers(std::move(h)),
        general(options.handlerThreads, options.maxQueued),
        credentials(options.credentialThreads, options.maxQueuedCredentials) {}

  /// Runs the request on its lane's pool; 503 if that lane's queue is full.
  awaitable<Response> handle(Request req) {
    auto& pool = handlers.lane(req) == Lane::Credentials ? credentials : general;
    auto task = [this, req = std::move(req)] {
      try {
        return handlers.handle(req);
      } catch (const std::exception& e) {
        spdlog::error("{} {}: {}", req.method, req.path, e.what());
      } catch (...) {
        spdlog::error("{} {}: unknown exception", req.method, req.path);
      }
      return problem({ErrorKind::Internal, "internal error; the request was not carried out", {}});
    };
    auto resp = co_await pool.run(std::move(task));
    if (!resp)
      co_return problem({ErrorKind::Unavailable, "the server is busy; try again in a second", {}, 1});
    co_return std::move(*resp);
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
    stream.expires_after(60s);
    auto [ec, n] = co_await http::async_write(stream, res, tuple);
    closed = static_cast<bool>(ec);
  }

  /// Sends a streamed response (text/event-stream, or a file a chunk at a time), polling its
  /// source on the General pool: again at once after a chunk, after 150 ms after an empty one.
  awaitable<void> streamEvents(beast::tcp_stream& stream, Response resp, unsigned version) {
    http::response<http::empty_body> res{static_cast<http::status>(resp.status), version};
    res.set(http::field::server, "fedihost");
    for (auto& [k, v] : resp.headers) res.set(k, v);
    res.keep_alive(false);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    stream.expires_never();
    auto [ec, n] = co_await http::async_write_header(stream, sr, tuple);
    if (ec) co_return;
    auto source = std::make_shared<std::function<StreamChunk()>>(std::move(resp.stream));
    asio::steady_timer timer(stream.get_executor());
    auto poll = [source]() -> StreamChunk {
      try {
        return (*source)();
      } catch (const std::exception& e) {
        spdlog::error("event stream failed: {}", e.what());
      } catch (...) {
        spdlog::error("event stream failed: unknown exception");
      }
      return {"event: error\ndata: internal error\n\n", true};
    };
    for (;;) {
      auto chunk = co_await general.run(poll, true);
      if (!chunk->data.empty()) {
        auto [wec, wn] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(chunk->data)), tuple);
        if (wec) co_return;
      }
      if (chunk->done) break;
      if (!chunk->data.empty()) continue;  // more may be ready at once (a file sent a chunk at a time)
      timer.expires_after(150ms);
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
    std::array<char, 16 * 1024> sink;
    std::size_t total = 0;
    stream.expires_after(5s);
    while (total < (16u << 20)) {
      auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), tuple);
      if (rec) break;
      total += n;
    }
  }

  /// Answers `e` with Connection: close, then drains the connection.
  awaitable<void> refuse(beast::tcp_stream& stream, const Error& e, unsigned version) {
    bool closed = false;
    const auto resp = problem(e);
    co_await writeResponse(stream, resp, version, false, false, closed);
    if (!closed) co_await drain(stream);
  }

  awaitable<void> session(tcp::socket socket) {
    ConnectionSlot slot(connections);
    std::string remote;
    boost::system::error_code rec;
    auto ep = socket.remote_endpoint(rec);
    if (!rec) remote = ep.address().to_string();
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      Parser parser;
      configure(parser, options);
      stream.expires_after(60s);
      auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, tuple);
      if (!ec) {
        if (auto e = framingError(parser.get())) {
          co_await refuse(stream, *e, parser.get().version());
          break;
        }
        if (!parser.is_done()) std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, tuple);
      }
      if (ec) {
        if (auto e = readError(ec, options)) co_await refuse(stream, *e, parser.get().version());
        break;
      }
      const auto& header = parser.get();
      auto request = toRequest(header, remote);
      Response resp = co_await handle(std::move(request));
      if (resp.stream) {
        co_await streamEvents(stream, std::move(resp), header.version());
        break;
      }
      bool closed = false;
      co_await writeResponse(stream, resp, header.version(), header.keep_alive(),
                             header.method() == http::verb::head, closed);
      if (closed || !header.keep_alive()) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  /// A connection over maxConnections: 503 and close.
  awaitable<void> turnAway(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    const Error tooMany{ErrorKind::Unavailable, "too many connections; try again later", {}, 1};
    co_await refuse(stream, tooMany, 11);
  }

  awaitable<void> listen() {
    // Accepting fails while the process is out of descriptors (EMFILE, ENFILE) or the
    // kernel out of memory; retrying at once would spin, so wait: 50 ms, doubling to 1 s.
    auto backoff = 0ms;
    asio::steady_timer timer(acceptor.get_executor());
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io), tuple);
      if (ec == asio::error::operation_aborted || stopped) co_return;
      if (ec) {
        if (backoff == 0ms) spdlog::warn("cannot accept connections: {}; retrying with backoff", ec.message());
        backoff = backoff == 0ms ? 50ms : std::min<std::chrono::milliseconds>(backoff * 2, 1s);
        timer.expires_after(backoff);
        co_await timer.async_wait(tuple);
        continue;
      }
      if (backoff != 0ms) {
        spdlog::info("accepting connections again");
        backoff = 0ms;
      }
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto executor = socket.get_executor();
      if (connections.fetch_add(1) >= options.maxConnections) {
        connections.fetch_sub(1);
        asio::co_spawn(executor, turnAway(std::move(socket)), asio::detached);
      } else {
        asio::co_spawn(executor, session(std::move(socket)), asio::detached);
      }
    }
  }
};

Server::Server(ServerOptions options, RequestHandlers handlers)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handlers))) {}

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
  // No I/O thread posts work any more; let the running handlers end.
  i.general.stop();
  i.credentials.stop();
}

void Server::heartbeat(std::chrono::steady_clock::duration interval, std::function<void()> beat) {
  auto loop = [](std::chrono::steady_clock::duration every, std::function<void()> fn) -> awaitable<void> {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
      fn();
      timer.expires_after(every);
      co_await timer.async_wait(use_awaitable);
    }
  };
  asio::co_spawn(impl_->io, loop(interval, std::move(beat)), asio::detached);
}

void Server::waitForSignal() {
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->threads.clear();
}

}  // namespace fedihost::api
