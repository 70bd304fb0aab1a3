// The "acme" certificate provider (see acme.hh): account, order, DNS-01
// challenges through the target's DNS provider, finalize with a CSR, download
// the chain; renew when due; revoke on remove.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "core/clock.hh"
#include "providers/acme/acme.hh"
#include "providers/acme/acme_client.hh"
#include "providers/acme/crypto.hh"
#include "providers/attributes.hh"
#include "store/acme_store.hh"

namespace fedihost::providers::acme {
namespace {

std::string str(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string namesJson(const std::vector<std::string>& names) {
  json::array a;
  for (auto& n : names) a.emplace_back(n);
  return json::serialize(a);
}

std::vector<std::string> namesFromJson(const std::string& text) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (auto& n : v.get_array())
    if (n.is_string()) out.emplace_back(n.get_string());
  return out;
}

Result<void> done(const Result<bool>& r) {
  if (!r) return r.error();
  return {};
}

class AcmeCertificateProvider final : public CertificateProvider {
 public:
  explicit AcmeCertificateProvider(const ProviderConfig& config)
      : target_(config.target), stateUrl_(config.stateUrl), client_(init(config)) {}

  std::string implementation() const override { return "acme"; }
  Capabilities capabilities() const override { return {true, true}; }
  void useDns(ResourceProvider* dns) override { dns_ = dns; }

  Result<Observed> create(const ResolvedResource& r) override {
    auto spec = parse(r);
    if (!spec) return spec.error();
    auto row = db<std::optional<store::AcmeCertificate>>(
        [&](store::AcmeStore& s) -> Result<std::optional<store::AcmeCertificate>> {
          return s.certificate(r.resource.key);
        });
    if (!row) return row.error();
    if (*row && !(*row)->chain.empty()) return observed(**row);  // created before (a create is idempotent)
    auto issued = obtain(r, *spec, row->value_or(store::AcmeCertificate{}));
    if (!issued) return issued.error();
    return observed(*issued);
  }

  /// What the state database holds for the key: NotFound while no certificate was issued.
  Result<Observed> read(const ResolvedResource& r) override {
    auto row = db<std::optional<store::AcmeCertificate>>(
        [&](store::AcmeStore& s) -> Result<std::optional<store::AcmeCertificate>> {
          return s.certificate(r.resource.key);
        });
    if (!row) return row.error();
    if (!*row || (*row)->chain.empty() || (*row)->target != target_)
      return Error::notFound("certificate " + r.resource.key + " was not issued through acme for target " + target_);
    return observed(**row);
  }

  /// Orders a new certificate when the names changed or renewal is due; else keeps the one held.
  Result<Observed> update(const ResolvedResource& r) override {
    auto spec = parse(r);
    if (!spec) return spec.error();
    auto row = db<std::optional<store::AcmeCertificate>>(
        [&](store::AcmeStore& s) -> Result<std::optional<store::AcmeCertificate>> {
          return s.certificate(r.resource.key);
        });
    if (!row) return row.error();
    if (!*row || (*row)->chain.empty()) return Error::notFound("certificate " + r.resource.key + " is not held");
    auto current = observed(**row);
    if (!current) return current;
    const bool sameNames = namesFromJson((*row)->names) == spec->names;
    if (sameNames && current->due.empty()) return current;
    const auto old = **row;
    auto issued = obtain(r, *spec, old);
    if (!issued) return issued.error();
    if (!sameNames) {
      // The old certificate is superseded (RFC 5280 reason 4); a failure leaves it to expire.
      if (auto ok = revoke(r, old, 4); !ok)
        spdlog::warn("acme: the superseded certificate of {} was not revoked: {}", r.resource.key, ok.error().message);
    }
    return observed(*issued);
  }

