#pragma once
// Rendering of a DNS zone in master file format (RFC 1035 section 5), as the
// file DNS provider writes it and as `named-checkzone` accepts it, plus the
// checks of the names and record data that go into it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hh"

namespace fedihost::providers::file {

/// One record set: every record of one name and type.
struct RecordSet {
  std::string name;  ///< absolute, lowercase, with the final dot: "mastodon.social.example.test."
  std::string type;  ///< uppercase: "A", "AAAA", "TXT", "MX", ...
  std::uint32_t ttl = 300;
  std::vector<std::string> records;  ///< presentation format, except TXT: the text itself, unquoted
};

/// The SOA and NS of a zone.
struct SoaSettings {
  std::vector<std::string> nameservers{"ns1.fedihost.invalid.", "ns2.fedihost.invalid."};  ///< the first is the primary
  std::string hostmaster;           ///< RNAME; empty: "hostmaster.<zone>."
  std::uint32_t defaultTtl = 300;   ///< $TTL, and the TTL of the SOA and NS records
  std::uint32_t refresh = 3600;
  std::uint32_t retry = 900;
  std::uint32_t expire = 1209600;
  std::uint32_t minimum = 300;      ///< negative-caching TTL
};

/// The zone file: $ORIGIN, $TTL, SOA, NS records, then the record sets sorted by
/// name (DNS canonical order: the apex first) and type (records of a set in the given order). `zone` is normalised;
/// the record sets must have passed checkRecordSet().
std::string renderZone(std::string_view zone, std::uint32_t serial, const SoaSettings& soa, std::vector<RecordSet> sets);

/// A zone name lowercased without the final dot ("Social.Example.Test." -> "social.example.test");
/// Invalid error naming `field` if it is not a domain name.
Result<std::string> normaliseZone(std::string_view zone, std::string_view field);

/// A record name made absolute and lowercase; Invalid error naming `field` if
/// it is not a domain name or lies outside `zone` (normalised).
Result<std::string> absoluteName(std::string_view name, std::string_view zone, std::string_view field);

/// Checks type and records (A and AAAA parse as addresses, no control
/// characters or unquoted ";", "(" and ")" elsewhere, no SOA, no NS or CNAME at
/// the apex); Invalid error naming the attribute at fault.
Result<void> checkRecordSet(const RecordSet& set, std::string_view zone);

/// A TXT record's text as quoted character strings of at most 255 bytes each,
/// with '"' and '\' escaped and other non-printable bytes as \DDD.
std::string quoteTxt(std::string_view text);

/// A host name or mailbox made absolute ("hostmaster@x.test" -> "hostmaster.x.test.").
std::string absoluteDomain(std::string_view name);

}  // namespace fedihost::providers::file
