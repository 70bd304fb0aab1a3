// The message SmtpMailer and FileMailer send (formatMessage), FileMailer's
// files, and makeMailer's schemes. Sending over SMTP: tests/site/mailer_test.cc.
#include "net/mailer.hh"

#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/temp_dir.hh"

namespace fedihost::net {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

const auto kTime = std::chrono::system_clock::from_time_t(1700000000);  // Tue, 14 Nov 2023 22:13:20 UTC

std::string format(const MailMessage& m) {
  auto r = formatMessage(m, "default@example.org", kTime);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : std::string{};
}

TEST(MailerFormat, HeadersAndBody) {
  auto text = format({"panel@example.org", "alice@example.net", "Welcome", "Hello,\nsecond line\n"});
  EXPECT_THAT(text, ContainsRegex("^Date: Tue, 14 Nov 2023 22:13:20 \\+0000\r\n"
                                  "Message-ID: <[A-Za-z0-9_-]+@example.org>\r\n"
                                  "From: panel@example.org\r\n"
                                  "To: alice@example.net\r\n"
                                  "Subject: Welcome\r\n"
                                  "MIME-Version: 1.0\r\n"
                                  "Content-Type: text/plain; charset=utf-8\r\n"
                                  "Content-Transfer-Encoding: 8bit\r\n"
                                  "\r\n"
                                  "Hello,\r\nsecond line\r\n$"));
  EXPECT_THAT(format({"", "alice@example.net", "x", "y"}), HasSubstr("\r\nFrom: default@example.org\r\n"));
}

TEST(MailerFormat, LineEndsBecomeCrlf) {
  auto text = format({"a@example.org", "b@example.org", "s", "one\r\ntwo\rthree\nfour"});
  EXPECT_THAT(text, HasSubstr("\r\n\r\none\r\ntwo\r\nthree\r\nfour\r\n"));
}

TEST(MailerFormat, Utf8SubjectIsEncodedInWholeCharacters) {
  auto text = format({"a@example.org", "b@example.org", "Grüße ✓", "x"});
  EXPECT_THAT(text, HasSubstr("\r\nSubject: =?UTF-8?B?R3LDvMOfZSDinJM=?=\r\n"));
  // A long one is folded into several words, none over 75 characters, no character split.
  std::string longSubject;
  for (int i = 0; i < 30; ++i) longSubject += "ä✓";
  auto folded = format({"a@example.org", "b@example.org", longSubject, "x"});
  EXPECT_THAT(folded, HasSubstr("?=\r\n =?UTF-8?B?"));
  std::istringstream lines(folded);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 77u) << line;  // 76 and the CR
}

TEST(MailerFormat, LongLinesAreQuotedPrintable) {
  const std::string longLine = std::string(1200, 'x') + " = é";
  auto text = format({"a@example.org", "b@example.org", "s", "short\n" + longLine + "\n"});
  EXPECT_THAT(text, HasSubstr("Content-Transfer-Encoding: quoted-printable\r\n"));
  EXPECT_THAT(text, HasSubstr("\r\n\r\nshort\r\n"));
  EXPECT_THAT(text, HasSubstr(" =3D =C3=A9\r\n"));
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 77u);
}

TEST(MailerFormat, LineBreaksInHeadersAreInvalid) {
  const std::pair<MailMessage, const char*> bad[] = {
      {{"a@example.org", "b@example.org", "Hi\r\nBcc: c@example.org", "x"}, "subject"},
      {{"a@example.org", "b@example.org", "Hi\nBcc: c@example.org", "x"}, "subject"},
      {{"a@example.org", "b@example.org", "Hi\rBcc: c@example.org", "x"}, "subject"},
      {{"a@example.org", "b@example.org\r\nBcc: c@example.org", "Hi", "x"}, "to"},
      {{"a@example.org\nBcc: c@example.org", "b@example.org", "Hi", "x"}, "from"},
  };
  for (auto& [m, field] : bad) {
    auto r = formatMessage(m, "");
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
    EXPECT_EQ(r.error().field, field);
  }
}

TEST(MailerFormat, AddressesMustBePlain) {
  for (const char* to : {"", "alice", "@example.org", "alice@", "Alice <alice@example.org>", "a b@example.org",
                         "a@example.org,b@example.org", "ä@example.org"}) {
    auto r = formatMessage({"a@example.org", to, "s", "x"}, "");
    ASSERT_FALSE(r.ok()) << to;
    EXPECT_EQ(r.error().field, "to") << to;
  }
  auto noSender = formatMessage({"", "b@example.org", "s", "x"}, "");
  ASSERT_FALSE(noSender.ok());
  EXPECT_EQ(noSender.error().field, "from");
}

TEST(FileMailer, WritesEachMessageToAPrivateEmlFile) {
  fedihost::testing::TempDir dir("mailer");
  auto mailer = makeMailer("file:" + (dir.path() / "out").string(), {.from = "panel@example.org"});
  ASSERT_TRUE(mailer.ok()) << mailer.error().message;
  ASSERT_TRUE((*mailer)->send({"", "alice@example.org", "one", "first"}).ok());
  ASSERT_TRUE((*mailer)->send({"", "bob@example.org", "two", "second"}).ok());

  std::vector<std::filesystem::path> files;
  for (auto& e : std::filesystem::directory_iterator(dir.path() / "out")) files.push_back(e.path());
  ASSERT_EQ(files.size(), 2u);
  std::string all;
  for (auto& f : files) {
    EXPECT_EQ(f.extension(), ".eml");
    struct stat st {};
    ASSERT_EQ(::stat(f.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    all += ss.str();
  }
  EXPECT_THAT(all, HasSubstr("From: panel@example.org\r\nTo: alice@example.org\r\nSubject: one\r\n"));
  EXPECT_THAT(all, HasSubstr("To: bob@example.org\r\nSubject: two\r\n"));

  auto refused = (*mailer)->send({"", "bob@example.org", "a\nb", "x"});
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path() / "out"), {}), 2);
}

TEST(MakeMailer, KnowsItsSchemes) {
  EXPECT_TRUE(makeMailer("smtp://127.0.0.1:2525").ok());
  EXPECT_TRUE(makeMailer("smtps://mail.example.org:465").ok());
  EXPECT_TRUE(makeMailer("file:///var/tmp/mail").ok());
  auto unknown = makeMailer("sendmail:/usr/sbin/sendmail");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(unknown.error().field, "url");
  EXPECT_THAT(unknown.error().message, HasSubstr("smtp://, smtps://, file:"));
  EXPECT_FALSE(makeMailer("smtp://").ok());
  // Credentials in a URL never reach an error message.
  auto unreachable = makeMailer("smtp://user:secret-pw@127.0.0.1:1", {.startTls = StartTls::None, .timeoutMs = 2000});
  ASSERT_TRUE(unreachable.ok());
  auto sent = (*unreachable)->send({"a@example.org", "b@example.org", "s", "x"});
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, ErrorKind::Unavailable);
  EXPECT_THAT(sent.error().message, HasSubstr("smtp://127.0.0.1:1"));
  EXPECT_THAT(sent.error().message, Not(HasSubstr("secret-pw")));
  EXPECT_FALSE(makeMailer("file:").ok());
}

}  // namespace
}  // namespace fedihost::net
