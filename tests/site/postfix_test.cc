// The "postfix" mail provider against a real Postfix 3.7 on loopback
// (scripts/site/postfix.sh): accounts are checked by sending with SMTP AUTH
// (curl) and reading the message back from the site's local maildir.
#include "providers/postfix/postfix.hh"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "support/maildir.hh"
#include "support/site.hh"
#include "unit/providers/test_support.hh"

namespace fedihost::providers::testing {
namespace {

using fedihost::testing::CommandResult;
using fedihost::testing::run;
using fedihost::testing::SharedSite;
using fedihost::testing::shellQuote;
using fedihost::testing::Site;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;


class PostfixSiteTest : public SharedSite<PostfixSiteTest> {
 protected:
  static void SetUpTestSuite() { startSite({"postfix"}); }

  static json::object settings() { return site_->settings("postfix", "mail-account"); }
  static std::string setting(const char* name) { return std::string(settings().at(name).as_string()); }
  static int port() { return static_cast<int>(settings().at("port").as_int64()); }

  static std::unique_ptr<MailProvider> provider(json::object s = settings()) {
    return postfix::makeMailProvider({"postfix", {}, std::move(s), "site", ""});
  }

  static ResolvedResource account(const std::string& deployment, const std::string& app, const std::string& address,
                                  const std::string& password) {
    return {makeResource(deployment, ResourceKind::MailAccount, app,
                         {{"address", address}, {"password", sealedSecret(app + "-mail-password", password)}}),
            &testBox()};
  }

  /// Sends a message with SMTP AUTH as `login`, envelope sender `from`, to alice@local.test.
  /// The subject is returned in `subject`; curl's transcript in the result.
  static CommandResult send(const std::string& login, const std::string& password, const std::string& from,
                            std::string* subject = nullptr) {
    std::random_device rd;
    const std::string token = "fedihost-" + std::to_string(rd()) + std::to_string(rd());
    if (subject) *subject = token;
    const auto file = site_->dir() / (token + ".eml");
    {
      std::ofstream out(file);
      out << "From: " << from << "\r\nTo: alice@local.test\r\nSubject: " << token << "\r\n\r\nHello from " << login
          << ".\r\n";
    }
    return run("curl -sS -v --max-time 20 --url smtp://127.0.0.1:" + std::to_string(port()) + " --user " +
               shellQuote(login + ":" + password) + " --mail-from " + shellQuote(from) +
               " --mail-rcpt alice@local.test --upload-file " + shellQuote(file.string()));
  }

  /// The message in alice's maildir whose subject is `token` (waits for delivery, at most 20 s).
  static std::string delivered(const std::string& token) {
    return fedihost::testing::awaitMessage(std::filesystem::path(setting("mailboxes")) / "alice", "Subject: " + token);
  }

