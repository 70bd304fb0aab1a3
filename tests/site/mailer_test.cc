// SmtpMailer against a real Postfix 3.7 on loopback (scripts/site/postfix.sh):
// it submits with SMTP AUTH as an account the postfix provider made, and the
// message is read back from the site's local.test maildir.
#include "net/mailer.hh"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "core/fd.hh"
#include "core/ids.hh"
#include "providers/postfix/postfix.hh"
#include "support/maildir.hh"
#include "support/ports.hh"
#include "support/site.hh"
#include "unit/providers/test_support.hh"

namespace fedihost::net {
namespace {

using fedihost::testing::awaitMessage;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kSender = "panel@mailer.example.org";
constexpr const char* kPassword = "pw-mailer-1";

/// A TCP socket listening on 127.0.0.1 on a port of its own choosing.
struct Listener {
  Fd fd{::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  int port = 0;
  Listener() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd.get(), 4) != 0 ||
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("cannot listen on 127.0.0.1");
    port = ntohs(a.sin_port);
  }
  /// True if a client connected (and was accepted now).
  bool connected() const {
    Fd client(::accept(fd.get(), nullptr, nullptr));
    return client.get() >= 0;
  }
};

/// The Subject header of a delivered message, unfolded, its RFC 2047 base64 words decoded.
std::string decodedSubject(const std::string& message) {
  auto start = message.find("\nSubject: ");
  if (start == std::string::npos) return {};
  start += 10;
  std::string raw;
  for (auto i = start; i < message.size(); ++i) {
    if (message[i] == '\r') continue;
    if (message[i] == '\n') {
      if (i + 1 < message.size() && (message[i + 1] == ' ' || message[i + 1] == '\t')) continue;
      break;
    }
    raw += message[i];
  }
  std::string out;
  for (std::size_t pos = 0; pos < raw.size();) {
    auto open = raw.find("=?UTF-8?B?", pos);
    if (open == std::string::npos) {
      out += raw.substr(pos);
      break;
    }
    auto close = raw.find("?=", open + 10);
    std::string b64 = raw.substr(open + 10, close - open - 10);
    std::string bin(b64.size(), '\0');
    std::size_t len = 0;
    sodium_base642bin(reinterpret_cast<unsigned char*>(bin.data()), bin.size(), b64.data(), b64.size(), nullptr, &len,
                      nullptr, sodium_base64_VARIANT_ORIGINAL);
    out += bin.substr(0, len);  // folding white space between encoded words is not text
    pos = close + 2;
    while (pos < raw.size() && raw[pos] == ' ') ++pos;
  }
  return out;
}

class MailerSiteTest : public fedihost::testing::SharedSite<MailerSiteTest> {
 protected:
  static void SetUpTestSuite() { startSite({"postfix"}); }

  void SetUp() override {
    SharedSite::SetUp();
    if (accountMade_) return;
    // The submission account, made as the platform makes them: by the postfix provider.
    using namespace providers::testing;
    auto provider = providers::postfix::makeMailProvider({"postfix", {}, settings(), "site", ""});
    auto made = provider->create(
        {makeResource("dep_mailer", ResourceKind::MailAccount, "panel",
                      {{"address", kSender}, {"password", sealedSecret("panel-mail-password", kPassword)}}),
         &testBox()});
    ASSERT_TRUE(made.ok()) << made.error().message;
    accountMade_ = true;
  }

  static boost::json::object settings() { return site_->settings("postfix", "mail-account"); }
  static std::string url() { return "smtp://127.0.0.1:" + std::to_string(settings().at("port").as_int64()); }
  static std::filesystem::path mailbox(const char* user) {
    return std::filesystem::path(std::string(settings().at("mailboxes").as_string())) / user;
  }
  static MailerConfig config(std::string password = kPassword) {
    return {StartTls::None, kSender, std::move(password), 10000, kSender};
  }

