#pragma once
// The "lxc" machine provider: one LXC container per machine resource on the
// host the server runs on, driven through LXC's command-line tools
// (lxc-start, lxc-info, lxc-stop, lxc-destroy, lxc-cgroup) as child processes
// with argument vectors and time limits (see docs/providers.md, "lxc").
//
// Settings: {"lxcPath" (the containers' directory, lxc-* -P), "rootfsCache" (a
// root filesystem every container starts from; built once with debootstrap when
// "debootstrapSuite" is set and it is missing: "debootstrapMirror",
// "debootstrapInclude" (["iproute2"]), "bootstrapTimeoutMs" (10 min)),
// "rootfs" ("copy": cp -a --reflink=auto of the cache, the default; "overlay":
// the cache as overlayfs lower layer), "network" ("routed", the default: a veth
// pair in LXC's router mode, the address as a /32 in the container and a /32
// route to the host side, the gateway answered by proxy ARP; or "bridge": the
// veth joins "bridge" (default "fhbr0"), created with "gateway"/"prefixLength"
// if absent), "gateway" (routed: "169.254.0.1"), "prefixLength" (bridge: 24),
// "init" ("/sbin/init"), "cgroup" ("auto", "v1" or "v2"), "cpuPeriodUs"
// (100000), "lxcBin" ("/usr/bin"), "timeoutMs" (30 s per command),
// "copyTimeoutMs" (5 min), "authorizedKeys" (OpenSSH public key lines written to
// the container's /root/.ssh/authorized_keys at create), "sshKeygen"
// ("/usr/bin/ssh-keygen")}.
//
// Each container gets an ed25519 SSH host key of its own at create (made with
// ssh-keygen into its root's /etc/ssh, the cache's host keys removed, sshd told
// to offer it); its fingerprint ("SHA256:…") is recorded in the container's
// config and is the output "hostKeyFingerprint", which the "ssh" NixOS provider
// checks the machine against.
//
// Attributes: {"hostname", "address" (IPv4), "cpu" (CPUs, a quota of cpu.max),
// "memoryMiB" (memory.max), "diskGiB" (not enforced: directory storage has no
// size), "state" ("running", the default, or "stopped")}. read() reports
// "state" as held ("running", "stopped"), so a container stopped by hand differs.
//
// Names: the container is "fh-<deployment>-<name>" and its host-side veth
// "fh" + 13 hex digits of SHA-256(identity key) (15 characters, IFNAMSIZ - 1).
// The identity key is written in the container's config ("# fedihost.key = ..."):
// a container without our key is never adopted, changed or removed.
#include <memory>

#include "providers/provider.hh"

namespace fedihost::providers::lxc {

/// The provider for settings as above; throws AbortError(Invalid "settings.<name>") for bad settings.
std::unique_ptr<MachineProvider> makeMachineProvider(const ProviderConfig& config);

}  // namespace fedihost::providers::lxc