  /// Revokes the certificate held (cessationOfOperation), removes challenge records left
  /// behind, forgets the key. Nothing held is success.
  Result<void> remove(const ResolvedResource& r) override {
    auto row = db<std::optional<store::AcmeCertificate>>(
        [&](store::AcmeStore& s) -> Result<std::optional<store::AcmeCertificate>> {
          return s.certificate(r.resource.key);
        });
    if (!row) return row.error();
    if (!*row) return {};
    if (!(*row)->chain.empty())
      if (auto ok = revoke(r, **row, 5); !ok) return ok.error();
    auto spec = parseCertificate(r.resource.attributes);
    if (spec && dns_) {
      for (auto& n : identifiers(*spec))
        if (auto ok = removeTxtRecordSet(*dns_, challengeSet(r, *spec, dns01Name(n), {})); !ok) return ok.error();
    }
    return done(db<bool>([&](store::AcmeStore& s) -> Result<bool> {
      s.removeCertificate(r.resource.key);
      return true;
    }));
  }

  Result<std::vector<std::string>> list(std::string_view deployment) override {
    return db<std::vector<std::string>>([&](store::AcmeStore& s) -> Result<std::vector<std::string>> {
      return s.keys(target_, std::string(deployment));
    });
  }

 private:
  AcmeClient init(const ProviderConfig& config) {
    static const std::set<std::string, std::less<>> known{
        "directoryUrl", "caFile", "keyType", "contact", "wildcard", "challengeTtl",
        "pollIntervalMs", "pollTimeoutMs", "timeoutMs", "managementUrl"};
    for (auto& kv : config.settings)
      if (!known.count(kv.key()))
        throw AbortError(Error::invalid("settings." + std::string(kv.key()),
                                        "unknown setting of the acme provider (known: directoryUrl, caFile, keyType, "
                                        "contact, wildcard, challengeTtl, pollIntervalMs, pollTimeoutMs, timeoutMs)"));
    Settings s(config.settings);
    auto url = s.string("directoryUrl");
    if (!url.starts_with("https://") && !url.starts_with("http://"))
      throw AbortError(Error::invalid("settings.directoryUrl", "must be the ACME directory's https:// URL"));
    auto caFile = s.string("caFile", "");
    auto kt = keyTypeFromString(s.string("keyType", "es256"));
    if (!kt) throw AbortError(Error::invalid("settings.keyType", "must be \"es256\" or \"rs256\""));
    keyType_ = *kt;
    contact_ = s.string("contact", "");
    wildcard_ = s.boolean("wildcard", false);
    challengeTtl_ = static_cast<int>(s.integer("challengeTtl", 60));
    pollInterval_ = std::chrono::milliseconds(s.integer("pollIntervalMs", 1000));
    pollTimeout_ = std::chrono::milliseconds(s.integer("pollTimeoutMs", 120000));
    if (pollInterval_.count() < 1) throw AbortError(Error::invalid("settings.pollIntervalMs", "must be positive"));
    if (pollTimeout_ < pollInterval_)
      throw AbortError(Error::invalid("settings.pollTimeoutMs", "must be at least pollIntervalMs"));
    if (challengeTtl_ < 0) throw AbortError(Error::invalid("settings.challengeTtl", "must not be negative"));
    auto timeout = s.integer("timeoutMs", 15000);
    if (timeout <= 0) throw AbortError(Error::invalid("settings.timeoutMs", "must be positive"));
    if (config.stateUrl.empty())
      throw AbortError(Error::invalid("stateUrl", "the acme provider keeps its accounts and orders in the state database"));
    if (config.target.empty()) throw AbortError(Error::invalid("target", "the acme provider needs its target's name"));
    return AcmeClient(url, caFile, std::chrono::milliseconds(timeout));
  }

  /// Runs `f` on the state database; a database failure is Unavailable.
  template <class T, class F>
  Result<T> db(F&& f) {
    std::lock_guard lock(dbMu_);
    try {
      if (!conn_) conn_ = store::connect(stateUrl_);
      store::AcmeStore s(*conn_);
      return f(s);
    } catch (const store::DatabaseError& e) {
      conn_.reset();
      return Error{ErrorKind::Unavailable, std::string("acme: the state database failed: ") + e.what(), {}};
    }
  }

  static Result<CertificateSpec> parse(const ResolvedResource& r) {
    if (r.resource.kind != ResourceKind::Certificate)
      return Error{ErrorKind::Internal, "a " + std::string(toString(r.resource.kind)) + " resource was given to acme", {}};
    if (!r.box) return Error{ErrorKind::Internal, "acme needs the secret box to seal keys", {}};
    return parseCertificate(r.resource.attributes);
  }

