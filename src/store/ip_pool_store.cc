#include "store/ip_pool_store.hh"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <utility>

#include "core/clock.hh"
#include "core/ids.hh"

namespace fedihost::store {
namespace {

// Addresses as 128-bit integers (IPv4 in the low 32 bits); offsets within a pool likewise.
using U128 = unsigned __int128;

constexpr int kMinLength4 = 8;
constexpr int kMaxLength4 = 30;
constexpr int kMinLength6 = 32;
constexpr int kMaxLength6 = 127;
// Offsets are stored as BIGINT: a pool hands out at most its first 2^63 addresses.
constexpr U128 kMaxOrdinal = static_cast<U128>(std::numeric_limits<std::int64_t>::max());

std::string familyName(int family) { return family == 4 ? "IPv4" : "IPv6"; }
int addressFamily(int family) { return family == 4 ? AF_INET : AF_INET6; }
int widthOf(int family) { return family == 4 ? 4 : 16; }

std::optional<U128> parseAddress(int family, const std::string& text) {
  std::array<unsigned char, 16> b{};
  if (text.empty() || inet_pton(addressFamily(family), text.c_str(), b.data()) != 1) return std::nullopt;
  U128 v = 0;
  for (int i = 0; i < widthOf(family); ++i) v = (v << 8) | b[static_cast<std::size_t>(i)];
  return v;
}

std::string formatAddress(int family, U128 v) {
  std::array<unsigned char, 16> b{};
  for (int i = widthOf(family) - 1; i >= 0; --i) {
    b[static_cast<std::size_t>(i)] = static_cast<unsigned char>(v & 0xff);
    v >>= 8;
  }
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(addressFamily(family), b.data(), buf, sizeof buf);
  return buf;
}

/// A prefix: network address and length.
struct Cidr {
  int family = 4;
  U128 network = 0;
  int length = 0;

  int hostBits() const { return (family == 4 ? 32 : 128) - length; }
  U128 size() const { return U128{1} << hostBits(); }  // at most 2^96 within the length bounds
  U128 last() const { return network + size() - 1; }
  bool contains(U128 a) const { return a >= network && a <= last(); }
  bool overlaps(const Cidr& o) const { return family == o.family && (contains(o.network) || o.contains(network)); }
  std::string text() const { return formatAddress(family, network) + "/" + std::to_string(length); }
};

/// Parses "address/length"; the family follows from the address.
Result<Cidr> parseCidr(const std::string& text, const std::string& field) {
  auto slash = text.find('/');
  if (slash == std::string::npos)
    return Error::invalid(field, "\"" + text + "\" is not a prefix in CIDR notation (address/length, e.g. 192.0.2.0/24)");
  Cidr c;
  std::string addr = text.substr(0, slash);
  c.family = addr.find(':') != std::string::npos ? 6 : 4;
  auto network = parseAddress(c.family, addr);
  if (!network) return Error::invalid(field, "\"" + addr + "\" is not an " + familyName(c.family) + " address");
  std::string_view len = std::string_view(text).substr(slash + 1);
  auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), c.length);
  if (len.empty() || len.size() > 3 || ec != std::errc{} || end != len.data() + len.size())
    return Error::invalid(field, "\"" + text + "\" has no valid prefix length after the slash");
  int lo = c.family == 4 ? kMinLength4 : kMinLength6;
  int hi = c.family == 4 ? kMaxLength4 : kMaxLength6;
  if (c.length < lo || c.length > hi)
    return Error::invalid(field, "the prefix length of \"" + text + "\" must be between " + std::to_string(lo) +
                                     " and " + std::to_string(hi) + " for " + familyName(c.family));
  U128 hostMask = (U128{1} << c.hostBits()) - 1;
  if (*network & hostMask) {
    c.network = *network & ~hostMask;
    return Error::invalid(field, "\"" + text + "\" has host bits set; the network is " + c.text());
  }
  c.network = *network;
  return c;
}

