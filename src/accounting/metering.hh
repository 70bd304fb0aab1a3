#pragma once
// Metering: the quantities of a resource that usage and statements count, from
// its kind and desired attributes (pure; no I/O). The executor records them in
// each lifecycle event; usage.hh integrates them over time.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain.hh"
#include "core/result.hh"

namespace fedihost::accounting {

/// Quantities of one resource at one moment, by quantity key ("vcpu", "ram_mib", ...).
using Quantities = std::map<std::string, std::int64_t>;

/// A metered unit: what a price plan prices and a statement bills.
struct Unit {
  std::string_view key;          ///< the unit's name in price plans and usage ("vcpu", "ram_gib", ...)
  std::string_view quantity;     ///< the quantity key it integrates ("ram_mib" for "ram_gib")
  std::int64_t divisor;          ///< quantity units per unit (1024 MiB per GiB; else 1)
  std::string_view description;  ///< for a person: "vCPU", "RAM (GiB)", ...
  std::string_view hours;        ///< what its integral is called: "vCPU-hours", ...
};

/// Every metered unit, in statement order.
const std::vector<Unit>& units();
/// The unit named `key`, or nullptr.
const Unit* findUnit(std::string_view key);

/// The metered quantities of a resource (empty when nothing of it is metered):
/// machine: machine 1, vcpu, ram_mib, disk_gib; bucket: bucket 1; database, mail account and
/// IP address: 1 each; an A record set: certificate 1 (each published host name gets an ACME
/// certificate on the machine). Access keys, other record sets and NixOS configurations: none.
Quantities quantitiesOf(const Resource& r);
/// The quantities of a bucket's storage sample: stored_kib, the bytes in KiB rounded up
/// (1 byte is 1 KiB; 0 bytes is 0). Integrated over time into stored GiB-hours (docs/billing.md).
Quantities storedQuantities(std::int64_t bytes);
/// The same as a compact JSON object ("{}" when empty), as stored in resource events.
std::string quantitiesJson(const Resource& r);
/// Parses a stored quantities object; Invalid for anything but an object of non-negative integers.
Result<Quantities> parseQuantities(std::string_view text);

/// A machine's size as shown in usage by size: "2 vCPU, 4 GiB RAM, 40 GiB disk" ("" for no machine).
std::string machineSize(const Quantities& q);

}  // namespace fedihost::accounting