  /// What is ordered: the names, or the zone and its wildcard (settings.wildcard) when that covers them.
  std::vector<std::string> identifiers(const CertificateSpec& spec) const {
    if (!wildcard_) return spec.names;
    for (auto& n : spec.names) {
      if (n == spec.zone) continue;
      if (!n.ends_with("." + spec.zone)) return spec.names;
      auto label = n.substr(0, n.size() - spec.zone.size() - 1);
      if (label.empty() || label.find('.') != std::string::npos) return spec.names;
    }
    return {spec.zone, "*." + spec.zone};
  }

  /// The TXT set of one challenge name, held by "<deployment>/dns-record-set/acme-<host>".
  TxtRecordSet challengeSet(const ResolvedResource& r, const CertificateSpec& spec, const std::string& name,
                            std::vector<std::string> values) const {
    std::string host = name.substr(std::string("_acme-challenge.").size());
    if (!host.empty() && host.back() == '.') host.pop_back();
    return {r.resource.deployment + "/dns-record-set/acme-" + host, r.resource.deployment, spec.zone, name,
            std::move(values), challengeTtl_};
  }

  struct Account {
    Key key;
    std::string kid;
  };

  Result<Account> account(const secrets::SecretBox& box) {
    std::lock_guard lock(accountMu_);
    if (account_) return *account_;
    auto row = db<store::AcmeAccount>([&](store::AcmeStore& s) -> Result<store::AcmeAccount> {
      if (auto a = s.account(client_.directoryUrl())) return *a;
      return s.addAccount(client_.directoryUrl(), box.seal(Key::generate(keyType_).pem()));
    });
    if (!row) return row.error();
    auto pem = box.open(row->keySealed);
    if (!pem) return Error{ErrorKind::Internal, "acme: the account key of " + row->directoryUrl + " cannot be opened", {}};
    auto key = Key::fromPem(*pem);
    if (!key) return Error{ErrorKind::Internal, "acme: the account key of " + row->directoryUrl + " is not a key", {}};
    std::string kid = row->accountUrl;
    if (kid.empty()) {
      auto d = client_.directory();
      if (!d) return d.error();
      json::object req{{"termsOfServiceAgreed", true}};
      if (!contact_.empty()) req["contact"] = json::array{json::string("mailto:" + contact_)};
      // The same key again finds the same account (200), so a crash before the URL was saved costs nothing.
      auto resp = client_.post(d->newAccount, json::serialize(req), *key, "");
      if (!resp) return resp.error();
      kid = resp->header("location");
      if (kid.empty()) return Error{ErrorKind::Provider, "acme: newAccount gave no Location", {}};
      auto saved = db<bool>([&](store::AcmeStore& s) -> Result<bool> {
        s.setAccountUrl(client_.directoryUrl(), kid);
        return true;
      });
      if (!saved) return saved.error();
    }
    account_ = Account{*key, kid};
    return *account_;
  }

  Result<AcmeResponse> fetch(const std::string& url, const Account& a, const std::string& accept = "application/json") {
    return client_.post(url, "", a.key, a.kid, accept);
  }

  Result<void> save(const store::AcmeCertificate& c) {
    return done(db<bool>([&](store::AcmeStore& s) -> Result<bool> {
      s.putCertificate(c);
      return true;
    }));
  }

