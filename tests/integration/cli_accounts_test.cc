// The account commands of fedihost as a user runs them, against a real server
// (docs/accounts.md): logout, the second factor at login, throttled logins,
// API tokens, members and invitations, users (operators), renaming and
// deleting an organisation.
#include <gtest/gtest.h>

#include <array>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli/client.hh"
#include "support/cli_fixture.hh"
#include "support/process.hh"

namespace fedihost {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::run;
using testing::shellQuote;

// RFC 6238 codes (HMAC-SHA-1, 6 digits, 30 s), to play the authenticator app.
class Totp {
 public:
  /// From an otpauth:// URI's `secret` (base32).
  static std::string secretOf(const std::string& uri) {
    auto at = uri.find("secret=");
    if (at == std::string::npos) return {};
    auto end = uri.find('&', at);
    return uri.substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7);
  }
  static std::uint64_t stepNow() {
    return static_cast<std::uint64_t>(
               std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                   .count()) /
           30;
  }
  static std::string code(const std::string& base32Secret, std::uint64_t step) {
    auto key = base32(base32Secret);
    std::string msg(8, '\0');
    for (int i = 7; i >= 0; --i, step >>= 8) msg[static_cast<std::size_t>(i)] = static_cast<char>(step & 0xff);
    auto mac = hmacSha1(key, msg);
    auto offset = static_cast<std::size_t>(mac[19] & 0x0f);
    std::uint32_t bin = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                        (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                        (static_cast<std::uint32_t>(mac[offset + 2]) << 8) | mac[offset + 3];
    auto s = std::to_string(bin % 1000000);
    return std::string(6 - s.size(), '0') + s;
  }

 private:
  static std::string base32(const std::string& in) {
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char ch : in) {
      int v;
      if (ch >= 'A' && ch <= 'Z')
        v = ch - 'A';
      else if (ch >= 'a' && ch <= 'z')
        v = ch - 'a';
      else if (ch >= '2' && ch <= '7')
        v = ch - '2' + 26;
      else
        continue;  // padding
      buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
      bits += 5;
      if (bits >= 8) {
        out += static_cast<char>((buffer >> (bits - 8)) & 0xff);
        bits -= 8;
      }
    }
    return out;
  }
  static std::uint32_t rol(std::uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }
  static std::array<std::uint8_t, 20> sha1(const std::string& data) {
    std::uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    std::string m = data;
    std::uint64_t bitLen = static_cast<std::uint64_t>(data.size()) * 8;
    m += '\x80';
    while (m.size() % 64 != 56) m += '\0';
    for (int i = 7; i >= 0; --i) m += static_cast<char>((bitLen >> (i * 8)) & 0xff);
    for (std::size_t chunk = 0; chunk < m.size(); chunk += 64) {
      std::uint32_t w[80];
      for (int i = 0; i < 16; ++i) {
        auto b = [&](int k) { return static_cast<std::uint32_t>(static_cast<std::uint8_t>(m[chunk + 4 * i + k])); };
        w[i] = (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
      }
      for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
      std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
      for (int i = 0; i < 80; ++i) {
        std::uint32_t f, k;
        if (i < 20)
          f = (b & c) | (~b & d), k = 0x5A827999;
        else if (i < 40)
          f = b ^ c ^ d, k = 0x6ED9EBA1;
        else if (i < 60)
          f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
        else
          f = b ^ c ^ d, k = 0xCA62C1D6;
        std::uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d, d = c, c = rol(b, 30), b = a, a = t;
      }
      h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
    }
    std::array<std::uint8_t, 20> out{};
    for (int i = 0; i < 20; ++i)
      out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(h[i / 4] >> (24 - 8 * (i % 4)));
    return out;
  }
  static std::array<std::uint8_t, 20> hmacSha1(std::string key, const std::string& msg) {
    if (key.size() > 64) {
      auto k = sha1(key);
      key.assign(k.begin(), k.end());
    }
    key.resize(64, '\0');
    std::string inner, outer;
    for (char k : key) inner += static_cast<char>(k ^ 0x36), outer += static_cast<char>(k ^ 0x5c);
    auto i = sha1(inner + msg);
    return sha1(outer + std::string(i.begin(), i.end()));
  }
};

TEST(CliTotp, MatchesTheRfc6238Vectors) {
  // RFC 6238 appendix B, SHA-1, 8 digits there: the last 6 of 94287082, 07081804, 89005924.
  const std::string secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";  // "12345678901234567890"
  EXPECT_EQ(Totp::code(secret, 59 / 30), "287082");
  EXPECT_EQ(Totp::code(secret, 1111111109 / 30), "081804");
  EXPECT_EQ(Totp::code(secret, 1234567890 / 30), "005924");
}

class CliAccountsTest : public testing::CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    if (HasFatalFailure()) return;
    adminToken_ = savedToken(credentialsFile());
  }

  static std::string savedToken(const fs::path& credentials) {
    std::ifstream in(credentials);
    std::stringstream ss;
    ss << in.rdbuf();
    return std::string(json::parse(ss.str()).at("token").as_string());
  }
  client::Client api(const std::string& token) { return client::Client(server(), token); }
  long statusOfMe(const std::string& token) { return api(token).get("/api/v1/auth/me").status; }

  /// Runs `fedihost ARGS` with another token (FEDIHOST_TOKEN), as someone else.
  testing::CommandResult cliAs(const std::string& token, const std::string& args) {
    return run("FEDIHOST_TOKEN=" + shellQuote(token) + " " + env_ + fh(args));
  }
  /// Runs `fedihost ARGS` with a fresh HOME of its own (nothing saved).
  testing::CommandResult cliElsewhere(const std::string& dir, const std::string& args) {
    fs::create_directories(tmp_ / dir);
    return run("HOME=" + (tmp_ / dir).string() + " FEDIHOST_SERVER=" + server() + " " + fh(args));
  }

  std::string createOrganisation(const std::string& name) {
    auto r = cli("organisation create " + name + " -o json");
    EXPECT_EQ(r.exitCode, 0) << r.output;
    return std::string(json::parse(r.output).at("id").as_string());
  }

  /// Invites `email` to `org` with `role` and accepts as a new account; returns her session token.
  std::string addMember(const std::string& org, const std::string& email, const std::string& role) {
    auto inv = cli("member invite --organisation " + org + " --email " + email + " --role " + role + " -o json");
    EXPECT_EQ(inv.exitCode, 0) << inv.output;
    auto invitation = json::parse(inv.output);
    auto accept = api("").post(
        "/api/v1/invitations/accept",
        json::serialize(json::object{{"token", invitation.at("token")}, {"password", "her own long password"}}));
    EXPECT_EQ(accept.status, 200) << accept.body;
    return std::string(json::parse(accept.body).at("token").as_string());
  }

  std::string adminToken_;
};

