#include "orchestrator/backup_scheduler.hh"

#include <spdlog/spdlog.h>

#include "core/clock.hh"
#include "orchestrator/orchestrator.hh"

namespace fedihost::orchestrator {
namespace {

std::chrono::system_clock::time_point at(bundle::Seconds s) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(s));
}

bundle::Seconds seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

bundle::Cadence cadenceOf(const store::BackupSchedule& s) {
  if (s.everyHours > 0) return {s.everyHours, -1};
  auto minute = bundle::parseDailyAt(s.dailyAt, "dailyAt");
  if (!minute)
    throw store::DatabaseError("the backup schedule of deployment " + s.deployment + " is corrupt: " +
                               minute.error().message);
  return {0, *minute};
}

std::string nextDueAfterNow(const bundle::Cadence& c) {
  return clock::rfc3339(at(bundle::nextDue(c, seconds(clock::now()))));
}

BackupScheduler::BackupScheduler(Orchestrator& orchestrator, BackupSchedulerConfig config)
    : orch_(orchestrator), config_(std::move(config)), thread_("starting scheduled backups", config_.interval, [this] {
        auto conn = store::connect(config_.stateUrl);
        store::StateStore state(*conn);
        started_ += runDue(state);
      }) {}

int BackupScheduler::runDue(store::StateStore& state) {
  store::BackupStore jobs(state.connection());
  int started = 0;
  for (auto& s : jobs.dueSchedules(clock::nowRfc3339(), 100)) {
    const auto next = nextDueAfterNow(cadenceOf(s));
    // Conditional on the due time read: of several instances, one claims it.
    if (!jobs.claimSchedule(s.deployment, s.nextDueAt, next)) continue;
    auto d = state.getDeployment(s.deployment);
    if (!d || d->status == DeploymentStatus::Deleted) {
      jobs.recordScheduleResult(s.deployment, "skipped", "the deployment is deleted: nothing to back up", "");
      continue;
    }
    auto b = orch_.backups().backup(state, *d, true);
    if (!b) {
      // Busy (a run, a refresh or a backup in progress): due again, tried at the next round.
      jobs.unclaimSchedule(s.deployment, next, s.nextDueAt);
      jobs.recordScheduleResult(s.deployment, "skipped", b.error().message + " (tried again at the next round)", "");
      spdlog::info("scheduled backup of {} skipped: {}", d->name, b.error().message);
      continue;
    }
    jobs.recordScheduleResult(s.deployment, "started", "", b->id);
    spdlog::info("scheduled backup {} of {} started; next due {}", b->id, d->name, next);
    ++started;
  }
  return started;
}

}  // namespace fedihost::orchestrator
