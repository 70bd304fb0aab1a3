#include "providers/proxmox/proxmox_api.hh"

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <thread>

namespace fedihost::providers::proxmox {
namespace {

constexpr std::string_view kIdentityPrefix = "fedihost.key=";

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (auto& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

bool parseHex(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 16) return false;
  out = 0;
  for (char c : s) {
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    out = out * 16 + static_cast<std::uint64_t>(d);
  }
  return true;
}

}  // namespace

std::string formEncode(const Form& form) {
  std::string out;
  for (auto& [k, v] : form) {
    if (!out.empty()) out += '&';
    out += net::uriEncode(k) + "=" + net::uriEncode(v);
  }
  return out;
}

std::string sshKeysValue(const std::vector<std::string>& keys) { return net::uriEncode(join(keys, "\n")); }

std::string ipconfigValue(const std::string& address, int prefixLength, const std::string& gateway) {
  std::string v = "ip=" + address + "/" + std::to_string(prefixLength);
  if (!gateway.empty()) v += ",gw=" + gateway;
  return v;
}

std::string lxcNetValue(const std::string& bridge, const std::string& address, int prefixLength,
                        const std::string& gateway) {
  return "name=eth0,bridge=" + bridge + "," + ipconfigValue(address, prefixLength, gateway);
}

std::optional<Upid> parseUpid(const std::string& s) {
  // UPID:node:pid:pstart:starttime:type:id:user: (the id may be empty)
  if (!s.starts_with("UPID:") || !s.ends_with(":")) return std::nullopt;
  std::vector<std::string> parts;
  std::size_t at = 5;
  while (at < s.size()) {
    auto c = s.find(':', at);
    parts.push_back(s.substr(at, c - at));
    at = c + 1;
  }
  if (parts.size() != 7) return std::nullopt;
  Upid u;
  u.node = parts[0];
  if (u.node.empty() || parts[1].size() != 8 || parts[2].size() != 8 || parts[3].size() != 8) return std::nullopt;
  if (!parseHex(parts[1], u.pid) || !parseHex(parts[2], u.pstart) || !parseHex(parts[3], u.starttime))
    return std::nullopt;
  u.type = parts[4];
  u.id = parts[5];
  u.user = parts[6];
  if (u.type.empty() || u.user.empty()) return std::nullopt;
  return u;
}

std::string guestName(const std::string& deployment, const std::string& name) {
  std::string n = "fh-" + deployment + "-" + name;
  for (auto& c : n) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) c = '-';
  }
  if (n.size() > 63) n.resize(63);
  while (!n.empty() && n.back() == '-') n.pop_back();
  return n;
}

std::string identityTag(const std::string& key) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  static const char* hex = "0123456789abcdef";
  std::string s = "fh-";
  for (int i = 0; i < 8; ++i) {
    s += hex[h[i] >> 4];
    s += hex[h[i] & 15];
  }
  return s;
}

std::string identityLine(const std::string& key) { return std::string(kIdentityPrefix) + key; }

std::string identityOf(const std::string& description) {
  std::size_t at = 0;
  while (at <= description.size()) {
    auto nl = description.find('\n', at);
    auto line = description.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.starts_with(kIdentityPrefix)) return line.substr(kIdentityPrefix.size());
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  return {};
}

std::optional<double> driveSizeGiB(const std::string& drive) {
  auto at = drive.find("size=");
  if (at == std::string::npos) return std::nullopt;
  auto end = drive.find(',', at);
  auto v = drive.substr(at + 5, end == std::string::npos ? std::string::npos : end - at - 5);
  if (v.empty()) return std::nullopt;
  char unit = v.back();
  double factor = 1.0 / (1024.0 * 1024.0 * 1024.0);  // bytes without a unit
  if (unit == 'K') factor = 1.0 / (1024.0 * 1024.0);
  else if (unit == 'M') factor = 1.0 / 1024.0;
  else if (unit == 'G') factor = 1.0;
  else if (unit == 'T') factor = 1024.0;
  if (unit < '0' || unit > '9') v.pop_back();
  try {
    std::size_t used = 0;
    double n = std::stod(v, &used);
    if (used != v.size()) return std::nullopt;
    return n * factor;
  } catch (...) {
    return std::nullopt;
  }
}

