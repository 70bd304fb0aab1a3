#include "cli/client.hh"

#include <algorithm>
#include <mutex>

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

long Client::stream(const std::string& path,
                    const std::function<bool(const std::string&, const std::string&)>& onEvent) {
  CURL* c = curl_.get();
  curl_easy_reset(c);
  StreamState state{{}, &onEvent};
  std::string url = base_ + path;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, streamBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  std::unique_ptr<curl_slist, SlistFree> list;
  if (!token_.empty()) list.reset(curl_slist_append(nullptr, ("Authorization: Bearer " + token_).c_str()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  auto rc = curl_easy_perform(c);
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && state.stop))
    throw TransportError("event stream from " + base_ + " broke: " + curl_easy_strerror(rc));
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

}  // namespace fedihost::client
