#pragma once
// `fedihost keys rotate`: every sealed secret re-sealed under a new master key,
// crash-safely. The new key is written first (DATA/secret.key.next: whole or not at
// all); every value is re-sealed one by one (a database row in its own transaction,
// a file replaced whole), values already under the new key are skipped; once none is
// left under another key, the new key is renamed over the old one. A kill at any
// point leaves every value readable (a box loads secret.key and secret.key.next),
// and a rerun finishes the rotation.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "orchestrator/orchestrator.hh"

namespace fedihost::orchestrator {

struct RotationReport {
  std::string oldKeyId;
  std::string newKeyId;
  bool resumed = false;      ///< a previous rotation's next key was found and used
  int resealed = 0;          ///< values re-sealed by this run
  int alreadyNew = 0;        ///< values a previous, interrupted run had re-sealed
  std::vector<std::string> places;  ///< where sealed values were found ("state.db secrets", a file)
};

/// Called after each value is re-sealed (its running count) and once before the new
/// key becomes current (count -1): tests kill the process there.
using RotationHook = std::function<void(int)>;

/// Rotates the master key of `dir` (whose lock the caller holds). The key must be a file
/// that can be replaced (not a systemd credential).
Result<RotationReport> rotateMasterKey(const DataDir& dir, const RotationHook& hook = {});

/// Every sealed value of `dir` (the state database, target files, file-target records)
/// with the id of the key it is sealed under ("" for old "sb1:" values): for checks and tests.
struct SealedValue {
  std::string place;
  std::string sealed;
};
std::vector<SealedValue> findSealedValues(const DataDir& dir);

}  // namespace fedihost::orchestrator