std::string addressOf(const std::string& netValue) {
  std::size_t at = 0;
  while (at < netValue.size()) {
    auto comma = netValue.find(',', at);
    auto part = netValue.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (part.starts_with("ip=")) return part.substr(3, part.find('/') == std::string::npos ? std::string::npos : part.find('/') - 3);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return {};
}

ApiFailure failureOf(const net::HttpResponse& r) {
  ApiFailure f;
  f.status = r.status;
  std::error_code ec;
  auto body = json::parse(r.body, ec);
  if (!ec && body.is_object()) {
    auto& o = body.get_object();
    if (auto* m = o.if_contains("message"); m && m->is_string()) f.message = std::string(m->get_string());
    if (auto* e = o.if_contains("errors"); e && e->is_object()) f.errors = e->get_object();
  }
  if (f.message.empty()) f.message = r.reason;
  while (!f.message.empty() && (f.message.back() == '\n' || f.message.back() == ' ')) f.message.pop_back();
  if (f.message.empty()) f.message = "HTTP " + std::to_string(r.status);
  return f;
}

bool isLocked(const ApiFailure& f) {
  return f.status == 500 && (f.message.find("is locked") != std::string::npos ||
                             f.message.find("got timeout") != std::string::npos);
}

Client::Client(ClientOptions o) : o_(std::move(o)) {}

void Client::sleepFor(milliseconds d) const {
  if (o_.sleep) o_.sleep(d);
  else std::this_thread::sleep_for(d);
}

Result<net::HttpResponse> Client::send(const std::string& method, const std::string& path, const Form& params) {
  net::HttpRequest req;
  req.method = method;
  req.url = o_.apiUrl + "/api2/json" + path;
  req.timeout = o_.timeout;
  req.tls = o_.tls;
  req.headers = {{"Authorization", "PVEAPIToken=" + o_.tokenId + "=" + o_.tokenSecret},
                 {"Accept", "application/json"}};
  if (method == "GET" || method == "DELETE") {
    if (!params.empty()) req.url += "?" + formEncode(params);
  } else {
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    req.body = formEncode(params);
  }
  return net::send(req);
}

Result<json::value> Client::callRaw(const std::string& method, const std::string& path, const Form& params,
                                    ApiFailure* failure) {
  milliseconds backoff = o_.lockBackoff;
  for (int attempt = 0;; ++attempt) {
    auto r = send(method, path, params);
    if (!r) return r.error();
    if (net::ok(*r)) {
      std::error_code ec;
      auto body = json::parse(r->body, ec);
      if (ec || !body.is_object() || !body.get_object().contains("data"))
        return Error{ErrorKind::Provider,
                     "Proxmox answered " + method + " " + path + " without a {\"data\": …} envelope: " +
                         r->body.substr(0, 200),
                     {}};
      return body.get_object().at("data");
    }
    auto f = failureOf(*r);
    if (isLocked(f) && attempt < o_.lockRetries) {
      sleepFor(backoff);
      backoff = std::min(backoff * 2, milliseconds(8000));
      continue;
    }
    if (failure) *failure = f;
    std::string msg = "Proxmox refused " + method + " " + path + ": " + std::to_string(f.status) + " " + f.message;
    for (auto& kv : f.errors)
      msg += "; " + std::string(kv.key()) + ": " +
             (kv.value().is_string() ? std::string(kv.value().get_string()) : json::serialize(kv.value()));
    if (isLocked(f)) return Error{ErrorKind::Unavailable, msg + " (still locked after " + std::to_string(attempt) + " retries)", {}};
    if (f.status == 401 || f.status == 403) return Error{ErrorKind::Provider, msg + " (credentials refused)", {}};
    if (f.message.find("does not exist") != std::string::npos || f.status == 404)
      return Error{ErrorKind::NotFound, msg, {}};
    if (f.status >= 501 || f.status == 429) return Error{ErrorKind::Unavailable, msg, {}};
    return Error{ErrorKind::Provider, msg, {}};
  }
}

Result<json::value> Client::call(const std::string& method, const std::string& path, const Form& params) {
  return callRaw(method, path, params, nullptr);
}

Result<void> Client::waitTask(const std::string& node, const std::string& upid) {
  if (!parseUpid(upid)) return Error{ErrorKind::Provider, "Proxmox answered a task id that is not a UPID: " + upid, {}};
  const std::string base = "/nodes/" + net::uriEncode(node) + "/tasks/" + net::uriEncode(upid);
  const auto deadline = std::chrono::steady_clock::now() + o_.taskTimeout;
  for (;;) {
    auto st = call("GET", base + "/status");
    if (!st) return st.error();
    if (!st->is_object()) return Error{ErrorKind::Provider, "Proxmox answered a task status that is not an object", {}};
    auto& o = st->get_object();
    auto* status = o.if_contains("status");
    if (!status || !status->is_string())
      return Error{ErrorKind::Provider, "Proxmox answered a task status without \"status\"", {}};
    if (status->get_string() == "stopped") {
      std::string exit;
      if (auto* e = o.if_contains("exitstatus"); e && e->is_string()) exit = std::string(e->get_string());
      if (exit == "OK") return {};
      // The end of the task's log says why.
      std::string log;
      if (auto lines = call("GET", base + "/log", {{"start", "0"}, {"limit", "1000"}}); lines && lines->is_array()) {
        auto& a = lines->get_array();
        std::size_t from = a.size() > 20 ? a.size() - 20 : 0;
        for (std::size_t i = from; i < a.size(); ++i)
          if (a[i].is_object())
            if (auto* t = a[i].get_object().if_contains("t"); t && t->is_string())
              log += (log.empty() ? "" : " | ") + std::string(t->get_string());
      } else if (!lines) {
        log = "(the task log could not be read: " + lines.error().message + ")";
      }
      auto u = parseUpid(upid);
      return Error{ErrorKind::Provider,
                   "Proxmox task " + u->type + " " + u->id + " on " + node + " failed: " +
                       (exit.empty() ? "no exit status" : exit) + "; task log: " + log,
                   {}};
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return Error{ErrorKind::Unavailable,
                   "Proxmox task " + upid + " still running after " + std::to_string(o_.taskTimeout.count()) + " ms",
                   {}};
    sleepFor(o_.poll);
  }
}

Result<json::value> Client::callAndWait(const std::string& method, const std::string& node, const std::string& path,
                                        const Form& params) {
  auto r = call(method, path, params);
  if (!r) return r.error();
  if (r->is_string()) {
    std::string upid(r->get_string());
    if (auto ok = waitTask(node, upid); !ok) return ok.error();
  }
  return r;
}

}  // namespace fedihost::providers::proxmox