  static CommandResult saslpasswd(const std::string& args, const std::string& input = {}) {
    return run("printf %s " + shellQuote(input) + " | saslpasswd2 -p -f " + shellQuote(setting("saslDb")) + " " + args);
  }
  static std::string saslUsers() { return run("sasldblistusers2 -f " + shellQuote(setting("saslDb"))).output; }

};


TEST_F(PostfixSiteTest, CreatedAccountSendsAndTheMessageArrives) {
  auto p = provider();
  auto made = p->create(account("dep_send", "mastodon", "mastodon@send.example.org", "pw-send-1"));
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ(json::value(made->attributes), json::value({{"address", "mastodon@send.example.org"}}));
  EXPECT_EQ(made->outputs.at("port").as_int64(), port());

  std::string subject;
  auto sent = send("mastodon@send.example.org", "pw-send-1", "mastodon@send.example.org", &subject);
  ASSERT_EQ(sent.exitCode, 0) << sent.output;
  auto message = delivered(subject);
  ASSERT_FALSE(message.empty()) << "not delivered; maillog:\n" << slurp(setting("maillog"));
  EXPECT_THAT(message, HasSubstr("Return-Path: <mastodon@send.example.org>"));
  EXPECT_THAT(message, HasSubstr("Hello from mastodon@send.example.org."));

  // The password never lands in the provider's files.
  const std::string map = setting("senderLoginMap");
  EXPECT_THAT(slurp(map), Not(HasSubstr("pw-send-1")));
  EXPECT_THAT(slurp(map + ".fedihost.json"), Not(HasSubstr("pw-send-1")));
  EXPECT_THAT(slurp(map + ".fedihost.json"),
              HasSubstr("\"dep_send/mail-account/mastodon\": \"mastodon@send.example.org\""));
}

TEST_F(PostfixSiteTest, WrongPasswordIsRefused) {
  auto p = provider();
  ASSERT_TRUE(p->create(account("dep_wrong", "pixelfed", "pixelfed@wrong.example.org", "right-password")).ok());
  auto sent = send("pixelfed@wrong.example.org", "wrong-password", "pixelfed@wrong.example.org");
  EXPECT_NE(sent.exitCode, 0);
  EXPECT_THAT(sent.output, HasSubstr("< 535"));
}

TEST_F(PostfixSiteTest, SendingAsAnotherAddressIsRefused) {
  auto p = provider();
  ASSERT_TRUE(p->create(account("dep_as", "mastodon", "mastodon@as.example.org", "pw-as-1")).ok());
  ASSERT_TRUE(p->create(account("dep_as", "peertube", "peertube@as.example.org", "pw-as-2")).ok());

  // Another app's address, and an address nobody holds.
  for (const char* from : {"peertube@as.example.org", "ceo@as.example.org"}) {
    auto sent = send("mastodon@as.example.org", "pw-as-1", from);
    EXPECT_NE(sent.exitCode, 0) << from;
    EXPECT_THAT(sent.output, HasSubstr("< 553")) << from;
    EXPECT_THAT(sent.output, HasSubstr("not owned by user mastodon@as.example.org")) << from;
  }
  std::string subject;
  auto own = send("peertube@as.example.org", "pw-as-2", "peertube@as.example.org", &subject);
  EXPECT_EQ(own.exitCode, 0) << own.output;
  EXPECT_FALSE(delivered(subject).empty());
}

TEST_F(PostfixSiteTest, CreateIsIdempotent) {
  auto p = provider();
  ASSERT_TRUE(p->create(account("dep_idem", "forgejo", "forgejo@idem.example.org", "pw-idem-1")).ok());
  // Again, as a resumed run would (the password set again).
  auto again = p->create(account("dep_idem", "forgejo", "forgejo@idem.example.org", "pw-idem-2"));
  ASSERT_TRUE(again.ok()) << again.error().message;

  auto keys = p->list("dep_idem");
  ASSERT_TRUE(keys.ok());
  EXPECT_THAT(*keys, ElementsAre("dep_idem/mail-account/forgejo"));
  auto map = slurp(setting("senderLoginMap"));
  const std::string line = "\nforgejo@idem.example.org forgejo@idem.example.org\n";
  EXPECT_NE(map.find(line), std::string::npos) << map;
  EXPECT_EQ(map.find(line), map.rfind(line)) << map;  // once
  EXPECT_EQ(saslUsers().find("forgejo@idem.example.org"), saslUsers().rfind("forgejo@idem.example.org"));
  std::string subject;
  EXPECT_EQ(send("forgejo@idem.example.org", "pw-idem-2", "forgejo@idem.example.org", &subject).exitCode, 0);
  EXPECT_FALSE(delivered(subject).empty());
}

TEST_F(PostfixSiteTest, UpdateChangesThePassword) {
  auto p = provider();
  ASSERT_TRUE(p->create(account("dep_pw", "matrix", "matrix@pw.example.org", "old-password")).ok());
  auto updated = p->update(account("dep_pw", "matrix", "matrix@pw.example.org", "new-password"));
  ASSERT_TRUE(updated.ok()) << updated.error().message;

  auto old = send("matrix@pw.example.org", "old-password", "matrix@pw.example.org");
  EXPECT_NE(old.exitCode, 0);
  EXPECT_THAT(old.output, HasSubstr("< 535"));
  std::string subject;
  auto fresh = send("matrix@pw.example.org", "new-password", "matrix@pw.example.org", &subject);
  EXPECT_EQ(fresh.exitCode, 0) << fresh.output;
  EXPECT_FALSE(delivered(subject).empty());

  auto absent = p->update(account("dep_pw", "nothing", "nothing@pw.example.org", "pw"));
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().kind, ErrorKind::NotFound);
}

TEST_F(PostfixSiteTest, RemoveRefusesTheLoginAndForgetsTheAccount) {
  auto p = provider();
  auto r = account("dep_rm", "hedgedoc", "hedgedoc@rm.example.org", "pw-rm");
  ASSERT_TRUE(p->create(r).ok());
  ASSERT_EQ(send("hedgedoc@rm.example.org", "pw-rm", "hedgedoc@rm.example.org").exitCode, 0);

  ASSERT_TRUE(p->remove(r).ok());
  auto after = send("hedgedoc@rm.example.org", "pw-rm", "hedgedoc@rm.example.org");
  EXPECT_NE(after.exitCode, 0);
  EXPECT_THAT(after.output, HasSubstr("< 535"));
  EXPECT_THAT(saslUsers(), Not(HasSubstr("hedgedoc@rm.example.org")));
  EXPECT_THAT(slurp(setting("senderLoginMap")), Not(HasSubstr("hedgedoc@rm.example.org")));

  EXPECT_TRUE(p->remove(r).ok());  // absent: success
  auto read = p->read(r);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().kind, ErrorKind::NotFound);
  auto keys = p->list("dep_rm");
  ASSERT_TRUE(keys.ok());
  EXPECT_THAT(*keys, IsEmpty());
}

