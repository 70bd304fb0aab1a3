#pragma once
// The "proxmox" machine provider: one guest per machine resource on a Proxmox
// VE cluster, through its API (`/api2/json`, an API token, HTTPS verified
// against the cluster's CA file or a pinned SHA-256 certificate fingerprint,
// never unverified). A guest is a clone of a template: a NixOS VM with
// cloud-init ("guest": "qemu", the default) or a container ("guest": "lxc").
// See docs/providers.md, "proxmox".
//
// Settings: {"apiUrl" ("https://pve1.example.net:8006"), "tokenId"
// ("USER@REALM!TOKENID"), "tokenSecret", "caFile" | "fingerprint" (exactly
// one), "node", "template" (the template's VM id), "guest" ("qemu" | "lxc"),
// "fullClone" (true), "storage", "pool", "bridge" (lxc: "vmbr0"), "disk"
// ("scsi0" | "rootfs"), "gateway", "prefixLength" (24), "nameservers" ([]),
// "ciuser", "sshKeys" ([]), "timeoutMs" (15 s per call), "taskTimeoutMs"
// (10 min per task), "pollMs" (1 s), "lockRetries" (8), "lockBackoffMs" (500)}.
//
// Attributes: {"hostname", "address" (IPv4), "cpu" (cores), "memoryMiB",
// "diskGiB" (grown, never shrunk), "state" ("running", the default, or "stopped")}.
//
// Identity: the guest's name is "fh-<deployment>-<name>" (set by the clone
// itself, so a killed run finds it again), its description carries
// "fedihost.key=<identity key>" (a guest without our key is never adopted,
// changed or removed) and its tags "fedihost" and "fh-<16 hex of SHA-256(key)>".
#include <memory>

#include "providers/provider.hh"

namespace fedihost::providers::proxmox {

/// The provider for settings as above; throws AbortError(Invalid "settings.<name>") for bad settings.
std::unique_ptr<MachineProvider> makeMachineProvider(const ProviderConfig& config);

}  // namespace fedihost::providers::proxmox
