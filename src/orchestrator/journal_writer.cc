#include "orchestrator/journal_writer.hh"

#include <spdlog/spdlog.h>

#include <optional>

#include "core/metrics.hh"

namespace fedihost::orchestrator {
namespace {
/// fedihost_journal_{commits,changes}_total on /metrics: their ratio is the average group.
metrics::CounterFamily& commitsMetric() {
  static auto& c = metrics::registry().counter("fedihost_journal_commits_total",
                                               "Transactions of the executor's journal writer (groups committed)");
  return c;
}
metrics::CounterFamily& changesMetric() {
  static auto& c = metrics::registry().counter("fedihost_journal_changes_total",
                                               "Step journal entries committed by the executor's journal writer");
  return c;
}
}  // namespace

struct JournalWriter::Pending {
  Change change;
  bool done = false;
  std::exception_ptr error;
};

JournalWriter::JournalWriter(std::string stateUrl, std::size_t maxGroup)
    : stateUrl_(std::move(stateUrl)), maxGroup_(std::max<std::size_t>(maxGroup, 1)) {
  thread_ = std::thread([this] { loop(); });
}

JournalWriter::~JournalWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void JournalWriter::commit(Change change) {
  auto p = std::make_shared<Pending>();
  p->change = std::move(change);
  std::unique_lock lock(mu_);
  if (openFailed_) std::rethrow_exception(openFailed_);
  if (stopping_) throw store::DatabaseError("the journal writer has stopped");
  queue_.push_back(p);
  cv_.notify_one();
  done_.wait(lock, [&] { return p->done; });
  if (p->error) std::rethrow_exception(p->error);
}

std::size_t JournalWriter::groups() const {
  std::lock_guard lock(mu_);
  return groups_;
}

std::size_t JournalWriter::changes() const {
  std::lock_guard lock(mu_);
  return changes_;
}

std::size_t JournalWriter::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void JournalWriter::loop() {
  std::unique_ptr<store::Connection> conn;
  std::optional<store::StateStore> state;
  try {
    conn = store::connect(stateUrl_);
    state.emplace(*conn);
  } catch (...) {
    std::lock_guard lock(mu_);
    openFailed_ = std::current_exception();
  }
  for (;;) {
    std::deque<std::shared_ptr<Pending>> group;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to commit
      while (!queue_.empty() && group.size() < maxGroup_) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (openFailed_) {
      for (auto& p : group) p->error = openFailed_;
    } else {
      commitGroup(*conn, *state, group);
    }
    {
      std::lock_guard lock(mu_);
      for (auto& p : group) p->done = true;
      if (!openFailed_) {
        ++groups_;
        changes_ += group.size();
        commitsMetric().inc({});
        changesMetric().inc({}, group.size());
      }
    }
    done_.notify_all();
  }
}

void JournalWriter::commitGroup(store::Connection& c, store::StateStore& state,
                                std::deque<std::shared_ptr<Pending>>& group) {
  // Optimistically all in one transaction; if any change throws (rare: the database failed, or a
  // constraint), the group is rolled back and each change is committed again on its own, so the
  // one that fails is the only one refused.
  auto one = [&](std::deque<std::shared_ptr<Pending>>::iterator from, std::size_t n) {
    store::Transaction tx(c, true);
    for (auto it = from; it != from + static_cast<std::ptrdiff_t>(n); ++it) (*it)->change(state);
    tx.commit();
  };
  try {
    one(group.begin(), group.size());
    return;
  } catch (...) {
    if (group.size() == 1) {
      group.front()->error = std::current_exception();
      return;
    }
  }
  for (auto it = group.begin(); it != group.end(); ++it) {
    try {
      one(it, 1);
    } catch (...) {
      (*it)->error = std::current_exception();
    }
  }
}

}  // namespace fedihost::orchestrator
