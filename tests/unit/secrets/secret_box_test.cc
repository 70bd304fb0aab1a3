#include "secrets/secret_box.hh"

#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

namespace fedihost::secrets {
namespace {

namespace fs = std::filesystem;

class SecretBoxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("fedihost-secrets-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  static unsigned mode(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
  static std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  static SecretBox fixedBox(unsigned char fill = 7) {
    std::array<unsigned char, SecretBox::kKeySize> key{};
    key.fill(fill);
    return SecretBox(key);
  }

  fs::path dir_;
};

TEST_F(SecretBoxTest, SealOpenRoundTrip) {
  auto box = fixedBox();
  for (std::string text : {std::string(), std::string("hunter2"), std::string(1000, 'x'), std::string("a\0b", 3)}) {
    auto sealed = box.seal(text);
    EXPECT_EQ(sealed.rfind("sb2:", 0), 0u) << sealed;
    EXPECT_EQ(sealed.find(text.empty() ? "\x01" : text), std::string::npos);
    auto opened = box.open(sealed);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ(*opened, text);
  }
}

TEST_F(SecretBoxTest, SealUsesStandardBase64) {
  auto sealed = fixedBox().seal(std::string(200, 'z'));
  auto b64 = sealed.substr(4 + 8 + 1);  // "sb2:" + key id + ":"
  for (char c : b64) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=') << c;
  // 24-byte nonce + 16-byte MAC + 200 bytes = 240 bytes = 320 base64 characters.
  EXPECT_EQ(b64.size(), 320u);
}

TEST_F(SecretBoxTest, TwoSealsOfTheSameTextDiffer) {
  auto box = fixedBox();
  EXPECT_NE(box.seal("same"), box.seal("same"));
}

TEST_F(SecretBoxTest, TamperedCiphertextIsRefused) {
  auto box = fixedBox();
  auto sealed = box.seal("the database password");
  // Flip one character in the middle of the base64 text (inside the ciphertext/MAC).
  std::string tampered = sealed;
  auto& c = tampered[tampered.size() / 2 + 10];
  c = c == 'A' ? 'B' : 'A';
  auto r = box.open(tampered);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);