/// A stored (validated) pool's prefix.
Cidr cidrOf(const IpPool& p) {
  auto c = parseCidr(p.prefix, "prefix");
  if (!c) throw DatabaseError("ip_pools " + p.id + " holds an invalid prefix \"" + p.prefix + "\"");
  return *c;
}

/// Checks a pool name: 1–63 of [a-z0-9-], not starting or ending with '-'.
std::optional<Error> checkName(const std::string& name, const std::string& field) {
  bool ok = !name.empty() && name.size() <= 63 && name.front() != '-' && name.back() != '-';
  for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (ok) return std::nullopt;
  return Error::invalid(field, "\"" + name +
                                   "\" is not a valid pool name: use 1 to 63 lower-case letters, digits and hyphens, "
                                   "not starting or ending with a hyphen");
}

/// Checks a target's name as a target configuration may give it: 1–255 characters, no control characters.
std::optional<Error> checkTarget(const std::string& target) {
  bool ok = !target.empty() && target.size() <= 255;
  for (unsigned char c : target) ok = ok && c >= 0x20 && c != 0x7f;
  if (ok) return std::nullopt;
  return Error::invalid("target", "\"" + target + "\" is not a valid target name");
}

constexpr const char* kPoolColumns =
    "id, target, name, family, prefix, gateway, created_at, "
    "(SELECT count(*) FROM ip_allocations a WHERE a.pool_id = ip_pools.id)";

IpPool poolFrom(Connection& c, const Row& r) {
  IpPool p;
  p.id = r.text(0);
  p.target = r.text(1);
  p.name = r.text(2);
  p.family = static_cast<int>(r.integer(3));
  p.prefix = r.text(4);
  // A corrupt row is an error, never a default family or a prefix length of 0.
  if (p.family != 4 && p.family != 6)
    throw DatabaseError("IP pool " + p.id + " has an unknown family " + std::to_string(p.family));
  auto slash = p.prefix.find('/');
  int length = -1;
  if (slash != std::string::npos) {
    const char* end = p.prefix.data() + p.prefix.size();
    auto [at, ec] = std::from_chars(p.prefix.data() + slash + 1, end, length);
    if (ec != std::errc() || at != end) length = -1;
  }
  if (length < 0 || length > (p.family == 4 ? 32 : 128))
    throw DatabaseError("IP pool " + p.id + " has a corrupt prefix \"" + p.prefix + "\"");
  p.prefixLength = length;
  p.gateway = r.text(5);
  p.createdAt = r.text(6);
  p.allocated = r.integer(7);
  for (auto& range : c.query(
           "SELECT first_address, last_address FROM ip_pool_reserved WHERE pool_id = ?1 ORDER BY rowid", {p.id}))
    p.reserved.push_back({range.text(0), range.text(1)});
  return p;
}

constexpr const char* kAllocationColumns = "pool_id, address, identity_key, deployment_id, allocated_at, ordinal";

IpAllocation allocationFrom(const Row& r) { return {r.text(0), r.text(1), r.text(2), r.text(3), r.text(4)}; }