  /// Issues a certificate for the spec: continues the order recorded in `row` if it is for the
  /// same names and still usable, else places one (recorded before anything else is done).
  Result<store::AcmeCertificate> obtain(const ResolvedResource& r, const CertificateSpec& spec,
                                        store::AcmeCertificate row) {
    if (!dns_) return Error{ErrorKind::Internal, "acme: the target gave no DNS provider for DNS-01 challenges", {}};
    auto acct = account(*r.box);
    if (!acct) return acct.error();
    auto dir = client_.directory();
    if (!dir) return dir.error();
    const auto wanted = namesJson(spec.names);
    const auto idents = identifiers(spec);
    row.identityKey = r.resource.key;
    row.target = target_;
    row.deployment = r.resource.deployment;
    row.directoryUrl = client_.directoryUrl();

    std::optional<AcmeResponse> order;
    if (!row.pendingOrder.empty() && row.pendingNames == wanted && row.directoryUrl == client_.directoryUrl()) {
      auto o = fetch(row.pendingOrder, *acct);
      if (o && str(o->object, "status") != "invalid") {
        spdlog::info("acme: {} continues order {}", r.resource.key, row.pendingOrder);
        order = std::move(*o);
      } else if (!o && o.error().kind != ErrorKind::NotFound && o.error().kind != ErrorKind::Provider) {
        return o.error();  // the CA is unreachable: try the same order again later
      }
    }
    if (!order) {
      json::array ids;
      for (auto& n : idents) ids.push_back(json::object{{"type", "dns"}, {"value", n}});
      auto certKey = Key::generate(keyType_);
      auto o = client_.post(dir->newOrder, json::serialize(json::object{{"identifiers", ids}}), acct->key, acct->kid);
      if (!o) return o.error();
      auto url = o->header("location");
      if (url.empty()) return Error{ErrorKind::Provider, "acme: newOrder gave no Location", {}};
      row.pendingOrder = url;
      row.pendingNames = wanted;
      row.pendingKey = r.box->seal(certKey.pem());
      if (auto ok = save(row); !ok) return ok.error();
      order = std::move(*o);
    }
    auto pemKey = r.box->open(row.pendingKey);
    if (!pemKey) return Error{ErrorKind::Internal, "acme: the key of order " + row.pendingOrder + " cannot be opened", {}};
    auto certKey = Key::fromPem(*pemKey);
    if (!certKey) return certKey.error();

    const auto deadline = std::chrono::steady_clock::now() + pollTimeout_;
    bool finalized = false;
    for (;;) {
      auto status = str(order->object, "status");
      if (status == "valid") break;
      if (status == "invalid") {
        auto url = row.pendingOrder;
        row.pendingOrder.clear();
        row.pendingNames.clear();
        row.pendingKey.clear();
        if (auto ok = save(row); !ok) return ok.error();
        std::string why;
        if (auto* e = order->object.if_contains("error"); e && e->is_object()) why = ": " + str(e->get_object(), "detail");
        return Error{ErrorKind::Provider, "acme: order " + url + " became invalid" + why, {}};
      }
      if (status == "pending") {
        if (auto ok = authorize(r, spec, *acct, order->object); !ok) return ok.error();
      } else if (status == "ready" && !finalized) {
        auto csr = buildCsr(*certKey, idents);
        if (!csr) return csr.error();
        auto fin = client_.post(str(order->object, "finalize"), json::serialize(json::object{{"csr", base64url(*csr)}}),
                                acct->key, acct->kid);
        if (!fin) return fin.error();
        finalized = true;
      } else if (std::chrono::steady_clock::now() > deadline) {
        return Error{ErrorKind::Unavailable,
                     "acme: order " + row.pendingOrder + " is still " + status + " after " +
                         std::to_string(pollTimeout_.count()) + " ms (it is continued on the next try)",
                     {}};
      } else {
        std::this_thread::sleep_for(pollInterval_);
      }
      auto o = fetch(row.pendingOrder, *acct);
      if (!o) return o.error();
      order = std::move(*o);
    }
    auto certUrl = str(order->object, "certificate");
    if (certUrl.empty()) return Error{ErrorKind::Provider, "acme: the valid order gave no certificate URL", {}};
    auto cert = fetch(certUrl, *acct, "application/pem-certificate-chain");
    if (!cert) return cert.error();
    auto info = inspectChain(cert->body);
    if (!info) return Error{ErrorKind::Provider, "acme: " + certUrl + " is not a PEM certificate chain", {}};
    row.names = wanted;
    row.chain = cert->body;
    row.keySealed = row.pendingKey;
    row.orderUrl = row.pendingOrder;
    row.pendingOrder.clear();
    row.pendingNames.clear();
    row.pendingKey.clear();
    if (auto ok = save(row); !ok) return ok.error();
    spdlog::info("acme: {} issued (serial {}, {} names, until {})", r.resource.key, info->serial, info->names.size(),
                 clock::rfc3339(info->notAfter));
    return row;
  }

