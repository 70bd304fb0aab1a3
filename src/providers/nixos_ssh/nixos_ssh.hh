#pragma once
// The "ssh" NixOS provider: delivers a machine's rendered configuration and its
// secrets over SSH (libssh) and switches the machine to it (see
// docs/providers.md, "The ssh NixOS provider").
//
// Attributes of a nixos-config resource: "machine", "address" (where the machine
// answers SSH, the IP resource's output), "hostKeyFingerprint" ("SHA256:…" or
// null: the machine's output), "configuration" (the rendered JSON) and "secrets"
// ({file name: sealed secret}, delivered as /run/fedihost/secrets/<name>).
//
// Host keys: the key expected is the one the target's "knownHostKeys" names for
// the address; else the machine's own, the resource's "hostKeyFingerprint" (the
// output of machine providers that make the host key, e.g. lxc), pinned at each
// delivery in place of an older pin, so a rebuilt machine is followed; else (a
// machine provider that gives none, e.g. proxmox) the SHA-256 fingerprint of the
// key seen at the first delivery is pinned in the state database (ssh_host_keys,
// migration 013), before anything is sent, and any other key is refused
// afterwards. Removing the resource forgets the pin.
//
// Delivery (create and update alike): the configuration to "configurationPath"
// (0644 root), the secrets to /run/fedihost/secrets (only on tmpfs; directory
// "secretsDirectoryMode", files 0400 "secretsOwner":"secretsGroup"), then
// "switchCommand"; the generation it made (the "profile" link) is an output. A
// failing switch or "healthCommand" rolls back ("rollbackCommand") and restores the
// previous configuration file. What was switched to is recorded on the machine
// (delivery.json beside the configuration: its SHA-256 and the generation), so a
// repeated or resumed delivery of the same configuration does not switch again.
#include <memory>

#include "providers/provider.hh"

namespace fedihost::providers::nixos_ssh {

/// The provider; throws AbortError(Invalid "settings.<name>") for bad settings.
std::unique_ptr<NixosProvider> makeNixosProvider(const ProviderConfig& config);

}  // namespace fedihost::providers::nixos_ssh
