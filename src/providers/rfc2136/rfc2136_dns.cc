// The "rfc2136" DNS provider (see rfc2136.hh).
#include "providers/rfc2136/rfc2136.hh"

#include <fcntl.h>
#include <ldns/ldns.h>
#include <netdb.h>
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <optional>
#include <vector>

#include "core/fd.hh"
#include "net/ldns_util.hh"
#include "providers/attributes.hh"
#include "providers/file/zone_file.hh"
#include "providers/powerdns/powerdns.hh"

namespace fedihost::providers::rfc2136 {

using powerdns::RecordSetSpec;

namespace {

constexpr std::string_view kOwnerLabel = "_fedihost-owner-";
constexpr std::uint16_t kFudge = 300;  // seconds of clock skew a signature tolerates (RFC 8945 recommends 300)

using Clock = std::chrono::steady_clock;

using Pkt = net::LdnsPkt;
using Rr = net::LdnsRr;
using RrList = net::LdnsRrList;
using Rdf = net::LdnsRdf;
using net::CFree;
using net::rcodeName;
using net::rdfText;
using net::txtText;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

const char* tsigErrorName(unsigned e) {
  switch (e) {
    case 16: return "BADSIG";
    case 17: return "BADKEY";
    case 18: return "BADTIME";
    case 22: return "BADTRUNC";
    default: return "a TSIG error";
  }
}

Result<Rdf> dname(const std::string& name, std::string_view field) {
  Rdf d(ldns_dname_new_frm_str(name.c_str()));
  if (!d) return Error::invalid(std::string(field), "\"" + name + "\" is not a domain name");
  return d;
}

Error internal(std::string msg) { return Error{ErrorKind::Internal, "rfc2136: " + std::move(msg), {}}; }

/// Where a set lives.
struct Location {
  std::string zone;  ///< without the final dot
  std::string name;  ///< absolute, with the final dot
  std::string type;
  bool operator==(const Location&) const = default;
};

/// The set a TXT owner record stands beside: "_fedihost-owner-a.www.x." -> (www.x., A).
std::optional<std::pair<std::string, std::string>> ownedSet(std::string_view ownerRecordName) {
  auto n = lower(ownerRecordName);
  if (!n.starts_with(kOwnerLabel)) return std::nullopt;
  auto dot = n.find('.');
  if (dot == std::string::npos || dot == kOwnerLabel.size() || dot + 1 >= n.size()) return std::nullopt;
  std::string type = n.substr(kOwnerLabel.size(), dot - kOwnerLabel.size());
  for (auto& c : type)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return std::make_pair(n.substr(dot + 1), type);
}

/// A record's data in the attributes' canonical form.
std::string recordText(const ldns_rr* rr, const std::string& type) {
  if (type == "TXT") return txtText(rr);
  std::string text;
  for (std::size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    if (i) text += ' ';
    text += rdfText(ldns_rr_rdf(rr, i));
  }
  auto c = powerdns::canonicalRecord(type, text, "records");
  return c ? *c : text;
}

// ------------------------------------------------------------ TCP transport

/// One TCP connection to the server; every step bounded by the deadline.
class Connection {
 public:
  static Result<Connection> open(const std::string& host, int port, Clock::time_point deadline) {
    const std::string where = host + " port " + std::to_string(port);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
    if (rc != 0) return Error{ErrorKind::Unavailable, "cannot resolve DNS server " + host + ": " + gai_strerror(rc), {}};
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, ::freeaddrinfo);
    Connection c(::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), where);
    if (c.fd_->get() < 0) return c.failure("cannot open a socket");
    if (::connect(c.fd_->get(), found->ai_addr, found->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) return c.failure("cannot connect");
      if (auto ok = c.wait(POLLOUT, deadline, "connecting"); !ok) return ok.error();
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(c.fd_->get(), SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        errno = err;
        return c.failure("cannot connect");
      }
    }
    return c;
  }

