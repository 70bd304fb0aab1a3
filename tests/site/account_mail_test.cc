// Invitations and password resets by mail, through a real Postfix relay
// (scripts/site/postfix.sh): the links arrive in the recipients' maildirs and work once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "net/mailer.hh"
#include "providers/postfix/postfix.hh"
#include "support/maildir.hh"
#include "support/site.hh"
#include "support/test_server.hh"
#include "unit/providers/test_support.hh"

namespace fedihost {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

constexpr const char* kSender = "panel@fedihost.example.org";
constexpr const char* kPassword = "pw-panel-relay-1";

class AccountMail : public testing::SharedSite<AccountMail> {
 public:
  static void SetUpTestSuite() {
    startSite({"postfix"});
    if (!site_) return;
    // fedihost's own submission account at the relay, made by the postfix provider.
    using namespace providers::testing;
    auto provider = providers::postfix::makeMailProvider({"postfix", {}, settings(), "site", ""});
    auto made = provider->create(
        {makeResource("dep_panel", ResourceKind::MailAccount, "panel",
                      {{"address", kSender}, {"password", sealedSecret("panel-mail-password", kPassword)}}),
         &testBox()});
    if (!made) siteError_ = "cannot make the relay account: " + made.error().message;
    if (!made) site_.reset();
  }

 protected:
  static json::object settings() { return site_->settings("postfix", "mail-account"); }
  static std::filesystem::path mailbox(const char* user) {
    return std::filesystem::path(std::string(settings().at("mailboxes").as_string())) / user;
  }

  testing::TestServerSetup setup() {
    testing::TestServerSetup s;
    s.api.publicUrl = "https://panel.fedihost.example.org";
    net::MailerConfig mc{net::StartTls::None, kSender, kPassword, 10000, kSender};
    s.mailer = net::makeMailer("smtp://127.0.0.1:" + std::to_string(settings().at("port").as_int64()), mc).value();
    return s;
  }

  /// The token of the first link to `page` in a message.
  static std::string tokenIn(const std::string& message, const std::string& page) {
    auto at = message.find("https://panel.fedihost.example.org/" + page + "#token=");
    if (at == std::string::npos) return {};
    auto start = message.find('=', message.find('#', at)) + 1;
    auto end = message.find_first_of("\r\n ", start);
    return message.substr(start, end - start);
  }
};

TEST_F(AccountMail, AnInvitationArrivesByMailAndItsLinkMakesTheAccount) {
  testing::TestServer server(setup());
  auto org = server.state().createOrganisation("riverside", "Riverside School").orThrow().id;
  auto admin = server.customerClient("admin@riverside.example", org, Role::OrgAdmin);
  auto r = admin->post("/api/v1/organisations/" + org + "/invitations", R"({"email":"bob@local.test","role":"member"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(json::parse(r.body).at("mailed").as_bool()) << r.body;

  auto message = testing::awaitMessage(mailbox("bob"), "Riverside School");
  ASSERT_FALSE(message.empty()) << "the invitation was not delivered";
  EXPECT_THAT(message, HasSubstr("admin@riverside.example invites you to Riverside School as member"));
  auto token = tokenIn(message, "invite");
  ASSERT_FALSE(token.empty()) << message;
  EXPECT_EQ(token, std::string(json::parse(r.body).at("token").as_string()));

  client::Client bob(server.url());
  auto accepted = bob.post("/api/v1/invitations/accept",
                           json::serialize(json::object{{"token", token}, {"password", "bob's long password"}}));
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(server.clientFor("bob@local.test", "bob's long password")->get("/api/v1/organisations/" + org).status, 200);
}

TEST_F(AccountMail, APasswordResetLinkArrivesWorksOnceAndSignsOutEverywhere) {
  testing::TestServer server(setup());
  auto org = server.state().createOrganisation("riverside", "Riverside School").orThrow().id;
  auto carol = server.customerClient("carol@local.test", org, Role::Viewer);
  ASSERT_EQ(carol->get("/api/v1/auth/me").status, 200);

  client::Client anonymous(server.url());
  EXPECT_EQ(anonymous.post("/api/v1/auth/password-reset", R"({"email":"nobody@local.test"})").status, 202);
  auto r = anonymous.post("/api/v1/auth/password-reset", R"({"email":"Carol@local.test"})");
  ASSERT_EQ(r.status, 202) << r.body;
  auto message = testing::awaitMessage(mailbox("carol"), "/reset#token=");
  ASSERT_FALSE(message.empty()) << "the reset link was not delivered";
  auto token = tokenIn(message, "reset");
  ASSERT_FALSE(token.empty()) << message;

  auto body = json::serialize(json::object{{"token", token}, {"password", "carol's new password"}});
  EXPECT_EQ(anonymous.post("/api/v1/auth/password-reset/confirm", body).status, 204);
  EXPECT_EQ(anonymous.post("/api/v1/auth/password-reset/confirm", body).status, 422);  // once only
  EXPECT_EQ(carol->get("/api/v1/auth/me").status, 401);  // every session ends
  EXPECT_NO_THROW(server.clientFor("carol@local.test", "carol's new password"));
}

TEST_F(AccountMail, WithoutARelayPasswordResetIsOffAndInvitationsAreShownOnly) {
  testing::TestServer server;
  client::Client anonymous(server.url());
  EXPECT_FALSE(json::parse(anonymous.get("/api/v1/auth/options").body).at("passwordReset").as_bool());
  EXPECT_EQ(anonymous.post("/api/v1/auth/password-reset", R"({"email":"carol@local.test"})").status, 503);
}

}  // namespace
}  // namespace fedihost
