// TOTP against the test vectors of RFC 6238 (Appendix B) and base32 against
// those of RFC 4648 (section 10); verification windows, replay, the otpauth URI
// and recovery codes.
#include "aaa/totp.hh"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace fedihost::aaa::totp {
namespace {

using ::testing::Optional;

std::vector<unsigned char> bytes(std::string_view s) { return {s.begin(), s.end()}; }

struct Rfc6238Vector {
  std::uint64_t time;
  const char* sha1;
  const char* sha256;
  const char* sha512;
};

// RFC 6238 Appendix B: every time, every algorithm, 8 digits.
constexpr Rfc6238Vector kRfc6238[] = {
    {59, "94287082", "46119246", "90693936"},
    {1111111109, "07081804", "68084774", "25091201"},
    {1111111111, "14050471", "67062674", "99943326"},
    {1234567890, "89005924", "91819424", "93441116"},
    {2000000000, "69279037", "90698825", "38618901"},
    {20000000000, "65353130", "77737706", "47863826"},
};

TEST(Totp, Rfc6238AppendixBVectors) {
  // Each algorithm has its own seed: the ASCII digits repeated to the hash's length.
  const auto seed20 = bytes("12345678901234567890");
  const auto seed32 = bytes("12345678901234567890123456789012");
  const auto seed64 = bytes("1234567890123456789012345678901234567890123456789012345678901234");
  for (const auto& v : kRfc6238) {
    EXPECT_EQ(code(seed20, v.time, Algorithm::Sha1, 8), v.sha1) << v.time;
    EXPECT_EQ(code(seed32, v.time, Algorithm::Sha256, 8), v.sha256) << v.time;
    EXPECT_EQ(code(seed64, v.time, Algorithm::Sha512, 8), v.sha512) << v.time;
  }
}

TEST(Totp, SixDigitsAreTheLastSixOfEight) {
  const auto seed = bytes("12345678901234567890");
  EXPECT_EQ(code(seed, 59), "287082");
  EXPECT_EQ(code(seed, 1111111109), "081804");  // leading zero kept
}

TEST(Base32, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},           {"f", "MY"},           {"fo", "MZXQ"},          {"foo", "MZXW6"},
      {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"},
  };
  const char* padded[] = {"", "MY======", "MZXQ====", "MZXW6===", "MZXW6YQ=", "MZXW6YTB", "MZXW6YTBOI======"};
  for (std::size_t i = 0; i < std::size(vectors); ++i) {
    auto [plain, encoded] = vectors[i];
    EXPECT_EQ(base32Encode(bytes(plain)), encoded) << plain;
    EXPECT_THAT(base32Decode(encoded), Optional(bytes(plain))) << encoded;
    EXPECT_THAT(base32Decode(padded[i]), Optional(bytes(plain))) << padded[i];
  }
}

TEST(Base32, DecodeToleratesLowerCaseAndSpaces) {
  EXPECT_THAT(base32Decode("mzxw 6ytb oi"), Optional(bytes("foobar")));
  EXPECT_THAT(base32Decode("Mzxw6ytBOi=="), Optional(bytes("foobar")));
}

TEST(Base32, DecodeRefusesWhatIsNotBase32) {
  EXPECT_EQ(base32Decode("MZXW1"), std::nullopt);     // 1 is not in the alphabet
  EXPECT_EQ(base32Decode("MZ-XW"), std::nullopt);
  EXPECT_EQ(base32Decode("MZ=XW"), std::nullopt);     // padding only at the end
  EXPECT_EQ(base32Decode("M"), std::nullopt);         // 1, 3 or 6 characters never end on a byte
  EXPECT_EQ(base32Decode("MZX"), std::nullopt);
  EXPECT_EQ(base32Decode("MZXW6Y"), std::nullopt);
}

TEST(Totp, NewSecretIsTwentyRandomBytes) {
  const auto a = newSecret();
  EXPECT_EQ(a.size(), 32u);
  auto key = base32Decode(a);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->size(), 20u);
  EXPECT_NE(a, newSecret());
}

class TotpVerify : public ::testing::Test {
 protected:
  const std::string secret_ = base32Encode(bytes("12345678901234567890"));
  const std::uint64_t now_ = 1111111111;  // step 37037037, 1 s into it
  const std::int64_t step_ = 1111111111 / 30;

  std::string codeAt(std::int64_t stepOffset) const {
    return code(bytes("12345678901234567890"), static_cast<std::uint64_t>(now_ + 30 * stepOffset));
  }
};