  /// Sends one DNS message (with its two-byte length).
  Result<void> send(const std::vector<std::uint8_t>& msg, Clock::time_point deadline) {
    std::vector<std::uint8_t> buf{static_cast<std::uint8_t>(msg.size() >> 8), static_cast<std::uint8_t>(msg.size())};
    buf.insert(buf.end(), msg.begin(), msg.end());
    std::size_t done = 0;
    while (done < buf.size()) {
      auto n = ::send(fd_->get(), buf.data() + done, buf.size() - done, MSG_NOSIGNAL);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return failure("cannot send");
      if (auto ok = wait(POLLOUT, deadline, "sending"); !ok) return ok;
    }
    return {};
  }

  /// Receives one DNS message.
  Result<std::vector<std::uint8_t>> receive(Clock::time_point deadline) {
    std::vector<std::uint8_t> len(2);
    if (auto ok = readExactly(len, deadline); !ok) return ok.error();
    std::vector<std::uint8_t> msg((static_cast<std::size_t>(len[0]) << 8) | len[1]);
    if (auto ok = readExactly(msg, deadline); !ok) return ok.error();
    return msg;
  }

 private:
  Connection(int fd, std::string where) : fd_(std::make_unique<Fd>(fd)), where_(std::move(where)) {}

  Error failure(const std::string& what) const {
    return Error{ErrorKind::Unavailable, what + " to DNS server " + where_ + ": " + std::strerror(errno), {}};
  }

  Result<void> wait(short events, Clock::time_point deadline, const char* doing) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return Error{ErrorKind::Unavailable, "DNS server " + where_ + " timed out while " + doing, {}};
      pollfd p{fd_->get(), events, 0};
      int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 60000)));
      if (rc > 0) return {};
      if (rc < 0 && errno != EINTR) return failure("cannot wait");
    }
  }

  Result<void> readExactly(std::vector<std::uint8_t>& buf, Clock::time_point deadline) {
    std::size_t done = 0;
    while (done < buf.size()) {
      auto n = ::recv(fd_->get(), buf.data() + done, buf.size() - done, 0);
      if (n > 0) {
        done += static_cast<std::size_t>(n);
        continue;
      }
      if (n == 0) return Error{ErrorKind::Unavailable, "DNS server " + where_ + " closed the connection", {}};
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return failure("cannot receive");
      if (auto ok = wait(POLLIN, deadline, "answering"); !ok) return ok;
    }
    return {};
  }

  std::unique_ptr<Fd> fd_;
  std::string where_;
};

// ------------------------------------------------------------ the provider

/// A query's answer: the rcode and the records of the asked name and type.
struct Answer {
  int rcode = 0;
  std::uint32_t ttl = 0;
  std::vector<std::string> records;  ///< canonical, sorted
};

