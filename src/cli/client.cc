#include "cli/client.hh"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>

#include "core/fd.hh"
#include "net/http.hh"

namespace fedihost::client {
namespace {

struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct StreamState {
  std::string buffer;
  const std::function<bool(const std::string&, const std::string&)>* onEvent;
  bool stop = false;
};

size_t streamBody(char* data, size_t size, size_t n, void* out) {
  auto& s = *static_cast<StreamState*>(out);
  s.buffer.append(data, size * n);
  std::size_t end;
  while ((end = s.buffer.find("\n\n")) != std::string::npos) {
    std::string block = s.buffer.substr(0, end);
    s.buffer.erase(0, end + 2);
    std::string event = "message", payload;
    std::size_t i = 0;
    while (i < block.size()) {
      auto j = block.find('\n', i);
      if (j == std::string::npos) j = block.size();
      auto line = block.substr(i, j - i);
      if (line.starts_with("event: ")) event = line.substr(7);
      else if (line.starts_with("data: ")) payload += (payload.empty() ? "" : "\n") + line.substr(6);
      i = j + 1;
    }
    if (payload.empty()) continue;  // comments (keep-alive)
    if (!(*s.onEvent)(event, payload)) {
      s.stop = true;
      return 0;  // abort the transfer
    }
  }
  return size * n;
}

/// Where a download's body goes: the file for a 2xx response, else the body kept as text.
struct DownloadState {
  CURL* curl;
  const std::filesystem::path* partial;
  HttpResponse* response;
  std::optional<Fd> out;   ///< opened at the first chunk of a 2xx response
  std::string failure;     ///< why a write was refused
};

size_t downloadBody(char* data, size_t size, size_t n, void* p) {
  auto& s = *static_cast<DownloadState*>(p);
  const size_t bytes = size * n;
  long status = 0;
  curl_easy_getinfo(s.curl, CURLINFO_RESPONSE_CODE, &status);
  if (status / 100 != 2) {
    s.response->body.append(data, bytes);
    return bytes;
  }
  if (!s.out) {
    s.out.emplace(::open(s.partial->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (s.out->get() < 0) {
      s.failure = "cannot create " + s.partial->string() + ": " + std::strerror(errno);
      s.out.reset();
      return 0;
    }
  }
  for (size_t done = 0; done < bytes;) {
    auto w = ::write(s.out->get(), data + done, bytes - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      s.failure = "writing " + s.partial->string() + " failed: " + std::strerror(errno);
      return 0;
    }
    done += static_cast<size_t>(w);
  }
  return bytes;
}

/// Prepares `c` for a GET of `url` with the API token (the header list kept in `list`), its
/// body handed to `write` with `data`.
void prepareGet(CURL* c, const std::string& url, const std::string& token, curl_write_callback write, void* data,
                std::unique_ptr<curl_slist, SlistFree>& list) {
  curl_easy_reset(c);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, data);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (!token.empty()) list.reset(curl_slist_append(nullptr, ("Authorization: Bearer " + token).c_str()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
}

}  // namespace

Client::Client(std::string base, std::string token) : base_(std::move(base)), token_(std::move(token)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  curl_.reset(curl_easy_init());
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

Client::~Client() = default;

HttpResponse Client::request(const std::string& method, const std::string& path, const std::string& body,
                             const std::map<std::string, std::string>& headers) {
  CURL* c = curl_.get();
  curl_easy_reset(c);
  HttpResponse resp;
  std::string url = base_ + path;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, net::curlAppendBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, net::curlCollectHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp.headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  std::unique_ptr<curl_slist, SlistFree> list;
  auto add = [&](const std::string& h) { list.reset(curl_slist_append(list.release(), h.c_str())); };
  if (!token_.empty()) add("Authorization: Bearer " + token_);
  bool hasType = false;
  for (auto& [k, v] : headers) {
    add(k + ": " + v);
    if (k == "Content-Type" || k == "content-type") hasType = true;
  }
  if (!body.empty()) {
    if (!hasType) add("Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  add("Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  auto rc = curl_easy_perform(c);
  if (rc != CURLE_OK) throw TransportError("cannot reach " + base_ + ": " + curl_easy_strerror(rc));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  return resp;
}

HttpResponse Client::download(const std::string& path, const std::filesystem::path& file) {
  CURL* c = curl_.get();
  HttpResponse resp;
  const std::filesystem::path partial = file.string() + ".partial";
  DownloadState state{c, &partial, &resp, std::nullopt, {}};
  std::unique_ptr<curl_slist, SlistFree> list;
  prepareGet(c, base_ + path, token_, downloadBody, &state, list);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, net::curlCollectHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp.headers);
  // No limit on the whole transfer (a bundle may take long), but one that stalls for a minute ends.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  auto rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  auto discard = [&](const std::string& why) {
    state.out.reset();
    std::error_code ec;
    std::filesystem::remove(partial, ec);
    throw TransportError(why);
  };
  if (rc != CURLE_OK)
    discard(!state.failure.empty() ? state.failure
                                   : "downloading from " + base_ + " broke: " + curl_easy_strerror(rc));
  if (resp.status / 100 != 2) return resp;
  if (!state.out)  // an empty body: the file is created all the same
    state.out.emplace(::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (state.out->get() < 0 || ::fsync(state.out->get()) != 0 || !state.out->close())
    discard("writing " + partial.string() + " failed: " + std::strerror(errno));
  std::error_code ec;
  std::filesystem::rename(partial, file, ec);
  if (ec) discard("cannot rename " + partial.string() + " to " + file.string() + ": " + ec.message());
  return resp;
}

long Client::stream(const std::string& path,
                    const std::function<bool(const std::string&, const std::string&)>& onEvent) {
  CURL* c = curl_.get();
  StreamState state{{}, &onEvent};
  std::unique_ptr<curl_slist, SlistFree> list;
  prepareGet(c, base_ + path, token_, streamBody, &state, list);
  auto rc = curl_easy_perform(c);
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && state.stop))
    throw TransportError("event stream from " + base_ + " broke: " + curl_easy_strerror(rc));
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

}  // namespace fedihost::client
