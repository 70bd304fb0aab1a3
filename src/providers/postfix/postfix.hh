#pragma once
// The "postfix" mail provider: one SMTP submission account per resource on the
// Postfix it runs next to, managed through that Postfix's local files.
//
// An account is a Cyrus SASL user in a sasldb (saslpasswd2, used by smtpd with
// pwcheck_method auxprop / auxprop_plugin sasldb) named after the address
// ("local" in realm "domain", i.e. login "local@domain"), and a line
// "address address" in a sender login map (smtpd_sender_login_maps with
// reject_sender_login_mismatch), so that an account may send as its own address only.
//
// Settings: {"host", "port" (the submission service, given to other resources as
// outputs), "configDir" (postfix -c), "saslDb", "saslDbGroup" (optional: the
// group smtpd reads the sasldb as; the file is made 0640 root:<group>),
// "senderLoginMap" (a map file this provider owns entirely: it is regenerated
// from the manifest; list it in smtpd_sender_login_maps as "<mapType>:<path>",
// beside any map of your own), "mapType" ("hash"), "postmapCommand"
// ("/usr/sbin/postmap"), "postfixCommand" ("/usr/sbin/postfix"; "" for no reload:
// smtpd notices a changed map by itself before its next connection),
// "saslpasswdCommand" ("/usr/sbin/saslpasswd2"), "sasldblistusersCommand"
// ("/usr/sbin/sasldblistusers2"), "timeoutMs" (10 s per command)}.
//
// Ownership: the manifest "<senderLoginMap>.fedihost.json",
//   {"version": 1, "accounts": {"<identity key>": "<address>", ...}}
// written atomically (temporary file, fsync, rename) under an flock on
// "<senderLoginMap>.fedihost.lock". A create records the account there first,
// so an interrupted create is resumed, and a SASL user that is not in the
// manifest is someone else's: never adopted, never removed.
//
// The commands run as child processes (fork/exec, no shell), the password on
// standard input, each killed at the timeout.
#include <memory>

#include "providers/provider.hh"

namespace fedihost::providers::postfix {

/// The provider for settings as above; throws AbortError(Invalid "settings.<name>") for bad settings.
std::unique_ptr<MailProvider> makeMailProvider(const ProviderConfig& config);

}  // namespace fedihost::providers::postfix