TEST_F(CliAccountsTest, LogoutEndsTheSessionAndForgetsTheCredentials) {
  ASSERT_EQ(statusOfMe(adminToken_), 200);
  auto r = cli("logout");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("Forgot the credentials"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(credentialsFile()));
  EXPECT_EQ(statusOfMe(adminToken_), 401);
  auto after = cli("organisation list");
  EXPECT_EQ(after.exitCode, 1) << after.output;
}

TEST_F(CliAccountsTest, LogoutAllEndsEveryLoginSessionButNotTheApiTokens) {
  auto second =
      cliElsewhere("laptop", "login --email admin@example.test --password-file " + (tmp_ / "password").string());
  ASSERT_EQ(second.exitCode, 0) << second.output;
  auto laptopToken = savedToken(tmp_ / "laptop/.config/fedihost/credentials.json");
  auto created = cli("token create --name ci --scope read -o json");
  ASSERT_EQ(created.exitCode, 0) << created.output;
  auto apiToken = std::string(json::parse(created.output).at("token").as_string());

  auto r = cli("logout --all");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(statusOfMe(adminToken_), 401);
  EXPECT_EQ(statusOfMe(laptopToken), 401);
  EXPECT_EQ(statusOfMe(apiToken), 200);
  EXPECT_FALSE(fs::exists(credentialsFile()));
}