/// The lowest free offset of a pool, or nullopt when it is full. Runs inside the
/// allocating write transaction. Steps over the pool's allocations in order and
/// jumps over blocked ranges (network, gateway, reserved, IPv4 broadcast), so the
/// cost is bounded by the number of allocations, whatever the size of the prefix.
std::optional<U128> firstFree(Connection& c, const IpPool& pool) {
  Cidr cidr = cidrOf(pool);
  U128 limit = cidr.size() - 1;
  std::vector<std::pair<U128, U128>> blocked{{0, 0}};  // the network address
  if (pool.family == 4) blocked.emplace_back(limit, limit);  // the broadcast address
  auto offsetOf = [&](const std::string& text) -> std::optional<U128> {
    auto a = parseAddress(pool.family, text);
    if (!a || !cidr.contains(*a)) return std::nullopt;
    return *a - cidr.network;
  };
  if (auto g = offsetOf(pool.gateway)) blocked.emplace_back(*g, *g);
  for (auto& r : pool.reserved) {
    auto first = offsetOf(r.first);
    auto last = offsetOf(r.last);
    if (first && last && *first <= *last) blocked.emplace_back(*first, *last);
  }
  std::sort(blocked.begin(), blocked.end());
  // Merge overlapping and adjacent ranges, so that one jump leaves a blocked stretch.
  std::vector<std::pair<U128, U128>> merged;
  for (auto& b : blocked) {
    if (!merged.empty() && b.first <= merged.back().second + 1)
      merged.back().second = std::max(merged.back().second, b.second);
    else
      merged.push_back(b);
  }
  limit = std::min(limit, kMaxOrdinal);

  U128 candidate = 0;
  std::size_t next = 0;
  auto skipBlocked = [&] {
    while (next < merged.size() && merged[next].second < candidate) ++next;
    if (next < merged.size() && merged[next].first <= candidate) candidate = merged[next++].second + 1;
  };
  skipBlocked();
  auto st = c.prepare("SELECT ordinal FROM ip_allocations WHERE pool_id = ?1 ORDER BY ordinal");
  st->bind(1, pool.id);
  while (candidate <= limit && st->step()) {
    auto taken = static_cast<U128>(st->row().integer(0));
    if (taken < candidate) continue;
    if (taken > candidate) break;
    ++candidate;
    skipBlocked();
  }
  if (candidate > limit) return std::nullopt;
  return candidate;
}

std::string describe(const IpPool& p) { return "pool " + p.name + " (" + p.prefix + ") of target " + p.target; }

}  // namespace

// ---- Pools ----

Result<IpPool> IpPoolStore::createPool(const IpPoolSpec& spec) {
  if (auto e = checkTarget(spec.target)) return *e;
  if (auto e = checkName(spec.name, "name")) return *e;
  if (spec.family != 0 && spec.family != 4 && spec.family != 6)
    return Error::invalid("family", "must be ipv4 or ipv6");
  auto cidr = parseCidr(spec.prefix, "prefix");
  if (!cidr) return cidr.error();
  if (spec.family != 0 && spec.family != cidr->family)
    return Error::invalid("family", "the prefix " + spec.prefix + " is " + familyName(cidr->family) + ", not " +
                                        familyName(spec.family));
  const std::string inPrefix = " of the prefix " + cidr->text();
  IpPool p;
  p.id = ids::newId("ipp");
  p.target = spec.target;
  p.name = spec.name;
  p.family = cidr->family;
  p.prefix = cidr->text();
  p.prefixLength = cidr->length;
  p.createdAt = clock::nowRfc3339();

  if (!spec.gateway.empty()) {
    auto g = parseAddress(p.family, spec.gateway);
    if (!g) return Error::invalid("gateway", "\"" + spec.gateway + "\" is not an " + familyName(p.family) + " address");
    if (!cidr->contains(*g)) return Error::invalid("gateway", spec.gateway + " is outside the prefix " + p.prefix);
    if (*g == cidr->network)
      return Error::invalid("gateway", spec.gateway + " is the network address" + inPrefix);
    if (p.family == 4 && *g == cidr->last())
      return Error::invalid("gateway", spec.gateway + " is the broadcast address" + inPrefix);
    p.gateway = formatAddress(p.family, *g);
  }
  for (std::size_t i = 0; i < spec.reserved.size(); ++i) {
    const auto& r = spec.reserved[i];
    const std::string at = "reserved[" + std::to_string(i) + "]";
    std::array<U128, 2> bounds{};
    for (int j = 0; j < 2; ++j) {
      const std::string& text = j == 0 ? r.first : r.last;
      const std::string field = at + (j == 0 ? ".first" : ".last");
      auto a = parseAddress(p.family, text);
      if (!a) return Error::invalid(field, "\"" + text + "\" is not an " + familyName(p.family) + " address");
      if (!cidr->contains(*a)) return Error::invalid(field, text + " is outside the prefix " + p.prefix);
      bounds[static_cast<std::size_t>(j)] = *a;
    }
    if (bounds[0] > bounds[1]) return Error::invalid(at, "the range starts at " + r.first + ", after its end " + r.last);
    p.reserved.push_back({formatAddress(p.family, bounds[0]), formatAddress(p.family, bounds[1])});
  }

  Transaction tx(c_, true);
  const auto nameTaken = Error::conflict("target " + p.target + " already has a pool named \"" + p.name + "\"", "name");
  if (c_.queryOne("SELECT 1 FROM ip_pools WHERE target = ?1 AND name = ?2", {p.target, p.name})) return nameTaken;
  // Two pools of one target must not overlap: each would hand out the shared addresses.
  for (auto& other : listPools(p.target))
    if (cidrOf(other).overlaps(*cidr))
      return Error::conflict(p.prefix + " overlaps " + describe(other), "prefix");
  try {
    c_.execute(
        "INSERT INTO ip_pools (id, target, name, family, prefix, gateway, created_at, seq) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, (SELECT coalesce(max(seq), 0) + 1 FROM ip_pools))",
        {p.id, p.target, p.name, std::int64_t{p.family}, p.prefix, p.gateway, p.createdAt});
  } catch (const ConstraintError&) {
    return nameTaken;
  }
  for (auto& r : p.reserved)
    c_.execute("INSERT INTO ip_pool_reserved (pool_id, first_address, last_address) VALUES (?1, ?2, ?3)",
               {p.id, r.first, r.last});
  tx.commit();
  return p;
}

