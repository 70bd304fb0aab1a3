// Request building of the "proxmox" provider: form encoding, the double
// URL-encoding of sshkeys, ipconfig0 and net0 values, UPIDs, names and
// identity, sizes and Proxmox's error answers.
#include "providers/proxmox/proxmox_api.hh"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "providers/proxmox/proxmox.hh"

namespace fedihost::providers::proxmox {
namespace {

using ::testing::HasSubstr;

TEST(ProxmoxRequests, FormEncodingKeepsOnlyUnreservedCharactersAndWritesSpaceAsPercent20) {
  EXPECT_EQ(formEncode({{"newid", "101"}, {"name", "fh-d1-main"}, {"description", "fedihost.key=d1/machine/main"}}),
            "newid=101&name=fh-d1-main&description=fedihost.key%3Dd1%2Fmachine%2Fmain");
  EXPECT_EQ(formEncode({{"nameserver", "10.0.0.2 10.0.0.3"}, {"tags", "fedihost;fh-0a"}}),
            "nameserver=10.0.0.2%2010.0.0.3&tags=fedihost%3Bfh-0a");
  EXPECT_EQ(formEncode({}), "");
}

TEST(ProxmoxRequests, SshKeysAreUrlEncodedOnceAsTheValueAndOnceMoreByTheForm) {
  const std::vector<std::string> keys = {"ssh-ed25519 AAAAC3Nza+/= op@host", "ssh-rsa AAAAB3 second"};
  const auto value = sshKeysValue(keys);
  EXPECT_EQ(value, "ssh-ed25519%20AAAAC3Nza%2B%2F%3D%20op%40host%0Assh-rsa%20AAAAB3%20second");
  // What Proxmox's "urlencoded" format accepts after the form is decoded.
  EXPECT_TRUE(std::regex_match(value, std::regex("[-%a-zA-Z0-9_.!~*'()]*")));
  // On the wire: every '%' of the value encoded again.
  EXPECT_EQ(formEncode({{"sshkeys", value}}),
            "sshkeys=ssh-ed25519%2520AAAAC3Nza%252B%252F%253D%2520op%2540host%250Assh-rsa%2520AAAAB3%2520second");
  EXPECT_EQ(sshKeysValue({}), "");
}

TEST(ProxmoxRequests, IpconfigAndContainerNetValues) {
  EXPECT_EQ(ipconfigValue("192.0.2.10", 24, "192.0.2.1"), "ip=192.0.2.10/24,gw=192.0.2.1");
  EXPECT_EQ(ipconfigValue("192.0.2.10", 32, ""), "ip=192.0.2.10/32");
  EXPECT_EQ(lxcNetValue("vmbr1", "192.0.2.10", 24, "192.0.2.1"), "name=eth0,bridge=vmbr1,ip=192.0.2.10/24,gw=192.0.2.1");
  EXPECT_EQ(formEncode({{"ipconfig0", ipconfigValue("192.0.2.10", 24, "192.0.2.1")}}),
            "ipconfig0=ip%3D192.0.2.10%2F24%2Cgw%3D192.0.2.1");
  EXPECT_EQ(addressOf("ip=192.0.2.10/24,gw=192.0.2.1"), "192.0.2.10");
  EXPECT_EQ(addressOf("name=eth0,bridge=vmbr0,hwaddr=BC:24:11:5E:00:02,ip=192.0.2.11/24,type=veth"), "192.0.2.11");
  EXPECT_EQ(addressOf("name=eth0,ip=dhcp"), "dhcp");
  EXPECT_EQ(addressOf("virtio=BC:24:11:5E:00:01,bridge=vmbr0"), "");
}

TEST(ProxmoxRequests, UpidsAreParsedInProxmoxsFormatAndAnythingElseIsRefused) {
  auto u = parseUpid("UPID:pve1:00000FA0:0012D687:6B165532:qmclone:9000:fedihost@pve!deploy:");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->node, "pve1");
  EXPECT_EQ(u->pid, 0xFA0u);
  EXPECT_EQ(u->pstart, 0x12D687u);
  EXPECT_EQ(u->starttime, 0x6B165532u);
  EXPECT_EQ(u->type, "qmclone");
  EXPECT_EQ(u->id, "9000");
  EXPECT_EQ(u->user, "fedihost@pve!deploy");
  EXPECT_TRUE(parseUpid("UPID:pve1:00000FA0:0012D687:6B165532:vzdump::root@pam:"));  // a task without an id
  EXPECT_FALSE(parseUpid("UPID:pve1:FA0:0012D687:6B165532:qmclone:9000:root@pam:"));
  EXPECT_FALSE(parseUpid("UPID:pve1:00000FA0:0012D687:6B165532:qmclone:9000:root@pam"));
  EXPECT_FALSE(parseUpid("pve1:00000FA0:0012D687:6B165532:qmclone:9000:root@pam:"));
  EXPECT_FALSE(parseUpid("UPID:pve1:0000XYZ0:0012D687:6B165532:qmclone:9000:root@pam:"));
  EXPECT_FALSE(parseUpid("OK"));
}

TEST(ProxmoxRequests, NamesTagsAndIdentityDeriveFromTheResource) {
  EXPECT_EQ(guestName("d1", "main"), "fh-d1-main");
  EXPECT_EQ(guestName("Dep_1", "web.main"), "fh-dep-1-web-main");
  EXPECT_EQ(guestName(std::string(80, 'a'), "main").size(), 63u);
  const auto tag = identityTag("d1/machine/main");
  EXPECT_TRUE(std::regex_match(tag, std::regex("fh-[0-9a-f]{16}")));
  EXPECT_NE(tag, identityTag("d2/machine/main"));
  EXPECT_EQ(identityOf(identityLine("d1/machine/main")), "d1/machine/main");
  EXPECT_EQ(identityOf("Mastodon of Example\nfedihost.key=d1/machine/main\n"), "d1/machine/main");
  EXPECT_EQ(identityOf("someone else's VM"), "");
}

TEST(ProxmoxRequests, DriveSizes) {
  EXPECT_DOUBLE_EQ(*driveSizeGiB("local-lvm:vm-101-disk-0,size=8G"), 8.0);
  EXPECT_DOUBLE_EQ(*driveSizeGiB("local-lvm:vm-101-disk-0,iothread=1,size=512M,ssd=1"), 0.5);
  EXPECT_DOUBLE_EQ(*driveSizeGiB("local:101/vm-101-disk-0.qcow2,size=1T"), 1024.0);
  EXPECT_FALSE(driveSizeGiB("local-lvm:vm-101-cloudinit,media=cdrom"));
}

TEST(ProxmoxRequests, ErrorsTakeTheBodysMessageThenTheReasonPhrase) {
  net::HttpResponse r;
  r.status = 500;
  r.reason = "VM 101 is locked (backup)";
  r.body = R"({"message":"VM 101 is locked (backup)\n","data":null})";
  auto f = failureOf(r);
  EXPECT_EQ(f.message, "VM 101 is locked (backup)");
  EXPECT_TRUE(isLocked(f));
  r.body = R"({"data":null})";  // older versions: the message in the status line only
  r.reason = "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout";
  EXPECT_TRUE(isLocked(failureOf(r)));
  r.status = 400;
  r.reason = "Parameter verification failed.";
  r.body = R"({"message":"Parameter verification failed.\n","errors":{"sshkeys":"invalid urlencoded string"},"data":null})";
  f = failureOf(r);
  EXPECT_FALSE(isLocked(f));
  EXPECT_EQ(f.errors.at("sshkeys"), "invalid urlencoded string");
  r.status = 500;
  r.reason = "VM 101 already exists on node 'pve1'";
  r.body = "";
  EXPECT_FALSE(isLocked(failureOf(r)));
}

TEST(ProxmoxRequests, TlsFingerprintsAreNormalized) {
  const std::string hexColon =
      "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
  EXPECT_EQ(net::normalizeFingerprint(hexColon), "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  EXPECT_EQ(net::normalizeFingerprint("AB:CD"), "");
  EXPECT_EQ(net::normalizeFingerprint(std::string(64, 'g')), "");
}

}  // namespace
}  // namespace fedihost::providers::proxmox
