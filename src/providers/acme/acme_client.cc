#include "providers/acme/acme_client.hh"

namespace fedihost::providers::acme {
namespace {

constexpr std::string_view kProblem = "urn:ietf:params:acme:error:";

std::string str(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

AcmeResponse toResponse(net::HttpResponse r) {
  AcmeResponse out;
  out.status = r.status;
  out.headers = std::move(r.headers);
  out.body = std::move(r.body);
  boost::system::error_code ec;
  auto v = json::parse(out.body, ec);
  if (!ec && v.is_object()) out.object = std::move(v.get_object());
  return out;
}

}  // namespace

Error problemError(const std::string& what, const AcmeResponse& response) {
  auto type = str(response.object, "type");
  auto detail = str(response.object, "detail");
  std::string msg = "acme: " + what + ": the CA answered " + std::to_string(response.status);
  if (!type.empty()) msg += " " + (type.starts_with(kProblem) ? type.substr(kProblem.size()) : type);
  if (!detail.empty()) msg += ": " + detail;
  if (auto* subs = response.object.if_contains("subproblems"); subs && subs->is_array())
    for (auto& s : subs->get_array())
      if (s.is_object()) {
        auto& so = s.get_object();
        std::string id;
        if (auto* ident = so.if_contains("identifier"); ident && ident->is_object()) id = str(ident->get_object(), "value");
        msg += "; " + (id.empty() ? "" : id + ": ") + str(so, "detail");
      }
  if (type == std::string(kProblem) + "rateLimited") {
    auto after = response.headers.find("retry-after");
    return Error{ErrorKind::Provider,
                 msg + " (a rate limit of the CA" + (after != response.headers.end() ? ", retry after " + after->second : "") +
                     "; no new order is placed until then)",
                 {}};
  }
  if (response.status >= 500 || type == std::string(kProblem) + "serverInternal")
    return Error{ErrorKind::Unavailable, msg, {}};
  if (type == std::string(kProblem) + "unauthorized" || type == std::string(kProblem) + "accountDoesNotExist")
    return Error{ErrorKind::Unauthorized, msg, {}};
  if (response.status == 404) return Error{ErrorKind::NotFound, msg, {}};
  return Error{ErrorKind::Provider, msg, {}};
}

Result<net::HttpResponse> AcmeClient::send(net::HttpRequest req) const {
  req.timeout = timeout_;
  req.connectTimeout = std::min(timeout_, req.connectTimeout);
  req.tls.caFile = caFile_;
  return net::send(req);
}

Result<Directory> AcmeClient::directory() {
  {
    std::lock_guard lock(mu_);
    if (directory_) return *directory_;
  }
  net::HttpRequest req;
  req.url = directoryUrl_;
  req.headers = {{"Accept", "application/json"}};
  auto resp = send(req);
  if (!resp) return resp.error();
  auto r = toResponse(std::move(*resp));
  if (r.status < 200 || r.status >= 300) return problemError("the directory " + directoryUrl_, r);
  Directory d{str(r.object, "newNonce"), str(r.object, "newAccount"), str(r.object, "newOrder"),
              str(r.object, "revokeCert")};
  if (d.newNonce.empty() || d.newAccount.empty() || d.newOrder.empty() || d.revokeCert.empty())
    return Error{ErrorKind::Provider,
                 "acme: " + directoryUrl_ + " is not an ACME directory (newNonce, newAccount, newOrder, revokeCert)", {}};
  std::lock_guard lock(mu_);
  directory_ = d;
  return d;
}

void AcmeClient::keepNonce(const net::HttpResponse& r) {
  auto it = r.headers.find("replay-nonce");
  if (it == r.headers.end() || it->second.empty()) return;
  std::lock_guard lock(mu_);
  if (nonces_.size() < 16) nonces_.push_back(it->second);
}

Result<std::string> AcmeClient::nonce() {
  {
    std::lock_guard lock(mu_);
    if (!nonces_.empty()) {
      auto n = std::move(nonces_.back());
      nonces_.pop_back();
      return n;
    }
  }
  auto d = directory();
  if (!d) return d.error();
  net::HttpRequest req;
  req.method = "HEAD";
  req.url = d->newNonce;
  auto resp = send(req);
  if (!resp) return resp.error();
  auto it = resp->headers.find("replay-nonce");
  if (it == resp->headers.end() || it->second.empty())
    return Error{ErrorKind::Provider, "acme: " + d->newNonce + " gave no Replay-Nonce", {}};
  return it->second;
}

Result<AcmeResponse> AcmeClient::post(const std::string& url, const std::string& payload, const Key& key,
                                      const std::string& kid, const std::string& accept, std::vector<long> acceptStatus) {
  // A badNonce answer is retried (RFC 8555 §6.5: the client should retry with the nonce it carries).
  for (int attempt = 0;; ++attempt) {
    auto n = nonce();
    if (!n) return n.error();
    net::HttpRequest req;
    req.method = "POST";
    req.url = url;
    req.headers = {{"Content-Type", "application/jose+json"}, {"Accept", accept}};
    req.body = json::serialize(signJws(key, payload, url, *n, kid));
    auto resp = send(req);
    if (!resp) return resp.error();
    keepNonce(*resp);
    auto r = toResponse(std::move(*resp));
    if (r.status >= 200 && r.status < 300) return r;
    for (auto s : acceptStatus)
      if (s == r.status) return r;
    if (str(r.object, "type") == std::string(kProblem) + "badNonce" && attempt < 5) continue;
    return problemError("POST " + url, r);
  }
}

}  // namespace fedihost::providers::acme
