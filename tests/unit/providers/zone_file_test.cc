// renderZone and the checks of names and record data, without files; and the
// rendered zone checked by BIND's named-checkzone.
#include "providers/file/zone_file.hh"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

#include "test_support.hh"

namespace fedihost::providers::file {
namespace {

using ::testing::HasSubstr;

const char* kZone = "social.example.test";

/// Runs named-checkzone on a file: its exit status and output; nullopt if it is not installed.
std::optional<std::pair<int, std::string>> namedCheckzone(const std::string& zone, const std::filesystem::path& file) {
  if (std::system("command -v named-checkzone >/dev/null 2>&1") != 0) return std::nullopt;
  std::string cmd = "named-checkzone '" + zone + "' '" + file.string() + "' 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return std::nullopt;
  std::string out;
  char buf[512];
  while (auto n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  int status = pclose(pipe);
  return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
}

std::vector<RecordSet> sampleSets() {
  return {
      {"social.example.test.", "A", 300, {"192.0.2.2"}},
      {"mastodon.social.example.test.", "A", 300, {"192.0.2.2"}},
      {"pixelfed.social.example.test.", "A", 600, {"192.0.2.3", "192.0.2.4"}},
      {"mastodon.social.example.test.", "AAAA", 300, {"2001:db8::2"}},
      {"social.example.test.", "TXT", 300, {"v=spf1 -all", "say \"hello world\" \\ with; semicolon (and parens)"}},
      {"_dmarc.social.example.test.", "TXT", 300, {std::string(300, 'x')}},
      {"social.example.test.", "MX", 300, {"10 mail.example.net.", "20 mail2.example.net."}},
      {"www.social.example.test.", "CNAME", 300, {"mastodon.social.example.test."}},
      {"social.example.test.", "CAA", 300, {"0 issue \"letsencrypt.org\""}},
      {"*.files.social.example.test.", "A", 300, {"192.0.2.9"}},
      {"_matrix._tcp.social.example.test.", "SRV", 300, {"10 0 8448 matrix.social.example.test."}},
      {"matrix.social.example.test.", "A", 300, {"192.0.2.5"}},
  };
}

TEST(RenderZone, HeaderSoaAndNs) {
  auto text = renderZone(kZone, 2026010101, SoaSettings{}, {{"mastodon.social.example.test.", "A", 300, {"192.0.2.2"}}});
  EXPECT_EQ(text,
            "; Zone social.example.test, rendered by fedihost (file provider). Do not edit: it is rewritten.\n"
            "$ORIGIN social.example.test.\n"
            "$TTL 300\n"
            "@\t300\tIN\tSOA\tns1.fedihost.invalid. hostmaster.social.example.test. 2026010101 3600 900 1209600 300\n"
            "@\t300\tIN\tNS\tns1.fedihost.invalid.\n"
            "@\t300\tIN\tNS\tns2.fedihost.invalid.\n"
            "mastodon\t300\tIN\tA\t192.0.2.2\n");
}

TEST(RenderZone, SettingsGiveNameserversAndHostmaster) {
  SoaSettings soa;
  soa.nameservers = {"a.ns.example.net", "b.ns.example.net."};
  soa.hostmaster = "dns-admin@example.net";
  auto text = renderZone(kZone, 7, soa, {});
  EXPECT_THAT(text, HasSubstr("@\t300\tIN\tSOA\ta.ns.example.net. dns-admin.example.net. 7 "));
  EXPECT_THAT(text, HasSubstr("@\t300\tIN\tNS\ta.ns.example.net.\n@\t300\tIN\tNS\tb.ns.example.net.\n"));
}

TEST(RenderZone, RecordSetsSortedApexFirstThenByNameAndType) {
  auto text = renderZone(kZone, 1, SoaSettings{}, sampleSets());
  auto body = text.substr(text.find("IN\tNS\tns2.fedihost.invalid.\n") + 28);
  std::vector<std::string> owners;
  for (std::size_t pos = 0; pos < body.size();) {
    auto eol = body.find('\n', pos);
    auto line = body.substr(pos, eol - pos);
    auto tab1 = line.find('\t');
    auto type = line.substr(line.find("IN\t") + 3);
    owners.push_back(line.substr(0, tab1) + " " + type.substr(0, type.find('\t')));
    pos = eol + 1;
  }
  // Labels compared from the right: "_matrix._tcp" sorts under "_tcp", before "files" ('_' < 'a').
  std::vector<std::string> expected{"@ A",          "@ CAA",   "@ MX",          "@ MX",    "@ TXT",
                                    "@ TXT",        "_dmarc TXT", "_matrix._tcp SRV", "*.files A", "mastodon A",
                                    "mastodon AAAA", "matrix A", "pixelfed A",    "pixelfed A", "www CNAME"};
  EXPECT_EQ(owners, expected) << text;
}

TEST(RenderZone, TxtIsQuotedEscapedAndSplit) {
  EXPECT_EQ(quoteTxt("v=spf1 -all"), "\"v=spf1 -all\"");
  EXPECT_EQ(quoteTxt("say \"hi\" \\ ok"), "\"say \\\"hi\\\" \\\\ ok\"");
  EXPECT_EQ(quoteTxt(""), "\"\"");
  EXPECT_EQ(quoteTxt("tab\there"), "\"tab\\009here\"");
  auto split = quoteTxt(std::string(300, 'x'));
  EXPECT_EQ(split, "\"" + std::string(255, 'x') + "\" \"" + std::string(45, 'x') + "\"");
  auto text = renderZone(kZone, 1, SoaSettings{}, {{"social.example.test.", "TXT", 60, {"a \"b\" c"}}});
  EXPECT_THAT(text, HasSubstr("@\t60\tIN\tTXT\t\"a \\\"b\\\" c\"\n"));
}

TEST(ZoneNames, NormaliseAndCheck) {
  EXPECT_EQ(*normaliseZone("Social.Example.Test.", "zone"), "social.example.test");
  EXPECT_FALSE(normaliseZone("", "zone").ok());
  EXPECT_FALSE(normaliseZone("bad zone.test", "zone").ok());
  EXPECT_FALSE(normaliseZone("../etc", "zone").ok());
  EXPECT_EQ(*absoluteName("Mastodon.social.example.test", kZone, "name"), "mastodon.social.example.test.");
  EXPECT_EQ(*absoluteName("social.example.test.", kZone, "name"), "social.example.test.");
  EXPECT_EQ(*absoluteName("*.files.social.example.test.", kZone, "name"), "*.files.social.example.test.");
  auto outside = absoluteName("mastodon.other.test.", kZone, "attributes.name");
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().kind, ErrorKind::Invalid);
  EXPECT_EQ(outside.error().field, "attributes.name");
  EXPECT_THAT(outside.error().message, HasSubstr("outside the zone"));
  EXPECT_FALSE(absoluteName("evilsocial.example.test.", kZone, "name").ok()) << "a suffix is not a subdomain";
  EXPECT_FALSE(absoluteName("example.test.", kZone, "name").ok());
  EXPECT_FALSE(absoluteName("a b.social.example.test.", kZone, "name").ok());
}

TEST(ZoneRecords, CheckRecordSet) {
  EXPECT_TRUE(checkRecordSet({"a.social.example.test.", "A", 300, {"192.0.2.1"}}, kZone).ok());
  EXPECT_EQ(checkRecordSet({"a.social.example.test.", "A", 300, {"2001:db8::1"}}, kZone).error().field,
            "attributes.records[0]");
  EXPECT_FALSE(checkRecordSet({"a.social.example.test.", "AAAA", 300, {"192.0.2.1"}}, kZone).ok());
  EXPECT_FALSE(checkRecordSet({"a.social.example.test.", "A", 300, {}}, kZone).ok());
  EXPECT_FALSE(checkRecordSet({"social.example.test.", "SOA", 300, {"x"}}, kZone).ok());
  EXPECT_FALSE(checkRecordSet({"social.example.test.", "NS", 300, {"ns.example.net."}}, kZone).ok());
  EXPECT_TRUE(checkRecordSet({"sub.social.example.test.", "NS", 300, {"ns.example.net."}}, kZone).ok());
  EXPECT_FALSE(checkRecordSet({"social.example.test.", "CNAME", 300, {"x.example.net."}}, kZone).ok());
  EXPECT_FALSE(checkRecordSet({"a.social.example.test.", "MX", 300, {"10 mx.example.net. ; comment"}}, kZone).ok());
  EXPECT_FALSE(checkRecordSet({"a.social.example.test.", "MX", 300, {"10 mx.example.net.\n@ A 1.2.3.4"}}, kZone).ok());
  EXPECT_FALSE(checkRecordSet({"a.social.example.test.", "A;", 300, {"192.0.2.1"}}, kZone).ok());
  EXPECT_TRUE(checkRecordSet({"a.social.example.test.", "CAA", 300, {"0 issue \"ca.example; x=y\""}}, kZone).ok());
  EXPECT_TRUE(checkRecordSet({"a.social.example.test.", "TXT", 300, {"anything \"goes\"; (here)"}}, kZone).ok());
}

class NamedCheckzoneTest : public providers::testing::TempRootTest {};

TEST_F(NamedCheckzoneTest, RenderedMultiRecordZoneLoads) {
  auto path = root_ / "social.example.test.zone";
  std::ofstream(path) << renderZone(kZone, 2026010101, SoaSettings{}, sampleSets());
  auto result = namedCheckzone(kZone, path);
  if (!result) GTEST_SKIP() << "named-checkzone is not installed (bind9-utils)";
  EXPECT_EQ(result->first, 0) << result->second << "\n" << providers::testing::slurp(path);
  EXPECT_THAT(result->second, HasSubstr("loaded serial 2026010101"));
  EXPECT_THAT(result->second, HasSubstr("OK"));
}

TEST_F(NamedCheckzoneTest, ItWouldCatchABrokenZone) {
  // The check is meaningful: the same zone with an unquoted TXT and a CNAME clash fails.
  auto path = root_ / "broken.zone";
  auto text = renderZone(kZone, 1, SoaSettings{}, {{"www.social.example.test.", "CNAME", 300, {"a.example.net."}},
                                                   {"www.social.example.test.", "A", 300, {"192.0.2.1"}}});
  std::ofstream(path) << text;
  auto result = namedCheckzone(kZone, path);
  if (!result) GTEST_SKIP() << "named-checkzone is not installed (bind9-utils)";
  EXPECT_NE(result->first, 0) << result->second;
}

}  // namespace
}  // namespace fedihost::providers::file
