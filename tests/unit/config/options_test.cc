// The table of serve's options: the TOML reader (unknown keys, wrong types and
// values out of range refused with the file's line), secrets from files, the
// environment and systemd credentials, the command line overriding the file,
// the redacted effective configuration, and docs/configuration.md in step with the table.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "config/options.hh"
#include "support/temp_dir.hh"

namespace fedihost::config {
namespace {

Result<Config> parse(const std::string& text) {
  Config c(serveOptions());
  if (auto ok = readToml(c, text, "fedihost.toml"); !ok) return ok.error();
  return c;
}

std::string errorOf(const std::string& text) {
  auto r = parse(text);
  EXPECT_FALSE(r) << "accepted:\n" << text;
  return r ? std::string() : r.error().message;
}

TEST(ConfigTable, NamesAndFlagsAreUniqueAndSecretsHaveNoFlag) {
  std::set<std::string> names, flags;
  for (auto& o : serveOptions()) {
    EXPECT_TRUE(names.insert(o.name()).second) << o.name();
    if (o.secret) EXPECT_TRUE(o.flag.empty()) << o.name() << ": a secret on a command line shows in ps";
    else EXPECT_TRUE(flags.insert(o.flag).second) << o.flag;
    EXPECT_FALSE(o.help.empty()) << o.name();
    if (o.type == Type::Integer) {
      auto d = std::get<std::int64_t>(o.defaultValue);
      EXPECT_TRUE(d >= o.min && d <= o.max) << o.name() << ": the default is out of its own range";
    }
  }
  for (auto n : {"data_dir", "master_key_file", "server.listen", "orchestrator.workers", "orchestrator.refresh_interval",
                 "server.handler_threads", "domains.customer_domains", "mail.smtp", "mail.smtp_password",
                 "auth.session_idle", "log.format"})
    EXPECT_TRUE(names.count(n)) << n;
}

TEST(ConfigToml, ValuesOfEveryTypeAndTheirLines) {
  auto c = parse(R"(data_dir = "/var/lib/fedihost"

[server]
listen = "0.0.0.0:8443"
signup = true

[orchestrator]
workers = 4

[domains]
customer_domains = ["example.net", "example.org"]
)");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->string("data_dir"), "/var/lib/fedihost");
  EXPECT_EQ(c->string("server.listen"), "0.0.0.0:8443");
  EXPECT_TRUE(c->boolean("server.signup"));
  EXPECT_EQ(c->integer("orchestrator.workers"), 4);
  EXPECT_EQ(c->strings("domains.customer_domains"), (std::vector<std::string>{"example.net", "example.org"}));
  EXPECT_EQ(c->setting("orchestrator.workers").origin, Origin::File);
  EXPECT_EQ(c->setting("orchestrator.workers").detail, "fedihost.toml:8");
  // Untouched: the table's defaults.
  EXPECT_EQ(c->integer("orchestrator.refresh_interval"), 600);
  EXPECT_EQ(c->setting("orchestrator.refresh_interval").origin, Origin::Default);
  EXPECT_EQ(c->string("mail.smtp_starttls"), "required");
}

TEST(ConfigToml, UnknownKeysAndSectionsAreRefusedWithTheirLine) {
  auto e = errorOf("[server]\nlisten = \"127.0.0.1:1\"\nlisten_port = 8080\n");
  EXPECT_NE(e.find("fedihost.toml:3: unknown key server.listen_port in [server]"), std::string::npos) << e;
  EXPECT_NE(e.find("known: listen, web,"), std::string::npos) << e;

  e = errorOf("\n\n[sever]\nlisten = \"x\"\n");
  EXPECT_NE(e.find("fedihost.toml:3: unknown section [sever]"), std::string::npos) << e;

  e = errorOf("workers = 3\n");
  EXPECT_NE(e.find("fedihost.toml:1: unknown key workers at the top level"), std::string::npos) << e;
  EXPECT_NE(e.find("[orchestrator]"), std::string::npos) << e;
}

TEST(ConfigToml, WrongTypesAndValuesAreRefusedWithTheirLine) {
  auto e = errorOf("[orchestrator]\nworkers = \"4\"\n");
  EXPECT_NE(e.find("fedihost.toml:2: orchestrator.workers must be an integer, not a string"), std::string::npos) << e;
  e = errorOf("[orchestrator]\n\nworkers = 100\n");
  EXPECT_NE(e.find("fedihost.toml:3: orchestrator.workers must be from 1 to 64, not 100"), std::string::npos) << e;
  e = errorOf("[server]\nsignup = \"yes\"\n");
  EXPECT_NE(e.find("fedihost.toml:2: server.signup must be true or false, not a string"), std::string::npos) << e;
  e = errorOf("[domains]\ncustomer_domains = [\"a.example\", 3]\n");
  EXPECT_NE(e.find("fedihost.toml:2: domains.customer_domains must be an array of strings"), std::string::npos) << e;
  e = errorOf("[mail]\nsmtp_starttls = \"maybe\"\n");
  EXPECT_NE(e.find("fedihost.toml:2: mail.smtp_starttls must be one of required, optional, none"), std::string::npos)
      << e;
  e = errorOf("[server]\nlisten = \n");
  EXPECT_NE(e.find("fedihost.toml:2: not valid TOML"), std::string::npos) << e;
}

TEST(ConfigSecrets, NeverInClearInTheFileAndReadFromAFileOrACredential) {
  testing::TempDir tmp;
  auto e = errorOf("[mail]\nsmtp_password = \"hunter2\"\n");
  EXPECT_NE(e.find("fedihost.toml:2: mail.smtp_password is a secret"), std::string::npos) << e;
  EXPECT_NE(e.find("FEDIHOST_SMTP_PASSWORD_FILE"), std::string::npos) << e;
  EXPECT_EQ(e.find("hunter2"), std::string::npos) << "the refusal repeats the secret: " << e;

  std::ofstream(tmp / "pw") << "from-a-file\n";
  auto c = parse("[mail]\nsmtp_password = { file = \"" + (tmp / "pw").string() + "\" }\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->string("mail.smtp_password"), "from-a-file");
  auto rendered = c->render();
  EXPECT_EQ(rendered.find("from-a-file"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("# smtp_password = (secret, redacted)"), std::string::npos) << rendered;

  e = errorOf("[mail]\nsmtp_password = { file = \"" + (tmp / "missing").string() + "\" }\n");
  EXPECT_NE(e.find("fedihost.toml:2: mail.smtp_password: the secret file"), std::string::npos) << e;
}

TEST(ConfigSecrets, EnvironmentFileThenCredentialsDirectory) {
  testing::TempDir tmp;
  std::ofstream(tmp / "env-pw") << "from-env\n";
  std::filesystem::create_directories(tmp / "creds");
  std::ofstream(tmp / "creds" / "smtp-password") << "from-credential";
  std::map<std::string, std::string> env{{"CREDENTIALS_DIRECTORY", (tmp / "creds").string()}};
  auto getenv = [&](const char* n) -> const char* {
    auto it = env.find(n);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  Config c(serveOptions());
  ASSERT_TRUE(readSecretsFromEnvironment(c, getenv));
  EXPECT_EQ(c.string("mail.smtp_password"), "from-credential");
  EXPECT_EQ(c.setting("mail.smtp_password").origin, Origin::Credential);

  env["FEDIHOST_SMTP_PASSWORD_FILE"] = (tmp / "env-pw").string();
  Config d(serveOptions());
  ASSERT_TRUE(readSecretsFromEnvironment(d, getenv));
  EXPECT_EQ(d.string("mail.smtp_password"), "from-env");
  EXPECT_EQ(d.setting("mail.smtp_password").origin, Origin::Environment);

  env["FEDIHOST_SMTP_PASSWORD_FILE"] = (tmp / "nowhere").string();
  Config f(serveOptions());
  auto r = readSecretsFromEnvironment(f, getenv);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("FEDIHOST_SMTP_PASSWORD_FILE"), std::string::npos) << r.error().message;
}

TEST(ConfigSecrets, TheS3BackupTargetsKeysAreSecretsFromFilesNamedByTheEnvironment) {
  testing::TempDir tmp;
  for (auto option : {"backup_s3_access_key_id", "backup_s3_secret_access_key"}) {
    auto e = errorOf(std::string("[orchestrator]\n") + option + " = \"AKIDEXAMPLE\"\n");
    EXPECT_NE(e.find(std::string("orchestrator.") + option + " is a secret"), std::string::npos) << e;
    EXPECT_EQ(e.find("AKIDEXAMPLE"), std::string::npos) << e;
  }
  std::ofstream(tmp / "id") << "fh-backups\n";
  std::ofstream(tmp / "secret") << "s3-secret\n";
  std::map<std::string, std::string> env{{"FEDIHOST_BACKUP_S3_ACCESS_KEY_ID_FILE", (tmp / "id").string()},
                                         {"FEDIHOST_BACKUP_S3_SECRET_ACCESS_KEY_FILE", (tmp / "secret").string()}};
  auto getenv = [&](const char* n) -> const char* {
    auto it = env.find(n);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto c = parse("[orchestrator]\nbackup_target = \"s3://fh-backups/eu\"\nbackup_s3_endpoint = \"https://s3.example.net\"\n");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE(readSecretsFromEnvironment(*c, getenv));
  EXPECT_EQ(c->string("orchestrator.backup_s3_access_key_id"), "fh-backups");
  EXPECT_EQ(c->string("orchestrator.backup_s3_secret_access_key"), "s3-secret");
  EXPECT_EQ(c->render().find("s3-secret"), std::string::npos) << "redacted";
  EXPECT_EQ(c->integer("orchestrator.backup_s3_part_size"), 16);
  EXPECT_TRUE(c->boolean("orchestrator.backup_s3_path_style"));
}

TEST(ConfigCommandLine, FlagsOverrideTheFile) {
  auto c = parse("[server]\nlisten = \"127.0.0.1:1111\"\nsignup = true\n[orchestrator]\nworkers = 3\nretry_attempts = 9\n");
  ASSERT_TRUE(c);
  CLI::App app;
  CommandLine cl(app, serveOptions());
  std::vector<std::string> args{"--retry-attempts", "2", "--listen", "127.0.0.1:2222", "--no-signup",
                                "--customer-domain", "a.example", "--customer-domain", "b.example"};
  std::reverse(args.begin(), args.end());
  app.parse(args);
  cl.apply(*c);
  EXPECT_EQ(c->string("server.listen"), "127.0.0.1:2222");
  EXPECT_EQ(c->setting("server.listen").origin, Origin::CommandLine);
  EXPECT_FALSE(c->boolean("server.signup"));
  EXPECT_EQ(c->integer("orchestrator.retry_attempts"), 2);
  EXPECT_EQ(c->integer("orchestrator.workers"), 3) << "not on the command line: the file's";
  EXPECT_EQ(c->strings("domains.customer_domains").size(), 2u);

  CLI::App app2;
  CommandLine cl2(app2, serveOptions());
  std::vector<std::string> bad{"100", "--workers"};
  EXPECT_THROW(app2.parse(bad), CLI::ValidationError);
}

TEST(ConfigDocs, ConfigurationMdHoldsTheTableOfOptions) {
  std::ifstream in(std::string(FEDIHOST_TEST_DATA) + "/../../docs/configuration.md");
  ASSERT_TRUE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  auto doc = ss.str();
  const std::string begin = "<!-- BEGIN options: generated by `fedihost config docs` -->\n";
  const std::string end = "<!-- END options -->";
  auto b = doc.find(begin);
  auto e = doc.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  EXPECT_EQ(doc.substr(b + begin.size(), e - b - begin.size()), markdownTable(serveOptions()))
      << "docs/configuration.md is out of step with the table: replace the part between the markers by the "
         "output of `fedihost config docs`";
}

TEST(ConfigExample, DistFedihostTomlIsValidAndNamesEverySection) {
  Config c(serveOptions());
  auto ok = readTomlFile(c, std::string(FEDIHOST_TEST_DATA) + "/../../dist/fedihost.toml");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(c.string("data_dir"), "/var/lib/fedihost");
  // Every option appears in the example, at least as a comment.
  std::ifstream in(std::string(FEDIHOST_TEST_DATA) + "/../../dist/fedihost.toml");
  std::stringstream ss;
  ss << in.rdbuf();
  for (auto& o : serveOptions())
    EXPECT_NE(ss.str().find(o.key + " ="), std::string::npos) << o.name() << " is not in dist/fedihost.toml";
}

}  // namespace
}  // namespace fedihost::config
