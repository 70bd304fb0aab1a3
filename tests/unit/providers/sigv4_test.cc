// AWS Signature Version 4 against AWS's published vectors:
//  - the "aws-sig-v4-test-suite" (AWS General Reference, "Signature Version 4
//    test suite": credentials AKIDEXAMPLE, 20150830T123600Z, us-east-1,
//    service "service"); each case's canonical request is checked through the
//    hash in its string to sign, and its final signature;
//  - the worked examples of the Amazon S3 documentation ("Signature
//    Calculations for the Authorization Header": GET object with a range, PUT
//    object, GET bucket lifecycle, list objects; 20130524, service "s3").
#include <gtest/gtest.h>

#include <chrono>

#include "providers/s3/sigv4.hh"

namespace fedihost::providers::s3::sigv4 {
namespace {

const std::string kEmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct SuiteCase {
  std::string name;
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> extraHeaders;  ///< besides Host and X-Amz-Date
  std::string body;
  std::string canonicalUri;       ///< expected
  std::string canonicalQuery;     ///< expected
  std::string stringToSignHash;   ///< last line of the published string to sign ("" if not published)
  std::string signedHeaders;
  std::string signature;
};

void PrintTo(const SuiteCase& c, std::ostream* os) { *os << c.name; }

const std::string kUnreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const std::string kToken =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/"
    "qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+"
    "xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

std::vector<SuiteCase> suite() {
  const std::string hx = "host;x-amz-date";
  return {
      {"get-vanilla", "GET", "/", {}, {}, "", "/", "", "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
       hx, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-vanilla-query-order-key-case", "GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}}, {}, "", "/",
       "Param1=value1&Param2=value2", "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0", hx,
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-query-order-key", "GET", "/", {{"Param1", "value2"}, {"Param1", "Value1"}}, {}, "", "/",
       "Param1=Value1&Param1=value2", "704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89", hx,
       "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"},
      {"get-vanilla-query-order-value", "GET", "/", {{"Param1", "value2"}, {"Param1", "value1"}}, {}, "", "/",
       "Param1=value1&Param1=value2", "c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606", hx,
       "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
      {"get-vanilla-empty-query-key", "GET", "/", {{"Param1", "value1"}}, {}, "", "/", "Param1=value1",
       "1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab", hx,
       "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
      {"get-vanilla-query-unreserved", "GET", "/", {{kUnreserved, kUnreserved}}, {}, "", "/", kUnreserved + "=" + kUnreserved,
       "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177", hx,
       "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
      {"get-vanilla-utf8-query", "GET", "/", {{"\xE1\x88\xB4", "bar"}}, {}, "", "/", "%E1%88%B4=bar",
       "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073", hx,
       "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"get-unreserved", "GET", "/" + kUnreserved, {}, {}, "", "/" + kUnreserved, "",
       "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9", hx,
       "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {"get-utf8", "GET", "/\xE1\x88\xB4", {}, {}, "", "/%E1%88%B4", "", "", hx,
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"get-header-key-duplicate", "GET", "/", {}, {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
       "", "/", "", "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c", "host;my-header1;x-amz-date",
       "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"get-header-value-order", "GET", "/", {},
       {{"My-Header1", "value4"}, {"My-Header1", "value1"}, {"My-Header1", "value3"}, {"My-Header1", "value2"}}, "", "/", "",
       "31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86", "host;my-header1;x-amz-date",
       "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
      {"get-header-value-trim", "GET", "/", {}, {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}, "", "/", "",
       "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7", "host;my-header1;my-header2;x-amz-date",
       "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"post-vanilla", "POST", "/", {}, {}, "", "/", "", "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87", hx,
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-header-key-case", "POST", "/", {}, {}, "", "/", "",
       "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87", hx,
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-header-key-sort", "POST", "/", {}, {{"My-Header1", "value1"}}, "", "/", "",
       "9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65", "host;my-header1;x-amz-date",
       "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
      {"post-header-value-case", "POST", "/", {}, {{"My-Header1", "VALUE1"}}, "", "/", "",
       "d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93", "host;my-header1;x-amz-date",
       "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
      {"post-vanilla-query", "POST", "/", {{"Param1", "value1"}}, {}, "", "/", "Param1=value1",
       "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd", hx,
       "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      // The suite's .creq files of the two form cases also list Content-Length,
      // but their .sts and .authz (and so the published signatures) are of the
      // request without it, as here. The second one's Content-Type ends in
      // "charset=utf8", as in AWS's own files.
      {"post-x-www-form-urlencoded", "POST", "/", {}, {{"Content-Type", "application/x-www-form-urlencoded"}},
       "Param1=value1", "/", "", "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
       "content-type;host;x-amz-date", "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
      {"post-x-www-form-urlencoded-parameters", "POST", "/", {},
       {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}}, "Param1=value1", "/", "",
       "2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c", "content-type;host;x-amz-date",
       "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
      {"post-sts-header-before", "POST", "/", {}, {{"X-Amz-Security-Token", kToken}}, "", "/", "",
       "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6", "host;x-amz-date;x-amz-security-token",
       "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
      // normalize-path: every service but S3 signs the normalised path.
      {"get-relative", "GET", "/example/..", {}, {}, "", "/", "",
       "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63", hx,
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-relative-relative", "GET", "/example1/example2/../..", {}, {}, "", "/", "",
       "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63", hx,
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-slash", "GET", "//", {}, {}, "", "/", "", "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63", hx,
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-slash-dot-slash", "GET", "/./", {}, {}, "", "/", "",
       "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63", hx,
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-slash-pointless-dot", "GET", "/./example", {}, {}, "", "/example", "",
       "214d50c111a8edc4819da6a636336472c916b5240f51e9a51b5c3305180cf702", hx,
       "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"},
      {"get-slashes", "GET", "//example//", {}, {}, "", "/example/", "",
       "cb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015", hx,
       "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
      {"get-space", "GET", "/example space/", {}, {}, "", "/example%20space/", "",
       "63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86", hx,
       "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
  };
}

class SuiteTest : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(SuiteTest, MatchesThePublishedVector) {
  const auto& c = GetParam();
  Request r;
  r.method = c.method;
  r.path = c.path;
  r.query = c.query;
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  for (auto& h : c.extraHeaders) r.headers.push_back(h);
  r.payloadHash = sha256Hex(c.body);
  auto s = sign(r, {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
                {"20150830T123600Z", "us-east-1", "service", /*normalizePath=*/true});

  EXPECT_EQ(canonicalUri(c.path, true), c.canonicalUri);
  EXPECT_EQ(canonicalQuery(c.query), c.canonicalQuery);
  // The canonical request's first three lines and last two, as published.
  EXPECT_TRUE(s.canonicalRequest.starts_with(c.method + "\n" + c.canonicalUri + "\n" + c.canonicalQuery + "\n"))
      << s.canonicalRequest;
  EXPECT_TRUE(s.canonicalRequest.ends_with("\n\n" + c.signedHeaders + "\n" + r.payloadHash)) << s.canonicalRequest;
  if (!c.stringToSignHash.empty()) {
    EXPECT_EQ(s.stringToSign,
              "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n" + c.stringToSignHash);
  }
  EXPECT_EQ(s.signedHeaders, c.signedHeaders);
  EXPECT_EQ(s.signature, c.signature);
  EXPECT_EQ(s.authorization, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                             "SignedHeaders=" + c.signedHeaders + ", Signature=" + c.signature);
}

INSTANTIATE_TEST_SUITE_P(AwsSigV4TestSuite, SuiteTest, ::testing::ValuesIn(suite()),
                         [](const auto& info) {
                           std::string n = info.param.name;
                           for (auto& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

// Whole canonical requests, as the suite publishes them, for the cases that
// exercise each rule.
TEST(SigV4, CanonicalRequestsOfTheSuite) {
  const Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
  const Scope scope{"20150830T123600Z", "us-east-1", "service", true};
  Request r{"GET", "/", {}, {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}}, kEmptyHash};
  EXPECT_EQ(sign(r, creds, scope).canonicalRequest,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + kEmptyHash);

  r.headers = {{"Host", "example.amazonaws.com"},
               {"My-Header1", " value1"},
               {"My-Header2", " \"a   b   c\""},
               {"X-Amz-Date", "20150830T123600Z"}};
  EXPECT_EQ(sign(r, creds, scope).canonicalRequest,
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
            "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n" + kEmptyHash);

  r.headers = {{"Host", "example.amazonaws.com"},
               {"My-Header1", "value2"},
               {"My-Header1", "value2"},
               {"My-Header1", "value1"},
               {"X-Amz-Date", "20150830T123600Z"}};
  EXPECT_EQ(sign(r, creds, scope).canonicalRequest,
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\n"
            "host;my-header1;x-amz-date\n" + kEmptyHash);

  // post-x-www-form-urlencoded: the body's hash is the last line.
  Request form{"POST", "/", {},
               {{"Content-Type", "application/x-www-form-urlencoded"},
                {"Host", "example.amazonaws.com"},
                {"X-Amz-Date", "20150830T123600Z"}},
               sha256Hex("Param1=value1")};
  EXPECT_EQ(form.payloadHash, "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  EXPECT_EQ(sign(form, creds, scope).canonicalRequest,
            "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
            "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
}

// The signing-key derivation example of the AWS General Reference.
TEST(SigV4, DerivesTheDocumentedSigningKey) {
  EXPECT_EQ(hex(signingKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

// The Amazon S3 documentation's examples (header-based authentication).
class S3DocumentationTest : public ::testing::Test {
 protected:
  Signature signS3(Request r) {
    return sign(r, {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
                {"20130524T000000Z", "us-east-1", "s3", /*normalizePath=*/false});
  }
  static constexpr const char* kHost = "examplebucket.s3.amazonaws.com";
  static constexpr const char* kScope = "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n";
};

TEST_F(S3DocumentationTest, GetObjectWithRange) {
  auto s = signS3({"GET",
                   "/test.txt",
                   {},
                   {{"Host", kHost}, {"Range", "bytes=0-9"}, {"x-amz-content-sha256", kEmptyHash}, {"x-amz-date", "20130524T000000Z"}},
                   kEmptyHash});
  EXPECT_EQ(s.canonicalRequest,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-content-sha256:" + kEmptyHash +
                "\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n" + kEmptyHash);
  EXPECT_EQ(s.stringToSign, std::string(kScope) + "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_F(S3DocumentationTest, PutObject) {
  const std::string payload = sha256Hex("Welcome to Amazon S3.");
  EXPECT_EQ(payload, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  auto s = signS3({"PUT",
                   "/test$file.text",
                   {},
                   {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                    {"Host", kHost},
                    {"x-amz-content-sha256", payload},
                    {"x-amz-date", "20130524T000000Z"},
                    {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                   payload});
  EXPECT_EQ(s.canonicalRequest,
            "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\nhost:examplebucket.s3.amazonaws.com\n"
            "x-amz-content-sha256:" + payload + "\nx-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n" + payload);
  EXPECT_EQ(s.stringToSign, std::string(kScope) + "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  EXPECT_EQ(s.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST_F(S3DocumentationTest, GetBucketLifecycle) {
  auto s = signS3({"GET",
                   "/",
                   {{"lifecycle", ""}},
                   {{"Host", kHost}, {"x-amz-content-sha256", kEmptyHash}, {"x-amz-date", "20130524T000000Z"}},
                   kEmptyHash});
  EXPECT_EQ(s.canonicalRequest,
            "GET\n/\nlifecycle=\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:" + kEmptyHash +
                "\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n" + kEmptyHash);
  EXPECT_EQ(s.stringToSign, std::string(kScope) + "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
  EXPECT_EQ(s.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST_F(S3DocumentationTest, ListObjects) {
  auto s = signS3({"GET",
                   "/",
                   {{"prefix", "J"}, {"max-keys", "2"}},
                   {{"Host", kHost}, {"x-amz-content-sha256", kEmptyHash}, {"x-amz-date", "20130524T000000Z"}},
                   kEmptyHash});
  EXPECT_EQ(s.canonicalRequest,
            "GET\n/\nmax-keys=2&prefix=J\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:" + kEmptyHash +
                "\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n" + kEmptyHash);
  EXPECT_EQ(s.stringToSign, std::string(kScope) + "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
  EXPECT_EQ(s.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, S3PathsAreEncodedPerSegmentAndNotNormalised) {
  EXPECT_EQ(canonicalUri("/bucket/a b/../c//d~", false), "/bucket/a%20b/../c//d~");
  EXPECT_EQ(canonicalUri("", false), "/");
  EXPECT_EQ(canonicalUri("/bucket/k%y+z", false), "/bucket/k%25y%2Bz");
  EXPECT_EQ(canonicalQuery({{"prefix", "a/b c"}, {"acl", ""}}), "acl=&prefix=a%2Fb%20c");
}

TEST(SigV4, UnsignedPayloadIsTheLastLine) {
  Request r{"PUT", "/b/k", {}, {{"host", "h"}, {"x-amz-date", "20130524T000000Z"}}, std::string(kUnsignedPayload)};
  auto s = sign(r, {"a", "b"}, {"20130524T000000Z", "us-east-1", "s3", false});
  EXPECT_TRUE(s.canonicalRequest.ends_with("\nhost;x-amz-date\nUNSIGNED-PAYLOAD"));
}

TEST(SigV4, AmzDateIsUtc) {
  using namespace std::chrono;
  auto t = sys_days{year{2015} / 8 / 30} + hours{12} + minutes{36};
  EXPECT_EQ(amzDate(t), "20150830T123600Z");
}

}  // namespace
}  // namespace fedihost::providers::s3::sigv4
