#pragma once
// An SSH client on libssh for the "ssh" NixOS provider: one session per
// connection, commands on exec channels with their standard input, output,
// error and exit status. Every libssh handle (session, channel, key, hash) is
// held by a unique_ptr with its deleter. Host keys are never checked against
// known_hosts files (no ~/.ssh is read): the caller compares the fingerprint
// with the one it pinned, before it authenticates.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hh"

struct ssh_session_struct;

namespace fedihost::providers::nixos_ssh {

struct SshEndpoint {
  std::string host;  ///< an address or a host name
  int port = 22;
  std::string user = "root";
  std::chrono::milliseconds connectTimeout{10000};
};

struct CommandResult {
  int exitStatus = -1;  ///< -1 when the command ended without one (killed by a signal)
  std::string out;
  std::string err;
};

class SshConnection {
 public:
  /// Connects and exchanges keys (no authentication yet). Unreachable or timed
  /// out: Unavailable (retryable); anything else the server refuses: Provider.
  static Result<SshConnection> open(const SshEndpoint& endpoint);

  SshConnection(SshConnection&&) noexcept;
  SshConnection& operator=(SshConnection&&) noexcept;
  ~SshConnection();

  /// The SHA-256 fingerprint of the server's host key as OpenSSH prints it: "SHA256:<base64>".
  Result<std::string> hostKeyFingerprint();
  /// Public key authentication with a private key (OpenSSH or PEM text, unencrypted);
  /// refused: Provider (the message names the user and the key's type).
  Result<void> authenticate(std::string_view privateKey);
  /// Runs `command` (a line for the remote user's shell) with `input` on its standard
  /// input. Unavailable when it is not done after `timeout` (the channel is closed).
  Result<CommandResult> run(const std::string& command, std::string_view input, std::chrono::milliseconds timeout);

  const SshEndpoint& endpoint() const { return endpoint_; }

 private:
  struct SessionDeleter {
    void operator()(ssh_session_struct* s) const;
  };
  SshConnection(SshEndpoint endpoint, std::unique_ptr<ssh_session_struct, SessionDeleter> session);
  std::string where() const;

  SshEndpoint endpoint_;
  std::unique_ptr<ssh_session_struct, SessionDeleter> session_;
};

/// `s` as one word for a POSIX shell ('…' with ' written as '\'').
std::string shellQuote(std::string_view s);

}  // namespace fedihost::providers::nixos_ssh
