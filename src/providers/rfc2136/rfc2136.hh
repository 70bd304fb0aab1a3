#pragma once
// The "rfc2136" DNS provider: record sets written with DNS UPDATE messages
// (RFC 2136) signed with TSIG (RFC 8945), read back with ordinary queries, to
// any authoritative server that takes signed updates (PowerDNS, BIND, Knot).
// Messages are built, signed and checked with ldns; they go over TCP with our
// own socket code, so that every exchange has the settings' timeout.
//
// Ownership: beside each set, the same UPDATE message writes a TXT record
// "_fedihost-owner-<type>.<name>" holding the resource's identity key. Writes
// carry prerequisites (RFC 2136 section 2.4) on that record, so a set is
// replaced atomically and only by its owner: a set held by another key, or by
// none, is refused (Conflict).
//
// Zones cannot be created through RFC 2136: each zone must already be served
// by the server and allow updates signed with the key.
//
// Listing: list() reads whole zones by AXFR (signed with the same key, every
// message of the transfer checked), so it needs settings "zones", the zones to
// transfer; without them Capabilities::canList is false and list() is an
// Invalid error. read() and remove() find a set at its attributes' place; only
// with "zones" can read() and update() find a set whose name changed.
//
// Settings: server (address or host name), port (53), tsigName, tsigAlgorithm
// ("hmac-sha256" or "hmac-sha512"), tsigSecret (base64), zones ([]), timeoutMs.
#include <memory>
#include <string>
#include <string_view>

#include "providers/provider.hh"

namespace fedihost::providers::rfc2136 {

/// The name of the TXT record that holds a set's owner: "_fedihost-owner-a.www.example.org.".
std::string ownerName(std::string_view name, std::string_view type);

/// The provider; throws AbortError(Invalid "settings.<name>") for bad settings.
std::unique_ptr<DnsProvider> makeDnsProvider(const ProviderConfig& config);

}  // namespace fedihost::providers::rfc2136