std::vector<IpPool> IpPoolStore::listPools(const std::string& target) {
  std::vector<IpPool> out;
  for (auto& r : c_.query(std::string("SELECT ") + kPoolColumns +
                              " FROM ip_pools WHERE target = ?1 ORDER BY seq",
                          {target}))
    out.push_back(poolFrom(c_, r));
  return out;
}

Result<IpPool> IpPoolStore::getPool(const std::string& id) {
  auto r = c_.queryOne(std::string("SELECT ") + kPoolColumns + " FROM ip_pools WHERE id = ?1", {id});
  if (!r) return Error::notFound("no IP pool " + id);
  return poolFrom(c_, *r);
}

Result<void> IpPoolStore::deletePool(const std::string& id) {
  Transaction tx(c_, true);
  auto pool = getPool(id);
  if (!pool) return pool.error();
  if (pool->allocated > 0)
    return Error::conflict(describe(*pool) + " still has " + std::to_string(pool->allocated) +
                           " allocated address" + (pool->allocated == 1 ? "" : "es") +
                           "; delete the deployments that use them first");
  c_.execute("DELETE FROM ip_pool_reserved WHERE pool_id = ?1", {id});
  c_.execute("DELETE FROM ip_pools WHERE id = ?1", {id});
  tx.commit();
  return {};
}

// ---- Allocations ----