class Rfc2136Provider final : public DnsProvider {
 public:
  explicit Rfc2136Provider(const ProviderConfig& config) {
    Settings s(config.settings);
    server_ = s.string("server");
    auto port = s.integer("port", 53);
    if (port < 1 || port > 65535) throw AbortError(Error::invalid("settings.port", "must be a port number"));
    port_ = static_cast<int>(port);
    keyName_ = lower(s.string("tsigName"));
    if (keyName_.back() != '.') keyName_ += '.';
    if (!Rdf(ldns_dname_new_frm_str(keyName_.c_str())))
      throw AbortError(Error::invalid("settings.tsigName", "must be a key name in the form of a domain name"));
    algorithm_ = lower(s.string("tsigAlgorithm", "hmac-sha256"));
    if (algorithm_.back() == '.') algorithm_.pop_back();
    if (algorithm_ != "hmac-sha256" && algorithm_ != "hmac-sha512")
      throw AbortError(Error::invalid("settings.tsigAlgorithm", "must be hmac-sha256 or hmac-sha512"));
    algorithm_ += '.';
    secret_ = s.string("tsigSecret");
    std::vector<unsigned char> bin(secret_.size());
    std::size_t binLen = 0;
    if (sodium_base642bin(bin.data(), bin.size(), secret_.data(), secret_.size(), " \n", &binLen, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        binLen == 0)
      throw AbortError(Error::invalid("settings.tsigSecret", "must be the key's secret in base64"));
    for (auto& z : s.strings("zones")) {
      auto n = file::normaliseZone(z, "settings.zones");
      if (!n) throw AbortError(n.error());
      zones_.push_back(*n);
    }
    timeout_ = s.timeout();
    if (timeout_.count() <= 0) throw AbortError(Error::invalid("settings.timeoutMs", "must be positive"));
  }

  std::string implementation() const override { return "rfc2136"; }
  Capabilities capabilities() const override { return {true, !zones_.empty()}; }

  /// Writes the set and its owner record in one UPDATE whose prerequisites are
  /// that neither exists; a set the key owns already at the attributes' place is
  /// returned as it is (create looks nowhere else: that would be a transfer of
  /// every zone for each new set; update() finds a moved set).
  Result<Observed> create(const ResolvedResource& r) override {
    auto spec = parse(r.resource);
    if (!spec) return spec.error();
    const auto& key = r.resource.key;
    const Location at{spec->zone, spec->name, spec->type};
    auto owners = ownersAt(at);
    if (!owners) return owners.error();
    const bool ours = std::find(owners->begin(), owners->end(), key) != owners->end();
    if (ours) {
      auto o = readAt(at);
      if (!o) return o.error();
      if (*o) return std::move(**o);
    } else if (auto ok = checkFree(at, *owners); !ok) {
      return ok.error();
    }
    Updates u;
    if (ours) {  // an owner record without records (left by hand): write under it
      if (auto ok = u.ownedBy(at, key); !ok) return ok.error();
      if (auto ok = u.remove(ownerName(at.name, at.type), "TXT"); !ok) return ok.error();
    } else {
      if (auto ok = u.absent(ownerName(at.name, at.type), "TXT"); !ok) return ok.error();
      if (auto ok = u.absent(at.name, at.type); !ok) return ok.error();
    }
    if (auto ok = u.add(*spec); !ok) return ok.error();
    if (auto ok = u.addOwner(*spec, key); !ok) return ok.error();
    if (auto ok = send(at.zone, u); !ok) return ok.error();
    return Observed{powerdns::recordSetAttributes(*spec), {}};
  }

  /// The set the key owns at its attributes' place (or, with settings "zones",
  /// anywhere in them), as the server answers it; NotFound if none.
  Result<Observed> read(const ResolvedResource& r) override {
    auto spec = parse(r.resource);
    if (!spec) return spec.error();
    auto at = locate(r.resource.key, *spec);
    if (!at) return at.error();
    if (*at) {
      auto o = readAt(**at);
      if (!o) return o.error();
      if (*o) return std::move(**o);
    }
    return notFound(r.resource.key, *spec);
  }

  /// Replaces the set in one UPDATE (delete the set, add the records), on the
  /// prerequisite that the owner record still holds the key; moves the set when
  /// its name or type changed and it can be found (settings "zones").
  Result<Observed> update(const ResolvedResource& r) override {
    auto spec = parse(r.resource);
    if (!spec) return spec.error();
    const auto& key = r.resource.key;
    const Location at{spec->zone, spec->name, spec->type};
    auto found = locate(key, *spec);
    if (!found) return found.error();
    if (!*found) return notFound(key, *spec);
    const Location old = **found;
    if (old == at) {
      auto current = readAt(at);
      if (!current) return current.error();
      if (*current && (*current)->attributes == powerdns::recordSetAttributes(*spec)) return std::move(**current);
      Updates u;
      if (auto ok = u.ownedBy(at, key); !ok) return ok.error();
      if (auto ok = u.remove(at.name, at.type); !ok) return ok.error();
      if (auto ok = u.add(*spec); !ok) return ok.error();
      if (auto ok = u.remove(ownerName(at.name, at.type), "TXT"); !ok) return ok.error();
      if (auto ok = u.addOwner(*spec, key); !ok) return ok.error();
      if (auto ok = send(at.zone, u); !ok) return ok.error();
      return Observed{powerdns::recordSetAttributes(*spec), {}};
    }
    auto owners = ownersAt(at);
    if (!owners) return owners.error();
    if (auto ok = checkFree(at, *owners); !ok) return ok.error();
    Updates drop;
    if (auto ok = dropSet(drop, old, key); !ok) return ok.error();
    Updates put;
    if (auto ok = put.absent(ownerName(at.name, at.type), "TXT"); !ok) return ok.error();
    if (auto ok = put.absent(at.name, at.type); !ok) return ok.error();
    if (auto ok = put.add(*spec); !ok) return ok.error();
    if (auto ok = put.addOwner(*spec, key); !ok) return ok.error();
    if (old.zone == at.zone) {
      drop.append(put);  // one message: the move is atomic
      if (auto ok = send(at.zone, drop); !ok) return ok.error();
    } else {
      // Out of the old zone first: a crash in between leaves the set absent (to be created), never twice.
      if (auto ok = send(old.zone, drop); !ok) return ok.error();
      if (auto ok = send(at.zone, put); !ok) return ok.error();
    }
    return Observed{powerdns::recordSetAttributes(*spec), {}};
  }

  /// Deletes the set and its owner record if the key owns them; absent is success.
  Result<void> remove(const ResolvedResource& r) override {
    auto spec = parse(r.resource);
    if (!spec) return spec.error();
    auto at = locate(r.resource.key, *spec);
    if (!at) return at.error();
    if (!*at) return {};
    Updates u;
    if (auto ok = dropSet(u, **at, r.resource.key); !ok) return ok.error();
    auto sent = send((*at)->zone, u);
    // NXRRSET: the owner record went meanwhile, so the set is not ours to delete any more.
    if (!sent && sent.error().kind == ErrorKind::Conflict) return {};
    return sent;
  }

  /// The keys held by owner records of the deployment, over all settings "zones" (by AXFR).
  Result<std::vector<std::string>> list(std::string_view deployment) override {
    if (zones_.empty())
      return Error::invalid("settings.zones",
                            "listing record sets over RFC 2136 needs the zones to transfer (AXFR); none are configured");
    const std::string prefix = std::string(deployment) + "/";
    std::vector<std::string> keys;
    for (auto& zone : zones_) {
      auto ok = transfer(zone, [&](const ldns_rr* rr) {
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT || !ownedSet(rdfText(ldns_rr_owner(rr)))) return;
        auto text = txtText(rr);
        if (text.starts_with(prefix)) keys.push_back(std::move(text));
      });
      if (!ok) return ok.error();
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
  }

 private:
  /// The prerequisite and update sections of one UPDATE message.
  class Updates {
   public:
    Updates() : pre_(ldns_rr_list_new()), up_(ldns_rr_list_new()) {}

    /// Prerequisite: no set of this name and type (RFC 2136 2.4.3).
    Result<void> absent(const std::string& name, const std::string& type) {
      return push(pre_, empty(name, type, LDNS_RR_CLASS_NONE));
    }
    /// Prerequisite: the owner record holds exactly the key (RFC 2136 2.4.2).
    Result<void> ownedBy(const Location& at, const std::string& key) {
      return push(pre_, record(ownerName(at.name, at.type), 0, "TXT", file::quoteTxt(key), "key"));
    }
    /// Update: delete the set of this name and type (RFC 2136 2.5.2).
    Result<void> remove(const std::string& name, const std::string& type) {
      return push(up_, empty(name, type, LDNS_RR_CLASS_ANY));
    }
    /// Update: add the spec's records.
    Result<void> add(const RecordSetSpec& spec) {
      for (std::size_t i = 0; i < spec.records.size(); ++i) {
        auto data = spec.type == "TXT" ? file::quoteTxt(spec.records[i]) : spec.records[i];
        if (auto ok = push(up_, record(spec.name, spec.ttl, spec.type, data, "attributes.records[" + std::to_string(i) + "]"));
            !ok)
          return ok;
      }
      return {};
    }
    /// Update: add the owner record.
    Result<void> addOwner(const RecordSetSpec& spec, const std::string& key) {
      return push(up_, record(ownerName(spec.name, spec.type), spec.ttl, "TXT", file::quoteTxt(key), "key"));
    }
    void append(const Updates& other) {
      for (std::size_t i = 0; i < ldns_rr_list_rr_count(other.pre_.get()); ++i)
        ldns_rr_list_push_rr(pre_.get(), ldns_rr_clone(ldns_rr_list_rr(other.pre_.get(), i)));
      for (std::size_t i = 0; i < ldns_rr_list_rr_count(other.up_.get()); ++i)
        ldns_rr_list_push_rr(up_.get(), ldns_rr_clone(ldns_rr_list_rr(other.up_.get(), i)));
    }
    ldns_rr_list* prerequisites() const { return pre_.get(); }
    ldns_rr_list* updates() const { return up_.get(); }

   private:
    static Result<Rr> empty(const std::string& name, const std::string& type, ldns_rr_class cls) {
      auto owner = dname(name, "attributes.name");
      if (!owner) return owner.error();
      Rr rr(ldns_rr_new());
      if (!rr) return internal("out of memory");
      ldns_rr_set_owner(rr.get(), owner->release());
      ldns_rr_set_type(rr.get(), ldns_get_rr_type_by_name(type.c_str()));
      ldns_rr_set_class(rr.get(), cls);
      ldns_rr_set_ttl(rr.get(), 0);
      return rr;
    }
    static Result<Rr> record(const std::string& name, std::uint32_t ttl, const std::string& type, const std::string& data,
                             const std::string& field) {
      const std::string line = name + " " + std::to_string(ttl) + " IN " + type + " " + data;
      ldns_rr* raw = nullptr;
      auto status = ldns_rr_new_frm_str(&raw, line.c_str(), 0, nullptr, nullptr);
      Rr rr(raw);
      if (status != LDNS_STATUS_OK || !rr)
        return Error::invalid(field, "\"" + data + "\" is not valid " + type + " data: " + ldns_get_errorstr_by_id(status));
      return rr;
    }
    static Result<void> push(const RrList& list, Result<Rr> rr) {
      if (!rr) return rr.error();
      ldns_rr_list_push_rr(list.get(), rr->release());
      return {};
    }

    RrList pre_;
    RrList up_;
  };

  static Result<RecordSetSpec> parse(const Resource& r) {
    if (r.kind != ResourceKind::DnsRecordSet)
      return Error{ErrorKind::Internal, "a " + std::string(toString(r.kind)) + " resource was given to the DNS provider", {}};
    if (r.key.empty()) return Error::invalid("key", "a resource needs an identity key");
    return powerdns::parseRecordSet(r.attributes);
  }

  static Error notFound(const std::string& key, const RecordSetSpec& spec) {
    return Error::notFound("dns-record-set " + key + " not found: no owner record " + ownerName(spec.name, spec.type) +
                           " holds its key");
  }

  std::string where() const { return server_ + " port " + std::to_string(port_); }

  /// Refuses a place held by another key, or a set there that no key owns.
  Result<void> checkFree(const Location& at, const std::vector<std::string>& owners) const {
    if (!owners.empty())
      return Error::conflict("the record set " + at.name + " " + at.type + " is held by " + owners.front(),
                             "attributes.name");
    auto set = query(at.name, at.type);
    if (!set) return set.error();
    if (!set->records.empty())
      return Error::conflict("the record set " + at.name + " " + at.type + " exists in zone " + at.zone +
                                 " and is not managed by fedihost; it is left alone",
                             "attributes.name");
    return {};
  }

  /// Prerequisite: the key owns the set; updates: delete the set and its owner record.
  static Result<void> dropSet(Updates& u, const Location& at, const std::string& key) {
    if (auto ok = u.ownedBy(at, key); !ok) return ok;
    if (auto ok = u.remove(at.name, at.type); !ok) return ok;
    return u.remove(ownerName(at.name, at.type), "TXT");
  }

  /// The keys in the owner record of a place (none: empty).
  Result<std::vector<std::string>> ownersAt(const Location& at) const {
    auto a = query(ownerName(at.name, at.type), "TXT");
    if (!a) return a.error();
    return std::move(a->records);
  }

  /// Where the key's set is: at the spec's place if its owner record holds the
  /// key, else (with settings "zones") wherever a transfer finds it.
  Result<std::optional<Location>> locate(const std::string& key, const RecordSetSpec& spec) const {
    const Location at{spec.zone, spec.name, spec.type};
    auto owners = ownersAt(at);
    if (!owners) return owners.error();
    if (std::find(owners->begin(), owners->end(), key) != owners->end()) return std::optional<Location>(at);
    return findElsewhere(key, at);
  }

  /// The key's set in the configured zones other than at `skip`; nullopt if none (or no zones).
  Result<std::optional<Location>> findElsewhere(const std::string& key, const Location& skip) const {
    std::optional<Location> found;
    for (auto& zone : zones_) {
      auto ok = transfer(zone, [&](const ldns_rr* rr) {
        if (found || ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT || txtText(rr) != key) return;
        auto set = ownedSet(rdfText(ldns_rr_owner(rr)));
        if (!set) return;
        Location at{zone, set->first, set->second};
        if (!(at == skip)) found = at;
      });
      if (!ok) return ok.error();
      if (found) break;
    }
    return found;
  }

  /// The set at a place as the server answers it; nullopt if it has no records.
  Result<std::optional<Observed>> readAt(const Location& at) const {
    auto a = query(at.name, at.type);
    if (!a) return a.error();
    if (a->records.empty()) return std::optional<Observed>();
    RecordSetSpec spec{at.zone, at.name, at.type, a->ttl, a->records};
    return std::optional<Observed>(Observed{powerdns::recordSetAttributes(spec), {}});
  }

  // ---------------------------------------------------------- messages

  /// Signs a message and returns its wire form; `mac` gets the request's MAC (owned by the packet).
  Result<std::vector<std::uint8_t>> sign(ldns_pkt* pkt, const ldns_rdf** mac) const {
    auto status = ldns_pkt_tsig_sign(pkt, keyName_.c_str(), secret_.c_str(), kFudge, algorithm_.c_str(), nullptr);
    if (status != LDNS_STATUS_OK) return internal(std::string("cannot sign with TSIG: ") + ldns_get_errorstr_by_id(status));
    *mac = ldns_rr_rdf(ldns_pkt_tsig(pkt), 3);
    std::uint8_t* wire = nullptr;
    std::size_t size = 0;
    status = ldns_pkt2wire(&wire, pkt, &size);
    std::unique_ptr<std::uint8_t, CFree> owned(wire);
    if (status != LDNS_STATUS_OK) return internal(std::string("cannot encode a message: ") + ldns_get_errorstr_by_id(status));
    return std::vector<std::uint8_t>(wire, wire + size);
  }

  /// Parses an answer and checks its id and TSIG: an unsigned answer to a signed
  /// request means the server did not accept the key (RFC 8945 5.3.2).
  Result<Pkt> check(const std::vector<std::uint8_t>& wire, std::uint16_t id, const ldns_rdf* mac, bool timersOnly) const {
    ldns_pkt* raw = nullptr;
    auto status = ldns_wire2pkt(&raw, wire.data(), wire.size());
    Pkt answer(raw);
    if (status != LDNS_STATUS_OK || !answer)
      return Error{ErrorKind::Provider, "DNS server " + where() + " sent a malformed answer", {}};
    if (ldns_pkt_id(answer.get()) != id)
      return Error{ErrorKind::Provider, "DNS server " + where() + " answered another message", {}};
    const int rcode = ldns_pkt_get_rcode(answer.get());
    const ldns_rr* tsig = ldns_pkt_tsig(answer.get());
    if (!tsig)
      return Error{ErrorKind::Unauthorized,
                   std::string("DNS server ") + where() + " answered " + rcodeName(rcode) +
                       " without a signature: it did not accept the TSIG key " + keyName_ +
                       " (check settings.tsigName, tsigSecret and tsigAlgorithm)",
                   {}};
    if (ldns_rr_rd_count(tsig) > 5)
      if (auto e = ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5)); e != 0)
        return Error{ErrorKind::Unauthorized,
                     std::string("DNS server ") + where() + " refused the TSIG signature of key " + keyName_ + ": " +
                         tsigErrorName(e) + " (check settings.tsigSecret and the clocks)",
                     {}};
    if (!ldns_pkt_tsig_verify_next(answer.get(), wire.data(), wire.size(), keyName_.c_str(), secret_.c_str(), mac,
                                   timersOnly ? 1 : 0))
      return Error{ErrorKind::Unauthorized,
                   "the answer of DNS server " + where() + " does not verify with the TSIG key " + keyName_ +
                       " (check settings.tsigSecret)",
                   {}};
    return answer;
  }

  /// Sends one signed message and returns the checked answer.
  Result<Pkt> exchange(ldns_pkt* pkt) const {
    const ldns_rdf* mac = nullptr;
    auto wire = sign(pkt, &mac);
    if (!wire) return wire.error();
    const auto deadline = Clock::now() + timeout_;
    auto conn = Connection::open(server_, port_, deadline);
    if (!conn) return conn.error();
    if (auto ok = conn->send(*wire, deadline); !ok) return ok.error();
    auto reply = conn->receive(deadline);
    if (!reply) return reply.error();
    return check(*reply, ldns_pkt_id(pkt), mac, false);
  }

  /// The records of one name and type (a signed query).
  Result<Answer> query(const std::string& name, const std::string& type) const {
    auto qname = dname(name, "attributes.name");
    if (!qname) return qname.error();
    const auto rrType = ldns_get_rr_type_by_name(type.c_str());
    Pkt q(ldns_pkt_query_new(qname->release(), rrType, LDNS_RR_CLASS_IN, 0));
    if (!q) return internal("cannot make a query");
    ldns_pkt_set_random_id(q.get());
    auto answer = exchange(q.get());
    if (!answer) return answer.error();
    Answer a;
    a.rcode = ldns_pkt_get_rcode(answer->get());
    if (a.rcode == LDNS_RCODE_SERVFAIL)
      return Error{ErrorKind::Unavailable, "DNS server " + where() + " answered SERVFAIL for " + name + " " + type, {}};
    if (a.rcode != LDNS_RCODE_NOERROR && a.rcode != LDNS_RCODE_NXDOMAIN)
      return Error{ErrorKind::Provider,
                   std::string("DNS server ") + where() + " answered " + rcodeName(a.rcode) + " for " + name + " " + type +
                       (a.rcode == LDNS_RCODE_REFUSED ? " (is it authoritative for that zone?)" : ""),
                   {}};
    const ldns_rr_list* rrs = ldns_pkt_answer(answer->get());
    bool first = true;
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(rrs); ++i) {
      const ldns_rr* rr = ldns_rr_list_rr(rrs, i);
      if (ldns_rr_get_type(rr) != rrType || lower(rdfText(ldns_rr_owner(rr))) != name) continue;
      if (first || ldns_rr_ttl(rr) < a.ttl) a.ttl = ldns_rr_ttl(rr);
      first = false;
      a.records.push_back(recordText(rr, type));
    }
    std::sort(a.records.begin(), a.records.end());
    return a;
  }

  /// Sends one UPDATE message for a zone and maps its rcode.
  Result<void> send(const std::string& zone, const Updates& u) const {
    auto z = dname(zone + ".", "attributes.zone");
    if (!z) return z.error();
    Pkt p(ldns_update_pkt_new(z->release(), LDNS_RR_CLASS_IN, u.prerequisites(), u.updates(), nullptr));
    if (!p) return internal("cannot make an UPDATE message");
    ldns_pkt_set_rd(p.get(), false);
    ldns_pkt_set_random_id(p.get());
    auto answer = exchange(p.get());
    if (!answer) return answer.error();
    const int rcode = ldns_pkt_get_rcode(answer->get());
    const std::string said = std::string("DNS server ") + where() + " answered " + rcodeName(rcode) + " to the update of zone " + zone;
    switch (rcode) {
      case LDNS_RCODE_NOERROR: return {};
      case LDNS_RCODE_YXDOMAIN:
      case LDNS_RCODE_YXRRSET:
      case LDNS_RCODE_NXDOMAIN:
      case LDNS_RCODE_NXRRSET:
        return Error::conflict(said + ": the record set changed while it was being written (a prerequisite failed); try again");
      case LDNS_RCODE_SERVFAIL: return Error{ErrorKind::Unavailable, said, {}};
      case LDNS_RCODE_REFUSED:
        return Error{ErrorKind::Provider, said + " (does it serve the zone and allow updates signed with key " + keyName_ + "?)", {}};
      case LDNS_RCODE_NOTAUTH: return Error{ErrorKind::Provider, said + " (it is not authoritative for the zone)", {}};
      default: return Error{ErrorKind::Provider, said, {}};
    }
  }

  /// Reads a whole zone by AXFR, every message's signature checked; `each` sees every record.
  Result<void> transfer(const std::string& zone, const std::function<void(const ldns_rr*)>& each) const {
    auto z = dname(zone + ".", "settings.zones");
    if (!z) return z.error();
    Pkt q(ldns_pkt_query_new(z->release(), LDNS_RR_TYPE_AXFR, LDNS_RR_CLASS_IN, 0));
    if (!q) return internal("cannot make a query");
    ldns_pkt_set_random_id(q.get());
    const ldns_rdf* requestMac = nullptr;
    auto wire = sign(q.get(), &requestMac);
    if (!wire) return wire.error();
    const auto deadline = Clock::now() + timeout_;
    auto conn = Connection::open(server_, port_, deadline);
    if (!conn) return conn.error();
    if (auto ok = conn->send(*wire, deadline); !ok) return ok.error();
    Rdf previousMac;
    int soas = 0;
    for (bool first = true; soas < 2; first = false) {
      auto reply = conn->receive(deadline);
      if (!reply) return reply.error();
      auto answer = check(*reply, ldns_pkt_id(q.get()), first ? requestMac : previousMac.get(), !first);
      if (!answer) return answer.error();
      const int rcode = ldns_pkt_get_rcode(answer->get());
      if (rcode != LDNS_RCODE_NOERROR)
        return Error{rcode == LDNS_RCODE_SERVFAIL ? ErrorKind::Unavailable : ErrorKind::Provider,
                     std::string("DNS server ") + where() + " answered " + rcodeName(rcode) + " to the transfer of zone " +
                         zone + " (does it allow AXFR with key " + keyName_ + "?)",
                     {}};
      previousMac.reset(ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(answer->get()), 3)));
      const ldns_rr_list* rrs = ldns_pkt_answer(answer->get());
      if (ldns_rr_list_rr_count(rrs) == 0)
        return Error{ErrorKind::Provider, "DNS server " + where() + " sent an empty message in the transfer of " + zone, {}};
      for (std::size_t i = 0; i < ldns_rr_list_rr_count(rrs) && soas < 2; ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(rrs, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
          ++soas;
          continue;
        }
        each(rr);
      }
    }
    return {};
  }

  std::string server_;
  int port_ = 53;
  std::string keyName_;    ///< with the final dot
  std::string algorithm_;  ///< "hmac-sha256."
  std::string secret_;     ///< base64
  std::vector<std::string> zones_;
  std::chrono::milliseconds timeout_{10000};
};

}  // namespace

std::string ownerName(std::string_view name, std::string_view type) {
  return std::string(kOwnerLabel) + lower(type) + "." + lower(name);
}

std::unique_ptr<DnsProvider> makeDnsProvider(const ProviderConfig& config) {
  return std::make_unique<Rfc2136Provider>(config);
}

}  // namespace fedihost::providers::rfc2136
