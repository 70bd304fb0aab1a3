#pragma once
// The "powerdns" DNS provider: record sets in a PowerDNS Authoritative server
// (4.7 or later) through its HTTP API. A dns-record-set resource owns one
// (name, type) set; its identity key is kept in the set's comment
// ("fedihost:<key>"), which is how list() finds a deployment's sets (the API's
// search-data over comments) and how a set held by another key is refused.
// So the server's backend must keep comments: the generic SQL backends
// (gsqlite3, gpgsql, gmysql) do, LMDB does not.
//
// Settings: url (the API's base, "http://127.0.0.1:8081"), apiKey, server
// ("localhost"), nameservers (NS of the zones it creates), hostmaster (their SOA
// RNAME), timeoutMs. dnsAddress and dnsPort (where the server answers DNS) are
// informative only.
//
// Zones: create() makes a missing zone (kind Native, SOA and NS from the
// settings, account "fedihost:<deployment>"). remove() never deletes a zone,
// even one it made that is left with only its SOA and NS: a zone may be shared
// by several deployments under the same domain, and deleting it would race
// with their creates.
//
// The reading and checking of a dns-record-set's attributes is shared with
// the "rfc2136" provider (src/providers/rfc2136/).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hh"
#include "providers/provider.hh"

namespace fedihost::providers::powerdns {

/// The record types a dns-record-set may have.
inline constexpr std::string_view kRecordTypes[] = {"A", "AAAA", "CNAME", "TXT", "MX", "SRV", "CAA", "NS"};

/// A dns-record-set's attributes, checked and in canonical form.
struct RecordSetSpec {
  std::string zone;  ///< lower case, without the final dot: "example.org"
  std::string name;  ///< absolute, lower case, with the final dot: "www.example.org."
  std::string type;  ///< upper case, one of kRecordTypes
  std::uint32_t ttl = 300;
  /// Canonical presentation form, sorted: addresses as inet_ntop writes them,
  /// host names absolute and lower case; TXT records are the text itself, unquoted.
  std::vector<std::string> records;
};

/// Reads and checks {"zone", "name", "type", "ttl", "records"}; an Invalid
/// error names the attribute at fault ("attributes.records[1]").
Result<RecordSetSpec> parseRecordSet(const json::object& attributes);

/// One record in canonical form for its type (see RecordSetSpec::records);
/// Invalid naming `field` if it is not valid data for the type.
Result<std::string> canonicalRecord(std::string_view type, std::string_view record, const std::string& field);

/// The attributes read() returns: {"zone", "name", "type", "ttl", "records"}.
json::object recordSetAttributes(const RecordSetSpec& spec);

/// The comment that marks a set as owned by an identity key: "fedihost:<key>".
std::string ownerComment(std::string_view key);
/// The identity key in an owner comment; nullopt if it is not one.
std::optional<std::string> ownerFromComment(std::string_view content);

/// A record's content as the PowerDNS API takes it (TXT quoted in 255-byte strings).
std::string apiContent(std::string_view type, std::string_view record);
/// A TXT content in presentation format ("\"a\" \"b\\\"c\"") as the text it
/// holds (the strings joined, escapes undone); nullopt if malformed.
std::optional<std::string> unquoteTxt(std::string_view content);

/// The PATCH entry that replaces a set with the spec's records, owned by `key`.
json::object replaceRrset(const RecordSetSpec& spec, std::string_view key);

/// The provider; throws AbortError(Invalid "settings.<name>") for bad settings.
std::unique_ptr<DnsProvider> makeDnsProvider(const ProviderConfig& config);

}  // namespace fedihost::providers::powerdns