Result<IpAssignment> IpPoolStore::allocate(const IpRequest& req) {
  if (req.family != 4 && req.family != 6) return Error::invalid("family", "must be ipv4 or ipv6");
  if (req.identityKey.empty()) return Error::invalid("identityKey", "an allocation needs an identity key");
  const std::string family = familyName(req.family);

  Transaction tx(c_, true);
  if (auto held = assignment(req.identityKey)) {
    const auto& p = held->pool;
    bool fits = p.target == req.target && p.family == req.family && (req.pool.empty() || p.name == req.pool);
    if (fits) {
      tx.commit();
      return held;
    }
    if (!req.move)
      return Error::conflict(req.identityKey + " already holds " + held->allocation.address + " from " + describe(p),
                             "identityKey");
    c_.execute("DELETE FROM ip_allocations WHERE identity_key = ?1", {req.identityKey});
  }

  std::vector<IpPool> candidates;
  for (auto& p : listPools(req.target)) {
    if (!req.pool.empty() && p.name != req.pool) continue;
    if (p.family == req.family)
      candidates.push_back(std::move(p));
    else if (!req.pool.empty())
      return Error::invalid("family", describe(p) + " is " + familyName(p.family) + ", not " + family);
  }
  if (candidates.empty()) {
    if (!req.pool.empty()) return Error::invalid("pool", "target " + req.target + " has no IP pool named \"" + req.pool + "\"");
    return Error::invalid("family", "target " + req.target + " has no " + family + " pool; create one with POST /api/v1/targets/" +
                                        req.target + "/ip-pools");
  }

  for (auto& pool : candidates) {
    auto offset = firstFree(c_, pool);
    if (!offset) continue;
    Cidr cidr = cidrOf(pool);
    IpAllocation a{pool.id, formatAddress(pool.family, cidr.network + *offset), req.identityKey, req.deployment,
                   clock::nowRfc3339()};
    c_.execute(
        "INSERT INTO ip_allocations (pool_id, address, ordinal, identity_key, deployment_id, allocated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        {a.pool, a.address, static_cast<std::int64_t>(*offset), a.identityKey, a.deployment, a.allocatedAt});
    tx.commit();
    ++pool.allocated;
    return IpAssignment{std::move(a), std::move(pool)};
  }
  std::string which;
  for (auto& p : candidates)
    which += (which.empty() ? "" : ", ") + p.name + " (" + p.prefix + ", " + std::to_string(p.allocated) + " allocated)";
  return Error::conflict("the " + family + " address pool" + (candidates.size() == 1 ? " is" : "s are") +
                             " exhausted: every usable address of target " + req.target + " is allocated (" + which +
                             ")",
                         req.pool.empty() ? "family" : "pool");
}

Result<IpAssignment> IpPoolStore::assignment(const std::string& identityKey) {
  auto r = c_.queryOne(std::string("SELECT ") + kAllocationColumns + " FROM ip_allocations WHERE identity_key = ?1",
                       {identityKey});
  if (!r) return Error::notFound(identityKey + " holds no IP address");
  auto a = allocationFrom(*r);
  auto pool = getPool(a.pool);
  if (!pool) return pool.error();
  return IpAssignment{std::move(a), std::move(*pool)};
}

bool IpPoolStore::release(const std::string& identityKey) {
  return c_.execute("DELETE FROM ip_allocations WHERE identity_key = ?1", {identityKey}) > 0;
}

bool IpPoolStore::isCursor(const std::string& cursor) {
  std::int64_t n = -1;
  auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), n);
  return ec == std::errc{} && end == cursor.data() + cursor.size() && n >= 0;
}

Page<IpAllocation> IpPoolStore::allocations(const std::string& pool, int limit, const std::string& cursor) {
  // The cursor is the ordinal of the last item of the previous page (the API refuses unreadable
  // ones: isCursor); an empty one starts from the beginning.
  limit = std::max(limit, 1);
  std::int64_t after = -1;
  auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), after);
  if (ec != std::errc{} || end != cursor.data() + cursor.size()) after = -1;
  auto rows = c_.query(std::string("SELECT ") + kAllocationColumns +
                           " FROM ip_allocations WHERE pool_id = ?1 AND ordinal > ?2 ORDER BY ordinal LIMIT ?3",
                       {pool, after, std::int64_t{limit} + 1});
  Page<IpAllocation> page;
  for (auto& r : rows) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next = std::to_string(rows[page.items.size() - 1].integer(5));
      break;
    }
    page.items.push_back(allocationFrom(r));
  }
  return page;
}

std::vector<IpAllocation> IpPoolStore::allocations(const std::string& pool) {
  std::vector<IpAllocation> out;
  for (auto& r : c_.query(std::string("SELECT ") + kAllocationColumns +
                              " FROM ip_allocations WHERE pool_id = ?1 ORDER BY ordinal",
                          {pool}))
    out.push_back(allocationFrom(r));
  return out;
}

std::vector<IpAllocation> IpPoolStore::allocationsFor(const std::string& deployment) {
  std::vector<IpAllocation> out;
  for (auto& r : c_.query(std::string("SELECT ") + kAllocationColumns +
                              " FROM ip_allocations WHERE deployment_id = ?1 ORDER BY identity_key",
                          {deployment}))
    out.push_back(allocationFrom(r));
  return out;
}

}  // namespace fedihost::store
