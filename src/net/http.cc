#include "net/http.hh"

#include <algorithm>

#include "net/curl_util.hh"

namespace fedihost::net {
namespace {

CURL* threadHandle() {
  thread_local CurlHandle handle = newCurlHandle();
  return handle.get();
}

/// The server's own words from a body: a JSON "error"/"message", an XML <Message>, or the text itself.
std::string serverMessage(const std::string& body) {
  auto between = [&](std::string_view open, std::string_view close) -> std::string {
    auto a = body.find(open);
    if (a == std::string::npos) return {};
    a += open.size();
    auto b = body.find(close, a);
    return b == std::string::npos ? std::string{} : body.substr(a, b - a);
  };
  for (auto key : {"\"error\":\"", "\"message\":\"", "\"Message\":\""}) {
    auto s = between(key, "\"");
    if (!s.empty()) return s;
  }
  if (auto s = between("<Message>", "</Message>"); !s.empty()) {
    auto code = between("<Code>", "</Code>");
    return code.empty() ? s : code + ": " + s;
  }
  std::string text = body.substr(0, 300);
  std::replace(text.begin(), text.end(), '\n', ' ');
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

}  // namespace

size_t curlAppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t curlCollectHeader(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * n;
}

Result<HttpResponse> send(const HttpRequest& request) {
  CURL* c = threadHandle();
  if (!c) return Error{ErrorKind::Internal, "libcurl could not make a handle", {}};
  curl_easy_reset(c);
  HttpResponse resp;
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  if (request.method == "HEAD")
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  else
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curlAppendBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, curlCollectHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp.headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connectTimeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (!request.caFile.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, request.caFile.c_str());
  CurlList list;
  for (auto& [k, v] : request.headers) curlListAppend(list, k + ": " + v);
  curlListAppend(list, "Expect:");
  if (!request.body.empty() || request.method == "PUT" || request.method == "POST" || request.method == "PATCH") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  auto rc = curl_easy_perform(c);
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return transferError(rc, request.method + " " + request.url, static_cast<long>(request.timeout.count()));
  if (rc != CURLE_OK) return transferError(rc, request.url, static_cast<long>(request.timeout.count()));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  return resp;
}

Error statusError(std::string_view service, const HttpResponse& response) {
  std::string msg = std::string(service) + " answered " + std::to_string(response.status);
  auto said = serverMessage(response.body);
  if (!said.empty()) msg += ": " + said;
  auto s = response.status;
  if (s >= 500 || s == 429 || s == 408) return Error{ErrorKind::Unavailable, msg, {}};
  if (s == 401 || s == 403) return Error{ErrorKind::Unauthorized, msg + " (credentials refused)", {}};
  if (s == 404) return Error{ErrorKind::NotFound, msg, {}};
  return Error{ErrorKind::Provider, msg, {}};
}

std::string uriEncode(std::string_view s, bool keepSlash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_' || c == '.' || c == '~';
    if (unreserved || (keepSlash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace fedihost::net