  auto truncated = box.open(sealed.substr(0, 20));
  EXPECT_FALSE(truncated.ok());
  auto noPrefix = box.open(sealed.substr(4));
  ASSERT_FALSE(noPrefix.ok());
  EXPECT_EQ(noPrefix.error().kind, ErrorKind::Invalid);
  auto badBase64 = box.open("sb1:***not base64***");
  ASSERT_FALSE(badBase64.ok());
  EXPECT_EQ(badBase64.error().kind, ErrorKind::Invalid);
}

TEST_F(SecretBoxTest, OtherKeyCannotOpen) {
  auto sealed = fixedBox(1).seal("secret");
  auto r = fixedBox(2).open(sealed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
}

TEST_F(SecretBoxTest, KeyFileIsCreated0600AndReused) {
  auto path = dir_ / "nested" / "deeper" / "secret.key";
  auto box = SecretBox::openOrCreate(path);
  ASSERT_TRUE(fs::exists(path));
  EXPECT_EQ(mode(path), 0600u);
  EXPECT_EQ(fs::file_size(path), SecretBox::kKeySize);
  EXPECT_EQ(mode(path.parent_path()), 0700u);
  EXPECT_EQ(mode(path.parent_path().parent_path()), 0700u);
  auto keyBytes = slurp(path);

  auto sealed = box.seal("kept across restarts");
  auto again = SecretBox::openOrCreate(path);
  EXPECT_EQ(slurp(path), keyBytes) << "the key file must not be rewritten";
  auto opened = again.open(sealed);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, "kept across restarts");
  // No temporary files are left beside the key.
  int files = 0;
  for (auto& e : fs::directory_iterator(path.parent_path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST_F(SecretBoxTest, ConcurrentCreationGivesOneKey) {
  auto path = dir_ / "race.key";
  std::vector<std::string> sealed(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] { sealed[i] = SecretBox::openOrCreate(path).seal("x"); });
  for (auto& t : threads) t.join();
  auto box = SecretBox::openOrCreate(path);
  for (auto& s : sealed) EXPECT_TRUE(box.open(s).ok());
}

TEST_F(SecretBoxTest, WorldReadableKeyFileIsRefused) {
  auto path = dir_ / "secret.key";
  (void)SecretBox::openOrCreate(path);
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  try {
    (void)SecretBox::openOrCreate(path);
    FAIL() << "a 0644 key file must be refused";
  } catch (const AbortError& e) {
    EXPECT_NE(std::string(e.what()).find("0644"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}

TEST_F(SecretBoxTest, KeyFileOfWrongSizeIsRefused) {
  auto path = dir_ / "secret.key";
  {
    std::ofstream out(path);
    out << "too short";
  }
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_THROW((void)SecretBox::openOrCreate(path), AbortError);
  EXPECT_EQ(slurp(path), "too short") << "a refused key file is left alone";
}

TEST_F(SecretBoxTest, CopiesShareTheKey) {
  auto box = fixedBox(3);
  SecretBox copy(box);
  auto other = fixedBox(4);
  other = box;
  auto sealed = box.seal("copied");
  EXPECT_TRUE(copy.open(sealed).ok());
  EXPECT_TRUE(other.open(sealed).ok());
}

TEST_F(SecretBoxTest, SealedValuesNameTheirKeyAndABoxOpensUnderEachOfItsKeys) {
  auto a = fixedBox(1), b = fixedBox(2);
  EXPECT_EQ(a.keyId().size(), 8u);
  EXPECT_NE(a.keyId(), b.keyId());
  auto sealed = a.seal("hello");
  EXPECT_EQ(sealed.rfind("sb2:" + a.keyId() + ":", 0), 0u) << sealed;
  EXPECT_EQ(SecretBox::keyIdOf(sealed), a.keyId());
  auto refused = b.open(sealed);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("sealed under the key " + a.keyId()), std::string::npos)
      << refused.error().message;
  std::array<unsigned char, SecretBox::kKeySize> keyA{};
  keyA.fill(1);
  b.addOpeningKey(keyA);
  EXPECT_EQ(b.open(sealed).orThrow(), "hello");
  EXPECT_EQ(SecretBox::keyIdOf(b.seal("x")), fixedBox(2).keyId()) << "an opening key never seals";
}

TEST_F(SecretBoxTest, ValuesOfTheFirstFormatStillOpen) {
  // "sb1:" + base64(nonce || ciphertext), no key id: every key of the box is tried.
  auto box = fixedBox(3);
  auto v2 = box.seal("legacy");
  auto b64 = v2.substr(v2.find(':', 4) + 1);
  auto other = fixedBox(4);
  std::array<unsigned char, SecretBox::kKeySize> key3{};
  key3.fill(3);
  other.addOpeningKey(key3);
  EXPECT_EQ(other.open("sb1:" + b64).orThrow(), "legacy");
}

TEST_F(SecretBoxTest, ABoxLoadedMidRotationOpensUnderTheNextKeyToo) {
  auto path = dir_ / "secret.key";
  auto current = SecretBox::openOrCreate(path);
  ASSERT_TRUE(SecretBox::createKeyFile(fs::path(path.string() + ".next")));
  EXPECT_FALSE(SecretBox::createKeyFile(fs::path(path.string() + ".next"))) << "never replaced";
  EXPECT_EQ(mode(path.string() + ".next"), 0600u);
  auto next = SecretBox::load(path.string() + ".next");
  auto box = SecretBox::openOrCreate(path);
  EXPECT_EQ(box.keyId(), current.keyId()) << "the current key still seals";
  EXPECT_EQ(box.open(next.seal("new")).orThrow(), "new");
  EXPECT_EQ(box.open(current.seal("old")).orThrow(), "old");
}

TEST(GeneratePassword, LengthAlphabetAndRandomness) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto p = generatePassword();
    EXPECT_EQ(p.size(), 32u);
    for (char c : p) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << p;
    seen.insert(p);
  }
  EXPECT_EQ(seen.size(), 50u);
  EXPECT_EQ(generatePassword(5).size(), 5u);
  EXPECT_EQ(generatePassword(0), "");
  // Every character of the alphabet shows up in a long password (uniform, 62 symbols).
  auto longOne = generatePassword(20000);
  std::set<char> chars(longOne.begin(), longOne.end());
  EXPECT_EQ(chars.size(), 62u);
}

TEST(GenerateSecret, EachFormIsWhatItsReaderExpects) {
  // Laravel's APP_KEY (Pixelfed): "base64:" then the standard base64 of exactly 32 bytes.
  std::set<std::string> keys;
  for (int i = 0; i < 50; ++i) {
    auto key = generateSecret(SecretFormat::Laravel);
    ASSERT_TRUE(key.starts_with("base64:")) << key;
    EXPECT_EQ(key.size(), 7u + 44u) << key;
    unsigned char raw[64];
    std::size_t len = 0;
    ASSERT_EQ(sodium_base642bin(raw, sizeof raw, key.data() + 7, key.size() - 7, nullptr, &len, nullptr,
                                sodium_base64_VARIANT_ORIGINAL),
              0)
        << key;
    EXPECT_EQ(len, 32u);
    keys.insert(key);
  }
  EXPECT_EQ(keys.size(), 50u);
  auto hex = generateSecret(SecretFormat::Hex);
  EXPECT_EQ(hex.size(), 64u);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos) << hex;
  auto password = generateSecret(SecretFormat::Password);
  EXPECT_EQ(password.size(), 32u);
  for (char c : password) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << password;
}

}  // namespace
}  // namespace fedihost::secrets
