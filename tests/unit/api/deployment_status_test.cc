// The presented status of a deployment over every combination of what decides it.
#include "api/deployment_status.hh"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace fedihost::api {
namespace {

const DeploymentStatus kStored[] = {DeploymentStatus::New,    DeploymentStatus::Applying, DeploymentStatus::Ready,
                                    DeploymentStatus::Failed, DeploymentStatus::Deleting, DeploymentStatus::Deleted};

TEST(DeploymentStatusTest, EveryCombinationHasOneStatusByTheRules) {
  int seen = 0;
  for (auto stored : kStored)
    for (int bits = 0; bits < 16; ++bits) {
      StatusFacts f{stored, (bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0, (bits & 8) != 0};
      std::string s(presentedStatus(f));
      SCOPED_TRACE(std::string(toString(stored)) + " active=" + std::to_string(f.runActive) + " failed=" +
                   std::to_string(f.lastRunFailed) + " drifted=" + std::to_string(f.drifted) + " pending=" +
                   std::to_string(f.changesPending) + " -> " + s);
      const auto& all = presentedStatuses();
      EXPECT_NE(std::find(all.begin(), all.end(), s), all.end());
      // Deleted and deleting win over everything else.
      EXPECT_EQ(s == "deleted", stored == DeploymentStatus::Deleted);
      EXPECT_EQ(s == "deleting", stored == DeploymentStatus::Deleting);
      bool gone = stored == DeploymentStatus::Deleted || stored == DeploymentStatus::Deleting;
      // A run in progress (or the stored state saying so) is "applying".
      bool applying = !gone && (stored == DeploymentStatus::Applying || f.runActive);
      EXPECT_EQ(s == "applying", applying);
      bool failed = !gone && !applying && (stored == DeploymentStatus::Failed || f.lastRunFailed);
      EXPECT_EQ(s == "failed", failed);
      bool drifted = !gone && !applying && !failed && f.drifted;
      EXPECT_EQ(s == "drifted", drifted);
      // Never applied counts as changes pending: what is desired is not there yet.
      bool pending = !gone && !applying && !failed && !drifted && (stored == DeploymentStatus::New || f.changesPending);
      EXPECT_EQ(s == "changes pending", pending);
      // Ready only when nothing at all is in the way.
      EXPECT_EQ(s == "ready", stored == DeploymentStatus::Ready && bits == 0);
      ++seen;
    }
  EXPECT_EQ(seen, 96);
}

TEST(DeploymentStatusTest, AnEditAfterAnApplyIsChangesPendingNotReady) {
  EXPECT_EQ(presentedStatus({DeploymentStatus::Ready, false, false, false, false}), "ready");
  EXPECT_EQ(presentedStatus({DeploymentStatus::Ready, false, false, false, true}), "changes pending");
  EXPECT_EQ(presentedStatus({DeploymentStatus::Ready, false, false, true, true}), "drifted");
  EXPECT_EQ(presentedStatus({DeploymentStatus::Deleted, false, false, true, true}), "deleted");
}

}  // namespace
}  // namespace fedihost::api
