#include "accounting/month_closer.hh"

#include <spdlog/spdlog.h>

#include "accounting/billing.hh"
#include "store/billing_store.hh"
#include "store/sql.hh"
#include "store/state_store.hh"

namespace fedihost::accounting {

MonthCloser::MonthCloser(MonthCloserConfig config)
    : config_(std::move(config)), thread_("closing months", config_.interval, [this] {
        if (int n = closeNow(); n > 0) {
          closed_ += n;
          spdlog::info("closed {} month(s) of statements", n);
        }
      }) {}

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
      stored += closeMonths(billing, org.id, createdAt(org));
    }
    cursor = page.next;
  } while (!cursor.empty());
  return stored;
}

}  // namespace fedihost::accounting
