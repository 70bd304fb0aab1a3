#include "store/outbox.hh"

#include <spdlog/spdlog.h>

#include "core/clock.hh"
#include "core/result.hh"
#include "store/audit_chain.hh"

namespace fedihost::store {
namespace json = boost::json;

void enqueueAudit(Connection& state, const AuditEntry& e, bool ready) {
  state.execute(
      "INSERT INTO outbox (event_id, kind, body, ready, created_at) VALUES (?1, 'audit', ?2, ?3, ?4) "
      "ON CONFLICT DO NOTHING",
      {e.eventId, json::serialize(toJson(e)), std::int64_t{ready ? 1 : 0}, clock::nowRfc3339()});
}

void completeAudit(Connection& state, const AuditEntry& e) {
  auto n = state.execute("UPDATE outbox SET body = ?2, ready = 1 WHERE event_id = ?1 AND ready = 0",
                         {e.eventId, json::serialize(toJson(e))});
  if (n == 0) enqueueAudit(state, e, true);
}

void enqueueResourceEvent(Connection& state, const ResourceEvent& e) {
  state.execute(
      "INSERT INTO outbox (event_id, kind, body, ready, created_at) VALUES (?1, 'resource', ?2, 1, ?3) "
      "ON CONFLICT DO NOTHING",
      {e.eventId, json::serialize(toJson(e)), clock::nowRfc3339()});
}

std::int64_t outboxBacklog(Connection& state) {
  return state.queryOne("SELECT count(*) FROM outbox")->integer(0);
}

int recoverUnanswered(Connection& state) {
  Transaction tx(state, true);
  int n = 0;
  for (auto& r : state.query("SELECT event_id, body FROM outbox WHERE ready = 0")) {
    auto v = json::parse(r.text(1));
    auto e = auditFromJson(v.as_object());
    e.status = 0;
    e.outcome = "unanswered";
    e.detail = "the change was committed; the server stopped before answering";
    state.execute("UPDATE outbox SET body = ?2, ready = 1 WHERE event_id = ?1", {e.eventId, json::serialize(toJson(e))});
    ++n;
  }
  tx.commit();
  return n;
}

// ---------------------------------------------------------------- the shipper

Shipper::Shipper(ShipperConfig config) : config_(std::move(config)) {}

Shipper::~Shipper() { stop(); }

void Shipper::start() {
  {
    std::lock_guard lock(shipMu_);
    if (!state_) state_ = connect(config_.stateUrl);
    if (!accounting_) accounting_ = connect(config_.accountingUrl);
    if (int n = recoverUnanswered(*state_); n > 0)
      spdlog::info("outbox: {} audit rows of requests left unanswered by the last stop", n);
  }
  try {
    shipNow();
    writeHead();
  } catch (const std::exception& e) {
    spdlog::error("outbox: shipping failed at start (kept, retried): {}", e.what());
  }
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void Shipper::stop() {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  try {
    shipNow();
    writeHead();
  } catch (const std::exception& e) {
    spdlog::error("outbox: shipping failed at stop (kept for the next start): {}", e.what());
  }
}

void Shipper::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void Shipper::loop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, config_.interval, [&] { return stopping_ || woken_; });
      if (woken_ && config_.coalesce.count() > 0) cv_.wait_for(lock, config_.coalesce, [&] { return stopping_; });
      if (stopping_) return;
      woken_ = false;
    }
    try {
      shipNow();
      // The first head as soon as the log has rows (a young log is otherwise unverifiable
      // for a whole interval), then at most every headInterval.
      bool noHead;
      {
        std::lock_guard lock(shipMu_);
        noHead = lastHeadHash_.empty();
      }
      if (noHead || std::chrono::steady_clock::now() - lastHeadWrite_ >= config_.headInterval) writeHead();
    } catch (const std::exception& e) {
      failures_.fetch_add(1);
      spdlog::error("outbox: shipping failed (kept, retried): {}", e.what());
    }
  }
}

std::int64_t Shipper::shipNow() {
  std::int64_t total = 0;
  for (;;) {
    auto n = shipBatch();
    total += n;
    if (n == 0) return total;
  }
}

std::int64_t Shipper::shipBatch() {
  std::lock_guard lock(shipMu_);
  if (!state_) state_ = connect(config_.stateUrl);
  if (!accounting_) accounting_ = connect(config_.accountingUrl);
  auto rows = state_->query("SELECT seq, event_id, kind, body FROM outbox WHERE ready = 1 ORDER BY seq LIMIT 500");
  if (rows.empty()) return 0;
  {
    AccountingStore acc(*accounting_);
    Transaction tx(*accounting_, true);
    for (auto& r : rows) {
      auto v = json::parse(r.text(3));
      if (!v.is_object())
        throw AbortError({ErrorKind::Internal, "outbox row " + r.text(1) + " is not a JSON object", {}});
      if (r.text(2) == "audit") {
        auto e = auditFromJson(v.get_object());
        acc.appendAudit(e);
      } else {
        acc.resourceEvent(resourceEventFromJson(v.get_object()));
      }
    }
    tx.commit();
  }
  // A crash here ships the batch again: the accounting side records each event id once.
  {
    Transaction tx(*state_, true);
    auto del = state_->prepare("DELETE FROM outbox WHERE seq = ?1");
    for (auto& r : rows) {
      del->reset();
      del->bind(1, r.integer(0));
      del->step();
    }
    tx.commit();
  }
  shipped_.fetch_add(static_cast<std::int64_t>(rows.size()));
  return static_cast<std::int64_t>(rows.size());
}

void Shipper::writeHead() {
  std::lock_guard lock(shipMu_);
  if (!accounting_) accounting_ = connect(config_.accountingUrl);
  AccountingStore acc(*accounting_);
  auto head = acc.auditHead();
  lastHeadWrite_ = std::chrono::steady_clock::now();
  if (!head || head->second == lastHeadHash_) return;
  static std::mutex keyMu;  // one key creation per process
  std::lock_guard keyLock(keyMu);
  auto key = SigningKey::openOrCreate(config_.keyFile);
  writeSignedHead(config_.headFile, key, head->first, head->second);
  lastHeadHash_ = head->second;
}

}  // namespace fedihost::store