  /// Answers the order's pending DNS-01 challenges: publishes every TXT value (one set per
  /// name, a wildcard and its base sharing one), tells the CA, waits for each authorization,
  /// and removes the sets again whatever the outcome.
  Result<void> authorize(const ResolvedResource& r, const CertificateSpec& spec, const Account& acct,
                         const json::object& order) {
    std::map<std::string, std::vector<std::string>> sets;
    struct Pending {
      std::string authz;
      std::string challenge;
      std::string status;
    };
    std::vector<Pending> pending;
    auto* authzs = order.if_contains("authorizations");
    if (!authzs || !authzs->is_array()) return Error{ErrorKind::Provider, "acme: an order without authorizations", {}};
    for (auto& u : authzs->get_array()) {
      if (!u.is_string()) continue;
      std::string url(u.get_string());
      auto a = fetch(url, acct);
      if (!a) return a.error();
      auto status = str(a->object, "status");
      if (status == "valid") continue;
      std::string ident;
      if (auto* i = a->object.if_contains("identifier"); i && i->is_object()) ident = str(i->get_object(), "value");
      if (status != "pending") return Error{ErrorKind::Provider, "acme: the authorization of " + ident + " is " + status, {}};
      const json::object* dns01 = nullptr;
      if (auto* cs = a->object.if_contains("challenges"); cs && cs->is_array())
        for (auto& c : cs->get_array())
          if (c.is_object() && str(c.get_object(), "type") == "dns-01") dns01 = &c.get_object();
      if (!dns01) return Error{ErrorKind::Provider, "acme: the CA offers no dns-01 challenge for " + ident, {}};
      sets[dns01Name(ident)].push_back(dns01Value(str(*dns01, "token"), acct.key));
      pending.push_back({url, str(*dns01, "url"), str(*dns01, "status")});
    }
    if (pending.empty()) return {};
    std::vector<TxtRecordSet> published;
    auto cleanup = [&]() -> Result<void> {
      for (auto& s : published)
        if (auto ok = removeTxtRecordSet(*dns_, s); !ok) return ok.error();
      return {};
    };
    auto result = [&]() -> Result<void> {
      for (auto& [name, values] : sets) {
        std::sort(values.begin(), values.end());
        values.erase(std::unique(values.begin(), values.end()), values.end());
        auto set = challengeSet(r, spec, name, values);
        if (auto ok = setTxtRecordSet(*dns_, set); !ok) return ok.error();
        published.push_back(std::move(set));
      }
      for (auto& p : pending)
        if (p.status == "pending")
          if (auto ok = client_.post(p.challenge, "{}", acct.key, acct.kid); !ok) return ok.error();
      const auto deadline = std::chrono::steady_clock::now() + pollTimeout_;
      for (auto& p : pending) {
        for (;;) {
          auto a = fetch(p.authz, acct);
          if (!a) return a.error();
          auto status = str(a->object, "status");
          if (status == "valid") break;
          if (status != "pending") {
            std::string why;
            if (auto* cs = a->object.if_contains("challenges"); cs && cs->is_array())
              for (auto& c : cs->get_array())
                if (c.is_object())
                  if (auto* e = c.get_object().if_contains("error"); e && e->is_object())
                    why = ": " + str(e->get_object(), "detail");
            return Error{ErrorKind::Provider, "acme: the DNS-01 challenge failed (" + status + ")" + why, {}};
          }
          if (std::chrono::steady_clock::now() > deadline)
            return Error{ErrorKind::Unavailable, "acme: the authorization " + p.authz + " is still pending", {}};
          std::this_thread::sleep_for(pollInterval_);
        }
      }
      return {};
    }();
    auto cleaned = cleanup();
    if (!result) return result;
    return cleaned;
  }

  Result<void> revoke(const ResolvedResource& r, const store::AcmeCertificate& c, int reason) {
    auto info = inspectChain(c.chain);
    if (!info) return Error{ErrorKind::Provider, "acme: the stored chain of " + c.identityKey + " is unreadable", {}};
    if (!r.box) return Error{ErrorKind::Internal, "acme needs the secret box", {}};
    auto acct = account(*r.box);
    if (!acct) return acct.error();
    auto dir = client_.directory();
    if (!dir) return dir.error();
    auto resp = client_.post(dir->revokeCert,
                             json::serialize(json::object{{"certificate", base64url(info->leafDer)}, {"reason", reason}}),
                             acct->key, acct->kid, "application/json", {400});
    if (!resp) return resp.error();
    if (resp->status == 400) {
      if (str(resp->object, "type") == "urn:ietf:params:acme:error:alreadyRevoked") return {};
      return problemError("revoking " + c.identityKey, *resp);
    }
    spdlog::info("acme: {} revoked (serial {})", c.identityKey, info->serial);
    return {};
  }