  static inline bool accountMade_ = false;
};

TEST_F(MailerSiteTest, AuthenticatedMessageArrivesIntact) {
  auto mailer = makeMailer(url(), config());
  ASSERT_TRUE(mailer.ok()) << mailer.error().message;
  const std::string token = "token-" + ids::randomBase32(12);
  const std::string subject = "Grüße aus Köln — ✓ your sign-up, a subject long enough to need two encoded words";
  const std::string body = "Héllo wörld, " + token + "\nZweite Zeile ✓\n.\n.a line starting with a dot\nlast\n";
  auto sent = (*mailer)->send({"", "alice@local.test", subject, body});
  ASSERT_TRUE(sent.ok()) << sent.error().message;

  auto message = awaitMessage(mailbox("alice"), token);
  ASSERT_FALSE(message.empty()) << "not delivered";
  EXPECT_THAT(message, HasSubstr("Return-Path: <panel@mailer.example.org>"));
  EXPECT_THAT(message, HasSubstr("\nFrom: panel@mailer.example.org\n"));
  EXPECT_THAT(message, HasSubstr("\nTo: alice@local.test\n"));
  EXPECT_THAT(message, HasSubstr("\nContent-Type: text/plain; charset=utf-8\n"));
  EXPECT_THAT(message, HasSubstr("\nMessage-ID: <"));
  EXPECT_EQ(decodedSubject(message), subject);
  auto bodyStart = message.find("\n\n");
  ASSERT_NE(bodyStart, std::string::npos);
  EXPECT_EQ(message.substr(bodyStart + 2), body);  // the maildir has LF line ends; dots unstuffed
}

TEST_F(MailerSiteTest, WrongPasswordIsUnauthorized) {
  auto mailer = makeMailer(url(), config("not-the-password"));
  ASSERT_TRUE(mailer.ok());
  auto sent = (*mailer)->send({kSender, "alice@local.test", "never", "never"});
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, ErrorKind::Unauthorized) << sent.error().message;
  EXPECT_THAT(sent.error().message, HasSubstr("535"));
}

TEST_F(MailerSiteTest, ClosedPortIsUnavailable) {
  auto mailer = makeMailer("smtp://127.0.0.1:" + std::to_string(fedihost::testing::closedPort()), config());
  ASSERT_TRUE(mailer.ok());
  auto sent = (*mailer)->send({kSender, "alice@local.test", "never", "never"});
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, ErrorKind::Unavailable) << sent.error().message;
  EXPECT_THAT(sent.error().message, StartsWith("cannot reach SMTP server"));
}

TEST_F(MailerSiteTest, RefusedRecipientIsProviderWithTheServersWords) {
  auto mailer = makeMailer(url(), config());
  ASSERT_TRUE(mailer.ok());
  auto sent = (*mailer)->send({kSender, "nobody@local.test", "never", "never"});
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, ErrorKind::Provider) << sent.error().message;
  EXPECT_THAT(sent.error().message, HasSubstr("550"));
  EXPECT_THAT(sent.error().message, HasSubstr("nobody@local.test"));
}

TEST_F(MailerSiteTest, LineBreakInAHeaderIsInvalidAndNothingIsSent) {
  const MailMessage injected[] = {
      {kSender, "alice@local.test", "Hello\r\nBcc: bob@local.test", "injected"},
      {kSender, "alice@local.test", "Hello\nBcc: bob@local.test", "injected"},
      {kSender, "alice@local.test>\r\nRCPT TO:<bob@local.test", "Hello", "injected"},
      {"panel@mailer.example.org\r\nBcc: bob@local.test", "alice@local.test", "Hello", "injected"},
  };
  const char* fields[] = {"subject", "subject", "to", "from"};
  // To the real server: bob receives nothing.
  auto mailer = makeMailer(url(), config());
  ASSERT_TRUE(mailer.ok());
  for (std::size_t i = 0; i < std::size(injected); ++i) {
    auto sent = (*mailer)->send(injected[i]);
    ASSERT_FALSE(sent.ok()) << i;
    EXPECT_EQ(sent.error().kind, ErrorKind::Invalid) << i;
    EXPECT_EQ(sent.error().field, fields[i]) << i;
  }
  // To a listener of our own: not even a connection was made.
  Listener listener;
  auto quiet = makeMailer("smtp://127.0.0.1:" + std::to_string(listener.port), config());
  ASSERT_TRUE(quiet.ok());
  for (auto& m : injected) EXPECT_FALSE((*quiet)->send(m).ok());
  EXPECT_FALSE(listener.connected());
  // A clean message after them all arrives, and bob's maildir stays empty.
  const std::string token = "after-injection-" + ids::randomBase32(12);
  ASSERT_TRUE((*mailer)->send({kSender, "alice@local.test", token, "clean"}).ok());
  EXPECT_FALSE(awaitMessage(mailbox("alice"), "Subject: " + token).empty());
  std::error_code ec;
  EXPECT_TRUE(!std::filesystem::exists(mailbox("bob") / "new", ec) ||
              std::filesystem::is_empty(mailbox("bob") / "new", ec));
}

}  // namespace
}  // namespace fedihost::net
