// OpenSSH public key lines: checked, and fingerprinted as ssh-keygen -l prints them.
#include "providers/ssh_keys.hh"

#include <gtest/gtest.h>

namespace fedihost::providers {
namespace {

// Made with `ssh-keygen -t ed25519`; `ssh-keygen -lf` prints SHA256:9RBScw4Kq1a84iv73+PAbH6TcVgluecf7wtAZJ+IRww.
constexpr const char* kKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKelkUEKzgWsTvlBYa4rPSu31LQRLMsYFKIsk7Xcnrg+ test@fedihost";

TEST(SshKeysTest, AKeyLinesFingerprintIsTheOneSshKeygenPrints) {
  auto blob = publicKeyBlob(kKey, "k");
  ASSERT_TRUE(blob) << blob.error().message;
  EXPECT_EQ(blob->size(), 51u);  // "ssh-ed25519" and 32 bytes, each with its length
  EXPECT_EQ(sshFingerprint(*blob), "SHA256:9RBScw4Kq1a84iv73+PAbH6TcVgluecf7wtAZJ+IRww");
  // The comment is optional and not part of the key.
  auto bare = publicKeyBlob("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKelkUEKzgWsTvlBYa4rPSu31LQRLMsYFKIsk7Xcnrg+", "k");
  ASSERT_TRUE(bare);
  EXPECT_EQ(*bare, *blob);
}

TEST(SshKeysTest, WhatIsNotOneKeyLineIsRefusedNamingTheField) {
  for (auto* line : {"", "ssh-ed25519", "ssh-ed25519 ", "ssh-ed25519 AAAA!!", "ssh-dss AAAAB3NzaC1kc3MAAA",
                     "from=\"10.0.0.1\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKelkUEKzgWsTvlBYa4rPSu31LQRLMsYFKIsk7Xcnrg+",
                     "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIKelkUEKzgWsTvlBYa4rPSu31LQRLMsYFKIsk7Xcnrg+",
                     "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 short",
                     "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKelkUEKzgWsTvlBYa4rPSu31LQRLMsYFKIsk7Xcnrg+ a\nssh-rsa b"}) {
    auto r = publicKeyBlob(line, "settings.authorizedKeys.0");
    ASSERT_FALSE(r) << line;
    EXPECT_EQ(r.error().kind, ErrorKind::Invalid) << line;
    EXPECT_EQ(r.error().field, "settings.authorizedKeys.0") << line;
  }
}

}  // namespace
}  // namespace fedihost::providers
