#pragma once
// Backup schedules and retention, as pure functions of times (docs/backup-and-migration.md):
// when a schedule is next due, and which of a deployment's scheduled backups a
// grandfather-father-son policy keeps. Times are seconds since the Unix epoch, UTC.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hh"

namespace fedihost::bundle {

using Seconds = std::int64_t;

/// How often a schedule backs up: every N hours (1–168, aligned to multiples of N hours
/// since 1970-01-01T00:00Z, so every 6 hours is 00:00, 06:00, 12:00 and 18:00 UTC), or daily
/// at a minute of the UTC day. Exactly one of the two is set.
struct Cadence {
  int everyHours = 0;
  int dailyAtMinute = -1;  ///< minutes after 00:00 UTC, or -1

  bool operator==(const Cadence&) const = default;
};

inline constexpr int kMaxEveryHours = 168;

/// "HH:MM" (00:00–23:59) to minutes after midnight; Invalid naming `field` otherwise.
Result<int> parseDailyAt(std::string_view text, const std::string& field);
/// Minutes after midnight as "HH:MM".
std::string formatDailyAt(int minute);

/// The first time the cadence is due strictly after `after`.
Seconds nextDue(const Cadence& c, Seconds after);

/// The cadence in words: "every 6 hours", "every hour", "daily at 03:30 UTC".
std::string describe(const Cadence& c);

/// How many of the newest hourly, daily, weekly (ISO 8601 weeks, Monday first) and monthly
/// backups to keep, all in UTC. The sum is at least 1.
struct RetentionPolicy {
  int hourly = 0, daily = 0, weekly = 0, monthly = 0;

  bool operator==(const RetentionPolicy&) const = default;
};

inline constexpr int kMaxKeep = 1000;

/// A complete backup that retention may keep or remove.
struct RetentionCandidate {
  std::string id;
  Seconds at = 0;  ///< when it was made
};

struct RetentionDecision {
  std::vector<std::string> keep;    ///< newest first
  std::vector<std::string> remove;  ///< newest first
};

/// For each kind of period with a count n: the newest backup of each of the n newest periods
/// (hours, days, ISO weeks, months) that have one is kept; a backup kept by any kind is kept.
/// The newest backup is always kept. Candidates may come in any order; equal times are ordered
/// by id. Every candidate is in exactly one of the two lists.
RetentionDecision selectRetention(std::vector<RetentionCandidate> candidates, const RetentionPolicy& policy);

/// The ISO 8601 week of a time: year * 100 + week (e.g. 202653 for 2026-W53).
int isoWeek(Seconds t);

}  // namespace fedihost::bundle
