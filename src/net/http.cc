#include "net/http.hh"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

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

/// Where the header callback of `send` collects: the headers and the status line's reason phrase.
struct HeaderSink {
  std::map<std::string, std::string>* headers;
  std::string* reason;
};

size_t collectHeaderAndReason(char* data, size_t size, size_t n, void* out) {
  auto* sink = static_cast<HeaderSink*>(out);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {  // a status line (a new response after 1xx or a redirect)
    sink->headers->clear();
    sink->reason->clear();
    auto sp1 = line.find(' ');
    auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 != std::string_view::npos) {
      std::string r(line.substr(sp2 + 1));
      while (!r.empty() && (r.back() == '\r' || r.back() == '\n')) r.pop_back();
      *sink->reason = std::move(r);
    }
    return size * n;
  }
  return curlCollectHeader(data, size, n, sink->headers);
}

/// The certificate check of a pinned request: replaces OpenSSL's chain
/// verification for this connection; accepts exactly the leaf whose SHA-256
/// fingerprint is the pin (32 bytes, `arg`).
int verifyPinned(X509_STORE_CTX* ctx, void* arg) {
  const auto* pin = static_cast<const std::string*>(arg);
  X509* leaf = X509_STORE_CTX_get0_cert(ctx);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!leaf || X509_digest(leaf, EVP_sha256(), md, &len) != 1 || len != 32) {
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_UNSPECIFIED);
    return 0;
  }
  static const char* hex = "0123456789abcdef";
  std::string got;
  for (unsigned i = 0; i < len; ++i) {
    got += hex[md[i] >> 4];
    got += hex[md[i] & 15];
  }
  if (got != *pin) {
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  X509_STORE_CTX_set_error(ctx, X509_V_OK);
  return 1;
}

CURLcode pinContext(CURL*, void* sslctx, void* pin) {
  SSL_CTX_set_cert_verify_callback(static_cast<SSL_CTX*>(sslctx), verifyPinned, pin);
  return CURLE_OK;
}

}  // namespace

std::string normalizeFingerprint(std::string_view pin) {
  std::string out;
  for (char c : pin) {
    if (c == ':') continue;
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return {};
    out += c;
  }
  return out.size() == 64 ? out : std::string{};
}

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
  HeaderSink sink{&resp.headers, &resp.reason};
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collectHeaderAndReason);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);
  // TLS: always verified (libcurl's defaults), against a CA file or a pinned certificate when asked.
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  std::string pin;
  if (!request.tls.pinnedSha256.empty()) {
    pin = normalizeFingerprint(request.tls.pinnedSha256);
    if (pin.empty())
      return Error{ErrorKind::Invalid, "the pinned fingerprint is not a SHA-256 fingerprint (64 hex digits)", {}};
    // The pin replaces chain and name checks (a cluster's self-signed certificate);
    // a fresh connection and no TLS session resumption, so that every request is checked against its own pin.
    curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, pinContext);
    curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, &pin);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 0L);
    curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(c, CURLOPT_CAINFO, nullptr);  // no CA store to load: the pin alone decides
    curl_easy_setopt(c, CURLOPT_CAPATH, nullptr);
  } else if (!request.tls.caFile.empty()) {
    curl_easy_setopt(c, CURLOPT_CAINFO, request.tls.caFile.c_str());
    curl_easy_setopt(c, CURLOPT_CAPATH, nullptr);
  }
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connectTimeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
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
  if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CONNECT_ERROR) {
    if (!pin.empty() || rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE)
      return Error{ErrorKind::Provider,
                   "the TLS certificate of " + request.url + " was refused" +
                       (pin.empty() ? std::string() : " (it is not the pinned certificate)") + ": " +
                       curl_easy_strerror(rc),
                   {}};
  }
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