TEST_F(PostfixSiteTest, ListReturnsTheKeysOfOneDeployment) {
  auto p = provider();
  ASSERT_TRUE(p->create(account("dep_list_a", "mastodon", "mastodon@list-a.example.org", "pw1")).ok());
  ASSERT_TRUE(p->create(account("dep_list_a", "pixelfed", "pixelfed@list-a.example.org", "pw2")).ok());
  ASSERT_TRUE(p->create(account("dep_list_ab", "mastodon", "mastodon@list-ab.example.org", "pw3")).ok());
  auto a = p->list("dep_list_a");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_THAT(*a, UnorderedElementsAre("dep_list_a/mail-account/mastodon", "dep_list_a/mail-account/pixelfed"));
  auto ab = p->list("dep_list_ab");
  ASSERT_TRUE(ab.ok());
  EXPECT_THAT(*ab, ElementsAre("dep_list_ab/mail-account/mastodon"));
  auto none = p->list("dep_list_none");
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
}

TEST_F(PostfixSiteTest, ReadAfterOutOfBandRemovalIsNotFound) {
  auto p = provider();
  auto r = account("dep_drift", "owncast", "owncast@drift.example.org", "pw-drift");
  ASSERT_TRUE(p->create(r).ok());
  auto read = p->read(r);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(json::value(read->attributes), json::value({{"address", "owncast@drift.example.org"}}));

  ASSERT_EQ(saslpasswd("-d -u drift.example.org owncast").exitCode, 0);
  auto gone = p->read(r);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, ErrorKind::NotFound);
  EXPECT_THAT(gone.error().message, HasSubstr("owncast@drift.example.org"));

  // A create repairs it.
  ASSERT_TRUE(p->create(r).ok());
  EXPECT_TRUE(p->read(r).ok());
  EXPECT_EQ(send("owncast@drift.example.org", "pw-drift", "owncast@drift.example.org").exitCode, 0);
}

TEST_F(PostfixSiteTest, ForeignAccountsAreNeverAdopted) {
  auto p = provider();
  // A SASL user the operator made by hand.
  ASSERT_EQ(saslpasswd("-c -u foreign.example.org postmaster", "operators-own").exitCode, 0);
  auto r = account("dep_foreign", "mastodon", "postmaster@foreign.example.org", "hijack");
  auto made = p->create(r);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().kind, ErrorKind::Conflict);
  EXPECT_EQ(made.error().field, "attributes.address");
  ASSERT_TRUE(p->remove(r).ok());
  EXPECT_THAT(saslUsers(), HasSubstr("postmaster@foreign.example.org"));

  // An address another resource holds.
  ASSERT_TRUE(p->create(account("dep_foreign", "pixelfed", "pixelfed@foreign.example.org", "pw")).ok());
  auto clash = p->create(account("dep_other", "pixelfed", "pixelfed@foreign.example.org", "pw"));
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.error().kind, ErrorKind::Conflict);
}

TEST_F(PostfixSiteTest, RefusesWhatItCannotServe) {
  auto p = provider();
  for (const char* bad :
       {"no-at-sign", "two@at@example.org", "space @example.org", "x@localhost", "a\nb@example.org"}) {
    auto r = p->create(account("dep_bad", "mastodon", bad, "pw"));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().field, "attributes.address") << bad;
  }
  auto multiline = p->create(account("dep_bad", "mastodon", "mastodon@bad.example.org", "pw\nsecond"));
  ASSERT_FALSE(multiline.ok());
  EXPECT_EQ(multiline.error().field, "attributes.password");
  auto unsealed = account("dep_bad", "mastodon", "mastodon@bad.example.org", "pw");
  unsealed.resource.attributes["password"] = "clear";
  auto refused = p->create(unsealed);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().field, "attributes.password");
  EXPECT_THAT(saslUsers(), Not(HasSubstr("bad.example.org")));

  auto s = settings();
  s["postmapCommand"] = "postmap";
  try {
    provider(s);
    FAIL() << "a relative command was accepted";
  } catch (const AbortError& e) {
    EXPECT_EQ(e.error().field, "settings.postmapCommand");
  }
}

TEST_F(PostfixSiteTest, AHangingCommandIsUnavailable) {
  const auto hang = site_->dir() / "hang.sh";
  {
    std::ofstream out(hang);
    out << "#!/bin/sh\nexec sleep 30\n";
  }
  std::filesystem::permissions(hang, std::filesystem::perms::owner_all);
  auto s = settings();
  s["postmapCommand"] = hang.string();
  s["timeoutMs"] = 300;
  auto r = provider(s)->create(account("dep_hang", "mastodon", "mastodon@hang.example.org", "pw"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Unavailable);
  EXPECT_THAT(r.error().message, HasSubstr("did not finish within 300 ms"));
  // The real one finishes the job.
  EXPECT_TRUE(provider()->create(account("dep_hang", "mastodon", "mastodon@hang.example.org", "pw")).ok());
}

}  // namespace
}  // namespace fedihost::providers::testing
