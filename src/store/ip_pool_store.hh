#pragma once
// IP address pools of targets, in the state database, and the allocations the
// "pool" ip-address provider makes from them. An allocation is keyed by the
// resource's identity key: allocating again for the same key gives the same
// address. Every allocation runs in one write transaction (SQLite: BEGIN
// IMMEDIATE), so connections in several threads or processes never hand out
// one address twice. Expected outcomes (invalid input, not found, exhausted)
// are Result errors; database failures throw DatabaseError.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hh"
#include "store/sql.hh"
#include "store/state_store.hh"

namespace fedihost::store {

/// An inclusive range of addresses of a pool that is never allocated.
struct IpRange {
  std::string first;
  std::string last;
};

/// A prefix of one target that addresses are allocated from.
struct IpPool {
  std::string id;  ///< "ipp_…"
  std::string target;
  std::string name;  ///< unique per target
  int family = 4;    ///< 4 or 6
  std::string prefix;  ///< canonical CIDR with host bits zero, e.g. "192.0.2.0/24"
  int prefixLength = 0;
  std::string gateway;  ///< "" when the pool has none
  std::vector<IpRange> reserved;
  std::int64_t allocated = 0;  ///< addresses allocated now
  std::string createdAt;
};

/// What createPool needs; `family` 0 means "from the prefix".
struct IpPoolSpec {
  std::string target;
  std::string name;
  std::string prefix;
  std::string gateway;  ///< optional
  std::vector<IpRange> reserved;
  int family = 0;
};

/// One allocated address.
struct IpAllocation {
  std::string pool;  ///< pool id
  std::string address;
  std::string identityKey;
  std::string deployment;
  std::string allocatedAt;
};

/// An allocation with the pool it comes from (for prefix length and gateway).
struct IpAssignment {
  IpAllocation allocation;
  IpPool pool;
};

/// What allocate needs.
struct IpRequest {
  std::string target;
  int family = 4;  ///< 4 or 6
  std::string identityKey;
  std::string deployment;
  std::string pool;   ///< a pool name; "" = any pool of the family, oldest first
  bool move = false;  ///< an existing allocation from a pool that does not fit is moved (else Conflict)
};

class IpPoolStore {
 public:
  /// Uses `c` (not owned), which must be migrated (DatabaseKind::State). Methods that
  /// write open their own write transaction: call them outside a transaction.
  explicit IpPoolStore(Connection& c) : c_(c) {}

  /// Creates a pool. Invalid (naming the field: "target" (empty), "name" (1–63 of [a-z0-9-]), "family", "prefix",
  /// "gateway", "reserved[i].first"/"last") for a bad value: a prefix that does not parse,
  /// has host bits set or a length outside IPv4 /8–/30, IPv6 /32–/127; a gateway or
  /// reserved range outside the prefix. Conflict on a taken name ("name") or a prefix
  /// overlapping another pool of the target ("prefix").
  Result<IpPool> createPool(const IpPoolSpec& spec);
  /// The pools of a target, in the order they were created.
  std::vector<IpPool> listPools(const std::string& target);
  /// A pool by id; NotFound for an unknown one.
  Result<IpPool> getPool(const std::string& id);
  /// Deletes a pool and its reserved ranges; NotFound if absent, Conflict while addresses are allocated.
  Result<void> deletePool(const std::string& id);

  /// The address for `req.identityKey`: the one it holds already if its pool fits the
  /// request (target, family and, if named, pool), else the lowest free address of the
  /// first pool with room, skipping the network address, the IPv4 broadcast address, the
  /// gateway and reserved ranges. The search steps over allocations and reserved ranges,
  /// never over the address space, so IPv6 pools cost what IPv4 pools do.
  /// Invalid ("family", "pool") when the target has no such pool; Conflict when every
  /// fitting pool is exhausted, or when the key holds an address of a pool that does not
  /// fit and `req.move` is false.
  Result<IpAssignment> allocate(const IpRequest& req);
  /// The allocation of an identity key; NotFound if it holds none.
  Result<IpAssignment> assignment(const std::string& identityKey);
  /// Releases the address of an identity key; false if it held none.
  bool release(const std::string& identityKey);

  /// A pool's allocations in address order, `limit` at most, after `cursor` (the `next` of
  /// the previous page; "" from the start).
  Page<IpAllocation> allocations(const std::string& pool, int limit, const std::string& cursor);
  /// Whether `cursor` is one `allocations` could have given (an ordinal, 0 or more).
  static bool isCursor(const std::string& cursor);
  /// Every allocation of a pool, in address order.
  std::vector<IpAllocation> allocations(const std::string& pool);
  /// Every allocation of a deployment, whatever the pool, by identity key.
  std::vector<IpAllocation> allocationsFor(const std::string& deployment);

 private:
  Connection& c_;
};

}  // namespace fedihost::store