TEST_F(CliAccountsTest, ApiTokensAreShownOnceListedScopedAndRevoked) {
  createOrganisation("riverside");
  auto created = cli("token create --name nightly-ci --scope read --scope deploy --expires 2030-01-31T00:00:00Z");
  ASSERT_EQ(created.exitCode, 0) << created.output;
  EXPECT_NE(created.output.find("will not be shown again"), std::string::npos) << created.output;
  auto at = created.output.find("):\n\n  ");
  ASSERT_NE(at, std::string::npos) << created.output;
  at += 6;  // past "):\n\n  "
  auto token = created.output.substr(at, created.output.find('\n', at) - at);
  ASSERT_FALSE(token.empty()) << created.output;

  auto list = cli("token list");
  ASSERT_EQ(list.exitCode, 0) << list.output;
  EXPECT_NE(list.output.find("nightly-ci"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("read,deploy"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("2030-01-31"), std::string::npos) << list.output;
  EXPECT_EQ(list.output.find(token), std::string::npos) << "the list shows the secret: " << list.output;
  auto listed = cli("token list -o json");
  ASSERT_EQ(listed.exitCode, 0) << listed.output;
  auto items = json::parse(listed.output).at("items").as_array();
  ASSERT_EQ(items.size(), 1u) << listed.output;
  auto id = std::string(items[0].at("id").as_string());
  EXPECT_TRUE(items[0].as_object().contains("lastUsedAt")) << listed.output;

  // read lets it list; creating an organisation needs admin.
  auto read = cliAs(token, "organisation list");
  EXPECT_EQ(read.exitCode, 0) << read.output;
  EXPECT_NE(read.output.find("riverside"), std::string::npos) << read.output;
  auto write = cliAs(token, "organisation create not-allowed");
  EXPECT_EQ(write.exitCode, 1) << write.output;

  auto revoked = cli("token revoke " + id);
  ASSERT_EQ(revoked.exitCode, 0) << revoked.output;
  EXPECT_EQ(cliAs(token, "organisation list").exitCode, 1);
  EXPECT_EQ(statusOfMe(token), 401);
}

TEST_F(CliAccountsTest, ATokenBoundToAnOrganisationSeesNoOther) {
  createOrganisation("riverside");
  createOrganisation("hill-farm");
  auto created = cli("token create --name school --scope read --organisation riverside -o json");
  ASSERT_EQ(created.exitCode, 0) << created.output;
  auto token = std::string(json::parse(created.output).at("token").as_string());
  auto list = cliAs(token, "organisation list");
  EXPECT_EQ(list.exitCode, 0) << list.output;
  EXPECT_NE(list.output.find("riverside"), std::string::npos) << list.output;
  EXPECT_EQ(list.output.find("hill-farm"), std::string::npos) << list.output;
}

TEST_F(CliAccountsTest, MembersAreInvitedListedPromotedDemotedAndRemoved) {
  auto orgId = createOrganisation("riverside");
  auto invite = cli("member invite --organisation riverside --email carol@example.test --role viewer");
  ASSERT_EQ(invite.exitCode, 0) << invite.output;
  EXPECT_NE(invite.output.find("Invitation link"), std::string::npos) << invite.output;
  EXPECT_NE(invite.output.find("http"), std::string::npos) << invite.output;
  EXPECT_NE(invite.output.find("not mailed"), std::string::npos) << "no SMTP relay is configured: " << invite.output;

  auto alice = addMember("riverside", "alice@example.test", "org-admin");
  auto bob = addMember(orgId, "bob@example.test", "member");

  auto list = cli("member list --organisation riverside");
  ASSERT_EQ(list.exitCode, 0) << list.output;
  EXPECT_NE(list.output.find("alice@example.test"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("bob@example.test"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("org-admin"), std::string::npos) << list.output;

  // The last org-admin can be neither demoted nor removed.
  auto lastAdmin = cli("member role --organisation riverside alice@example.test viewer");
  EXPECT_EQ(lastAdmin.exitCode, 1) << lastAdmin.output;
  EXPECT_EQ(cli("member remove --organisation riverside alice@example.test").exitCode, 1);

  // An org-admin manages her organisation's members herself.
  auto promote = cliAs(alice, "member role --organisation " + orgId + " bob@example.test org-admin");
  ASSERT_EQ(promote.exitCode, 0) << promote.output;
  auto demote = cliAs(bob, "member role --organisation riverside alice@example.test viewer -o json");
  ASSERT_EQ(demote.exitCode, 0) << demote.output;
  auto members = cli("member list --organisation riverside -o json");
  ASSERT_EQ(members.exitCode, 0) << members.output;
  auto listed = json::parse(members.output);
  for (auto& m : listed.at("items").as_array()) {
    auto text = json::serialize(m);
    if (text.find("alice@") != std::string::npos) {
      EXPECT_NE(text.find("\"viewer\""), std::string::npos) << text;
    }
    if (text.find("bob@") != std::string::npos) {
      EXPECT_NE(text.find("\"org-admin\""), std::string::npos) << text;
    }
  }

  // A viewer may look, not create.
  EXPECT_EQ(cliAs(alice, "deployment list --organisation " + orgId).exitCode, 0);
  auto refused = cliAs(alice, "deployment create --organisation " + orgId +
                                  " --name social --domain social.example.test --app mastodon");
  EXPECT_EQ(refused.exitCode, 1) << refused.output;
  EXPECT_EQ(cliAs(alice, "member invite --organisation " + orgId + " --email x@example.test --role member").exitCode,
            1);

  auto removed = cli("member remove --organisation riverside alice@example.test");
  ASSERT_EQ(removed.exitCode, 0) << removed.output;
  auto after = cli("member list --organisation riverside");
  EXPECT_EQ(after.output.find("alice@example.test"), std::string::npos) << after.output;
  // Her organisations no longer hold riverside: it answers 404 to her like one that does not exist.
  auto hers = cliAs(alice, "organisation list");
  EXPECT_EQ(hers.output.find("riverside"), std::string::npos) << hers.output;
}

TEST_F(CliAccountsTest, OperatorsListDisableAndEnableUsers) {
  createOrganisation("riverside");
  auto alice = addMember("riverside", "alice@example.test", "member");
  std::ofstream(tmp_ / "alice-password") << "her own long password\n";

  auto list = cli("user list");
  ASSERT_EQ(list.exitCode, 0) << list.output;
  EXPECT_NE(list.output.find("admin@example.test"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("alice@example.test"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("active"), std::string::npos) << list.output;
  EXPECT_EQ(cliAs(alice, "user list").exitCode, 1) << "a member listed the users";

  auto disabled = cli("user disable alice@example.test");
  ASSERT_EQ(disabled.exitCode, 0) << disabled.output;
  EXPECT_EQ(statusOfMe(alice), 401);
  EXPECT_NE(cli("user list").output.find("disabled"), std::string::npos);
  auto refused =
      cliElsewhere("alice", "login --email alice@example.test --password-file " + (tmp_ / "alice-password").string());
  EXPECT_EQ(refused.exitCode, 1) << refused.output;

  auto users = json::parse(cli("user list -o json").output).at("items").as_array();
  std::string aliceId;
  for (auto& u : users)
    if (u.at("email").as_string() == "alice@example.test") aliceId = std::string(u.at("id").as_string());
  ASSERT_FALSE(aliceId.empty());
  auto enabled = cli("user enable " + aliceId);
  ASSERT_EQ(enabled.exitCode, 0) << enabled.output;
  auto back =
      cliElsewhere("alice", "login --email alice@example.test --password-file " + (tmp_ / "alice-password").string());
  EXPECT_EQ(back.exitCode, 0) << back.output;
}

TEST_F(CliAccountsTest, LoginAsksForTheSecondFactor) {
  auto admin = api(adminToken_);
  auto setup = admin.post("/api/v1/auth/totp");
  ASSERT_EQ(setup.status, 200) << setup.body;
  auto secret = Totp::secretOf(std::string(json::parse(setup.body).at("uri").as_string()));
  ASSERT_FALSE(secret.empty()) << setup.body;
  auto step = Totp::stepNow();
  auto confirm =
      admin.post("/api/v1/auth/totp/confirm", json::serialize(json::object{{"code", Totp::code(secret, step)}}));
  ASSERT_EQ(confirm.status, 200) << confirm.body;
  auto recovery = json::parse(confirm.body).at("recoveryCodes").as_array();
  ASSERT_GE(recovery.size(), 3u);
  auto login = "login --email admin@example.test --password-file " + (tmp_ / "password").string();

  // Off a terminal, the command says which option gives the code.
  auto none = cliElsewhere("ci", login + " </dev/null");
  EXPECT_EQ(none.exitCode, 1);
  EXPECT_NE(none.output.find("--totp"), std::string::npos) << none.output;
  EXPECT_FALSE(fs::exists(tmp_ / "ci/.config/fedihost/credentials.json"));

  auto wrong = cliElsewhere("ci", login + " --totp 000000");
  EXPECT_EQ(wrong.exitCode, 1);
  EXPECT_NE(wrong.output.find("wrong"), std::string::npos) << wrong.output;

  auto withRecovery = cliElsewhere("ci", login + " --totp " + std::string(recovery[0].as_string()));
  EXPECT_EQ(withRecovery.exitCode, 0) << withRecovery.output;
  auto again = cliElsewhere("other", login + " --totp " + std::string(recovery[0].as_string()));
  EXPECT_EQ(again.exitCode, 1) << "a recovery code worked twice: " << again.output;

  // On a terminal it asks (script(1) gives the command one).
  if (fs::exists("/usr/bin/script")) {
    fs::create_directories(tmp_ / "tty");
    auto prompted = run("echo " + std::string(recovery[1].as_string()) + " | HOME=" + (tmp_ / "tty").string() +
                        " FEDIHOST_SERVER=" + server() + " script -qec " + shellQuote(fh(login)) + " /dev/null");
    EXPECT_NE(prompted.output.find("authenticator"), std::string::npos) << prompted.output;
    EXPECT_TRUE(fs::exists(tmp_ / "tty/.config/fedihost/credentials.json")) << prompted.output;
  }

  // A code of the app, from a time step after the one used to confirm.
  while (Totp::stepNow() == step) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto withCode = cliElsewhere("phone", login + " --totp " + Totp::code(secret, Totp::stepNow()));
  EXPECT_EQ(withCode.exitCode, 0) << withCode.output;
}

TEST_F(CliAccountsTest, ThrottledLoginsSayHowLongToWait) {
  std::ofstream(tmp_ / "wrong") << "not the password at all\n";
  std::string last;
  for (int i = 0; i < 15; ++i) {
    auto r = cliElsewhere("guess", "login --email admin@example.test --password-file " + (tmp_ / "wrong").string());
    EXPECT_EQ(r.exitCode, 1);
    last = r.output;
    if (last.find("try again in") != std::string::npos) break;
  }
  EXPECT_NE(last.find("try again in"), std::string::npos) << last;
  EXPECT_NE(last.find("second"), std::string::npos) << last;
}

TEST_F(CliAccountsTest, OrganisationsAreRenamedAndDeletedWhenEmpty) {
  auto orgId = createOrganisation("riverside");
  auto renamed = cli("organisation rename riverside 'Riverside School'");
  ASSERT_EQ(renamed.exitCode, 0) << renamed.output;
  auto list = cli("organisation list -o json");
  EXPECT_NE(list.output.find("Riverside School"), std::string::npos) << list.output;

  auto dep = cli("deployment create --organisation " + orgId +
                 " --name notes --domain notes.example.test --app hedgedoc -o json");
  ASSERT_EQ(dep.exitCode, 0) << dep.output;
  auto depId = std::string(json::parse(dep.output).at("id").as_string());
  auto busy = cli("organisation delete riverside --yes");
  EXPECT_EQ(busy.exitCode, 1) << "deleted with a live deployment: " << busy.output;

  ASSERT_EQ(cli("deployment delete " + depId + " --yes").exitCode, 0);
  auto deleted = cli("organisation delete riverside --yes");
  ASSERT_EQ(deleted.exitCode, 0) << deleted.output;
  EXPECT_EQ(cli("organisation list").output.find("riverside"), std::string::npos);
}

}  // namespace
}  // namespace fedihost