  /// The resource as held: its names as attributes; chain, key and dates as outputs; due when
  /// less than a third of the lifetime is left.
  Result<Observed> observed(const store::AcmeCertificate& c) const {
    auto info = inspectChain(c.chain);
    if (!info) return Error{ErrorKind::Provider, "acme: the stored chain of " + c.identityKey + " is unreadable", {}};
    CertificateSpec spec;
    spec.names = namesFromJson(c.names);
    Observed o;
    o.attributes = {{"names", json::value_from(spec.names)}};
    json::array sans;
    for (auto& n : info->names) sans.emplace_back(n);
    o.outputs = {{"chain", c.chain},
                 {"key", c.keySealed},
                 {"notBefore", clock::rfc3339(info->notBefore)},
                 {"notAfter", clock::rfc3339(info->notAfter)},
                 {"serial", info->serial},
                 {"sans", std::move(sans)}};
    if (renewalDue(*info, clock::now())) o.due = "renewal due (expires " + clock::rfc3339(info->notAfter) + ")";
    return o;
  }

  std::string target_;
  std::string stateUrl_;
  KeyType keyType_ = KeyType::Es256;
  std::string contact_;
  bool wildcard_ = false;
  int challengeTtl_ = 60;
  std::chrono::milliseconds pollInterval_{1000};
  std::chrono::milliseconds pollTimeout_{120000};
  AcmeClient client_;
  ResourceProvider* dns_ = nullptr;
  std::mutex dbMu_;
  std::unique_ptr<store::Connection> conn_;
  std::mutex accountMu_;
  std::optional<Account> account_;
};

}  // namespace

Result<CertificateSpec> parseCertificate(const json::object& attributes) {
  CertificateSpec spec;
  auto zone = stringAttribute(attributes, "zone");
  if (!zone) return zone.error();
  spec.zone = lower(*zone);
  while (!spec.zone.empty() && spec.zone.back() == '.') spec.zone.pop_back();
  if (spec.zone.empty()) return Error::invalid("attributes.zone", "must be a domain");
  auto* names = attributes.if_contains("names");
  if (!names || !names->is_array() || names->get_array().empty())
    return Error::invalid("attributes.names", "must be a non-empty array of host names");
  for (std::size_t i = 0; i < names->get_array().size(); ++i) {
    auto& n = names->get_array()[i];
    const std::string field = "attributes.names[" + std::to_string(i) + "]";
    if (!n.is_string()) return Error::invalid(field, "must be a host name");
    auto name = lower(std::string(n.get_string()));
    while (!name.empty() && name.back() == '.') name.pop_back();
    if (name.empty() || name.size() > 253) return Error::invalid(field, "must be a host name");
    for (char c : name)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '*'))
        return Error::invalid(field, "\"" + name + "\" is not a host name");
    if (name != spec.zone && !name.ends_with("." + spec.zone))
      return Error::invalid(field, "\"" + name + "\" is not in the zone " + spec.zone);
    spec.names.push_back(std::move(name));
  }
  std::sort(spec.names.begin(), spec.names.end());
  spec.names.erase(std::unique(spec.names.begin(), spec.names.end()), spec.names.end());
  if (spec.names.size() > 100) return Error::invalid("attributes.names", "at most 100 names per certificate");
  return spec;
}

json::object certificateAttributes(const CertificateSpec& spec) {
  json::array names;
  for (auto& n : spec.names) names.emplace_back(n);
  return {{"zone", spec.zone}, {"names", std::move(names)}};
}

std::unique_ptr<CertificateProvider> makeCertificateProvider(const ProviderConfig& config) {
  return std::make_unique<AcmeCertificateProvider>(config);
}

}  // namespace fedihost::providers::acme
