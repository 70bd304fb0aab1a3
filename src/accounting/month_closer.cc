#include "accounting/month_closer.hh"

#include <spdlog/spdlog.h>

#include "accounting/billing.hh"
#include "store/billing_store.hh"
#include "store/sql.hh"
#include "store/state_store.hh"

namespace fedihost::accounting {

MonthCloser::MonthCloser(MonthCloserConfig config) : config_(std::move(config)) {}

MonthCloser::~MonthCloser() { stop(); }

void MonthCloser::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void MonthCloser::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int MonthCloser::closeNow() {
  auto stateConn = store::connect(config_.stateUrl);
  auto accountingConn = store::connect(config_.accountingUrl);
  store::StateStore state(*stateConn);
  store::BillingStore billing(*accountingConn);
  int stored = 0;
  std::string cursor;
  do {
    store::Page<Organisation> page;
    {
      store::Transaction snapshot(*stateConn, false);
      page = state.listOrganisations(std::nullopt, 200, cursor);
      snapshot.commit();
    }
    for (auto& org : page.items) {
      if (!billing.planOf(org.id)) continue;  // no plan: no statement to close
      auto created = parseTime(org.createdAt);
      if (!created)
        throw store::DatabaseError("organisation " + org.id + " has a corrupt creation time: " + org.createdAt);
      stored += closeMonths(billing, org.id, *created);
    }
    cursor = page.next;
  } while (!cursor.empty());
  return stored;
}

void MonthCloser::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    try {
      if (int n = closeNow(); n > 0) {
        closed_ += n;
        spdlog::info("closed {} month(s) of statements", n);
      }
    } catch (const std::exception& e) {
      ++failures_;
      spdlog::error("closing months failed (tried again in {} s): {}", config_.interval.count(), e.what());
    }
    lock.lock();
    cv_.wait_for(lock, config_.interval, [this] { return stopping_; });
  }
}

}  // namespace fedihost::accounting
