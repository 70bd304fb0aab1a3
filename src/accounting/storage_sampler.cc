#include "accounting/storage_sampler.hh"

#include <spdlog/spdlog.h>

#include "core/clock.hh"
#include "store/billing_store.hh"
#include "store/sql.hh"

namespace fedihost::accounting {

StorageSampler::StorageSampler(StorageSamplerConfig config)
    : config_(std::move(config)), thread_("sampling bucket storage", config_.interval, [this] {
        auto r = sampleNow();
        if (r.measured + r.failed > 0)
          spdlog::info("sampled the storage of {} bucket(s), {} failed", r.measured + r.failed, r.failed);
      }) {}

SampleRound StorageSampler::sampleNow() {
  auto stateConn = store::connect(config_.stateUrl);
  auto accountingConn = store::connect(config_.accountingUrl);
  store::StateStore state(*stateConn);
  store::BillingStore billing(*accountingConn);
  SampleRound round;
  std::vector<std::string> ids;
  {
    store::Transaction snapshot(*stateConn, false);
    ids = state.deploymentIds(true);  // a deleted deployment whose buckets are still recorded still holds them
    snapshot.commit();
  }
  for (auto& id : ids) {
    std::optional<Deployment> d;
    std::vector<RecordedResource> buckets;
    {
      store::Transaction snapshot(*stateConn, false);
      auto got = state.getDeployment(id);
      if (!got) continue;  // gone since the list was read
      d = std::move(*got);
      for (auto& rec : state.recordedResources(id))
        if (rec.resource.kind == ResourceKind::Bucket) buckets.push_back(std::move(rec));
      snapshot.commit();
    }
    for (auto& rec : buckets) {
      Measurement m;
      try {
        m = config_.measure(state, *d, rec.resource);
      } catch (const std::exception& e) {  // a provider's abort is a failed sample, not a lost round
        m.bytes.reset();
        m.error = e.what();
      }
      if (m.bytes && *m.bytes < 0) {
        m.error = "the provider answered a negative size (" + std::to_string(*m.bytes) + " bytes)";
        m.bytes.reset();
      }
      if (!m.bytes && m.error.empty()) m.error = "the provider gave no size";
      if (!m.bytes) m.objects.reset();
      store::StorageSample s{clock::nowRfc3339(), d->organisation, d->id, rec.resource.key, m.provider,
                             m.bytes,             m.objects,       m.error};
      billing.addSample(std::move(s));
      if (m.bytes) {
        ++round.measured;
      } else {
        ++round.failed;
        spdlog::warn("storage sample of {} (deployment {}) failed: {}", rec.resource.key, d->id, m.error);
      }
    }
  }
  return round;
}

}  // namespace fedihost::accounting
