#include "providers/s3/sigv4.hh"

#include <sodium.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>

#include "net/http.hh"

namespace fedihost::providers::s3::sigv4 {
namespace {

void ensureSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

/// Trims spaces and tabs at both ends and collapses inner runs of spaces to one.
std::string trimAll(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::vector<std::string> splitPath(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (true) {
    auto slash = path.find('/', start);
    segments.emplace_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

}  // namespace

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string sha256Hex(std::string_view data) {
  ensureSodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return hex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string hmacSha256(std::string_view key, std::string_view data) {
  ensureSodium();
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(&state, sizeof state);
  return std::string(reinterpret_cast<const char*>(mac), sizeof mac);
}

std::string signingKey(std::string_view secretAccessKey, std::string_view date, std::string_view region,
                       std::string_view service) {
  std::string k = hmacSha256("AWS4" + std::string(secretAccessKey), date);
  k = hmacSha256(k, region);
  k = hmacSha256(k, service);
  return hmacSha256(k, "aws4_request");
}

std::string canonicalUri(std::string_view path, bool normalize) {
  if (path.empty()) return "/";
  auto segments = splitPath(path);
  std::string out;
  if (normalize) {
    std::vector<std::string> kept;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const auto& s = segments[i];
      if (s.empty() || s == ".") continue;
      if (s == "..") {
        if (!kept.empty()) kept.pop_back();
        continue;
      }
      kept.push_back(s);
    }
    for (auto& s : kept) out += "/" + net::uriEncode(s);
    const bool trailing = path.back() == '/' || path.ends_with("/.") || path.ends_with("/..");
    if (out.empty() || trailing) out += "/";
    return out;
  }
  // As given: "/" separators kept, every segment encoded; a path is absolute.
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += "/";
    out += net::uriEncode(segments[i]);
  }
  if (out.empty() || out.front() != '/') out.insert(out.begin(), '/');
  return out;
}

std::string canonicalQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (auto& [k, v] : query) encoded.emplace_back(net::uriEncode(k), net::uriEncode(v));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (auto& [k, v] : encoded) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

std::pair<std::string, std::string> canonicalHeaders(const std::vector<std::pair<std::string, std::string>>& headers) {
  // Stable sort by lower-case name keeps repeated names in the order given.
  std::vector<std::pair<std::string, std::string>> h;
  h.reserve(headers.size());
  for (auto& [k, v] : headers) h.emplace_back(lower(trimAll(k)), trimAll(v));
  std::stable_sort(h.begin(), h.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::string block, names;
  for (std::size_t i = 0; i < h.size();) {
    std::string value = h[i].second;
    std::size_t j = i + 1;
    for (; j < h.size() && h[j].first == h[i].first; ++j) value += "," + h[j].second;
    block += h[i].first + ":" + value + "\n";
    names += (names.empty() ? "" : ";") + h[i].first;
    i = j;
  }
  return {block, names};
}

Signature sign(const Request& request, const Credentials& credentials, const Scope& scope) {
  Signature s;
  auto [block, names] = canonicalHeaders(request.headers);
  s.signedHeaders = names;
  s.canonicalRequest = request.method + "\n" + canonicalUri(request.path, scope.normalizePath) + "\n" +
                       canonicalQuery(request.query) + "\n" + block + "\n" + names + "\n" + request.payloadHash;
  const std::string date = scope.amzDate.substr(0, 8);
  const std::string credentialScope = date + "/" + scope.region + "/" + scope.service + "/aws4_request";
  s.stringToSign = "AWS4-HMAC-SHA256\n" + scope.amzDate + "\n" + credentialScope + "\n" + sha256Hex(s.canonicalRequest);
  auto key = signingKey(credentials.secretAccessKey, date, scope.region, scope.service);
  s.signature = hex(hmacSha256(key, s.stringToSign));
  sodium_memzero(key.data(), key.size());
  s.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.accessKeyId + "/" + credentialScope +
                    ", SignedHeaders=" + names + ", Signature=" + s.signature;
  return s;
}

std::string amzDate(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[17];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace fedihost::providers::s3::sigv4