TEST_F(TotpVerify, TheCurrentCodeMatchesItsStep) {
  EXPECT_THAT(verify(secret_, codeAt(0), now_, -1), Optional(step_));
  EXPECT_THAT(verify(secret_, "050471", now_, -1), Optional(step_));  // RFC 6238's 14050471, last six digits
}

TEST_F(TotpVerify, OneStepEitherSideIsAccepted) {
  EXPECT_THAT(verify(secret_, codeAt(-1), now_, -1), Optional(step_ - 1));
  EXPECT_THAT(verify(secret_, codeAt(+1), now_, -1), Optional(step_ + 1));
}

TEST_F(TotpVerify, TwoStepsAwayAreRefused) {
  EXPECT_EQ(verify(secret_, codeAt(-2), now_, -1), std::nullopt);
  EXPECT_EQ(verify(secret_, codeAt(+2), now_, -1), std::nullopt);
  // ... unless the window is widened.
  EXPECT_THAT(verify(secret_, codeAt(-2), now_, -1, 2), Optional(step_ - 2));
}

TEST_F(TotpVerify, AUsedCodeIsRefused) {
  auto used = verify(secret_, codeAt(0), now_, -1);
  ASSERT_TRUE(used);
  EXPECT_EQ(verify(secret_, codeAt(0), now_, *used), std::nullopt);
  EXPECT_EQ(verify(secret_, codeAt(0), now_ + 10, *used), std::nullopt);  // same step, later
  EXPECT_EQ(verify(secret_, codeAt(-1), now_, *used), std::nullopt);     // an older step
  EXPECT_THAT(verify(secret_, codeAt(+1), now_, *used), Optional(step_ + 1));
}

TEST_F(TotpVerify, WrongCodesAndSecretsAreRefused) {
  auto wrong = codeAt(0);
  wrong[5] = wrong[5] == '0' ? '1' : '0';
  EXPECT_EQ(verify(secret_, wrong, now_, -1), std::nullopt);
  EXPECT_EQ(verify(secret_, "", now_, -1), std::nullopt);
  EXPECT_EQ(verify(secret_, "14050471", now_, -1), std::nullopt);  // 8 digits: not what the URI announced
  EXPECT_EQ(verify("not base32!", codeAt(0), now_, -1), std::nullopt);
  EXPECT_EQ(verify("", codeAt(0), now_, -1), std::nullopt);
}

TEST(Totp, ProvisioningUri) {
  EXPECT_EQ(provisioningUri("Fedi Host & Co", "alice@example.org", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/Fedi%20Host%20%26%20Co:alice%40example.org?secret=JBSWY3DPEHPK3PXP"
            "&issuer=Fedi%20Host%20%26%20Co&algorithm=SHA1&digits=6&period=30");
  // A colon in a name cannot split the label elsewhere.
  EXPECT_EQ(provisioningUri("a:b", "c", "MY"), "otpauth://totp/a%3Ab:c?secret=MY&issuer=a%3Ab&algorithm=SHA1&digits=6&period=30");
}

TEST(RecoveryCodes, ShapeUniquenessAndAlphabet) {
  const auto codes = newRecoveryCodes();
  ASSERT_EQ(codes.size(), 10u);
  const std::regex shape("[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}");
  for (auto& c : codes) EXPECT_TRUE(std::regex_match(c, shape)) << c;
  EXPECT_EQ(std::set<std::string>(codes.begin(), codes.end()).size(), codes.size());
  EXPECT_EQ(newRecoveryCodes(3).size(), 3u);
  EXPECT_NE(newRecoveryCodes(1), newRecoveryCodes(1));
}

TEST(RecoveryCodes, NormalisedAsTyped) {
  for (auto& c : newRecoveryCodes(5)) {
    std::string typed;
    for (char ch : c) typed += ch == '-' ? ' ' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    EXPECT_EQ(normaliseRecoveryCode(typed), normaliseRecoveryCode(c));
    EXPECT_EQ(normaliseRecoveryCode(c).size(), 12u);
  }
  EXPECT_EQ(normaliseRecoveryCode(" AB1C-dEf2 -g3hJ "), "ab1cdef2g3hj");
  EXPECT_EQ(normaliseRecoveryCode("O0IL-oil1"), "00110111");  // letters read as the digits they look like
}

}  // namespace
}  // namespace fedihost::aaa::totp
